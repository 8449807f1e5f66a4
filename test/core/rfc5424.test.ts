// Conformance of parseRfc5424 with RFC 5424 §6: every grammar rule, valid and
// invalid. An invalid case is written as [before, after]: the parser must
// report its reason at the first byte of `after`, i.e. at byteLength(before).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRfc5424, SyslogParseError, type SyslogMessage, type SyslogReason } from '../../src/core/rfc5424.ts';

type Part = string | Buffer | number[];
const bytes = (...parts: Part[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

const HEAD = '<14>1 2026-11-24T21:40:08.123456Z host app 42 mid ';
const BOM = [0xef, 0xbb, 0xbf];

function parse(...parts: Part[]): SyslogMessage {
  return parseRfc5424(bytes(...parts));
}

/** `before` + `after` must fail with `reason` at the first byte of `after`. */
function rejects(before: Part, after: Part, reason: SyslogReason): void {
  const input = bytes(before, after);
  const offset = bytes(before).length;
  try {
    parseRfc5424(input);
  } catch (err) {
    assert.instance(err, SyslogParseError, `${JSON.stringify(input.toString('latin1'))}`);
    const e = err as SyslogParseError;
    assert.is(e.code, 'OGRT_ERR_SYSLOG_PARSE');
    assert.is(`${e.reason}@${e.offset}`, `${reason}@${offset}`, `${JSON.stringify(input.toString('latin1'))}`);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(input.toString('latin1'))}`);
}

/** A prefix of a message: must fail as truncated at its own length. */
function truncated(...parts: Part[]): void {
  rejects(bytes(...parts), '', 'truncated');
}

test('PRI: 0..191 without leading zeros; facility and severity derived', () => {
  for (const [text, pri] of [['<0>', 0], ['<7>', 7], ['<8>', 8], ['<14>', 14], ['<99>', 99], ['<191>', 191]] as const) {
    const m = parse(text, '1 - - - - - -');
    assert.is(m.pri, pri);
    assert.is(m.facility, Math.floor(pri / 8));
    assert.is(m.severity, pri % 8);
  }
  rejects('', 'x', 'bad_pri');
  rejects('', '14>1', 'bad_pri');
  rejects('<', '>1', 'bad_pri');
  rejects('<', 'a>1', 'bad_pri');
  rejects('<', ' 14>1', 'bad_pri');
  rejects('<', '-1>1', 'bad_pri');
  rejects('<0', '0>1', 'bad_pri');
  rejects('<0', '14>1', 'bad_pri');
  rejects('<191', '4>1', 'bad_pri');
  rejects('<', '192>1', 'bad_pri');
  rejects('<', '999>1', 'bad_pri');
  rejects('<14', ' 1', 'bad_pri');
  truncated('');
  truncated('<');
  truncated('<14');
});

test('VERSION: NONZERO-DIGIT 0*2DIGIT then SP', () => {
  for (const v of ['1', '2', '10', '999']) assert.is(parse('<14>', v, ' - - - - - -').version, Number(v));
  rejects('<14>', ' - - - - - -', 'bad_version');
  rejects('<14>', '0 - - - - - -', 'bad_version');
  rejects('<14>', '01 - - - - - -', 'bad_version');
  rejects('<14>100', '0 - - - - - -', 'bad_version');
  rejects('<14>1', 'x - - - - - -', 'bad_version');
  rejects('<14>1', '- - - - - -', 'bad_version');
  truncated('<14>');
  truncated('<14>1');
});

test('TIMESTAMP: valid forms kept exactly as on the wire', () => {
  for (const ts of [
    '2026-11-24T21:40:08Z', '2026-11-24T21:40:08.1Z', '2026-11-24T21:40:08.123456Z', '2026-11-24T21:40:08.000000Z',
    '1985-04-12T23:20:50.52Z', '1985-04-12T19:20:50.52-04:00', '2003-08-24T05:14:15.000003-07:00',
    '2026-11-24T23:59:59.999999+23:59', '2026-11-24T00:00:00-00:00', '2024-02-29T12:00:00Z', '2000-02-29T12:00:00Z',
    '0000-02-29T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2026-01-31T00:00:00Z', '2026-04-30T00:00:00Z',
  ]) {
    assert.is(parse('<14>1 ', ts, ' - - - - -').timestamp, ts);
  }
  assert.is(parse('<14>1 - - - - - -').timestamp, null);
});

test('TIMESTAMP: syntax errors at the offending byte', () => {
  const p = '<14>1 ';
  const tail = ' - - - - -';
  rejects(p + '2026-11-24', 't21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24', ' 21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08', 'z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08', tail, 'bad_timestamp'); // no TIME-OFFSET
  rejects(p + '2026-11-24T21:40:08.', 'Z' + tail, 'bad_timestamp'); // empty TIME-SECFRAC
  rejects(p + '2026-11-24T21:40:08.123456', '7Z' + tail, 'bad_timestamp'); // 7 fractional digits
  rejects(p + '2026-11-24T21:40:08', ',1Z' + tail, 'bad_timestamp');
  rejects(p + '2026-1', '-24T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '26', '-11-24T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08+02', ' - - - - -', 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08+02', '00' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08+2', ':00' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08Z', 'x' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08Z', '\t- - - - -', 'bad_timestamp');
  rejects(p + '-', '-' + tail, 'bad_timestamp');
  rejects(p + '-', 'x' + tail, 'bad_timestamp');
  rejects(p, ' - - - - - -', 'bad_timestamp');
  rejects(p + '2026', [0xef, 0xbc, 0x8d], 'bad_timestamp');
  truncated(p);
  truncated(p + '-');
  truncated(p + '2026-11-2');
  truncated(p + '2026-11-24T21:40:08');
  truncated(p + '2026-11-24T21:40:08.');
  truncated(p + '2026-11-24T21:40:08.12');
  truncated(p + '2026-11-24T21:40:08+02:0');
  truncated(p + '2026-11-24T21:40:08.123456Z');
});

test('TIMESTAMP: ranges (month, day of month incl. leap years, hour, minute, second, offset)', () => {
  const p = '<14>1 ';
  const tail = ' - - - - -';
  rejects(p + '2026-', '00-24T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-', '13-24T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-', '00T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-', '31T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-12-', '32T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-04-', '31T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2025-02-', '29T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '1900-02-', '29T21:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T', '24:40:08Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:', '60:08Z' + tail, 'bad_timestamp');
  // RFC 5424 §6.2.3: "Leap seconds MUST NOT be used."
  rejects(p + '2016-12-31T23:59:', '60Z' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08+', '24:00' + tail, 'bad_timestamp');
  rejects(p + '2026-11-24T21:40:08-02:', '60' + tail, 'bad_timestamp');
});

const FIELDS = [
  { name: 'HOSTNAME', key: 'hostname', max: 255, bad: 'bad_hostname', long: 'hostname_too_long', before: '<14>1 - ', after: ' app 1 m -' },
  { name: 'APP-NAME', key: 'appName', max: 48, bad: 'bad_app_name', long: 'app_name_too_long', before: '<14>1 - h ', after: ' 1 m -' },
  { name: 'PROCID', key: 'procId', max: 128, bad: 'bad_procid', long: 'procid_too_long', before: '<14>1 - h a ', after: ' m -' },
  { name: 'MSGID', key: 'msgId', max: 32, bad: 'bad_msgid', long: 'msgid_too_long', before: '<14>1 - h a 1 ', after: ' -' },
] as const;

for (const f of FIELDS) {
  test(`${f.name}: NILVALUE or 1*${f.max} PRINTUSASCII`, () => {
    const value = (v: Part) => (parse(f.before, v, f.after) as unknown as Record<string, unknown>)[f.key];
    assert.is(value('-'), null);
    assert.is(value('x'), 'x');
    assert.is(value('--'), '--');
    assert.is(value('-x'), '-x');
    assert.is(value('!~"[]=\\'), '!~"[]=\\');
    const longest = 'abcdefghij'.repeat(26).slice(0, f.max);
    assert.is(value(longest), longest);
    rejects(f.before + longest, 'x' + f.after, f.long);
    rejects(f.before, f.after, f.bad); // empty field (two SPs)
    rejects(f.before + 'a', '\tb' + f.after, f.bad);
    rejects(f.before + 'a', '\x7f' + f.after, f.bad);
    rejects(f.before + 'a', '\x00' + f.after, f.bad);
    rejects(f.before + 'a', 'é' + f.after, f.bad);
    truncated(f.before);
    truncated(f.before + 'abc');
  });
}

test('STRUCTURED-DATA: NILVALUE, SD-ELEMENTs, params in order with repeated names kept', () => {
  assert.equal(parse(HEAD, '-').structuredData, []);
  assert.equal(parse(HEAD, '[a]').structuredData, [{ id: 'a', params: [] }]);
  assert.equal(parse(HEAD, '[a][b x=""]').structuredData, [{ id: 'a', params: [] }, { id: 'b', params: [{ name: 'x', value: '' }] }]);
  assert.equal(parse(HEAD, '[ogrt-so@32473 0="/lib/a.so" 1="/lib/b.so" 0="again" 0="/lib/a.so"]').structuredData, [
    {
      id: 'ogrt-so@32473',
      params: [
        { name: '0', value: '/lib/a.so' }, { name: '1', value: '/lib/b.so' },
        { name: '0', value: 'again' }, { name: '0', value: '/lib/a.so' },
      ],
    },
  ]);
  const name32 = 'n'.repeat(31) + '~';
  const edge = parse(HEAD, `[${name32} !#$%&'()*+,-./:;<>?@[\\^_\`{|}~="v"]`).structuredData;
  assert.equal(edge, [{ id: name32, params: [{ name: "!#$%&'()*+,-./:;<>?@[\\^_`{|}~", value: 'v' }] }]);
  // Values may hold any UTF-8, including SP, '[', '=', controls.
  const v = parse(HEAD, '[a k="x [y\\]=z\tq\x01 café 😀 日本"]').structuredData[0].params[0].value;
  assert.is(v, 'x [y]=z\tq\x01 café 😀 日本');
  // '[' is PRINTUSASCII and not excluded from SD-NAME.
  assert.equal(parse(HEAD, '[a[b c[="["]').structuredData, [{ id: 'a[b', params: [{ name: 'c[', value: '[' }] }]);
});

test('PARAM-VALUE: \\" \\\\ \\] unescaped, any other backslash kept literally (RFC 5424 §6.3.3)', () => {
  const value = (raw: Part) => parse(HEAD, '[a k="', raw, '"]').structuredData[0].params[0].value;
  assert.is(value('a\\"b'), 'a"b');
  assert.is(value('a\\\\b'), 'a\\b');
  assert.is(value('a\\]b'), 'a]b');
  assert.is(value('\\]'), ']');
  assert.is(value('\\\\'), '\\');
  assert.is(value('\\\\\\"'), '\\"');
  assert.is(value('a\\nb'), 'a\\nb');
  assert.is(value('C:\\temp\\x'), 'C:\\temp\\x');
  assert.is(value('\\é\\"'), '\\é"');
  assert.is(value('\\[x\\=\\ '), '\\[x\\=\\ ');
  // A value whose last character is a backslash must be sent as `\\`: `x\"]` escapes the quote.
  rejects(HEAD + '[a k="x\\"', ']', 'unescaped_bracket');
  truncated(HEAD, '[a k="x\\"');
  truncated(HEAD, '[a k="x\\');
});

test('STRUCTURED-DATA: syntax errors at the offending byte', () => {
  rejects(HEAD, 'x', 'bad_sd');
  rejects(HEAD, ' -', 'bad_sd');
  rejects(HEAD + '-', 'x', 'bad_sd');
  rejects(HEAD + '-', '\n', 'bad_sd'); // framing (a trailing LF) is the caller's to remove
  rejects(HEAD + '[a]', 'x', 'bad_sd');
  rejects(HEAD + '[a]', '\n', 'bad_sd');
  rejects(HEAD + '[', ']', 'bad_sd_name');
  rejects(HEAD + '[', ' a]', 'bad_sd_name'); // RFC 5424 §6.3.5, invalid example 4
  rejects(HEAD + '[a', '=b]', 'bad_sd_name');
  rejects(HEAD + '[a', '"]', 'bad_sd_name');
  rejects(HEAD + '[a', '\x01]', 'bad_sd_name');
  rejects(HEAD + '[a', 'é]', 'bad_sd_name');
  rejects(HEAD + '[a ', ' k="v"]', 'bad_sd_name');
  rejects(HEAD + '[a ', ']', 'bad_sd_name');
  rejects(HEAD + '[a ', '="v"]', 'bad_sd_name');
  rejects(HEAD + '[a k', '\x7f="v"]', 'bad_sd_name');
  rejects(HEAD + '[a k', ']', 'bad_sd_param');
  rejects(HEAD + '[a k', ' j="v"]', 'bad_sd_param');
  rejects(HEAD + '[a k', '"v"]', 'bad_sd_param');
  rejects(HEAD + '[a k=', 'v]', 'bad_sd_param');
  rejects(HEAD + '[a k=', '="v"]', 'bad_sd_param');
  rejects(HEAD + '[a k=', "'v']", 'bad_sd_param');
  rejects(HEAD + '[a k="v"', 'j="w"]', 'bad_sd_param');
  rejects(HEAD + '[a k="v"', 'x]', 'bad_sd_param');
  rejects(HEAD + '[a k="v', ']"]', 'unescaped_bracket');
  rejects(HEAD + '[a k="', ']"]', 'unescaped_bracket');
  truncated(HEAD);
  truncated(HEAD, '[');
  truncated(HEAD, '[a');
  truncated(HEAD, '[a ');
  truncated(HEAD, '[a k');
  truncated(HEAD, '[a k=');
  truncated(HEAD, '[a k="');
  truncated(HEAD, '[a k="v');
  truncated(HEAD, '[a k="v"');
  truncated(HEAD, '[a k="v" ');
  truncated(HEAD, '[a][b');
});

test('SD-NAME: at most 32 bytes for SD-ID and PARAM-NAME', () => {
  const n32 = 'abcdefgh'.repeat(4);
  assert.equal(parse(HEAD, `[${n32} ${n32}="v"]`).structuredData, [{ id: n32, params: [{ name: n32, value: 'v' }] }]);
  rejects(HEAD + '[' + n32, 'x]', 'sd_name_too_long');
  rejects(HEAD + '[a ' + n32, 'x="v"]', 'sd_name_too_long');
  rejects(HEAD + '[' + n32, 'xyz k="v"]', 'sd_name_too_long');
});

test('SD-ID: the same SD-ID more than once in a message is an error', () => {
  rejects(HEAD + '[a k="1"][', 'a k="2"]', 'duplicate_sd_id');
  rejects(HEAD + '[a][b][c][', 'b]', 'duplicate_sd_id');
  const ids = Array.from({ length: 20 }, (_, i) => `[id${i}]`).join('');
  assert.is(parse(HEAD, ids).structuredData.length, 20);
  rejects(HEAD + ids + '[', 'id13]', 'duplicate_sd_id');
  rejects(HEAD + ids.slice(0, 50) + '[', 'id3]' + ids.slice(50), 'duplicate_sd_id');
  // SD-IDs differ by case: not duplicates.
  assert.is(parse(HEAD, '[a][A]').structuredData.length, 2);
});

test('PARAM-VALUE: invalid UTF-8 is an error at the first byte of the bad sequence', () => {
  const at = (before: number[], bad: number[]) => rejects(bytes(HEAD, '[a k="x', before), bytes(bad, '"]'), 'invalid_utf8');
  at([], [0xc3, 0x28]); // continuation missing
  at([], [0x80]); // lone continuation
  at([], [0xc0, 0xaf]); // overlong '/'
  at([], [0xc1, 0xbf]); // overlong
  at([], [0xe0, 0x80, 0xaf]); // overlong
  at([], [0xf0, 0x80, 0x80, 0xaf]); // overlong
  at([], [0xed, 0xa0, 0x80]); // surrogate U+D800
  at([], [0xed, 0xbf, 0xbf]); // surrogate U+DFFF
  at([], [0xf4, 0x90, 0x80, 0x80]); // above U+10FFFF
  at([], [0xf5, 0x80, 0x80, 0x80]);
  at([], [0xff]);
  at([0xc3, 0xa9], [0xe2, 0x82]); // cut by the closing quote
  // boundary values that are valid
  const v = (b: number[]) => parse(HEAD, '[a k="', b, '"]').structuredData[0].params[0].value;
  assert.is(v([0xc2, 0x80]), '\u0080');
  assert.is(v([0xdf, 0xbf]), '\u07ff');
  assert.is(v([0xe0, 0xa0, 0x80]), '\u0800');
  assert.is(v([0xed, 0x9f, 0xbf]), '\ud7ff');
  assert.is(v([0xee, 0x80, 0x80]), '\ue000');
  assert.is(v([0xef, 0xbf, 0xbf]), '\uffff');
  assert.is(v([0xf0, 0x90, 0x80, 0x80]), '\u{10000}');
  assert.is(v([0xf4, 0x8f, 0xbf, 0xbf]), '\u{10ffff}');
  truncated(HEAD, '[a k="', [0xf0, 0x9f, 0x98]);
});

test('MSG: absent, empty, any octets, or BOM + UTF-8', () => {
  let m = parse(HEAD, '-');
  assert.is(m.msg, null);
  assert.is(m.msgBom, false);
  m = parse(HEAD, '[a]');
  assert.is(m.msg, null);
  m = parse(HEAD, '- ');
  assert.is(m.msg, '');
  assert.is(m.msgBom, false);
  m = parse(HEAD, '[a k="v"]  two  spaces\nand LF ');
  assert.is(m.msg, ' two  spaces\nand LF ');
  m = parse(HEAD, '- ', BOM, 'café');
  assert.is(m.msg, 'café');
  assert.is(m.msgBom, true);
  m = parse(HEAD, '- ', BOM);
  assert.is(m.msg, '');
  assert.is(m.msgBom, true);
  m = parse(HEAD, '[a] ', BOM, BOM, 'x');
  assert.is(m.msg, '\ufeffx', 'only the first BOM is the marker');
  // Without BOM, MSG-ANY is decoded leniently: invalid UTF-8 becomes U+FFFD.
  m = parse(HEAD, '- ', [0x61, 0xff, 0x62, 0xc3]);
  assert.is(m.msg, 'a\ufffdb\ufffd');
  assert.is(m.msgBom, false);
  m = parse(HEAD, '- ', [0xef, 0xbb], 'x');
  assert.is(m.msgBom, false);
  // A space after SD starts MSG even if MSG looks like SD (RFC 5424 §6.3.5, example 3).
  m = parse(HEAD, '[a k="1"] [b k="2"]');
  assert.equal(m.structuredData, [{ id: 'a', params: [{ name: 'k', value: '1' }] }]);
  assert.is(m.msg, '[b k="2"]');
  rejects(bytes(HEAD, '- ', BOM, 'ok'), [0xc3, 0x28], 'invalid_utf8');
  rejects(bytes(HEAD, '- ', BOM, 'ok'), [0xed, 0xa0, 0x80], 'invalid_utf8');
  truncated(HEAD, '- ', BOM, 'ok', [0xe2, 0x82]);
});

test('RFC 5424 §6.5 examples', () => {
  const ex1 = bytes('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ', BOM, "'su root' failed for lonvick on /dev/pts/8");
  assert.equal(parseRfc5424(ex1), {
    pri: 34, facility: 4, severity: 2, version: 1, timestamp: '2003-10-11T22:14:15.003Z',
    hostname: 'mymachine.example.com', appName: 'su', procId: null, msgId: 'ID47',
    structuredData: [], msg: "'su root' failed for lonvick on /dev/pts/8", msgBom: true,
  });
  const ex2 = bytes("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
  assert.equal(parseRfc5424(ex2), {
    pri: 165, facility: 20, severity: 5, version: 1, timestamp: '2003-08-24T05:14:15.000003-07:00',
    hostname: '192.0.2.1', appName: 'myproc', procId: '8710', msgId: null,
    structuredData: [], msg: "%% It's time to make the do-nuts.", msgBom: false,
  });
  const sd1 = '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]';
  const sd1Parsed = {
    id: 'exampleSDID@32473',
    params: [{ name: 'iut', value: '3' }, { name: 'eventSource', value: 'Application' }, { name: 'eventID', value: '1011' }],
  };
  const ex3 = bytes('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ', sd1, ' ', BOM, 'An application event log entry...');
  assert.equal(parseRfc5424(ex3), {
    pri: 165, facility: 20, severity: 5, version: 1, timestamp: '2003-10-11T22:14:15.003Z',
    hostname: 'mymachine.example.com', appName: 'evntslog', procId: null, msgId: 'ID47',
    structuredData: [sd1Parsed], msg: 'An application event log entry...', msgBom: true,
  });
  const ex4 = bytes('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ', sd1, '[examplePriority@32473 class="high"]');
  const m4 = parseRfc5424(ex4);
  assert.equal(m4.structuredData, [sd1Parsed, { id: 'examplePriority@32473', params: [{ name: 'class', value: 'high' }] }]);
  assert.is(m4.msg, null);
});

test('start/end: parses a slice; offsets count from start; plain Uint8Array accepted', () => {
  const msg = HEAD + '[a k="v"]';
  const framed = bytes(`${msg.length} `, msg, '\n', 'garbage');
  const m = parseRfc5424(framed, String(msg.length).length + 1, String(msg.length).length + 1 + msg.length);
  assert.equal(m.structuredData, [{ id: 'a', params: [{ name: 'k', value: 'v' }] }]);
  const u8 = new Uint8Array(bytes('xx', msg));
  assert.equal(parseRfc5424(u8.subarray(2)), parseRfc5424(bytes(msg)));
  assert.equal(parseRfc5424(u8, 2), parseRfc5424(bytes(msg)));
  try {
    parseRfc5424(bytes('12345<14>1 - - - - - [a k="v]"]'), 5);
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, SyslogParseError);
    assert.is((e as SyslogParseError).offset, '<14>1 - - - - - [a k="v'.length);
    assert.match((e as Error).message, /^invalid RFC 5424 message at byte 23: unescaped_bracket/);
  }
  for (const input of [null, undefined, '<14>1 - - - - - -', [60, 49, 52, 62]]) {
    try {
      parseRfc5424(input as unknown as Uint8Array);
      assert.unreachable('accepted a non-Uint8Array');
    } catch (err) {
      assert.instance(err, SyslogParseError);
      assert.is((err as SyslogParseError).reason, 'bad_bounds');
    }
  }
  for (const [s, e] of [[-1, 3], [0, 999], [4, 2], [0.5, 3], [0, NaN]]) {
    try {
      parseRfc5424(bytes('<14>'), s, e);
      assert.unreachable('accepted bounds');
    } catch (err) {
      assert.instance(err, SyslogParseError);
      assert.is((err as SyslogParseError).reason, 'bad_bounds');
    }
  }
});

test('NILVALUE in every allowed position', () => {
  assert.equal(parse('<14>1 - - - - - -'), {
    pri: 14, facility: 1, severity: 6, version: 1, timestamp: null, hostname: null, appName: null,
    procId: null, msgId: null, structuredData: [], msg: null, msgBom: false,
  });
});

test.run();
