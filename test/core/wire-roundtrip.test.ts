// Property tests with a seeded PRNG: random records (random bytes in paths,
// invalid UTF-8, controls, escapes; lists up to a few thousand items; M from
// 4096 to 65536) must encode within M, agree with the reference encoder, and
// decode back to themselves (or, where values were capped, to what the
// reference says). Plus the surrogateescape round trip on random bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { OgrtRecord } from '../../src/core/record.ts';
import { assemble, bytesToString, decodeMessage, encodeRecord, stringToBytes } from '../../src/core/wire.ts';
import { expectedDecoded, oracleBytes, oracleEncode, oracleString } from './wire-oracle.ts';
import { prng } from '../helpers/random.ts';

const SEED = 0x0c7a11;
const rand = prng(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
const chance = (p: number) => rand() < p;

const enc = new TextEncoder();
const SPECIALS = [0x22, 0x5c, 0x5d, 0x25, 0x3d, 0x20];
const SAMPLES = ['é', '日', '🙂', '\u0085', '\u00a0', '\uffff', '\u{10ffff}'].map((c) => [...enc.encode(c)]);

/** Random bytes: mostly ASCII, some escapes, UTF-8, controls, stray and near-valid bytes. */
function randomBytes(len: number, flavour: number): number[] {
  const out: number[] = [];
  while (out.length < len) {
    const r = rand();
    if (flavour === 0 || r < 0.6) out.push(int(0x21, 0x7e));
    else if (r < 0.7) out.push(pick(SPECIALS));
    else if (r < 0.8) out.push(...pick(SAMPLES));
    else if (flavour === 1) out.push(int(0x61, 0x7a));
    else if (r < 0.85) out.push(pick([0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f]));
    else if (r < 0.92) out.push(int(0x80, 0xff));
    else out.push(...pick(SAMPLES).slice(0, -1)); // a cut sequence
  }
  return out;
}

function randomString(maxLen: number): string {
  const len = chance(0.05) ? int(0, maxLen) : int(0, Math.min(40, maxLen));
  return oracleString(randomBytes(len, pick([0, 1, 2, 2])));
}

function randomUuid(): string {
  const h = () => int(0, 15).toString(16);
  const g = (n: number) => Array.from({ length: n }, h).join('');
  return `${g(8)}-${g(4)}-${g(4)}-${g(4)}-${g(12)}`;
}

function randomTime(): string {
  const seconds = int(0, 10_000_000_000);
  return new Date(seconds * 1000).toISOString().slice(0, 19) + '.' + String(int(0, 999999)).padStart(6, '0') + 'Z';
}

const listSize = () => (chance(0.03) ? int(500, 3000) : int(0, 30));
const maybe = <T>(f: () => T): T | undefined => (chance(0.6) ? f() : undefined);
const safeInt = () => (chance(0.1) ? Number.MAX_SAFE_INTEGER - int(0, 10) : int(0, 5_000_000));

function randomRecord(): OgrtRecord {
  const r: OgrtRecord = {
    uuid: randomUuid(),
    kind: pick(['process', 'dlopen', 'exit'] as const),
    time: randomTime(),
    hostname: chance(0.7) ? `node${int(0, 999)}` : randomString(400),
    pid: safeInt(),
    shared_objects: Array.from({ length: listSize() }, () => {
      const path = '/' + randomString(chance(0.02) ? 5000 : 200);
      return chance(0.3) ? { path, signature: chance(0.9) ? randomUuid() : 's' + randomString(4000) } : { path };
    }),
    loaded_modules: Array.from({ length: listSize() }, () => ({ name: randomString(300) })),
    environment_variables: Array.from({ length: listSize() }, () => ({
      name: 'V' + randomString(20).replace(/=/g, '_'),
      value: randomString(chance(0.02) ? 6000 : 100),
    })),
  };
  const opt = r as unknown as Record<string, unknown>;
  for (const name of ['process_uuid', 'job_id', 'username', 'signature']) if (chance(0.5)) opt[name] = chance(0.8) ? randomString(30) : randomString(400);
  for (const name of ['binpath', 'cmdline']) if (chance(0.6)) opt[name] = randomString(chance(0.1) ? 40000 : 300);
  r.parent_pid = maybe(safeInt);
  r.uid = maybe(safeInt);
  if (r.kind === 'exit') {
    r.exit_status = chance(0.9) ? int(0, 255) : -int(1, 1000);
    r.wall_time_us = maybe(safeInt);
    r.max_rss_kb = maybe(safeInt);
  }
  for (const k of Object.keys(opt)) if (opt[k] === undefined) delete opt[k];
  if (chance(0.2)) {
    const refs = ['cmdline', 'binpath', 'job_id'];
    if (r.shared_objects.length > 0) refs.push('shared_objects[0].path');
    if (r.environment_variables.length > 0) refs.push(`environment_variables[${r.environment_variables.length - 1}]`);
    r.truncated = refs.filter((x) => chance(0.5) && (!/^[a-z_]+$/.test(x) || opt[x] !== undefined));
    if (r.truncated.length === 0) delete r.truncated;
  }
  return r;
}

function shuffle<T>(xs: T[]): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

test(`random records (seed ${SEED}): size bound, reference encoder, decode(encode(r))`, () => {
  let compared = 0, exact = 0, cut = 0, split = 0;
  for (let n = 0; n < 250; n++) {
    const r = randomRecord();
    const maxSize = chance(0.3) ? 4096 : int(4096, 65536);
    const ctx = `record #${n} (seed ${SEED}), M=${maxSize}`;
    const messages = encodeRecord(r, { maxMessageSize: maxSize });
    for (const m of messages) assert.ok(m.length <= maxSize, `${ctx}: message of ${m.length} bytes`);
    if (messages.length > 1) split++;
    const items = r.shared_objects.length + r.loaded_modules.length + r.environment_variables.length;
    if (items <= 300) {
      const want = oracleEncode(r, maxSize);
      assert.is(messages.length, want.length, `${ctx}: parts`);
      messages.forEach((m, i) => assert.ok(m.equals(want[i]), `${ctx}: part ${i + 1} differs from the reference`));
      compared++;
    }
    const decoded = assemble(shuffle(messages.map((m) => decodeMessage(m))));
    const expected = expectedDecoded(r, maxSize);
    assert.equal(decoded, expected, ctx);
    if (JSON.stringify(expected.truncated) === JSON.stringify(r.truncated)) {
      assert.equal(decoded, r, `${ctx}: identity without cuts`);
      exact++;
    } else {
      cut++;
    }
  }
  // the generator must exercise every branch it is meant to
  assert.ok(compared > 150 && exact > 100 && cut > 10 && split > 5, `compared ${compared}, exact ${exact}, cut ${cut}, split ${split}`);
});

test(`surrogateescape round trip on random bytes (seed ${SEED})`, () => {
  for (let n = 0; n < 3000; n++) {
    const bytes = randomBytes(int(0, 48), 2);
    const s = bytesToString(Buffer.from(bytes));
    assert.is(s, oracleString(bytes), `bytes ${Buffer.from(bytes).toString('hex')}`);
    assert.equal([...stringToBytes(s)], bytes, `bytes ${Buffer.from(bytes).toString('hex')}`);
  }
});

test('surrogateescape: fixed cases', () => {
  const hex = (s: string) => stringToBytes(s).toString('hex');
  assert.is(bytesToString(Buffer.from('caf\xe9', 'latin1')), 'caf\udce9');
  assert.is(hex('caf\udce9'), '636166e9');
  assert.is(hex('é🙂'), 'c3a9f09f9982');
  assert.is(bytesToString(Buffer.from([0xed, 0xa0, 0x80])), '\udced\udca0\udc80'); // encoded surrogate
  assert.is(bytesToString(Buffer.from([0xc0, 0xaf])), '\udcc0\udcaf'); // overlong
  assert.is(bytesToString(Buffer.from([0xf4, 0x90, 0x80, 0x80])), '\udcf4\udc90\udc80\udc80'); // above U+10FFFF
  assert.is(bytesToString(Buffer.from([0xe6, 0x97, 0x41])), '\udce6\udc97A');
  // a pair of escapes that spells valid UTF-8 becomes that character: bytes are the truth
  assert.is(bytesToString(stringToBytes('\udcc3\udca9')), 'é');
  assert.equal([...stringToBytes('\udcc3\udca9')], oracleBytes('\udcc3\udca9'));
});

test.run();
