import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogLimiter } from '../../src/core/ingest/log-limiter.ts';
import { fakeContext } from '../helpers/fake-context.ts';

test('at most `burst` lines per kind and interval, then a line that says how many were suppressed', () => {
  const fake = fakeContext();
  let now = 1_000;
  const limiter = new LogLimiter(fake.ctx.log, 10_000, 3, () => now);
  for (let i = 0; i < 50; i++) limiter.warn('frame_too_large', { i }, 'frame too large');
  limiter.warn('not_ogrt', {}, 'not ogrt'); // another kind has its own budget
  assert.is(fake.logs.length, 4);
  assert.equal(fake.logs[0].obj, { i: 0, kind: 'frame_too_large' });
  now += 9_999;
  limiter.warn('frame_too_large', { i: 50 }, 'frame too large');
  assert.is(fake.logs.length, 4, 'still inside the interval');
  now += 1;
  limiter.warn('frame_too_large', { i: 51 }, 'frame too large');
  assert.is(fake.logs.length, 5);
  assert.is(fake.logs[4].msg, 'frame too large (suppressed 48 similar messages)');
  assert.equal(fake.logs[4].obj, { i: 51, kind: 'frame_too_large', suppressed: 48 });
});

test('summarize(): reports suppressed lines even when no new line comes, once', () => {
  const fake = fakeContext();
  const limiter = new LogLimiter(fake.ctx.log, 10_000, 1, () => 0);
  limiter.warn('socket_error', {}, 'socket error');
  limiter.warn('socket_error', {}, 'socket error');
  limiter.warn('socket_error', {}, 'socket error');
  limiter.summarize();
  limiter.summarize(); // nothing new: no second summary
  assert.equal(fake.logs.map((l) => l.msg), ['socket error', 'suppressed 2 similar messages (socket_error)']);
});

test('stop(): ends the periodic summaries and reports what is left', () => {
  const fake = fakeContext();
  const limiter = new LogLimiter(fake.ctx.log, 10_000, 1, () => 0);
  limiter.startSummaries();
  limiter.warn('a', {}, 'A');
  limiter.warn('a', {}, 'A');
  limiter.stop();
  assert.equal(fake.logs.map((l) => l.msg), ['A', 'suppressed 1 similar messages (a)']);
});

test.run();
