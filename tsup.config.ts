import { defineConfig } from 'tsup';

// One bundle for the CLI (built-in plugins are bundled in, registered by
// name) and one for the public API that site plugins import as 'ogrt'.
// The `#!/usr/bin/env node` line comes from src/core/cli.ts itself: esbuild
// keeps an entry's hashbang, so only dist/cli.js gets it (and tsup marks
// that file executable).
export default defineConfig({
  entry: { cli: 'src/core/cli.ts', index: 'src/index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
});
