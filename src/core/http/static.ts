/**
 * The dashboard's files (HTML, JS, CSS; no build step) read once at start
 * and served from memory. They live in src/core/http/dashboard/; the build
 * copies them to dist/dashboard/ (tsup.config.ts onSuccess), so they are
 * found next to the running module in both layouts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** URL path → file name in the dashboard directory. */
export const DASHBOARD_FILES: Readonly<Record<string, string>> = Object.freeze({
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/dom.js': 'dom.js',
  '/style.css': 'style.css',
});

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Where the files are: next to this module (source), or dist/dashboard (bundle), or the source tree from dist. */
export function dashboardDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'dashboard'), path.join(here, '..', 'src', 'core', 'http', 'dashboard')];
  for (const dir of candidates) if (existsSync(path.join(dir, 'index.html'))) return dir;
  throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
}

export function loadDashboard(dir = dashboardDir()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [url, name] of Object.entries(DASHBOARD_FILES)) {
    files.set(url, { body: readFileSync(path.join(dir, name)), contentType: TYPES[path.extname(name)] ?? 'application/octet-stream' });
  }
  return files;
}
