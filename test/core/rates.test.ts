import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ewma, Meter, RateTracker, TICK_MS } from '../../src/core/rates.ts';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);

test('the first tick starts the average at the instant rate (events / 5 s)', () => {
  const e = new Ewma(1);
  e.tick(500);
  close(e.rate(), 100, 'rate after one tick');
});

test('each tick moves the average toward the instant rate by 1 - e^(-5 s / window)', () => {
  const e = new Ewma(5);
  e.tick(50); // 10/s
  e.tick(0); // instant 0
  close(e.rate(), 10 * Math.exp(-5 / 300), 'after a quiet tick');
  e.tick(100); // instant 20/s
  const before = 10 * Math.exp(-5 / 300);
  close(e.rate(), before + (1 - Math.exp(-5 / 300)) * (20 - before), 'after a busy tick');
});

test('after a minute of silence the 1m rate fell to 1/e of its value, the 15m rate barely moved', () => {
  const m = new Meter();
  m.tick(1000); // 200/s
  for (let i = 0; i < 12; i++) m.tick(0); // 12 × 5 s = 60 s
  const r = m.rates();
  close(r['1m'], 200 * Math.exp(-1), '1m');
  close(r['5m'], 200 * Math.exp(-1 / 5), '5m');
  close(r['15m'], 200 * Math.exp(-1 / 15), '15m');
});

test('a steady stream converges on its rate in every window', () => {
  const m = new Meter();
  for (let i = 0; i < 1000; i++) m.tick(35); // 7/s
  const r = m.rates();
  close(r['1m'], 7, '1m');
  close(r['5m'], 7, '5m');
  assert.ok(Math.abs(r['15m'] - 7) < 1e-6);
});

test('RateTracker feeds counter increases; a counter that went back to a lower value counts from 0', () => {
  let counter = 100;
  const t = new RateTracker({ timer: false });
  t.track('out', () => counter);
  t.track('out', () => 1e9); // second registration is ignored
  counter += 25;
  t.tick();
  close(t.rates('out')['1m'], 25 / (TICK_MS / 1000), 'first tick');
  counter = 10; // the source restarted
  t.tick();
  const after = 5 + (1 - Math.exp(-5 / 60)) * (2 - 5);
  close(t.rates('out')['1m'], after, 'after a reset');
  assert.equal(t.rates('unknown'), { '1m': 0, '5m': 0, '15m': 0 });
  t.stop();
});

test.run();
