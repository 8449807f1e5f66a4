import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { encodeRecord } from '../../../src/core/wire.ts';
import { dropsFromProcNetUdp, procNetAddress } from '../../../plugins/input-syslog/udp-drops.ts';
import type { SyslogInput } from '../../../plugins/input-syslog/index.ts';
import { makeRecord, makeSplitRecord, startInput, waitFor, withoutReceive } from './harness.ts';

const running: SyslogInput[] = [];
test.after.each(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

function send(port: number, msgs: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = msgs.length;
    for (const m of msgs) {
      s.send(m, port, '127.0.0.1', (err) => {
        if (err) reject(err);
        else if (--left === 0) s.close(() => resolve());
      });
    }
  });
}

test('procNetAddress prints addresses as /proc/net/udp does (little-endian words)', () => {
  assert.is(procNetAddress('127.0.0.1', 52314), '0100007F:CC5A');
  assert.is(procNetAddress('0.0.0.0', 514), '00000000:0202');
  assert.is(procNetAddress('::1', 5514), '00000000000000000000000001000000:158A');
  assert.is(procNetAddress('::', 1), '00000000000000000000000000000000:0001');
  assert.is(procNetAddress('fe80::1:2', 80), '000080FE000000000000000002000100:0050');
});

test('dropsFromProcNetUdp reads the drops column of the matching socket only', () => {
  const text = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
    ' 8118: 0100007F:CC5A 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19038 2 00000000550a08c9 17         ',
    ' 8119: 0100007F:CC5B 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19039 2 00000000550a08ca 3         ',
  ].join('\n');
  assert.is(dropsFromProcNetUdp(text, '0100007F:CC5B'), 3);
  assert.is(dropsFromProcNetUdp(text, '0100007F:CC5A'), 17);
  assert.is(dropsFromProcNetUdp(text, '0100007F:0001'), undefined);
});

test('one datagram, one message; split records reassemble across datagrams; TCP and UDP share the port', async () => {
  const { input, ctx } = await startInput({ protocols: ['tcp', 'udp'] });
  running.push(input);
  const a = input.boundAddresses();
  assert.is(a.udp!.port, a.tcp!.port);
  assert.equal(input.addresses(), [`tcp://127.0.0.1:${a.tcp!.port}`, `udp://127.0.0.1:${a.udp!.port}`]);
  const records = [makeRecord(), makeSplitRecord(2)];
  await send(a.udp!.port, records.flatMap((r) => encodeRecord(r)));
  await waitFor(() => ctx.records.length === 2, '2 records');
  assert.equal(ctx.records.map(withoutReceive), records);
  assert.match(ctx.records[0].receive!.peer, /^127\.0\.0\.1:\d+$/);
});

test('a datagram above max_frame_size is counted and dropped', async () => {
  const { input, ctx } = await startInput({ protocols: ['udp'], max_frame_size: 4096 });
  running.push(input);
  const port = input.boundAddresses().udp!.port;
  const small = makeRecord();
  await send(port, [encodeRecord(makeSplitRecord(2))[0], ...encodeRecord(small)]);
  await waitFor(() => ctx.records.length === 1, 'the small record');
  assert.is(ctx.records[0].uuid, small.uuid);
  assert.is(ctx.counter('component_errors_total', { error_type: 'frame_too_large', stage: 'receiving' }), 1);
});

test('datagrams the kernel drops for a full receive buffer are counted from /proc/net/udp', async () => {
  const { input, ctx } = await startInput({ protocols: ['udp'], udp_receive_buffer: 4096, udp_drop_check_ms: 100 });
  running.push(input);
  const port = input.boundAddresses().udp!.port;
  const total = 300;
  // While spawnSync blocks our event loop nobody reads the socket: the small buffer overflows.
  const r = spawnSync('python3', ['-c', `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m = b'<13>1 - h other - - - ' + b'x' * 1000
for _ in range(${total}): s.sendto(m, ('127.0.0.1', ${port}))
`]);
  assert.is(r.status, 0, String(r.stderr));
  const dropped = await waitFor(() => ctx.counter('component_discarded_events_total', { reason: 'udp_receive_buffer_full' }), 'drops counted');
  const received = await waitFor(() => {
    const n = ctx.counter('component_discarded_events_total', { reason: 'not_ogrt' });
    return n + dropped === total ? n : 0;
  }, 'received + dropped = sent');
  assert.ok(dropped > 0 && received > 0, `dropped ${dropped}, received ${received}`);
  assert.is(input.checkUdpDrops(), dropped);
  assert.is(ctx.counter('component_errors_total', { error_type: 'udp_receive_buffer_full', stage: 'receiving' }) > 0, true);
});

test.run();
