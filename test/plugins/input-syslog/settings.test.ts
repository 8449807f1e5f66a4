import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pluginValidator } from '../../../src/core/config-validate.ts';
import plugin from '../../../plugins/input-syslog/index.ts';
import { LogLimiter } from '../../../plugins/input-syslog/log-limiter.ts';
import { parseListen, resolveSettings } from '../../../plugins/input-syslog/settings.ts';
import { options } from './harness.ts';

test('the issue\'s example config validates, with defaults for everything else', () => {
  const o = { listen: '127.0.0.1:5514', protocols: ['tcp', 'udp'], socket: '/run/ogrt/server.sock' } as Record<string, unknown>;
  const validate = pluginValidator(plugin);
  assert.ok(validate(o), JSON.stringify(validate.errors));
  assert.equal(o, {
    listen: '127.0.0.1:5514', protocols: ['tcp', 'udp'], socket: '/run/ogrt/server.sock', socket_mode: '0666',
    max_frame_size: 65536, idle_timeout_ms: 0, max_connections: 1024, reassembly_timeout_ms: 30000, non_ogrt: 'drop',
    udp_receive_buffer: 0, udp_drop_check_ms: 5000, python: 'python3',
    tls: { cert_file: '', key_file: '', ca_file: '', client_auth: 'none' },
  });
});

test('unknown keys and bad enum values are refused by the schema', () => {
  const validate = pluginValidator(plugin);
  assert.not.ok(validate({ lisen: '127.0.0.1:1' }));
  assert.not.ok(validate({ protocols: ['sctp'] }));
  assert.not.ok(validate({ non_ogrt: 'keep' }));
  assert.not.ok(validate({ tls: { client_auth: 'maybe' } }));
});

test('parseListen: IPv4, names, [IPv6], and clear errors', () => {
  assert.equal(parseListen('127.0.0.1:5514', 'x'), { host: '127.0.0.1', port: 5514 });
  assert.equal(parseListen('relay.example.org:0', 'x'), { host: 'relay.example.org', port: 0 });
  assert.equal(parseListen('[::1]:6514', 'x'), { host: '::1', port: 6514 });
  for (const bad of ['5514', '::1:5514', '127.0.0.1:65536', '127.0.0.1:']) {
    assert.throws(() => parseListen(bad, 'inputs.s.listen'), (e: Error) => e.message.startsWith('inputs.s.listen: '));
  }
});

test('resolveSettings: relative socket path, octal mode, nothing to listen on', () => {
  const s = resolveSettings(options({ protocols: ['udp'], socket: 'run/s.sock', socket_mode: '660' }), '/etc/ogrt', 'syslog');
  assert.is(s.socketPath, '/etc/ogrt/run/s.sock');
  assert.is(s.socketMode, 0o660);
  assert.equal([s.tcp, s.udp, s.tls], [false, true, undefined]);
  assert.throws(() => resolveSettings(options({ protocols: [] }), '/etc', 'syslog'), /inputs\.syslog: nothing to listen on/);
});

test('LogLimiter: one line per interval per kind, then the number suppressed', () => {
  const lines: unknown[] = [];
  let now = 0;
  const log = { debug() {}, info() {}, error() {}, warn: (obj: object | string, msg?: string) => lines.push([obj, msg]) };
  const limiter = new LogLimiter(log, 1000, () => now);
  for (let i = 0; i < 5; i++) limiter.warn('a', { i }, 'A');
  limiter.warn('b', {}, 'B');
  now = 1000;
  limiter.warn('a', { i: 9 }, 'A');
  assert.equal(lines, [
    [{ i: 0, kind: 'a' }, 'A'],
    [{ kind: 'b' }, 'B'],
    [{ i: 9, kind: 'a', suppressed_since_last: 4 }, 'A'],
  ]);
});

test.run();
