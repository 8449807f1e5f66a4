/**
 * A protocol-faithful Splunk HTTP Event Collector for tests, on 127.0.0.1
 * port 0 (http, or https with TEST_TLS). Where output-splunk depends on it,
 * it answers as HEC does:
 *  - POST /services/collector/event (also /services/collector and
 *    /services/collector/event/1.0): a batch of concatenated JSON event
 *    objects; `Authorization: Splunk <token>` (401 code 2 "Token is
 *    required", 401 code 3 "Invalid authorization", 403 code 4 "Invalid
 *    token", 403 code 1 "Token disabled"); events are processed in order and
 *    the first bad one stops the batch — the ones before it ARE indexed —
 *    with 400 and `invalid-event-number` (6 "Invalid data format", 12 "Event
 *    field is required", 13 "Event field cannot be blank", 7 "Incorrect
 *    index" for an index the token may not write); 400 code 5 "No data";
 *  - indexer acknowledgement for tokens created with ack: the channel header
 *    (X-Splunk-Request-Channel or ?channel=) is required (400 code 10 / 11),
 *    answers carry an ackId per channel, POST /services/collector/ack;
 *  - GET /services/collector/health: 200 code 17 "HEC is healthy", 503 code
 *    18 while busy.
 * Failure injection: busyNext (503 code 9 "Server is busy"), failNext (any
 * status), badEventWhen (a per-event error such as code 13 at event N, with
 * the events before N indexed as HEC does), holdEvents (a slow HEC: event
 * posts wait), holdAcks, stop/restart (connection refused).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeHecOptions {
  /** Valid tokens; default one token "00000000-0000-4000-8000-000000000001". */
  tokens?: string[];
  /** Tokens created with indexer acknowledgement. */
  ackTokens?: string[];
  /** Indexes the tokens may write; events naming another get code 7. Default: main, ogrt. */
  indexes?: string[];
  tls?: { cert: string; key: string };
}

export interface ReceivedEvent {
  /** The event object as sent: time, host, source, sourcetype, index, event. */
  readonly raw: any;
  readonly token: string;
  readonly channel?: string;
}

const EVENT_PATHS: ReadonlySet<string> = new Set(['/services/collector/event', '/services/collector', '/services/collector/event/1.0']);

export const DEFAULT_HEC_TOKEN = '00000000-0000-4000-8000-000000000001';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FakeHec {
  readonly tokens: Set<string>;
  readonly disabledTokens = new Set<string>();
  readonly ackTokens: Set<string>;
  readonly indexes: Set<string>;
  readonly requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  port = 0;
  /** While true, acks stay false (indexing not finished). */
  holdAcks = false;
  /** Returns the error HEC gives this event (e.g. code 13), or undefined; checked after the built-in checks. */
  badEventWhen: ((event: any) => { text: string; code: number } | undefined) | undefined;

  private readonly received: ReceivedEvent[] = [];
  private readonly acked = new Map<string, Map<number, boolean>>();
  private readonly nextAckId = new Map<string, number>();
  private busy = 0;
  private failures: { remaining: number; status: number; body: unknown }[] = [];
  private server: http.Server;
  private readonly tls: FakeHecOptions['tls'];
  private gate: Promise<void> | undefined;
  private held = 0;

  private constructor(opts: FakeHecOptions) {
    this.tokens = new Set(opts.tokens ?? [DEFAULT_HEC_TOKEN]);
    this.ackTokens = new Set(opts.ackTokens ?? []);
    for (const t of this.ackTokens) this.tokens.add(t);
    this.indexes = new Set(opts.indexes ?? ['main', 'ogrt']);
    this.tls = opts.tls;
    this.server = this.createServer();
  }

  static async start(opts: FakeHecOptions = {}): Promise<FakeHec> {
    const hec = new FakeHec(opts);
    await hec.listen(0);
    return hec;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Every indexed event, in order. */
  events(): ReceivedEvent[] {
    return [...this.received];
  }

  /** Number of event objects in each event POST received so far (answered or not), in order. */
  eventsPerPost(): number[] {
    return this.requests.filter((r) => r.method === 'POST' && EVENT_PATHS.has(r.path)).map((r) => splitEvents(r.body).events.length);
  }

  /** The next `n` event posts get 503 {"text":"Server is busy","code":9}. */
  busyNext(n: number): void {
    this.busy = n;
  }

  /** The next `n` event posts get `status` with `body` (a string is sent as an HTML page, as a proxy would). */
  failNext(n: number, status: number, body: unknown = { text: 'Internal server error', code: 8 }): void {
    this.failures.push({ remaining: n, status, body });
  }

  /** Event posts wait until the returned function is called (a slow HEC); other endpoints answer. */
  holdEvents(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** Event posts currently waiting in holdEvents(). */
  get heldRequests(): number {
    return this.held;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async restart(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.port);
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private createServer(): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.gate !== undefined && EVENT_PATHS.has(new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, ''))) {
          this.held++;
          await this.gate;
          this.held--;
        }
        const { status, answer } = this.handle(req, body);
        const page = typeof answer === 'string';
        const text = page ? answer : JSON.stringify(answer);
        const type = page ? 'text/html; charset=UTF-8' : 'application/json; charset=UTF-8';
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
        res.end(text);
      });
    };
    return this.tls ? https.createServer({ cert: this.tls.cert, key: this.tls.key }, handler) : http.createServer(handler);
  }

  private handle(req: http.IncomingMessage, body: string): { status: number; answer: object | string } {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '');
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });

    if (path === '/services/collector/health' || path === '/services/collector/health/1.0') {
      return this.busy > 0 ? { status: 503, answer: { text: 'HEC is unhealthy, queues are full', code: 18 } } : { status: 200, answer: { text: 'HEC is healthy', code: 17 } };
    }
    const isEvent = EVENT_PATHS.has(path);
    const isAck = path === '/services/collector/ack';
    if (!isEvent && !isAck) return { status: 404, answer: { text: 'The requested URL was not found on this server.', code: 404 } };
    if (req.method !== 'POST') return { status: 405, answer: { text: 'Method Not Allowed', code: 405 } };

    const auth = String(req.headers.authorization ?? '');
    if (auth === '') return { status: 401, answer: { text: 'Token is required', code: 2 } };
    const m = /^Splunk (\S+)$/.exec(auth);
    if (m === null) return { status: 401, answer: { text: 'Invalid authorization', code: 3 } };
    const token = m[1];
    if (this.disabledTokens.has(token)) return { status: 403, answer: { text: 'Token disabled', code: 1 } };
    if (!this.tokens.has(token)) return { status: 403, answer: { text: 'Invalid token', code: 4 } };

    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    const ack = this.ackTokens.has(token);
    if (isAck) return this.ackQuery(ack, channel, body);
    if (ack) {
      if (channel === undefined) return { status: 400, answer: { text: 'Data channel is missing', code: 10 } };
      if (!GUID.test(channel)) return { status: 400, answer: { text: 'Invalid data channel', code: 11 } };
    }

    if (this.busy > 0) {
      this.busy--;
      return { status: 503, answer: { text: 'Server is busy', code: 9 } };
    }
    const failure = this.failures.find((f) => f.remaining > 0);
    if (failure) {
      failure.remaining--;
      return { status: failure.status, answer: failure.body as object | string };
    }

    if (body.trim() === '') return { status: 400, answer: { text: 'No data', code: 5 } };
    const { events, error } = splitEvents(body);
    for (let i = 0; i < events.length; i++) {
      const problem = this.checkEvent(events[i]);
      if (problem) return { status: 400, answer: { ...problem, 'invalid-event-number': i } };
      this.received.push({ raw: events[i], token, channel });
    }
    if (error !== undefined) return { status: 400, answer: { text: 'Invalid data format', code: 6, 'invalid-event-number': events.length } };

    if (ack && channel !== undefined) {
      const id = this.nextAckId.get(channel) ?? 0;
      this.nextAckId.set(channel, id + 1);
      if (!this.acked.has(channel)) this.acked.set(channel, new Map());
      this.acked.get(channel)!.set(id, false);
      return { status: 200, answer: { text: 'Success', code: 0, ackId: id } };
    }
    return { status: 200, answer: { text: 'Success', code: 0 } };
  }

  private checkEvent(e: any): { text: string; code: number } | undefined {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return { text: 'Invalid data format', code: 6 };
    if (!('event' in e)) return { text: 'Event field is required', code: 12 };
    if (e.event === null || (typeof e.event === 'string' && e.event.trim() === '')) return { text: 'Event field cannot be blank', code: 13 };
    if (e.time !== undefined && !(typeof e.time === 'number' || (typeof e.time === 'string' && /^\d+(\.\d+)?$/.test(e.time)))) {
      return { text: 'Invalid data format', code: 6 };
    }
    if (e.index !== undefined && !this.indexes.has(e.index)) return { text: 'Incorrect index', code: 7 };
    return this.badEventWhen?.(e);
  }

  private ackQuery(ackEnabled: boolean, channel: string | undefined, body: string): { status: number; answer: object } {
    if (!ackEnabled) return { status: 400, answer: { text: 'ACK is disabled', code: 14 } };
    if (channel === undefined) return { status: 400, answer: { text: 'Data channel is missing', code: 10 } };
    let ids: unknown;
    try {
      ids = JSON.parse(body).acks;
    } catch {
      return { status: 400, answer: { text: 'Invalid data format', code: 6 } };
    }
    if (!Array.isArray(ids)) return { status: 400, answer: { text: 'Invalid data format', code: 6 } };
    const known = this.acked.get(channel) ?? new Map<number, boolean>();
    const acks: Record<string, boolean> = {};
    for (const id of ids) {
      const exists = known.has(id);
      // Indexing finishes between polls unless held.
      acks[String(id)] = exists && !this.holdAcks;
      if (exists && !this.holdAcks) known.delete(id);
    }
    return { status: 200, answer: { acks } };
  }
}

/** HEC's batch format: JSON objects one after another, whitespace allowed between. */
function splitEvents(body: string): { events: any[]; error?: string } {
  const events: any[] = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /\s/.test(body[i])) i++;
    if (i >= body.length) break;
    if (body[i] !== '{') return { events, error: `unexpected ${body[i]} at ${i}` };
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (depth !== 0 || j >= body.length) return { events, error: 'unterminated object' };
    try {
      events.push(JSON.parse(body.slice(i, j + 1)));
    } catch (err) {
      return { events, error: String(err) };
    }
    i = j + 1;
  }
  return { events };
}
