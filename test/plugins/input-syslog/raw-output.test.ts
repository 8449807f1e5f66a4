/**
 * non_ogrt = "pass": other programs' syslog reaches output-file as raw events
 * (kind "raw", the message in `syslog`). Needs the record type and schema to
 * know raw events (src/core/record.ts, src/core/record-schema.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeRecord } from '../../../src/core/wire.ts';
import { freePort, startOgrtServer, waitFor } from '../../helpers/rsyslog.ts';
import { makeRecord } from './harness.ts';

test('raw events are written by output-file next to OGRT records', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ogrt-syslog-raw-'));
  const port = await freePort();
  const server = await startOgrtServer({ dir, port, inputLines: ['non_ogrt = "pass"'] });
  try {
    const r = makeRecord();
    const other = '<13>1 2026-11-24T21:40:08.25Z web01 nginx 811 access - GET / "quoted" ü';
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => s.end(Buffer.concat([Buffer.from(other + '\n'), encodeRecord(r)[0], Buffer.from('\n')])));
      s.on('error', reject);
      s.on('close', () => resolve());
    });
    const deadLetter = path.join(dir, 'data/dead-letter/file.jsonl');
    await waitFor(() => server.records().length === 2 || existsSync(deadLetter), 'two lines in the file (or a dead letter)');
    assert.not.ok(existsSync(deadLetter), `output-file refused the raw event (record-schema.ts must know kind "raw" and \`syslog\`): ${existsSync(deadLetter) ? readFileSync(deadLetter, 'utf8').slice(0, 300) : ''}`);
    const got = server.records();
    const raw = got.find((x) => (x.kind as string) === 'raw') as unknown as Record<string, any>;
    assert.ok(raw !== undefined, 'a raw event in the file');
    assert.equal(raw.syslog, {
      facility: 1, severity: 5, timestamp: '2026-11-24T21:40:08.25Z', hostname: 'web01', app_name: 'nginx', proc_id: '811', msg_id: 'access', message: other,
    });
    assert.is(raw.time, '2026-11-24T21:40:08.250000Z');
    assert.is(raw.receive.input, 'relay');
    assert.ok(got.some((x) => x.uuid === r.uuid));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
