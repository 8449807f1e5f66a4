/**
 * Aggregation relays: compute node rsyslog (deploy/rsyslog/ogrt-forward.conf)
 * → relay rsyslog (deploy/rsyslog/ogrt-relay.conf) → ogrt-server. And a
 * failover: the parts of one split record reach the server over two
 * different relays and still make one complete record.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OgrtRecord } from '../../src/core/plugin-api.ts';
import { encodeRecord, frameOctetCounted } from '../../src/core/wire.ts';
import { freePort, startForwardNode, startOgrtServer, startRelay, waitFor, type OgrtServer, type Rsyslog } from '../helpers/rsyslog.ts';
import { sendDatagrams } from '../helpers/unix-dgram.ts';
import { makeRecord, makeSplitRecord, withoutReceive } from '../plugins/input-syslog/harness.ts';

const test = suite('rsyslog relays');
let dir: string;
let server: OgrtServer;
const daemons: Rsyslog[] = [];
let relayA: Rsyslog;
let relayB: Rsyslog;
let node: Rsyslog;

function byUuid(uuids: readonly string[]): OgrtRecord[] | undefined {
  const want = new Set(uuids);
  const got = server.records().filter((r) => want.has(r.uuid));
  return got.length === want.size ? uuids.map((u) => got.find((r) => r.uuid === u)!) : undefined;
}

function sendTcp(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-relay-'));
  const port = await freePort();
  server = await startOgrtServer({ dir: path.join(dir, 'server'), port });
  relayA = await startRelay({ dir: path.join(dir, 'relay-a'), serverPort: port, listenPort: await freePort() });
  daemons.push(relayA);
  relayB = await startRelay({ dir: path.join(dir, 'relay-b'), serverPort: port, listenPort: await freePort() });
  daemons.push(relayB);
  node = await startForwardNode({ dir: path.join(dir, 'node'), serverPort: relayA.listenPort! });
  daemons.push(node);
});

test.after(async () => {
  for (const d of daemons.reverse()) await d.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('node rsyslog → relay rsyslog → ogrt-server: records complete, split ones reassembled', async () => {
  const records = [makeRecord(), makeSplitRecord(3), makeRecord({ cmdline: 'x "y" ] \\ ü' })];
  await sendDatagrams(node.socketPath!, records.flatMap((r) => encodeRecord(r)));
  const got = await waitFor(() => byUuid(records.map((r) => r.uuid)), 'records through node and relay');
  assert.equal(got.map(withoutReceive), records);
  // The relay forwards the node's header: the node's HOSTNAME, the node rsyslog's receive time.
  assert.is(got[0].receive!.relay_hostname, 'node042');
  assert.match(got[0].receive!.relay_time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
});

test('failover: parts of one record over two relays become one complete record', async () => {
  const r = makeSplitRecord(4);
  const parts = encodeRecord(r);
  assert.ok(parts.length >= 4);
  // As a node's omfwd sends them (octet counting), alternating between the relays.
  await sendTcp(relayA.listenPort!, frameOctetCounted(parts.filter((_, i) => i % 2 === 0)));
  await sendTcp(relayB.listenPort!, frameOctetCounted(parts.filter((_, i) => i % 2 === 1)));
  const [got] = await waitFor(() => byUuid([r.uuid]), 'the record from both relays');
  assert.equal(withoutReceive(got), r);
  assert.not.ok(got.incomplete);
});

test.run();
