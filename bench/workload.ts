/**
 * The benchmark workload: realistic OGRT process records in the project's
 * wire format (docs/protocol.md), and the saved stream every receiver is fed.
 *
 * Record i of seed s is a pure function of (s, i) (recordAt), so the verifier
 * regenerates the expected records instead of keeping 200 000 of them in
 * memory, and a saved stream is checked against the same ground truth it was
 * made from. Each record has 40 shared objects (a few signed), modules,
 * environment variables and one message of about 2.2 KB; some values need
 * RFC 5424 escapes (`"`, `\`, `]`), some are not plain UTF-8 (percent form),
 * some are multi-byte UTF-8.
 *
 *   node --import tsx bench/workload.ts --n 200000 [--seed 1] [--framing octet|lf] [--out FILE]
 *   node --import tsx bench/workload.ts --replay FILE --port 7971 [--connections 4]
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OgrtRecord, SharedObject } from '../src/core/record.ts';
import { encodeRecord } from '../src/core/wire.ts';

export type Framing = 'octet' | 'lf';

/** Bumped whenever recordAt() changes, so cached streams are rebuilt. */
export const GENERATOR_VERSION = 1;
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = path.join(REPO, '.tmp/bench');
export const SHARED_OBJECTS_PER_RECORD = 40;

export interface StreamMeta {
  readonly generator: number;
  readonly n: number;
  readonly seed: number;
  readonly framing: Framing;
  /** Messages in the stream (one per record: every record fits in one message). */
  readonly messages: number;
  /** Bytes of the stream file, framing included. */
  readonly bytes: number;
  /** Bytes of the messages alone. */
  readonly messageBytes: number;
}

// ---- deterministic randomness ----

/** mulberry32: small, fast, good enough to vary test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recordSeed(seed: number, i: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

const HEX = '0123456789abcdef';

function uuid(rand: () => number): string {
  let s = '';
  for (let k = 0; k < 32; k++) {
    let d = (rand() * 16) | 0;
    if (k === 12) d = 4; // version 4
    if (k === 16) d = 8 | (d & 3); // RFC 4122 variant
    s += HEX[d];
    if (k === 7 || k === 11 || k === 15 || k === 19) s += '-';
  }
  return s;
}

function pick<T>(rand: () => number, from: readonly T[]): T {
  return from[(rand() * from.length) | 0];
}

// ---- what HPC processes look like ----

const SYSTEM_LIBS = [
  'libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1', 'libgcc_s.so.1', 'libstdc++.so.6', 'libz.so.1',
  'libssl.so.3', 'libcrypto.so.3', 'libffi.so.8', 'libuuid.so.1', 'libnuma.so.1', 'libudev.so.1', 'libexpat.so.1', 'libbz2.so.1.0',
].map((l) => `/lib64/${l}`);
const APPS = [
  ['python/3.11.4', '/apps/python/3.11.4/bin/python3.11', 'python3 train.py --epochs 10'],
  ['gromacs/2023.2', '/apps/gromacs/2023.2/bin/gmx_mpi', 'gmx_mpi mdrun -deffnm npt -ntomp 8'],
  ['lammps/2Aug23', '/apps/lammps/2Aug23/bin/lmp', 'lmp -in in.melt -sf omp'],
  ['openfoam/11', '/apps/openfoam/11/bin/simpleFoam', 'simpleFoam -parallel'],
  ['cp2k/2023.1', '/apps/cp2k/2023.1/bin/cp2k.psmp', 'cp2k.psmp -i H2O-64.inp'],
  ['R/4.3.1', '/apps/R/4.3.1/lib64/R/bin/exec/R', 'R --no-echo -f fit.R'],
] as const;
const MPI_LIBS = ['libmpi.so.40', 'libopen-rte.so.40', 'libopen-pal.so.40', 'libucp.so.0', 'libucs.so.0', 'libuct.so.0', 'libhwloc.so.15', 'libevent-2.1.so.7'];
const MATH_LIBS = ['libopenblas.so.0', 'libfftw3.so.3', 'libfftw3f.so.3', 'libhdf5.so.310', 'libnetcdf.so.19', 'libscalapack.so.2', 'libmkl_rt.so.2', 'libcudart.so.12'];
const MODULES = ['gcc/12.2.0', 'openmpi/4.1.5', 'hdf5/1.14.1', 'cuda/12.2', 'fftw/3.3.10', 'openblas/0.3.23'];

const BASE_TIME_US = Date.UTC(2026, 10, 24, 21, 40, 8) * 1000;

/** ISO 8601 UTC with exactly six fractional digits (protocol.md §7). */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().slice(0, 23) + String(us % 1000).padStart(3, '0') + 'Z';
}

/** Record `i` of the workload with seed `seed`: always the same record. */
export function recordAt(seed: number, i: number): OgrtRecord {
  const rand = prng(recordSeed(seed, i));
  const [moduleName, binpath, command] = pick(rand, APPS);
  const node = 1 + ((rand() * 512) | 0);
  const user = (rand() * 200) | 0;
  const job = 4_711_000 + ((i / 37) | 0);
  const prefix = `/apps/${moduleName}`;

  const shared: SharedObject[] = [];
  for (let k = 0; k < SHARED_OBJECTS_PER_RECORD; k++) {
    let p: string;
    if (k < SYSTEM_LIBS.length) p = SYSTEM_LIBS[k];
    else if (k < SYSTEM_LIBS.length + MPI_LIBS.length) p = `/apps/openmpi/4.1.5/lib/${MPI_LIBS[k - SYSTEM_LIBS.length]}`;
    else if (k < SYSTEM_LIBS.length + MPI_LIBS.length + MATH_LIBS.length) p = `/apps/lib/${MATH_LIBS[k - SYSTEM_LIBS.length - MPI_LIBS.length]}`;
    else p = `${prefix}/lib/libapp${k}.so`;
    // Site-built libraries carry an OGRT signature; the system's do not.
    shared.push(k % 10 === 9 ? { path: p, signature: uuid(rand) } : { path: p });
  }
  // A few values that need escaping or percent form (docs/protocol.md §3).
  if (i % 100 === 13) shared[7] = { path: '/scratch/caf\udce9/lib/libcafe.so' }; // a Latin-1 byte: not UTF-8
  let cmdline = `${command} --seed ${(rand() * 1e6) | 0}`;
  if (i % 50 === 7) cmdline += ' --tag "run [7]" --dir C:\\data\\]';
  if (i % 200 === 99) cmdline += '\t--tabbed';

  const env = [
    { name: 'OMP_NUM_THREADS', value: String(1 << ((rand() * 5) | 0)) },
    { name: 'SLURM_JOB_ID', value: String(job) },
    { name: 'SLURM_NTASKS', value: String(1 + ((rand() * 128) | 0)) },
    { name: 'SLURM_CPUS_PER_TASK', value: String(1 + ((rand() * 16) | 0)) },
    { name: 'HOME', value: `/home/user${String(user).padStart(3, '0')}` },
    { name: 'PROJECT', value: i % 64 === 21 ? 'Zürich 日本 100%' : `proj${user % 17}` },
  ];
  const modules = [MODULES[0], MODULES[1], moduleName].map((name) => ({ name }));
  return {
    uuid: uuid(rand),
    kind: 'process',
    time: isoMicros(BASE_TIME_US + i * 211 + ((rand() * 200) | 0)),
    hostname: `node${String(node).padStart(4, '0')}.cluster.example.org`,
    job_id: String(job),
    pid: 1000 + ((rand() * 4_000_000) | 0),
    parent_pid: 900 + ((rand() * 1_000_000) | 0),
    uid: 10_000 + user,
    username: `user${String(user).padStart(3, '0')}`,
    binpath,
    signature: uuid(rand),
    cmdline,
    shared_objects: shared,
    loaded_modules: modules,
    environment_variables: env,
  };
}

// ---- the saved stream ----

export function streamPath(n: number, seed: number, framing: Framing): string {
  return path.join(CACHE_DIR, 'streams', `ogrt-n${n}-s${seed}-${framing}.bin`);
}

export function readMeta(file: string): StreamMeta {
  return JSON.parse(readFileSync(`${file}.json`, 'utf8')) as StreamMeta;
}

/**
 * Encodes records 0..n-1 into a stream file (plus FILE.json, its StreamMeta)
 * unless an up-to-date one exists. Returns the file.
 */
export function ensureStream(n: number, seed: number, framing: Framing, file = streamPath(n, seed, framing)): string {
  if (existsSync(file) && existsSync(`${file}.json`)) {
    const meta = readMeta(file);
    if (meta.generator === GENERATOR_VERSION && meta.n === n && meta.seed === seed && meta.framing === framing) return file;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial.${process.pid}`;
  const fd = openSync(partial, 'w');
  const chunk = Buffer.allocUnsafe(4 << 20);
  let used = 0;
  let bytes = 0;
  let messageBytes = 0;
  const flush = (): void => {
    let off = 0;
    while (off < used) off += writeSync(fd, chunk, off, used - off);
    bytes += used;
    used = 0;
  };
  try {
    for (let i = 0; i < n; i++) {
      const messages = encodeRecord(recordAt(seed, i));
      if (messages.length !== 1) throw new Error(`record ${i} needs ${messages.length} messages; the workload keeps every record in one`);
      const m = messages[0];
      const need = m.length + 16;
      if (used + need > chunk.length) flush();
      if (framing === 'octet') used += chunk.write(`${m.length} `, used, 'latin1');
      chunk.set(m, used);
      used += m.length;
      if (framing === 'lf') chunk[used++] = 0x0a;
      messageBytes += m.length;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  const meta: StreamMeta = { generator: GENERATOR_VERSION, n, seed, framing, messages: n, bytes, messageBytes };
  writeFileSync(`${file}.json`, JSON.stringify(meta, null, 2) + '\n');
  renameSync(partial, file);
  return file;
}

/** The stream in memory, cut into segments of whole frames (about `segmentBytes` each). */
export interface LoadedStream {
  readonly meta: StreamMeta;
  readonly data: Buffer;
  /** [start, end, frames] of each segment. */
  readonly segments: readonly (readonly [number, number, number])[];
}

export function loadStream(file: string, segmentBytes = 64 * 1024): LoadedStream {
  const meta = readMeta(file);
  const data = readFileSync(file);
  if (data.length !== meta.bytes) throw new Error(`${file}: ${data.length} bytes, its meta says ${meta.bytes}`);
  const segments: [number, number, number][] = [];
  let start = 0;
  let frames = 0;
  let pos = 0;
  while (pos < data.length) {
    pos = frameEnd(data, pos, meta.framing);
    frames++;
    if (pos - start >= segmentBytes || pos === data.length) {
      segments.push([start, pos, frames]);
      start = pos;
      frames = 0;
    }
  }
  const total = segments.reduce((s, x) => s + x[2], 0);
  if (total !== meta.messages) throw new Error(`${file}: ${total} frames, its meta says ${meta.messages}`);
  return { meta, data, segments };
}

function frameEnd(data: Buffer, pos: number, framing: Framing): number {
  if (framing === 'lf') {
    const lf = data.indexOf(0x0a, pos);
    if (lf === -1) throw new Error(`unterminated frame at byte ${pos}`);
    return lf + 1;
  }
  let len = 0;
  let p = pos;
  while (data[p] !== 0x20) {
    const d = data[p] - 0x30;
    if (d < 0 || d > 9 || p - pos > 9) throw new Error(`bad octet count at byte ${pos}`);
    len = len * 10 + d;
    p++;
  }
  return p + 1 + len;
}

// ---- command line ----

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def?: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? def : argv[i + 1];
  };
  const replay = arg('replay');
  if (replay !== undefined) {
    const { sendStream } = await import('./sender.ts');
    const stream = loadStream(replay);
    const stats = await sendStream(stream, { port: Number(arg('port', '7971')), host: arg('host', '127.0.0.1')!, connections: Number(arg('connections', '1')) });
    console.log(JSON.stringify(stats));
    return;
  }
  const n = Number(arg('n', '200000'));
  const seed = Number(arg('seed', '1'));
  const framing = arg('framing', 'octet') as Framing;
  if (framing !== 'octet' && framing !== 'lf') throw new Error('--framing is octet or lf');
  const file = ensureStream(n, seed, framing, arg('out'));
  const meta = readMeta(file);
  console.log(`${file}: ${meta.messages} messages, ${meta.bytes} bytes, ${(meta.messageBytes / meta.messages).toFixed(0)} bytes per message`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
