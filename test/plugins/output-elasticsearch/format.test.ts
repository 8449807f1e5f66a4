/** Pure parts of output-elasticsearch: index names, ids, bulk body, answers, template, ECS. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileIndexPattern } from '../../../plugins/output-elasticsearch/index-name.ts';
import { createBulkBuilder, documentId, readBulkResponse } from '../../../plugins/output-elasticsearch/bulk.ts';
import { ConfigProblem, OptionsSchema, resolveConfig } from '../../../plugins/output-elasticsearch/config.ts';
import { buildTemplate } from '../../../plugins/output-elasticsearch/template.ts';
import { toEcs } from '../../../plugins/output-elasticsearch/ecs.ts';
import { makeRecord, options } from './helpers.ts';

const cfg = (given: Record<string, unknown>) => resolveConfig(options(OptionsSchema, given), process.cwd());

test('index names come from the record time in UTC, with a wildcard for the template', () => {
  const n = compileIndexPattern('ogrt-%Y.%m.%d');
  assert.is(n.nameFor('2026-11-24T21:40:08.123456Z'), 'ogrt-2026.11.24');
  assert.is(n.nameFor('2027-01-01T00:00:00.000001Z'), 'ogrt-2027.01.01');
  assert.is(n.wildcard, 'ogrt-*.*.*');
  const h = compileIndexPattern('ogrt-%Y-%j-%H');
  assert.is(h.nameFor('2026-02-01T07:00:00.000000Z'), 'ogrt-2026-032-07');
  assert.is(h.nameFor('2026-02-01T08:00:00.000000Z'), 'ogrt-2026-032-08');
  assert.is(compileIndexPattern('ogrt').nameFor('2026-02-01T08:00:00.000000Z'), 'ogrt');
  assert.is(n.nameFor('yesterday'), undefined);
  assert.throws(() => compileIndexPattern('ogrt-%s'), /unsupported field %s/);
});

test('config: exclusive keys, secrets and index names are checked', () => {
  assert.throws(() => cfg({ url: 'http://a:9200', cloud_id: 'x:eA==' }), (e: unknown) => e instanceof ConfigProblem && /only one of url, urls, cloud_id/.test((e as Error).message));
  assert.throws(() => cfg({ url: 'http://u:secret@a:9200' }), /no credentials in the URL/);
  assert.throws(() => cfg({ index: 'OGRT-%Y' }), /lower case/);
  assert.throws(() => cfg({ username: 'u' }), /needs password_env or password_file/);
  assert.throws(() => cfg({ api_key_env: 'OGRT_TEST_UNSET_VARIABLE' }), /not set or empty/);
  assert.throws(() => cfg({ flavor: 'opensearch', api_key_env: 'X' }), /API keys are an Elasticsearch feature/);
  assert.throws(() => cfg({ api_key_file: '/nonexistent/ogrt/key' }), /cannot read \/nonexistent\/ogrt\/key: ENOENT/);
  assert.is(cfg({}).nodes[0], 'http://127.0.0.1:9200');
  assert.is(cfg({ urls: ['http://a:9200', 'https://b:9200'] }).displayNodes, 'http://a:9200,https://b:9200');
});

test('document _id is the uuid; incomplete records get an id naming their missing parts', () => {
  const r = makeRecord();
  assert.is(documentId(r), r.uuid);
  assert.is(documentId({ ...r, incomplete: true, missing_parts: [2, 3] }), `${r.uuid}~missing-2.3`);
  assert.is.not(documentId({ ...r, incomplete: true, missing_parts: [1] }), documentId({ ...r, incomplete: true, missing_parts: [2, 3] }));
});

test('bulk body: create actions with _index from the record time and _id, then the record', () => {
  const a = makeRecord({ time: '2026-11-24T23:59:59.999999Z' });
  const b = makeRecord({ time: '2026-11-25T00:00:00.000001Z' });
  const bad = makeRecord({ time: 'not a time' });
  const built = createBulkBuilder(cfg({})).build([a, bad, b], 0, 3);
  const lines = built.body.split('\n');
  assert.is(lines.length, 5); // 2 actions + 2 docs + final ''
  assert.equal(JSON.parse(lines[0]), { create: { _index: 'ogrt-2026.11.24', _id: a.uuid } });
  assert.equal(JSON.parse(lines[1]), a);
  assert.equal(JSON.parse(lines[2]), { create: { _index: 'ogrt-2026.11.25', _id: b.uuid } });
  assert.is(lines[4], '');
  assert.equal(built.positions, [0, 2]);
  assert.is(built.invalid.length, 1);
  assert.is(built.invalid[0].index, 1);
  assert.match(built.invalid[0].reason, /not an ISO 8601 UTC time/);
});

test('bulk body for a data stream adds @timestamp (ogrt schema) and targets the stream', () => {
  const r = makeRecord();
  const built = createBulkBuilder(cfg({ data_stream: 'logs-ogrt-default' })).build([r], 0, 1);
  const [action, doc] = built.body.split('\n').map((l) => (l ? JSON.parse(l) : l));
  assert.equal(action, { create: { _index: 'logs-ogrt-default', _id: r.uuid } });
  assert.is(doc['@timestamp'], r.time);
  assert.is(doc.uuid, r.uuid);
});

test('bulk answer: ok, 409 duplicate, retryable and rejected items map to batch indexes', () => {
  const positions = [0, 2, 3, 5, 6];
  const outcome = readBulkResponse(
    {
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } } },
        { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'busy' } } },
        { create: { status: 400, error: { type: 'document_parsing_exception', reason: "failed to parse field [pid] of type [long]", caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "x"' } } } },
        { create: { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } } },
      ],
    },
    positions,
  );
  assert.equal(outcome.retry, [3, 6]);
  assert.is(outcome.rejected.length, 1);
  assert.is(outcome.rejected[0].index, 5);
  assert.match(outcome.rejected[0].reason, /^400 document_parsing_exception: failed to parse field \[pid\].*caused by illegal_argument_exception/);
  assert.is(outcome.duplicates, 1);
  assert.throws(() => readBulkResponse({ errors: false, items: [] }, [0]), /0 items for 1 documents/);
});

test('template: keyword ids and paths, date_nanos time, flat shared_objects, data stream flag', () => {
  const t = buildTemplate(cfg({})) as any;
  assert.equal(t.index_patterns, ['ogrt-*.*.*']);
  const p = t.template.mappings.properties;
  for (const f of ['binpath', 'signature', 'username', 'hostname', 'job_id', 'uuid']) assert.is(p[f].type, 'keyword', f);
  assert.is(p.time.type, 'date_nanos');
  assert.is(p.receive.properties.time.type, 'date_nanos');
  assert.is(p.shared_objects.type, undefined, 'object, not nested');
  assert.is(p.shared_objects.properties.signature.type, 'keyword');
  assert.is(p.shared_objects.properties.path.type, 'keyword');
  assert.is(p.loaded_modules.properties.name.type, 'keyword');
  assert.is(p.environment_variables.properties.value.type, 'keyword');
  assert.is(p.cmdline.type, 'text');
  assert.is(p.cmdline.fields.keyword.type, 'keyword');
  assert.is(t.data_stream, undefined);
  const ds = buildTemplate(cfg({ data_stream: 'ogrt-ds', ilm_policy: 'ogrt-90d' })) as any;
  assert.equal(ds.index_patterns, ['ogrt-ds']);
  assert.equal(ds.data_stream, {});
  assert.is(ds.template.mappings.properties['@timestamp'].type, 'date_nanos');
  assert.equal(ds.template.settings, { 'index.lifecycle.name': 'ogrt-90d' });
});

test('ECS document: process, host, user, event fields; OGRT extras under ogrt.*', () => {
  const r = makeRecord({ kind: 'process', binpath: '/opt/app/bin/solver', pid: 77, parent_pid: 70, uid: 1001, username: 'bob', cmdline: 'solver -n 4' });
  const d = toEcs(r) as any;
  assert.is(d['@timestamp'], r.time);
  assert.equal(d.event, { kind: 'event', category: ['process'], type: ['start'], action: 'process', id: r.uuid, created: r.receive!.time });
  assert.is(d.process.executable, '/opt/app/bin/solver');
  assert.is(d.process.name, 'solver');
  assert.is(d.process.pid, 77);
  assert.equal(d.process.parent, { pid: 70 });
  assert.is(d.process.command_line, 'solver -n 4');
  assert.is(d.process.entity_id, r.uuid);
  assert.equal(d.host, { hostname: 'node042', name: 'node042' });
  assert.equal(d.user, { name: 'bob', id: '1001' });
  assert.is(d.ogrt.job_id, '4711');
  assert.equal(d.ogrt.shared_objects, r.shared_objects);
  const exit = toEcs(makeRecord({ kind: 'exit', process_uuid: r.uuid, exit_status: 3 })) as any;
  assert.equal(exit.event.type, ['end']);
  assert.is(exit.process.entity_id, r.uuid);
  assert.is(exit.process.exit_code, 3);
});

test('ECS document: fields ECS has no place for (a raw event\'s syslog, a later protocol field) are kept under ogrt.*', () => {
  const syslog = { facility: 1, severity: 5, app_name: 'nginx', proc_id: '811', message: '<13>1 2026-11-24T21:40:08.25Z web01 nginx 811 - - GET /' };
  const raw = { ...makeRecord({ pid: 811, hostname: 'web01' }), kind: 'raw', syslog, cgroup: '/slurm/uid_1000/job_4711' } as any;
  const d = toEcs(raw) as any;
  assert.equal(d.ogrt.syslog, syslog);
  assert.is(d.ogrt.cgroup, '/slurm/uid_1000/job_4711');
  assert.is(d.ogrt.kind, 'raw');
  assert.is(d.process.pid, 811);
  // Fields ECS maps are not copied a second time.
  for (const mapped of ['time', 'hostname', 'pid', 'binpath', 'cmdline', 'username', 'uid', 'parent_pid']) assert.is(d.ogrt[mapped], undefined, mapped);
  assert.is(d.syslog, undefined, 'nothing outside ecs/event/process/host/user/ogrt');
});

test.run();
