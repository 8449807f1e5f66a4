/**
 * Test helper: a private syslog-ng running the snippets of deploy/syslog-ng/
 * as shipped, with only paths, host and ports replaced.
 *
 * syslog-ng-core conflicts with rsyslog as a Debian package, so it is never
 * installed: scripts/fetch-syslog-ng.sh unpacks it (apt-get download +
 * dpkg -x) into .tmp/syslog-ng, and it runs from there with its own module
 * path, LD_LIBRARY_PATH, config, pid, persist and control files.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEPLOY_SERVER_HOST, DEPLOY_SOCKET, REPO, canConnect, substitute, waitFor } from './rsyslog.ts';

export const SYSLOG_NG_DIR = process.env.OGRT_SYSLOG_NG_DIR ?? path.join(REPO, '.tmp/syslog-ng');
const DEPLOY_DISK_BUFFER_DIR = '/var/lib/syslog-ng';

/** The unpacked syslog-ng tree, fetched on first use (as .ci/run does up front). */
export function syslogNgRoot(): string {
  if (!existsSync(path.join(SYSLOG_NG_DIR, 'usr/sbin/syslog-ng'))) {
    execFileSync(path.join(REPO, 'scripts/fetch-syslog-ng.sh'), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OGRT_SYSLOG_NG_DIR: SYSLOG_NG_DIR } });
  }
  return SYSLOG_NG_DIR;
}

export interface SyslogNg {
  readonly dir: string;
  readonly socketPath: string | undefined;
  output(): string;
  stop(): Promise<void>;
}

export interface SyslogNgOptions {
  readonly dir: string;
  readonly serverPort: number;
}

function versionLine(root: string, env: NodeJS.ProcessEnv): string {
  const out = execFileSync(path.join(root, 'usr/sbin/syslog-ng'), ['--version'], { env, encoding: 'utf8' });
  const m = /Config version: (\d+\.\d+)/.exec(out);
  if (m === null) throw new Error(`syslog-ng --version printed no config version:\n${out}`);
  return `@version: ${m[1]}`;
}

/** syslog-ng with deploy/syslog-ng/ogrt-forward.conf: unix-dgram on `<dir>/ogrt.sock` → 127.0.0.1:serverPort. */
export async function startSyslogNgForward(opts: SyslogNgOptions): Promise<SyslogNg> {
  const socketPath = path.join(opts.dir, 'ogrt.sock');
  const bufferDir = path.join(opts.dir, 'buffer');
  return launch(opts.dir, 'ogrt-forward.conf', socketPath, () => existsSync(socketPath), [
    [`unix-dgram("${DEPLOY_SOCKET}"`, `unix-dgram("${socketPath}"`],
    [`syslog("${DEPLOY_SERVER_HOST}" transport("tcp") port(5514)`, `syslog("127.0.0.1" transport("tcp") port(${opts.serverPort})`],
    [`dir("${DEPLOY_DISK_BUFFER_DIR}")`, `dir("${bufferDir}")`],
  ], bufferDir);
}

/** syslog-ng with deploy/syslog-ng/ogrt-relay.conf: syslog() source on 127.0.0.1:listenPort → 127.0.0.1:serverPort. */
export async function startSyslogNgRelay(opts: SyslogNgOptions & { readonly listenPort: number }): Promise<SyslogNg> {
  const bufferDir = path.join(opts.dir, 'buffer');
  return launch(opts.dir, 'ogrt-relay.conf', undefined, () => canConnect(opts.listenPort), [
    // Loopback only in tests (the shipped snippet listens on every address).
    ['syslog(transport("tcp") port(5514)', `syslog(transport("tcp") ip("127.0.0.1") port(${opts.listenPort})`],
    [`syslog("${DEPLOY_SERVER_HOST}" transport("tcp") port(5514)`, `syslog("127.0.0.1" transport("tcp") port(${opts.serverPort})`],
    [`dir("${DEPLOY_DISK_BUFFER_DIR}")`, `dir("${bufferDir}")`],
  ], bufferDir);
}

async function launch(
  dir: string,
  snippetName: string,
  socketPath: string | undefined,
  isReady: () => boolean | Promise<boolean>,
  pairs: readonly (readonly [string, string])[],
  bufferDir: string,
): Promise<SyslogNg> {
  const root = syslogNgRoot();
  mkdirSync(bufferDir, { recursive: true });
  const file = path.join(REPO, 'deploy/syslog-ng', snippetName);
  const snippetPath = path.join(dir, snippetName);
  writeFileSync(snippetPath, substitute(readFileSync(file, 'utf8'), pairs, file));
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: [`${root}/usr/lib/syslog-ng`, `${root}/usr/lib/x86_64-linux-gnu`, `${root}/lib/x86_64-linux-gnu`, process.env.LD_LIBRARY_PATH ?? '']
      .filter((p) => p !== '')
      .join(':'),
  };
  const confPath = path.join(dir, 'syslog-ng.conf');
  // Stands in for the distribution's syslog-ng.conf, which @includes conf.d/*.conf.
  writeFileSync(confPath, `${versionLine(root, env)}\noptions { stats-freq(0); };\n@include "${snippetPath}"\n`);
  const pidFile = path.join(dir, 'syslog-ng.pid');
  const child: ChildProcess = spawn(
    path.join(root, 'usr/sbin/syslog-ng'),
    [
      '-F', '--no-caps', `--module-path=${root}/usr/lib/syslog-ng/3.38`,
      '-f', confPath, '-p', pidFile, '-R', path.join(dir, 'syslog-ng.persist'), '-c', path.join(dir, 'syslog-ng.ctl'),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle: SyslogNg = {
    dir,
    socketPath,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(async () => child.exitCode === null && existsSync(pidFile) && (await isReady()), `syslog-ng (${snippetName}) ready`, 10_000);
  } catch (err) {
    await handle.stop();
    throw new Error(`${(err as Error).message}; syslog-ng said:\n${out}`);
  }
  return handle;
}
