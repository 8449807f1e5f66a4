import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyLines, formatKeyPath } from '../../src/core/config-locate.ts';

const SOURCE = `# comment [not.a.table]
[server]
log_level = "info"

[inputs.direct]
type = "tcp"
note = """
max_events = 1
"""
listen = "127.0.0.1:7971"

[outputs."my out"]
type = 'file'
batch = { max_events = 5, inner = { deep = 1 } }
buffer.max_bytes = 10
[ outputs . local . retry ]  # spaced header
max_attempts = 3
`;

test('lines of table headers, keys, dotted keys and inline-table keys', () => {
  const lines = new KeyLines(SOURCE);
  assert.is(lines.lineOf(['server']), 2);
  assert.is(lines.lineOf(['server', 'log_level']), 3);
  assert.is(lines.lineOf(['inputs']), 5);
  assert.is(lines.lineOf(['inputs', 'direct', 'type']), 6);
  assert.is(lines.lineOf(['inputs', 'direct', 'listen']), 10, 'multi-line strings are skipped');
  assert.is(lines.lineOf(['outputs', 'my out', 'type']), 13);
  assert.is(lines.lineOf(['outputs', 'my out', 'batch', 'max_events']), 14);
  assert.is(lines.lineOf(['outputs', 'my out', 'batch', 'inner', 'deep']), 14);
  assert.is(lines.lineOf(['outputs', 'my out', 'buffer', 'max_bytes']), 15);
  assert.is(lines.lineOf(['outputs', 'local', 'retry', 'max_attempts']), 17);
});

test('a key that is not in the text falls back to its closest enclosing table', () => {
  const lines = new KeyLines(SOURCE);
  assert.is(lines.lineOf(['outputs', 'my out', 'batch', 'missing']), 14);
  assert.is(lines.lineOf(['outputs', 'local', 'retry', 'initial_backoff_ms']), 16);
  assert.is(lines.lineOf(['nowhere']), undefined);
});

test('key paths are written as TOML keys', () => {
  assert.is(formatKeyPath(['outputs', 'local', 'batch']), 'outputs.local.batch');
  assert.is(formatKeyPath(['outputs', 'my out']), 'outputs."my out"');
});

test.run();
