import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOGUE, OgrtError, type ErrorCode } from '../../src/core/errors.ts';
import { REPO_ROOT } from '../helpers/server.ts';

const DOC = readFileSync(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8');
const documented = [...DOC.matchAll(/^### (OGRT_ERR_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1]);

test('every CATALOGUE code is documented in docs/errors.md', () => {
  const missing = Object.keys(CATALOGUE).filter((code) => !documented.includes(code));
  assert.equal(missing, [], `add a "### CODE" section to docs/errors.md for: ${missing.join(', ')}`);
});

test('docs/errors.md documents no code that does not exist, and none twice', () => {
  const unknown = documented.filter((code) => !(code in CATALOGUE));
  assert.equal(unknown, [], `remove or rename: ${unknown.join(', ')}`);
  assert.is(new Set(documented).size, documented.length);
});

test('codes follow OGRT_ERR_<AREA>_<WHAT>', () => {
  for (const code of Object.keys(CATALOGUE)) assert.match(code, /^OGRT_ERR_[A-Z0-9]+_[A-Z0-9_]+$/, code);
});

test('OgrtError fills the template in order and keeps code, cause and frozen context', () => {
  const cause = new Error('EACCES');
  const e = new OgrtError('OGRT_ERR_CONFIG_READ', ['/etc/ogrt/ogrt.conf', 'permission denied'], { cause, context: { file: 'x' } });
  assert.is(e.message, 'cannot read /etc/ogrt/ogrt.conf: permission denied');
  assert.is(e.code, 'OGRT_ERR_CONFIG_READ' satisfies ErrorCode);
  assert.is(e.cause, cause);
  assert.is(e.name, 'OgrtError');
  assert.ok(Object.isFrozen(e.context));
  assert.is(new OgrtError('OGRT_ERR_CONFIG_READ', ['only one']).message, 'cannot read only one: ');
});

test.run();
