/**
 * The disk under a disk buffer fails, with ogrt-server as a child process
 * (the real CLI): the buffer directory is unusable at start, or the disk
 * fills up (a small tmpfs; where mounting is not permitted, the directory is
 * replaced by a file mid-run, which fails writes the same way). Expected:
 * one clear error, backpressure (the server stops reading), no crash, and
 * every record delivered once the disk works again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FakeElasticsearch } from '../fakes/elasticsearch-server.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';
import { smallFileSystem } from '../core/disk-buffer-harness.ts';
import { connect, realisticRecords, startChild, storedIds, TCP_INPUT, type ChildServer } from './durability-harness.ts';

let dir = '';
let child: ChildServer | undefined;
test.before.each(async () => {
  dir = await tempDir('ogrt-disk-');
});
test.after.each(async () => {
  if (child !== undefined && child.proc.child.exitCode === null) {
    child.proc.child.kill('SIGKILL');
    await child.proc.exited;
  }
  child = undefined;
  await removeDir(dir);
});

const INPUT = `
[inputs.direct]
type = "${TCP_INPUT}"
listen = "127.0.0.1:0"
`;

function codes(c: ChildServer, code: string): Record<string, unknown>[] {
  return c.proc.logLines().filter((l) => l.code === code);
}

async function lines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

test('buffer directory unusable at start: one clear error, the server runs and holds the input back; once fixed, everything is delivered', async () => {
  await writeFile(path.join(dir, 'spool'), 'a file where the buffer directory should be');
  child = await startChild(dir, `${INPUT}
[outputs.local]
type = "file"
path = "out.jsonl"
batch = { timeout_ms = 10 }
buffer = { type = "disk", path = "spool" }
`);
  const open = await child.proc.waitForLog((l) => l.code === 'OGRT_ERR_BUFFER_OPEN', 5000);
  assert.match(String(open.msg), `cannot open disk buffer ${path.join(dir, 'spool')}`);
  const records = realisticRecords(500);
  const sender = await connect(child.port);
  await sender.send(records);
  // Not synchronisation: a window in which the retries run (every <= 1 s) and nothing may change.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.is((await lines(path.join(dir, 'out.jsonl'))).length, 0, 'nothing accepted while the buffer cannot be opened');
  assert.is(codes(child, 'OGRT_ERR_BUFFER_OPEN').length, 1, 'retries are not logged again');
  assert.is(child.proc.child.exitCode, null, 'no crash');

  await rm(path.join(dir, 'spool'));
  await waitFor(async () => (await lines(path.join(dir, 'out.jsonl'))).length === 500, 15_000, 'everything written once the directory can be created');
  const written = (await lines(path.join(dir, 'out.jsonl'))).map((l) => (JSON.parse(l) as { uuid: string }).uuid);
  assert.equal(written, records.map((r) => r.uuid));
  assert.ok(child.proc.logLines().some((l) => l.msg === 'disk buffer opened after failures'));
  await sender.end();
  child.proc.child.kill('SIGTERM');
  assert.is((await child.proc.exited).code, 0);
});

test('disk full under a dead store: one clear error, backpressure, no crash; when the store is back, acknowledged segments free the disk and every record arrives once', async () => {
  const es = await FakeElasticsearch.start({ keepBodies: false });
  await es.stop();
  const small = await smallFileSystem(dir, 1024);
  const buffer = small !== undefined ? path.join(small.dir, 'buffer') : path.join(dir, 'buffer');
  try {
    child = await startChild(dir, `${INPUT}
[outputs.es]
type = "elasticsearch"
url = "${es.url}"
batch = { max_events = 200, timeout_ms = 10 }
retry = { initial_backoff_ms = 10, max_backoff_ms = 100 }
buffer = { type = "disk", path = "${buffer}", max_bytes = 8388608 }
`);
    // More than the 1 MiB file system plus the socket buffers between sender and server.
    const records = realisticRecords(6000);
    const sender = await connect(child.port);
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < records.length; i += 100) {
        await sender.send(records.slice(i, i + 100));
        sent = i + 100;
      }
    })();
    if (small === undefined) {
      // No tmpfs: make writes fail by putting a file where the directory was (the next segment cannot be created).
      await waitFor(() => sent >= 500, 10_000);
      await rename(buffer, `${buffer}.away`);
      await writeFile(buffer, 'in the way');
    }
    const failure = await child.proc.waitForLog((l) => l.code === 'OGRT_ERR_BUFFER_WRITE', 20_000, 'the write failure');
    assert.match(String(failure.msg), small !== undefined ? 'ENOSPC' : /ENOTDIR|EEXIST|ENOENT/);
    assert.match(String(failure.msg), 'inputs wait');
    // Backpressure: the server stops reading; once the socket buffers are full the sender stalls short of the end.
    let last = { sent, at: Date.now() };
    await waitFor(() => {
      if (sent !== last.sent) last = { sent, at: Date.now() };
      return Date.now() - last.at >= 500;
    }, 15_000, 'the sender to stall', 20);
    const stuckAt = sent;
    assert.ok(stuckAt < records.length, `the sender is held back (${stuckAt}/${records.length})`);
    assert.is(codes(child, 'OGRT_ERR_BUFFER_WRITE').length, 1, 'logged once, not per retry');
    assert.is(child.proc.child.exitCode, null, 'no crash');

    if (small === undefined) {
      await rm(buffer);
      await rename(`${buffer}.away`, buffer);
    }
    await es.restart();
    await sending;
    await sender.end();
    await waitFor(() => es.documents().length === records.length, 30_000, 'every record stored', 100);
    const ids = storedIds(es);
    assert.ok(records.every((r) => ids.get(r.uuid) === 1), 'each exactly once');
    assert.ok(child.proc.logLines().some((l) => l.msg === 'disk buffer writable again'));
    console.log(`  disk ${small !== undefined ? 'full (1 MiB tmpfs)' : 'unwritable (directory replaced)'}: sender held back at ${stuckAt}/${records.length}; all ${records.length} stored once after recovery`);
    child.proc.child.kill('SIGTERM');
    assert.is((await child.proc.exited).code, 0);
  } finally {
    if (child !== undefined && child.proc.child.exitCode === null) {
      child.proc.child.kill('SIGKILL');
      await child.proc.exited;
    }
    await small?.unmount();
    await es.stop().catch(() => undefined);
  }
});

test.run();
