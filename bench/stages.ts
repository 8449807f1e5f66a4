/**
 * Where ogrt-server's CPU goes per record, stage by stage, on the workload's
 * records, in one thread with no I/O: decoding (RFC 5424 parse + OGRT
 * decode + assemble), output-file's JSON line (fast-json-stringify and the
 * well-formedness check), and turning a batch of lines into one Buffer.
 * Also the heap one decoded record occupies, which sets the memory a full
 * output buffer (buffer.max_events records) holds.
 * Complements the --cpu-prof profile of bench/run.ts --profile: this one
 * has no GC pressure from other stages and no event loop.
 *
 *   node --expose-gc --import tsx bench/stages.ts [records]
 */
import { assemble, decodeMessage } from '../src/core/wire.ts';
import { parseRfc5424 } from '../src/core/rfc5424.ts';
import { decodeSimpleRecord } from '../src/core/wire-decode-fast.ts';
import { joinJsonLines, serializeBatch, serializeRecord } from '../plugins/output-file/format.ts';
import { encodeRecords, schemaRecordToJson } from '../src/core/record-json.ts';
import type { OgrtRecord } from '../src/core/record.ts';
import { ensureStream, loadStream } from './workload.ts';

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = 5;
const BATCH = 500;

const stream = loadStream(ensureStream(N, 1, 'octet'));
const frames: [number, number][] = [];
for (let pos = 0; pos < stream.data.length; ) {
  const sp = stream.data.indexOf(0x20, pos);
  const len = Number(stream.data.toString('latin1', pos, sp));
  frames.push([sp + 1, sp + 1 + len]);
  pos = sp + 1 + len;
}

/** Best-of-ROUNDS µs per record of `fn` over all records. */
function measure(name: string, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    fn();
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / N);
  }
  console.log(`| ${name} | ${best.toFixed(2)} | ${Math.round(1e6 / best).toLocaleString('en-US')} |`);
  return best;
}

let records: OgrtRecord[] = [];
console.log(`${N} records of ${Math.round(stream.meta.messageBytes / N)} wire bytes; best of ${ROUNDS} rounds; node ${process.version}\n`);
console.log('| stage (one thread, no I/O) | CPU µs per record | records/s per core |');
console.log('| --- | ---: | ---: |');
let sink = 0;
measure('decode, slow path: RFC 5424 parse + OGRT decode + assemble', () => {
  for (const [a, b] of frames) sink += assemble([decodeMessage(stream.data, a, b)]).shared_objects.length;
});
let fastCount = 0;
measure('decode, fast path as ingest runs it (slow path for the messages it leaves)', () => {
  fastCount = 0;
  for (const [a, b] of frames) {
    const simple = decodeSimpleRecord(stream.data, a, b);
    if (simple !== null) {
      fastCount++;
      sink += simple.record.shared_objects.length;
    } else {
      sink += assemble([decodeMessage(stream.data, a, b)]).shared_objects.length;
    }
  }
});
console.log(`|   (${fastCount.toLocaleString('en-US')} of ${N.toLocaleString('en-US')} records took the fast path) | | |`);
measure('  of which: parseRfc5424 (generic RFC 5424 parser) alone', () => {
  for (const [a, b] of frames) sink += parseRfc5424(stream.data, a, b).structuredData.length;
});
measure('  of which: parseRfc5424 + decodeMessage (no assemble)', () => {
  for (const [a, b] of frames) sink += decodeMessage(stream.data, a, b).sharedObjects.length;
});
// From here on every record stays alive (about 130 MB of heap for 20,000), like in a server whose
// output buffer is full: records get promoted, and big allocations cost full collections of a big heap.
measure('slow path, keeping every record (as a full output buffer does)', () => {
  records = [];
  records = frames.map(([a, b]) => assemble([decodeMessage(stream.data, a, b)]));
});
measure('fast path, keeping every record', () => {
  records = [];
  records = frames.map(([a, b]) => decodeSimpleRecord(stream.data, a, b)?.record ?? assemble([decodeMessage(stream.data, a, b)]));
});
for (const r of records) r.receive = { input: 'bench', peer: '127.0.0.1:40312', time: '2026-11-24T21:40:08.125001Z' };
measure('recordToJson (plain concatenation where nothing needs escaping, else the schema serializer)', () => {
  for (const r of records) sink += serializeRecord(r).length;
});
measure('  the schema serializer alone (fast-json-stringify + isWellFormed)', () => {
  for (const r of records) sink += schemaRecordToJson(r).length;
});
measure('  for comparison: JSON.stringify(record)', () => {
  for (const r of records) sink += JSON.stringify(r).length;
});
let encoded: Uint8Array[] = [];
measure('pipeline: encodeRecords, chunks of 30 (what a 64 KiB read holds), for an output that takes JSON', () => {
  encoded = [];
  for (let i = 0; i < N; i += 30) for (const e of encodeRecords(records.slice(i, i + 30))) encoded.push(e as Uint8Array);
});
measure('output-file: joinJsonLines (500 records\' JSON into one Buffer)', () => {
  for (let i = 0; i < N; i += BATCH) sink += joinJsonLines(encoded.slice(i, i + BATCH)).length;
});
let lines = records.map(serializeRecord);
measure('output-file without JSON from the core: serializeBatch (500 records into one Buffer)', () => {
  for (let i = 0; i < N; i += BATCH) serializeBatch(records.slice(i, i + BATCH));
});
measure('  of which: `text += line + "\\n"` and Buffer.from(text) only', () => {
  for (let i = 0; i < N; i += BATCH) {
    let text = '';
    for (let k = i; k < Math.min(N, i + BATCH); k++) text += lines[k] + '\n';
    Buffer.from(text, 'utf8');
  }
});
measure('  alternative: each line written into one preallocated Buffer (buf.write)', () => {
  const buf = Buffer.allocUnsafe(8 << 20);
  for (let i = 0; i < N; i += BATCH) {
    let off = 0;
    for (let k = i; k < Math.min(N, i + BATCH); k++) {
      off += buf.write(lines[k], off, 'utf8');
      buf[off++] = 0x0a;
    }
  }
});

const gc = (globalThis as { gc?: () => void }).gc;
if (gc !== undefined) {
  records = [];
  lines = [];
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = frames.slice(0, 10_000).map(([a, b]) => assemble([decodeMessage(stream.data, a, b)]));
  gc();
  gc();
  const per = (process.memoryUsage().heapUsed - before) / kept.length;
  console.log(`\n(checksum ${sink % 7})`);
  console.log(`heap of one decoded record: ${Math.round(per).toLocaleString('en-US')} bytes (${(per / (stream.meta.messageBytes / N)).toFixed(1)}× its wire size); 10,000 records (buffer.max_events default): ${Math.round((per * 10_000) / 2 ** 20)} MiB`);
}
