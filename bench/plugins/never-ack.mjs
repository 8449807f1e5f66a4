/**
 * A site output plugin that never acknowledges: send() returns a promise that
 * never settles. bench/stall.ts loads it by path (`type = ".../never-ack.mjs"`)
 * to see what ogrt-server does when a store stalls: its bounded buffer fills,
 * then inputs pause (when_full = "block") or drop and count (when_full =
 * "drop_newest").
 *
 * Written as plain ESM with no imports: `definePlugin` (from 'ogrt') only
 * freezes the definition, and importing 'ogrt' would need the package built
 * (dist/index.js), which the benchmark does not require.
 */
export default Object.freeze({
  apiVersion: 1,
  kind: 'output',
  type: 'never-ack',
  description: 'Accepts batches and never acknowledges them (benchmark of a stalled store).',
  options: { type: 'object', properties: {}, additionalProperties: false },
  create() {
    return {
      send: () => new Promise(() => {}),
    };
  },
});
