/**
 * Retry timing: exponential backoff with full jitter (a uniformly random
 * delay below min(max_backoff_ms, initial_backoff_ms * 2^(attempt-1))), so
 * many outputs retrying a shared store do not stampede it in step. A
 * `retryAfterMs` from the plugin (e.g. HTTP 429 Retry-After) is a floor.
 */
export interface RetrySettings {
  readonly initial_backoff_ms: number;
  readonly max_backoff_ms: number;
  /** Sends of one batch before its records are dead-lettered; 0 = forever. */
  readonly max_attempts: number;
}

/** A Retry-After beyond this is treated as this (one hour). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Delay before the send after `failedAttempt` (1 after the first send failed). */
export function backoffDelay(failedAttempt: number, retry: RetrySettings, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempt - 1, 0), 40);
  const ceiling = Math.min(retry.max_backoff_ms, retry.initial_backoff_ms * 2 ** exponent);
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return jittered;
  return Math.max(jittered, Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS));
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
