/**
 * drop-system-filter: an example site filter for ogrt-server. Drops the
 * records of programs under system prefixes (by default /usr/bin/): `ls`,
 * `cat` and `grep` in job scripts are rarely what a site wants to track,
 * and they are most of the volume.
 *
 * A dropped process's later records (its dlopen and exit records, which may
 * carry no binpath) are dropped too: the filter remembers the uuids of the
 * processes it dropped, up to `remember` of them (the oldest are forgotten
 * first, so memory stays bounded).
 *
 * process() is synchronous and cheap (a few string comparisons per record):
 * the server then hands the batch on without waiting.
 * See README.md next to this file, and docs/plugins.md.
 */
export default function dropSystemFilter(ogrt) {
  const { definePlugin, Type, PLUGIN_API_VERSION } = ogrt;

  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'filter',
    type: 'drop-system',
    description: 'Drop the records of programs under system prefixes (default /usr/bin/), and the dlopen/exit records of those processes.',
    options: Type.Object(
      {
        prefixes: Type.Array(Type.String({ minLength: 1 }), {
          default: ['/usr/bin/'],
          description: 'A record whose binpath starts with one of these is dropped, e.g. ["/usr/bin/", "/bin/", "/usr/sbin/"].',
        }),
        keep: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Executables kept even under a prefix (exact binpath), e.g. ["/usr/bin/python3"] for jobs that run Python scripts.',
        }),
        remember: Type.Integer({
          minimum: 0,
          default: 100_000,
          description: 'How many dropped processes to remember so that their dlopen and exit records are dropped too; 0 remembers none.',
        }),
      },
      { additionalProperties: false },
    ),

    create(ctx, options) {
      const prefixes = [...options.prefixes];
      const keep = new Set(options.keep);
      // A Set keeps insertion order: its first entry is the oldest.
      const dropped = new Set();

      const isSystem = (binpath) => {
        if (binpath === undefined || keep.has(binpath)) return false;
        for (const p of prefixes) if (binpath.startsWith(p)) return true;
        return false;
      };
      const remember = (uuid) => {
        if (options.remember === 0) return;
        dropped.add(uuid);
        if (dropped.size > options.remember) dropped.delete(dropped.values().next().value);
      };

      return {
        process(records) {
          const out = [];
          for (const r of records) {
            if (isSystem(r.binpath)) {
              if (r.kind === 'process') remember(r.uuid);
              else if (r.kind === 'exit' && r.process_uuid !== undefined) dropped.delete(r.process_uuid);
              continue;
            }
            if (r.process_uuid !== undefined && dropped.has(r.process_uuid)) {
              // The process is over: forget it.
              if (r.kind === 'exit') dropped.delete(r.process_uuid);
              continue;
            }
            out.push(r);
          }
          return out;
        },

        health() {
          return { ok: true, detail: `${dropped.size} dropped process(es) remembered` };
        },
      };
    },
  });
}
