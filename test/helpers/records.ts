/** OgrtRecord values for tests. */
import { randomUUID } from 'node:crypto';
import type { OgrtRecord } from '../../src/core/record.ts';

export function makeRecord(overrides: Partial<OgrtRecord> = {}): OgrtRecord {
  return {
    uuid: randomUUID(),
    kind: 'process',
    time: '2026-11-24T21:40:08.123456Z',
    hostname: 'node042',
    pid: 12345,
    shared_objects: [],
    loaded_modules: [],
    environment_variables: [],
    ...overrides,
  };
}

export function makeRecords(n: number, overrides: Partial<OgrtRecord> = {}): OgrtRecord[] {
  const out: OgrtRecord[] = [];
  for (let i = 0; i < n; i++) out.push(makeRecord({ pid: 1000 + i, ...overrides }));
  return out;
}
