/**
 * webhook-output: an example site output for ogrt-server. Every batch is
 * POSTed as one JSON array of records to an HTTP(S) URL.
 *
 * The server does the batching (`batch = { max_events = ... }` in the
 * output's table), the retries with backoff, the bounded buffer and the
 * dead-letter file; this plugin only says what happened to each batch:
 *   2xx                      → ok     (stored)
 *   408, 429, 5xx, no answer → retry  (Retry-After honoured)
 *   any other status         → reject (dead-lettered: the receiver will never take it)
 *
 * It exports a function rather than importing 'ogrt': the server calls it
 * with its plugin API, so this file works from any directory.
 * See README.md next to this file, and docs/plugins.md.
 */
export default function webhookOutput(ogrt) {
  const { definePlugin, Type, PLUGIN_API_VERSION } = ogrt;

  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'output',
    type: 'webhook',
    description: 'POST each batch of records as a JSON array to an HTTP(S) URL.',
    options: Type.Object(
      {
        // No default: there is no sensible one, so the key is required.
        url: Type.String({ pattern: '^https?://', description: 'Where to POST, e.g. "https://hooks.example.org/ogrt".' }),
        token_env: Type.String({
          default: '',
          description: 'Name of an environment variable holding a token sent as "Authorization: Bearer <token>"; "" sends none. Never put the token itself in ogrt.conf.',
        }),
        timeout_ms: Type.Integer({ minimum: 1, default: 10_000, description: 'A request without an answer after this long is abandoned, and the batch retried.' }),
        unhealthy_after: Type.Integer({ minimum: 1, default: 3, description: 'Report unhealthy after this many failed POSTs in a row.' }),
      },
      { additionalProperties: false },
    ),

    create(ctx, options) {
      const headers = { 'content-type': 'application/json' };
      if (options.token_env !== '') {
        const token = process.env[options.token_env];
        // Thrown from create(): the server refuses to start and names this output.
        if (token === undefined || token === '') throw new Error(`environment variable ${options.token_env} (token_env) is not set`);
        headers.authorization = `Bearer ${token}`;
      }
      const where = safeUrl(options.url);
      let failuresInARow = 0;
      let lastProblem = '';

      const failed = (problem) => {
        failuresInARow++;
        lastProblem = problem;
        return problem;
      };

      return {
        async send(batch) {
          let response;
          try {
            response = await fetch(options.url, {
              method: 'POST',
              headers,
              body: JSON.stringify(batch.records),
              // Abandoned on timeout, and at once when the server gives up at shutdown.
              signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeout_ms)]),
            });
          } catch (err) {
            const cause = err?.name === 'TimeoutError' ? `no answer within ${options.timeout_ms} ms` : (err?.cause?.code ?? err?.message ?? String(err));
            return { status: 'retry', reason: failed(`POST ${where}: ${cause}`) };
          }
          const body = response.ok ? '' : (await response.text().catch(() => '')).slice(0, 200);
          if (response.ok) {
            await response.body?.cancel().catch(() => undefined);
            failuresInARow = 0;
            return { status: 'ok' };
          }
          const reason = failed(`POST ${where}: HTTP ${response.status}${body === '' ? '' : `: ${body}`}`);
          if (response.status === 408 || response.status === 429 || response.status >= 500) {
            const retryAfterMs = retryAfter(response.headers.get('retry-after'));
            return retryAfterMs === undefined ? { status: 'retry', reason } : { status: 'retry', reason, retryAfterMs };
          }
          return { status: 'reject', reason };
        },

        health() {
          if (failuresInARow < options.unhealthy_after) return { ok: true };
          return { ok: false, detail: `${failuresInARow} POSTs in a row failed, the last: ${lastProblem}` };
        },
      };
    },
  });
}

/** Retry-After: seconds, or an HTTP date; in ms. */
export function retryAfter(value) {
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The URL for logs: never a password that may be in it. */
function safeUrl(url) {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
