/**
 * A syslog message that is not an OGRT record, as an event the outputs can
 * store (non_ogrt = "pass"): the OgrtRecord shape with `kind: "raw"`, empty
 * lists, and the message in `syslog`. Fields:
 *   uuid      random (v4), so outputs that key by uuid work unchanged;
 *   time      the header TIMESTAMP in UTC with microseconds, else receive time;
 *   hostname  the header HOSTNAME, else the peer; pid: PROCID if numeric, else 0;
 *   syslog    { facility, severity, app_name, proc_id, msg_id, timestamp,
 *               message } where `message` is the whole message as received
 *               (bytes that are not UTF-8 as U+DC80–U+DCFF, like records).
 * Messages that are not RFC 5424 (BSD syslog) get facility/severity from
 * their PRI when it parses and nothing else but `message`.
 */
import { randomUUID } from 'node:crypto';
import { bytesToString, parseIsoTime, parseRfc5424, type OgrtRecord, type ReceiveInfo } from '../../src/core/plugin-api.ts';

export interface RawSyslog {
  facility?: number;
  severity?: number;
  timestamp?: string;
  hostname?: string;
  app_name?: string;
  proc_id?: string;
  msg_id?: string;
  /** The whole message as received. */
  message: string;
}

/** An OgrtRecord-compatible raw event; `kind` is "raw" (see docs/deployment.md). */
export type RawEvent = Omit<OgrtRecord, 'kind'> & { kind: 'raw'; syslog: RawSyslog };

const PID = /^[0-9]{1,15}$/;
const BSD_PRI = /^<([0-9]{1,3})>/;

export function rawEvent(buf: Buffer, start: number, end: number, receive: ReceiveInfo, peerHost: string): RawEvent {
  const bytes = buf.subarray(start, end);
  const syslog: RawSyslog = { message: bytesToString(bytes) };
  let time = receive.time;
  let hostname = peerHost;
  let pid = 0;
  try {
    const m = parseRfc5424(buf, start, end);
    syslog.facility = m.facility;
    syslog.severity = m.severity;
    if (m.timestamp !== null) {
      syslog.timestamp = m.timestamp;
      time = parseIsoTime(m.timestamp)?.iso ?? time;
    }
    if (m.hostname !== null) syslog.hostname = hostname = m.hostname;
    if (m.appName !== null) syslog.app_name = m.appName;
    if (m.procId !== null) {
      syslog.proc_id = m.procId;
      if (PID.test(m.procId)) pid = Number(m.procId);
    }
    if (m.msgId !== null) syslog.msg_id = m.msgId;
  } catch {
    const pri = BSD_PRI.exec(syslog.message);
    if (pri !== null && Number(pri[1]) <= 191) {
      syslog.facility = Number(pri[1]) >> 3;
      syslog.severity = Number(pri[1]) & 7;
    }
  }
  return {
    uuid: randomUUID(),
    kind: 'raw',
    time,
    hostname,
    pid,
    shared_objects: [],
    loaded_modules: [],
    environment_variables: [],
    syslog,
    receive,
  };
}
