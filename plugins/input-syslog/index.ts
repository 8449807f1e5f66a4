/**
 * input-syslog (`type = "syslog"`): OGRT records as syslog relays send them —
 * RFC 5424 over TCP (RFC 6587 octet counting or LF framing), TLS (RFC 5425),
 * UDP (RFC 5426) and a unix datagram socket, in any combination. See
 * options.ts for the options and docs/deployment.md for rsyslog/syslog-ng.
 */
import { definePlugin, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { SyslogInput } from './input.ts';
import { SyslogInputOptions } from './options.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'input',
  type: 'syslog',
  description: 'OGRT records from syslog relays (rsyslog, syslog-ng): RFC 5424 over TCP, TLS, UDP or a unix datagram socket.',
  options: SyslogInputOptions,
  create: (ctx, options) => new SyslogInput(ctx, options),
});

export { SyslogInput } from './input.ts';
