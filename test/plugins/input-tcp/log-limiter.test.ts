import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogLimiter } from '../../../plugins/input-tcp/log-limiter.ts';
import { parseListen, formatAddress } from '../../../plugins/input-tcp/config.ts';
import { fakeContext } from '../../helpers/fake-context.ts';

test('LogLimiter: at most `burst` lines per kind and interval, then a line that says how many were suppressed', () => {
  const fake = fakeContext();
  let now = 1_000;
  const limiter = new LogLimiter(fake.ctx.log, 10_000, 3, () => now);
  for (let i = 0; i < 50; i++) limiter.warn('frame_too_large', { i }, 'frame too large');
  limiter.warn('not_ogrt', {}, 'not ogrt'); // another kind has its own budget
  assert.is(fake.logs.length, 4);
  now += 10_000;
  limiter.warn('frame_too_large', { i: 50 }, 'frame too large');
  assert.is(fake.logs.length, 5);
  assert.is(fake.logs[4].msg, 'frame too large (suppressed 47 similar messages)');
  assert.is((fake.logs[4].obj as { suppressed: number }).suppressed, 47);
});

test('LogLimiter.summarize(): reports suppressed lines even when no new line comes', () => {
  const fake = fakeContext();
  const limiter = new LogLimiter(fake.ctx.log, 10_000, 1, () => 0);
  limiter.warn('socket_error', {}, 'socket error');
  limiter.warn('socket_error', {}, 'socket error');
  limiter.warn('socket_error', {}, 'socket error');
  limiter.summarize();
  limiter.summarize(); // nothing new: no second summary
  assert.equal(fake.logs.map((l) => l.msg), ['socket error', 'suppressed 2 similar messages (socket_error)']);
});

test('parseListen: IPv4, IPv6 in brackets, host names; refuses the rest', () => {
  assert.equal(parseListen('127.0.0.1:7971'), { host: '127.0.0.1', port: 7971 });
  assert.equal(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.equal(parseListen('localhost:514'), { host: 'localhost', port: 514 });
  for (const bad of ['7971', '::1:7971', '127.0.0.1:', '127.0.0.1:65536', '[::1]', 'a:b']) assert.throws(() => parseListen(bad), /listen/, bad);
});

test('formatAddress: brackets for IPv6, IPv4-mapped shown as IPv4', () => {
  assert.is(formatAddress('10.0.0.1', 5), '10.0.0.1:5');
  assert.is(formatAddress('::1', 5), '[::1]:5');
  assert.is(formatAddress('::ffff:10.0.0.1', 5), '10.0.0.1:5');
  assert.is(formatAddress(undefined, undefined), 'unknown');
});

test.run();
