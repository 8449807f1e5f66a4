/**
 * The benchmark's verifier must fail a receiver that loses, repeats or
 * changes records — in each output format it reads (ogrt-server's JSON
 * lines, rsyslog's mmpstrucdata JSON, syslog-ng's format-json) — and the
 * workload must be what the benchmark claims (deterministic, one message per
 * record, values that need escapes and percent form).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeRecord } from '../../src/core/wire.ts';
import { parseRfc5424 } from '../../src/core/rfc5424.ts';
import { GENERATOR_VERSION, recordAt, type StreamMeta } from '../../bench/workload.ts';
import { verifyOutput, type OutputFormat } from '../../bench/verify.ts';
import { tempDir, removeDir } from '../helpers/temp.ts';

const N = 200; // covers every special value of recordAt (i % 50, % 64, % 100, % 200)
const SEED = 7;
const meta: StreamMeta = { generator: GENERATOR_VERSION, n: N, seed: SEED, framing: 'octet', messages: N, bytes: 0, messageBytes: 0 };

const test = suite('bench verify');
let dir: string;

test.before(async () => {
  dir = await tempDir('ogrt-bench-verify-');
});

test.after(async () => {
  await removeDir(dir);
});

function ogrtLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(JSON.stringify({ ...recordAt(SEED, i), receive: { input: 'bench', peer: '127.0.0.1:1', time: '2026-11-24T21:40:08.000001Z' } }));
  return lines;
}

/** What rsyslog's mmpstrucdata template writes: SD elements as nested objects, values unescaped. */
function rsyslogLines(): string[] {
  return Array.from({ length: N }, (_, i) => {
    const [msg] = encodeRecord(recordAt(SEED, i));
    const parsed = parseRfc5424(msg);
    const sd: Record<string, Record<string, string>> = {};
    for (const el of parsed.structuredData) sd[el.id] = Object.fromEntries(el.params.map((p) => [p.name, p.value]));
    return JSON.stringify({ msgid: parsed.msgId, procid: parsed.procId, sd });
  });
}

/** What syslog-ng's format-json writes: `ogrt@32473` nested, the list elements flat, keys in reverse order. */
function syslogNgLines(): string[] {
  return Array.from({ length: N }, (_, i) => {
    const [msg] = encodeRecord(recordAt(SEED, i));
    const parsed = parseRfc5424(msg);
    const sdata: Record<string, unknown> = {};
    for (const el of parsed.structuredData) {
      if (el.id === 'ogrt@32473') sdata[el.id] = Object.fromEntries(el.params.map((p) => [p.name, p.value]).reverse());
      else for (const p of [...el.params].reverse()) sdata[`${el.id}.${p.name}`] = p.value;
    }
    return JSON.stringify({ procid: parsed.procId, msgid: parsed.msgId, _SDATA: sdata });
  });
}

function check(name: string, lines: string[], format: OutputFormat) {
  const file = path.join(dir, `${name}.jsonl`);
  writeFileSync(file, lines.map((l) => l + '\n').join(''));
  return verifyOutput(file, format, meta);
}

test('the workload is deterministic, one message per record, with escapes, percent form and UTF-8', () => {
  assert.equal(recordAt(SEED, 13), recordAt(SEED, 13));
  assert.is.not(recordAt(SEED, 1).uuid, recordAt(SEED, 2).uuid);
  const wire = Array.from({ length: N }, (_, i) => encodeRecord(recordAt(SEED, i)));
  assert.ok(wire.every((m) => m.length === 1));
  const text = wire.map((m) => m[0].toString('utf8')).join('\n');
  assert.match(text, /\\"run \[7\\\]\\"/); // `"`, `]` escaped
  assert.match(text, /7~p="\/scratch\/caf%E9\//); // not UTF-8: percent form
  assert.match(text, /cmdline~p="[^"]*%09--tabbed/); // a control character: percent form
  assert.match(text, /PROJECT=Zürich 日本 100%/); // UTF-8 and a literal % in plain form
  const avg = wire.reduce((s, m) => s + m[0].length, 0) / N;
  assert.ok(avg > 2000 && avg < 2400, `about 2.2 KB per message, got ${avg}`);
});

for (const [format, make] of [['ogrt', ogrtLines], ['rsyslog', rsyslogLines], ['syslog-ng', syslogNgLines]] as const) {
  test(`${format}: a faithful output passes`, () => {
    const r = check(`${format}-ok`, make(), format);
    assert.equal({ ok: r.ok, matched: r.matched, missing: r.missing, duplicates: r.duplicates, mismatched: r.mismatched, unreadable: r.unreadable }, {
      ok: true, matched: N, missing: 0, duplicates: 0, mismatched: 0, unreadable: 0,
    });
  });

  test(`${format}: a lost, a repeated and a changed record are caught`, () => {
    const lines = make();
    lines.splice(5, 1); // lose record 5
    lines.push(lines[10]); // repeat record 11 (index 10 after the splice)
    lines[20] = lines[20].replace('libm.so.6', 'libm.so.7'); // change a value of record 21
    const r = check(`${format}-bad`, lines, format);
    assert.is(r.ok, false);
    assert.is(r.missing, 1);
    assert.is(r.duplicates, 1);
    assert.is(r.mismatched, 1);
    assert.is(r.matched, N - 2);
  });
}

test('rsyslog: a relay that keeps the RFC 5424 escapes in values is caught', () => {
  // record 7 has `"run [7]"` in its cmdline; a relay that did not unescape writes `\"run [7\]\"`
  const lines = rsyslogLines().map((l, i) => (i === 7 ? l.replace('\\"run [7]\\"', '\\\\\\"run [7\\\\]\\\\\\"') : l));
  assert.is.not(lines[7], rsyslogLines()[7]);
  const r = check('rsyslog-escapes', lines, 'rsyslog');
  assert.is(r.mismatched, 1);
});

test('syslog-ng: a relay that replaced a byte that is not UTF-8 is caught', () => {
  // record 13's path is in percent form (%E9); a relay that decoded it to U+FFFD changes the record
  const lines = syslogNgLines().map((l, i) => (i === 13 ? l.replace('caf%E9', 'caf\\ufffd').replace('"ogrt-so@32473.7~p"', '"ogrt-so@32473.7"') : l));
  const r = check('syslog-ng-bytes', lines, 'syslog-ng');
  assert.is(r.mismatched, 1);
});

test('lines that are not records are counted as unreadable', () => {
  const lines = ogrtLines();
  lines.push('not json', JSON.stringify({ uuid: '00000000-0000-4000-8000-000000000000', kind: 'process' }));
  const r = check('ogrt-junk', lines, 'ogrt');
  assert.is(r.unreadable, 2);
  assert.is(r.ok, false);
});

test.run();
