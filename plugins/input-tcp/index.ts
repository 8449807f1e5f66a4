/**
 * `type = "tcp"`: OGRT records over TCP, as libogrt sends them directly
 * (RFC 6587 octet counting) or as syslog relays forward them (octet counting
 * or LF framing, detected per connection). See README.md in this folder.
 */
import { definePlugin, OgrtError, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { parseListen, TcpInputOptions, type ListenAddress } from './config.ts';
import { TcpInput } from './input.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'input',
  type: 'tcp',
  description: 'Receive OGRT records over TCP (RFC 6587 octet counting or LF framing), reassembling split records across connections.',
  options: TcpInputOptions,
  create(ctx, options) {
    let address: ListenAddress;
    try {
      address = parseListen(options.listen);
    } catch (err) {
      throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`inputs.${ctx.id}`, (err as Error).message], { cause: err });
    }
    return new TcpInput(ctx, {
      listen: options.listen,
      address,
      maxFrameSize: options.max_frame_size,
      idleTimeoutMs: options.idle_timeout_ms,
      maxConnections: options.max_connections,
      reassemblyTimeoutMs: options.reassembly_timeout_ms,
    });
  },
});
