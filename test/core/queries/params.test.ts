import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OgrtError } from '../../../src/core/errors.ts';
import { microsToIso, parseAffectedJobs, parseCensus, parseJobStory, parseTime } from '../../../src/core/queries/params.ts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

function invalid(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
    assert.unreachable('must fail');
  } catch (err) {
    assert.instance(err, OgrtError);
    assert.is((err as OgrtError).code, 'OGRT_ERR_QUERY_INVALID');
    assert.match((err as OgrtError).message, pattern);
  }
}

test('affected jobs: exactly one of signature or library; the signature is lower-cased', () => {
  const q = parseAffectedJobs({ signature: ' B73C604D-C2E9-4057-AE31-586AA5EE29E3 ' });
  assert.equal(q, { signature: 'b73c604d-c2e9-4057-ae31-586aa5ee29e3', library: undefined, fromUs: undefined, toUs: undefined, limit: 1000 });
  invalid(() => parseAffectedJobs({}), /exactly one of signature or library/);
  invalid(() => parseAffectedJobs({ signature: 'b73c604d-c2e9-4057-ae31-586aa5ee29e3', library: '*' }), /exactly one/);
  invalid(() => parseAffectedJobs({ signature: 'not-a-uuid' }), /signature: "not-a-uuid" is not a uuid/);
  invalid(() => parseAffectedJobs({ library: 'lib\\' }), /lone/);
});

test('times: ISO dates and date-times (UTC unless an offset is given), or a time ago', () => {
  assert.is(parseTime('2026-11-24', 'from'), Date.UTC(2026, 10, 24) * 1000);
  assert.is(parseTime('2026-11-24T21:40', 'from'), Date.UTC(2026, 10, 24, 21, 40) * 1000);
  assert.is(parseTime('2026-11-24T21:40:08.123456Z', 'from'), Date.UTC(2026, 10, 24, 21, 40, 8) * 1000 + 123456);
  assert.is(parseTime('2026-11-24T23:40:08+02:00', 'from'), Date.UTC(2026, 10, 24, 21, 40, 8) * 1000);
  assert.is(parseTime('24h', 'from', NOW), (NOW - 86_400_000) * 1000);
  assert.is(parseTime('7d', 'from', NOW), (NOW - 7 * 86_400_000) * 1000);
  assert.is(parseTime('90m', 'from', NOW), (NOW - 90 * 60_000) * 1000);
  invalid(() => parseTime('yesterday', 'from'), /from: "yesterday" is neither/);
  invalid(() => parseTime('2026-13-45', 'to'), /to: "2026-13-45" is not a valid/);
});

test('from must be before to; limits are bounded whole numbers', () => {
  invalid(() => parseCensus({ from: '2026-11-02', to: '2026-11-01' }), /from must be before to/);
  assert.equal(parseCensus({ limit: '5', from: '2026-11-01' }), { fromUs: Date.UTC(2026, 10, 1) * 1000, toUs: undefined, limit: 5, sort: 'runs' });
  assert.is(parseCensus({}).limit, 20);
  invalid(() => parseCensus({ limit: '0' }), /limit: must be a whole number from 1 to 1000/);
  invalid(() => parseCensus({ limit: '1e3' }), /limit/);
  invalid(() => parseCensus({ limit: '1001' }), /limit/);
});

test('census sort: runs (default), users or jobs, any case; anything else is refused', () => {
  assert.equal(['', 'runs', 'Users', ' jobs '].map((sort) => parseCensus({ sort }).sort), ['runs', 'runs', 'users', 'jobs']);
  invalid(() => parseCensus({ sort: 'hosts' }), /sort: must be one of runs, users, jobs \(got "hosts"\)/);
});

test('job story: a non-empty job id of at most 255 characters', () => {
  assert.equal(parseJobStory('4711.batch', {}), { jobId: '4711.batch', limit: 1000 });
  invalid(() => parseJobStory('  ', {}), /job id is empty/);
  invalid(() => parseJobStory('x'.repeat(256), {}), /longer than 255/);
});

test('microsToIso keeps exactly six fractional digits, also before 1970', () => {
  assert.is(microsToIso(Date.UTC(2026, 10, 24, 21, 40, 8) * 1000 + 123456), '2026-11-24T21:40:08.123456Z');
  assert.is(microsToIso(0), '1970-01-01T00:00:00.000000Z');
  assert.is(microsToIso(-1), '1969-12-31T23:59:59.999999Z');
});

test.run();
