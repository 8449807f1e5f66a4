import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { crc32Fallback, ENTRY_HEADER_SIZE, SEGMENT_HEADER_SIZE } from '../../src/core/disk-buffer-format.ts';
import { readBufferDir } from '../../src/core/disk-buffer-store.ts';
import { makeRecords } from '../helpers/records.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { settle, track, waitFor } from '../helpers/wait.ts';
import { deliverAll, openQueue, smallFileSystem, stop, uuids } from './disk-buffer-harness.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

let root = '';
let dir = '';
test.before.each(async () => {
  root = await tempDir('ogrt-disk-recovery-');
  dir = path.join(root, 'buffer');
});
test.after.each(async () => {
  await removeDir(root);
});

/** Writes `chunks` through a queue and stops it cleanly; returns the records. */
async function fill(chunks: number, per: number, segmentMaxBytes = 4 * 1024): Promise<OgrtRecord[]> {
  const { q } = await openQueue(dir, { segmentMaxBytes });
  const all: OgrtRecord[] = [];
  for (let i = 0; i < chunks; i++) {
    const records = makeRecords(per);
    all.push(...records);
    await q.offer(records, per * 100);
  }
  await stop(q);
  return all;
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort().map((n) => path.join(dir, n));
}

/** File offsets of the entries of a segment. */
async function entryOffsets(file: string): Promise<number[]> {
  const data = await readFile(file);
  const out: number[] = [];
  for (let at = SEGMENT_HEADER_SIZE; at + ENTRY_HEADER_SIZE <= data.length; at += ENTRY_HEADER_SIZE + data.readUInt32LE(at + 8)) out.push(at);
  return out;
}

test('crc32: the table-driven fallback equals zlib.crc32', () => {
  const zcrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  for (const n of [0, 1, 7, 64, 1000, 65537]) {
    const data = randomBytes(n);
    if (zcrc !== undefined) assert.is(crc32Fallback(data), zcrc(data), `length ${n}`);
  }
  assert.is(crc32Fallback(Buffer.from('123456789')), 0xcbf43926, 'the standard check value');
});

test('torn tail (crash mid-write): the good prefix is delivered, the damage counted and logged once, nothing counted lost', async () => {
  const records = await fill(4, 10);
  const [last] = (await segmentFiles()).slice(-1);
  const { size } = await stat(last);
  await truncate(last, size - 37);
  const { q, counts, logs } = await openQueue(dir);
  const delivered = await deliverAll(q);
  assert.equal(uuids(delivered), uuids(records.slice(0, 39)));
  const reports = logs.withCode('OGRT_ERR_BUFFER_CORRUPT');
  assert.is(reports.length, 1, 'logged once');
  assert.is(reports[0].records_lost, 0, 'a torn entry was never acknowledged to an input');
  assert.match(String(reports[0].reason), 'torn entry');
  assert.ok(counts.corruptBytes > 0 && counts.corruptBytes < 2000, `damaged bytes counted: ${counts.corruptBytes}`);
  // New records after the repair get fresh seqs, after the damaged file.
  const more = makeRecords(3);
  await q.offer(more, 300);
  assert.equal(uuids(await deliverAll(q)), uuids(more));
  await stop(q);
  assert.is(logs.withCode('OGRT_ERR_BUFFER_CORRUPT').length, 1, 'not logged again');
});

test('corruption in the middle of a segment: that record is skipped, the ones after it are delivered; bytes and the lost record are counted', async () => {
  const records = await fill(6, 10);
  const files = await segmentFiles();
  assert.ok(files.length >= 3, `several segments (${files.length})`);
  const victim = files[1];
  const offsets = await entryOffsets(victim);
  const data = await readFile(victim);
  // Flip one payload byte of the second entry of the second segment.
  data[offsets[1] + ENTRY_HEADER_SIZE + 5] ^= 0x20;
  await writeFile(victim, data);
  const firstSeq = Number(path.basename(victim, '.seg'));
  const { q, counts, logs } = await openQueue(dir);
  const delivered = await deliverAll(q);
  const lostIndex = firstSeq + 1;
  assert.equal(uuids(delivered), uuids(records.filter((_, i) => i !== lostIndex)));
  assert.is(counts.lost.buffer_corrupt, 1);
  const reports = logs.withCode('OGRT_ERR_BUFFER_CORRUPT');
  assert.is(reports.length, 1);
  assert.is(reports[0].records_lost, 1);
  assert.is(reports[0].offset, offsets[1]);
  assert.is(reports[0].bytes, offsets[2] - offsets[1]);
  assert.is(counts.corruptBytes, offsets[2] - offsets[1]);
  assert.match(String(reports[0].reason), 'checksum mismatch');
  await stop(q);
});

test('a damaged length field and a damaged segment header: found by checksum and magic, every good entry still delivered', async () => {
  const records = await fill(5, 10);
  const files = await segmentFiles();
  const header = await readFile(files[0]);
  header.write('XXXX', 0, 'latin1');
  await writeFile(files[0], header);
  const second = await readFile(files[1]);
  const offsets = await entryOffsets(files[1]);
  second.writeUInt32LE(0x7fffffff, offsets[3] + 8);
  await writeFile(files[1], second);
  const { q, counts, logs } = await openQueue(dir);
  const delivered = await deliverAll(q);
  const secondFirst = Number(path.basename(files[1], '.seg'));
  assert.equal(uuids(delivered), uuids(records.filter((_, i) => i !== secondFirst + 3)));
  assert.is(counts.lost.buffer_corrupt, 1);
  assert.equal(logs.withCode('OGRT_ERR_BUFFER_CORRUPT').map((l) => l.reason), ['bad segment header', 'entry length 2147483647 out of range']);
  await stop(q);
});

test('a segment file removed by hand: the gap is reported as lost records, the rest delivered', async () => {
  const records = await fill(5, 10);
  const files = await segmentFiles();
  await rm(files[1]);
  const gapStart = Number(path.basename(files[1], '.seg'));
  const gapEnd = Number(path.basename(files[2], '.seg'));
  const { q, counts, logs } = await openQueue(dir);
  const delivered = await deliverAll(q);
  assert.equal(uuids(delivered), uuids([...records.slice(0, gapStart), ...records.slice(gapEnd)]));
  assert.is(counts.lost.buffer_corrupt, gapEnd - gapStart);
  assert.is(logs.withCode('OGRT_ERR_BUFFER_CORRUPT')[0].records_lost, gapEnd - gapStart);
  await stop(q);
});

test('a damaged ack file: records are delivered again from the oldest (warned), never skipped', async () => {
  const records = await fill(2, 5);
  let { q } = await openQueue(dir);
  await waitFor(() => q.readyEvents >= 4);
  const t = q.take(4, Number.MAX_SAFE_INTEGER)!;
  q.release(4, t.bytes, t.seqs);
  await stop(q);
  assert.is((await readBufferDir(dir)).ackFloor, 4);
  await appendFile(path.join(dir, 'ack'), 'junk');
  const ack = await readFile(path.join(dir, 'ack'));
  ack[9] ^= 1;
  await writeFile(path.join(dir, 'ack'), ack);
  let logs;
  ({ q, logs } = await openQueue(dir));
  assert.equal(uuids(await deliverAll(q)), uuids(records));
  assert.is(logs.matching(/ack file damaged/).length, 1);
  await stop(q);
});

test('one directory, one owner: a second queue in this process and a live other process are refused; a stale lock is taken over', async () => {
  const a = await openQueue(dir);
  const b = await openQueue(dir);
  assert.is(b.q.opened, false);
  assert.is(b.logs.withCode('OGRT_ERR_BUFFER_LOCKED').length, 1);
  b.q.close();
  await b.q.shutdown(100);
  await stop(a.q);

  await writeFile(path.join(dir, 'lock'), `${process.ppid}\n`);
  const c = await openQueue(dir);
  assert.is(c.q.opened, false, 'the parent process is alive');
  assert.match(c.logs.withCode('OGRT_ERR_BUFFER_LOCKED')[0].msg as string, `in use by process ${process.ppid}`);
  c.q.close();
  await c.q.shutdown(100);

  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => gone.on('exit', resolve));
  await writeFile(path.join(dir, 'lock'), `${gone.pid}\n`);
  const d = await openQueue(dir);
  assert.is(d.q.opened, true, 'a dead process does not hold the buffer');
  await stop(d.q);
});

test('buffer path unusable at start: clear error, offers wait (no crash); once it is a directory, everything is written and delivered', async () => {
  await mkdir(root, { recursive: true });
  await writeFile(dir, 'not a directory');
  const { q, counts, logs } = await openQueue(dir);
  assert.is(q.opened, false);
  const open = logs.withCode('OGRT_ERR_BUFFER_OPEN');
  assert.is(open.length, 1);
  assert.match(open[0].msg as string, dir);
  assert.ok(counts.errors.buffer_open_failed >= 1);
  const records = makeRecords(10);
  const waiting = track(q.offer(records, 1000)!);
  await settle();
  assert.is(waiting.settled, false, 'backpressure: the offer waits');
  await rm(dir);
  await waitFor(() => waiting.settled, 5000, 'the offer to go through once the directory can be created');
  assert.is(logs.withCode('OGRT_ERR_BUFFER_OPEN').length, 1, 'the retries are not logged again');
  assert.equal(uuids(await deliverAll(q)), uuids(records));
  await stop(q);
});

for (const segmentMaxBytes of [16 * 1024, 4 * 1024 * 1024]) test(`disk full (ENOSPC; without permission to mount a small tmpfs: the directory replaced by a file), ${segmentMaxBytes / 1024} KiB segments: offers wait, one error, recovery once space is freed`, async () => {
  const small = await smallFileSystem(root, 192);
  if (small !== undefined) dir = path.join(small.dir, 'buffer');
  try {
    const { q, counts, logs } = await openQueue(dir, { segmentMaxBytes, limits: { maxEvents: 1_000_000, maxBytes: 1 << 30, whenFull: 'block' } });
    const records: OgrtRecord[] = [];
    let stalled: ReturnType<typeof track> | undefined;
    const moved = `${dir}.away`;
    if (small === undefined) {
      await rename(dir, moved);
      await writeFile(dir, 'in the way');
    }
    for (let i = 0; i < 400 && stalled === undefined; i++) {
      const chunk = makeRecords(10, { cmdline: 'z'.repeat(400) });
      records.push(...chunk);
      const t = track(q.offer(chunk, 5000)!);
      await waitFor(() => t.settled || q.writeLoop.failing, 5000);
      if (!t.settled) stalled = t;
    }
    assert.ok(stalled !== undefined, 'writes failed at some point');
    const failures = logs.withCode('OGRT_ERR_BUFFER_WRITE');
    assert.is(failures.length, 1, 'logged once, not per retry');
    assert.match(failures[0].msg as string, small !== undefined ? 'ENOSPC' : /ENOTDIR|EEXIST|ENOENT/);
    assert.match(failures[0].msg as string, 'inputs wait');
    await waitFor(() => (counts.errors.buffer_write_failed ?? 0) >= 2, 3000, 'retries');
    assert.is(stalled!.settled, false, 'still waiting while the disk is full');
    if (small === undefined) {
      await rm(dir);
      await rename(moved, dir);
    }
    // Delivering and acknowledging frees whole segments (or the directory is back): the write goes through.
    const delivered = await deliverAll(q, 50, 10_000);
    await stalled!.promise;
    assert.equal(uuids(delivered), uuids(records));
    assert.is(logs.matching(/writable again/).length, 1);
    await stop(q);
  } finally {
    await small?.unmount();
  }
});

test('drop_newest while writes fail: the records that cannot be written are dropped for this output and counted; offers never wait', async () => {
  const { q, counts, logs } = await openQueue(dir, { segmentMaxBytes: 2048, limits: { maxEvents: 1000, maxBytes: 1 << 30, whenFull: 'drop_newest' } });
  await q.offer(makeRecords(10), 1000);
  await rename(dir, `${dir}.away`);
  await writeFile(dir, 'in the way');
  const offered = makeRecords(10);
  await q.offer(offered, 1000);
  assert.is(counts.lost.buffer_write_failed, 10);
  assert.is(q.offer(makeRecords(5), 500), undefined, 'dropped at once while failing');
  assert.is(counts.lost.buffer_write_failed, 15);
  assert.is(logs.withCode('OGRT_ERR_BUFFER_WRITE').length, 1);
  assert.match(logs.withCode('OGRT_ERR_BUFFER_WRITE')[0].msg as string, 'dropped for this output');
  await rm(dir);
  await rename(`${dir}.away`, dir);
  const later = makeRecords(3);
  await waitFor(async () => {
    await q.offer(later.slice(0, 1), 100);
    return !q.writeLoop.failing;
  }, 5000, 'writes to work again');
  assert.is(q.heldEvents >= 11, true);
  await stop(q);
});

test.run();
