// Tests of the webhook output against a local HTTP server on 127.0.0.1.
// Run with `node --test` in this folder (needs `ogrt` importable, see README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as ogrt from 'ogrt';
import webhookOutput, { retryAfter } from '../index.mjs';

const plugin = webhookOutput(ogrt);

/** What the server gives create(): a name, a logger, metrics, a shutdown signal. */
function context() {
  const quiet = () => undefined;
  return {
    id: 'hook',
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    metrics: { increment: quiet, setGauge: quiet },
    signal: new AbortController().signal,
    configDir: process.cwd(),
  };
}

/** Options as the server passes them: the defaults filled in. */
function options(overrides) {
  return { token_env: '', timeout_ms: 2000, unhealthy_after: 3, ...overrides };
}

function record(n) {
  return {
    uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    kind: 'process',
    time: '2026-11-24T21:40:08.123456Z',
    hostname: 'node042',
    pid: 1000 + n,
    binpath: '/opt/app/bin/solver',
    shared_objects: [],
    loaded_modules: [],
    environment_variables: [],
  };
}

function batch(records) {
  return { records, bytes: 100 * records.length, attempt: 1 };
}

// The receiving end: answers each request with the next scripted reply.
let server;
let url;
let replies = [];
const requests = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method, headers: req.headers, body });
      const reply = replies.shift() ?? { status: 200 };
      if (reply.hang) return; // never answers
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/ogrt`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('the definition: an output for the current plugin API, with a closed options schema', () => {
  assert.equal(plugin.kind, 'output');
  assert.equal(plugin.apiVersion, ogrt.PLUGIN_API_VERSION);
  assert.equal(plugin.options.additionalProperties, false);
  const withoutDefault = Object.entries(plugin.options.properties).filter(([, s]) => s.default === undefined).map(([k]) => k);
  assert.deepEqual(withoutDefault, ['url'], 'url is the only key one must set');
  for (const [key, schema] of Object.entries(plugin.options.properties)) assert.ok(schema.description, `${key} is described`);
  assert.ok(Object.isFrozen(plugin));
});

test('2xx: the batch is POSTed as one JSON array, and acknowledged', async () => {
  requests.length = 0;
  replies = [{ status: 204 }];
  const out = plugin.create(context(), options({ url }));
  const records = [record(1), record(2)];
  assert.deepEqual(await out.send(batch(records)), { status: 'ok' });
  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, 'POST');
  assert.equal(requests[0].headers['content-type'], 'application/json');
  assert.equal(requests[0].headers.authorization, undefined);
  assert.deepEqual(JSON.parse(requests[0].body), records);
});

test('5xx, 408 and 429 are retried, with Retry-After when given', async () => {
  replies = [
    { status: 503, body: 'maintenance' },
    { status: 429, headers: { 'retry-after': '7' } },
    { status: 408 },
  ];
  const out = plugin.create(context(), options({ url }));
  assert.deepEqual(await out.send(batch([record(1)])), { status: 'retry', reason: `POST ${url}: HTTP 503: maintenance` });
  assert.deepEqual(await out.send(batch([record(1)])), { status: 'retry', reason: `POST ${url}: HTTP 429`, retryAfterMs: 7000 });
  assert.equal((await out.send(batch([record(1)]))).status, 'retry');
});

test('other 4xx are rejected: the receiver will never take this batch', async () => {
  replies = [{ status: 400, body: '{"error":"field pid must be a string"}' }];
  const out = plugin.create(context(), options({ url }));
  assert.deepEqual(await out.send(batch([record(1)])), { status: 'reject', reason: `POST ${url}: HTTP 400: {"error":"field pid must be a string"}` });
});

test('no answer within timeout_ms, or nobody listening: retried', async () => {
  replies = [{ hang: true }];
  const out = plugin.create(context(), options({ url, timeout_ms: 100 }));
  assert.deepEqual(await out.send(batch([record(1)])), { status: 'retry', reason: `POST ${url}: no answer within 100 ms` });

  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${closed.address().port}/`;
  await new Promise((resolve) => closed.close(resolve));
  const dead = plugin.create(context(), options({ url: deadUrl }));
  assert.deepEqual(await dead.send(batch([record(1)])), { status: 'retry', reason: `POST ${deadUrl}: ECONNREFUSED` });
});

test('token_env: the token is sent as a bearer token; a missing variable fails create()', async () => {
  requests.length = 0;
  replies = [{ status: 200 }];
  process.env.WEBHOOK_TEST_TOKEN = 's3cret';
  const out = plugin.create(context(), options({ url, token_env: 'WEBHOOK_TEST_TOKEN' }));
  assert.deepEqual(await out.send(batch([record(1)])), { status: 'ok' });
  assert.equal(requests[0].headers.authorization, 'Bearer s3cret');
  delete process.env.WEBHOOK_TEST_TOKEN;
  assert.throws(() => plugin.create(context(), options({ url, token_env: 'WEBHOOK_TEST_TOKEN' })), /WEBHOOK_TEST_TOKEN \(token_env\) is not set/);
});

test('health: unhealthy after `unhealthy_after` failures in a row, healthy again after a success', async () => {
  replies = [{ status: 500 }, { status: 500 }, { status: 200 }];
  const out = plugin.create(context(), options({ url, unhealthy_after: 2 }));
  assert.deepEqual(out.health(), { ok: true });
  await out.send(batch([record(1)]));
  assert.deepEqual(out.health(), { ok: true });
  await out.send(batch([record(1)]));
  assert.deepEqual(out.health(), { ok: false, detail: `2 POSTs in a row failed, the last: POST ${url}: HTTP 500` });
  await out.send(batch([record(1)]));
  assert.deepEqual(out.health(), { ok: true });
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.equal(retryAfter('3'), 3000);
  assert.equal(retryAfter(null), undefined);
  assert.equal(retryAfter('soon'), undefined);
  const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
  const ms = retryAfter(inTwoSeconds);
  assert.ok(ms > 0 && ms <= 2000, String(ms));
});
