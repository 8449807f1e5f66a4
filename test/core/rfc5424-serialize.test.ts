// serializeRfc5424: escaping, validation, and round trips with parseRfc5424.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseRfc5424, serializeRfc5424, SyslogSerializeError, SYSLOG_REASONS,
  type SyslogMessage, type SyslogMessageInput, type SyslogReason,
} from '../../src/core/rfc5424.ts';
import { ogrtProcessMessage } from '../vectors/rfc5424/ogrt-process.ts';

function base(): SyslogMessage {
  return {
    pri: 14, facility: 1, severity: 6, version: 1, timestamp: '2026-11-24T21:40:08.123456Z',
    hostname: 'node042', appName: 'ogrt', procId: '12345', msgId: 'process',
    structuredData: [{ id: 'ogrt@32473', params: [{ name: 'v', value: '1' }] }], msg: null, msgBom: false,
  };
}

function refuses(m: SyslogMessageInput, reason: SyslogReason, field: string): void {
  try {
    serializeRfc5424(m);
  } catch (e) {
    assert.instance(e, SyslogSerializeError);
    const err = e as SyslogSerializeError;
    assert.is(err.code, 'OGRT_ERR_SYSLOG_SERIALIZE');
    assert.is(`${err.reason} ${err.field}`, `${reason} ${field}`);
    return;
  }
  assert.unreachable(`serialized ${JSON.stringify(m)}`);
}

test('writes the exact bytes, escaping only " \\ ] in values', () => {
  const m = base();
  m.structuredData = [
    { id: 'a@1', params: [{ name: 'k', value: 'q"b\\s]e[=x' }, { name: 'k', value: 'ü😀' }] },
    { id: 'b', params: [] },
  ];
  assert.is(
    serializeRfc5424(m).toString('utf8'),
    '<14>1 2026-11-24T21:40:08.123456Z node042 ogrt 12345 process [a@1 k="q\\"b\\\\s\\]e[=x" k="ü😀"][b]',
  );
  const nil: SyslogMessageInput = {
    facility: 23, severity: 7, timestamp: null, hostname: null, appName: null, procId: null, msgId: null, structuredData: [],
  };
  assert.is(serializeRfc5424(nil).toString('latin1'), '<191>1 - - - - - -');
  assert.is(serializeRfc5424({ ...nil, pri: 0, facility: 0, severity: 0, version: 12, msg: '' }).toString('latin1'), '<0>12 - - - - - - ');
  assert.equal(
    serializeRfc5424({ ...nil, msg: 'é', msgBom: true }),
    Buffer.concat([Buffer.from('<191>1 - - - - - - ', 'latin1'), Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0xa9])]),
  );
});

test('round trip: serialize(parse(x)) is x for canonical input', () => {
  const canonical = [
    Buffer.concat([Buffer.from('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - '), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("'su root' failed for lonvick on /dev/pts/8")]),
    Buffer.from("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."),
    Buffer.from('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'),
    Buffer.from('<0>999 - - - - - - '),
    Buffer.from('<14>1 2026-11-24T21:40:08+02:00 h a p m [x k="\\"\\\\\\]" k="" k="a b"][y] msg with\nLF'),
    ogrtProcessMessage(),
  ];
  for (const frame of canonical) assert.equal(serializeRfc5424(parseRfc5424(frame)), frame, frame.toString('latin1'));
});

test('round trip: parse(serialize(m)) deep-equals m', () => {
  const messages: SyslogMessage[] = [];
  let m = base();
  messages.push(m);
  m = base();
  m.structuredData = [
    { id: 'ogrt-env@32473', params: [{ name: '0', value: 'A=a\\b' }, { name: '0', value: '\\' }, { name: '1', value: '\\"]\\]' }] },
    { id: '!#$%&\'()*+,-./:;<>?@[\\^_`{|}~', params: [{ name: 'x'.repeat(32), value: '\t\x00\x7f\u0080\ud7ff\ue000\uffff\u{10ffff}' }] },
  ];
  m.msg = 'hello';
  messages.push(m);
  m = base();
  m.msg = '\ufeffstarts with U+FEFF';
  m.msgBom = true;
  messages.push(m);
  m = { ...base(), pri: 191, facility: 23, severity: 7, timestamp: null, hostname: '-x', appName: 'a'.repeat(48), procId: 'p'.repeat(128), msgId: 'm'.repeat(32), structuredData: [], msg: '' };
  m.hostname = 'h'.repeat(255);
  messages.push(m);
  for (const msg of messages) assert.equal(parseRfc5424(serializeRfc5424(msg)), msg);
});

test('a lone backslash on the wire is not canonical: it comes back escaped', () => {
  const wire = Buffer.from('<14>1 - - - - - [a k="C:\\temp"]');
  const parsed = parseRfc5424(wire);
  assert.is(parsed.structuredData[0].params[0].value, 'C:\\temp');
  assert.is(serializeRfc5424(parsed).toString('latin1'), '<14>1 - - - - - [a k="C:\\\\temp"]');
});

test('refuses what it could not parse back, naming the field', () => {
  const b = base;
  refuses({ ...b(), pri: 192, facility: undefined, severity: undefined }, 'bad_pri', 'pri');
  refuses({ ...b(), pri: -1, facility: undefined, severity: undefined }, 'bad_pri', 'pri');
  refuses({ ...b(), pri: 1.5, facility: undefined, severity: undefined }, 'bad_pri', 'pri');
  refuses({ ...b(), pri: 14, facility: 2 }, 'bad_pri', 'facility/severity');
  refuses({ ...b(), pri: undefined, facility: 24, severity: 0 }, 'bad_pri', 'facility');
  refuses({ ...b(), pri: undefined, facility: 1, severity: 8 }, 'bad_pri', 'severity');
  refuses({ ...b(), pri: undefined, facility: undefined, severity: undefined }, 'bad_pri', 'facility');
  refuses({ ...b(), version: 0 }, 'bad_version', 'version');
  refuses({ ...b(), version: 1000 }, 'bad_version', 'version');
  refuses({ ...b(), timestamp: '2026-11-24T21:40:08.1234567Z' }, 'bad_timestamp', 'timestamp');
  refuses({ ...b(), timestamp: '2026-02-29T00:00:00Z' }, 'bad_timestamp', 'timestamp');
  refuses({ ...b(), timestamp: '-' }, 'bad_timestamp', 'timestamp');
  refuses({ ...b(), timestamp: '2026-11-24T21:40:08Z ' }, 'bad_timestamp', 'timestamp');
  refuses({ ...b(), hostname: '-' }, 'bad_hostname', 'hostname');
  refuses({ ...b(), hostname: '' }, 'bad_hostname', 'hostname');
  refuses({ ...b(), hostname: 'a b' }, 'bad_hostname', 'hostname');
  refuses({ ...b(), hostname: 'café' }, 'bad_hostname', 'hostname');
  refuses({ ...b(), hostname: 'h'.repeat(256) }, 'hostname_too_long', 'hostname');
  refuses({ ...b(), appName: 'a'.repeat(49) }, 'app_name_too_long', 'appName');
  refuses({ ...b(), appName: '\x7f' }, 'bad_app_name', 'appName');
  refuses({ ...b(), procId: 'p'.repeat(129) }, 'procid_too_long', 'procId');
  refuses({ ...b(), procId: '-' }, 'bad_procid', 'procId');
  refuses({ ...b(), msgId: 'm'.repeat(33) }, 'msgid_too_long', 'msgId');
  refuses({ ...b(), msgId: '' }, 'bad_msgid', 'msgId');
  const sd = (id: string, params: { name: string; value: string }[] = []) => ({ ...b(), structuredData: [{ id: 'first', params: [] }, { id, params }] });
  refuses(sd(''), 'bad_sd_name', 'structuredData[1].id');
  refuses(sd('a b'), 'bad_sd_name', 'structuredData[1].id');
  refuses(sd('a=b'), 'bad_sd_name', 'structuredData[1].id');
  refuses(sd('a]'), 'bad_sd_name', 'structuredData[1].id');
  refuses(sd('a"'), 'bad_sd_name', 'structuredData[1].id');
  refuses(sd('x'.repeat(33)), 'sd_name_too_long', 'structuredData[1].id');
  refuses(sd('first'), 'duplicate_sd_id', 'structuredData[1].id');
  const many = Array.from({ length: 12 }, (_, i) => ({ id: `id${i % 11}`, params: [] }));
  refuses({ ...b(), structuredData: many }, 'duplicate_sd_id', 'structuredData[11].id');
  refuses(sd('ok', [{ name: 'a', value: '' }, { name: 'b c', value: '' }]), 'bad_sd_name', 'structuredData[1].params[1].name');
  refuses(sd('ok', [{ name: 'y'.repeat(33), value: '' }]), 'sd_name_too_long', 'structuredData[1].params[0].name');
  refuses(sd('ok', [{ name: 'a', value: 'x\ud800' }]), 'invalid_utf16', 'structuredData[1].params[0].value');
  refuses(sd('ok', [{ name: 'a', value: '\udc00x' }]), 'invalid_utf16', 'structuredData[1].params[0].value');
  refuses({ ...b(), msg: 'x\udfff' }, 'invalid_utf16', 'msg');
  refuses({ ...b(), msg: '\ufeffx', msgBom: false }, 'bad_msg', 'msg');
  refuses({ ...b(), msg: null, msgBom: true }, 'bad_msg', 'msgBom');
});

test('docs/codec.md lists every reason in its error table', () => {
  const doc = readFileSync(new URL('../../docs/codec.md', import.meta.url), 'utf8');
  const from = doc.indexOf('## RFC 5424 codec');
  assert.ok(from >= 0, 'section "RFC 5424 codec" missing');
  const table = doc.slice(doc.indexOf('### Error reasons', from)).split('\n\n')[1] ?? '';
  const rows = table.split('\n').filter((line) => line.startsWith('| `'));
  for (const reason of Object.keys(SYSLOG_REASONS)) {
    assert.ok(rows.some((row) => row.split('|')[1].includes(`\`${reason}\``)), `docs/codec.md misses ${reason}`);
  }
});

test.run();
