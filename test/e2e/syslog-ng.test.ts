/**
 * syslog-ng instead of rsyslog on the node: messages on the OGRT socket →
 * syslog-ng running deploy/syslog-ng/ogrt-forward.conf (unix-dgram with
 * flags(syslog-protocol), syslog() destination: RFC 5424, octet counting,
 * frac-digits(6)) → ogrt-server → output-file.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { OgrtRecord } from '../../src/core/plugin-api.ts';
import { encodeRecord } from '../../src/core/wire.ts';
import { LIBOGRT, freePort, runTracedTrue, startOgrtServer, waitFor, type OgrtServer } from '../helpers/rsyslog.ts';
import { startSyslogNgForward, type SyslogNg } from '../helpers/syslog-ng.ts';
import { sendDatagrams } from '../helpers/unix-dgram.ts';
import { makeRecord, makeSplitRecord, withoutReceive } from '../plugins/input-syslog/harness.ts';

const test = suite('syslog-ng forward node');
let dir: string;
let server: OgrtServer;
let node: SyslogNg;

async function through(records: OgrtRecord[]): Promise<OgrtRecord[]> {
  await sendDatagrams(node.socketPath!, records.flatMap((r) => encodeRecord(r)));
  const want = new Set(records.map((r) => r.uuid));
  return waitFor(() => {
    const got = server.records().filter((r) => want.has(r.uuid));
    return got.length === want.size ? records.map((r) => got.find((g) => g.uuid === r.uuid)!) : undefined;
  }, `${records.length} record(s) through syslog-ng`);
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-syslog-ng-'));
  const port = await freePort();
  server = await startOgrtServer({ dir: path.join(dir, 'server'), port });
  node = await startSyslogNgForward({ dir: path.join(dir, 'node'), serverPort: port });
  await through([makeRecord({ hostname: 'ogrt-probe' })]);
});

test.after(async () => {
  await node?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('records, split records and hostile values arrive unchanged', async () => {
  const records = [
    makeRecord(),
    makeSplitRecord(3),
    makeRecord({ cmdline: 'a "q" ] \\ \\] ü 日本 \udcff', environment_variables: [{ name: 'X', value: '"]\\' }] }),
  ];
  const got = await through(records);
  assert.equal(got.map(withoutReceive), records);
});

test('header rewritten by syslog-ng goes to receive; the record keeps its own hostname and time', async () => {
  const r = makeRecord({ hostname: 'node042', time: '2026-11-24T21:40:08.000001Z' });
  const [got] = await through([r]);
  assert.is(got.hostname, 'node042');
  assert.is(got.time, '2026-11-24T21:40:08.000001Z');
  // keep-hostname(no), the default: syslog-ng writes its own host name into HOSTNAME ...
  assert.is(got.receive!.relay_hostname, hostname());
  // ... and keeps the sender's TIMESTAMP, with microseconds thanks to frac-digits(6) (else "…08+00:00").
  assert.is(got.receive!.relay_time, '2026-11-24T21:40:08.000001+00:00');
});

test('a real program under libogrt.so arrives complete through syslog-ng', async () => {
  const args = ['via', 'syslog-ng', 'a "q" ] \\ ü'];
  const pid = await runTracedTrue(node.socketPath!, args, { OGRT_ENV_VARS: 'OMP_NUM_THREADS', OMP_NUM_THREADS: '8' });
  const r = await waitFor(() => server.records().find((x) => x.pid === pid && x.hostname === hostname()), `the record of pid ${pid}`);
  assert.is(r.cmdline, ['/bin/true', ...args].join(' '));
  assert.is(r.job_id, '4711');
  assert.equal(r.environment_variables, [{ name: 'OMP_NUM_THREADS', value: '8' }]);
  assert.ok(r.shared_objects.some((so) => so.path === LIBOGRT));
  assert.not.ok(r.incomplete);
});

test.run();
