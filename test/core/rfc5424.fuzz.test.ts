// Fuzzing parseRfc5424 with a seeded PRNG (deterministic): mutated valid
// messages and random frames must either parse or throw SyslogParseError with
// a sane reason and offset, never anything else, in bounded time. What parses
// must survive serialize → parse unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRfc5424, serializeRfc5424, SyslogParseError, SYSLOG_REASONS, type SyslogMessage } from '../../src/core/rfc5424.ts';
import { ogrtProcessMessage } from '../vectors/rfc5424/ogrt-process.ts';

/** xorshift32: small, fast, reproducible. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CORPUS: Buffer[] = [
  ogrtProcessMessage(),
  Buffer.concat([Buffer.from('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - '), BOM, Buffer.from("'su root' failed")]),
  Buffer.from("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."),
  Buffer.from('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'),
  Buffer.from('<0>1 - - - - - -'),
  Buffer.from('<191>999 2024-02-29T23:59:59+14:00 h a p m [a k="\\"\\\\\\]\\x" k="" k="é😀"][b][c d="[=\\]\\]"] '),
  Buffer.from(`<14>1 - - - - - ${Array.from({ length: 12 }, (_, i) => `[id${i} k="${i}"]`).join('')}`),
];

// Bytes that matter to the grammar, so mutations reach deep states often.
const INTERESTING = Buffer.from('<>0123456789 -TZ:.+[]="\\@\n\t\x00\x7f\x80\xbf\xc2\xc3\xe0\xed\xef\xbb\xf0\xf4\xff', 'latin1');

function randomByte(rng: Rng): number {
  return rng.int(2) === 0 ? INTERESTING[rng.int(INTERESTING.length)] : rng.int(256);
}

function mutate(rng: Rng, frame: Buffer): Buffer {
  let b = Buffer.from(frame);
  for (let k = 1 + rng.int(4); k > 0; k--) {
    const at = rng.int(b.length + 1);
    switch (rng.int(6)) {
      case 0: // overwrite a byte
        if (b.length > 0) b[Math.min(at, b.length - 1)] = randomByte(rng);
        break;
      case 1: // insert a byte
        b = Buffer.concat([b.subarray(0, at), Buffer.of(randomByte(rng)), b.subarray(at)]);
        break;
      case 2: // delete a few bytes
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(4))]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: // duplicate a slice elsewhere
        {
          const from = rng.int(b.length + 1);
          const slice = b.subarray(from, from + rng.int(40));
          b = Buffer.concat([b.subarray(0, at), slice, b.subarray(at)]);
        }
        break;
      default: // splice with another corpus message
        {
          const other = CORPUS[rng.int(CORPUS.length)];
          b = Buffer.concat([b.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
        }
    }
  }
  return b;
}

function randomFrame(rng: Rng): Buffer {
  const len = rng.int(200);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = randomByte(rng);
  return rng.int(2) === 0 ? Buffer.concat([Buffer.from('<14>1 - h a p m '), b]) : b;
}

/** Parses and checks every invariant; returns the parse time in ms, negative if refused. */
function check(frame: Buffer): number {
  let result: SyslogMessage | null = null;
  const t0 = performance.now();
  try {
    result = parseRfc5424(frame);
  } catch (err) {
    const elapsed = performance.now() - t0;
    const label = JSON.stringify(frame.toString('latin1'));
    if (!(err instanceof SyslogParseError)) assert.unreachable(`threw ${String(err)} for ${label}`);
    const e = err as SyslogParseError;
    assert.ok(Object.hasOwn(SYSLOG_REASONS, e.reason), label);
    assert.ok(Number.isInteger(e.offset), label);
    if (e.reason === 'truncated') assert.is(e.offset, frame.length, label);
    else assert.ok(e.offset >= 0 && e.offset < frame.length, `${e.reason}@${e.offset} ${label}`);
    return -elapsed;
  }
  const elapsed = performance.now() - t0;
  assert.equal(parseRfc5424(serializeRfc5424(result)), result, JSON.stringify(frame.toString('latin1')));
  return elapsed;
}

test('corpus is valid', () => {
  for (const frame of CORPUS) parseRfc5424(frame);
});

test('mutated and random frames: SyslogParseError or a message that round-trips, in bounded time', () => {
  const rng = new Rng(0x5eed1234);
  const iterations = 20_000;
  let total = 0;
  let worst = 0;
  let accepted = 0;
  for (let i = 0; i < iterations; i++) {
    const frame = i % 4 === 3 ? randomFrame(rng) : mutate(rng, CORPUS[rng.int(CORPUS.length)]);
    const signed = check(frame);
    const ms = Math.abs(signed);
    if (signed >= 0) accepted++;
    total += ms;
    worst = Math.max(worst, ms);
    if (i % 16 === 0) {
      // Inside a larger buffer, with start/end, the outcome is the same.
      const pad = Buffer.from('x'.repeat(rng.int(9)));
      const big = Buffer.concat([pad, frame, Buffer.from('\n<garbage>')]);
      let a: unknown;
      let b: unknown;
      try { a = parseRfc5424(frame); } catch (e) { a = `${(e as SyslogParseError).reason}@${(e as SyslogParseError).offset}`; }
      try { b = parseRfc5424(big, pad.length, pad.length + frame.length); } catch (e) { b = `${(e as SyslogParseError).reason}@${(e as SyslogParseError).offset}`; }
      assert.equal(b, a);
    }
  }
  // Both outcomes must be exercised, or the fuzzer tests nothing.
  assert.ok(accepted > iterations / 50, `only ${accepted} frames parsed`);
  assert.ok(accepted < iterations - iterations / 10, `${accepted} of ${iterations} frames parsed`);
  assert.ok(total / iterations < 0.5, `mean parse ${(total / iterations).toFixed(3)} ms`);
  assert.ok(worst < 1000, `worst parse ${worst.toFixed(1)} ms`);
});

test('every proper prefix of a valid message parses or is truncated at its length', () => {
  for (const frame of CORPUS) {
    for (let len = 0; len < frame.length; len++) {
      const prefix = frame.subarray(0, len);
      try {
        parseRfc5424(prefix);
      } catch (err) {
        assert.instance(err, SyslogParseError);
        assert.is(`${(err as SyslogParseError).reason}@${(err as SyslogParseError).offset}`, `truncated@${len}`, prefix.toString('latin1'));
      }
    }
  }
});

test('adversarial sizes stay linear', () => {
  const head = '<14>1 - - - - - ';
  const timed = (label: string, input: Buffer, expectOk: boolean) => {
    const t0 = performance.now();
    let ok = true;
    try {
      parseRfc5424(input);
    } catch (err) {
      assert.instance(err, SyslogParseError);
      ok = false;
    }
    const ms = performance.now() - t0;
    assert.is(ok, expectOk, label);
    assert.ok(ms < 1000, `${label}: ${ms.toFixed(0)} ms`);
  };
  const ids = Array.from({ length: 30_000 }, (_, i) => `[i${i}]`).join('');
  timed('30k distinct SD elements', Buffer.from(head + ids), true);
  timed('30k SD elements, duplicate last', Buffer.from(head + ids + '[i29999]'), false);
  timed('100k params', Buffer.from(head + '[a' + ' k=""'.repeat(100_000) + ']'), true);
  timed('1 MB value of escapes', Buffer.from(head + '[a k="' + '\\"\\x\\\\'.repeat(200_000) + '"]'), true);
  timed('1 MB non-ASCII value', Buffer.from(head + '[a k="' + 'é😀'.repeat(170_000) + '"]'), true);
  timed('1 MB BOM MSG', Buffer.concat([Buffer.from(head + '- '), BOM, Buffer.from('日本'.repeat(170_000))]), true);
  timed('1 MB of [', Buffer.from(head + '['.repeat(1_000_000)), false);
  timed('1 MB unterminated value', Buffer.from(head + '[a k="' + 'x'.repeat(1_000_000)), false);
});

test.run();
