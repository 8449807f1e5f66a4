// The shared wire vectors (test/vectors/, docs/protocol.md §8): in sync with
// scripts/make-vectors.ts, equal to an independent reference encoder
// (wire-oracle.ts), and decoded back to the record they came from.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VECTOR_DIR, generatedVectors, loadVectors, toFields, toJson, toMessages, type Vector } from '../../scripts/make-vectors.ts';
import { parseRfc5424 } from '../../src/core/rfc5424.ts';
import { assemble, decodeMessage, encodeRecord } from '../../src/core/wire.ts';
import { expectedDecoded, oracleEncode, oracleValue } from './wire-oracle.ts';

const vectors = loadVectors();
const file = (name: string, ext: string): Buffer => readFileSync(path.join(VECTOR_DIR, name + ext));

/** Splits RFC 6587 octet-counted frames by hand (not with the code under test). */
function unframe(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const len = Number(buf.toString('latin1', i, sp));
    assert.ok(Number.isInteger(len) && len > 0, `bad frame length at ${i}`);
    out.push(buf.subarray(sp + 1, sp + 1 + len));
    i = sp + 1 + len;
  }
  return out;
}

const expectedCache = new Map<Vector, ReturnType<typeof expectedDecoded>>();
function expected(v: Vector) {
  let e = expectedCache.get(v);
  if (e === undefined) expectedCache.set(v, (e = expectedDecoded(v.record, v.max_message_size)));
  return e;
}

function messagesOf(v: Vector): Buffer[] {
  return encodeRecord(v.record, { maxMessageSize: v.max_message_size });
}

test('there are at least 20 vectors, each {description, max_message_size, record}', () => {
  assert.ok(vectors.size >= 20, `only ${vectors.size} vectors`);
  for (const [name, v] of vectors) {
    assert.equal(Object.keys(v).sort(), ['description', 'max_message_size', 'record'], name);
    assert.type(v.description, 'string');
    assert.ok(v.max_message_size >= 4096, name);
  }
});

test('generated .json files are in sync with scripts/make-vectors.ts', () => {
  for (const [name, v] of generatedVectors()) {
    assert.is(file(name, '.json').toString('utf8'), toJson(v), `${name}.json is stale: run npm run vectors`);
  }
});

test('.fields and .messages files are in sync (npm run vectors regenerates the same bytes)', () => {
  for (const [name, v] of vectors) {
    assert.is(file(name, '.fields').toString('utf8'), toFields(v), `${name}.fields is stale`);
    assert.ok(file(name, '.messages').equals(toMessages(v)), `${name}.messages is stale`);
  }
});

test('the minimal vector, checked by hand against protocol.md §1-§2', () => {
  const expected =
    '<14>1 2026-11-24T21:40:08.123456Z node042 ogrt 12345 process ' +
    '[ogrt@32473 v="1" uuid="3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab" part="1" parts="1" ' +
    'time="1795556408123456" hostname="node042" pid="12345"]';
  assert.is(expected.length, 197);
  assert.is(file('minimal-process', '.messages').toString('latin1'), `197 ${expected}`);
  assert.is(file('minimal-process', '.fields').toString('utf8'),
    'max_message_size 8096\nkind process\nuuid 3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab\ntime_us 1795556408123456\n' +
    `hostname ${Buffer.from('node042').toString('hex')}\npid 12345\n`);
});

test('the encoder agrees with the reference encoder on every vector', () => {
  for (const [name, v] of vectors) {
    const got = messagesOf(v);
    const want = oracleEncode(v.record, v.max_message_size);
    assert.is(got.length, want.length, `${name}: number of parts`);
    for (let i = 0; i < got.length; i++) {
      if (!got[i].equals(want[i])) assert.fixture(got[i].toString('latin1'), want[i].toString('latin1'), `${name} part ${i + 1}`);
    }
  }
});

test('every message is at most max_message_size and strict RFC 5424', () => {
  for (const [name, v] of vectors) {
    for (const m of unframe(file(name, '.messages'))) {
      assert.ok(m.length <= v.max_message_size, `${name}: ${m.length} > ${v.max_message_size}`);
      const parsed = parseRfc5424(m);
      assert.is(parsed.appName, 'ogrt');
      assert.is(parsed.msg, null, `${name}: no MSG`);
      for (const c of m) assert.ok(c >= 0x20 && c !== 0x7f, `${name}: control byte ${c}`);
    }
  }
});

test('decoding .messages gives the vector record (cut values and truncated refs where capped)', () => {
  for (const [name, v] of vectors) {
    const parts = unframe(file(name, '.messages')).map((m) => decodeMessage(m));
    const want = expected(v);
    assert.equal(assemble(parts), want, name);
    assert.equal(assemble([...parts].reverse()), want, `${name}, parts reversed`);
  }
});

test('vectors without any cut decode to exactly their record', () => {
  let exact = 0;
  for (const [name, v] of vectors) {
    const want = expected(v);
    if (JSON.stringify(want.truncated) !== JSON.stringify(v.record.truncated)) continue;
    exact++;
    assert.equal(assemble(messagesOf(v).map((m) => decodeMessage(m))), v.record, name);
  }
  assert.ok(exact >= 15, `only ${exact} vectors without encoder cuts`);
});

test('vector properties: splits, header hostname, cuts', () => {
  const parts = (name: string) => unframe(file(name, '.messages'));
  assert.is(parts('two-parts').length, 2);
  assert.ok(parts('many-shared-objects').length >= 10);
  assert.is(vectors.get('many-shared-objects')!.record.shared_objects.length, 4000);
  assert.ok(parts('max-message-size-4096').length >= 2);
  const header = (name: string) => parseRfc5424(parts(name)[0]).hostname;
  assert.is(header('hostname-not-printusascii'), null);
  assert.is(header('hostname-long'), null);
  assert.is(header('empty-strings'), null);
  assert.is(header('hostname-255'), 'h'.repeat(251) + '.org');
  assert.is(header('hostname-255-quote'), vectors.get('hostname-255-quote')!.record.hostname);
  const decoded = (name: string) => assemble(parts(name).map((m) => decodeMessage(m)));
  assert.is(decoded('hostname-long').hostname, 'h'.repeat(255));
  assert.equal(decoded('hostname-long').truncated, ['hostname']);
  assert.is(decoded('long-cap-exact').truncated, undefined);
  assert.is(decoded('long-cap-over').cmdline, 'a'.repeat(3023));
  assert.is(decoded('long-cap-over').binpath, '/' + 'b'.repeat(3021));
  assert.is(decoded('long-cap-over').environment_variables[0].value, 'e'.repeat(3020));
  assert.is(decoded('long-cap-over-percent').binpath, '/' + 'x'.repeat(3021));
  assert.ok(parts('long-cap-over-percent')[0].includes('binpath~pt="/xxx'));
  assert.is(decoded('long-cap-over-percent').environment_variables[0].value, 'q'.repeat(3019) + '%');
  assert.equal(decoded('collector-truncated').truncated, vectors.get('collector-truncated')!.record.truncated);
});

test('sig-at-boundary: the path alone would fit part 1, path + signature do not', () => {
  const v = vectors.get('sig-at-boundary')!;
  const [p1, p2] = unframe(file('sig-at-boundary', '.messages'));
  const last = v.record.shared_objects.length - 1;
  const so = v.record.shared_objects[last];
  assert.ok(so.signature);
  const param = (value: string) => ` ${last}="`.length + oracleValue(value, 3024).encoded.length + 1;
  // planned size of part 1 as §4 counts it: real digits "1" and "2" replaced by the reserve of 10
  const planned = p1.length - 2 + 10;
  assert.ok(planned + param(so.path) <= v.max_message_size, 'path alone fits');
  assert.ok(planned + param(so.path) + param(so.signature!) + '[ogrt-sig@32473]'.length > v.max_message_size, 'with signature it does not');
  assert.ok(p2.toString('latin1').includes(`[ogrt-so@32473 ${last}="`));
  assert.ok(p2.toString('latin1').includes(`[ogrt-sig@32473 ${last}="`));
  assert.not.ok(p1.toString('latin1').includes('ogrt-sig@32473'));
});

test.run();
