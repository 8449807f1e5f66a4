/**
 * A receiver under test: a private process started in the foreground with
 * its own configuration and files in a temp directory, ready once its TCP
 * port accepts connections, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface Receiver {
  /** Row label, e.g. "rsyslog 8.2302 (imtcp → mmpstrucdata → omfile)". */
  readonly label: string;
  readonly pid: number;
  readonly port: number;
  /** File the receiver writes one line per record to. */
  readonly outFile: string;
  /** Output format, for the verifier. */
  readonly format: 'ogrt' | 'rsyslog' | 'syslog-ng';
  /** stdout + stderr so far. */
  output(): string;
  /** True while the process runs. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ReceiverOptions {
  /** Private directory (config, pid, work files, output). */
  readonly dir: string;
  readonly port: number;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Reads a config template from bench/peers and replaces every `@KEY@`; throws on a placeholder left over. */
export function renderConfig(template: string, values: Readonly<Record<string, string | number>>, to: string): string {
  let text = readFileSync(path.join(PEERS_DIR, template), 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.split(`@${key}@`).join(String(value));
  const left = /@[A-Z_]+@/.exec(text.replace(/^#.*$/gm, ''));
  if (left !== null) throw new Error(`${template}: placeholder ${left[0]} has no value`);
  writeFileSync(to, text);
  return to;
}

export interface LaunchSpec {
  readonly label: string;
  readonly format: Receiver['format'];
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly port: number;
  readonly outFile: string;
  /** Also append the process's stdout and stderr to this file. */
  readonly logFile?: string;
}

export async function launch(spec: LaunchSpec, readyTimeoutMs = 20_000): Promise<Receiver> {
  const child: ChildProcess = spawn(spec.command, spec.args, { env: spec.env ?? process.env, cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const log = spec.logFile === undefined ? undefined : createWriteStream(spec.logFile, { flags: 'a' });
  const keep = (s: string): void => {
    log?.write(s);
    out += s;
    if (out.length > 1_000_000) out = out.slice(-500_000);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      log?.end();
      resolve();
    }),
  );
  child.once('error', (err) => keep(`spawn failed: ${err.message}\n`));
  const receiver: Receiver = {
    label: spec.label,
    pid: child.pid ?? -1,
    port: spec.port,
    outFile: spec.outFile,
    format: spec.format,
    output: () => out,
    running: () => !exited,
    stop: async (graceMs = 15_000) => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await canConnect(spec.port))) {
    if (exited || Date.now() > deadline) {
      await receiver.stop(1000);
      throw new Error(`${spec.label} did not start listening on ${spec.port}; it said:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return receiver;
}
