// A user signs in, sees the area map of their jurisdiction, drills into a
// county; a wrong password shows the error. Screenshots in tests/out/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('wrong password shows the error and stays on the login page', async () => {
  const page = await browser.newPage();
  await signIn(page, srv.base, 'commander', 'not-the-password');
  await page.waitForSelector('#login-error:not(:empty)');
  assert.match(await page.textContent('#login-error .err-main'), /^用户名或密码错误$/);
  await page.close();
});

test('commander signs in, sees the city, opens 陆河县', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, 'commander', PASSWORD);
  await page.waitForSelector('#children li');
  assert.match(await page.textContent('#area-title'), /汕尾市/);
  assert.equal(await page.locator('#children li').count(), 4);
  await page.waitForSelector('.leaflet-interactive');
  await page.screenshot({ path: path.join(OUT, 'login-city.png') });
  await page.click('#children li[data-code="441523"]');
  await page.waitForFunction(() => document.querySelector('#area-title').textContent.includes('陆河县'));
  await page.waitForSelector('#children li[data-code^="441523"]');
  assert.equal(await page.locator('#children li').count(), 8);
  await page.screenshot({ path: path.join(OUT, 'login-county.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
