import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { parseConfig, type OgrtConfig } from '../../src/core/config.ts';
import { PluginRegistry } from '../../src/core/registry.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { segmentSize, windowSize } from '../../src/core/disk-buffer-config.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';

const DIR = '/srv/ogrt';
const registry = new PluginRegistry([fakeInputPlugin('tcp').plugin, fakeOutputPlugin('file').plugin]);
const INPUT = '[inputs.direct]\ntype = "tcp"\n';

function parse(text: string): Promise<OgrtConfig> {
  return parseConfig({ file: 'test.conf', path: path.join(DIR, 'test.conf'), dir: DIR, text: INPUT + text }, registry);
}

async function problems(text: string): Promise<[string, string, string][]> {
  try {
    await parse(text);
  } catch (err) {
    const list = (err as OgrtError).context.errors as OgrtError[];
    return list.map((e) => [e.code, e.context.key as string, e.message]);
  }
  throw new Error('expected the configuration to be rejected');
}

test('inline table and [outputs.NAME.buffer] table give the same disk settings', async () => {
  const inline = await parse('[outputs.es]\ntype = "file"\nbuffer = { type = "disk", path = "spool/es", max_bytes = 1048576, fsync = "interval", fsync_interval_ms = 250 }\n');
  const table = await parse('[outputs.es]\ntype = "file"\n[outputs.es.buffer]\ntype = "disk"\npath = "spool/es"\nmax_bytes = 1048576\nfsync = "interval"\nfsync_interval_ms = 250\n');
  const expected = {
    type: 'disk',
    path: '/srv/ogrt/spool/es',
    max_events: 1_000_000,
    max_bytes: 1_048_576,
    when_full: 'block',
    fsync: 'interval',
    fsync_interval_ms: 250,
  };
  assert.equal(inline.outputs[0].settings.buffer, expected);
  assert.equal(table.outputs[0].settings.buffer, expected);
});

test('disk defaults: <data_dir>/buffer/<output>, fsync per batch; when_full shorthand applies; memory keeps its own defaults', async () => {
  const config = await parse('[server]\ndata_dir = "/var/lib/ogrt"\n[outputs.a]\ntype = "file"\nwhen_full = "drop_newest"\nbuffer.type = "disk"\n[outputs.b]\ntype = "file"\n');
  assert.equal(config.outputs[0].settings.buffer, {
    type: 'disk',
    path: '/var/lib/ogrt/buffer/a',
    max_events: 1_000_000,
    max_bytes: 1_073_741_824,
    when_full: 'drop_newest',
    fsync: 'batch',
    fsync_interval_ms: 1000,
  });
  assert.equal(config.outputs[1].settings.buffer, { type: 'memory', max_events: 2_000, max_bytes: 16_777_216, when_full: 'block' });
});

test('disk-only keys on a memory buffer, an interval without fsync = "interval", bad values and a shared path are errors', async () => {
  const list = await problems(`
[outputs.a]
type = "file"
buffer = { path = "x", fsync = "batch" }
[outputs.b]
type = "file"
buffer = { type = "disk", fsync_interval_ms = 10 }
[outputs.c]
type = "file"
buffer = { type = "disk", fsync = "always", max_bytes = 0 }
[outputs.d]
type = "file"
buffer = { type = "disk", path = "/q" }
[outputs.e]
type = "file"
buffer = { type = "disk", path = "/q/" }
`);
  assert.equal(
    list.map(([code, key]) => [code, key]),
    [
      ['OGRT_ERR_CONFIG_INVALID', 'outputs.a.buffer.path'],
      ['OGRT_ERR_CONFIG_INVALID', 'outputs.a.buffer.fsync'],
      ['OGRT_ERR_CONFIG_INVALID', 'outputs.b.buffer.fsync_interval_ms'],
      ['OGRT_ERR_CONFIG_INVALID', 'outputs.c.buffer.max_bytes'],
      ['OGRT_ERR_CONFIG_INVALID', 'outputs.c.buffer.fsync'],
      ['OGRT_ERR_CONFIG_INVALID', 'outputs.e.buffer.path'],
    ],
  );
  assert.match(list[0][2], 'applies to type = "disk" only');
  assert.match(list[2][2], 'applies to fsync = "interval" only');
  assert.match(list[5][2], '/q is already the disk buffer of output d');
});

test('derived sizes: segments of about max_bytes / 8 within [16 KiB, 32 MiB]; read-ahead of (concurrency + 1) batches', () => {
  assert.is(segmentSize(1_073_741_824), 32 * 1024 * 1024);
  assert.is(segmentSize(8 * 1024 * 1024), 1024 * 1024);
  assert.is(segmentSize(1000), 16 * 1024);
  assert.equal(windowSize({ max_events: 500, max_bytes: 1_048_576 }, 2), { events: 1500, bytes: 3_145_728 });
});

test.run();
