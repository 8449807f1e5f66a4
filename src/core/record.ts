/**
 * The OGRT record: one process start, one later dlopen, or one process exit,
 * as decoded from the wire (docs/protocol.md) and handed to every output.
 *
 * Field names follow the JSON of the 2017 OGRT so that existing dashboards and
 * Elasticsearch queries keep working. Strings hold bytes that were not UTF-8
 * as lone surrogates U+DC80–U+DCFF (PEP 383 "surrogateescape"), which JSON
 * writes as `\udc80`…; encoding the string again restores the original bytes.
 */
export type RecordKind = 'process' | 'dlopen' | 'exit';

export const RECORD_KINDS: readonly RecordKind[] = Object.freeze(['process', 'dlopen', 'exit']);

export interface SharedObject {
  /** Path of the loaded object as the dynamic loader reports it. */
  path: string;
  /** OGRT signature (uuid) from the object's PT_NOTE segment, if stamped. */
  signature?: string;
}

export interface LoadedModule {
  /** An entry of LOADEDMODULES (Environment Modules, Lmod), e.g. `gcc/12.2.0`. */
  name: string;
}

export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** What the server knows about how a record arrived; never sent by clients. */
export interface ReceiveInfo {
  /** Name of the input in ogrt.conf (`[inputs.NAME]`). */
  input: string;
  /** `address:port` for IP peers, the socket path for unix sockets. */
  peer: string;
  /** Receive time at the server, ISO 8601 UTC with microseconds. */
  time: string;
  /** HOSTNAME of the syslog header, when a relay may have rewritten it. */
  relay_hostname?: string;
  /** TIMESTAMP of the syslog header, when a relay may have rewritten it. */
  relay_time?: string;
}

export interface OgrtRecord {
  /** Record uuid (lower-case 8-4-4-4-12 hex), unique per record. */
  uuid: string;
  kind: RecordKind;
  /** For `dlopen` and `exit`: the uuid of the process record they belong to. */
  process_uuid?: string;
  /** ISO 8601 UTC with exactly six fractional digits (microseconds). */
  time: string;
  hostname: string;
  job_id?: string;
  pid: number;
  parent_pid?: number;
  uid?: number;
  username?: string;
  /** Absolute path of the executable. */
  binpath?: string;
  /** OGRT signature of the executable. */
  signature?: string;
  /** Arguments joined by one space. */
  cmdline?: string;
  shared_objects: SharedObject[];
  loaded_modules: LoadedModule[];
  environment_variables: EnvironmentVariable[];
  /** `exit` records: status 0–255, or 128 + signal number. */
  exit_status?: number;
  /** `exit` records: microseconds from process start to exit. */
  wall_time_us?: number;
  /** `exit` records: peak RSS in KiB. */
  max_rss_kb?: number;
  /** Fields that were cut, e.g. `cmdline`, `shared_objects[3].path`. */
  truncated?: string[];
  /** Set when the reassembly timeout passed before every part arrived. */
  incomplete?: boolean;
  missing_parts?: number[];
  receive?: ReceiveInfo;
}
