/** Records for output-file tests, hostile values included. */
import type { OgrtRecord } from '../../../src/core/plugin-api.ts';

let serial = 0;

export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function plainRecord(overrides: Partial<OgrtRecord> = {}): OgrtRecord {
  const n = ++serial;
  return {
    uuid: uuid(n),
    kind: 'process',
    time: '2026-11-24T21:40:08.123456Z',
    hostname: 'node042',
    job_id: '4711',
    pid: 1000 + n,
    parent_pid: 1,
    uid: 1000,
    username: 'alice',
    binpath: '/usr/bin/python3.11',
    cmdline: `python3 -c pass ${n}`,
    shared_objects: [{ path: '/lib/x86_64-linux-gnu/libc.so.6' }, { path: '/opt/blas/libopenblas.so.0', signature: 'b73c604d-c2e9-4057-ae31-586aa5ee29e3' }],
    loaded_modules: [{ name: 'gcc/12.2.0' }],
    environment_variables: [{ name: 'OMP_NUM_THREADS', value: '4' }],
    receive: { input: 'direct', peer: '127.0.0.1:40312', time: '2026-11-24T21:40:08.125001Z' },
    ...overrides,
  };
}

/** Values that break naive JSON writers: quotes, brackets, backslashes, newlines, HTML, controls, non-UTF-8 bytes. */
export function hostileRecord(): OgrtRecord {
  return plainRecord({
    kind: 'exit',
    process_uuid: uuid(999),
    hostname: 'caf\udce9-node', // the byte 0xE9 alone: not UTF-8
    username: 'o"brien\\',
    binpath: '/scratch/caf\udce9/\udcff\udc80bin',
    cmdline: 'echo "]}" \\n \n\r\t\u0000\u0001\u001f\u007f </script><script>alert(1)</script> \u2028\u2029 😀 日本',
    shared_objects: [{ path: '/lib/\udcc3(bad.so' }, { path: 'x'.repeat(6000) + '\udc80' }],
    loaded_modules: [{ name: 'a]b' }],
    environment_variables: [{ name: 'PS1', value: '\\u@\\h:\\w\\$ \u001b[0m' }, { name: 'EMPTY', value: '' }],
    exit_status: 137,
    wall_time_us: 12_345_678,
    max_rss_kb: 204_800,
    truncated: ['cmdline', 'shared_objects[1].path'],
    incomplete: true,
    missing_parts: [2, 3],
    receive: { input: 'relay"', peer: '[::1]:5514', time: '2026-11-24T21:40:08.125001Z', relay_hostname: 'r]1', relay_time: '2026-11-24T21:40:09Z' },
  });
}
