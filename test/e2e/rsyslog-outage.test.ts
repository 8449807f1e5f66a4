/**
 * Server outage: ogrt-server stops, 500 programs run under libogrt.so and
 * log to the node's rsyslog (deploy/rsyslog/ogrt-forward.conf), ogrt-server
 * starts again: rsyslog's queue delivers every record. Duplicates (rsyslog may
 * resend what was in flight) are allowed and recognisable by uuid; losses and
 * strangers are not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  freePort, readJsonLines, runTracedPrograms, startForwardNode, startOgrtServer, tracedByIndex, waitFor, type OgrtServer, type Rsyslog,
} from '../helpers/rsyslog.ts';

const COUNT = 500;
let dir: string;
let server: OgrtServer | undefined;
let node: Rsyslog | undefined;

test.after(async () => {
  await node?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('500 programs run while ogrt-server is down: all 500 records arrive after it is back', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ogrt-outage-'));
  const port = await freePort();
  const serverDir = path.join(dir, 'server');
  server = await startOgrtServer({ dir: serverDir, port });
  node = await startForwardNode({ dir: path.join(dir, 'node'), serverPort: port });
  // Up: a first program goes all the way, so rsyslog has a live connection to lose.
  await runTracedPrograms(node.socketPath!, 'before', 1, 1);
  await waitFor(() => tracedByIndex(server!.records(), 'before', 1), 'the record before the outage');

  await server.stop();
  server = undefined;
  await runTracedPrograms(node.socketPath!, 'outage', COUNT);
  const whileDown = readJsonLines(path.join(serverDir, 'records.jsonl')).filter((r) => r.cmdline?.startsWith('/bin/true outage-'));
  assert.is(whileDown.length, 0, 'nothing can arrive while the server is down');

  server = await startOgrtServer({ dir: serverDir, port });
  const got = await waitFor(() => tracedByIndex(server!.records(), 'outage', COUNT), `all ${COUNT} records after the restart`, 30_000);
  const uuids = new Set<string>();
  for (const [, records] of got) {
    // Copies of one record share its uuid; two different records of one program would be a bug.
    assert.is(new Set(records.map((r) => r.uuid)).size, 1);
    uuids.add(records[0].uuid);
    assert.is(records[0].job_id, '4711');
    assert.is(records[0].binpath, realpathSync('/bin/true'));
    assert.not.ok(records[0].incomplete);
  }
  assert.is(uuids.size, COUNT);
});

test.run();
