/**
 * Child process of output-file.test.ts ("a write cut short by the kernel..."):
 * runs under `ulimit -f` with SIGXFSZ ignored, so a write past the limit is
 * cut short and the next one fails with EFBIG. Prints the send results as JSON.
 */
import { fakeContext } from '../../helpers/fake-context.ts';
import filePlugin from '../../../plugins/output-file/index.ts';
import { plainRecord } from './records.ts';

const dir = process.env.OGRT_EFBIG_DIR;
if (dir !== undefined) {
  const fake = fakeContext({ configDir: dir });
  const out = filePlugin.create(fake.ctx, { path: 'ogrt.jsonl', max_size: 0, fsync: 'batch', mode: '0640' });
  await out.start?.();
  const first = [plainRecord()];
  const big = Array.from({ length: 200 }, () => plainRecord());
  const results = [await out.send({ records: first, bytes: 1, attempt: 1 }), await out.send({ records: big, bytes: 1, attempt: 1 })];
  await out.stop?.();
  process.stdout.write(JSON.stringify({ results, first }));
}
