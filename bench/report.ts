/** Markdown tables for bench/run.ts: medians, ratios to rsyslog, targets. */
import { RECEIVER_LABELS, RECEIVERS, type IngestRun, type ReceiverKind } from './ingest.ts';
import type { StallResult } from './stall.ts';
import type { StoreRun } from './stores.ts';

export function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface IngestMedians {
  readonly receiver: ReceiverKind;
  readonly runs: readonly IngestRun[];
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly wallSeconds: number;
  readonly cpuSecondsPer100k: number;
  readonly peakRssMiB: number;
  readonly verified: number;
}

export function medians(runs: readonly IngestRun[]): IngestMedians[] {
  const out: IngestMedians[] = [];
  for (const receiver of RECEIVERS) {
    const mine = runs.filter((r) => r.receiver === receiver);
    if (mine.length === 0) continue;
    out.push({
      receiver,
      runs: mine,
      recordsPerSecond: median(mine.map((r) => r.recordsPerSecond)),
      mbPerSecond: median(mine.map((r) => r.mbPerSecond)),
      wallSeconds: median(mine.map((r) => r.wallSeconds)),
      cpuSecondsPer100k: median(mine.map((r) => r.cpuSecondsPer100k)),
      peakRssMiB: median(mine.map((r) => r.peakRssMiB)),
      verified: mine.filter((r) => r.verify.ok).length,
    });
  }
  return out;
}

export function ingestTables(runs: readonly IngestRun[]): string {
  const rows = medians(runs);
  const base = rows.find((r) => r.receiver === 'rsyslog');
  const ratio = (x: number, b: number | undefined): string => (b === undefined ? '–' : `${fmt(x / b, 2)}×`);
  const lines = [
    '| receiver | records/s | MB/s | wall s | CPU-s per 100k records | peak RSS MiB | records/s vs rsyslog | CPU vs rsyslog | verified runs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${RECEIVER_LABELS[r.receiver]}${r.runs[0].label === RECEIVER_LABELS[r.receiver] ? '' : ` (${r.runs[0].label.split(' ').slice(1).join(' ')})`} | ${fmt(r.recordsPerSecond)} | ${fmt(r.mbPerSecond, 1)} | ${fmt(r.wallSeconds, 2)} | ` +
        `${fmt(r.cpuSecondsPer100k, 2)} | ${fmt(r.peakRssMiB)} | ${ratio(r.recordsPerSecond, base?.recordsPerSecond)} | ` +
        `${ratio(r.cpuSecondsPer100k, base?.cpuSecondsPer100k)} | ${r.verified}/${r.runs.length} |`,
    ),
    '',
    'Every run (records/s; CPU-s per 100k; load average at the start of the run):',
    '',
    '| receiver | runs |',
    '| --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.receiver} | ${r.runs.map((x) => `${fmt(x.recordsPerSecond)} (${fmt(x.cpuSecondsPer100k, 2)}; ${fmt(x.loadAverage, 1)})`).join(', ')} |`,
    ),
  ];
  const failures = runs.filter((r) => !r.verify.ok);
  for (const f of failures) {
    lines.push('', `VERIFY FAILED: ${f.receiver}: ${JSON.stringify({ ...f.verify, examples: undefined })}`, ...f.verify.examples.map((e) => `  ${e}`));
  }
  return lines.join('\n');
}

/** The issue's targets, each with PASS or MISS. */
export function targetLines(runs: readonly IngestRun[]): string {
  const rows = medians(runs);
  const get = (k: ReceiverKind) => rows.find((r) => r.receiver === k);
  const rs = get('rsyslog');
  const tcp = get('ogrt-tcp');
  const syslog = get('ogrt-syslog');
  const out: string[] = ['Targets (medians):'];
  const check = (ok: boolean, text: string): void => void out.push(`- ${ok ? 'PASS' : 'MISS'}: ${text}`);
  if (tcp !== undefined && rs !== undefined) {
    const x = tcp.recordsPerSecond / rs.recordsPerSecond;
    check(x >= 2, `input-tcp → output-file ≥ 2.0× rsyslog's records/s: ${fmt(x, 2)}×`);
  }
  if (tcp !== undefined) {
    check(tcp.cpuSecondsPer100k <= 2, `input-tcp → output-file ≤ 2.0 CPU-s per 100k records: ${fmt(tcp.cpuSecondsPer100k, 2)}`);
    check(tcp.peakRssMiB <= 150, `input-tcp → output-file peak RSS ≤ 150 MiB: ${fmt(tcp.peakRssMiB)} MiB`);
  }
  if (tcp !== undefined && syslog !== undefined) {
    const d = syslog.recordsPerSecond / tcp.recordsPerSecond;
    check(d >= 0.9, `input-syslog within 10% of input-tcp: ${fmt(d * 100, 0)}%`);
  }
  return out.join('\n');
}

export function stallTable(results: readonly StallResult[]): string {
  const mb = (b: number): string => fmt(b / 1e6, 0);
  const lines = [
    '| when_full | peak RSS MiB (VmHWM) | RSS at end MiB | sender waiting for drain: total s / longest s | first wait > 1 s at s | accepted by the server MB | frames sent | records the input emitted (counter) | dropped (counter) | dropped (logged) | dropped (sent − held) | held at shutdown |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.whenFull} | ${fmt(r.peakRssMiB)} | ${fmt(r.rssAtEndMiB)} | ${fmt(r.senderBlockedSeconds, 1)} / ${fmt(r.longestBlockSeconds, 2)} | ` +
        `${r.firstLongBlockAtSeconds === null ? '–' : fmt(r.firstLongBlockAtSeconds, 1)} | ${mb(r.bytesAccepted)} | ${fmt(r.framesSent)} | ` +
        `${r.inputRecords === null ? '?' : fmt(r.inputRecords)} | ${r.droppedCounted === null ? '?' : fmt(r.droppedCounted)} | ${fmt(r.droppedLogged)} | ${r.droppedComputed === null ? '–' : fmt(r.droppedComputed)} | ${r.held === null ? '?' : fmt(r.held)} |`,
    ),
    '',
    'RSS (MiB) sampled every 250 ms, maximum per tenth of the flood:',
    '',
    ...results.map((r) => `- ${r.whenFull}: ${r.rssTimeline.map((x) => fmt(x)).join(', ')}`),
    '',
    `Target: peak RSS ≤ 256 MiB whatever the sender does: ${results.every((r) => r.peakRssMiB <= 256) ? 'PASS' : 'MISS'} (${results.map((r) => `${r.whenFull} ${fmt(r.peakRssMiB)} MiB`).join(', ')})`,
  ];
  for (const r of results) if (r.errors.length > 0) lines.push(`errors logged (${r.whenFull}): ${r.errors.slice(0, 5).join('; ')}`);
  return lines.join('\n');
}

export function storesTable(runs: readonly StoreRun[]): string {
  const lines = [
    '| buffer | batch.max_events | records/s | CPU-s per 100k records (server) | peak RSS MiB (server) | every record stored once | runs (records/s) |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  const keys = [...new Set(runs.map((r) => `${r.buffer}:${r.batch}`))];
  for (const key of keys) {
    const mine = runs.filter((r) => `${r.buffer}:${r.batch}` === key);
    lines.push(
      `| ${mine[0].buffer} | ${mine[0].batch} | ${fmt(median(mine.map((r) => r.recordsPerSecond)))} | ${fmt(median(mine.map((r) => r.cpuSecondsPer100k)), 2)} | ` +
        `${fmt(median(mine.map((r) => r.peakRssMiB)))} | ${mine.filter((r) => r.ok).length}/${mine.length} | ${mine.map((r) => fmt(r.recordsPerSecond)).join(', ')} |`,
    );
  }
  return lines.join('\n');
}
