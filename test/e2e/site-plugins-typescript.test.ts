/**
 * The recommended way to write a site plugin in TypeScript (docs/plugins.md):
 * the factory form typed with `import type { OgrtApi, ... } from 'ogrt'`
 * (types only, erased at compile time, so the compiled file needs no 'ogrt'
 * at run time), checked with tsc against the public types, compiled ahead of
 * time to ESM or CommonJS, and loaded by path like any other plugin.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import ts from 'typescript';
import { PluginRegistry } from '../../src/core/registry.ts';
import { REPO_ROOT } from '../helpers/server.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';
import { makeRecords } from '../helpers/records.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { loadConfig } from '../../src/core/config.ts';
import { startServer } from '../../src/core/server.ts';
import { captureLogs } from '../helpers/logs.ts';

const SOURCE = `import type { OgrtApi, OgrtRecord } from 'ogrt';

export default function partitionTag(ogrt: OgrtApi) {
  const { definePlugin, Type, PLUGIN_API_VERSION } = ogrt;
  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'filter',
    type: 'partition-tag',
    description: 'Tags every record with a partition name.',
    options: Type.Object(
      { partition: Type.String({ default: 'batch', description: 'Value of SLURM_JOB_PARTITION to add.' }) },
      { additionalProperties: false },
    ),
    create(ctx, options) {
      ctx.log.info({ partition: options.partition }, 'tagging');
      return {
        process(records: readonly OgrtRecord[]) {
          for (const r of records) r.environment_variables.push({ name: 'SLURM_JOB_PARTITION', value: options.partition });
          return records;
        },
      };
    },
  });
}
`;

/** The same plugin with the mistakes the public types must catch. */
const BROKEN = SOURCE.replace("value: options.partition }", 'value: options.partition.length }').replace("kind: 'filter'", "kind: 'filtre'");

/** tsc's diagnostics for `file` only (the server's own sources are checked by the project build). */
function typeCheck(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')],
    // What `npm install --save-dev ogrt` gives a site's plugin project: the package's types.
    paths: { ogrt: [path.join(REPO_ROOT, 'src/index.ts')] },
  });
  const source = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** Compiles `file` the way tsc/esbuild do (types erased), to ESM or CommonJS. */
async function compile(file: string, module: 'esm' | 'cjs', out: string): Promise<void> {
  const result = ts.transpileModule(await readFile(file, 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: module === 'esm' ? ts.ModuleKind.ES2022 : ts.ModuleKind.CommonJS },
    fileName: file,
  });
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, result.outputText);
}

test('a TypeScript plugin typed against the public API: type-checked, compiled to ESM and CommonJS, loaded by path', async () => {
  const dir = await tempDir('ogrt-ts-plugin-');
  try {
    await writeFiles(dir, { 'src/partition-tag.ts': SOURCE, 'src/broken.ts': BROKEN });
    assert.equal(typeCheck(path.join(dir, 'src/partition-tag.ts')), []);
    const problems = typeCheck(path.join(dir, 'src/broken.ts'));
    assert.ok(problems.length > 0, 'the public types catch mistakes');
    assert.ok(problems.some((p) => /"filtre"|'filtre'/.test(p)), problems.join('\n'));

    await compile(path.join(dir, 'src/partition-tag.ts'), 'esm', path.join(dir, 'site/partition-tag.mjs'));
    await compile(path.join(dir, 'src/partition-tag.ts'), 'cjs', path.join(dir, 'site/partition-tag.cjs'));
    assert.not.match(await readFile(path.join(dir, 'site/partition-tag.mjs'), 'utf8'), 'ogrt\'', 'no run-time import of ogrt');

    const input = fakeInputPlugin('fake-in');
    const output = fakeOutputPlugin('fake-out');
    const received: OgrtRecord[] = [];
    output.instance('out').send = (batch) => {
      received.push(...batch.records);
      return { status: 'ok' };
    };
    await writeFiles(dir, {
      'ogrt.conf': `[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\n` +
        `[filters.esm]\ntype = "./site/partition-tag.mjs"\npartition = "gpu"\n[filters.cjs]\ntype = "./site/partition-tag.cjs"\n`,
    });
    const logs = captureLogs();
    const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: new PluginRegistry([input.plugin, output.plugin]) });
    const server = await startServer({ config, logger: logs.logger });
    try {
      input.get('in').emit(makeRecords(2));
      await waitFor(() => received.length === 2, 2000, 'records stored');
      for (const r of received) {
        assert.equal(r.environment_variables, [{ name: 'SLURM_JOB_PARTITION', value: 'gpu' }, { name: 'SLURM_JOB_PARTITION', value: 'batch' }]);
      }
      assert.equal(logs.matching(/^tagging$/).map((l) => [l.component, l.partition]), [['filter:partition-tag:esm', 'gpu'], ['filter:partition-tag:cjs', 'batch']]);
    } finally {
      await server.stop('test done');
    }
  } finally {
    await removeDir(dir);
  }
});

test.run();
