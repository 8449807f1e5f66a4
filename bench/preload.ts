/**
 * What libogrt.so adds to every exec: `/bin/true` and `python3 -c pass`,
 * plain and preloaded, per transport (unix datagram, TCP, UDP), receiver
 * present and absent, plus preloaded but inactive. The variants take turns
 * run by run (preload/tests/helpers/exec-timer.c, order rotating every
 * round) so machine noise hits them alike; "added" is the median over rounds
 * of (variant − plain) in the same round. Then the instruction count with
 * valgrind --tool=callgrind, which is repeatable on a noisy machine.
 * Not a test:
 *   npm run bench:preload [-- ROUNDS_TRUE ROUNDS_PYTHON]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PRELOAD = path.join(ROOT, 'preload');
const LIB = path.join(PRELOAD, 'build/libogrt.so');
const RECEIVER = path.join(PRELOAD, 'build/helpers/receiver');
const TIMER = path.join(PRELOAD, 'build/helpers/exec-timer');
const roundsTrue = Number(process.argv[2] ?? 400);
const roundsPython = Number(process.argv[3] ?? 100);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: opts.env ?? process.env });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a receiver whose stdout goes to a file (never a pipe this process must drain). */
async function startChild(cmd: string, args: string[], outFile: string): Promise<{ child: ChildProcess; line: string }> {
  const fd = openSync(outFile, 'w');
  const child = spawn(cmd, args, { stdio: ['pipe', fd, 'inherit'] });
  closeSync(fd);
  for (let i = 0; i < 500; i++) {
    const text = readFileSync(outFile, 'latin1');
    const nl = text.indexOf('\n');
    if (nl >= 0) return { child, line: text.slice(0, nl) };
    await sleep(10);
  }
  throw new Error(`${cmd} ${args.join(' ')} did not get ready`);
}

const NODE_TCP = `const s=require('net').createServer(c=>{c.on('data',()=>{});c.on('error',()=>{})});s.listen(0,'127.0.0.1',()=>{process.stdout.write('ready '+s.address().port+'\\n')});process.stdin.on('end',()=>process.exit(0));process.stdin.resume();`;
const NODE_UDP = `const s=require('dgram').createSocket('udp4');s.on('message',()=>{});s.bind(0,'127.0.0.1',()=>{process.stdout.write('ready '+s.address().port+'\\n')});process.stdin.on('end',()=>process.exit(0));process.stdin.resume();`;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Variant { name: string; env: string[] }

function timeVariants(rounds: number, variants: Variant[], cmd: string[]): Map<string, number[]> {
  const specs = variants.map((v) => `${v.name}:${v.env.join(';')}`);
  const r = sh(TIMER, [String(rounds), ...specs, '--', ...cmd]);
  if (r.status !== 0) throw new Error(`exec-timer ${cmd.join(' ')} failed (${r.status}): ${r.stderr}`);
  const out = new Map<string, number[]>();
  for (const line of r.stdout.trim().split('\n')) {
    const [name, ...us] = line.split(' ');
    out.set(name, us.map(Number));
  }
  return out;
}

function callgrindIr(env: NodeJS.ProcessEnv, outFile: string): { total: number; ctor: number | null } {
  const r = sh('valgrind', ['--tool=callgrind', `--callgrind-out-file=${outFile}`, '/bin/true'], { env });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`callgrind: ${r.stderr}`);
  const a = sh('callgrind_annotate', ['--inclusive=yes', '--threshold=100', outFile]);
  const c = /^\s*([\d,]+)\s+\([^)]*\)\s+\S*:ogrt_init\b/m.exec(a.stdout);
  return { total: Number(m[1]), ctor: c ? Number(c[1].replace(/,/g, '')) : null };
}

async function main(): Promise<void> {
  const make = sh('make', ['-s', '-C', PRELOAD, 'build/libogrt.so', 'helpers']);
  if (make.status !== 0) throw new Error(`make: ${make.stderr}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ogrt-bench-'));
  const children: ChildProcess[] = [];
  try {
    const sock = path.join(dir, 'ogrt.sock');
    const unix = await startChild(RECEIVER, ['unix', sock], path.join(dir, 'unix.out'));
    const tcp = await startChild(process.execPath, ['-e', NODE_TCP], path.join(dir, 'tcp.out'));
    const udp = await startChild(process.execPath, ['-e', NODE_UDP], path.join(dir, 'udp.out'));
    children.push(unix.child, tcp.child, udp.child);
    const closed = await freePort();
    const pre = (transport: string): string[] => [`LD_PRELOAD=${LIB}`, 'OGRT_ACTIVE=1', `OGRT_TRANSPORT=${transport}`];
    const variants: Variant[] = [
      { name: 'plain', env: [] },
      { name: 'inactive', env: [`LD_PRELOAD=${LIB}`] },
      { name: 'unix', env: pre(`unix://${sock}`) },
      { name: 'unix-absent', env: pre(`unix://${dir}/nobody.sock`) },
      { name: 'tcp', env: pre(`tcp://127.0.0.1:${tcp.line.split(' ')[1]}`) },
      { name: 'tcp-absent', env: pre(`tcp://127.0.0.1:${closed}`) },
      { name: 'udp', env: pre(`udp://127.0.0.1:${udp.line.split(' ')[1]}`) },
      { name: 'udp-absent', env: pre(`udp://127.0.0.1:${closed}`) },
    ];
    const rows: string[] = [];
    for (const [label, rounds, cmd] of [['/bin/true', roundsTrue, ['/bin/true']], ['python3 -c pass', roundsPython, [PYTHON, '-c', 'pass']]] as const) {
      const t = timeVariants(rounds, variants, [...cmd]);
      const plain = t.get('plain')!;
      for (const v of variants) {
        const xs = t.get(v.name)!;
        const added = v.name === 'plain' ? '' : String(Math.round(median(xs.map((x, i) => x - plain[i]))));
        rows.push(`| ${label} | ${v.name} | ${rounds} | ${Math.round(median(xs))} | ${added} |`);
      }
    }
    const unixReceived = readFileSync(path.join(dir, 'unix.out'), 'latin1').split('<14>1 ').length - 1;
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() };
    const plainIr = callgrindIr(base, path.join(dir, 'cg.plain'));
    const inactiveIr = callgrindIr({ ...base, LD_PRELOAD: LIB }, path.join(dir, 'cg.inactive'));
    const activeIr = callgrindIr({ ...base, LD_PRELOAD: LIB, OGRT_ACTIVE: '1', OGRT_TRANSPORT: `unix://${sock}` }, path.join(dir, 'cg.active'));

    console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('');
    console.log('| command | variant | runs | median µs per exec | added µs (median of paired differences) |');
    console.log('| --- | --- | ---: | ---: | ---: |');
    for (const r of rows) console.log(r);
    console.log('');
    console.log(`unix receiver got ${unixReceived} messages`);
    console.log('');
    console.log('| /bin/true under callgrind | instructions (Ir) | added |');
    console.log('| --- | ---: | ---: |');
    console.log(`| plain | ${plainIr.total} | |`);
    console.log(`| preloaded, inactive | ${inactiveIr.total} | ${inactiveIr.total - plainIr.total} |`);
    console.log(`| preloaded, unix receiver | ${activeIr.total} | ${activeIr.total - plainIr.total} |`);
    console.log(`| of which the constructor (ogrt_init, inclusive) | ${activeIr.ctor ?? 'n/a'} | |`);
  } finally {
    for (const c of children) c.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
