/**
 * What came back from an output's send(), checked. Plugins are trusted to
 * try, not to be right: anything that is not a well-formed SendResult is a
 * contract violation, counted and logged, and the batch is retried (a
 * duplicate is better than a loss).
 */
export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'partial'; readonly retry: readonly number[]; readonly rejected: readonly { index: number; reason: string }[]; readonly reason: string }
  /** send() threw, hung, or returned garbage: retried like 'retry'. */
  | { readonly kind: 'failed'; readonly errorType: 'send_failed' | 'send_timeout' | 'invalid_result'; readonly reason: string; readonly error?: unknown };

const NO_REASON = 'no reason given';

export function checkSendResult(value: unknown, batchSize: number): Outcome {
  if (typeof value !== 'object' || value === null) return invalid(`send() resolved to ${describe(value)}, not a SendResult`);
  const r = value as Record<string, unknown>;
  const reason = typeof r.reason === 'string' && r.reason !== '' ? r.reason : NO_REASON;
  switch (r.status) {
    case 'ok':
      return { kind: 'ok' };
    case 'retry': {
      const after = r.retryAfterMs;
      return typeof after === 'number' && Number.isFinite(after) && after > 0 ? { kind: 'retry', reason, retryAfterMs: after } : { kind: 'retry', reason };
    }
    case 'reject':
      return { kind: 'reject', reason };
    case 'partial':
      return checkPartial(r, batchSize, reason);
    default:
      return invalid(`send() resolved to an object with status ${describe(r.status)}`);
  }
}

function checkPartial(r: Record<string, unknown>, batchSize: number, reason: string): Outcome {
  const seen = new Set<number>();
  const index = (i: unknown): i is number => {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= batchSize || seen.has(i)) return false;
    seen.add(i);
    return true;
  };
  const retry = r.retry ?? [];
  const rejected = r.rejected ?? [];
  if (!Array.isArray(retry) || !Array.isArray(rejected)) return invalid('partial result: `retry` and `rejected` must be arrays');
  for (const i of retry) if (!index(i)) return invalid(`partial result: bad or repeated retry index ${describe(i)} (batch of ${batchSize})`);
  const rejectedOut: { index: number; reason: string }[] = [];
  for (const entry of rejected) {
    const e = entry as { index?: unknown; reason?: unknown } | null;
    if (typeof e !== 'object' || e === null || !index(e.index)) return invalid(`partial result: bad or repeated rejected index ${describe(e?.index)} (batch of ${batchSize})`);
    rejectedOut.push({ index: e.index as number, reason: typeof e.reason === 'string' && e.reason !== '' ? e.reason : reason });
  }
  return { kind: 'partial', retry: retry as number[], rejected: rejectedOut, reason };
}

function invalid(reason: string): Outcome {
  return { kind: 'failed', errorType: 'invalid_result', reason };
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json.length > 80 ? json.slice(0, 77) + '...' : json;
  } catch {
    return String(value);
  }
}
