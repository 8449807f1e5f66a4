/**
 * output-splunk with the real splunk-logging request machinery against the
 * fake HEC: batch format, token from env and file (never logged), busy and
 * refused tokens → retry, index/data errors → reject, answers that are not
 * HEC's → retry, connection refused → retry, indexer acknowledgement, abort
 * at shutdown, TLS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import plugin from '../../../plugins/output-splunk/index.ts';
import { DEFAULT_HEC_TOKEN, FakeHec } from '../../fakes/splunk-hec-server.ts';
import { TEST_TLS } from '../../fakes/elasticsearch-server.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, options, reasonOf, rejectedOf, retryOf, waitFor, type TestContext } from '../output-elasticsearch/helpers.ts';
import { settle, track } from '../../helpers/wait.ts';
import type { OutputInstance } from '../../../src/core/plugin-api.ts';

const ENV = 'OGRT_TEST_HEC_TOKEN';
let hec: FakeHec;
let dir: string;
const outputs: OutputInstance[] = [];
let consoleLines: string[] = [];
const realConsoleLog = console.log;

test.before.each(async () => {
  hec = await FakeHec.start();
  dir = await mkdtemp(path.join(tmpdir(), 'ogrt-hec-'));
  process.env[ENV] = DEFAULT_HEC_TOKEN;
  consoleLines = [];
  // splunk-logging's default error handler prints to the console: catch any line.
  console.log = (...args: unknown[]) => void consoleLines.push(args.map(String).join(' '));
});

test.after.each(async () => {
  console.log = realConsoleLog;
  for (const o of outputs.splice(0)) await o.stop?.();
  await hec.stop();
  await rm(dir, { recursive: true, force: true });
  delete process.env[ENV];
});

function start(given: Record<string, unknown>, tc: TestContext = makeContext('splunk', dir)): OutputInstance {
  const out = createOutput(plugin, tc, { url: hec.url, token_env: ENV, ...given });
  outputs.push(out);
  return out;
}

test('a batch is one POST of concatenated event objects with microsecond time, host from the record', async () => {
  const out = start({ index: 'ogrt' });
  await out.start!();
  const records = makeRecords(3);
  records[1].hostname = 'node099';
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  const posts = hec.requests.filter((r) => r.path === '/services/collector/event');
  assert.is(posts.length, 1);
  assert.is(posts[0].headers.authorization, `Splunk ${DEFAULT_HEC_TOKEN}`);
  const events = hec.events().map((e) => e.raw);
  assert.is(events.length, 3);
  assert.equal(events.map((e) => e.event.uuid), records.map((r) => r.uuid));
  assert.is(events[1].host, 'node099');
  assert.is(events[0].sourcetype, 'ogrt:process');
  assert.is(events[0].source, 'ogrt');
  assert.is(events[0].index, 'ogrt');
  // Microseconds survive: compare with the record's own digits.
  for (let i = 0; i < 3; i++) {
    const micro = records[i].time.slice(20, 26);
    const raw = posts[0].body.split('{"time":')[i + 1].split(',')[0];
    assert.ok(raw.endsWith(`.${micro}`), `${raw} keeps .${micro}`);
  }
});

test('token from a file; a refused token is a retry with one clear error and a count per refusal, re-read before each try, never logged', async () => {
  const tokenFile = path.join(dir, 'hec.token');
  await writeFile(tokenFile, 'ffffffff-0000-4000-8000-00000000dead\n');
  const tc = makeContext('splunk', dir);
  const out = createOutput(plugin, tc, { url: hec.url, token_file: 'hec.token' });
  outputs.push(out);
  const records = makeRecords(2);
  const r1 = await out.send(batchOf(records));
  const r2 = await out.send(batchOf(records, 2));
  assert.is(r1.status, 'retry');
  assert.match(reasonOf(r1), /HEC 403 code 4: Invalid token/);
  assert.is(r2.status, 'retry');
  const errors = tc.logs.filter((l) => l.level === 'error');
  assert.is(errors.length, 1, 'logged once');
  assert.match(errors[0].msg!, /hec\.token/);
  assert.is((errors[0].obj as { error_type?: string }).error_type, 'auth');
  assert.is(tc.metrics.filter((m) => m.name === 'component_errors_total' && m.labels?.error_type === 'auth').length, 2, 'each refusal counted');
  await writeFile(tokenFile, `${DEFAULT_HEC_TOKEN}\n`);
  assert.equal(await out.send(batchOf(records, 3)), { status: 'ok' });
  assert.is(hec.events().length, 2);
  assert.is(tc.logs.filter((l) => /HEC accepts events again/.test(l.msg ?? '')).length, 1, 'the end of the problem is logged once');
  const everything = tc.logText() + consoleLines.join('\n');
  assert.not.match(everything, /ffffffff-0000-4000-8000-00000000dead/);
  assert.not.match(everything, new RegExp(DEFAULT_HEC_TOKEN));
  assert.equal(consoleLines, []);
});

test('token from env; busy 503 code 9 → retry (no console noise), then ok', async () => {
  const tc = makeContext('splunk', dir);
  const out = start({}, tc);
  hec.busyNext(2);
  const records = makeRecords(4);
  const d = await deliver(out, records);
  assert.equal(d.results.map((r) => r.status), ['retry', 'retry', 'ok']);
  assert.match(reasonOf(d.results[0]), /HEC 503 code 9: Server is busy/);
  assert.is(hec.events().length, 4);
  assert.equal(consoleLines, []);
  assert.is(tc.logs.filter((l) => l.level === 'warn').length, 1, 'busy logged once');
  assert.not.match(tc.logText(), new RegExp(DEFAULT_HEC_TOKEN));
});

test('every token code (1 disabled, 2 required, 3 invalid authorization, 4 invalid) and a bare 401 are retries, reported once', async () => {
  const tc = makeContext('splunk', dir);
  const out = start({}, tc);
  const answers: [number, unknown][] = [
    [403, { text: 'Token disabled', code: 1 }],
    [401, { text: 'Token is required', code: 2 }],
    [401, { text: 'Invalid authorization', code: 3 }],
    [403, { text: 'Invalid token', code: 4 }],
    [401, { text: 'Unauthorized' }],
  ];
  for (const [status, body] of answers) {
    hec.failNext(1, status, body);
    const r = await out.send(batchOf(makeRecords(1)));
    assert.is(r.status, 'retry', JSON.stringify(body));
  }
  assert.is(tc.logs.filter((l) => l.level === 'error').length, 1);
  assert.equal(await out.send(batchOf(makeRecords(1))), { status: 'ok' });
});

test('a bad-event code without invalid-event-number (not HEC\'s own answer) retries the whole batch instead of blaming event 0', async () => {
  const tc = makeContext('splunk', dir);
  const out = start({}, tc);
  hec.failNext(2, 400, { text: 'Invalid data format', code: 6 });
  const records = makeRecords(3);
  const d = await deliver(out, records);
  assert.equal(d.results.map((r) => r.status), ['retry', 'retry', 'ok']);
  assert.equal(d.rejected, []);
  assert.is(hec.events().length, 3);
  assert.is(tc.logs.filter((l) => l.level === 'error' && /without invalid-event-number/.test(l.msg ?? '')).length, 1);
});

test('a 4xx page that is not JSON (a proxy) is a retry with one error line, not a reject', async () => {
  const tc = makeContext('splunk', dir);
  const out = start({}, tc);
  hec.failNext(2, 400, '<html><body>Bad Request</body></html>');
  const d = await deliver(out, makeRecords(2));
  assert.equal(d.results.map((r) => r.status), ['retry', 'retry', 'ok']);
  assert.match(reasonOf(d.results[0]), /HEC 400: <html>/);
  assert.is(tc.logs.filter((l) => l.level === 'error').length, 1);
});

test('413 for a batch is halved; one event alone that is too large is rejected, not retried forever', async () => {
  const out = start({});
  hec.failNext(3, 413, '<html><body><h1>413 Request Entity Too Large</h1></body></html>');
  const r = await out.send(batchOf(makeRecords(2)));
  assert.is(r.status, 'reject');
  assert.match(reasonOf(r), /event larger than HEC accepts/);
  assert.is(hec.requests.filter((x) => x.path === '/services/collector/event').length, 3);
});

test('ctx.signal aborted (shutdown deadline): a request stuck in a slow HEC ends at once as a retry', async () => {
  const tc = makeContext('splunk', dir);
  const out = start({}, tc);
  hec.holdEvents();
  const pending = track(out.send(batchOf(makeRecords(2))));
  await waitFor(() => hec.heldRequests === 1, 5000, 'the request held by HEC');
  await settle();
  assert.is(pending.settled, false);
  tc.abort.abort();
  // Well before timeout_ms (30 s): the abort ended it, not a timer; HEC still holds the request.
  await waitFor(() => pending.settled, 2000, 'the send to end after the abort');
  assert.is((await pending.promise).status, 'retry');
  assert.is(hec.heldRequests, 1);
});

test('defaults: one request plus the ack wait fit in the core\'s default send_timeout_ms (60000)', () => {
  const defaults = options(plugin.options, { token_env: ENV });
  assert.ok(defaults.timeout_ms + defaults.ack_timeout_ms < 60_000, `${defaults.timeout_ms} + ${defaults.ack_timeout_ms}`);
});

test('other 5xx → retry; 400 with an unknown reason → reject', async () => {
  const out = start({});
  hec.failNext(1, 500);
  assert.is((await out.send(batchOf(makeRecords(1)))).status, 'retry');
  hec.failNext(1, 400, { text: 'Something else', code: 99 });
  assert.is((await out.send(batchOf(makeRecords(1)))).status, 'reject');
});

test('incorrect index (code 7): the batch is rejected, nothing indexed', async () => {
  const out = start({ index: 'secret' });
  const r = await out.send(batchOf(makeRecords(3)));
  assert.is(r.status, 'reject');
  assert.match(reasonOf(r), /HEC 400 code 7: Incorrect index/);
  assert.is(hec.events().length, 0);
});

test('code 7 at event N: events before N count as stored, N and the rest are rejected', async () => {
  const out = start({});
  hec.failNext(1, 400, { text: 'Incorrect index', code: 7, 'invalid-event-number': 1 });
  const r = await out.send(batchOf(makeRecords(3)));
  assert.is(r.status, 'partial');
  assert.is(retryOf(r), undefined);
  assert.equal(rejectedOf(r)!.map((x) => x.index), [1, 2]);
});

test('a record whose time cannot be read is sent without time (HEC stamps it), not lost', async () => {
  const out = start({});
  const records = makeRecords(2);
  records[1].time = 'not-a-time';
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  const raw = hec.events().map((e) => e.raw);
  assert.is(raw.length, 2);
  assert.is(raw[1].time, undefined);
  assert.is(raw[1].event.uuid, records[1].uuid);
});

test('HEC stops at a bad event: partial with the right indexes', async () => {
  const out = start({});
  const records = makeRecords(5);
  hec.failNext(1, 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 2 });
  const r = await out.send(batchOf(records));
  assert.is(r.status, 'partial');
  assert.equal(retryOf(r), [3, 4]);
  assert.equal(rejectedOf(r)!.map((x) => x.index), [2]);
  assert.match(rejectedOf(r)![0].reason, /code 13: Event field cannot be blank/);
});

test('connection refused → retry; once HEC is back → ok', async () => {
  const tc = makeContext('splunk', dir);
  const out = start({}, tc);
  await hec.stop();
  await out.start!(); // health check fails, start still resolves
  assert.ok(tc.logs.some((l) => l.level === 'warn' && /unreachable at start/.test(l.msg ?? '')));
  const records = makeRecords(3);
  const d = await deliver(out, records, 5, async () => {
    await hec.restart();
  });
  assert.is(d.results[0].status, 'retry');
  assert.match(reasonOf(d.results[0]), /ECONNREFUSED/);
  assert.equal(d.results[1], { status: 'ok' });
  assert.equal(hec.events().map((e) => e.raw.event.uuid), records.map((r) => r.uuid));
});

test('use_ack: ok only once HEC acknowledges; an ack that never comes → retry', async () => {
  await hec.stop();
  const ackToken = '11111111-2222-4333-8444-555555555555';
  hec = await FakeHec.start({ ackTokens: [ackToken] });
  process.env[ENV] = ackToken;
  const out = start({ use_ack: true, ack_poll_ms: 20, ack_timeout_ms: 400 });
  hec.holdAcks = true;
  const pending = out.send(batchOf(makeRecords(2)));
  await waitFor(() => hec.requests.filter((r) => r.path === '/services/collector/ack').length >= 2, 5000, 'ack polls');
  const waiting = track(pending);
  await settle();
  assert.is(waiting.settled, false, 'not ok before the ack');
  hec.holdAcks = false;
  assert.equal(await pending, { status: 'ok' });
  const ackPost = hec.requests.find((r) => r.path === '/services/collector/ack')!;
  assert.equal(JSON.parse(ackPost.body), { acks: [0] });
  assert.match(String(ackPost.headers['x-splunk-request-channel']), /^[0-9a-f-]{36}$/);

  hec.holdAcks = true;
  const r = await out.send(batchOf(makeRecords(1)));
  assert.is(r.status, 'retry');
  assert.match(reasonOf(r), /did not acknowledge ackId 1/);
});

test('https: ca_file trusts HEC; default tls_verify refuses an unknown CA (retry)', async () => {
  await hec.stop();
  hec = await FakeHec.start({ tls: TEST_TLS });
  await writeFile(path.join(dir, 'ca.pem'), TEST_TLS.cert);
  const trusted = start({ ca_file: 'ca.pem' });
  assert.equal(await trusted.send(batchOf(makeRecords(1))), { status: 'ok' });
  const untrusted = start({});
  const r = await untrusted.send(batchOf(makeRecords(1)));
  assert.is(r.status, 'retry');
  assert.match(reasonOf(r), /self.signed|certificate/i);
  assert.is(hec.events().length, 1);
});

test.run();
