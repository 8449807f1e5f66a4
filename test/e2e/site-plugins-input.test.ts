/**
 * A site-written input, end to end through the real CLI: loaded by path, it
 * imports only the published package — 'ogrt' for definePlugin and 'ogrt/kit'
 * for the input toolkit — and turns OGRT messages sent one per line over TCP
 * into records (split records reassembled, a broken line counted and logged)
 * that arrive in the file output exactly as sent.
 *
 * `npm link ogrt` next to ogrt.conf is simulated as in
 * site-plugins-loading.test.ts: a node_modules/ogrt whose exports map (the
 * package's, '.' and './kit') points at this checkout's sources.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import * as kitModule from '../../src/kit.ts';
import * as publicApi from '../../src/index.ts';
import { OGRT_API } from '../../src/core/plugin-api.ts';
import { encodeRecord } from '../../src/core/wire.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { makeRecord } from '../helpers/records.ts';
import { REPO_ROOT, spawnServer } from '../helpers/server.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';

/** The site's input: OGRT messages (RFC 5424), one per line, over plain TCP. */
const LINE_INPUT = `import net from 'node:net';
import { definePlugin, Type, PLUGIN_API_VERSION } from 'ogrt';
import { FrameSplitter, RecordIntake, formatPeer, parseListen } from 'ogrt/kit';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'input',
  type: 'line-relay',
  description: 'OGRT messages, one per line, over plain TCP.',
  options: Type.Object({
    listen: Type.String({ default: '127.0.0.1:7990', description: 'host:port to listen on.' }),
    max_line_bytes: Type.Integer({ minimum: 1, default: 65536, description: 'Longest line accepted; longer ones are skipped and counted.' }),
  }, { additionalProperties: false }),
  create(ctx, options) {
    const address = parseListen(options.listen, 'inputs.' + ctx.id + '.listen');
    // Decode, reassemble split records, stamp receive, emit with backpressure; errors counted and logged.
    const intake = new RecordIntake(ctx, { reassemblyTimeoutMs: 30000, relayHeader: false, unparseable: 'invalid' });
    const sockets = new Set();
    const server = net.createServer((socket) => {
      const peer = formatPeer(socket.remoteAddress, socket.remotePort);
      const lines = new FrameSplitter({
        maxFrameSize: options.max_line_bytes,
        onFrame: (buf, start, end) => intake.message(buf, start, end, peer, 'tcp', lines.messageOffset),
        onError: (err) => intake.problem('malformed_frame', err, peer, 'tcp'),
      });
      sockets.add(socket);
      intake.register(socket); // paused while ctx.emit() pushes back
      socket.on('data', (chunk) => {
        intake.received(chunk.length);
        lines.push(chunk);
        intake.flush();
      });
      socket.on('end', () => {
        lines.finish();
        intake.flush();
        socket.end();
      });
      socket.on('close', () => {
        sockets.delete(socket);
        intake.unregister(socket);
      });
      socket.on('error', (err) => ctx.log.warn({ peer, err: err.message }, 'connection error'));
    });
    return {
      start: () => new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(address.port, address.host, () => {
          intake.start();
          resolve();
        });
      }),
      stop: () => new Promise((resolve) => {
        server.close(() => {
          intake.close();
          resolve();
        });
        for (const s of sockets) s.end();
      }),
      addresses: () => {
        const a = server.address();
        return a === null || typeof a === 'string' ? [] : [formatPeer(a.address, a.port)];
      },
    };
  },
});
`;

const LINKED_OGRT: Record<string, string> = {
  'node_modules/ogrt/package.json': JSON.stringify({
    name: 'ogrt',
    type: 'module',
    exports: { '.': { import: './index.mjs' }, './kit': { import: './kit.mjs' } },
  }),
  'node_modules/ogrt/index.mjs': `export * from ${JSON.stringify(path.join(REPO_ROOT, 'src/index.ts'))};\n`,
  'node_modules/ogrt/kit.mjs': `export * from ${JSON.stringify(path.join(REPO_ROOT, 'src/kit.ts'))};\n`,
};

function send(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(data));
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
}

const lines = (messages: readonly Buffer[]): Buffer => Buffer.concat(messages.flatMap((m) => [m, Buffer.from('\n')]));

function withoutReceive(r: OgrtRecord): OgrtRecord {
  const { receive: _receive, ...rest } = r;
  return rest as OgrtRecord;
}

test("the toolkit is one set of values: 'ogrt/kit', `kit` of 'ogrt', and `ogrt.kit` given to plugin factories", () => {
  const names = Object.keys(kitModule).sort();
  assert.ok(names.includes('RecordIntake') && names.includes('decodeMessage') && names.includes('encodeRecord'), names.join(', '));
  assert.equal(Object.keys(OGRT_API.kit).sort(), names);
  assert.is(OGRT_API.kit, publicApi.kit);
  for (const name of names) assert.is((OGRT_API.kit as Record<string, unknown>)[name], (kitModule as Record<string, unknown>)[name], name);
});

test("a site input built only on 'ogrt' and 'ogrt/kit', loaded by path: its records arrive in the file output as sent", async () => {
  const dir = await tempDir('ogrt-site-input-');
  await writeFiles(dir, {
    ...LINKED_OGRT,
    'plugins/line-input.mjs': LINE_INPUT,
    'ogrt.conf': `
[server]
shutdown_timeout_ms = 5000

[inputs.lines]
type = "./plugins/line-input.mjs"
listen = "127.0.0.1:0"

[outputs.local]
type = "file"
path = "out/records.jsonl"
`,
  });
  const proc = spawnServer(['--config', path.join(dir, 'ogrt.conf')], { cwd: dir });
  try {
    const listening = await proc.waitForLog((l) => l.msg === 'listening', 15_000, 'the listening line');
    assert.is(listening.component, 'input:line-relay:lines');
    const port = Number(String(listening.address).split(':').pop());
    assert.ok(port > 0, JSON.stringify(listening));

    const plain = makeRecord({ binpath: '/opt/app/bin/solver', job_id: '4242' });
    const split = makeRecord({
      binpath: '/opt/app/bin/big',
      shared_objects: Array.from({ length: 600 }, (_, i) => ({ path: `/opt/lib${i}/libpart-${i}.so` })),
    });
    const splitMessages = encodeRecord(split);
    assert.ok(splitMessages.length > 2, `split into ${splitMessages.length} messages`);
    const after = makeRecord({ binpath: '/opt/app/bin/after' });
    await send(port, lines([...encodeRecord(plain), ...splitMessages, Buffer.from('<14>1 this is not an OGRT message'), ...encodeRecord(after)]));
    await proc.waitForLog((l) => l.component === 'input:line-relay:lines' && l.kind === 'invalid_syslog', 10_000, 'the broken line logged');

    proc.child.kill('SIGTERM');
    const result = await proc.exited;
    assert.is(result.code, 0, result.stderr);

    const text = await readFile(path.join(dir, 'out/records.jsonl'), 'utf8');
    const got = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as OgrtRecord);
    assert.equal(got.map((r) => r.uuid).sort(), [plain.uuid, split.uuid, after.uuid].sort(), 'one line per record, the broken line left out');
    for (const sent of [plain, split, after]) {
      const r = got.find((x) => x.uuid === sent.uuid)!;
      assert.equal(withoutReceive(r), sent);
      assert.is(r.receive?.input, 'lines');
      assert.match(String(r.receive?.peer), /^127\.0\.0\.1:\d+$/);
    }
  } finally {
    proc.child.kill('SIGKILL');
    await removeDir(dir);
  }
});

test.run();
