#!/usr/bin/env node
// `npm test`: the C suite (make -C preload check) and the uvu suites, then one
// closing line `N passed, N failed` that CI reads.
// Extra args are passed to uvu as its file pattern, e.g. `npm test -- wire`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let passed = 0;
let failed = 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  process.stdout.write(out);
  return { status: r.status ?? 1, out };
}

const only = process.argv[2];
if (!only) {
  const c = run('make', ['-s', '-C', 'preload', 'check']);
  const m = [...c.out.matchAll(/^preload: (\d+) passed, (\d+) failed$/gm)].pop();
  if (m) { passed += Number(m[1]); failed += Number(m[2]); }
  if (c.status !== 0 && (!m || Number(m[2]) === 0)) failed += 1;
}

const uvuArgs = ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', only ? only : '\\.test\\.ts$'];
const u = run(process.execPath, uvuArgs, { env: { ...process.env, FORCE_COLOR: '0' } });
const total = /Total:\s+(\d+)/.exec(u.out);
const ok = /Passed:\s+(\d+)/.exec(u.out);
if (total && ok) {
  passed += Number(ok[1]);
  failed += Number(total[1]) - Number(ok[1]);
}
if (u.status !== 0 && !(total && Number(total[1]) > Number(ok?.[1] ?? 0))) failed += 1; // crashed before totals
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && u.status === 0 ? 0 : 1);
