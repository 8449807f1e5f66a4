import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { checkEntry, ENTRY_HEADER_SIZE, SEGMENT_HEADER_SIZE } from '../../src/core/disk-buffer-format.ts';
import { readBufferDir } from '../../src/core/disk-buffer-store.ts';
import { makeRecords } from '../helpers/records.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { settle, track, waitFor } from '../helpers/wait.ts';
import { deliverAll, openQueue, stop, uuids } from './disk-buffer-harness.ts';

let dir = '';
test.before.each(async () => {
  dir = await tempDir('ogrt-disk-buffer-');
});
test.after.each(async () => {
  await removeDir(dir);
});

/** Seqs of the valid entries in the buffer's segment files, read synchronously. */
function seqsOnDisk(bufferDir: string): number[] {
  const seqs: number[] = [];
  for (const name of readdirSync(bufferDir).filter((n) => n.endsWith('.seg')).sort()) {
    const data = readFileSync(path.join(bufferDir, name));
    for (let at = SEGMENT_HEADER_SIZE; at < data.length; ) {
      const c = checkEntry(data, at, data.length);
      if (c.kind !== 'entry') break;
      seqs.push(c.seq);
      at += c.size;
    }
  }
  return seqs;
}

test('an offer resolves only once its records are in the segment file; they are delivered in order, uuids intact', async () => {
  const { q } = await openQueue(dir);
  const records = makeRecords(30);
  let onDiskAtResolve: number[] = [];
  const wait = q.offer(records, 3000);
  assert.instance(wait, Promise, 'a disk buffer always answers with a promise: durability takes a write');
  await wait!.then(() => (onDiskAtResolve = seqsOnDisk(dir)));
  assert.equal(onDiskAtResolve, [...Array(30).keys()], 'every record was on disk when the offer resolved');
  const delivered = await deliverAll(q, 7);
  assert.equal(uuids(delivered), uuids(records));
  assert.equal(delivered[3], records[3], 'records handed over in memory are the same objects');
  await stop(q);
});

test('acknowledged segments are deleted; the ack floor survives a restart; unacknowledged records are replayed first', async () => {
  let { q, counts } = await openQueue(dir, { segmentMaxBytes: 4096 });
  const first = makeRecords(60);
  // A segment is closed once it reached its size, before the next write: six writes, several segments.
  for (let i = 0; i < 60; i += 10) await q.offer(first.slice(i, i + 10), 1000);
  const segmentsBefore = (await readdir(dir)).filter((n) => n.endsWith('.seg')).length;
  assert.ok(segmentsBefore >= 3, `several segments (${segmentsBefore})`);
  // Deliver and acknowledge 40 of 60.
  let acked = 0;
  await waitFor(() => {
    const t = q.take(40 - acked, Number.MAX_SAFE_INTEGER);
    if (t !== undefined) {
      q.release(t.records.length, t.bytes, t.seqs);
      acked += t.records.length;
    }
    return acked === 40;
  });
  await waitFor(async () => (await readdir(dir)).filter((n) => n.endsWith('.seg')).length < segmentsBefore, 2000, 'acknowledged segments deleted');
  await stop(q);
  assert.is((await readBufferDir(dir)).ackFloor, 40);

  ({ q, counts } = await openQueue(dir, { segmentMaxBytes: 4096 }));
  assert.is(q.heldEvents, 20);
  const fresh = makeRecords(5);
  await q.offer(fresh, 500);
  const delivered = await deliverAll(q);
  assert.equal(uuids(delivered), uuids([...first.slice(40), ...fresh]), 'the 20 unacknowledged first, then the new ones');
  assert.ok(counts.replayed >= 20, `replayed from disk: ${counts.replayed}`);
  await stop(q);
});

test('acks out of order: the floor moves past a contiguous prefix only; records above it come again after a restart', async () => {
  let { q } = await openQueue(dir);
  const records = makeRecords(10);
  await q.offer(records, 1000);
  const a = q.take(4, Number.MAX_SAFE_INTEGER)!;
  const b = q.take(6, Number.MAX_SAFE_INTEGER)!;
  q.release(b.records.length, b.bytes, b.seqs);
  assert.is(q.acks.floor, 0, 'the later batch alone does not move the floor');
  await stop(q);
  ({ q } = await openQueue(dir));
  const again = await deliverAll(q);
  assert.equal(uuids(again), uuids(records), 'at least once: the acknowledged-out-of-order batch is delivered again');
  assert.equal(a.seqs, [0, 1, 2, 3]);
  await stop(q);
});

test('block: over max_events an offer waits until acknowledgements make room; drop_newest drops and counts', async () => {
  const { q, counts } = await openQueue(dir, { limits: { maxEvents: 10, maxBytes: 1 << 30, whenFull: 'block' } });
  await q.offer(makeRecords(8), 800);
  const waiting = track(q.offer(makeRecords(5), 500)!);
  await settle();
  assert.is(waiting.settled, false);
  assert.is(q.heldEvents, 10);
  assert.is(q.parkedEvents, 3);
  const t = q.take(4, Number.MAX_SAFE_INTEGER)!;
  q.release(t.records.length, t.bytes, t.seqs);
  await waiting.promise;
  assert.is(q.heldEvents, 9);
  assert.is(counts.admitted, 13);
  await stop(q);

  const d = await openQueue(dir, { limits: { maxEvents: 12, maxBytes: 1 << 30, whenFull: 'drop_newest' } });
  assert.is(d.q.heldEvents, 9, 'what the first queue held is still there');
  await d.q.offer(makeRecords(5), 500);
  assert.is(d.counts.dropped, 2);
  assert.is(d.q.heldEvents, 12);
  await stop(d.q);
});

test('max_bytes caps the files: offers wait until whole acknowledged segments are deleted', async () => {
  const { q, counts } = await openQueue(dir, { limits: { maxEvents: 1_000_000, maxBytes: 40_000, whenFull: 'block' }, segmentMaxBytes: 8_000 });
  const records = makeRecords(400);
  const wait = track(q.offer(records, 40_000)!);
  await waitFor(() => counts.admitted > 0);
  await settle();
  assert.is(wait.settled, false, 'not everything fits');
  assert.ok(q.diskBytes <= 40_000 + 1000, `files within the cap (${q.diskBytes})`);
  const delivered = await deliverAll(q, 25);
  await wait.promise;
  assert.equal(uuids(delivered), uuids(records));
  await stop(q);
});

test('memory stays bounded: thousands of records on disk, at most the read-ahead window in memory', async () => {
  const { q, counts } = await openQueue(dir, { windowEvents: 20, windowBytes: 1 << 30, segmentMaxBytes: 64 * 1024 });
  const records = makeRecords(3000);
  for (let i = 0; i < 3000; i += 500) await q.offer(records.slice(i, i + 500), 50_000);
  assert.is(q.heldEvents, 3000);
  assert.ok(q.readyEvents <= 20, `window ${q.readyEvents}`);
  let maxReady = 0;
  const out: string[] = [];
  await waitFor(() => {
    maxReady = Math.max(maxReady, q.readyEvents);
    const t = q.take(10, Number.MAX_SAFE_INTEGER);
    if (t !== undefined) {
      out.push(...uuids(t.records));
      q.release(t.records.length, t.bytes, t.seqs);
    }
    return q.heldEvents === 0;
  }, 10_000);
  assert.ok(maxReady <= 20, `never more than the window in memory (${maxReady})`);
  assert.equal(out, uuids(records));
  assert.ok(counts.replayed >= 2900, `read back from the files: ${counts.replayed}`);
  await stop(q);
});

test('shutdown persists records still waiting for room (over the cap) instead of dropping them', async () => {
  let { q } = await openQueue(dir, { limits: { maxEvents: 5, maxBytes: 1 << 30, whenFull: 'block' } });
  const records = makeRecords(9);
  const waiting = track(q.offer(records, 900)!);
  await waitFor(() => q.heldEvents === 5);
  assert.is(q.parkedEvents, 4);
  assert.is(q.close(), 0, 'nothing lost');
  await q.shutdown(1000);
  assert.is(waiting.settled, true);
  ({ q } = await openQueue(dir, { limits: { maxEvents: 5, maxBytes: 1 << 30, whenFull: 'block' } }));
  assert.equal(uuids(await deliverAll(q)), uuids(records));
  await stop(q);
});

test('fsync = "interval": offers resolve once written, a sync follows within the interval', async () => {
  const { q } = await openQueue(dir, { fsync: 'interval', fsyncIntervalMs: 30 });
  await q.offer(makeRecords(10), 1000);
  assert.equal(seqsOnDisk(dir).length, 10);
  await waitFor(() => q.writer.dirty === false, 2000, 'the interval sync');
  await stop(q);
});

test('records offered after close are refused (counted), and a record larger than max_bytes is admitted into an empty buffer', async () => {
  const { q, counts } = await openQueue(dir, { limits: { maxEvents: 100, maxBytes: 200, whenFull: 'drop_newest' } });
  const big = makeRecords(1, { cmdline: 'x'.repeat(1000) });
  await q.offer(big, 1000);
  assert.is(q.heldEvents, 1);
  assert.is(q.offer(makeRecords(1), 10), undefined);
  assert.is(counts.dropped, 1);
  q.close();
  assert.is(q.offer(makeRecords(2), 10), undefined);
  assert.is(counts.refused, 2);
  await q.shutdown(1000);
  assert.equal((await readBufferDir(dir)).entries.map((e) => JSON.parse(e.payload).uuid), uuids(big));
});

test('a record bigger than the read chunk round-trips', async () => {
  let { q } = await openQueue(dir);
  const huge = makeRecords(3, { cmdline: 'y'.repeat(700 * 1024) });
  await q.offer(huge, 3 * 700 * 1024);
  await stop(q);
  ({ q } = await openQueue(dir));
  const back = await deliverAll(q);
  assert.equal(back, huge.map((r) => JSON.parse(JSON.stringify(r))));
  await stop(q);
});

test('entry layout: header, then [magic][crc][len][wire][seq][json] per record', async () => {
  const { q } = await openQueue(dir);
  const [r] = makeRecords(1);
  await q.offer([r], 321);
  const seg = readdirSync(dir).find((n) => n.endsWith('.seg'))!;
  assert.is(seg, '00000000000000000000.seg');
  const data = readFileSync(path.join(dir, seg));
  assert.is(data.toString('latin1', 0, 7), 'OGRTWAL');
  const c = checkEntry(data, SEGMENT_HEADER_SIZE, data.length);
  assert.equal(c, { kind: 'entry', seq: 0, wire: 321, size: data.length - SEGMENT_HEADER_SIZE });
  assert.equal(JSON.parse(data.toString('utf8', SEGMENT_HEADER_SIZE + ENTRY_HEADER_SIZE)), r);
  await stop(q);
});

test.run();
