/**
 * The HTTP server of `[dashboard]` (Fastify): the dashboard page, the JSON
 * API of the built-in queries and of the metrics, and /metrics for
 * Prometheus. docs/api.md documents every endpoint.
 *
 * Security: binds 127.0.0.1 by default; any other address needs a token or
 * basic auth (auth.ts). Without credentials only requests whose Host names
 * a loopback address, localhost or an allowed_hosts entry are answered
 * (host-guard.ts: DNS rebinding). Every data endpoint checks the
 * credentials; the dashboard's own files hold no data and are public in
 * token mode (the page asks for the token), protected in basic mode (the
 * browser asks for the password). The
 * page is served with a Content-Security-Policy that forbids inline
 * scripts, as a second wall behind its textContent-only rendering.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { OgrtError } from '../errors.ts';
import type { ServerLogger } from '../logger.ts';
import type { MetricsRegistry } from '../metrics.ts';
import { RateTracker } from '../rates.ts';
import { OGRT_VERSION } from '../version.ts';
import { parseAffectedJobs, parseCensus, parseJobStory, type RawParams } from '../queries/params.ts';
import type { QueryBackend } from '../queries/types.ts';
import { createAuthenticator, parseListen, type Authenticator } from './auth.ts';
import type { DashboardSettings } from './config.ts';
import { createHostGuard } from './host-guard.ts';
import { metricsView, trackRates, type ComponentRef } from './metrics-view.ts';
import { PrometheusExporter } from './prometheus.ts';
import { loadDashboard, type StaticFile } from './static.ts';

export interface DashboardServerOptions {
  readonly settings: DashboardSettings;
  /** Directory of ogrt.conf: token_file / password_file are relative to it. */
  readonly configDir: string;
  readonly metrics: MetricsRegistry;
  readonly components: readonly ComponentRef[];
  /** Answers the queries; undefined when no store is configured (queries answer 503). */
  readonly queries?: QueryBackend;
  /** Why there is no query backend, for the 503 message. */
  readonly noQueriesReason?: string;
  readonly log: ServerLogger;
  /** Rate tracker to use (tests tick it by hand); default: one ticking every 5 s. */
  readonly rates?: RateTracker;
  readonly env?: NodeJS.ProcessEnv;
}

export interface DashboardServer {
  /** `http://127.0.0.1:8080` with the port actually bound. */
  readonly url: string;
  readonly address: string;
  readonly auth: Authenticator['mode'];
  close(): Promise<void>;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

const STATUS_OF: Partial<Record<string, number>> = {
  OGRT_ERR_QUERY_INVALID: 400,
  OGRT_ERR_QUERY_NO_STORE: 503,
  OGRT_ERR_QUERY_STORE: 502,
};

/** Validates settings (auth!), binds, serves. Throws OgrtError when it cannot. */
export async function startDashboardServer(o: DashboardServerOptions): Promise<DashboardServer> {
  const { host, port } = parseListen(o.settings.listen);
  const auth = createAuthenticator(o.settings, o.configDir, o.env);
  const hostAllowed = createHostGuard(o.settings.allowed_hosts);
  const files = loadDashboard();
  const rates = o.rates ?? new RateTracker();
  trackRates(rates, o.metrics, o.components);
  const prometheus = new PrometheusExporter(o.metrics, rates, o.components);
  const startedAt = Date.now();

  // Job ids may be up to 255 characters, URL-encoded up to three times that.
  const app = Fastify({ logger: false, forceCloseConnections: true, return503OnClosing: true, routerOptions: { maxParamLength: 1024 } });
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (auth.mode === 'none') {
      if (hostAllowed(req.headers.host)) return;
      return reply.code(421).send(errorBody(new OgrtError('OGRT_ERR_HTTP_MISDIRECTED', [JSON.stringify((req.headers.host ?? '').slice(0, 200))])));
    }
    if (files.has(routePath(req)) && auth.mode === 'token') return;
    if (auth.check(req.headers.authorization)) return;
    reply.header('www-authenticate', auth.challenge);
    return reply.code(401).send(errorBody(new OgrtError('OGRT_ERR_HTTP_UNAUTHORIZED', [auth.mode])));
  });
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply, o.log));
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(new OgrtError('OGRT_ERR_HTTP_NOT_FOUND', [req.method, routePath(req)]))));

  for (const [url, file] of files) app.get(url, (_req, reply) => serveFile(reply, file));

  const backend = (): QueryBackend => {
    if (o.queries === undefined) throw new OgrtError('OGRT_ERR_QUERY_NO_STORE', [o.noQueriesReason ?? 'no sqlite output and no dashboard.query_backend configured']);
    return o.queries;
  };
  app.get('/api/queries/affected-jobs', async (req) => backend().affectedJobs(parseAffectedJobs(req.query as RawParams)));
  app.get('/api/queries/census', async (req) => backend().census(parseCensus(req.query as RawParams)));
  app.get('/api/queries/job/:id', async (req) => backend().jobStory(parseJobStory((req.params as { id?: string }).id, req.query as RawParams)));
  app.get('/api/metrics', async () => metricsView(o.metrics, rates, o.components, startedAt));
  app.get('/api/info', async () => ({
    version: OGRT_VERSION,
    query_backend: o.queries?.label ?? null,
    auth: auth.mode,
    inputs: o.components.filter((c) => c.kind === 'input').map(({ id, type }) => ({ id, type })),
    outputs: o.components.filter((c) => c.kind === 'output').map(({ id, type }) => ({ id, type })),
  }));
  app.get('/metrics', async (_req, reply) => {
    const text = await prometheus.render();
    return reply.header('content-type', prometheus.contentType).send(text);
  });

  try {
    await app.listen({ host, port });
  } catch (err) {
    if (o.rates === undefined) rates.stop();
    await app.close().catch(() => undefined);
    throw new OgrtError('OGRT_ERR_DASHBOARD_LISTEN', [o.settings.listen, (err as Error).message], { cause: err });
  }
  const bound = app.server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const address = `${shownHost}:${bound.port}`;
  o.log.info({ address, auth: auth.mode, query_backend: o.queries?.description ?? null }, 'dashboard listening');
  return {
    url: `http://${address}`,
    address,
    auth: auth.mode,
    close: () => closeServer(app, o.rates === undefined ? rates : undefined),
  };
}

async function closeServer(app: FastifyInstance, rates: RateTracker | undefined): Promise<void> {
  rates?.stop();
  await app.close();
}

function routePath(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q === -1 ? req.url : req.url.slice(0, q);
}

function serveFile(reply: FastifyReply, file: StaticFile): FastifyReply {
  return reply.header('content-type', file.contentType).header('cache-control', 'no-cache').send(file.body);
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply, log: ServerLogger): FastifyReply {
  if (err instanceof OgrtError) {
    const status = STATUS_OF[err.code] ?? 500;
    if (status >= 500) log.warn({ code: err.code, url: routePath(req) }, err.message);
    return reply.code(status).send(errorBody(err));
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply.code(status).send(errorBody(new OgrtError('OGRT_ERR_HTTP_BAD_REQUEST', [(err as Error).message])));
  }
  log.error({ err, url: routePath(req) }, 'dashboard request failed');
  return reply.code(500).send(errorBody(new OgrtError('OGRT_ERR_HTTP_INTERNAL', [])));
}

/** The JSON body of every error answer: `{ "error": { "code", "message" } }`. */
function errorBody(err: OgrtError): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}
