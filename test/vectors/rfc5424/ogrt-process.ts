/**
 * An OGRT-shaped RFC 5424 message for codec tests and bench/rfc5424.bench.ts:
 * 2234 bytes, 5 SD elements, 80 params, with escapes and non-ASCII bytes.
 * (A .ts module rather than a data file so that `uvu test rfc5424` can load it.)
 */
export function ogrtProcessMessage(): Buffer {
  const so: string[] = [];
  const sig: string[] = [];
  for (let i = 0; i < 40; i++) {
    so.push(` ${i}="/usr/lib64/libxyz${i}.so.${i % 7}"`);
    if (i % 8 === 0) sig.push(` ${i}="b73c604d-c2e9-4057-ae31-586aa5ee29${String(i).padStart(2, '0')}"`);
  }
  const env: string[] = [];
  for (let i = 0; i < 18; i++) env.push(i % 5 === 0 ? ` ${i}="X${i}=a \\"q\\" \\]"` : ` ${i}="SLURM_V${i}=${i * 7919}"`);
  return Buffer.from(
    '<14>1 2026-11-24T21:40:08.123456Z node042.cluster.example ogrt 12345 process ' +
      '[ogrt@32473 v="1" uuid="3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab" part="1" parts="1" time="1764020408123456"' +
      ' hostname="node042" job_id="4711" pid="12345" parent_pid="12300" uid="1000" username="alice"' +
      ' binpath="/usr/bin/python3.11" signature="b73c604d-c2e9-4057-ae31-586aa5ee29e3" cmdline="python3 -c pass"]' +
      `[ogrt-so@32473${so.join('')}][ogrt-sig@32473${sig.join('')}]` +
      '[ogrt-mod@32473 0="gcc/12.2.0" 1="openmpi/4.1.5" 2="café/1.0"]' +
      `[ogrt-env@32473${env.join('')}]`,
    'utf8',
  );
}
