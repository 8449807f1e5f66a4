/**
 * The examples' own tests (examples/plugins/<name>/test/*.test.mjs, written
 * with node:test so a site can run them with no dependency) are part of this
 * suite: they run here with 'ogrt' resolved to this checkout's API, as
 * `npm link ogrt` resolves it for a site.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, TSX_LOADER } from '../helpers/server.ts';

const EXAMPLES = path.join(REPO_ROOT, 'examples/plugins');
const ALIAS = path.join(REPO_ROOT, 'test/helpers/ogrt-alias.mjs');

function exampleTestFiles(): string[] {
  const files: string[] = [];
  for (const example of readdirSync(EXAMPLES)) {
    const dir = path.join(EXAMPLES, example, 'test');
    for (const name of readdirSync(dir)) if (name.endsWith('.test.mjs')) files.push(path.join(dir, name));
  }
  return files.sort();
}

test('every example has its own tests, and they pass', () => {
  const examples = readdirSync(EXAMPLES).sort();
  assert.equal(examples, ['drop-system-filter', 'slurm-enrich-filter', 'webhook-output']);
  const files = exampleTestFiles();
  assert.is(files.length, examples.length, 'one test file per example');
  const declared = files.reduce((n, f) => n + [...readFileSync(f, 'utf8').matchAll(/^test\(/gm)].length, 0);

  const run = spawnSync(process.execPath, ['--import', TSX_LOADER, '--import', ALIAS, '--test', '--test-reporter=tap', ...files], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const out = `${run.stdout}\n${run.stderr}`;
  const count = (what: string): number => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(out)?.[1] ?? -1);
  assert.is(count('fail'), 0, out);
  assert.is(count('pass'), declared, out);
  assert.is(run.status, 0, out);
});

test.run();
