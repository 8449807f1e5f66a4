import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

// One bundle for the CLI (built-in plugins are bundled in, registered by
// name), one for the public API that site plugins import as 'ogrt', and
// one for the input toolkit they import as 'ogrt/kit' (package.json exports).
// The `#!/usr/bin/env node` line comes from src/core/cli.ts itself: esbuild
// keeps an entry's hashbang, so only dist/cli.js gets it (and tsup marks
// that file executable).
export default defineConfig({
  // sqlite-worker: the thread that runs the dashboard's SQLite queries
  // (src/core/queries/sqlite-threaded.ts loads dist/sqlite-worker.js).
  entry: { cli: 'src/core/cli.ts', index: 'src/index.ts', kit: 'src/kit.ts', 'sqlite-worker': 'src/core/queries/sqlite-worker.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: { entry: { index: 'src/index.ts', kit: 'src/kit.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  // The dashboard is static HTML/JS/CSS served as files (no build step):
  // dist/dashboard/ is where src/core/http/static.ts looks for it in the bundle.
  async onSuccess() {
    await cp('src/core/http/dashboard', 'dist/dashboard', { recursive: true });
  },
});
