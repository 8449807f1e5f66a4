/**
 * The core's promise, end to end through the real CLI: records sent over TCP
 * (both framings, split records, hostile values, 4000 shared objects) arrive as
 * the same records in JSON Lines; a malformed frame costs only its own
 * connection; a stalled output keeps memory bounded while a sender floods.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import path from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { encodeRecord, frameOctetCounted } from '../../src/core/wire.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { makeRecord } from '../helpers/records.ts';
import { spawnServer, type ServerProcess } from '../helpers/server.ts';
import { tempDir, removeDir, writeFiles } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

function config(dir: string, extra = ''): string {
  return `
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"

[outputs.local]
type = "file"
path = "${path.join(dir, 'out/ogrt-%Y-%m-%d.jsonl')}"
${extra}
`;
}

async function start(dir: string, toml: string): Promise<{ proc: ServerProcess; port: number }> {
  await writeFiles(dir, { 'ogrt.conf': toml });
  const proc = spawnServer(['--config', path.join(dir, 'ogrt.conf')], { cwd: dir });
  const line = await proc.waitForLog((l) => l.msg === 'listening', 15_000, 'the listening line');
  const port = Number(String(line.address).split(':').pop());
  assert.ok(port > 0, `port from ${JSON.stringify(line)}`);
  return { proc, port };
}

function send(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(data));
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
}

async function readLines(dir: string): Promise<OgrtRecord[]> {
  const outDir = path.join(dir, 'out');
  const files = (await readdir(outDir)).filter((f) => f.endsWith('.jsonl')).sort();
  const lines: OgrtRecord[] = [];
  for (const f of files) {
    const text = await readFile(path.join(outDir, f), 'utf8');
    for (const line of text.split('\n')) if (line) lines.push(JSON.parse(line) as OgrtRecord);
  }
  return lines;
}

function withoutReceive(r: OgrtRecord): OgrtRecord {
  const { receive: _receive, ...rest } = r;
  return rest as OgrtRecord;
}

const hostile = makeRecord({
  job_id: 'job"]\\1',
  username: 'ålice',
  binpath: '/home/u/my "prog"]\\x/日本語/😀',
  cmdline: 'prog --opt="a]b" \\ <script>alert(1)</script>\n\ttab',
  shared_objects: [
    { path: '/lib/x86_64-linux-gnu/libc.so.6' },
    { path: '/scratch/caf\udce9/lib]"\\.so', signature: 'b73c604d-c2e9-4057-ae31-586aa5ee29e3' },
  ],
  loaded_modules: [{ name: 'gcc/12.2.0' }, { name: 'openblas/0.3.21-"broken"' }],
  environment_variables: [
    { name: 'OMP_NUM_THREADS', value: '4' },
    { name: 'WEIRD', value: 'a=b]c"d\\e%41' },
  ],
});

const huge = makeRecord({
  binpath: '/opt/app/bin/solver',
  shared_objects: Array.from({ length: 4000 }, (_, i) => ({
    path: `/opt/lib${i}/libsolver-part-${i}.so.${i % 7}`,
    ...(i % 3 === 0 ? { signature: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` } : {}),
  })),
});

test('records over TCP in both framings, split and hostile, arrive as identical JSON lines', async () => {
  const dir = await tempDir('ogrt-e2e-core-');
  const { proc, port } = await start(dir, config(dir));
  try {
    const plain = makeRecord({ binpath: '/usr/bin/true', cmdline: 'true' });
    const hugeMessages = encodeRecord(huge);
    assert.ok(hugeMessages.length > 10, `4000 shared objects split into ${hugeMessages.length} parts`);

    // Octet counting on one connection: hostile + the split record.
    await send(port, frameOctetCounted([...encodeRecord(hostile), ...hugeMessages]));
    // LF framing on another.
    await send(port, Buffer.concat(encodeRecord(plain).map((m) => Buffer.concat([m, Buffer.from('\n')]))));

    proc.child.kill('SIGTERM');
    const result = await proc.exited;
    assert.is(result.code, 0, result.stderr);

    const lines = await readLines(dir);
    const byUuid = new Map(lines.map((r) => [r.uuid, r]));
    assert.is(lines.length, 3, 'one line per record');
    for (const sent of [hostile, huge, plain]) {
      const got = byUuid.get(sent.uuid);
      assert.ok(got, `record ${sent.uuid} arrived`);
      assert.equal(withoutReceive(got!), sent);
      assert.is(got!.receive?.input, 'direct');
      assert.match(got!.receive!.peer, /^127\.0\.0\.1:\d+$/);
    }
  } finally {
    proc.child.kill('SIGKILL');
    await removeDir(dir);
  }
});

test('a malformed frame is reported with its peer and offset; other connections and records live on', async () => {
  const dir = await tempDir('ogrt-e2e-core-');
  const { proc, port } = await start(dir, config(dir));
  try {
    const before = makeRecord();
    const after = makeRecord();
    // Octet counting with a broken length after one good frame: this connection is closed.
    const good = frameOctetCounted(encodeRecord(before));
    await send(port, Buffer.concat([good, Buffer.from('12x <14>1 broken')]));
    // A connection with a frame that is not RFC 5424, then a good one: both handled.
    const bogus = Buffer.from('<14>1 not-a-timestamp host app - - -');
    await send(port, frameOctetCounted([bogus, ...encodeRecord(after)]));

    const framing = await proc.waitForLog((l) => l.code === 'OGRT_ERR_FRAME_MALFORMED', 10_000, 'the framing error');
    assert.match(String(framing.peer), /^127\.0\.0\.1:\d+$/, 'the error names the peer');
    assert.is(framing.offset, good.length + 2, 'the offset points at the bad byte of the length');
    const parse = await proc.waitForLog((l) => l.code === 'OGRT_ERR_SYSLOG_PARSE', 10_000, 'the parse error');
    assert.is(typeof parse.message_offset === 'number' || typeof parse.offset === 'number', true, 'the parse error says where');

    proc.child.kill('SIGTERM');
    assert.is((await proc.exited).code, 0);
    const uuids = (await readLines(dir)).map((r) => r.uuid).sort();
    assert.equal(uuids, [before.uuid, after.uuid].sort());
  } finally {
    proc.child.kill('SIGKILL');
    await removeDir(dir);
  }
});

test('a stalled output holds memory under its bound while a sender floods', async () => {
  const dir = await tempDir('ogrt-e2e-stall-');
  // A site output, loaded by path, that never acknowledges anything.
  await writeFiles(dir, {
    'never-ack.mjs': `export default {
      apiVersion: 1, kind: 'output', type: 'never-ack', description: 'never acknowledges',
      options: { type: 'object', properties: {}, additionalProperties: false },
      create() { return { send: () => new Promise(() => {}) }; },
    };`,
  });
  const toml = `
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"

[outputs.stuck]
type = "./never-ack.mjs"
buffer = { max_events = 2000, max_bytes = 8388608 }
`;
  const { proc, port } = await start(dir, toml);
  try {
    const template = frameOctetCounted(encodeRecord(makeRecord({ shared_objects: Array.from({ length: 40 }, (_, i) => ({ path: `/usr/lib/x86_64-linux-gnu/libdep${i}.so.1` })) })));
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    let written = 0;
    let blocked = false;
    // Write until the kernel buffers and ours are full: the server stopped reading.
    const floodUntil = Date.now() + 20_000;
    while (!blocked && Date.now() < floodUntil) {
      const ok = sock.write(template);
      written += template.length;
      if (!ok) {
        const drained = await Promise.race([
          new Promise<boolean>((r) => sock.once('drain', () => r(true))),
          new Promise<boolean>((r) => setTimeout(() => r(false), 1500)),
        ]);
        if (!drained) blocked = true;
      }
    }
    assert.ok(blocked, `the sender felt backpressure after ${written} bytes`);
    const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
    const rssKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    // 2000 queued records of ~2.3 KB plus Node's baseline: far below 256 MiB.
    assert.ok(rssKb < 256 * 1024, `peak RSS ${rssKb} KiB`);
    assert.ok(written > 2000 * template.length, `the sender got ${written} bytes out before blocking (the queue filled first)`);
    sock.destroy();
  } finally {
    proc.child.kill('SIGKILL');
    await proc.exited;
    await removeDir(dir);
  }
});

test.run();
