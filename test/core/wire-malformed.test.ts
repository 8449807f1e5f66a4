// test/vectors/malformed/: messages the decoder must refuse, each with the
// code, reason and (for RFC 5424 errors) byte offset written next to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { VECTOR_DIR } from '../../scripts/make-vectors.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { WIRE_REASONS, assemble, decodeMessage } from '../../src/core/wire.ts';

const DIR = path.join(VECTOR_DIR, 'malformed');
const names = readdirSync(DIR).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();

interface Expected { code: string; reason: string; offset: number | null }

function refusal(buf: Buffer, start?: number, end?: number): OgrtError {
  try {
    decodeMessage(buf, start, end);
  } catch (err) {
    assert.instance(err, OgrtError);
    return err as OgrtError;
  }
  throw assert.unreachable('accepted');
}

test('every malformed .bin has its .json and there are enough of them', () => {
  assert.ok(names.length >= 20, `${names.length} malformed vectors`);
  for (const n of names) {
    const e = JSON.parse(readFileSync(path.join(DIR, `${n}.json`), 'utf8')) as Expected;
    assert.equal(Object.keys(e).sort(), ['code', 'offset', 'reason'], n);
    if (e.code !== 'OGRT_ERR_SYSLOG_PARSE') {
      assert.is(e.offset, null, n);
      assert.ok(e.reason in WIRE_REASONS, `${n}: unknown reason ${e.reason}`);
    }
  }
});

for (const n of names) {
  test(`malformed/${n} is refused as written`, () => {
    const e = JSON.parse(readFileSync(path.join(DIR, `${n}.json`), 'utf8')) as Expected;
    const buf = readFileSync(path.join(DIR, `${n}.bin`));
    const err = refusal(buf);
    assert.is(err.code, e.code, `${n}: ${err.message}`);
    assert.is(err.context.reason, e.reason, `${n}: ${err.message}`);
    assert.is(err.context.offset ?? null, e.offset, `${n}: ${err.message}`);
    // inside a larger buffer, the offset still counts from the message start
    const padded = Buffer.concat([Buffer.from('123 '), buf, Buffer.from('\n<garbage')]);
    const again = refusal(padded, 4, 4 + buf.length);
    assert.is(again.code, e.code, `${n} in a larger buffer`);
    assert.is(again.context.offset ?? null, e.offset, `${n} in a larger buffer`);
  });
}

test('random corruptions of vector messages: decoded or refused with an OgrtError, nothing else', () => {
  // seeded LCG, so a failure names a reproducible case
  let seed = 0x5eed;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const sources = ['full-process', 'rfc-escapes', 'non-utf8-bytes', 'control-chars', 'collector-truncated', 'exit', 'two-parts']
    .map((n) => readFileSync(path.join(VECTOR_DIR, `${n}.messages`)))
    .map((b) => b.subarray(b.indexOf(0x20) + 1));
  const alphabet = Buffer.from('"\\]=[~%0123456789 ptaz-\xff\xe9', 'latin1');
  let refused = 0;
  for (let n = 0; n < 3000; n++) {
    const src = sources[rand(sources.length)];
    const m = Buffer.from(src);
    const edits = 1 + rand(3);
    let buf = m;
    for (let k = 0; k < edits; k++) {
      const at = rand(buf.length);
      const what = rand(3);
      const byte = alphabet[rand(alphabet.length)];
      if (what === 0) buf[at] = byte;
      else if (what === 1) buf = Buffer.concat([buf.subarray(0, at), Buffer.from([byte]), buf.subarray(at)]);
      else buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
    }
    try {
      assemble([decodeMessage(buf)]);
    } catch (err) {
      assert.instance(err, OgrtError, `case ${n}: ${JSON.stringify(buf.toString('latin1'))}: ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > 1000, `only ${refused} of 3000 corruptions refused`);
});

test.run();
