/**
 * Every error the server reports has a stable code `OGRT_ERR_<AREA>_<WHAT>`,
 * a message template and, where one exists, a `cause`. docs/errors.md lists
 * them; test/core/errors.test.ts keeps the two in sync.
 *
 * Add codes to CATALOGUE in the section of your area; keep templates short,
 * `%s` placeholders are filled in order.
 */
export const CATALOGUE = {
  // --- config (ogrt.conf) ---
  OGRT_ERR_CONFIG_READ: 'cannot read %s: %s',
  OGRT_ERR_CONFIG_SYNTAX: '%s: TOML syntax error: %s',
  OGRT_ERR_CONFIG_INVALID: '%s: %s',
  OGRT_ERR_CONFIG_PLUGIN_LOAD: '%s: cannot load plugin %s: %s',
  OGRT_ERR_CONFIG_PLUGIN_API: '%s: plugin %s was written for plugin API version %s, this server provides %s',
  OGRT_ERR_CONFIG_ERRORS: '%s: %s configuration error(s):\n%s',
  OGRT_ERR_CONFIG_UNKNOWN_KEY: '%s: unknown key; allowed here: %s',
  OGRT_ERR_CONFIG_MISSING_TYPE: '%s: missing `type`; known %s types: %s',
  OGRT_ERR_CONFIG_UNKNOWN_TYPE: '%s: unknown %s type "%s"; known %s types: %s (or a path starting with "." or "/", or a package name)',
  OGRT_ERR_CONFIG_UNSUPPORTED: '%s: %s is not yet supported; %s',
  // --- syslog codec (RFC 5424) ---
  OGRT_ERR_SYSLOG_PARSE: 'invalid RFC 5424 message at byte %s: %s',
  OGRT_ERR_SYSLOG_SERIALIZE: 'cannot serialize RFC 5424 message: %s: %s',
  // --- wire (OGRT records in RFC 5424) ---
  OGRT_ERR_WIRE_NOT_OGRT: 'not an OGRT message: %s',
  OGRT_ERR_WIRE_INVALID: 'invalid OGRT message: %s',
  OGRT_ERR_WIRE_VERSION: 'unsupported OGRT protocol version %s',
  OGRT_ERR_WIRE_ENCODE: 'cannot encode OGRT record: %s',
  // --- framing (RFC 6587) ---
  OGRT_ERR_FRAME_MALFORMED: 'malformed frame at byte %s: %s',
  OGRT_ERR_FRAME_TOO_LARGE: 'frame of %s bytes exceeds max_frame_size %s',
  OGRT_ERR_FRAME_TRUNCATED: 'connection closed inside the frame at byte %s: %s',
  // --- inputs / outputs / pipeline ---
  OGRT_ERR_INPUT_LISTEN: 'input %s cannot listen on %s: %s',
  OGRT_ERR_OUTPUT_START: 'output %s failed to start: %s',
  OGRT_ERR_OUTPUT_SEND: 'output %s failed to send a batch: %s',
  OGRT_ERR_PLUGIN_CONTRACT: 'plugin %s broke its contract: %s',
  OGRT_ERR_SHUTDOWN_TIMEOUT: 'shutdown timed out after %s ms; not flushed: %s',
  OGRT_ERR_INPUT_START: 'input %s failed to start: %s',
  OGRT_ERR_PLUGIN_CREATE: '%s: create() failed: %s',
  OGRT_ERR_OUTPUT_RETRY: 'output %s will retry %s record(s) (attempt %s failed): %s',
  OGRT_ERR_OUTPUT_SEND_TIMEOUT: 'output %s: send() did not settle within send_timeout_ms = %s; the batch will be retried',
  OGRT_ERR_OUTPUT_REJECTED: 'output %s: %s record(s) dead-lettered to %s: %s',
  OGRT_ERR_OUTPUT_QUEUE_FULL: 'output %s: queue full, dropped %s record(s) (when_full = "drop_newest")',
  OGRT_ERR_OUTPUT_REOPEN: 'output %s failed to reopen: %s',
  OGRT_ERR_OUTPUT_STOP: 'output %s failed to stop cleanly: %s',
  OGRT_ERR_DEAD_LETTER_WRITE: 'output %s: cannot write dead-letter file %s (will retry): %s',
  OGRT_ERR_PIPELINE_CLOSED: 'input %s emitted %s record(s) after shutdown; they were not delivered',
  OGRT_ERR_CLI_USAGE: 'invalid command line: %s',
  // --- disk buffers (src/core/disk-buffer*.ts) ---
  OGRT_ERR_BUFFER_OPEN: 'output %s: cannot open disk buffer %s (retrying; records wait): %s',
  OGRT_ERR_BUFFER_LOCKED: 'output %s: disk buffer %s is in use by process %s (retrying; records wait)',
  OGRT_ERR_BUFFER_WRITE: 'output %s: cannot write disk buffer %s: %s',
  OGRT_ERR_BUFFER_READ: 'output %s: cannot read disk buffer file %s (retrying): %s',
  OGRT_ERR_BUFFER_CORRUPT: 'output %s: disk buffer file %s damaged at byte %s: %s byte(s) skipped, %s record(s) lost (%s)',
  // --- filters, plugin lifecycle and isolation (src/core/filters*.ts, health.ts, server.ts) ---
  OGRT_ERR_FILTER_START: 'filter %s failed to start: %s',
  OGRT_ERR_FILTER_FAILED: 'filter %s: %s; %s record(s) passed on unfiltered',
  OGRT_ERR_FILTER_STOP: 'filter %s failed to stop cleanly: %s',
  OGRT_ERR_PLUGIN_START_TIMEOUT: '%s: start() did not settle within %s ms',
  OGRT_ERR_PLUGIN_UNHEALTHY: '%s is unhealthy: %s',
  OGRT_ERR_PLUGIN_UNCAUGHT: '%s: uncaught error outside any call of the server (%s): %s',
  OGRT_ERR_OUTPUT_FLUSH: 'output %s failed to flush: %s',
  // --- built-in queries and the dashboard (src/core/queries/, src/core/http/) ---
  OGRT_ERR_QUERY_INVALID: 'invalid query: %s',
  OGRT_ERR_QUERY_NO_STORE: 'no store to query: %s',
  OGRT_ERR_QUERY_STORE: 'query store %s failed: %s',
  OGRT_ERR_DASHBOARD_AUTH_REQUIRED: 'dashboard.listen = "%s" is not a loopback address: set dashboard.token_file, token_env or username + password_file (refusing to serve queries to the network without authentication)',
  OGRT_ERR_DASHBOARD_SECRET: 'dashboard: %s',
  OGRT_ERR_DASHBOARD_LISTEN: 'dashboard cannot listen on %s: %s',
  OGRT_ERR_HTTP_UNAUTHORIZED: 'authentication required (%s)',
  OGRT_ERR_HTTP_MISDIRECTED: 'this server does not answer for host %s without credentials (use 127.0.0.1, [::1] or localhost, or add the name to dashboard.allowed_hosts)',
  OGRT_ERR_HTTP_NOT_FOUND: 'no such endpoint: %s %s',
  OGRT_ERR_HTTP_BAD_REQUEST: 'bad request: %s',
  OGRT_ERR_HTTP_INTERNAL: 'internal error (see the server log)',
} as const;

export type ErrorCode = keyof typeof CATALOGUE;

export class OgrtError extends Error {
  readonly code: ErrorCode;
  /**
   * Structured context (file, key, offset, peer, ...) for logs and tests.
   * Not named `details`: test reporters (uvu) expect that to be a string.
   */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, args: readonly unknown[], options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(format(CATALOGUE[code], args), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OgrtError';
    this.code = code;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => String(i < args.length ? args[i++] : ''));
}
