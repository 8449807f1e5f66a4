/** HEC event JSON and option checks of output-splunk (no network). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEventFormatter, hecTime } from '../../../plugins/output-splunk/format.ts';
import { OptionsSchema, resolveConfig } from '../../../plugins/output-splunk/config.ts';
import { makeRecord, options } from '../output-elasticsearch/helpers.ts';

test('time: epoch seconds with the microseconds as exact decimals', () => {
  assert.is(hecTime('2026-11-24T21:40:08.123456Z'), '1795556408.123456');
  assert.is(hecTime('1970-01-01T00:00:01.000001Z'), '1.000001');
  assert.is(hecTime('2026-11-24T21:40:08Z'), '1795556408.000000');
  assert.is(hecTime('2026-11-24 21:40:08'), undefined);
  // The decimal is exact where a float of the same value is not.
  assert.is(String(JSON.parse(`{"t":${hecTime('2026-11-24T21:40:08.000001Z')}}`).t), '1795556408.000001');
});

test('event object: time, host from the record, source, sourcetype, index, the record as event', () => {
  const r = makeRecord({ hostname: 'node7', time: '2026-11-24T21:40:08.654321Z' });
  const line = createEventFormatter({ source: 'ogrt', sourcetype: 'ogrt:process', index: 'hpc' })(r);
  assert.ok(line.startsWith('{"time":1795556408.654321,"host":"node7","source":"ogrt","sourcetype":"ogrt:process","index":"hpc","event":{'), line.slice(0, 120));
  const parsed = JSON.parse(line);
  assert.equal(parsed.event, r);
  const noIndex = JSON.parse(createEventFormatter({ source: 's', sourcetype: 't', index: '' })(r));
  assert.is('index' in noIndex, false);
});

test('options: one token source required, url checked, path defaulted', () => {
  const cfg = (given: Record<string, unknown>) => resolveConfig(options(OptionsSchema, given), process.cwd());
  process.env.OGRT_TEST_HEC_TOKEN_FMT = 'abc';
  try {
    assert.throws(() => cfg({}), /token_file or token_env is required/);
    assert.throws(() => cfg({ token_env: 'OGRT_TEST_HEC_TOKEN_FMT', token_file: 'x' }), /only one of token_file, token_env/);
    assert.throws(() => cfg({ token_env: 'OGRT_TEST_UNSET_TOKEN' }), /not set or empty/);
    assert.throws(() => cfg({ token_env: 'OGRT_TEST_HEC_TOKEN_FMT', url: 'https://x:abc@splunk:8088' }), /no credentials in the URL/);
    assert.throws(() => cfg({ token_file: '/nonexistent/hec.token' }), /cannot read \/nonexistent\/hec.token: ENOENT/);
    const c = cfg({ token_env: 'OGRT_TEST_HEC_TOKEN_FMT', url: 'https://splunk.example:8088' });
    assert.is(c.eventPath, '/services/collector/event');
    assert.is(c.port, 8088);
    assert.is(cfg({ token_env: 'OGRT_TEST_HEC_TOKEN_FMT', url: 'https://hec.example' }).port, 443);
    assert.is(cfg({ token_env: 'OGRT_TEST_HEC_TOKEN_FMT', url: 'https://hec.example/custom/path' }).eventPath, '/custom/path');
  } finally {
    delete process.env.OGRT_TEST_HEC_TOKEN_FMT;
  }
});

test.run();
