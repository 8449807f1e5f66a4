/**
 * Datagrams the kernel dropped for our UDP socket, from /proc/net/udp{,6}.
 *
 * Node.js has no SO_RXQ_OVFL, but Linux keeps a per-socket `drops` counter
 * (the last column), which counts datagrams that did not fit the receive
 * buffer (and the rare ones refused by a socket filter or a memory limit).
 * The socket is found by its local address and port: the input binds them
 * exclusively, so exactly one line matches. Elsewhere than Linux the file is
 * missing and drops stay unknown (documented, not guessed).
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';

/** The local_address column the kernel prints for `address:port`. */
export function procNetAddress(address: string, port: number): string {
  const bytes = isIPv6(address) ? ipv6Bytes(address) : address.split('.').map(Number);
  let hex = '';
  // The kernel prints each 32-bit word of the address in host byte order.
  for (let w = 0; w < bytes.length; w += 4) {
    const word = bytes.slice(w, w + 4);
    if (LITTLE_ENDIAN) word.reverse();
    for (const b of word) hex += b.toString(16).padStart(2, '0');
  }
  return (hex + ':' + port.toString(16).padStart(4, '0')).toUpperCase();
}

function ipv6Bytes(address: string): number[] {
  const zone = address.indexOf('%');
  const plain = zone === -1 ? address : address.slice(0, zone);
  let [head, tail] = plain.includes('::') ? plain.split('::') : [plain, undefined];
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = (s: string): string => {
    const m = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
    if (m === null) return s;
    const [a, b, c, d] = m.slice(1).map(Number);
    return s.slice(0, m.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  };
  head = v4(head);
  if (tail !== undefined) tail = v4(tail);
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const bytes: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  return bytes;
}

/** The drops column of the line whose local_address is `local`, or undefined. */
export function dropsFromProcNetUdp(text: string, local: string): number | undefined {
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (cols.length >= 13 && cols[1] === local) {
      const drops = Number(cols[cols.length - 1]);
      return Number.isSafeInteger(drops) ? drops : undefined;
    }
  }
  return undefined;
}

/** Reads the socket's kernel drop counter; undefined where the OS does not tell. */
export function readUdpDrops(address: string, port: number): number | undefined {
  const file = isIPv6(address) ? '/proc/net/udp6' : '/proc/net/udp';
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  return dropsFromProcNetUdp(text, procNetAddress(address, port));
}
