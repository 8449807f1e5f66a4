import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { OgrtRecord } from '../../src/core/record.ts';
import { OutputQueue, type QueueHooks } from '../../src/core/output-queue.ts';
import { checkSendResult } from '../../src/core/send-result.ts';
import { makeRecords } from '../helpers/records.ts';
import { settle, track } from '../helpers/wait.ts';

function hooks() {
  const counts = { admitted: 0, dropped: 0, refused: 0, events: 0, bytes: 0 };
  const h: QueueHooks = {
    admitted: (n) => (counts.admitted += n),
    dropped: (n) => (counts.dropped += n),
    refused: (n) => (counts.refused += n),
    level: (events, bytes) => {
      counts.events = events;
      counts.bytes = bytes;
    },
  };
  return { h, counts };
}

test('a chunk is spread over its records by bytes; take() respects both batch limits', () => {
  const { h } = hooks();
  const q = new OutputQueue({ maxEvents: 100, maxBytes: 10_000, whenFull: 'block' }, h);
  q.offer(makeRecords(3), 302);
  const a = q.take(10, 150)!;
  assert.equal(a.sizes, [102], 'the remainder goes to the first record; 102 + 100 > 150');
  const b = q.take(10, 1000)!;
  assert.equal(b.sizes, [100, 100]);
  assert.is(b.bytes, 200);
  assert.is(q.take(10, 1000), undefined);
  assert.is(q.heldEvents, 3, 'taken records stay held until released');
  q.release(3, 302);
  assert.is(q.heldEvents, 0);
  assert.is(q.heldBytes, 0);
});

test('block: what fits is admitted, the rest is parked in order and admitted as room appears', async () => {
  const { h, counts } = hooks();
  const q = new OutputQueue({ maxEvents: 4, maxBytes: 1_000_000, whenFull: 'block' }, h);
  const first = makeRecords(3);
  const second = makeRecords(3);
  assert.is(q.offer(first, 30), undefined);
  const p1 = track(q.offer(second, 30)!);
  const third = makeRecords(1);
  const p2 = track(q.offer(third, 10)!);
  assert.is(counts.admitted, 4);
  assert.is(q.parkedEvents, 3);
  const batch = q.take(10, 1_000_000)!;
  assert.equal((batch.records as OgrtRecord[]).map((r) => r.uuid), [...first, second[0]].map((r) => r.uuid));
  q.release(2, 20);
  await settle();
  assert.is(p1.settled, true);
  assert.is(p2.settled, false, 'the later chunk waits behind the earlier one');
  assert.is(q.heldEvents, 4);
  q.release(2, 20);
  await settle();
  assert.is(p2.settled, true);
  assert.equal((q.take(10, 1_000_000)!.records as OgrtRecord[]).map((r) => r.uuid), [second[1], second[2], third[0]].map((r) => r.uuid));
});

test('a record larger than max_bytes is admitted only into an empty queue', () => {
  const { h } = hooks();
  const q = new OutputQueue({ maxEvents: 10, maxBytes: 100, whenFull: 'drop_newest' }, h);
  assert.is(q.offer(makeRecords(1), 500), undefined);
  assert.is(q.heldBytes, 500);
  q.offer(makeRecords(1), 10);
  assert.is(q.heldEvents, 1, 'nothing more fits next to it');
});

test('close() resolves parked offers, reports them, and refuses later offers', async () => {
  const { h, counts } = hooks();
  const q = new OutputQueue({ maxEvents: 1, maxBytes: 1000, whenFull: 'block' }, h);
  q.offer(makeRecords(1), 10);
  const parked = track(q.offer(makeRecords(2), 20)!);
  assert.is(q.close(), 2);
  await settle();
  assert.is(parked.settled, true);
  assert.is(q.offer(makeRecords(3), 30), undefined);
  assert.is(counts.refused, 3);
});

test('SendResult checks', () => {
  assert.equal(checkSendResult({ status: 'ok' }, 1), { kind: 'ok' });
  assert.equal(checkSendResult({ status: 'retry' }, 1), { kind: 'retry', reason: 'no reason given' });
  assert.equal(checkSendResult({ status: 'retry', reason: 'x', retryAfterMs: -5 }, 1), { kind: 'retry', reason: 'x' });
  assert.equal(checkSendResult({ status: 'retry', reason: 'x', retryAfterMs: 50 }, 1), { kind: 'retry', reason: 'x', retryAfterMs: 50 });
  assert.equal(checkSendResult({ status: 'partial', rejected: [{ index: 1 }], reason: 'r' }, 2), {
    kind: 'partial',
    retry: [],
    rejected: [{ index: 1, reason: 'r' }],
    reason: 'r',
  });
  for (const bad of [null, 'ok', { status: 'OK' }, { status: 'partial', retry: [2] }, { status: 'partial', retry: [0], rejected: [{ index: 0 }] }, { status: 'partial', retry: [0.5] }, { status: 'partial', retry: 'all' }]) {
    const r = checkSendResult(bad, 2);
    assert.is(r.kind, 'failed', JSON.stringify(bad));
    assert.is((r as { errorType: string }).errorType, 'invalid_result');
  }
});

test.run();
