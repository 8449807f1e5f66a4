/**
 * FrameSplitter throughput: small frames (a typical single-part OGRT message
 * is a few hundred bytes) in 64 KiB chunks, as a socket delivers them.
 *   node --import tsx bench/framing.bench.ts
 * Target: > 1M frames/s in both framings.
 */
import { FrameSplitter } from '../src/core/framing.ts';

const MESSAGE =
  '<14>1 2026-11-24T21:40:08.123456Z node042 ogrt 12345 process [ogrt@32473 v="1" uuid="3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab" part="1" parts="1" pid="12345"]';
const CHUNK = 64 * 1024;
const TOTAL_FRAMES = 2_000_000;

function makeStream(mode: 'octet' | 'lf'): Buffer[] {
  const frame = Buffer.from(mode === 'octet' ? `${MESSAGE.length} ${MESSAGE}` : `${MESSAGE}\n`);
  const stream = Buffer.alloc(frame.length * TOTAL_FRAMES);
  for (let i = 0; i < TOTAL_FRAMES; i++) frame.copy(stream, i * frame.length);
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += CHUNK) chunks.push(stream.subarray(i, i + CHUNK));
  return chunks;
}

function run(mode: 'octet' | 'lf'): { framesPerSecond: number; mbPerSecond: number } {
  const chunks = makeStream(mode);
  let frames = 0;
  let checksum = 0;
  const splitter = new FrameSplitter({
    maxFrameSize: 262144,
    onFrame: (buf, start, end) => {
      frames++;
      checksum += buf[start] + end - start;
    },
    onError: (err) => {
      throw err;
    },
  });
  const t0 = process.hrtime.bigint();
  for (const chunk of chunks) splitter.push(chunk);
  splitter.finish();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (frames !== TOTAL_FRAMES || checksum === 0) throw new Error(`lost frames: ${frames}`);
  return { framesPerSecond: frames / seconds, mbPerSecond: splitter.bytesConsumed / seconds / 1e6 };
}

for (const mode of ['octet', 'lf'] as const) {
  run(mode); // warm-up
  const r = run(mode);
  console.log(
    `framing ${mode.padEnd(5)} ${MESSAGE.length}-byte frames: ${(r.framesPerSecond / 1e6).toFixed(2)}M frames/s, ${r.mbPerSecond.toFixed(0)} MB/s`,
  );
}
