/**
 * Validated options → the settings the listeners use: the listen address
 * split, paths resolved against ogrt.conf's directory, TLS material read.
 * Everything a typo can break fails here, at start, with the TOML path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OgrtError, parseListen, type ListenAddress, type TlsMaterial } from '../../src/core/plugin-api.ts';
import type { SyslogInputOptions, TlsOptions } from './options.ts';

export interface SyslogSettings {
  readonly address: ListenAddress;
  readonly tcp: boolean;
  readonly udp: boolean;
  /** Absolute path of the unix datagram socket, or undefined. */
  readonly socketPath: string | undefined;
  readonly socketMode: number;
  readonly tls: TlsMaterial | undefined;
  /** Most bytes of parts of split records held (reassembly_max_bytes), for the input's RecordIntake. */
  readonly reassemblyMaxBytes: number;
}

export function resolveSettings(options: SyslogInputOptions, configDir: string, id: string): SyslogSettings {
  const where = `inputs.${id}`;
  const tcp = options.protocols.includes('tcp');
  const udp = options.protocols.includes('udp');
  const socketPath = options.socket === '' ? undefined : path.resolve(configDir, options.socket);
  if (!tcp && !udp && socketPath === undefined) {
    throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [where, 'nothing to listen on: protocols is [] and socket is empty']);
  }
  const tlsOptions = options.tls ?? ({} as Partial<TlsOptions>);
  const tlsOn = (tlsOptions.cert_file ?? '') !== '';
  if (tlsOn && !tcp) {
    throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`${where}.tls`, 'TLS needs "tcp" in protocols']);
  }
  if (tlsOn && udp) {
    // One input, one trust level: plain UDP next to TLS would quietly accept unauthenticated records.
    throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`${where}.tls`, 'TLS and "udp" in one input: define a second input for UDP']);
  }
  return {
    address: parseListen(options.listen, `${where}.listen`),
    tcp,
    udp,
    socketPath,
    socketMode: parseInt(options.socket_mode, 8),
    tls: tlsOn ? readTls(tlsOptions as TlsOptions, configDir, `${where}.tls`) : undefined,
    reassemblyMaxBytes: options.reassembly_max_bytes,
  };
}

function readTls(tls: TlsOptions, configDir: string, where: string): TlsMaterial {
  if ((tls.key_file ?? '') === '') throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`${where}.key_file`, 'required when cert_file is set']);
  const clientAuth = tls.client_auth ?? 'none';
  return {
    cert: readPem(configDir, tls.cert_file, `${where}.cert_file`),
    key: readPem(configDir, tls.key_file, `${where}.key_file`),
    ca: (tls.ca_file ?? '') === '' ? undefined : readPem(configDir, tls.ca_file, `${where}.ca_file`),
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'require',
  };
}

function readPem(configDir: string, file: string, where: string): Buffer {
  const full = path.resolve(configDir, file);
  try {
    return readFileSync(full);
  } catch (err) {
    throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [where, `cannot read ${full}: ${(err as Error).message}`], { cause: err });
  }
}
