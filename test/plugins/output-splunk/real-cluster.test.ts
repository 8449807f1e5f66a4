/**
 * Opt-in: the fake-HEC scenarios against a real Splunk.
 *   OGRT_TEST_SPLUNK_URL=https://splunk:8088 OGRT_TEST_SPLUNK_TOKEN=<hec token>
 *   [OGRT_TEST_SPLUNK_INDEX=main] [OGRT_TEST_SPLUNK_ACK_TOKEN=<token with indexer ack>]
 *   [OGRT_TEST_TLS_VERIFY=0 for a self-signed certificate]
 * Unset: no test is registered (nothing counts as passed); one line says so.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import plugin from '../../../plugins/output-splunk/index.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, reasonOf } from '../output-elasticsearch/helpers.ts';

const url = process.env.OGRT_TEST_SPLUNK_URL;
const verify = process.env.OGRT_TEST_TLS_VERIFY !== '0';
const index = process.env.OGRT_TEST_SPLUNK_INDEX ?? '';

if (!url || !process.env.OGRT_TEST_SPLUNK_TOKEN) {
  console.log('real-cluster splunk: not configured (set OGRT_TEST_SPLUNK_URL and OGRT_TEST_SPLUNK_TOKEN to run it)');
} else {
  const base = { url, token_env: 'OGRT_TEST_SPLUNK_TOKEN', tls_verify: verify, index };

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
    const out = createOutput(plugin, makeContext(), { ...base, index: `ogrt_no_such_index_${Date.now()}` });
    try {
      const r = await out.send(batchOf(makeRecords(2)));
      assert.is(r.status, 'reject');
      assert.match(reasonOf(r), /code 7/);
    } finally {
      await out.stop!();
    }
  });

  test('real splunk: an invalid token is rejected (code 4) and not logged', async () => {
    process.env.OGRT_TEST_SPLUNK_BAD_TOKEN = '00000000-dead-4bad-8bad-000000000000';
    const tc = makeContext();
    const out = createOutput(plugin, tc, { ...base, token_env: 'OGRT_TEST_SPLUNK_BAD_TOKEN' });
    try {
      const r = await out.send(batchOf(makeRecords(1)));
      assert.is(r.status, 'reject');
      assert.match(reasonOf(r), /code 4/);
      assert.not.match(tc.logText(), /00000000-dead-4bad-8bad-000000000000/);
    } finally {
      await out.stop!();
      delete process.env.OGRT_TEST_SPLUNK_BAD_TOKEN;
    }
  });

  if (process.env.OGRT_TEST_SPLUNK_ACK_TOKEN) {
    test('real splunk: use_ack reports ok once the indexer acknowledged', async () => {
      const out = createOutput(plugin, makeContext(), { ...base, token_env: 'OGRT_TEST_SPLUNK_ACK_TOKEN', use_ack: true, ack_poll_ms: 500, ack_timeout_ms: 50000 });
      try {
        assert.equal(await out.send(batchOf(makeRecords(5))), { status: 'ok' });
      } finally {
        await out.stop!();
      }
    });
  }
}

test.run();
