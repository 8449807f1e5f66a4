/**
 * libogrt.so straight into the server's input-tcp plugin (the "direct"
 * deployment): real programs, the plugin's framing, decoding and reassembly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realpathSync } from 'node:fs';
import { baseEnv, runPreloaded } from './harness.ts';
import { startInput } from '../plugins/input-tcp/harness.ts';
import { waitFor } from '../helpers/wait.ts';

test('python3 -c pass and a record split in parts arrive through input-tcp', async () => {
  const { fake, input, port } = await startInput();
  try {
    const transport = `tcp://127.0.0.1:${port}`;
    const big: Record<string, string> = {};
    for (let i = 0; i < 40; i++) big[`BIG_${i}`] = 'v'.repeat(500);
    const py = await runPreloaded('/usr/bin/python3', ['-c', 'pass'], baseEnv({ OGRT_TRANSPORT: transport, SLURM_JOB_ID: '4711' }));
    assert.is(py.code, 0);
    const t = await runPreloaded('/bin/true', ['split'], baseEnv({ OGRT_TRANSPORT: transport, OGRT_ENV_VARS: 'all', OGRT_MAX_MESSAGE_SIZE: '4096', ...big }));
    assert.is(t.code, 0);
    await waitFor(() => fake.records().length >= 2, 5000, 'two records from input-tcp');
    const recs = fake.records();
    const p = recs.find((r) => r.pid === py.pid)!;
    assert.is(p.binpath, realpathSync('/usr/bin/python3'));
    assert.is(p.job_id, '4711');
    assert.is(p.receive?.input, 'direct');
    const s = recs.find((r) => r.pid === t.pid)!;
    assert.is(s.cmdline, '/bin/true split');
    assert.is(s.incomplete, undefined);
    assert.is(s.environment_variables.filter((e) => e.name.startsWith('BIG_')).length, 40);
  } finally {
    await input.stop();
  }
});

test.run();
