/**
 * A syslog-ng aggregation relay between rsyslog nodes and the server:
 * node rsyslog (deploy/rsyslog/ogrt-forward.conf) → syslog-ng
 * (deploy/syslog-ng/ogrt-relay.conf) → ogrt-server → output-file.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OgrtRecord } from '../../src/core/plugin-api.ts';
import { encodeRecord } from '../../src/core/wire.ts';
import { freePort, startForwardNode, startOgrtServer, waitFor, type OgrtServer, type Rsyslog } from '../helpers/rsyslog.ts';
import { startSyslogNgRelay, type SyslogNg } from '../helpers/syslog-ng.ts';
import { sendDatagrams } from '../helpers/unix-dgram.ts';
import { makeRecord, makeSplitRecord, withoutReceive } from '../plugins/input-syslog/harness.ts';

const test = suite('syslog-ng relay');
let dir: string;
let server: OgrtServer;
let relay: SyslogNg;
let node: Rsyslog;

async function through(records: OgrtRecord[]): Promise<OgrtRecord[]> {
  await sendDatagrams(node.socketPath!, records.flatMap((r) => encodeRecord(r)));
  const want = new Set(records.map((r) => r.uuid));
  return waitFor(() => {
    const got = server.records().filter((r) => want.has(r.uuid));
    return got.length === want.size ? records.map((r) => got.find((g) => g.uuid === r.uuid)!) : undefined;
  }, `${records.length} record(s) through rsyslog and the syslog-ng relay`);
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-syslog-ng-relay-'));
  const port = await freePort();
  server = await startOgrtServer({ dir: path.join(dir, 'server'), port });
  const relayPort = await freePort();
  relay = await startSyslogNgRelay({ dir: path.join(dir, 'relay'), serverPort: port, listenPort: relayPort });
  node = await startForwardNode({ dir: path.join(dir, 'node'), serverPort: relayPort });
});

test.after(async () => {
  await node?.stop();
  await relay?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('records, split records and hostile values arrive unchanged; the node\'s header is forwarded', async () => {
  const records = [makeRecord(), makeSplitRecord(3), makeRecord({ cmdline: 'a "q" ] \\ \\] ü 日本 \udcff' })];
  const got = await through(records);
  assert.equal(got.map(withoutReceive), records);
  // keep-hostname(yes): the node's HOSTNAME; the node rsyslog's receive time with microseconds (frac-digits(6)).
  assert.is(got[0].receive!.relay_hostname, 'node042');
  assert.match(got[0].receive!.relay_time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
});

test.run();
