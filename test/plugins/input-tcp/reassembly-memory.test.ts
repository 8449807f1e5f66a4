// reassembly_max_bytes through a real socket: a sender that starts many split
// records and never finishes them cannot make the input hold more than the cap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../helpers/fake-context.ts';
import { frameOctetCounted } from '../../../src/core/wire.ts';
import { connect, messages, peerOf, record, sendAndEnd, startInput, withoutReceive } from './harness.ts';

const CAP = 65_536;

test('a flood of first parts: pending bytes stay within reassembly_max_bytes, the oldest go out incomplete and counted', async () => {
  const { fake, input, port } = await startInput({ reassembly_max_bytes: CAP, reassembly_timeout_ms: 60_000 });
  const published: number[] = [];
  const setGauge = fake.ctx.metrics.setGauge.bind(fake.ctx.metrics);
  fake.ctx.metrics.setGauge = (name, value, labels) => {
    if (name === 'reassembly_pending_bytes') published.push(value);
    setGauge(name, value, labels);
  };
  const records = Array.from({ length: 60 }, () => record(80));
  const parts = records.map(messages);
  assert.ok(parts.every((p) => p.length >= 3), 'every record is split into 3 parts or more');
  const firstParts = parts.map((p) => p[0]);
  const flooded = firstParts.reduce((n, m) => n + m.length, 0);
  assert.ok(flooded > 3 * CAP, `${flooded} bytes of first parts`);

  const socket = await connect(port);
  const peer = peerOf(socket);
  socket.on('data', () => undefined);
  socket.write(frameOctetCounted(firstParts));
  await waitFor(() => fake.count('component_received_bytes_total') === frameOctetCounted(firstParts).length, 'the flood read');

  const evicted = fake.records();
  const counted = fake.count('reassembly_incomplete_records_total', { reason: 'reassembly_max_bytes' });
  assert.ok(evicted.length > 0, 'some records were pushed out');
  assert.is(counted, evicted.length, 'every one counted');
  assert.ok(published.length > 0 && Math.max(...published) <= CAP, `pending bytes published: max ${Math.max(...published)}, cap ${CAP}`);
  const held = fake.gauges.get('reassembly_pending_bytes')!;
  assert.ok(held > 0 && held <= CAP, `${held} bytes held now`);
  assert.is(fake.gauges.get('reassembly_pending_records'), records.length - evicted.length);
  // Oldest first, incomplete with the parts that never came, with the receive info of their first part.
  assert.equal(evicted.map((r) => r.uuid), records.slice(0, evicted.length).map((r) => r.uuid));
  for (const [i, r] of evicted.entries()) {
    assert.is(r.incomplete, true);
    assert.equal(r.missing_parts, parts[i].slice(1).map((_, k) => k + 2));
    assert.is(r.receive!.peer, peer);
  }
  assert.ok(fake.logged(/missing parts/, 'warn').length >= 1, 'logged');

  // The newest record is still pending and completes.
  const lastIndex = records.length - 1;
  await sendAndEnd(socket, frameOctetCounted(parts[lastIndex].slice(1)));
  await waitFor(() => fake.records().some((r) => r.uuid === records[lastIndex].uuid), 'the newest record, complete');
  assert.equal(withoutReceive(fake.records().at(-1)!), records[lastIndex]);

  // At stop the rest is delivered incomplete: every record arrives exactly once.
  await input.stop();
  const uuids = fake.records().map((r) => r.uuid).sort();
  assert.equal(uuids, records.map((r) => r.uuid).sort());
  // (its last parts pushed out more of the older ones)
  const pushedOut = fake.count('reassembly_incomplete_records_total', { reason: 'reassembly_max_bytes' });
  assert.ok(pushedOut >= evicted.length);
  assert.is(fake.count('reassembly_incomplete_records_total', { reason: 'shutdown' }), records.length - pushedOut - 1);
  assert.ok(Math.max(...published) <= CAP);
  assert.is(fake.gauges.get('reassembly_pending_bytes'), 0);
  assert.is(fake.gauges.get('reassembly_pending_records'), 0);
});

test('the default reassembly_max_bytes does not push out records that fit', async () => {
  const { fake, input, port } = await startInput({ reassembly_timeout_ms: 60_000 });
  const records = Array.from({ length: 20 }, () => record(80));
  const parts = records.map(messages);
  const socket = await connect(port);
  socket.write(frameOctetCounted(parts.map((p) => p[0])));
  await waitFor(() => fake.gauges.get('reassembly_pending_records') === records.length, 'all pending');
  await sendAndEnd(socket, frameOctetCounted(parts.flatMap((p) => p.slice(1))));
  await waitFor(() => fake.records().length === records.length, 'all records');
  assert.ok(fake.records().every((r) => r.incomplete === undefined));
  assert.is(fake.count('reassembly_incomplete_records_total'), 0);
  assert.is(fake.gauges.get('reassembly_pending_bytes'), 0);
  await input.stop();
});

test.run();
