/**
 * The _bulk request for one batch (one call per batch: the core batches) and
 * the reading of its per-item answer.
 *
 * Every document gets `_id` = record uuid and op_type `create`, into the
 * index named from the record's own time: a retry, a replay, or a second
 * server relaying the same record hits the same (index, _id) and gets 409
 * version_conflict, which means "already stored" — so no duplicates.
 */
import type { OgrtRecord } from '../../src/core/plugin-api.ts';
import type { ResolvedConfig } from './config.ts';
import type { BulkResponse } from './client.ts';
import { toEcs } from './ecs.ts';
import { isIsoTime } from './index-name.ts';

/**
 * `_id` of a record. An incomplete record (parts missing at the reassembly
 * timeout) is a different document from the complete one, and from another
 * incomplete delivery of other parts: its id names the parts it lacks.
 */
export function documentId(r: OgrtRecord): string {
  if (r.incomplete !== true) return r.uuid;
  const missing = r.missing_parts;
  return missing !== undefined && missing.length > 0 ? `${r.uuid}~missing-${missing.join('.')}` : `${r.uuid}~incomplete`;
}

export interface BuiltBulk {
  readonly body: string;
  /** Batch index of each bulk item, in request order. */
  readonly positions: number[];
  /** Records that cannot be indexed at all (no valid time to name the index). */
  readonly invalid: { index: number; reason: string }[];
}

export interface BulkBuilder {
  build(records: readonly OgrtRecord[], from: number, to: number): BuiltBulk;
}

export function createBulkBuilder(cfg: ResolvedConfig): BulkBuilder {
  const ecs = cfg.schema === 'ecs';
  const streamAction = cfg.target.kind === 'data_stream' ? `{"create":{"_index":${JSON.stringify(cfg.target.name)},"_id":` : '';
  const namer = cfg.target.kind === 'index' ? cfg.target.namer : undefined;
  const addTimestamp = cfg.target.kind === 'data_stream' && !ecs;
  // Action prefix per index name; a batch has one or two days at most.
  let lastIndex = '';
  let lastAction = '';

  return {
    build(records, from, to) {
      let body = '';
      const positions: number[] = [];
      const invalid: { index: number; reason: string }[] = [];
      for (let i = from; i < to; i++) {
        const r = records[i];
        let action = streamAction;
        if (namer !== undefined) {
          const name = namer.nameFor(r.time);
          if (name === undefined) {
            invalid.push({ index: i, reason: `time ${JSON.stringify(r.time)} is not an ISO 8601 UTC time; cannot name the index` });
            continue;
          }
          if (name !== lastIndex) {
            lastIndex = name;
            lastAction = `{"create":{"_index":${JSON.stringify(name)},"_id":`;
          }
          action = lastAction;
        } else if (!isIsoTime(r.time)) {
          invalid.push({ index: i, reason: `time ${JSON.stringify(r.time)} is not an ISO 8601 UTC time` });
          continue;
        }
        let doc: string;
        if (ecs) doc = JSON.stringify(toEcs(r));
        else {
          doc = JSON.stringify(r);
          if (addTimestamp) doc = `{"@timestamp":${JSON.stringify(r.time)},${doc.slice(1)}`;
        }
        body += action + JSON.stringify(documentId(r)) + '}}\n' + doc + '\n';
        positions.push(i);
      }
      return { body, positions, invalid };
    },
  };
}

export interface ItemOutcome {
  readonly retry: number[];
  readonly rejected: { index: number; reason: string }[];
  /** Items that were already stored (409 on create): counted, not errors. */
  readonly duplicates: number;
  /** error.type → count of failed items, for one log line per batch. */
  readonly errorTypes: Map<string, number>;
}

// Item errors that heal without changing the document: overload, cluster
// state, missing privileges or a missing index an operator can fix.
const RETRYABLE_TYPES = new Set([
  'es_rejected_execution_exception',
  'circuit_breaking_exception',
  'cluster_block_exception',
  'unavailable_shards_exception',
  'process_cluster_event_timeout_exception',
  'node_not_connected_exception',
  'no_shard_available_action_exception',
  'index_not_found_exception',
  'security_exception',
  'timeout_exception',
]);

function retryableItem(status: number, type: string | undefined): boolean {
  if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 404 || status === 408) return true;
  return type !== undefined && RETRYABLE_TYPES.has(type);
}

/**
 * Reads a bulk answer. Throws if it does not match the request (then the
 * whole batch is retried: the ids make that safe).
 */
export function readBulkResponse(resp: BulkResponse, positions: readonly number[]): ItemOutcome {
  const items = resp?.items;
  if (!Array.isArray(items) || items.length !== positions.length) {
    throw new Error(`bulk answer has ${Array.isArray(items) ? items.length : 'no'} items for ${positions.length} documents`);
  }
  const outcome: ItemOutcome = { retry: [], rejected: [], duplicates: 0, errorTypes: new Map() };
  if (resp.errors === false) return outcome;
  for (let k = 0; k < items.length; k++) {
    const item = items[k];
    const result = item.create ?? item.index ?? item[Object.keys(item)[0]];
    const status = Number(result?.status);
    if (status >= 200 && status < 300) continue;
    const type = result?.error?.type;
    if (status === 409 && type === 'version_conflict_engine_exception') {
      (outcome as { duplicates: number }).duplicates++;
      continue;
    }
    const key = type ?? `http_${status}`;
    outcome.errorTypes.set(key, (outcome.errorTypes.get(key) ?? 0) + 1);
    if (retryableItem(status, type)) outcome.retry.push(positions[k]);
    else outcome.rejected.push({ index: positions[k], reason: itemReason(status, result?.error) });
  }
  return outcome;
}

function itemReason(status: number, error: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } } | undefined): string {
  let s = `${status} ${error?.type ?? 'error'}: ${error?.reason ?? 'no reason given'}`;
  if (error?.caused_by?.reason) s += ` (caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason})`;
  return s.length > 1000 ? s.slice(0, 1000) + '…' : s;
}
