/**
 * Site plugins end to end through the real CLI: ogrt.conf loads the example
 * filters and the example webhook output BY PATH; records sent over TCP are
 * filtered (drop-system drops /usr/bin programs and their exit records,
 * slurm-enrich adds the job's account and partition) and POSTed as JSON
 * arrays to a local HTTP server, which first answers 503 (retried).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { encodeRecord, frameOctetCounted } from '../../src/core/wire.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { makeRecord } from '../helpers/records.ts';
import { REPO_ROOT, spawnServer } from '../helpers/server.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

const EXAMPLE = (name: string): string => path.join(REPO_ROOT, 'examples/plugins', name, 'index.mjs');

interface Received {
  authorization: string | undefined;
  records: OgrtRecord[];
}

/** A webhook receiver: 503 for the first request, then 200; keeps what it accepted. */
async function receiver(): Promise<{ url: string; accepted: Received[]; requests: () => number; close: () => Promise<void> }> {
  const accepted: Received[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      requests++;
      if (requests === 1) {
        res.writeHead(503).end('warming up');
        return;
      }
      accepted.push({ authorization: req.headers.authorization, records: JSON.parse(body) as OgrtRecord[] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ogrt`,
    accepted,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function send(port: number, records: readonly OgrtRecord[]): Promise<void> {
  const data = frameOctetCounted(records.flatMap((r) => encodeRecord(r)));
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(data));
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
}

const env = (r: OgrtRecord): Record<string, string> => Object.fromEntries(r.environment_variables.map((e) => [e.name, e.value]));

test('the example filters and webhook output, loaded by path, between a tcp input and an HTTP receiver', async () => {
  const dir = await tempDir('ogrt-site-plugins-');
  const hook = await receiver();
  try {
    await writeFiles(dir, {
      'site/jobs.csv': 'job_id,account,partition\n4242,physics,gpu\n',
      'ogrt.conf': `
[server]
shutdown_timeout_ms = 5000

[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"

[filters.system]
type = "${EXAMPLE('drop-system-filter')}"
prefixes = ["/usr/bin/", "/bin/"]

[filters.slurm]
type = "${EXAMPLE('slurm-enrich-filter')}"
file = "site/jobs.csv"

[outputs.hook]
type = "${EXAMPLE('webhook-output')}"
url = "${hook.url}"
token_env = "OGRT_TEST_HOOK_TOKEN"
batch = { max_events = 50, timeout_ms = 50 }
retry = { initial_backoff_ms = 10, max_backoff_ms = 50 }
`,
    });
    const proc = spawnServer(['--config', path.join(dir, 'ogrt.conf')], { cwd: dir, env: { OGRT_TEST_HOOK_TOKEN: 'hook-secret' } });
    try {
      const line = await proc.waitForLog((l) => l.msg === 'listening', 15_000, 'the listening line');
      const port = Number(String(line.address).split(':').pop());

      const ls = makeRecord({ binpath: '/usr/bin/ls', job_id: '4242' });
      const sh = makeRecord({ binpath: '/bin/sh', job_id: '4242' });
      const solver = makeRecord({ binpath: '/opt/app/bin/solver', job_id: '4242', environment_variables: [{ name: 'OMP_NUM_THREADS', value: '8' }] });
      const other = makeRecord({ binpath: '/home/bob/a.out', job_id: '17' });
      const lsExit = makeRecord({ kind: 'exit', process_uuid: ls.uuid, exit_status: 0, wall_time_us: 1200 });
      const solverExit = makeRecord({ kind: 'exit', process_uuid: solver.uuid, job_id: '4242', exit_status: 0, wall_time_us: 9_000_000 });
      await send(port, [ls, solver, sh, other]);
      await send(port, [lsExit, solverExit]);

      await waitFor(() => hook.accepted.flatMap((a) => a.records).length >= 3, 10_000, 'the kept records at the webhook');
      const stored = hook.accepted.flatMap((a) => a.records);
      assert.equal(stored.map((r) => r.uuid).sort(), [solver.uuid, other.uuid, solverExit.uuid].sort(), 'system programs and their exits dropped');
      const byUuid = new Map(stored.map((r) => [r.uuid, r]));
      assert.equal(env(byUuid.get(solver.uuid)!), { OMP_NUM_THREADS: '8', SLURM_JOB_ACCOUNT: 'physics', SLURM_JOB_PARTITION: 'gpu' });
      assert.equal(env(byUuid.get(solverExit.uuid)!), { SLURM_JOB_ACCOUNT: 'physics', SLURM_JOB_PARTITION: 'gpu' });
      assert.equal(env(byUuid.get(other.uuid)!), {}, 'job 17 is not in the lookup file');
      assert.is(byUuid.get(solver.uuid)!.receive?.input, 'direct');
      assert.ok(hook.requests() >= 2, 'the first POST was answered 503 and retried');
      assert.ok(hook.accepted.every((a) => a.authorization === 'Bearer hook-secret'));
      const retried = proc.logLines().filter((l) => l.code === 'OGRT_ERR_OUTPUT_RETRY');
      assert.ok(retried.length >= 1);
      assert.match(String(retried[0].component), /^output:webhook:hook$/);
      assert.not.match(proc.stderr(), 'hook-secret', 'the token is never logged');

      proc.child.kill('SIGTERM');
      const result = await proc.exited;
      assert.is(result.code, 0, result.stderr);
      assert.ok(proc.logLines().some((l) => l.msg === 'stopped' && l.unflushed === 0));
      assert.is(proc.logLines().filter((l) => l.level === 'error').length, 0, 'no errors logged');
    } finally {
      proc.child.kill('SIGKILL');
    }
  } finally {
    await hook.close();
    await removeDir(dir);
  }
});

test.run();
