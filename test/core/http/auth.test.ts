/**
 * Authentication of the dashboard server: non-loopback binds need a token or
 * basic auth (refused otherwise, at config load and at start), 401 without
 * or with wrong credentials, 200 with them. Non-loopback binds use 0.0.0.0
 * port 0 and are reached through 127.0.0.1.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { OgrtError } from '../../../src/core/errors.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import { MetricsRegistry } from '../../../src/core/metrics.ts';
import { RateTracker } from '../../../src/core/rates.ts';
import { isLoopback } from '../../../src/core/http/auth.ts';
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
      const list = (err as OgrtError).details.errors as OgrtError[];
      assert.equal(list.map((e) => [e.code, e.details.key, e.details.line]), [['OGRT_ERR_CONFIG_INVALID', 'dashboard.listen', 6]]);
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
