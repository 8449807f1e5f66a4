// Module resolution hook for ogrt-alias.mjs (runs on the loader thread).
// 'ogrt' is resolved as if this file imported ../../src/index.ts, through the
// rest of the chain, so tsx's own hooks see (and then load) a .ts file they resolved.
const PUBLIC_API = '../../src/index.ts';

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'ogrt') return nextResolve(PUBLIC_API, { ...context, parentURL: import.meta.url });
  return nextResolve(specifier, context);
}
