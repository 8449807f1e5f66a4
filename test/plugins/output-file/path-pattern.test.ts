import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compilePathPattern, PATH_PATTERN_REGEX } from '../../../plugins/output-file/path-pattern.ts';

const at = (iso: string) => Date.parse(iso);

test('fields are the UTC date and hour; %% is a literal %', () => {
  const p = compilePathPattern('/d/%Y/%m/ogrt-%Y-%m-%d-%H-%j-100%%.jsonl');
  assert.is(p.constant, false);
  assert.is(p.format(at('2026-03-01T05:06:07.890Z')), '/d/2026/03/ogrt-2026-03-01-05-060-100%.jsonl');
  assert.is(p.format(at('2024-12-31T23:59:59.999Z')), '/d/2024/12/ogrt-2024-12-31-23-366-100%.jsonl');
  assert.is(p.format(at('2025-01-01T00:00:00.000Z')), '/d/2025/01/ogrt-2025-01-01-00-001-100%.jsonl');
});

test('the cached path changes exactly at the hour boundary', () => {
  const p = compilePathPattern('x-%Y-%m-%d.jsonl');
  assert.is(p.format(at('2026-11-24T23:59:59.999Z')), 'x-2026-11-24.jsonl');
  assert.is(p.format(at('2026-11-25T00:00:00.000Z')), 'x-2026-11-25.jsonl');
  assert.is(p.format(at('2026-11-24T12:00:00.000Z')), 'x-2026-11-24.jsonl', 'going back in time works too');
});

test('a pattern without fields is constant', () => {
  const p = compilePathPattern('/var/log/ogrt.jsonl');
  assert.is(p.constant, true);
  assert.is(p.format(0), '/var/log/ogrt.jsonl');
});

test('unknown fields and a trailing % are refused, by the compiler and by the schema pattern', () => {
  for (const bad of ['a-%q', 'a-%', '%M', '%S%']) {
    assert.throws(() => compilePathPattern(bad), /unsupported field/, bad);
    assert.not.ok(new RegExp(PATH_PATTERN_REGEX).test(bad), bad);
  }
  for (const good of ['a', '%%', '%Y%m%d%H%j', 'a%%b']) assert.ok(new RegExp(PATH_PATTERN_REGEX).test(good), good);
});

test.run();
