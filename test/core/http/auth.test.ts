/**
 * Authentication of the dashboard server: non-loopback binds need a token or
 * basic auth (refused otherwise, at config load and at start), 401 without
 * or with wrong credentials, 200 with them. Non-loopback binds use 0.0.0.0
 * port 0 and are reached through 127.0.0.1.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import path from 'node:path';
import { OgrtError } from '../../../src/core/errors.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import { MetricsRegistry } from '../../../src/core/metrics.ts';
import { RateTracker } from '../../../src/core/rates.ts';
import { isLoopback } from '../../../src/core/http/auth.ts';
import { hostnameOf } from '../../../src/core/http/host-guard.ts';
import { startDashboardServer, type DashboardServerOptions } from '../../../src/core/http/http-server.ts';
import { DashboardSchema, type DashboardSettings } from '../../../src/core/http/config.ts';
import { compileSchema } from '../../../src/core/config-validate.ts';
import { captureLogs } from '../../helpers/logs.ts';
import { withTempDir, writeFiles } from '../../helpers/temp.ts';
import { FIXTURE, SIG_BLAS, getJson, startStoreServer } from '../queries/store-harness.ts';

const TOKEN = 'Zm9vYmFyLXRlc3QtdG9rZW4tNDI';

function settings(over: Partial<DashboardSettings>): DashboardSettings {
  const s = { ...over } as DashboardSettings;
  compileSchema(DashboardSchema)(s); // applies the defaults
  return s;
}

function options(over: Partial<DashboardSettings>, more: Partial<DashboardServerOptions> = {}): DashboardServerOptions {
  return {
    settings: settings(over),
    configDir: process.cwd(),
    metrics: new MetricsRegistry(),
    components: [],
    log: captureLogs('warn').logger,
    rates: new RateTracker({ timer: false }),
    ...more,
  };
}

async function refused(start: () => Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  try {
    const server = await start();
    await (server as { close(): Promise<void> }).close();
    assert.unreachable('must refuse to start');
  } catch (err) {
    assert.instance(err, OgrtError);
    assert.is((err as OgrtError).code, code);
    assert.match((err as OgrtError).message, pattern);
  }
}

test('loopback addresses: 127.0.0.0/8, ::1, localhost; nothing else', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', 'node042', '::ffff:10.0.0.1', '128.0.0.1']) assert.not.ok(isLoopback(h), h);
});

test('ogrt.conf with a non-loopback listen and no credentials is a configuration error (also for --check-config)', async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { 'ogrt.conf': '[inputs.in]\ntype = "tcp"\n[outputs.store]\ntype = "sqlite"\n[dashboard]\nlisten = "0.0.0.0:8080"\n' });
    try {
      await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: builtinRegistry() });
      assert.unreachable('must fail');
    } catch (err) {
      const list = (err as OgrtError).context.errors as OgrtError[];
      assert.equal(list.map((e) => [e.code, e.context.key, e.context.line]), [['OGRT_ERR_CONFIG_INVALID', 'dashboard.listen', 6]]);
      assert.match(list[0].message, /"0\.0\.0\.0:8080" is not a loopback address: set token_file, token_env or username \+ password_file/);
    }
  });
});

test('the dashboard server itself refuses a non-loopback bind without credentials, and unreadable or empty secrets', async () => {
  await refused(() => startDashboardServer(options({ listen: '0.0.0.0:0' })), 'OGRT_ERR_DASHBOARD_AUTH_REQUIRED', /"0\.0\.0\.0:0" is not a loopback address/);
  await refused(() => startDashboardServer(options({ listen: '[::]:0' })), 'OGRT_ERR_DASHBOARD_AUTH_REQUIRED', /not a loopback/);
  await refused(() => startDashboardServer(options({ listen: '0.0.0.0:0', token_file: '/nonexistent/ogrt.token' })), 'OGRT_ERR_DASHBOARD_SECRET', /token_file: cannot read \/nonexistent\/ogrt\.token: ENOENT/);
  await refused(() => startDashboardServer(options({ listen: '0.0.0.0:0', token_env: 'OGRT_TEST_UNSET_TOKEN' }, { env: {} })), 'OGRT_ERR_DASHBOARD_SECRET', /OGRT_TEST_UNSET_TOKEN is not set or empty/);
  await refused(() => startDashboardServer(options({ listen: '0.0.0.0:0', username: 'admin' })), 'OGRT_ERR_DASHBOARD_SECRET', /username needs password_file or password_env/);
});

test('token auth on 0.0.0.0: 401 without or with a wrong token, 200 with it; the page itself is public and holds no data', async () => {
  const s = await startStoreServer({ listen: '0.0.0.0:0', dashboard: 'token_file = "dashboard.token"', files: { 'dashboard.token': `${TOKEN}\n` } });
  try {
    assert.match(s.server.dashboard!.address, /^0\.0\.0\.0:\d+$/);
    await s.send(FIXTURE);
    await s.waitStored(FIXTURE.length);
    for (const p of ['/api/metrics', `/api/queries/affected-jobs?signature=${SIG_BLAS}`, '/api/queries/census', '/api/queries/job/100', '/api/info', '/metrics']) {
      const none = await getJson(`${s.url}${p}`);
      assert.is(none.status, 401, `${p} without a token`);
      assert.is(none.headers.get('www-authenticate'), 'Bearer realm="ogrt"');
      assert.is(none.body.error.code, 'OGRT_ERR_HTTP_UNAUTHORIZED');
      assert.is((await getJson(`${s.url}${p}`, { authorization: `Bearer ${TOKEN}x` })).status, 401, `${p} with a wrong token`);
      assert.is((await getJson(`${s.url}${p}`, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).status, 401, `${p} with basic`);
      assert.is((await getJson(`${s.url}${p}`, { authorization: `Bearer ${TOKEN}` })).status, 200, `${p} with the token`);
    }
    const jobs = await getJson(`${s.url}/api/queries/affected-jobs?signature=${SIG_BLAS}`, { authorization: `bearer  ${TOKEN}` });
    assert.equal(jobs.body.jobs.map((j: { job_id: string | null }) => j.job_id), ['100', '101', null]);
    const page = await fetch(`${s.url}/`);
    assert.is(page.status, 200);
    assert.not.ok((await page.text()).includes('node1'), 'no data in the page');
    assert.ok(!JSON.stringify(s.logs.lines).includes(TOKEN), 'the token is never logged');
    assert.equal(s.logs.lines.filter((l) => l.msg === 'dashboard listening').map((l) => l.auth), ['token']);
  } finally {
    await s.close();
  }
});

test('basic auth (password from the environment): everything, the page included, needs the password', async () => {
  const s = await startStoreServer({
    listen: '0.0.0.0:0',
    dashboard: 'username = "admin"\npassword_env = "OGRT_TEST_DASHBOARD_PASSWORD"',
    env: { OGRT_TEST_DASHBOARD_PASSWORD: 'correct horse battery staple' },
  });
  try {
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    for (const p of ['/', '/app.js', '/api/metrics', '/metrics']) {
      const none = await getJson(`${s.url}${p}`);
      assert.is(none.status, 401, p);
      assert.is(none.headers.get('www-authenticate'), 'Basic realm="ogrt", charset="UTF-8"');
      assert.is((await getJson(`${s.url}${p}`, basic('admin', 'wrong'))).status, 401, `${p} wrong password`);
      assert.is((await getJson(`${s.url}${p}`, basic('root', 'correct horse battery staple'))).status, 401, `${p} wrong user`);
      assert.is((await getJson(`${s.url}${p}`, basic('admin', 'correct horse battery staple'))).status, 200, `${p} right`);
    }
    assert.ok(!JSON.stringify(s.logs.lines).includes('correct horse'), 'the password is never logged');
  } finally {
    await s.close();
  }
});

test('a dashboard that cannot start (its port is taken) stops the whole server with a clear error', async () => {
  const first = await startStoreServer();
  try {
    const port = first.server.dashboard!.address.split(':')[1];
    await refused(() => startStoreServer({ listen: `127.0.0.1:${port}` }), 'OGRT_ERR_DASHBOARD_LISTEN', /dashboard cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  } finally {
    await first.close();
  }
});

/** GET with a Host header of our choosing (fetch does not let one set Host); undefined sends none. */
function getWithHost(url: string, host: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: host === undefined ? headers : { ...headers, host }, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('Host header → host name: ports and brackets go, case folds; anything that is not host[:port] is undefined', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['127.0.0.1:8080', '127.0.0.1'], ['LocalHost', 'localhost'], ['[::1]:8080', '::1'], ['[::1]', '::1'], ['::1', '::1'],
    ['ogrt.example.org:443', 'ogrt.example.org'], [' node042 ', 'node042'],
    [undefined, undefined], ['', undefined], ['a b', undefined], ['host:port', undefined], ['[::1]x', undefined], ['[nope]:1', undefined],
    ['user@127.0.0.1', undefined], ['127.0.0.1:', undefined],
  ];
  for (const [header, name] of cases) assert.is(hostnameOf(header), name, String(header));
});

test('DNS rebinding: without credentials only a loopback address or localhost in Host is answered (any port); other names get 421 and no data', async () => {
  const s = await startStoreServer({ dashboard: 'allowed_hosts = ["OGRT.example.org", "[fd00::7]"]' });
  try {
    await s.send(FIXTURE);
    await s.waitStored(FIXTURE.length);
    const port = new URL(s.url).port;
    const paths = ['/api/queries/job/100', `/api/queries/affected-jobs?signature=${SIG_BLAS}`, '/api/metrics', '/api/info', '/metrics', '/', '/app.js'];
    for (const host of [`127.0.0.1:${port}`, '127.3.2.1:1', `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, '::1', 'ogrt.example.org', 'ogrt.example.org:443', '[fd00::7]:8080']) {
      for (const p of paths) assert.is((await getWithHost(`${s.url}${p}`, host)).status, 200, `${host} ${p}`);
    }
    const job = await getWithHost(`${s.url}/api/queries/job/100`, `localhost:${port}`);
    assert.ok(job.body.includes('python3 fit.py'), 'the data, for loopback names');
    for (const host of [`attacker.example:${port}`, 'attacker.example', '127.0.0.1.attacker.example', 'localhost.attacker.example:8080', '10.0.0.1:8080', 'evil.example.org', '']) {
      for (const p of paths) {
        const r = await getWithHost(`${s.url}${p}`, host);
        assert.is(r.status, 421, `${host} ${p}`);
        assert.is(JSON.parse(r.body).error.code, 'OGRT_ERR_HTTP_MISDIRECTED');
        assert.not.ok(r.body.includes('fit.py') || r.body.includes('alice') || r.body.includes('<html'), `no data for ${host} ${p}`);
      }
    }
    const noHost = await getWithHost(`${s.url}/api/queries/job/100`, undefined);
    assert.ok(noHost.status >= 400 && !noHost.body.includes('fit.py'), `no Host header: ${noHost.status}`);
    const r = await getWithHost(`${s.url}/api/metrics`, 'attacker.example:8080');
    assert.match(JSON.parse(r.body).error.message, /does not answer for host "attacker\.example:8080" without credentials/);
  } finally {
    await s.close();
  }
});

test('with a token, Host is not restricted (a rebinding page has no token)', async () => {
  const s = await startStoreServer({ listen: '0.0.0.0:0', dashboard: 'token_file = "dashboard.token"', files: { 'dashboard.token': TOKEN } });
  try {
    assert.is((await getWithHost(`${s.url}/api/metrics`, 'node042.cluster:8080', { authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.is((await getWithHost(`${s.url}/api/metrics`, 'node042.cluster:8080')).status, 401);
  } finally {
    await s.close();
  }
});

test('without a store to query, the query endpoints answer 503 and metrics still work', async () => {
  const server = await startDashboardServer(options({ listen: '127.0.0.1:0' }, { noQueriesReason: 'no output of type "sqlite"' }));
  try {
    const r = await getJson(`${server.url}/api/queries/census`);
    assert.equal([r.status, r.body.error.code], [503, 'OGRT_ERR_QUERY_NO_STORE']);
    assert.match(r.body.error.message, /no output of type "sqlite"/);
    assert.is((await getJson(`${server.url}/api/metrics`)).status, 200);
    assert.is(server.auth, 'none');
  } finally {
    await server.close();
  }
});

test.run();
