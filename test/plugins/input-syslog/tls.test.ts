import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { encodeRecord, frameOctetCounted } from '../../../src/core/wire.ts';
import type { SyslogInput } from '../../../plugins/input-syslog/index.ts';
import { FakeContext, makeRecord, startInput, waitFor, withoutReceive } from './harness.ts';

// A throw-away PKI made with the openssl CLI: a CA, the server's certificate
// (127.0.0.1), a client certificate from the same CA and one from another CA.
const dir = mkdtempSync(path.join(tmpdir(), 'ogrt-tls-'));
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`);
}
function makeCert(name: string, ca: string, ext: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}
makeCa('ca');
makeCa('rogue-ca');
makeCert('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
makeCert('client', 'ca', 'extendedKeyUsage=clientAuth\n');
makeCert('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
const pem = (name: string) => readFileSync(path.join(dir, name));

const running: SyslogInput[] = [];
test.after.each(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function startTls(clientAuth: string) {
  const ctx = new FakeContext('tls', dir);
  // Relative paths: resolved against the directory of ogrt.conf.
  const { input } = await startInput({ tls: { cert_file: 'server.pem', key_file: 'server.key', ca_file: 'ca.pem', client_auth: clientAuth } }, ctx);
  running.push(input);
  assert.match(input.addresses()[0], /^tls:\/\/127\.0\.0\.1:\d+$/);
  return { ctx, port: input.boundAddresses().tcp!.port };
}

/** Connects, sends `data`, and resolves with how the connection ended. */
function sendTls(port: number, data: Buffer, client?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: pem('ca.pem'), ...(client ? { cert: pem(`${client}.pem`), key: pem(`${client}.key`) } : {}) });
    let outcome = 'closed';
    s.on('secureConnect', () => s.end(data));
    s.on('error', (err) => (outcome = `error: ${err.message}`));
    s.on('close', () => resolve(outcome));
    s.resume();
  });
}

test('RFC 5425: octet-counted records over TLS (client_auth = "none")', async () => {
  const { ctx, port } = await startTls('none');
  const records = [makeRecord(), makeRecord()];
  assert.is(await sendTls(port, frameOctetCounted(records.flatMap((r) => encodeRecord(r)))), 'closed');
  await waitFor(() => ctx.records.length === 2, '2 records');
  assert.equal(ctx.records.map(withoutReceive), records);
});

test('client_auth = "require": a client certificate from the CA is accepted', async () => {
  const { ctx, port } = await startTls('require');
  const r = makeRecord();
  await sendTls(port, frameOctetCounted(encodeRecord(r)), 'client');
  await waitFor(() => ctx.records.length === 1, 'the record');
  assert.is(ctx.records[0].uuid, r.uuid);
});

test('client_auth = "require": no certificate, or one from another CA, is refused and counted', async () => {
  const { ctx, port } = await startTls('require');
  await sendTls(port, frameOctetCounted(encodeRecord(makeRecord())));
  await sendTls(port, frameOctetCounted(encodeRecord(makeRecord())), 'rogue');
  await waitFor(() => ctx.counter('connections_refused_total', { reason: 'tls_handshake' }) === 2, 'two refused handshakes');
  assert.is(ctx.records.length, 0);
  const line = ctx.warnings('tls_handshake')[0];
  assert.match(String(line.obj.peer), /^127\.0\.0\.1:\d+$/);
});

test('client_auth = "request": clients without a certificate are still accepted', async () => {
  const { ctx, port } = await startTls('request');
  await sendTls(port, frameOctetCounted(encodeRecord(makeRecord())));
  await sendTls(port, frameOctetCounted(encodeRecord(makeRecord())), 'client');
  await waitFor(() => ctx.records.length === 2, 'both records');
});

test('plain TCP to a TLS listener gets nothing through', async () => {
  const { ctx, port } = await startTls('none');
  const net = await import('node:net');
  await new Promise<void>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(frameOctetCounted(encodeRecord(makeRecord()))));
    s.on('close', () => resolve());
    s.on('error', () => {});
    s.resume();
  });
  await waitFor(() => ctx.counter('connections_refused_total', { reason: 'tls_handshake' }) === 1, 'refused handshake');
  assert.is(ctx.records.length, 0);
});

test('config errors: TLS with UDP, a missing key, an unreadable certificate', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ protocols: ['tcp', 'udp'], tls: { cert_file: 'server.pem', key_file: 'server.key' } }, /inputs\.tls\.tls: TLS and "udp" in one input/],
    [{ tls: { cert_file: 'server.pem' } }, /inputs\.tls\.tls\.key_file: required when cert_file is set/],
    [{ tls: { cert_file: 'missing.pem', key_file: 'server.key' } }, /inputs\.tls\.tls\.cert_file: cannot read .*missing\.pem/],
  ];
  for (const [opts, re] of cases) {
    try {
      await startInput(opts, new FakeContext('tls', dir));
      assert.unreachable(`accepted ${JSON.stringify(opts)}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'OGRT_ERR_CONFIG_INVALID');
      assert.match((err as Error).message, re);
    }
  }
});

test.run();
