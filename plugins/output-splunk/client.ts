/**
 * HTTP Event Collector requests on top of splunk-logging 0.11.1.
 *
 * splunk-logging has its own batching, timer and retries, reports a HEC 503
 * "Server is busy" (code 9) to its callback with `err` null and does not
 * retry it, and its default error handler prints the whole batch to the
 * console. So it is used only as a request machine: autoFlush-free
 * `_sendEvents` with a pre-formatted payload, `maxRetries: 0` (the core
 * retries), the error handler silenced, and the HEC answer (status + body
 * code) handed back as it is for output.ts to decide. Acks go through the same
 * `_post` (needle). The health check uses node's http(s): splunk-logging only
 * POSTs. README.md explains the same.
 */
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type splunkLibrary from 'splunk-logging';
import type { ResolvedConfig } from './config.ts';

// Loaded with the first client, not at server start: about 9 MiB of
// resident memory a server without a Splunk output should not pay (CommonJS).
const load = createRequire(import.meta.url);
let splunk: typeof splunkLibrary | undefined;
function splunkLogging(): typeof splunkLibrary {
  return (splunk ??= load('splunk-logging') as typeof splunkLibrary);
}

export interface HecBody {
  readonly text?: string;
  readonly code?: number;
  readonly 'invalid-event-number'?: number;
  readonly ackId?: number;
  readonly acks?: Record<string, boolean>;
}

export interface HecAnswer {
  readonly status: number;
  readonly body: HecBody | undefined;
  /** Raw body text when it was not JSON (a proxy's HTML page, say). */
  readonly text?: string;
}

/** The request never got an HTTP answer (refused, reset, timed out, TLS). */
export class HecTransportError extends Error {
  constructor(message: string, readonly errorCode?: string) {
    super(message);
    this.name = 'HecTransportError';
  }
}

export class HecClient {
  /** Sent with every request: HEC needs it for acks, and accepts it always. */
  readonly channel = randomUUID();
  private readonly logger: InstanceType<typeof splunkLibrary.Logger>;
  private readonly agent: http.Agent;
  private readonly ackUrl: string;

  constructor(
    private readonly cfg: ResolvedConfig,
    token: string,
  ) {
    const tls = { ca: cfg.ca, rejectUnauthorized: cfg.tlsVerify };
    this.agent = cfg.protocol === 'https' ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
    this.logger = new (splunkLogging().Logger)({
      token,
      url: `${cfg.origin}${cfg.eventPath}`,
      port: cfg.port,
      maxRetries: 0,
      maxBatchCount: 1,
      batchInterval: 0,
    });
    // The default prints the error and the whole context (our batch) to the console.
    this.logger.error = () => undefined;
    this.logger.requestOptions = {
      json: false,
      strictSSL: cfg.tlsVerify,
      rejectUnauthorized: cfg.tlsVerify,
      ca: cfg.ca,
      agent: this.agent,
      open_timeout: cfg.timeoutMs,
      response_timeout: cfg.timeoutMs,
      read_timeout: cfg.timeoutMs,
      headers: { 'X-Splunk-Request-Channel': this.channel },
    };
    this.ackUrl = `${cfg.origin}/services/collector/ack`;
  }

  setToken(token: string): void {
    this.logger.config.token = token;
  }

  /** POSTs concatenated HEC event objects. */
  sendEvents(payload: string): Promise<HecAnswer> {
    return new Promise((resolve, reject) => {
      this.logger._sendEvents({ message: payload }, (err, resp, body) => settle(err, resp, body, resolve, reject));
    });
  }

  /** POST /services/collector/ack {"acks":[…]} → {"acks":{"id":true|false}}. */
  queryAcks(ids: readonly number[]): Promise<HecAnswer> {
    const options = {
      ...this.logger.requestOptions,
      url: this.ackUrl,
      body: JSON.stringify({ acks: ids }),
      headers: {
        'X-Splunk-Request-Channel': this.channel,
        Authorization: `Splunk ${this.logger.config.token}`,
        'Content-Type': 'application/json',
      },
    };
    return new Promise((resolve, reject) => {
      this.logger._post(options, (err, resp, body) => settle(err, resp, body, resolve, reject));
    });
  }

  /** GET /services/collector/health (no token needed). */
  health(): Promise<HecAnswer> {
    const lib = this.cfg.protocol === 'https' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.get(`${this.cfg.origin}/services/collector/health`, { agent: this.agent, timeout: this.cfg.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', (err) => reject(new HecTransportError(err.message)));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new HecTransportError(err.message, err.code)));
    });
  }

  /** Ends every request in flight (they fail as transport errors); later requests open new connections. */
  abortInFlight(): void {
    this.agent.destroy();
  }

  close(): void {
    this.agent.destroy();
  }
}

function settle(
  err: Error | null,
  resp: { statusCode?: number } | undefined,
  body: unknown,
  resolve: (a: HecAnswer) => void,
  reject: (e: HecTransportError) => void,
): void {
  if (err !== null || resp === undefined) {
    const e = err as NodeJS.ErrnoException | null;
    reject(new HecTransportError(e?.message ?? 'no response', e?.code));
    return;
  }
  const status = resp.statusCode ?? 0;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) resolve({ status, body: body as HecBody });
  else resolve(answer(status, Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? '')));
}

function answer(status: number, text: string): HecAnswer {
  try {
    const parsed = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') return { status, body: parsed };
  } catch {
    // not JSON: keep the text for the reason
  }
  return { status, body: undefined, text: text.slice(0, 200) };
}
