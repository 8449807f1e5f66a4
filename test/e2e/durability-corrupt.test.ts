/**
 * A disk buffer damaged by hand (a flipped byte in the middle of a segment,
 * a torn tail as a power loss leaves it): ogrt-server (the real CLI) starts,
 * delivers every good record in order, reports the damage once per damaged
 * range, and keeps serving.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ENTRY_HEADER_SIZE, SEGMENT_HEADER_SIZE } from '../../src/core/disk-buffer-format.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';
import { openQueue, stop } from '../core/disk-buffer-harness.ts';
import { connect, realisticRecords, startChild, TCP_INPUT, type ChildServer } from './durability-harness.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

let dir = '';
let child: ChildServer | undefined;
test.before.each(async () => {
  dir = await tempDir('ogrt-corrupt-');
});
test.after.each(async () => {
  if (child !== undefined && child.proc.child.exitCode === null) {
    child.proc.child.kill('SIGKILL');
    await child.proc.exited;
  }
  child = undefined;
  await removeDir(dir);
});

test('corrupted segments: the server starts, delivers the rest in order, reports the damage once; new records still flow', async () => {
  const buffer = path.join(dir, 'spool');
  // A buffer left by an earlier run whose output never acknowledged anything: 6 writes of 50, several segments.
  const { q } = await openQueue(buffer, { segmentMaxBytes: 64 * 1024 });
  const records: OgrtRecord[] = [];
  for (let i = 0; i < 6; i++) {
    const chunk = realisticRecords(50, `w${i}`);
    records.push(...chunk);
    await q.offer(chunk, 50 * 1200);
  }
  await stop(q);
  const segments = (await readdir(buffer)).filter((n) => n.endsWith('.seg')).sort();
  assert.ok(segments.length >= 3, `several segments (${segments.length})`);

  // One flipped byte inside the 10th record of the second segment.
  const second = path.join(buffer, segments[1]);
  const data = await readFile(second);
  let at = SEGMENT_HEADER_SIZE;
  for (let k = 0; k < 9; k++) at += ENTRY_HEADER_SIZE + data.readUInt32LE(at + 8);
  data[at + ENTRY_HEADER_SIZE + 40] ^= 0x01;
  await writeFile(second, data);
  const flipped = Number(segments[1].slice(0, 20)) + 9;
  // A torn tail: the last record of the newest segment cut in the middle.
  const newest = path.join(buffer, segments[segments.length - 1]);
  await truncate(newest, (await stat(newest)).size - 300);

  child = await startChild(dir, `
[inputs.direct]
type = "${TCP_INPUT}"
listen = "127.0.0.1:0"
[outputs.local]
type = "file"
path = "out.jsonl"
batch = { timeout_ms = 10 }
buffer = { type = "disk", path = "spool" }
`);
  const expected = records.filter((_, i) => i !== flipped && i !== records.length - 1);
  const out = path.join(dir, 'out.jsonl');
  const written = async (): Promise<string[]> =>
    (await readFile(out, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { uuid: string }).uuid);
  await waitFor(async () => (await written()).length >= expected.length, 15_000, 'the good records delivered', 50);
  assert.equal(await written(), expected.map((r) => r.uuid), 'every good record, in order, once');

  const reports = child.proc.logLines().filter((l) => l.code === 'OGRT_ERR_BUFFER_CORRUPT');
  assert.equal(
    reports.map((r) => [path.basename(String(r.file)), r.records_lost, r.reason]),
    [
      [segments[1], 1, 'checksum mismatch'],
      [segments[segments.length - 1], 0, 'torn entry at the end of the segment'],
    ],
  );
  console.log(`  ${reports.map((r) => r.msg).join('\n  ')}`);

  const fresh = realisticRecords(20, 'fresh');
  const sender = await connect(child.port);
  await sender.send(fresh);
  await sender.end();
  await waitFor(async () => (await written()).length === expected.length + 20, 10_000, 'new records after the damaged ones', 50);
  assert.equal((await written()).slice(-20), fresh.map((r) => r.uuid));
  assert.is(child.proc.logLines().filter((l) => l.code === 'OGRT_ERR_BUFFER_CORRUPT').length, 2, 'reported once, not again');
  child.proc.child.kill('SIGTERM');
  assert.is((await child.proc.exited).code, 0);
});

test.run();
