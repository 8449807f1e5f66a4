/** A private rsyslogd running bench/peers/rsyslog.conf in the foreground (-n). */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch, renderConfig, type Receiver, type ReceiverOptions } from './daemon.ts';

export const RSYSLOGD = process.env.OGRT_RSYSLOGD ?? '/usr/sbin/rsyslogd';

export function rsyslogVersion(): string {
  const out = execFileSync(RSYSLOGD, ['-v'], { encoding: 'utf8' });
  return /rsyslogd\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
}

export async function startRsyslog(opts: ReceiverOptions): Promise<Receiver> {
  const work = path.join(opts.dir, 'work');
  mkdirSync(work, { recursive: true });
  const outFile = path.join(opts.dir, 'out.jsonl');
  const conf = renderConfig('rsyslog.conf', { WORK: work, PORT: opts.port, OUT: outFile }, path.join(opts.dir, 'rsyslog.conf'));
  return launch({
    label: `rsyslog ${rsyslogVersion()}`,
    format: 'rsyslog',
    command: RSYSLOGD,
    args: ['-n', '-f', conf, '-i', path.join(opts.dir, 'rsyslogd.pid')],
    port: opts.port,
    outFile,
  });
}
