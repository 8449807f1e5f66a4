/**
 * slurm-enrich-filter: an example site filter for ogrt-server that enriches
 * records. For each record with a job_id found in a lookup file, it adds the
 * job's Slurm account and partition as the environment variables
 * SLURM_JOB_ACCOUNT and SLURM_JOB_PARTITION (the names Slurm itself sets in
 * a job), unless the record already carries them.
 *
 * Why environment variables: outputs store only the fields of the record
 * schema, so a filter adds information inside it, never as a new top-level
 * field (the server would refuse such records and pass the batch on
 * unfiltered).
 *
 * The lookup file is CSV, one job per line, e.g. written every minute from
 * `sacct -a -n -P -X -o JobID,Account,Partition | tr '|' ','`:
 *   job_id,account,partition      (an optional header)
 *   4242,physics,gpu
 * It is read at start (a missing file stops the server from starting) and
 * read again whenever it changes; a reload that fails keeps the previous
 * table and makes the filter report itself unhealthy.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export default function slurmEnrichFilter(ogrt) {
  const { definePlugin, Type, PLUGIN_API_VERSION } = ogrt;

  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'filter',
    type: 'slurm-enrich',
    description: 'Add SLURM_JOB_ACCOUNT and SLURM_JOB_PARTITION to records from a CSV lookup file of jobs.',
    options: Type.Object(
      {
        file: Type.String({ minLength: 1, default: 'slurm-jobs.csv', description: 'CSV file job_id,account,partition; relative to ogrt.conf.' }),
        reload_interval_ms: Type.Integer({ minimum: 0, default: 60_000, description: 'How often to check whether the file changed (and read it again); 0 never.' }),
        overwrite: Type.Boolean({ default: false, description: 'Replace SLURM_JOB_ACCOUNT / SLURM_JOB_PARTITION a record already carries.' }),
      },
      { additionalProperties: false },
    ),

    create(ctx, options) {
      const file = path.resolve(ctx.configDir, options.file);
      let jobs = new Map();
      let loadedVersion = '';
      let problem;
      let timer;

      async function load() {
        const { mtimeMs, size } = await stat(file);
        const version = `${mtimeMs}:${size}`;
        if (version === loadedVersion) return;
        jobs = parseJobs(await readFile(file, 'utf8'));
        loadedVersion = version;
        ctx.log.info({ file, jobs: jobs.size }, 'job table loaded');
      }

      async function reload() {
        try {
          await load();
          problem = undefined;
        } catch (err) {
          problem = `cannot reload ${file}: ${err.message}; still using the previous table (${jobs.size} jobs)`;
          ctx.log.warn({ file, err: err.message }, problem);
        }
      }

      return {
        async start() {
          await load();
          if (options.reload_interval_ms > 0) {
            timer = setInterval(() => void reload(), options.reload_interval_ms);
            timer.unref();
          }
        },

        // Synchronous: a Map lookup per record; the records are changed in place.
        process(records) {
          for (const r of records) {
            const job = r.job_id === undefined ? undefined : jobs.get(r.job_id);
            if (job === undefined) continue;
            setVariable(r, 'SLURM_JOB_ACCOUNT', job.account, options.overwrite);
            setVariable(r, 'SLURM_JOB_PARTITION', job.partition, options.overwrite);
          }
          return records;
        },

        async stop() {
          clearInterval(timer);
        },

        health() {
          return problem === undefined ? { ok: true, detail: `${jobs.size} jobs` } : { ok: false, detail: problem };
        },

        /** For tests: check the file now instead of waiting for the interval. */
        reload,
      };
    },
  });
}

/** CSV text → Map job_id → { account, partition }. Blank lines, `#` comments and a header line are skipped. */
export function parseJobs(text) {
  const jobs = new Map();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [jobId, account = '', partition = ''] = trimmed.split(',').map((f) => f.trim());
    if (jobId === 'job_id' || jobId === '') continue;
    jobs.set(jobId, { account, partition });
  }
  return jobs;
}

function setVariable(record, name, value, overwrite) {
  if (value === '') return;
  const existing = record.environment_variables.find((e) => e.name === name);
  if (existing === undefined) record.environment_variables.push({ name, value });
  else if (overwrite) existing.value = value;
}
