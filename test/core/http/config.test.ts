import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig, type OgrtConfig } from '../../../src/core/config.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import type { OgrtError } from '../../../src/core/errors.ts';
import { DEFAULT_SYSTEM_PREFIXES } from '../../../src/core/http/config.ts';
import { startServer } from '../../../src/core/server.ts';
import { captureLogs } from '../../helpers/logs.ts';
import { withTempDir } from '../../helpers/temp.ts';

const BASE = '[inputs.in]\ntype = "tcp"\nlisten = "127.0.0.1:0"\n[outputs.store]\ntype = "sqlite"\n[outputs.local]\ntype = "file"\n';

function parse(text: string, dir = '/tmp'): Promise<OgrtConfig> {
  return parseConfig({ file: 'test.conf', dir, text }, builtinRegistry());
}

async function problems(text: string): Promise<[string, unknown, string][]> {
  try {
    await parse(text);
  } catch (err) {
    return ((err as OgrtError).context.errors as OgrtError[]).map((e) => [e.code, e.context.key, e.message]);
  }
  assert.unreachable('must fail');
  return [];
}

test('no [dashboard] table: no dashboard settings and no HTTP server', async () => {
  await withTempDir(async (dir) => {
    const config = await parse(BASE, dir);
    assert.is(config.dashboard, undefined);
    const server = await startServer({ config, logger: captureLogs('warn').logger });
    assert.is(server.dashboard, undefined);
    await server.stop('test');
  });
});

test('[dashboard] gets its defaults; enabled = false keeps the settings but starts no server', async () => {
  const config = await parse(`${BASE}[dashboard]\n`);
  assert.equal(config.dashboard, {
    enabled: true, listen: '127.0.0.1:8080', token_file: '', token_env: '', username: '', password_file: '', password_env: '',
    query_backend: '', allowed_hosts: [], system_prefixes: [...DEFAULT_SYSTEM_PREFIXES],
  });
  await withTempDir(async (dir) => {
    const off = await parse(`${BASE}[dashboard]\nenabled = false\nlisten = "127.0.0.1:0"\n`, dir);
    const server = await startServer({ config: off, logger: captureLogs('warn').logger });
    assert.is(server.dashboard, undefined);
    await server.stop('test');
  });
});

test('query_backend must name an output whose store the queries can read', async () => {
  assert.equal((await problems(`${BASE}[dashboard]\nquery_backend = "es"\n`)).map((p) => p.slice(0, 2)), [['OGRT_ERR_CONFIG_INVALID', 'dashboard.query_backend']]);
  const [[, , wrongType]] = await problems(`${BASE}[dashboard]\nquery_backend = "local"\n`);
  assert.match(wrongType, /output "local" is of type "file"; queries can read outputs of type "sqlite" or "elasticsearch"/);
  const ok = await parse(`${BASE}[dashboard]\nquery_backend = "store"\n`);
  assert.is(ok.dashboard?.query_backend, 'store');
});

test('allowed_hosts: host names or IP addresses, without scheme or port', async () => {
  const found = await problems(`${BASE}[dashboard]\nallowed_hosts = ["ogrt.example.org", "https://ogrt.example.org", "ogrt.example.org:443", "[::1]", "10.1.2.3", "a b"]\n`);
  assert.equal(found.map((p) => p[1]), ['dashboard.allowed_hosts', 'dashboard.allowed_hosts', 'dashboard.allowed_hosts']);
  assert.match(found[0][2], /"https:\/\/ogrt\.example\.org" is not a host name or an IP address \(no scheme, no port\)/);
  assert.match(found[1][2], /"ogrt\.example\.org:443" is not a host name/);
  assert.match(found[2][2], /"a b" is not a host name/);
  const ok = await parse(`${BASE}[dashboard]\nallowed_hosts = ["ogrt.example.org", "fd00::7"]\n`);
  assert.equal(ok.dashboard?.allowed_hosts, ['ogrt.example.org', 'fd00::7']);
});

test('credentials: one kind only, complete, and listen must be host:port', async () => {
  const found = await problems(`${BASE}[dashboard]\nlisten = "8080"\ntoken_file = "a"\ntoken_env = "B"\nusername = "x"\n`);
  assert.equal(found.map((p) => p[1]), ['dashboard.listen', 'dashboard.token_env', 'dashboard.username', 'dashboard.username']);
  assert.match(found[0][2], /"8080" is not host:port/);
  assert.match(found[1][2], /set only one of token_file, token_env/);
  assert.match(found[2][2], /either a token or username \+ password/);
  assert.match(found[3][2], /username needs password_file or password_env/);
  const ok = await parse(`${BASE}[dashboard]\nlisten = "[::]:8080"\nusername = "admin"\npassword_file = "/etc/ogrt/pw"\n`);
  assert.is(ok.dashboard?.username, 'admin');
});

test.run();
