/**
 * The dashboard in a real browser (Debian's chromium through playwright-core;
 * no browser download): the counters move after records arrive through the
 * real pipeline, a signature lookup lists the affected jobs, and values from
 * user processes (a `<script>` command line, an `<img onerror>` environment
 * value) render as text — no dialog fires, no element is created. Saves the
 * screenshot the README shows (docs/img/dashboard.png).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/server.ts';
import { FIXTURE, SIG_BLAS, XSS, startStoreServer, type StoreServer, loudly } from '../core/queries/store-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
// The README's picture is refreshed only on request (OGRT_UPDATE_SCREENSHOT=1),
// so that `npm test` leaves the work tree as it found it.
const SCREENSHOT = process.env.OGRT_UPDATE_SCREENSHOT === '1'
  ? path.join(REPO_ROOT, 'docs/img/dashboard.png')
  : path.join(os.tmpdir(), `ogrt-dashboard-${process.pid}.png`);

let s: StoreServer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

test.before(loudly(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install chromium)`);
  s = await startStoreServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}));

test.after(async () => {
  await browser?.close();
  await s?.close();
});

/** Text of the Processed cell of a metrics table's first row. */
const processed = (table: 'inputs' | 'outputs') => page.locator(`[data-testid=${table}] tbody tr:first-child td.processed`);

test('the metrics tables show every input and output, and their counters move when records arrive', async () => {
  await page.goto(`${s.url}/?refresh=250`);
  await page.locator('[data-testid=outputs] tbody tr').first().waitFor();
  assert.equal(await page.locator('[data-testid=inputs] tbody tr td:first-child').allTextContents(), ['direct']);
  assert.equal(await page.locator('[data-testid=outputs] tbody tr td:first-child').allTextContents(), ['store']);
  assert.is(await processed('outputs').textContent(), '0');

  await s.send(FIXTURE);
  await s.waitStored(FIXTURE.length);
  await page.waitForFunction(
    (n) => [...document.querySelectorAll('td.processed')].map((td) => td.textContent).join(',') === `${n},${n}`,
    FIXTURE.length,
    { timeout: 5_000 },
  );
  assert.is(await processed('inputs').textContent(), String(FIXTURE.length));
  assert.is(await processed('outputs').textContent(), String(FIXTURE.length));
  // The rates are EWMAs that tick every 5 s: the first tick after the records moves the 1m rate off zero.
  await page.waitForFunction(() => {
    const cell = document.querySelector('[data-testid=outputs] tbody tr:first-child td:nth-child(4)');
    return cell !== null && cell.textContent !== '0.00';
  }, undefined, { timeout: 8_000 });
});

test('the queries say which store answers them, by its path relative to ogrt.conf', async () => {
  assert.is(await page.locator('#backend').textContent(), 'Answered from sqlite data/ogrt.db.');
});

test('a signature lookup lists the affected jobs, as the 2017 dashboard did', async () => {
  await page.selectOption('#affected-by', 'signature');
  await page.fill('#affected-value', SIG_BLAS);
  await page.click('#affected-form button[type=submit]');
  const ids = page.locator('[data-testid=affected-job-ids]');
  await ids.waitFor();
  assert.is(await ids.textContent(), '100, 101, (no job)');
  assert.equal(await page.locator('[data-testid=affected-jobs] tbody tr td:first-child').allTextContents(), ['100', '101', '(no job)']);
  assert.match((await page.locator('[data-testid=affected-summary]').textContent()) ?? '', /^3 affected job\(s\) for signature b73c604d/);
});

test('a command line with <script> and an environment value with <img onerror> render as text', async () => {
  await page.fill('#job-id', '103');
  await page.click('#job-form button[type=submit]');
  await page.locator('[data-testid=job-processes]').waitFor();
  const cmdline = page.locator('[data-testid=job-processes] tbody tr:first-child td.cmdline');
  assert.is(await cmdline.textContent(), XSS);
  await page.locator('[data-testid=job-processes] details').last().locator('summary').click();
  assert.ok((await page.locator('#job-result').textContent())?.includes('NOTE=<img src=x onerror=alert(2)>'));
  const injected = await page.evaluate(() => document.querySelectorAll('main script, main img, main [onerror]').length);
  assert.is(injected, 0, 'no element was created from user data');
  assert.equal(dialogs, [], 'no dialog fired');
  assert.equal(pageErrors, [], 'no script errors');
});

test('clicking a job id opens its story; the census runs; screenshot for the README', async () => {
  await page.locator('[data-testid=affected-jobs] button[data-job="100"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=job-summary]')?.textContent?.startsWith('Job 100:') === true);
  await page.selectOption('#census-sort', 'users');
  await page.click('#census-form button[type=submit]');
  await page.locator('[data-testid=census-user-built]').waitFor();
  assert.is(await page.locator('[data-testid=census-executables-title]').textContent(), 'Top executables by users');
  assert.is(await page.locator('[data-testid=census-executables] tbody tr:first-child td:first-child').textContent(), '/usr/bin/python3');
  assert.equal(await page.locator('[data-testid=census-user-built] tbody tr td:first-child').allTextContents(), [
    '/home/alice/bin/simuser-built',
    '/scratch/carol/a.outuser-built',
  ]);
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.ok(existsSync(SCREENSHOT));
  assert.equal(dialogs, []);
});

test('token mode (non-loopback bind): the page asks for the token, then shows the data', async () => {
  const token = 'e2e-dashboard-token-7f3a';
  const secured = await startStoreServer({ listen: '0.0.0.0:0', dashboard: 'token_file = "token"', files: { token } });
  const tab = await browser.newPage();
  try {
    await tab.goto(`${secured.url}/?refresh=250`);
    await tab.locator('#login').waitFor({ state: 'visible' });
    assert.is(await tab.locator('[data-testid=outputs] tbody tr').count(), 0, 'no data without the token');
    await tab.fill('#token', 'wrong');
    await tab.click('#login button[type=submit]');
    await tab.locator('#login').waitFor({ state: 'visible' });
    await tab.fill('#token', token);
    await tab.click('#login button[type=submit]');
    await tab.locator('[data-testid=outputs] tbody tr').first().waitFor();
    assert.equal(await tab.locator('[data-testid=outputs] tbody tr td:first-child').allTextContents(), ['store']);
    assert.ok(await tab.locator('#login').isHidden());
  } finally {
    await tab.close();
    await secured.close();
  }
});

test.run();
