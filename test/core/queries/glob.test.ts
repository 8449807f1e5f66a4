import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { parseGlob, toEsWildcard, toRegExp, toSqliteGlob } from '../../../src/core/queries/glob.ts';

const PATHS = [
  '/opt/blas/lib/libopenblas.so.0',
  '/opt/blas64/lib/libopenblas64_.so.0.3',
  '/usr/lib/libopenblasp-r0.3.21.so',
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/home/u/lib[1]/libx*.so',
  '/home/u/lib?/liby.so',
  '/srv/odd\\name/libz.so',
  '/data/café/libé.so',
];

test('a glob without "/" matches the file name in any directory', () => {
  const g = parseGlob('libopenblas*.so*');
  assert.is(toSqliteGlob(g), '*/libopenblas*.so*');
  assert.is(toEsWildcard(g), '*/libopenblas*.so*');
  assert.equal(PATHS.filter((p) => toRegExp(g).test(p)), ['/opt/blas/lib/libopenblas.so.0', '/opt/blas64/lib/libopenblas64_.so.0.3', '/usr/lib/libopenblasp-r0.3.21.so']);
  assert.equal(PATHS.filter((p) => toRegExp(parseGlob('libopenblas.so*')).test(p)), ['/opt/blas/lib/libopenblas.so.0']);
});

test('a glob with "/" matches the whole path; a leading * is kept as it is', () => {
  assert.is(toSqliteGlob(parseGlob('*/libopenblas*.so*')), '*/libopenblas*.so*');
  assert.is(toSqliteGlob(parseGlob('/opt/*')), '/opt/*');
  assert.is(toSqliteGlob(parseGlob('*blas*')), '*blas*');
  assert.is(parseGlob('/opt/*').exact, undefined);
});

test('a path without wildcards is exact (the stores use an equality lookup)', () => {
  assert.is(parseGlob('/lib/x86_64-linux-gnu/libc.so.6').exact, '/lib/x86_64-linux-gnu/libc.so.6');
  assert.is(parseGlob('/home/u/lib\\?/liby.so').exact, '/home/u/lib?/liby.so');
  assert.is(parseGlob('libc.so.6').exact, undefined, 'a file name matches in any directory');
});

test('store syntax in user input stays literal: [ ] for SQLite, \\ for Elasticsearch', () => {
  const g = parseGlob('/home/u/lib[1]/libx\\*.so');
  assert.is(toSqliteGlob(g), '/home/u/lib[[]1]/libx[*].so');
  assert.is(toEsWildcard(g), '/home/u/lib[1]/libx\\*.so');
  assert.is(toEsWildcard(parseGlob('/srv/odd\\\\name/*')), '/srv/odd\\\\name/*');
});

test('SQLite GLOB, the ES wildcard rendering and the RegExp agree on which paths match', () => {
  const db = new Database(':memory:');
  const glob = db.prepare('SELECT ? GLOB ?').pluck();
  const patterns = ['libopenblas*.so*', '*/lib?/*', '/home/u/lib[1]/libx\\*.so', '/home/u/lib\\?/*', 'lib?.so', '/srv/odd\\\\name/*', '*/libé.so', '/opt/blas??/*', '*'];
  for (const source of patterns) {
    const g = parseGlob(source);
    const bySqlite = PATHS.filter((p) => glob.get(p, toSqliteGlob(g)) === 1);
    const byRegExp = PATHS.filter((p) => toRegExp(g).test(p));
    assert.equal(bySqlite, byRegExp, source);
  }
  assert.equal(PATHS.filter((p) => toRegExp(parseGlob('/home/u/lib[1]/libx\\*.so')).test(p)), ['/home/u/lib[1]/libx*.so']);
  assert.equal(PATHS.filter((p) => toRegExp(parseGlob('*/libé.so')).test(p)), ['/data/café/libé.so']);
  db.close();
});

test('empty, overlong and dangling-escape patterns are refused with a reason', () => {
  assert.throws(() => parseGlob(''), /empty/);
  assert.throws(() => parseGlob('x'.repeat(4097)), /longer than 4096/);
  assert.throws(() => parseGlob('/opt/lib\\'), /lone "\\"/);
});

test.run();
