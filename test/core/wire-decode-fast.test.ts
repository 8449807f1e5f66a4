// The decoder's fast path (wire-decode-fast.ts) against the slow path
// (decodeMessage + assemble) it stands in for: on every message it accepts it
// must build the very record (keys in the same order) and header the slow
// path builds, and it must refuse every message the slow path refuses.
// Messages: the shared vectors, the malformed vectors, the benchmark's
// records, and seeded mutations of all of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { VECTOR_DIR, loadVectors } from '../../scripts/make-vectors.ts';
import { assemble, decodeMessage, encodeRecord } from '../../src/core/wire.ts';
import { decodeSimpleRecord } from '../../src/core/wire-decode-fast.ts';
import { recordAt } from '../../bench/workload.ts';
import { prng } from '../helpers/random.ts';

type Outcome = { fast: boolean; valid: boolean };

/** Compares both paths on buf[start, end); returns which path took it. */
function compare(buf: Buffer, start: number, end: number, label: string): Outcome {
  const fast = decodeSimpleRecord(buf, start, end);
  let slow: { record: unknown; header: unknown; parts: number } | Error;
  try {
    const part = decodeMessage(buf, start, end);
    slow = { record: assemble([part]), header: part.header, parts: part.parts };
  } catch (err) {
    slow = err as Error;
  }
  if (fast === null) return { fast: false, valid: !(slow instanceof Error) };
  if (slow instanceof Error) {
    assert.unreachable(`${label}: the fast path accepted a message the decoder refuses (${slow.message}): ${JSON.stringify(buf.toString('latin1', start, end))}`);
    throw slow;
  }
  assert.is(slow.parts, 1, `${label}: the fast path took part of a split record`);
  assert.is(JSON.stringify(fast.record), JSON.stringify(slow.record), `${label}: record differs (values or key order)`);
  assert.equal(fast.record, slow.record, label);
  assert.equal(fast.header, slow.header, `${label}: header differs`);
  return { fast: true, valid: true };
}

/** The message alone, and again in the middle of a larger buffer (offsets). */
function compareBoth(msg: Buffer, label: string): Outcome {
  const a = compare(msg, 0, msg.length, label);
  const padded = Buffer.concat([Buffer.from('31 <garbage'), msg, Buffer.from('>[ trailing')]);
  const b = compare(padded, 11, 11 + msg.length, `${label} (at offset 11)`);
  assert.equal(a, b, `${label}: the result depends on where the message sits in the buffer`);
  return a;
}

const vectorMessages: [string, Buffer][] = [];
for (const [name, v] of loadVectors()) {
  encodeRecord(v.record, { maxMessageSize: v.max_message_size }).forEach((m, i) => vectorMessages.push([`${name}#${i + 1}`, m]));
}
const malformedDir = path.join(VECTOR_DIR, 'malformed');
const malformed: [string, Buffer][] = readdirSync(malformedDir)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => [`malformed/${f}`, readFileSync(path.join(malformedDir, f))]);
const workload: [string, Buffer][] = [];
for (let i = 0; i < 600; i++) for (const m of encodeRecord(recordAt(7, i))) workload.push([`workload#${i}`, m]);

test('shared vectors: the fast path builds what the slow path builds, and takes the plain ones', () => {
  let fast = 0;
  for (const [label, msg] of vectorMessages) if (compareBoth(msg, label).fast) fast++;
  assert.ok(fast >= 3, `only ${fast} of ${vectorMessages.length} vector messages took the fast path`);
  assert.ok(fast < vectorMessages.length, 'every vector took the fast path: escapes, flags and splits must not');
});

test('malformed vectors: the fast path refuses every one', () => {
  assert.ok(malformed.length >= 20);
  for (const [label, msg] of malformed) assert.is(compareBoth(msg, label).fast, false, label);
});

test('benchmark records: identical results, and most take the fast path', () => {
  let fast = 0;
  for (const [label, msg] of workload) if (compareBoth(msg, label).fast) fast++;
  // Every 50th/100th/200th/64th record needs escapes, percent form or UTF-8 (bench/workload.ts).
  assert.ok(fast / workload.length > 0.9, `${fast} of ${workload.length} took the fast path`);
});

// Bytes that matter to the grammar, plus some that do not.
const INTERESTING = [...'"\\][ =~-0129afzAF%@.:/'].map((c) => c.charCodeAt(0)).concat([0x00, 0x09, 0x0a, 0x7f, 0x80, 0xc3, 0xa9, 0xff]);

function mutate(msg: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(msg);
  const at = Math.floor(rnd() * b.length);
  const pick = rnd();
  if (pick < 0.45) {
    b[at] = INTERESTING[Math.floor(rnd() * INTERESTING.length)];
    return b;
  }
  if (pick < 0.6) return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  if (pick < 0.75) return Buffer.concat([b.subarray(0, at), Buffer.from([INTERESTING[Math.floor(rnd() * INTERESTING.length)]]), b.subarray(at)]);
  if (pick < 0.9) {
    // Repeat or drop a stretch: duplicates parameters, elements and indexes, or cuts them.
    const len = 1 + Math.floor(rnd() * 60);
    const piece = b.subarray(at, Math.min(b.length, at + len));
    return rnd() < 0.5 ? Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
  }
  // Swap two parameters of the same element (index order, element order).
  const text = b.toString('latin1');
  const params = [...text.matchAll(/ [^ =\]["]+="[^"]*"/g)];
  if (params.length < 2) return b;
  const i = Math.floor(rnd() * (params.length - 1));
  const [x, y] = [params[i], params[i + 1]];
  if (x.index! + x[0].length !== y.index) return b;
  return Buffer.from(text.slice(0, x.index) + y[0] + x[0] + text.slice(y.index! + y[0].length), 'latin1');
}

test('fuzz: 30,000 seeded mutations of vector and benchmark messages never make the paths disagree', () => {
  const rnd = prng(20261125);
  const seeds = [...vectorMessages, ...workload.slice(0, 100)];
  const counts = { fast: 0, slowValid: 0, refused: 0 };
  for (let n = 0; n < 30_000; n++) {
    const [label, msg] = seeds[Math.floor(rnd() * seeds.length)];
    let m = mutate(msg, rnd);
    if (rnd() < 0.3) m = mutate(m, rnd);
    const o = compare(m, 0, m.length, `${label} mutation ${n}`);
    if (o.fast) counts.fast++;
    else if (o.valid) counts.slowValid++;
    else counts.refused++;
  }
  // The mutations must exercise all three outcomes, or the test proves little.
  for (const [k, v] of Object.entries(counts)) assert.ok(v > 1000, `${k}: ${v}`);
});

test.run();
