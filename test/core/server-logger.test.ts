import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { componentLogger } from '../../src/core/logger.ts';
import { captureLogs } from '../helpers/logs.ts';

test('JSON lines with a level name, time and component', () => {
  const logs = captureLogs('info');
  componentLogger(logs.logger, 'output', 'file', 'local').info({ path: '/x' }, 'opened');
  logs.logger.debug('hidden at info');
  assert.is(logs.lines.length, 1);
  const line = logs.lines[0];
  assert.is(line.level, 'info');
  assert.is(line.component, 'output:file:local');
  assert.is(line.msg, 'opened');
  assert.is(line.path, '/x');
  assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
});

test('secrets are redacted at any depth up to five levels, including in arrays', () => {
  const logs = captureLogs('info');
  logs.logger.info(
    {
      token: 't0',
      password: 'p0',
      options: { api_key: 'k1', apiKey: 'k1b', auth: { secret: 's2', headers: { authorization: 'Bearer a3' } } },
      list: [{ password: 'p2' }],
      tokens: 'not a secret key',
    },
    'connecting',
  );
  const text = JSON.stringify(logs.lines[0]);
  for (const secret of ['t0', 'p0', 'k1', 'k1b', 's2', 'Bearer a3', 'p2']) assert.not.match(text, `"${secret}"`, secret);
  assert.match(text, '"tokens":"not a secret key"');
  assert.is((logs.lines[0].options as { api_key: string }).api_key, '[redacted]');
});

test.run();
