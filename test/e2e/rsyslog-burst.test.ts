/**
 * 1000 programs in a burst under libogrt.so, four at a time, through the
 * node's rsyslog (deploy/rsyslog/ogrt-forward.conf) to ogrt-server: every
 * record arrives, once, complete.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  freePort, runTracedPrograms, startForwardNode, startOgrtServer, tracedByIndex, waitFor, type OgrtServer, type Rsyslog,
} from '../helpers/rsyslog.ts';

const COUNT = 1000;
let dir: string;
let server: OgrtServer | undefined;
let node: Rsyslog | undefined;

test.after(async () => {
  await node?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('1000 programs in a burst: 1000 records, each once and complete', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-burst-'));
  const port = await freePort();
  server = await startOgrtServer({ dir: path.join(dir, 'server'), port });
  node = await startForwardNode({ dir: path.join(dir, 'node'), serverPort: port });
  await runTracedPrograms(node.socketPath!, 'burst', COUNT, 4);
  const got = await waitFor(() => tracedByIndex(server!.records(), 'burst', COUNT), `${COUNT} records`, 30_000);
  const uuids = new Set<string>();
  for (let i = 0; i < COUNT; i++) {
    const records = got.get(i);
    assert.ok(records !== undefined, `program ${i} has a record`);
    assert.is(records!.length, 1, `program ${i}: exactly one record`);
    const r = records![0];
    uuids.add(r.uuid);
    assert.is(r.job_id, '4711');
    assert.ok(r.shared_objects.length >= 2);
    assert.not.ok(r.incomplete);
  }
  assert.is(uuids.size, COUNT);
  assert.is(server.records().filter((r) => r.cmdline?.startsWith('/bin/true burst-')).length, COUNT);
});

test.run();
