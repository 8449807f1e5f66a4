/**
 * The files of deploy/ that docs/deployment.md tells a sysadmin to copy:
 * the server configuration passes `ogrt-server --check-config`, the shell
 * scripts parse (bash -n, sh -n) and print/set what jobs need, the systemd
 * unit agrees with the configuration, and the guide names every file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { REPO_ROOT, runCli } from '../helpers/server.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const EXAMPLE = path.join(DEPLOY, 'ogrt.conf.example');
const TASKPROLOG = path.join(DEPLOY, 'slurm/taskprolog.sh');
const PROFILE = path.join(DEPLOY, 'profile.d/ogrt.sh');
const UNIT = path.join(DEPLOY, 'systemd/ogrt-server.service');
const SHIPPED_LIB = '/opt/ogrt/lib/libogrt.so';

let dir: string;

test.before(async () => {
  dir = await tempDir('ogrt-deploy-');
});

test.after(async () => {
  await removeDir(dir);
});

/** The script with the library path replaced (it must occur exactly once as OGRT_LIB=…). */
function withLibrary(file: string, lib: string): string {
  const text = readFileSync(file, 'utf8');
  const line = `OGRT_LIB=${SHIPPED_LIB}\n`;
  assert.is(text.split(line).length - 1, 1, `${file} sets OGRT_LIB=${SHIPPED_LIB} once`);
  const out = path.join(dir, `${path.basename(file)}.${path.basename(lib)}`);
  writeFileSync(out, text.replace(line, `OGRT_LIB=${lib}\n`));
  return out;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('deploy/ogrt.conf.example passes ogrt-server --check-config', async () => {
  const r = await runCli(['--check-config', '--config', EXAMPLE], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), `ok: ${EXAMPLE}`);
});

test('the ogrt.conf example of plugins/input-syslog/README.md passes --check-config', async () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'plugins/input-syslog/README.md'), 'utf8');
  const m = /```toml\n([\s\S]*?)```/.exec(readme);
  assert.ok(m !== null, 'a toml block');
  const file = path.join(dir, 'readme.conf');
  writeFileSync(file, m![1]);
  const r = await runCli(['--check-config', '--config', file], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
});

test('the shell files parse with bash -n and sh -n (POSIX sh: Slurm and profile.d run them with /bin/sh)', () => {
  for (const file of [TASKPROLOG, PROFILE]) {
    for (const shell of ['bash', 'sh']) {
      const r = run(shell, ['-n', file]);
      assert.is(r.code, 0, `${shell} -n ${file}: ${r.stderr}`);
    }
  }
  assert.ok((statSync(TASKPROLOG).mode & 0o111) !== 0, 'taskprolog.sh is executable');
});

test('taskprolog.sh: LD_PRELOAD with the library first and once, OGRT_ACTIVE=1; nothing without the library; OGRT_ACTIVE=0 respected', () => {
  const lib = path.join(dir, 'libogrt.so');
  writeFileSync(lib, '');
  const script = withLibrary(TASKPROLOG, lib);
  const plain = run('sh', [script]);
  assert.is(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout.split('\n').filter(Boolean), [`export LD_PRELOAD=${lib}`, 'export OGRT_ACTIVE=1']);
  const chained = run('sh', [script], { LD_PRELOAD: '/usr/lib/libother.so' });
  assert.equal(chained.stdout.split('\n').filter(Boolean), [`export LD_PRELOAD=${lib}:/usr/lib/libother.so`, 'export OGRT_ACTIVE=1']);
  const already = run('sh', [script], { LD_PRELOAD: `/usr/lib/libother.so:${lib}` });
  assert.equal(already.stdout.split('\n').filter(Boolean), ['export OGRT_ACTIVE=1']);
  const optOut = run('sh', [script], { OGRT_ACTIVE: '0' });
  assert.equal(optOut.stdout.split('\n').filter(Boolean), [`export LD_PRELOAD=${lib}`]);
  const missing = run('sh', [withLibrary(TASKPROLOG, path.join(dir, 'absent.so'))]);
  assert.is(missing.code, 0);
  assert.is(missing.stdout, '');
});

test('profile.d/ogrt.sh: a shell that sources it has LD_PRELOAD and OGRT_ACTIVE=1, once; nothing without the library', () => {
  const lib = path.join(dir, 'libogrt-profile.so');
  writeFileSync(lib, '');
  const script = withLibrary(PROFILE, lib);
  const show = 'printf "%s|%s|%s\\n" "$LD_PRELOAD" "$OGRT_ACTIVE" "${OGRT_LIB-unset}"';
  const once = run('sh', ['-c', `. "${script}"; . "${script}"; ${show}`]);
  assert.is(once.code, 0, once.stderr);
  assert.is(once.stdout, `${lib}|1|unset\n`);
  const chained = run('sh', ['-c', `. "${script}"; ${show}`], { LD_PRELOAD: '/usr/lib/libother.so' });
  assert.is(chained.stdout, `${lib}:/usr/lib/libother.so|1|unset\n`);
  const missing = run('sh', ['-c', `. "${withLibrary(PROFILE, path.join(dir, 'absent.so'))}"; ${show}`]);
  assert.is(missing.stdout, '||unset\n');
});

test('ogrt-server.service agrees with ogrt.conf.example: config path, stop timeout above shutdown_timeout_ms, state directory = data_dir', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const keys = new Map<string, string>();
  let section = '';
  for (const line of unit.split('\n')) {
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) section = s[1];
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv) keys.set(`${section}.${kv[1]}`, kv[2]);
  }
  assert.match(keys.get('Service.ExecStart') ?? '', / --config \/etc\/ogrt\/ogrt\.conf$/);
  const conf = parseToml(readFileSync(EXAMPLE, 'utf8')) as { server: { shutdown_timeout_ms: number; data_dir: string } };
  const stopSec = Number(keys.get('Service.TimeoutStopSec'));
  assert.ok(stopSec * 1000 > conf.server.shutdown_timeout_ms, `TimeoutStopSec=${stopSec} s must exceed shutdown_timeout_ms = ${conf.server.shutdown_timeout_ms}`);
  assert.is(`/var/lib/${keys.get('Service.StateDirectory')}`, conf.server.data_dir);
  assert.is(keys.get('Service.User'), 'ogrt');
  assert.is(keys.get('Install.WantedBy'), 'multi-user.target');
});

test('docs/deployment.md names every file of deploy/', () => {
  const guide = readFileSync(path.join(REPO_ROOT, 'docs/deployment.md'), 'utf8');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(REPO_ROOT, p));
    }
  };
  walk(DEPLOY);
  assert.ok(files.length >= 9, files.join(', '));
  for (const f of files) assert.ok(guide.includes(`\`${f}\``), `docs/deployment.md mentions ${f}`);
});

test.run();
