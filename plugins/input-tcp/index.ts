/**
 * `type = "tcp"`: OGRT records over TCP, as libogrt sends them directly
 * (RFC 6587 octet counting; LF framing is accepted too, detected per
 * connection). See README.md in this folder.
 */
import { definePlugin, parseListen, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { TcpInputOptions } from './config.ts';
import { TcpInput } from './input.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'input',
  type: 'tcp',
  description: 'Receive OGRT records over TCP (RFC 6587 octet counting or LF framing), reassembling split records across connections.',
  options: TcpInputOptions,
  create(ctx, options) {
    return new TcpInput(ctx, {
      address: parseListen(options.listen, `inputs.${ctx.id}.listen`),
      maxFrameSize: options.max_frame_size,
      idleTimeoutMs: options.idle_timeout_ms,
      maxConnections: options.max_connections,
      reassemblyTimeoutMs: options.reassembly_timeout_ms,
      reassemblyMaxBytes: options.reassembly_max_bytes,
    });
  },
});
