import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pluginValidator } from '../../../src/core/config-validate.ts';
import plugin from '../../../plugins/input-syslog/index.ts';
import { resolveSettings } from '../../../plugins/input-syslog/settings.ts';
import { options } from './harness.ts';
import { DEFAULT_MAX_PENDING_BYTES } from '../../../src/core/reassembly.ts';

test('the issue\'s example config validates, with defaults for everything else', () => {
  const o = { listen: '127.0.0.1:5514', protocols: ['tcp', 'udp'], socket: '/run/ogrt/server.sock' } as Record<string, unknown>;
  const validate = pluginValidator(plugin);
  assert.ok(validate(o), JSON.stringify(validate.errors));
  assert.equal(o, {
    listen: '127.0.0.1:5514', protocols: ['tcp', 'udp'], socket: '/run/ogrt/server.sock', socket_mode: '0666',
    max_frame_size: 65536, idle_timeout_ms: 0, max_connections: 1024, reassembly_timeout_ms: 30000,
    reassembly_max_bytes: 67108864, non_ogrt: 'drop',
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

test('reassembly_max_bytes: the core\'s default, at least one large message, an integer; passed on in the settings', () => {
  const validate = pluginValidator(plugin);
  const o = {} as Record<string, unknown>;
  assert.ok(validate(o));
  assert.is(o.reassembly_max_bytes, DEFAULT_MAX_PENDING_BYTES);
  assert.ok(validate({ reassembly_max_bytes: 65536 }));
  assert.not.ok(validate({ reassembly_max_bytes: 65535 }));
  assert.not.ok(validate({ reassembly_max_bytes: 1.5e6 + 0.5 }));
  assert.not.ok(validate({ reassembly_max_bytes: '64M' }));
  assert.is(resolveSettings(options({ reassembly_max_bytes: 1_000_000 }), '/etc', 'syslog').reassemblyMaxBytes, 1_000_000);
});

test('resolveSettings: relative socket path, octal mode, nothing to listen on', () => {
  const s = resolveSettings(options({ protocols: ['udp'], socket: 'run/s.sock', socket_mode: '660' }), '/etc/ogrt', 'syslog');
  assert.is(s.socketPath, '/etc/ogrt/run/s.sock');
  assert.is(s.socketMode, 0o660);
  assert.equal([s.tcp, s.udp, s.tls], [false, true, undefined]);
  assert.throws(() => resolveSettings(options({ protocols: [] }), '/etc', 'syslog'), /inputs\.syslog: nothing to listen on/);
});

test.run();
