/**
 * kill -9 of ogrt-server (the real CLI, a child process) under load, with a
 * disk buffer (fsync = "batch"), then a restart.
 *
 * "Durable at the kill" is what the server had written and fsynced before
 * it died: the entries in its buffer files (read after the kill) plus what
 * the store had already acknowledged (and the server had deleted). Every one
 * of them must be in the store after the restart, exactly once by _id.
 * Records still on the wire or in the server's memory when it died were
 * never accepted (their emit had not resolved) and may be missing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FakeElasticsearch } from '../fakes/elasticsearch-server.ts';
import { readBufferDir } from '../../src/core/disk-buffer-store.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';
import { connect, realisticRecords, redelivered, startChild, storedIds, TCP_INPUT, type ChildServer } from './durability-harness.ts';

let es: FakeElasticsearch;
let dir = '';
let child: ChildServer | undefined;
test.before.each(async () => {
  es = await FakeElasticsearch.start({ keepBodies: false });
  dir = await tempDir('ogrt-crash-');
});
test.after.each(async () => {
  if (child !== undefined && child.proc.child.exitCode === null) {
    child.proc.child.kill('SIGKILL');
    await child.proc.exited;
  }
  child = undefined;
  await es.stop();
  await removeDir(dir);
});

function config(): string {
  return `
[server]
log_level = "info"
[inputs.direct]
type = "${TCP_INPUT}"
listen = "127.0.0.1:0"
[outputs.es]
type = "elasticsearch"
url = "${es.url}"
batch = { max_events = 200, timeout_ms = 20 }
retry = { initial_backoff_ms = 10, max_backoff_ms = 200 }
buffer = { type = "disk", path = "buffer", max_bytes = 268435456 }
`;
}

/** uuids in the buffer files, tolerating a file deleted or half-written while we read. */
async function uuidsInBuffer(buffer: string): Promise<Set<string>> {
  for (;;) {
    try {
      const { entries } = await readBufferDir(buffer);
      return new Set(entries.map((e) => (JSON.parse(e.payload) as { uuid: string }).uuid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

async function bufferFileBytes(buffer: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(buffer).catch(() => [])) {
    if (name.endsWith('.seg')) total += (await stat(path.join(buffer, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

test('kill -9 under load: every record durable at the kill is delivered after the restart, exactly once', async () => {
  const buffer = path.join(dir, 'buffer');
  child = await startChild(dir, config());

  // A: delivered and acknowledged normally.
  const a = realisticRecords(1000, 'a');
  let sender = await connect(child.port);
  for (let i = 0; i < a.length; i += 100) await sender.send(a.slice(i, i + 100));
  await waitFor(() => es.documents().length === 1000, 20_000, 'batch A stored');

  // B: the store stalls (a backlog builds up in the buffer) and the server is killed mid-stream.
  const release = es.holdBulk();
  const b = realisticRecords(6000, 'b');
  let sent = 0;
  const blasting = (async () => {
    for (let i = 0; i < b.length; i += 100) {
      await sender.send(b.slice(i, i + 100));
      sent = i + 100;
    }
  })().catch(() => undefined);
  await waitFor(async () => (await bufferFileBytes(buffer)) >= 3 * 1024 * 1024, 20_000, 'a backlog of 3 MiB in the buffer', 20);
  child.proc.child.kill('SIGKILL');
  const exit = await child.proc.exited;
  assert.is(exit.signal, 'SIGKILL');
  sender.socket.destroy();
  await blasting;
  const inBufferAtKill = await uuidsInBuffer(buffer);
  // Bulk requests the dead server had sent are processed now (their answers are lost): stored, not acknowledged.
  release();
  await waitFor(() => es.heldBulkRequests === 0, 5000);
  const inStoreAtKill = new Set(es.documents().map((d) => d.id));
  const durable = new Set([...inBufferAtKill, ...inStoreAtKill]);
  assert.ok(a.every((r) => durable.has(r.uuid)));

  child = await startChild(dir, config());
  const replaying = await child.proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('disk buffer opened'), 10_000);
  assert.is(replaying.records, inBufferAtKill.size, 'the restarted server finds exactly the unacknowledged records');
  // New records after the restart come after the replayed ones.
  const c = realisticRecords(200, 'c');
  sender = await connect(child.port);
  await sender.send(c);
  await sender.end();
  const expected = new Set([...durable, ...c.map((r) => r.uuid)]);
  await waitFor(() => {
    const ids = storedIds(es);
    return [...expected].every((id) => ids.has(id));
  }, 30_000, 'every durable record stored after the restart', 100).catch((err) => {
    console.log(child!.proc.stderr().split('\n').slice(-30).join('\n'));
    throw err;
  });
  const ids = storedIds(es);
  const everSent = new Set([...a, ...b, ...c].map((r) => r.uuid));
  assert.ok([...ids.keys()].every((id) => everSent.has(id)), 'nothing but sent records');
  assert.ok([...ids.values()].every((n) => n === 1), 'each stored exactly once');
  await waitFor(async () => (await uuidsInBuffer(buffer)).size === 0, 10_000, 'the buffer emptied');
  assert.is(child.proc.logLines().filter((l) => l.code === 'OGRT_ERR_BUFFER_CORRUPT').length, 0, 'a process kill leaves no torn entry (the page cache survives)');

  const bDurable = b.filter((r) => durable.has(r.uuid)).length;
  console.log(
    `  kill -9: B sent ${Math.min(sent, b.length)}/${b.length} before the kill; durable at the kill: ${bDurable} ` +
      `(${inBufferAtKill.size} unacknowledged in the buffer files, replayed); after the restart all ${durable.size + c.length} durable + new records ` +
      `stored once each; ${b.length - bDurable} never accepted (in flight); ${redelivered(es)} re-sent item(s) deduplicated by _id`,
  );
  child.proc.child.kill('SIGTERM');
  assert.is((await child.proc.exited).code, 0);
});

test.run();
