/**
 * A private syslog-ng running bench/peers/syslog-ng.conf in the foreground
 * (-F). syslog-ng-core conflicts with rsyslog as a Debian package, so it is
 * unpacked privately by scripts/fetch-syslog-ng.sh (apt-get download +
 * dpkg -x into .tmp/syslog-ng) and run from there with its own module path,
 * LD_LIBRARY_PATH, pid, persist and control files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../workload.ts';
import { launch, renderConfig, type Receiver, type ReceiverOptions } from './daemon.ts';

export const SYSLOG_NG_DIR = process.env.OGRT_SYSLOG_NG_DIR ?? path.join(REPO, '.tmp/syslog-ng');

/** The unpacked tree; fetched on first use. */
export function syslogNgRoot(): string {
  if (!existsSync(path.join(SYSLOG_NG_DIR, 'usr/sbin/syslog-ng'))) {
    execFileSync(path.join(REPO, 'scripts/fetch-syslog-ng.sh'), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OGRT_SYSLOG_NG_DIR: SYSLOG_NG_DIR } });
  }
  return SYSLOG_NG_DIR;
}

function environment(root: string): NodeJS.ProcessEnv {
  const libs = [`${root}/usr/lib/syslog-ng`, `${root}/usr/lib/x86_64-linux-gnu`, `${root}/lib/x86_64-linux-gnu`, process.env.LD_LIBRARY_PATH ?? ''];
  return { ...process.env, LD_LIBRARY_PATH: libs.filter((p) => p !== '').join(':') };
}

/** Installer version (e.g. "3.38.1") and config version (e.g. "3.35"). */
export function syslogNgVersion(): { version: string; config: string } {
  const root = syslogNgRoot();
  const out = execFileSync(path.join(root, 'usr/sbin/syslog-ng'), ['--version'], { env: environment(root), encoding: 'utf8' });
  const version = /Installer-Version:\s*(\S+)/.exec(out)?.[1] ?? 'unknown';
  const config = /Config version:\s*(\d+\.\d+)/.exec(out)?.[1];
  if (config === undefined) throw new Error(`syslog-ng --version printed no config version:\n${out}`);
  return { version, config };
}

export async function startSyslogNg(opts: ReceiverOptions): Promise<Receiver> {
  const root = syslogNgRoot();
  const { version, config } = syslogNgVersion();
  const outFile = path.join(opts.dir, 'out.jsonl');
  const conf = renderConfig('syslog-ng.conf', { VERSION: config, PORT: opts.port, OUT: outFile }, path.join(opts.dir, 'syslog-ng.conf'));
  const moduleDir = path.join(root, 'usr/lib/syslog-ng', version.split('.').slice(0, 2).join('.'));
  return launch({
    label: `syslog-ng ${version}`,
    format: 'syslog-ng',
    command: path.join(root, 'usr/sbin/syslog-ng'),
    args: [
      '-F', '--no-caps', `--module-path=${moduleDir}`, '-f', conf,
      '-p', path.join(opts.dir, 'syslog-ng.pid'), '-R', path.join(opts.dir, 'syslog-ng.persist'), '-c', path.join(opts.dir, 'syslog-ng.ctl'),
    ],
    env: environment(root),
    port: opts.port,
    outFile,
  });
}
