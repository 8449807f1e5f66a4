/**
 * rsyslog, for real: messages on the node's OGRT socket → rsyslogd running
 * deploy/rsyslog/ogrt-forward.conf (imuxsock, RFC 5424 parser, omfwd TCP
 * octet-counted, RSYSLOG_SyslogProtocol23Format) → ogrt-server input-syslog →
 * output-file. What arrives must be exactly the records that were sent.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { OgrtRecord } from '../../src/core/plugin-api.ts';
import { encodeRecord } from '../../src/core/wire.ts';
import {
  LIBOGRT, freePort, runTracedTrue, startForwardNode, startOgrtServer, waitFor, type OgrtServer, type Rsyslog,
} from '../helpers/rsyslog.ts';
import { sendDatagrams } from '../helpers/unix-dgram.ts';
import { makeRecord, makeSplitRecord, withoutReceive } from '../plugins/input-syslog/harness.ts';

const test = suite('rsyslog forward node');
let dir: string;
let server: OgrtServer;
let node: Rsyslog;

function byUuid(records: OgrtRecord[], uuids: readonly string[]): OgrtRecord[] | undefined {
  const want = new Set(uuids);
  const got = records.filter((r) => want.has(r.uuid));
  return got.length === want.size ? uuids.map((u) => got.find((r) => r.uuid === u)!) : undefined;
}

async function through(records: OgrtRecord[]): Promise<OgrtRecord[]> {
  await sendDatagrams(node.socketPath!, records.flatMap((r) => encodeRecord(r)));
  return waitFor(() => byUuid(server.records(), records.map((r) => r.uuid)), `${records.length} record(s) through rsyslog`);
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-rsyslog-'));
  chmodSync(dir, 0o755); // like /run/ogrt (deploy/rsyslog/tmpfiles-ogrt.conf): every user reaches the socket
  const port = await freePort();
  server = await startOgrtServer({ dir: path.join(dir, 'server'), port });
  node = await startForwardNode({ dir: path.join(dir, 'node'), serverPort: port });
  // Ready when a probe has gone all the way through.
  await through([makeRecord({ hostname: 'ogrt-probe' })]);
});

test.after(async () => {
  await node?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('records arrive complete and unchanged; rsyslog\'s header goes to receive', async () => {
  const records = [makeRecord(), makeRecord({ kind: 'exit', process_uuid: makeRecord().uuid, exit_status: 137, wall_time_us: 1234567, max_rss_kb: 20480 })];
  const got = await through(records);
  assert.equal(got.map(withoutReceive), records);
  const rec = got[0].receive!;
  assert.is(rec.input, 'relay');
  assert.match(rec.peer, /^127\.0\.0\.1:\d+$/);
  assert.is(rec.relay_hostname, 'node042');
  // imuxsock stamps its receive time (RFC 3339, microseconds) over the sender's TIMESTAMP; the record keeps its own.
  assert.match(rec.relay_time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
  assert.is.not(rec.relay_time, records[0].time);
  assert.is(got[0].time, records[0].time);
});

test('records that must be split (up to 8096-byte messages) are reassembled', async () => {
  const records = [makeSplitRecord(2), makeSplitRecord(4)];
  for (const r of records) assert.ok(encodeRecord(r).length >= 2);
  assert.ok(encodeRecord(records[1]).some((m) => m.length > 8000), 'a message near the 8096-byte limit');
  const got = await through(records);
  assert.equal(got.map(withoutReceive), records);
  assert.not.ok(got.some((r) => r.incomplete));
});

test('hostile values: quotes, ], backslashes, non-ASCII, control characters and invalid UTF-8 survive', async () => {
  const nasty = 'a "quoted" ] bracket \\ back\\slash \\] ü 日本 🚀 tab\there %41 ';
  const invalid = 'caf\udce9 \udcff'; // bytes 0xE9 and 0xFF that are not UTF-8
  const r = makeRecord({
    hostname: 'nöde-ü',
    username: 'o"brien]',
    binpath: `/opt/${invalid}/bin/x`,
    cmdline: nasty + 'newline\nend',
    shared_objects: [{ path: `/lib/${nasty}.so` }, { path: `/lib/${invalid}.so`, signature: '0b9c7e4a-1d2e-4f3a-8b5c-6d7e8f9a0b1c' }],
    loaded_modules: [{ name: 'gcc/12"]\\' }],
    environment_variables: [{ name: 'WEIRD', value: `=${nasty}=` }, { name: 'RAW', value: invalid }],
  });
  const [got] = await through([r]);
  assert.equal(withoutReceive(got), r);
});

function recordOfPid(pid: number, kind = 'process'): OgrtRecord | undefined {
  return server.records().find((r) => r.pid === pid && r.kind === kind && r.hostname === hostname());
}

test('a real program under libogrt.so arrives complete, hostile values included', async () => {
  const args = ['plain', 'a "quoted" arg', 'bracket]', 'back\\slash', '\\]', 'ünïcödé 日本 🚀'];
  const pid = await runTracedTrue(node.socketPath!, args, { OGRT_ENV_VARS: 'HOSTILE:OMP_NUM_THREADS', OMP_NUM_THREADS: '4', USER: 'o"brien]' }, `HOSTILE="$(printf 'caf\\351 "]\\\\ \\377')" `);
  const r = await waitFor(() => recordOfPid(pid), `the record of pid ${pid}`);
  assert.is(r.kind, 'process');
  assert.is(r.binpath, realpathSync('/bin/true'));
  assert.is(r.cmdline, ['/bin/true', ...args].join(' '));
  assert.is(r.job_id, '4711');
  assert.is(r.parent_pid, process.pid);
  assert.is(r.uid, process.getuid!());
  assert.is(r.username, 'o"brien]');
  assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  // Bytes 0xE9 and 0xFF are not UTF-8: they arrive as U+DCE9 and U+DCFF (surrogateescape).
  assert.equal(r.environment_variables, [{ name: 'HOSTILE', value: 'caf\udce9 "]\\ \udcff' }, { name: 'OMP_NUM_THREADS', value: '4' }]);
  const paths = r.shared_objects.map((so) => so.path);
  assert.ok(paths.includes(LIBOGRT), `libogrt.so among ${paths.join(', ')}`);
  assert.ok(paths.some((p) => /\/libc\.so\.6$/.test(p)), 'libc among the shared objects');
  assert.not.ok(r.incomplete);
  assert.is(r.truncated, undefined);
  assert.is(r.receive!.relay_hostname, hostname());
});

test('a job of an unprivileged user can write to the socket rsyslog created', async () => {
  // setpriv drops to nobody and then execs /bin/true; libogrt.so runs as nobody.
  const pid = await runTracedTrue(node.socketPath!, ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/true', 'as-nobody'], {}, '', '/usr/bin/setpriv');
  // setpriv itself is traced too (as root, same pid); the program it became is the one that matters.
  const r = await waitFor(() => server.records().find((x) => x.pid === pid && x.cmdline === '/bin/true as-nobody'), `nobody's record (pid ${pid})`);
  assert.is(r.uid, 65534);
});

test('a real program whose record must be split is reassembled complete', async () => {
  const env: Record<string, string> = { OGRT_MAX_MESSAGE_SIZE: '4096' };
  const names: string[] = [];
  for (let i = 0; i < 12; i++) {
    names.push(`BIG_${i}`);
    env[`BIG_${i}`] = `${i}:` + 'v'.repeat(900);
  }
  env.OGRT_ENV_VARS = names.join(':');
  const pid = await runTracedTrue(node.socketPath!, ['split'], env);
  const r = await waitFor(() => recordOfPid(pid), `the split record of pid ${pid}`);
  assert.equal(r.environment_variables, names.map((name) => ({ name, value: env[name] })));
  assert.not.ok(r.incomplete);
  // The C and TypeScript encoders write the same bytes: this record took several messages.
  assert.ok(encodeRecord(withoutReceive(r), { maxMessageSize: 4096 }).length >= 3);
});

test('exit records (OGRT_EXIT_RECORD=1) carry the process record\'s uuid and the exit status', async () => {
  const pid = await runTracedTrue(node.socketPath!, ['exit'], { OGRT_EXIT_RECORD: '1' });
  const p = await waitFor(() => recordOfPid(pid), 'the process record');
  const e = await waitFor(() => recordOfPid(pid, 'exit'), 'the exit record');
  assert.is(e.process_uuid, p.uuid);
  assert.is(e.exit_status, 0);
  assert.type(e.wall_time_us, 'number');
});

test.run();
