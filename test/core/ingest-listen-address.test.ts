import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPeer, parseListen, peerHost } from '../../src/core/ingest/listen-address.ts';

test('parseListen: IPv4, host names, IPv6 in brackets (with a zone)', () => {
  assert.equal(parseListen('127.0.0.1:7971', 'x'), { host: '127.0.0.1', port: 7971 });
  assert.equal(parseListen('relay.example.org:0', 'x'), { host: 'relay.example.org', port: 0 });
  assert.equal(parseListen('[::1]:6514', 'x'), { host: '::1', port: 6514 });
  assert.equal(parseListen('[fe80::1%eth0]:514', 'x'), { host: 'fe80::1%eth0', port: 514 });
});

test('parseListen: refuses the rest with OGRT_ERR_CONFIG_INVALID naming the TOML path', () => {
  for (const bad of ['7971', '::1:7971', '127.0.0.1:', '[::1]', 'a:b', 'my host:1', '[::1]:123456']) {
    assert.throws(
      () => parseListen(bad, 'inputs.s.listen'),
      (e: Error & { code?: string }) => e.code === 'OGRT_ERR_CONFIG_INVALID' && e.message.startsWith('inputs.s.listen: ') && e.message.includes('not host:port'),
      bad,
    );
  }
  assert.throws(() => parseListen('127.0.0.1:65536', 'inputs.s.listen'), (e: Error) => e.message === 'inputs.s.listen: "127.0.0.1:65536": port 65536 is above 65535');
});

test('formatPeer: brackets for IPv6, IPv4-mapped shown as IPv4; peerHost takes it apart', () => {
  assert.is(formatPeer('10.0.0.1', 5), '10.0.0.1:5');
  assert.is(formatPeer('::1', 5), '[::1]:5');
  assert.is(formatPeer('::ffff:10.0.0.1', 5), '10.0.0.1:5');
  assert.is(formatPeer(undefined, undefined), 'unknown');
  assert.is(peerHost('10.0.0.1:5'), '10.0.0.1');
  assert.is(peerHost('[2001:db8::1]:514'), '2001:db8::1');
  assert.is(peerHost('/run/ogrt/ogrt.sock'), '/run/ogrt/ogrt.sock');
});

test.run();
