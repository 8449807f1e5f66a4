/**
 * Micro-benchmark of the RFC 5424 codec on an OGRT-shaped message
 * (test/vectors/rfc5424/ogrt-process.ts: 2.2 KB, 80 SD params, escapes and
 * a few non-ASCII bytes). Not a test: prints msgs/s and MB/s.
 *   node --import tsx bench/rfc5424.bench.ts [seconds]
 */
import { parseRfc5424, serializeRfc5424 } from '../src/core/rfc5424.ts';
import { ogrtProcessMessage } from '../test/vectors/rfc5424/ogrt-process.ts';

/** Rounds of 250 ms; the best round is the least disturbed by other load on the machine. */
function measure(label: string, bytes: number, seconds: number, fn: () => unknown): void {
  const rates: number[] = [];
  for (let round = 0; round < Math.max(1, seconds * 4); round++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 250) {
      for (let k = 0; k < 500; k++) fn();
      n += 500;
    }
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const fmt = (rate: number) => `${Math.round(rate).toLocaleString('en-US')} msgs/s (${((rate * bytes) / 1e6).toFixed(0)} MB/s)`;
  console.log(`${label}: best ${fmt(rates[rates.length - 1])}, median ${fmt(rates[rates.length >> 1])}`);
}

const seconds = Number(process.argv[2] ?? 3);
const frame = ogrtProcessMessage();
const parsed = parseRfc5424(frame);
const params = parsed.structuredData.reduce((sum, e) => sum + e.params.length, 0);
console.log(`message: ${frame.length} bytes, ${parsed.structuredData.length} SD elements, ${params} params`);
measure('warm-up', frame.length, 1, () => parseRfc5424(frame));
measure('parseRfc5424', frame.length, seconds, () => parseRfc5424(frame));
measure('serializeRfc5424', frame.length, seconds, () => serializeRfc5424(parsed));
