/**
 * Opt-in: the fake-HEC scenarios against a real Splunk.
 *   OGRT_TEST_SPLUNK_URL=https://splunk:8088 OGRT_TEST_SPLUNK_TOKEN=<hec token>
 *   [OGRT_TEST_SPLUNK_INDEX=main] [OGRT_TEST_SPLUNK_ACK_TOKEN=<token with indexer ack>]
 *   [OGRT_TEST_TLS_VERIFY=0 for a self-signed certificate]
 * Unset: no test is registered (nothing counts as passed); one line says so.
 *
 * Scenarios: a batch accepted and health reported; an index the token may
 * not write (code 7, rejected); an invalid token (retry, reported once, never
 * logged); HEC unreachable (a closed local port), then reachable; the whole
 * server pipeline with the sent counter of a good output and the dead-letter
 * file and counter of an output whose index is refused; use_ack.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import plugin from '../../../plugins/output-splunk/index.ts';
import { fakeInputPlugin } from '../../helpers/fake-plugins.ts';
import { freePort } from '../../helpers/ports.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { TcpForwarder, hostPort } from '../../fakes/tcp-forwarder.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, reasonOf, waitFor } from '../output-elasticsearch/helpers.ts';

const url = process.env.OGRT_TEST_SPLUNK_URL;
const verify = process.env.OGRT_TEST_TLS_VERIFY !== '0';
const index = process.env.OGRT_TEST_SPLUNK_INDEX ?? '';
const BAD_TOKEN = '00000000-dead-4bad-8bad-000000000000';

if (!url || !process.env.OGRT_TEST_SPLUNK_TOKEN) {
  console.log('real-cluster splunk: not configured (set OGRT_TEST_SPLUNK_URL and OGRT_TEST_SPLUNK_TOKEN to run it)');
} else {
  const token = process.env.OGRT_TEST_SPLUNK_TOKEN;
  const base = { url, token_env: 'OGRT_TEST_SPLUNK_TOKEN', tls_verify: verify, index };
  const noIndex = () => `ogrt_no_such_index_${Date.now()}`;

  test('real splunk: a batch is accepted; health is reported at start', async () => {
    const tc = makeContext();
    const out = createOutput(plugin, tc, base);
    try {
      await out.start!();
      assert.ok(tc.logs.some((l) => /HEC reachable/.test(l.msg ?? '')), tc.logText());
      assert.equal((await deliver(out, makeRecords(20))).results.at(-1), { status: 'ok' });
    } finally {
      await out.stop!();
    }
  });

  test('real splunk: an index the token may not write is rejected (code 7)', async () => {
    const out = createOutput(plugin, makeContext(), { ...base, index: noIndex() });
    try {
      const r = await out.send(batchOf(makeRecords(2)));
      assert.is(r.status, 'reject');
      assert.match(reasonOf(r), /code 7/);
    } finally {
      await out.stop!();
    }
  });

  test('real splunk: an invalid token is a retry (code 4), reported once, and no token is logged', async () => {
    process.env.OGRT_TEST_SPLUNK_BAD_TOKEN = BAD_TOKEN;
    const tc = makeContext();
    const out = createOutput(plugin, tc, { ...base, token_env: 'OGRT_TEST_SPLUNK_BAD_TOKEN' });
    try {
      const r1 = await out.send(batchOf(makeRecords(1)));
      const r2 = await out.send(batchOf(makeRecords(1)));
      assert.is(r1.status, 'retry');
      assert.is(r2.status, 'retry');
      assert.match(reasonOf(r1), /code 4/);
      assert.is(tc.logs.filter((l) => l.level === 'error' && (l.obj as { error_type?: string }).error_type === 'auth').length, 1);
      assert.not.ok(tc.logText().includes(BAD_TOKEN));
      assert.not.ok(tc.logText().includes(token));
    } finally {
      await out.stop!();
      delete process.env.OGRT_TEST_SPLUNK_BAD_TOKEN;
    }
  });

  test('real splunk: unreachable (a closed local port), then reachable: retry, then ok', async () => {
    const port = await freePort();
    const target = new URL(url);
    // Through 127.0.0.1 the certificate's host name cannot match: this test is about reachability, not TLS.
    const tc = makeContext();
    const out = createOutput(plugin, tc, { ...base, url: `${target.protocol}//127.0.0.1:${port}${target.pathname}`, tls_verify: target.protocol === 'https:' ? false : verify });
    let forwarder: TcpForwarder | undefined;
    try {
      await out.start!();
      assert.ok(tc.logs.some((l) => l.level === 'warn' && /unreachable at start/.test(l.msg ?? '')), tc.logText());
      const records = makeRecords(5);
      const down = await out.send(batchOf(records));
      assert.is(down.status, 'retry');
      assert.match(reasonOf(down), /ECONNREFUSED/);
      const { host, port: targetPort } = hostPort(url);
      forwarder = await TcpForwarder.open(port, host, targetPort);
      assert.equal((await deliver(out, records)).results.at(-1), { status: 'ok' });
      assert.ok(tc.logs.some((l) => /HEC accepts events again/.test(l.msg ?? '')), tc.logText());
    } finally {
      await out.stop!();
      await forwarder?.close();
    }
  });

  test('real splunk: the server pipeline: sent counter of a good output; dead-letter file and counter of one whose index is refused', async () => {
    const input = fakeInputPlugin();
    const table = (id: string, idx: string) =>
      `[outputs.${id}]\ntype = "splunk"\nurl = ${JSON.stringify(url)}\ntoken_env = "OGRT_TEST_SPLUNK_TOKEN"\ntls_verify = ${verify}\nindex = ${JSON.stringify(idx)}\n` +
      'batch = { max_events = 20, timeout_ms = 50 }\nretry = { initial_backoff_ms = 50, max_backoff_ms = 1000 }\n';
    let running: TestServer | undefined;
    try {
      running = await startTestServer(`[inputs.in]\ntype = "fake-in"\n\n${table('splunk', index)}\n${table('wrongindex', noIndex())}`, { plugins: [input.plugin, plugin] });
      const records = makeRecords(50);
      for (let i = 0; i < records.length; i += 10) await input.get('in').emit(records.slice(i, i + 10));
      const m = running.server.metrics;
      await waitFor(() => m.value('ogrt_component_sent_events_total', { component_id: 'splunk' }) === records.length, 30_000, 'all sent');
      await waitFor(() => m.value('ogrt_component_dead_lettered_events_total', { component_id: 'wrongindex', reason: 'rejected' }) === records.length, 30_000, 'all dead-lettered');
      assert.is(m.value('ogrt_component_dead_lettered_events_total', { component_id: 'splunk' }), 0);
      assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'wrongindex' }), 0);
      const text = readFileSync(path.join(running.dir, 'data', 'dead-letter', 'wrongindex.jsonl'), 'utf8');
      const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      assert.equal(lines.map((l) => l.record.uuid).sort(), records.map((r) => r.uuid).sort());
      for (const l of lines) {
        assert.is(l.output, 'wrongindex');
        assert.match(l.reason, /code 7/);
      }
      assert.not.ok(text.includes(token), 'the token in the dead-letter file');
      assert.not.ok(JSON.stringify(running.logs.lines).includes(token), 'the token in the log');
    } finally {
      await running?.close();
    }
  });

  if (process.env.OGRT_TEST_SPLUNK_ACK_TOKEN) {
    test('real splunk: use_ack reports ok once the indexer acknowledged', async () => {
      const out = createOutput(plugin, makeContext(), { ...base, token_env: 'OGRT_TEST_SPLUNK_ACK_TOKEN', use_ack: true, ack_poll_ms: 500 });
      try {
        assert.equal(await out.send(batchOf(makeRecords(5))), { status: 'ok' });
      } finally {
        await out.stop!();
      }
    });
  }
}

test.run();
