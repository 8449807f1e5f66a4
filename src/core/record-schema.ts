/**
 * JSON Schema (draft-07 compatible, built with TypeBox) of OgrtRecord as it
 * leaves the server (docs/protocol.md §7). Used to compile the JSON Lines
 * serializer of output-file (fast-json-stringify) and as the source for store
 * mappings (Elasticsearch/OpenSearch).
 *
 * Keep it in step with src/core/record.ts: the type assertions at the end of
 * this file fail to compile when a field is added to one and not the other.
 *
 * Besides records it describes the raw events of input-syslog with
 * `non_ogrt = "pass"` (docs/deployment.md "Raw events"): the same shape with
 * `kind: "raw"` and the message in `syslog`. They are not OgrtRecords
 * (record.ts does not know them) but go through the same outputs.
 *
 * No `format` keywords on strings on purpose: fast-json-stringify treats
 * `format: "date-time"` strings as trusted and writes them unescaped.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { OgrtRecord } from './record.ts';

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
/** `YYYY-MM-DDThh:mm:ss.ffffffZ`: UTC, exactly six fractional digits. */
const TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z$';

const Uuid = (description: string) => Type.String({ pattern: UUID_PATTERN, description });
const Time = (description: string) => Type.String({ pattern: TIME_PATTERN, description });
/** Wire numbers are decimal, at most 20 digits; JS numbers hold them exactly up to 2^53. */
const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const SharedObjectSchema = Type.Object(
  {
    path: Type.String({ description: 'Path of the loaded object as the dynamic loader reports it.' }),
    signature: Type.Optional(Uuid("OGRT signature (uuid) from the object's PT_NOTE segment, if stamped.")),
  },
  { additionalProperties: false, $id: 'OgrtSharedObject' },
);

export const LoadedModuleSchema = Type.Object(
  { name: Type.String({ description: 'An entry of LOADEDMODULES (Environment Modules, Lmod), e.g. gcc/12.2.0.' }) },
  { additionalProperties: false, $id: 'OgrtLoadedModule' },
);

export const EnvironmentVariableSchema = Type.Object(
  {
    name: Type.String({ description: 'Variable name (the wire value up to the first "=").' }),
    value: Type.String({ description: 'Variable value (after the first "=").' }),
  },
  { additionalProperties: false, $id: 'OgrtEnvironmentVariable' },
);

export const ReceiveInfoSchema = Type.Object(
  {
    input: Type.String({ description: 'Name of the input in ogrt.conf ([inputs.NAME]).' }),
    peer: Type.String({ description: '"address:port" for IP peers ("[v6]:port" for IPv6), the socket path for unix sockets.' }),
    time: Time('Receive time at the server, ISO 8601 UTC with microseconds.'),
    relay_hostname: Type.Optional(Type.String({ description: 'HOSTNAME of the syslog header, when a relay may have rewritten it.' })),
    relay_time: Type.Optional(Type.String({ description: 'TIMESTAMP of the syslog header, when a relay may have rewritten it.' })),
  },
  { additionalProperties: false, $id: 'OgrtReceiveInfo', description: 'Added by the server; never sent by clients.' },
);

/** `syslog` of a raw event: the header of a message that is not OGRT, and the whole message. */
export const RawSyslogSchema = Type.Object(
  {
    facility: Type.Optional(Type.Integer({ minimum: 0, maximum: 23, description: 'Syslog facility from PRI.' })),
    severity: Type.Optional(Type.Integer({ minimum: 0, maximum: 7, description: 'Syslog severity from PRI.' })),
    timestamp: Type.Optional(Type.String({ description: 'TIMESTAMP of the header, as received.' })),
    hostname: Type.Optional(Type.String({ description: 'HOSTNAME of the header.' })),
    app_name: Type.Optional(Type.String({ description: 'APP-NAME of the header.' })),
    proc_id: Type.Optional(Type.String({ description: 'PROCID of the header.' })),
    msg_id: Type.Optional(Type.String({ description: 'MSGID of the header.' })),
    message: Type.String({ description: 'The whole message as received (bytes that are not UTF-8 as U+DC80-U+DCFF).' }),
  },
  { additionalProperties: false, $id: 'OgrtRawSyslog' },
);

export const OgrtRecordSchema = Type.Object(
  {
    uuid: Uuid('Record uuid (lower-case 8-4-4-4-12 hex), unique per record.'),
    kind: Type.Union([Type.Literal('process'), Type.Literal('dlopen'), Type.Literal('exit'), Type.Literal('raw')], {
      description: 'process: a process start; dlopen: a later dlopen; exit: a process exit; raw: a syslog message that is not OGRT (input-syslog non_ogrt = "pass").',
    }),
    process_uuid: Type.Optional(Uuid('For dlopen and exit: the uuid of the process record they belong to.')),
    time: Time('ISO 8601 UTC with exactly six fractional digits (microseconds).'),
    hostname: Type.String({ description: 'Host name (gethostname).' }),
    job_id: Type.Optional(Type.String({ description: 'Batch job id.' })),
    pid: Type.Integer({ description: 'Process id.' }),
    parent_pid: Type.Optional(Type.Integer({ description: 'Parent process id.' })),
    uid: Type.Optional(Type.Integer({ description: 'Real user id.' })),
    username: Type.Optional(Type.String({ description: 'User name.' })),
    binpath: Type.Optional(Type.String({ description: 'Absolute path of the executable.' })),
    signature: Type.Optional(Uuid('OGRT signature of the executable.')),
    cmdline: Type.Optional(Type.String({ description: 'Arguments joined by one space.' })),
    shared_objects: Type.Array(SharedObjectSchema, { description: 'Loaded shared objects, in load order.' }),
    loaded_modules: Type.Array(LoadedModuleSchema, { description: 'Loaded environment modules.' }),
    environment_variables: Type.Array(EnvironmentVariableSchema, { description: 'Collected environment variables.' }),
    exit_status: Type.Optional(Type.Integer({ description: 'exit records: status 0-255, or 128 + signal number.' })),
    wall_time_us: Type.Optional(Count('exit records: microseconds from process start to exit.')),
    max_rss_kb: Type.Optional(Count('exit records: peak RSS in KiB.')),
    truncated: Type.Optional(
      Type.Array(Type.String(), { description: 'Fields that were cut, e.g. "cmdline", "shared_objects[3].path".' }),
    ),
    incomplete: Type.Optional(Type.Boolean({ description: 'Set when the reassembly timeout passed before every part arrived.' })),
    missing_parts: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1 }), { description: 'Numbers (from 1) of the parts that never arrived.' }),
    ),
    receive: Type.Optional(ReceiveInfoSchema),
    syslog: Type.Optional(RawSyslogSchema),
  },
  {
    additionalProperties: false,
    $id: 'OgrtRecord',
    title: 'OGRT record',
    description:
      'One process start, dlopen or exit (docs/protocol.md §7). Bytes that were not UTF-8 appear as lone surrogates U+DC80-U+DCFF, written in JSON as \\udc80...\\udcff.',
  },
);

export type OgrtRecordFromSchema = Static<typeof OgrtRecordSchema>;
export type RawSyslog = Static<typeof RawSyslogSchema>;

// Compile-time check that the schema and record.ts describe the same object
// (raw events aside): the same keys, optional ones included, with mutually
// assignable types.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Assignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Item<T> = T extends readonly (infer I)[] ? I : never;
type RecordPart = Omit<OgrtRecordFromSchema, 'kind' | 'syslog'> & { kind: Exclude<OgrtRecordFromSchema['kind'], 'raw'> };
type R = Required<OgrtRecord>;
type S = Required<RecordPart>;
const schemaMatchesRecord: [
  Assignable<RecordPart, OgrtRecord>,
  SameKeys<R, S>,
  SameKeys<Item<R['shared_objects']>, Item<S['shared_objects']>>,
  SameKeys<Item<R['loaded_modules']>, Item<S['loaded_modules']>>,
  SameKeys<Item<R['environment_variables']>, Item<S['environment_variables']>>,
  SameKeys<R['receive'], S['receive']>,
] = [true, true, true, true, true, true];
void schemaMatchesRecord;
