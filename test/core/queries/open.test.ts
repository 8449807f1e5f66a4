import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shownPath } from '../../../src/core/queries/open.ts';

test('the store file as the dashboard shows it: relative inside the config dir, else its name only', () => {
  assert.is(shownPath('/etc/ogrt', '/etc/ogrt/data/ogrt.db'), 'data/ogrt.db');
  assert.is(shownPath('/etc/ogrt/', '/etc/ogrt/ogrt.db'), 'ogrt.db');
  assert.is(shownPath('/etc/ogrt', '/var/lib/ogrt/ogrt.db'), 'ogrt.db');
  assert.is(shownPath('/etc/ogrt', '/etc/ogrt-other/ogrt.db'), 'ogrt.db');
  assert.is(shownPath('/etc/ogrt', '/etc/ogrt/..store/ogrt.db'), '..store/ogrt.db');
});

test.run();
