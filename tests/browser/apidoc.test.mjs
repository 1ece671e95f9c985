// The API description page (web/api.html): an admin finds 接口说明 in the
// map's top bar, opens it and sees the operations of the OpenAPI document
// rendered by swagger-ui from /vendor with the session cookie alone, no
// request leaving the machine; other roles have no link; a visitor who is
// not signed in is sent to sign in and brought back. Screenshot in
// tests/out/screenshots/apidoc.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('an admin opens 接口说明 from the map and sees the operations', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [], outside = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (!r.url().startsWith(srv.base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  await signIn(page, srv.base, 'admin', PASSWORD);
  const link = page.locator('#nav-api');
  await link.waitFor({ state: 'visible' });
  assert.equal(await link.textContent(), '接口说明');
  await link.click();
  await page.waitForURL(/\/api\.html$/);
  await page.waitForSelector('.opblock-summary-path', { timeout: 30000 });
  // swagger-ui renders the operations as they scroll into view: scroll through, noting each one listed
  const total = await page.evaluate(() => window.ui.specSelectors.operations().size);
  const listed = new Set();
  for (let i = 0, still = 0; i < 2000 && still < 20; i++) {
    const before = listed.size;
    for (const k of await page.$$eval('.opblock', (els) => els.map((e) => `${e.querySelector('.opblock-summary-method')?.textContent} ${e.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`))) listed.add(k);
    await page.evaluate(() => window.scrollBy(0, 600));
    await page.waitForTimeout(20);
    const atEnd = await page.evaluate(() => window.innerHeight + window.scrollY >= document.body.scrollHeight - 2);
    still = atEnd && listed.size === before ? still + 1 : 0;
  }
  const doc = await (await page.request.get(`${srv.base}/api/v1/openapi.json`)).json();
  const want = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  assert.ok(want > 100);
  assert.equal(total, want, 'swagger-ui loaded the whole document');
  assert.equal(listed.size, want, 'every operation is listed on the page');
  assert.ok(listed.has('GET /api/v1/areas/{code}'), 'the areas are listed');
  await page.evaluate(() => window.scrollTo(0, 0));
  assert.match(await page.textContent('.info .title'), /yingji/);
  assert.match(await page.title(), /接口说明/);
  assert.match(await page.textContent('#who'), /admin|管理员/);
  // the summary http_route_doc gave the route
  await page.goto(`${srv.base}/api.html#/areas`);
  const area = page.locator('.opblock-summary-path[data-path="/api/v1/areas/{code}"]').first();
  await area.waitFor();
  assert.match(await page.locator('.opblock', { has: area }).textContent(), /One area: name, kind/);
  await area.click();
  await page.waitForSelector('.opblock.is-open .parameters');
  assert.match(await page.textContent('.opblock.is-open'), /geometry/);
  await page.screenshot({ path: path.join(OUT, 'apidoc.png') });
  assert.deepEqual(errors, []);
  assert.deepEqual(outside, [], 'the page works offline');
  await page.close();
});

test('a duty officer has no link; a visitor is sent to sign in and back', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, srv.base, 'duty_officer', PASSWORD);
  await page.waitForSelector('#children li');
  assert.equal(await page.locator('#nav-api').isVisible(), false);
  await ctx.close();

  const anon = await browser.newContext();
  const p2 = await anon.newPage();
  await p2.goto(`${srv.base}/api.html`);
  await p2.waitForURL(/\/\?next=%2Fapi\.html/);
  await p2.fill('input[name=username]', 'admin');
  await p2.fill('input[name=password]', PASSWORD);
  await p2.click('button[type=submit]');
  await p2.waitForURL(/\/api\.html$/);
  await p2.waitForSelector('.opblock-summary-path', { timeout: 30000 });
  await anon.close();
});
