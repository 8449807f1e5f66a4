// Reassembler (docs/protocol.md §5) with an injected clock: no real waiting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { OgrtRecord } from '../../src/core/record.ts';
import { Reassembler, assemble, decodeMessage, encodeRecord, type WirePart } from '../../src/core/wire.ts';
import { DEFAULT_MAX_PENDING_BYTES, type IncompleteReason } from '../../src/core/reassembly.ts';

function uuidOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A record of `n` parts at M = 4096 (60 env vars of ~150 bytes per part). */
function split(id: number, n: number): { record: OgrtRecord; parts: WirePart[] } {
  const record: OgrtRecord = {
    uuid: uuidOf(id), kind: 'process', time: '2026-11-24T21:40:08.123456Z', hostname: 'node042', pid: 1000 + id,
    cmdline: `job ${id}`, shared_objects: [], loaded_modules: [],
    environment_variables: Array.from({ length: n === 1 ? 1 : 20 * n }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(180) })),
  };
  const parts = encodeRecord(record, { maxMessageSize: 4096 }).map((m) => decodeMessage(m));
  // fewer env vars until the count is exact, to keep the helper honest
  while (parts.length > n) {
    record.environment_variables.pop();
    parts.splice(0, parts.length, ...encodeRecord(record, { maxMessageSize: 4096 }).map((m) => decodeMessage(m)));
  }
  assert.is(parts.length, n, `record ${id} has ${parts.length} parts, wanted ${n}`);
  return { record, parts };
}

function setup(opts: { timeoutMs?: number; maxPending?: number; maxPendingBytes?: number } = {}) {
  let clock = 1000;
  const expired: OgrtRecord[] = [];
  /** The reason of each onExpired call, once per record it delivered. */
  const reasons: IncompleteReason[] = [];
  const r = new Reassembler({
    timeoutMs: opts.timeoutMs ?? 30000,
    maxPending: opts.maxPending,
    maxPendingBytes: opts.maxPendingBytes,
    onExpired: (records, reason) => {
      expired.push(...records);
      for (const _ of records) reasons.push(reason);
    },
    now: () => clock,
  });
  return { r, expired, reasons, advance: (ms: number) => { clock += ms; } };
}

const sizeOf = (parts: WirePart[]): number => parts.reduce((n, p) => n + p.size, 0);

test('a single-part record is returned at once, nothing pending', () => {
  const { r } = setup();
  const { record, parts } = split(1, 1);
  assert.equal(r.add(parts[0]), record);
  assert.is(r.stats.pending, 0);
  r.close();
});

test('out-of-order parts: the record comes with the last one', () => {
  const { r } = setup();
  const { record, parts } = split(2, 4);
  assert.is(r.add(parts[3]), undefined);
  assert.is(r.add(parts[1]), undefined);
  assert.is(r.add(parts[0]), undefined);
  assert.is(r.stats.pending, 1);
  assert.equal(r.add(parts[2]), record);
  assert.is(r.stats.pending, 0);
  r.close();
});

test('duplicates are ignored and counted', () => {
  const { r } = setup();
  const { record, parts } = split(3, 3);
  r.add(parts[0]);
  assert.is(r.add(parts[0]), undefined);
  r.add(parts[1]);
  assert.is(r.add(parts[1]), undefined);
  assert.equal(r.add(parts[2]), record);
  assert.is(r.stats.duplicates, 2);
  r.close();
});

test('a part repeated after its record completed is a duplicate, not a new incomplete record', () => {
  const { r, expired, advance } = setup({ timeoutMs: 30000 });
  const { record, parts } = split(17, 2);
  r.add(parts[0]);
  assert.equal(r.add(parts[1]), record);
  assert.is(r.add(parts[1]), undefined);
  assert.is(r.stats.duplicates, 1);
  assert.is(r.stats.pending, 0);
  advance(60000);
  r.sweep();
  assert.is(expired.length, 0);
  // once the timeout has passed, the uuid is forgotten (memory stays bounded)
  r.add(parts[0]);
  assert.is(r.stats.pending, 1);
  r.close();
});

test('interleaved records from several connections complete independently', () => {
  const { r } = setup();
  const a = split(4, 3), b = split(5, 2), c = split(6, 3);
  const done: OgrtRecord[] = [];
  const feed = [a.parts[2], b.parts[1], c.parts[0], a.parts[0], c.parts[2], b.parts[0], a.parts[1], c.parts[1]];
  for (const p of feed) {
    const rec = r.add(p);
    if (rec) done.push(rec);
  }
  assert.equal(done, [b.record, a.record, c.record]);
  assert.is(r.stats.pending, 0);
  r.close();
});

test('timeout: a record missing parts is delivered incomplete with missing_parts and counted', () => {
  const { r, expired, reasons, advance } = setup({ timeoutMs: 30000 });
  const a = split(7, 4), b = split(8, 2);
  r.add(a.parts[0]);
  r.add(a.parts[2]);
  advance(20000);
  r.add(b.parts[1]);
  advance(9999);
  r.sweep();
  assert.is(expired.length, 0, 'not yet: 29.999 s');
  advance(1);
  r.sweep();
  assert.is(expired.length, 1);
  assert.equal(expired[0], assemble([a.parts[0], a.parts[2]], [2, 4]));
  assert.is(expired[0].incomplete, true);
  assert.equal(expired[0].missing_parts, [2, 4]);
  assert.is(expired[0].cmdline, 'job 7');
  assert.is(r.stats.expired, 1);
  assert.is(r.stats.pending, 1);
  assert.equal(reasons, ['timeout']);
  // add() sweeps too, so a busy input needs no timer to expire records
  advance(20000);
  r.add(split(9, 1).parts[0]);
  assert.is(expired.length, 2);
  assert.equal(expired[1].missing_parts, [1]);
  assert.is(expired[1].pid, 1008, 'pid from PROCID without part 1');
  // a late part of an expired record starts a new pending entry (later delivered incomplete again)
  r.add(a.parts[1]);
  assert.is(r.stats.pending, 1);
  assert.equal(r.close().map((x) => x.missing_parts), [[1, 3, 4]]);
});

test('maxPending: the oldest pending record is delivered incomplete, never dropped', () => {
  const { r, expired, reasons, advance } = setup({ maxPending: 2 });
  const recs = [split(10, 2), split(11, 2), split(12, 2)];
  r.add(recs[0].parts[0]);
  advance(1);
  r.add(recs[1].parts[1]);
  advance(1);
  r.add(recs[2].parts[0]);
  assert.is(expired.length, 1);
  assert.is(expired[0].uuid, recs[0].record.uuid);
  assert.equal(expired[0].missing_parts, [2]);
  assert.is(r.stats.evicted, 1);
  assert.is(r.stats.evictedForBytes, 0);
  assert.equal(reasons, ['max_pending']);
  assert.is(r.stats.pending, 2);
  assert.equal(r.add(recs[1].parts[0]), recs[1].record);
  r.close();
});

test('pendingBytes: the wire bytes of the parts held, released when a record completes, expires or is closed', () => {
  const { r, advance } = setup({ timeoutMs: 1000 });
  const a = split(30, 3), b = split(31, 2), c = split(32, 2);
  assert.is(r.stats.pendingBytes, 0);
  r.add(a.parts[0]);
  r.add(a.parts[2]);
  r.add(b.parts[0]);
  assert.is(r.stats.pendingBytes, sizeOf([a.parts[0], a.parts[2], b.parts[0]]));
  assert.is(r.pendingBytes, r.stats.pendingBytes);
  r.add(a.parts[0]); // a duplicate holds nothing more
  r.add({ ...b.parts[1], parts: 3 }); // nor a conflicting part
  assert.is(r.pendingBytes, sizeOf([a.parts[0], a.parts[2], b.parts[0]]));
  assert.equal(r.add(a.parts[1]), a.record);
  assert.is(r.pendingBytes, b.parts[0].size);
  advance(500);
  r.add(c.parts[1]);
  advance(500);
  r.sweep(); // b expires, c stays
  assert.is(r.pendingBytes, c.parts[1].size);
  r.close();
  assert.is(r.pendingBytes, 0);
  assert.is(r.stats.pending, 0);
});

test('maxPendingBytes: the oldest records are delivered incomplete; the bytes held never exceed the cap after add()', () => {
  const recs = Array.from({ length: 12 }, (_, i) => split(40 + i, 3));
  const partSize = Math.max(...recs.flatMap((x) => x.parts.map((p) => p.size)));
  const cap = 5 * partSize; // room for two records' first two parts, not three
  const { r, expired, reasons, advance } = setup({ maxPendingBytes: cap });
  let peak = 0;
  for (const x of recs) {
    for (const p of x.parts.slice(0, 2)) {
      assert.is(r.add(p), undefined);
      assert.ok(r.stats.pendingBytes <= cap, `${r.stats.pendingBytes} bytes held, cap ${cap}`);
      peak = Math.max(peak, r.stats.pendingBytes);
    }
    advance(1);
  }
  assert.ok(peak > cap / 2, 'the cap was approached');
  // Nothing lost: every record is either delivered incomplete or still pending, oldest delivered first.
  assert.ok(expired.length >= 9, `${expired.length} evicted`);
  assert.is(expired.length + r.stats.pending, recs.length);
  assert.equal(expired.map((x) => x.uuid), recs.slice(0, expired.length).map((x) => x.record.uuid));
  for (const x of expired) {
    assert.is(x.incomplete, true);
    assert.equal(x.missing_parts, [3]);
  }
  assert.equal(expired[0], assemble(recs[0].parts.slice(0, 2), [3]));
  assert.is(r.stats.evictedForBytes, expired.length);
  assert.is(r.stats.evicted, 0);
  assert.is(r.stats.expired, 0);
  assert.ok(reasons.every((x) => x === 'max_bytes'));
  // The newest record was kept and still completes.
  const last = recs[recs.length - 1];
  assert.equal(r.add(last.parts[2]), last.record);
  r.close();
});

test('maxPendingBytes: a record larger than the cap on its own goes out incomplete at once', () => {
  const big = split(60, 4);
  const { r, expired, reasons } = setup({ maxPendingBytes: sizeOf(big.parts.slice(0, 2)) });
  r.add(big.parts[0]);
  r.add(big.parts[1]);
  assert.is(expired.length, 0, 'exactly at the cap');
  assert.is(r.add(big.parts[2]), undefined);
  assert.is(expired.length, 1);
  assert.equal(expired[0].missing_parts, [4]);
  assert.equal(reasons, ['max_bytes']);
  assert.is(r.stats.pending, 0);
  assert.is(r.stats.pendingBytes, 0);
  r.close();
});

test('a record announcing 99999 parts holds the parts it sent, not 99999 slots', () => {
  const { r } = setup();
  const template = split(61, 2).parts[1];
  const records = 100; // 99999 array slots each would be 80 MB
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < records; i++) r.add({ ...template, uuid: uuidOf(100_000 + i), part: 99999, parts: 99999 });
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 20 * 1024 * 1024, `heap grew ${grown} bytes for ${records} pending parts`);
  assert.is(r.stats.pendingBytes, records * template.size);
  const out = r.close();
  assert.is(out.length, records);
  assert.is(out[0].missing_parts!.length, 99998);
  assert.is(out[0].missing_parts![99997], 99998);
});

test('conflicting parts (another parts count or kind for the same uuid) are ignored and counted', () => {
  const { r } = setup();
  const a = split(13, 3);
  r.add(a.parts[0]);
  assert.is(r.add({ ...a.parts[1], parts: 4 }), undefined);
  assert.is(r.add({ ...a.parts[1], kind: 'exit' }), undefined);
  assert.is(r.stats.conflicts, 2);
  r.add(a.parts[1]);
  assert.equal(r.add(a.parts[2]), a.record);
  r.close();
});

test('close() delivers everything pending as incomplete and stops', () => {
  const { r, expired } = setup();
  const a = split(14, 3), b = split(15, 2);
  r.add(a.parts[1]);
  r.add(b.parts[0]);
  const out = r.close();
  assert.equal(out.map((x) => [x.uuid, x.missing_parts]), [[a.record.uuid, [1, 3]], [b.record.uuid, [2]]]);
  assert.is(expired.length, 0, 'close() returns them instead of calling onExpired');
  assert.is(r.stats.pending, 0);
  assert.equal(r.close(), []);
});

test('the real interval timer expires records (short timeout, polled with a deadline)', async () => {
  const expired: OgrtRecord[] = [];
  const r = new Reassembler({ timeoutMs: 40, onExpired: (records) => expired.push(...records) });
  r.add(split(16, 2).parts[0]);
  const deadline = Date.now() + 5000;
  while (expired.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  assert.is(expired.length, 1);
  assert.equal(expired[0].missing_parts, [2]);
  r.close();
});

test('options are checked', () => {
  assert.throws(() => new Reassembler({ timeoutMs: 0, onExpired: () => {} }));
  assert.throws(() => new Reassembler({ timeoutMs: 10, maxPending: 0, onExpired: () => {} }));
  assert.throws(() => new Reassembler({ timeoutMs: 10, maxPendingBytes: 0, onExpired: () => {} }));
  assert.throws(() => new Reassembler({ timeoutMs: 10, maxPendingBytes: 1.5, onExpired: () => {} }));
  assert.is(DEFAULT_MAX_PENDING_BYTES, 64 * 1024 * 1024);
});

test.run();
