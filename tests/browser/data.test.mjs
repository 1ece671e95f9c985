// 数据导入导出 (web/data.html): an admin opens the page from the map's top
// bar, exports 避难场所 of 陆河县 as Excel (a workbook arrives, named by
// type, area and day), imports a CSV made from the CSV export with one name
// changed — the preview says 1 更新 and the rest 未变, 确认导入 writes it and
// the API has the new name — and a file with a bad cell shows the row, the
// column and the reason in Chinese with 确认导入 disabled. A role that may
// not import has no link, and the API refuses it. Screenshots in
// tests/out/screenshots/data-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); if (srv) assert.equal((await srv.stop()).code, 0); });

const DESK = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true };
const count = (page, action) => page.textContent(`#counts [data-action="${action}"] b`).then(Number);

test('admin: export 避难场所 as Excel, preview and import a CSV with one name changed, a bad row refused', async () => {
  const ctx = await browser.newContext(DESK);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, 'admin', PASSWORD);
  const link = page.locator('#nav-data');
  await link.waitFor({ state: 'visible' });
  assert.equal(await link.textContent(), '数据导入导出');
  await link.click();
  await page.waitForURL(/\/data\.html$/);
  await page.waitForSelector('#data-main:not([hidden])');
  await page.selectOption('#entity', 'shelters');
  await page.selectOption('#area1', '441523');

  // export: a workbook, named 避难场所-441523-<day>.xlsx
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export button[data-format="xlsx"]')]);
  assert.match(dl.suggestedFilename(), /^避难场所-441523-\d{4}-\d\d-\d\d\.xlsx$/);
  const xlsx = readFileSync(await dl.path());
  assert.equal(xlsx.subarray(0, 2).toString('latin1'), 'PK');
  await page.waitForFunction(() => /已下载/.test(document.querySelector('#export-status').textContent));

  // the CSV export with one name changed
  const token = await srv.login('admin');
  const csv = (await srv.req('GET', '/api/v1/shelters?area=441523&format=csv', { token })).text;
  const lines = csv.split(/\r?\n/).filter(Boolean);
  const cells = lines[1].split(',');
  const id = Number(cells[0].replace(/^\uFEFF/, ''));
  const newName = `${cells[1]}(已改名)`;
  cells[1] = newName;
  const changed = [lines[0], cells.join(','), ...lines.slice(2)].join('\r\n') + '\r\n';
  const good = path.join(srv.dir, '避难场所-改名.csv');
  writeFileSync(good, changed);
  await page.setInputFiles('#file', good);
  await page.waitForSelector('#preview:not([hidden])');
  assert.equal(await count(page, 'updated'), 1);
  assert.equal(await count(page, 'unchanged'), lines.length - 2);
  assert.equal(await count(page, 'created'), 0);
  assert.equal(await count(page, 'refused'), 0);
  const upd = page.locator('#rows tr[data-action="updated"]');
  assert.equal(await upd.count(), 1);
  assert.match(await upd.textContent(), /^2更新.*修改: 名称$/);
  assert.equal(await page.isEnabled('#confirm'), true);
  await page.screenshot({ path: path.join(OUT, 'data-preview.png'), fullPage: true });

  // confirm: the result, and the API has the new name
  await page.click('#confirm');
  await page.waitForSelector('#result:not([hidden])');
  assert.match(await page.textContent('#result'), /新增 0 条, 更新 1 条, 未变 \d+ 条/);
  await page.screenshot({ path: path.join(OUT, 'data-result.png'), fullPage: true });
  const rec = await srv.req('GET', `/api/v1/shelters/${id}`, { token });
  assert.equal(rec.json.name, newName);

  // a bad cell in row 3 (容纳人数 not a number): row, column and reason; no import
  const header = lines[0].replace(/^\uFEFF/, '').split(',');
  const cap = header.indexOf('容纳人数');
  assert.ok(cap > 0);
  const row3 = lines[2].split(',');
  row3[cap] = '很多';
  const badFile = path.join(srv.dir, '避难场所-有误.csv');
  writeFileSync(badFile, [lines[0], lines[1], row3.join(','), ...lines.slice(3)].join('\r\n') + '\r\n');
  await page.setInputFiles('#file', badFile);
  await page.waitForSelector('#preview:not([hidden])');
  assert.equal(await count(page, 'refused'), 1);
  const bad = page.locator('#rows tr[data-action="refused"]');
  assert.equal(await bad.getAttribute('data-row'), '3');
  const letter = String.fromCharCode(65 + cap);
  assert.equal(await bad.locator('li').textContent(), `${letter} 列 (容纳人数): 应为整数`);
  assert.match(await page.textContent('#preview-note'), /不能导入/);
  assert.equal(await page.isEnabled('#confirm'), false);
  await page.screenshot({ path: path.join(OUT, 'data-problem.png'), fullPage: true });

  // not a readable file: said in Chinese, naming the file
  const junk = path.join(srv.dir, '损坏.xlsx');
  writeFileSync(junk, 'not a workbook');
  await page.setInputFiles('#file', junk);
  await page.waitForSelector('#import-error:not([hidden]) .err-main');
  assert.match(await page.textContent('#import-error .err-main'), /^导入失败: 文件无法读取/);
  assert.equal(await page.isVisible('#preview'), false);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a role that may not import has no link, and the API refuses it', async () => {
  const ctx = await browser.newContext(DESK);
  const page = await ctx.newPage();
  await signIn(page, srv.base, 'licensing_clerk', PASSWORD);
  await page.locator('#nav-warnings').waitFor({ state: 'visible' });
  assert.equal(await page.isVisible('#nav-data'), false);
  const token = await srv.login('licensing_clerk');
  const r = await srv.req('POST', '/api/v1/import/shelters?dry_run=1', { token, raw: '名称,区划代码\n新避难点,441523\n', headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 403);
  // opened directly, the page says so and offers nothing
  await page.goto(`${srv.base}/data.html`);
  await page.waitForFunction(() => /不能导入/.test(document.querySelector('#data-status').textContent));
  assert.equal(await page.isVisible('#data-main'), false);
  await ctx.close();
});
