/**
 * Two outputs, one dead, ogrt-server as a child process (the real CLI):
 * the healthy output keeps its rate while the dead one's disk buffer absorbs
 * the outage up to its cap, then drops (when_full = "drop_newest"); the
 * server's memory (RSS from /proc) stays bounded although the dead output
 * holds many megabytes, because a disk buffer keeps only a read-ahead
 * window in memory.
 *
 * The RSS budget: what the configuration keeps in memory (the healthy
 * output's 2000 records, the dead one's read-ahead of 2 batches, at most
 * 4 MiB of encoded records waiting for a write: ~15 MiB) plus V8's
 * allowance for garbage at this allocation rate (50-85 MiB measured, more
 * on a loaded machine): 112 MiB. Holding the dead output's 48 MiB in memory
 * would take ~3.4 bytes per byte as objects, ~160 MiB (a memory buffer of
 * 32 MiB in this test grew RSS by 110 MiB).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FakeElasticsearch } from '../fakes/elasticsearch-server.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';
import { connect, realisticRecords, rssKiB, startChild, TCP_INPUT, type ChildServer } from './durability-harness.ts';

const CAP = 48 * 1024 * 1024;
const RSS_BUDGET_MIB = 112;

let dir = '';
let es: FakeElasticsearch;
let child: ChildServer | undefined;
test.before.each(async () => {
  dir = await tempDir('ogrt-isolation-');
  es = await FakeElasticsearch.start({ keepBodies: false });
});
test.after.each(async () => {
  if (child !== undefined && child.proc.child.exitCode === null) {
    child.proc.child.kill('SIGKILL');
    await child.proc.exited;
  }
  child = undefined;
  await es.stop().catch(() => undefined);
  await removeDir(dir);
});

async function lineCount(file: string): Promise<number> {
  const data = await readFile(file).catch(() => Buffer.alloc(0));
  let n = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++;
  return n;
}

async function dirBytes(d: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(d).catch(() => [])) total += (await stat(path.join(d, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

test('one output dead: the other keeps its rate; the dead one fills its disk buffer to the cap, then drops; RSS stays bounded', async () => {
  child = await startChild(dir, `
[inputs.direct]
type = "${TCP_INPUT}"
listen = "127.0.0.1:0"
[outputs.local]
type = "file"
path = "out.jsonl"
batch = { timeout_ms = 10 }
buffer = { max_events = 2000 }
[outputs.es]
type = "elasticsearch"
url = "${es.url}"
batch = { max_events = 500, timeout_ms = 10 }
retry = { initial_backoff_ms = 10, max_backoff_ms = 200 }
buffer = { type = "disk", path = "es-buffer", max_bytes = ${CAP}, when_full = "drop_newest" }
`);
  const pid = child.pid;
  const out = path.join(dir, 'out.jsonl');
  const sender = await connect(child.port);
  const send = async (records: ReturnType<typeof realisticRecords>): Promise<number> => {
    const t0 = performance.now();
    const before = await lineCount(out);
    for (let i = 0; i < records.length; i += 200) await sender.send(records.slice(i, i + 200));
    await waitFor(async () => (await lineCount(out)) === before + records.length, 30_000, 'the healthy output to store everything', 100);
    return (records.length / (performance.now() - t0)) * 1000;
  };

  // Both alive: the healthy output's rate with a working neighbour.
  const rateBoth = await send(realisticRecords(3000, 'alive'));
  await waitFor(() => es.documents().length === 3000, 15_000, 'the store got them too');
  const rssStart = rssKiB(pid);

  await es.stop();
  let rssMax = rssStart;
  const sampler = setInterval(() => {
    try {
      rssMax = Math.max(rssMax, rssKiB(pid));
    } catch {
      // exited
    }
  }, 20);
  const rateDead = await send(realisticRecords(42_000, 'dead'));
  clearInterval(sampler);

  const held = await dirBytes(path.join(dir, 'es-buffer'));
  const drop = await child.proc.waitForLog((l) => l.code === 'OGRT_ERR_OUTPUT_QUEUE_FULL', 10_000, 'drop_newest to apply');
  assert.ok(Number(drop.records) > 0);
  assert.ok(held <= CAP + 64 * 1024, `the dead output's buffer files stay within the cap (${held} bytes)`);
  assert.ok(held >= CAP * 0.75, `... and grew to it (${held} bytes)`);
  const growthMiB = (rssMax - rssStart) / 1024;
  console.log(
    `  healthy output: ${rateBoth.toFixed(0)} records/s with the store alive, ${rateDead.toFixed(0)} records/s with it dead; ` +
      `dead output's buffer: ${(held / 1048576).toFixed(1)} MiB on disk (cap ${CAP / 1048576} MiB), ${drop.records} dropped in the first report; ` +
      `server RSS ${(rssStart / 1024).toFixed(0)} MiB -> peak ${(rssMax / 1024).toFixed(0)} MiB`,
  );
  assert.ok(rateDead >= rateBoth * 0.4, `the healthy output keeps its rate (${rateDead.toFixed(0)} vs ${rateBoth.toFixed(0)} records/s)`);
  assert.ok(growthMiB < RSS_BUDGET_MIB, `RSS grew by ${growthMiB.toFixed(1)} MiB (budget ${RSS_BUDGET_MIB} MiB) while the dead output held ${(held / 1048576).toFixed(1)} MiB`);
  await sender.end();
  child.proc.child.kill('SIGTERM');
  assert.is((await child.proc.exited).code, 0);
});

test.run();
