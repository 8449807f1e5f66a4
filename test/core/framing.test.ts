import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameSplitter } from '../../src/core/framing.ts';
import type { OgrtError } from '../../src/core/errors.ts';

interface Run {
  frames: string[];
  errors: OgrtError[];
  splitter: FrameSplitter;
}

function splitter(maxFrameSize = 1024): Run {
  const run: Run = { frames: [], errors: [], splitter: undefined as unknown as FrameSplitter };
  run.splitter = new FrameSplitter({
    maxFrameSize,
    onFrame: (buf, start, end) => run.frames.push(buf.toString('latin1', start, end)),
    onError: (err) => run.errors.push(err),
  });
  return run;
}

/** Feeds `input` cut at the given positions. */
function feed(run: Run, input: string | Buffer, cuts: number[] = []): Run {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  let last = 0;
  for (const cut of [...cuts, bytes.length]) {
    run.splitter.push(bytes.subarray(last, cut));
    last = cut;
  }
  return run;
}

function octet(...msgs: string[]): string {
  return msgs.map((m) => `${Buffer.byteLength(m, 'latin1')} ${m}`).join('');
}

const A = '<14>1 2026-11-24T21:40:08.123456Z node042 ogrt 12345 process [ogrt@32473 v="1"]';
const B = '<14>1 - - ogrt 1 exit [ogrt@32473 v="1" x="a\\]b"]';
const C = '<1>1 - - - - - -';

test('octet counting: frames in one chunk are delivered in order, mode detected from a digit', () => {
  const run = feed(splitter(), octet(A, B, C));
  assert.equal(run.frames, [A, B, C]);
  assert.equal(run.errors, []);
  assert.is(run.splitter.mode, 'octet');
  assert.is(run.splitter.bytesConsumed, octet(A, B, C).length);
});

test('LF framing: mode detected from "<", CRLF stripped, empty lines skipped', () => {
  const run = feed(splitter(), `${A}\n${B}\r\n\n\r\n${C}\n`);
  assert.equal(run.frames, [A, B, C]);
  assert.equal(run.errors, []);
  assert.is(run.splitter.mode, 'lf');
});

test('mode is undefined before the first byte and an empty chunk does not decide it', () => {
  const run = splitter();
  assert.is(run.splitter.mode, undefined);
  run.splitter.push(Buffer.alloc(0));
  assert.is(run.splitter.mode, undefined);
  run.splitter.push(Buffer.from('<'));
  assert.is(run.splitter.mode, 'lf');
});

test('octet counting: every single cut position gives the same frames', () => {
  const input = octet(A, B, C);
  for (let cut = 0; cut <= input.length; cut++) {
    const run = feed(splitter(), input, [cut]);
    assert.equal(run.frames, [A, B, C], `cut at ${cut}`);
    assert.equal(run.errors, [], `cut at ${cut}`);
  }
});

test('octet counting: byte-by-byte input gives the same frames', () => {
  const input = octet(A, B, C);
  const cuts = Array.from({ length: input.length }, (_, i) => i);
  const run = feed(splitter(), input, cuts);
  assert.equal(run.frames, [A, B, C]);
});

test('LF framing: every single cut position (including between CR and LF) gives the same frames', () => {
  const input = `${A}\r\n${B}\n${C}\r\n`;
  for (let cut = 0; cut <= input.length; cut++) {
    const run = feed(splitter(), input, [cut]);
    assert.equal(run.frames, [A, B, C], `cut at ${cut}`);
    assert.equal(run.errors, [], `cut at ${cut}`);
  }
  const bytewise = feed(splitter(), input, Array.from({ length: input.length }, (_, i) => i));
  assert.equal(bytewise.frames, [A, B, C]);
});

test('zero copy: a frame inside one chunk is passed as a view of that chunk', () => {
  const chunk = Buffer.from(octet(A, B), 'latin1');
  const seen: Array<[Buffer, number, number]> = [];
  const s = new FrameSplitter({ maxFrameSize: 1024, onFrame: (b, st, e) => seen.push([b, st, e]), onError: () => assert.unreachable() });
  s.push(chunk);
  assert.is(seen.length, 2);
  assert.ok(seen[0][0] === chunk && seen[1][0] === chunk);
  assert.equal([seen[0][1], seen[0][2]], [3, 3 + A.length]);
});

test('frame bytes are passed through unchanged (non-UTF-8, NUL, high bytes)', () => {
  const msg = Buffer.from([0x3c, 0x31, 0x3e, 0x00, 0xff, 0xc3, 0x28, 0x0a, 0x20]);
  const input = Buffer.concat([Buffer.from(`${msg.length} `), msg, Buffer.from(`${msg.length} `), msg]);
  const got: Buffer[] = [];
  const s = new FrameSplitter({ maxFrameSize: 64, onFrame: (b, st, e) => got.push(Buffer.from(b.subarray(st, e))), onError: () => assert.unreachable() });
  s.push(input.subarray(0, 5));
  s.push(input.subarray(5));
  assert.equal(got, [msg, msg]);
});

test('octet counting: a too-large frame is reported at its offset, exactly LEN bytes skipped, next frame delivered', () => {
  // The skipped body contains something that looks like a frame: it must not be parsed.
  const big = 'x'.repeat(150) + ' 12 <not a length';
  const input = octet(A) + octet(big) + octet(B);
  const max = Math.max(A.length, B.length);
  for (let cut = 0; cut <= input.length; cut++) {
    const run = feed(splitter(max), input, [cut]);
    assert.equal(run.frames, [A, B], `cut at ${cut}`);
    assert.is(run.errors.length, 1, `cut at ${cut}`);
    const err = run.errors[0];
    assert.is(err.code, 'OGRT_ERR_FRAME_TOO_LARGE');
    assert.is(err.context.offset, octet(A).length);
    assert.is(err.context.length, String(big.length));
    assert.is(err.context.maxFrameSize, max);
    assert.is(err.message, `frame of ${big.length} bytes exceeds max_frame_size ${max}`);
  }
});

test('octet counting: a frame of exactly maxFrameSize bytes is accepted, one more is not', () => {
  const ok = feed(splitter(A.length), octet(A));
  assert.equal(ok.frames, [A]);
  const tooBig = feed(splitter(A.length - 1), octet(A, C));
  assert.equal(tooBig.frames, [C]);
  assert.is(tooBig.errors[0].code, 'OGRT_ERR_FRAME_TOO_LARGE');
});

test('LF framing: a too-large line is reported at its offset, discarded up to LF, next line delivered', () => {
  const big = '<' + 'y'.repeat(200);
  const input = `${A}\n${big}\r\n${B}\n`;
  const max = Math.max(A.length, B.length);
  for (let cut = 0; cut <= input.length; cut++) {
    const run = feed(splitter(max), input, [cut]);
    assert.equal(run.frames, [A, B], `cut at ${cut}`);
    assert.is(run.errors.length, 1, `cut at ${cut}`);
    assert.is(run.errors[0].code, 'OGRT_ERR_FRAME_TOO_LARGE');
    assert.is(run.errors[0].context.offset, A.length + 1, `cut at ${cut}`);
  }
});

test('LF framing: a line of exactly maxFrameSize bytes is accepted with or without CR', () => {
  assert.equal(feed(splitter(A.length), `${A}\r\n${A}\n`, [A.length]).frames, [A, A]);
  const over = feed(splitter(A.length - 1), `${A}\n${C}\n`, [3]);
  assert.equal(over.frames, [C]);
  assert.is(over.errors.length, 1);
});

test('LF framing: a too-large line split over many chunks is reported once and memory is not kept', () => {
  const run = splitter(16);
  run.splitter.push(Buffer.from('<'));
  for (let i = 0; i < 100; i++) run.splitter.push(Buffer.alloc(1000, 0x61));
  run.splitter.push(Buffer.from(`\n${C}\n`));
  assert.equal(run.frames, [C]);
  assert.is(run.errors.length, 1);
  assert.is(run.errors[0].context.offset, 0);
  assert.is(run.errors[0].context.length, 'more than 16');
});

for (const [name, input, offset, reason] of [
  ['leading zero', `${octet(A)}012 <14>1 - - -`, octet(A).length, /leading zero/],
  ['non-digit in MSG-LEN', `${octet(A)}12x <14>1 - - -`, octet(A).length + 2, /expected a digit or SP after MSG-LEN, got 0x78/],
  ['missing SP', `${octet(A)}12<14>1 - - -`, octet(A).length + 2, /got 0x3c/],
  ['more than 10 digits', `${octet(A)}12345678901 x`, octet(A).length + 10, /more than 10 digits/],
  ['SP without digits', `${octet(A)} 12 <14>`, octet(A).length, /expected a digit, got 0x20/],
  ['LF between frames', `${octet(A)}\n${octet(B)}`, octet(A).length, /got 0x0a/],
] as const) {
  test(`octet counting: malformed length (${name}) fails the splitter at the exact byte offset`, () => {
    for (let cut = 0; cut <= input.length; cut++) {
      const run = feed(splitter(), input + octet(C), [cut]);
      assert.equal(run.frames, [A], `cut at ${cut}`);
      assert.is(run.errors.length, 1, `cut at ${cut}`);
      const err = run.errors[0];
      assert.is(err.code, 'OGRT_ERR_FRAME_MALFORMED');
      assert.is(err.context.offset, offset, `cut at ${cut}`);
      assert.match(String(err.context.reason), reason);
      assert.match(err.message, `malformed frame at byte ${offset}: `);
      assert.ok(run.splitter.failed);
      assert.is(run.splitter.bytesConsumed, offset);
      // Failed is final: more input is ignored, finish() reports nothing more.
      run.splitter.push(Buffer.from(octet(A)));
      run.splitter.finish();
      assert.equal(run.frames, [A]);
      assert.is(run.errors.length, 1);
    }
  });
}

test('a 10-digit MSG-LEN is well-formed (and too large)', () => {
  const run = feed(splitter(), `1234567890 abc`);
  assert.is(run.errors.length, 1);
  assert.is(run.errors[0].code, 'OGRT_ERR_FRAME_TOO_LARGE');
  assert.not.ok(run.splitter.failed);
});

test('an unknown first byte fails the splitter at offset 0', () => {
  for (const first of [' ', 'a', '\n', '\x00', '{']) {
    const run = feed(splitter(), `${first}${A}\n`);
    assert.is(run.errors.length, 1);
    assert.is(run.errors[0].code, 'OGRT_ERR_FRAME_MALFORMED');
    assert.is(run.errors[0].context.offset, 0);
    assert.match(String(run.errors[0].context.reason), /neither a digit/);
    assert.ok(run.splitter.failed);
    assert.is(run.splitter.mode, undefined);
    assert.equal(run.frames, []);
  }
});

test('finish(): octet frame cut inside the message is reported as truncated at the frame start', () => {
  const input = octet(A) + octet(B).slice(0, 10);
  const run = feed(splitter(), input, [5]);
  run.splitter.finish();
  assert.equal(run.frames, [A]);
  assert.is(run.errors.length, 1);
  assert.is(run.errors[0].code, 'OGRT_ERR_FRAME_TRUNCATED');
  assert.is(run.errors[0].context.offset, octet(A).length);
  const bLenDigits = String(B.length).length;
  assert.match(String(run.errors[0].context.reason), `after ${10 - bLenDigits - 1} of ${B.length} message bytes`);
});

test('finish(): octet frame cut inside MSG-LEN is reported as truncated', () => {
  const run = feed(splitter(), octet(A) + '12');
  run.splitter.finish();
  assert.is(run.errors.length, 1);
  assert.is(run.errors[0].code, 'OGRT_ERR_FRAME_TRUNCATED');
  assert.is(run.errors[0].context.offset, octet(A).length);
});

test('finish(): at a frame boundary reports nothing; after finish() input is ignored', () => {
  const run = feed(splitter(), octet(A, B));
  run.splitter.finish();
  run.splitter.push(Buffer.from(octet(C)));
  assert.equal(run.frames, [A, B]);
  assert.equal(run.errors, []);
  const empty = splitter();
  empty.splitter.finish();
  assert.equal(empty.errors, []);
});

test('finish(): LF framing delivers an unterminated last line (CR stripped)', () => {
  const run = feed(splitter(), `${A}\n${B}\r`, [A.length + 5]);
  assert.equal(run.frames, [A]);
  run.splitter.finish();
  assert.equal(run.frames, [A, B]);
  assert.equal(run.errors, []);
});

test('finish(): a frame being skipped as too large is not reported twice', () => {
  const run = feed(splitter(10), '100 ' + 'z'.repeat(30));
  run.splitter.finish();
  assert.is(run.errors.length, 1);
  assert.is(run.errors[0].code, 'OGRT_ERR_FRAME_TOO_LARGE');
});

test('offsets count from the connection start across many chunks', () => {
  const frames = Array.from({ length: 50 }, (_, i) => `<14>1 - - ogrt ${i} process [x]`);
  const good = octet(...frames);
  const run = splitter();
  for (let i = 0; i < good.length; i += 13) run.splitter.push(Buffer.from(good.slice(i, i + 13)));
  run.splitter.push(Buffer.from('07 bad'));
  assert.is(run.frames.length, 50);
  assert.is(run.errors[0].context.offset, good.length);
});

test('the scratch buffer handed to onFrame may be reused: frames copied out stay intact', () => {
  const msgs = Array.from({ length: 20 }, (_, i) => `<1>${String(i).repeat(i + 1)}`);
  const input = octet(...msgs);
  const cuts = Array.from({ length: Math.floor(input.length / 3) }, (_, i) => i * 3 + 1);
  const run = feed(splitter(), input, cuts);
  assert.equal(run.frames, msgs);
});

test('messageOffset: inside onFrame, the connection offset of the message (after MSG-LEN SP, or the line start)', () => {
  for (const [input, expected] of [
    [octet(A, B, C), [String(A.length).length + 1, octet(A).length + String(B.length).length + 1, octet(A, B).length + String(C.length).length + 1]],
    [`${A}\r\n\n${B}\n${C}`, [0, A.length + 3, A.length + 3 + B.length + 1]],
  ] as const) {
    for (let cut = 0; cut <= input.length; cut++) {
      const offsets: number[] = [];
      const s: FrameSplitter = new FrameSplitter({ maxFrameSize: 1024, onFrame: () => offsets.push(s.messageOffset), onError: () => assert.unreachable() });
      feed({ frames: [], errors: [], splitter: s }, input, [cut]);
      s.finish();
      assert.equal(offsets, [...expected], `cut at ${cut}`);
    }
  }
});

test('constructor rejects a non-positive maxFrameSize', () => {
  assert.throws(() => new FrameSplitter({ maxFrameSize: 0, onFrame() {}, onError() {} }), /positive integer/);
});

test.run();
