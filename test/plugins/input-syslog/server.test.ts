/**
 * input-syslog inside the real server (config file → startServer → output-file):
 * TCP, UDP and a unix datagram socket in one input, parts of one record
 * over all three, and other programs' syslog on the same port.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeRecord, frameOctetCounted } from '../../../src/core/wire.ts';
import { freePort, startOgrtServer, waitFor, type OgrtServer } from '../../helpers/rsyslog.ts';
import { sendDatagrams } from '../../helpers/unix-dgram.ts';
import { makeRecord, makeSplitRecord, withoutReceive } from './harness.ts';

let dir: string;
let server: OgrtServer | undefined;

test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-syslog-server-'));
});
test.after.each(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function sendTcp(port: number, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

function sendUdp(port: number, msgs: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = msgs.length;
    for (const m of msgs) s.send(m, port, '127.0.0.1', (err) => (err ? reject(err) : --left === 0 && s.close(() => resolve())));
  });
}

test('TCP, UDP and a unix socket in one input; one record\'s parts over all three', async () => {
  const port = await freePort();
  server = await startOgrtServer({ dir, port, inputLines: ['protocols = ["tcp", "udp"]', 'socket = "server.sock"'] });
  const socketPath = path.join(dir, 'server.sock');
  assert.equal(server.running.inputs[0].addresses, [`tcp://127.0.0.1:${port}`, `udp://127.0.0.1:${port}`, `unix://${socketPath}`]);
  const viaTcp = makeRecord();
  const viaUdp = makeRecord();
  const viaUnix = makeRecord();
  const split = makeSplitRecord(3);
  const parts = encodeRecord(split);
  assert.ok(parts.length >= 3);
  await sendTcp(port, frameOctetCounted([...encodeRecord(viaTcp), parts[0]]));
  await sendUdp(port, [...encodeRecord(viaUdp), parts[1]]);
  await sendDatagrams(socketPath, [...encodeRecord(viaUnix), ...parts.slice(2)]);
  const want = [viaTcp, viaUdp, viaUnix, split];
  const got = await waitFor(() => {
    const all = server!.records();
    return want.every((w) => all.some((r) => r.uuid === w.uuid)) ? want.map((w) => all.find((r) => r.uuid === w.uuid)!) : undefined;
  }, 'all four records');
  assert.equal(got.map(withoutReceive), want);
  assert.match(got[0].receive!.peer, /^127\.0\.0\.1:\d+$/);
  assert.is(got[2].receive!.peer, socketPath);
});

test('other programs\' syslog on the same port: counted and dropped, OGRT records unaffected', async () => {
  const port = await freePort();
  server = await startOgrtServer({ dir, port });
  const r = makeRecord();
  const lines = [
    '<13>1 2026-11-24T21:40:08Z web01 nginx 811 - - GET /',
    '<30>Nov 24 21:40:08 web01 sshd[99]: Accepted publickey for alice',
    encodeRecord(r)[0].toString('latin1'),
    '<13>1 - - - - - [x@1 a="b"]',
  ];
  await sendTcp(port, Buffer.from(lines.join('\n') + '\n', 'latin1'));
  await waitFor(() => server!.records().some((x) => x.uuid === r.uuid), 'the OGRT record');
  const m = server.running.metrics;
  await waitFor(() => m.value('component_discarded_events_total', { reason: 'not_ogrt', component_id: 'relay' }) === 3, '3 dropped');
  assert.is(m.value('component_errors_total'), 0);
  assert.equal(server.records().map((x) => x.uuid), [r.uuid]);
});

test.run();
