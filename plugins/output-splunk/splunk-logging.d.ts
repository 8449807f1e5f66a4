// The parts of splunk-logging 0.11.1 (no bundled types) that client.ts uses.
declare module 'splunk-logging' {
  interface NeedleResponse {
    statusCode?: number;
    headers: Record<string, string | string[] | undefined>;
  }
  type SendCallback = (err: Error | null, resp: NeedleResponse | undefined, body: unknown) => void;

  class SplunkLogger {
    constructor(config: Record<string, unknown>);
    config: Record<string, unknown> & { token: string };
    requestOptions: Record<string, unknown>;
    /** Called with request and HEC errors; the default prints the whole batch to the console. */
    error: (err: Error, context: unknown) => void;
    /** One POST of an already formatted payload, `config.maxRetries` retries. */
    _sendEvents(context: { message: string }, callback: SendCallback): void;
    /** needle.post(url, body, options) with the logger's TLS handling. */
    _post(requestOptions: Record<string, unknown>, callback: SendCallback): void;
  }
  const splunk: { Logger: typeof SplunkLogger };
  export default splunk;
}
