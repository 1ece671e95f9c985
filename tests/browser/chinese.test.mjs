// Chinese where people read: a duty officer, a commander, an inspector and a
// grid worker (gw<village>_1) open each of their pages, the public opens the
// publicity page and the sign-in page, and no visible text, option,
// placeholder, title, aria-label or button label holds an English word
// (three or more Latin letters, in a token without digits), apart from a
// short allow-list of technical names (below). The pages also say what the
// defect report asked for: the header names the user once, the warning
// detail shows the CAP identifier of the version shown, the case list names
// the enforcement matter beside its code, layer counts say they are for the
// view, alarms are sentences from their rule and value, and a wrong password
// says 用户名或密码错误. Screenshots in tests/out/screenshots/zh-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, PASSWORD, sleep } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

// Words allowed in what people read, each a name with no Chinese one in use:
//   CAP       the Common Alerting Protocol (the warning message standard; "CAP 标识", "CAP 报文")
//   PDF       the decision document's file format ("处罚决定书 (PDF)", evidence tiles)
//   JSON      the downloadable draw record's format (publicity: "下载抽取记录 (JSON)")
//   DataV, GeoAtlas   the boundary data's source, named in the map's attribution as its licence asks
//   Excel, CSV, GeoJSON   the file formats of the registry's import and export (数据导入导出: "导出 Excel")
// Tokens with a digit in them are codes and identifiers, not words: AQ-01, SHA-256,
// BLAKE2b-256, CAP identifiers (441523-20261206-63bc99d1-v3), seeds, device and user ids.
// A title marked data-detail="server" is the server's own message kept as a
// secondary detail (the brief allows it there, never as the main text).
const ALLOW = ['CAP', 'PDF', 'JSON', 'DataV', 'GeoAtlas', 'Excel', 'CSV', 'GeoJSON'];

let srv, browser;
let W, caseId, matter, drawId, gwUser, gwTask;
const errors = [];
const missing = [];     // i18n keys a page asked for and the table lacks
const RAIN = 'RG-LH-01'; // a rain gauge whose readings raise an alarm
const DESK = { viewport: { width: 1360, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
const inHours = (h) => new Date(Date.now() + h * 3600000).toISOString();
const iso = (ms) => new Date(ms).toISOString();

async function ok(r, status = 200) {
  assert.equal(r.status, status, r.text);
  return r.json;
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  const [admin, cmd, duty, insp] = await Promise.all(['admin', 'commander_441523', 'duty_officer_441523', 'inspector_441523_1'].map((u) => srv.login(u)));

  // a town warning with evacuation, issued and updated twice: version 3
  const w = await ok(await srv.req('POST', '/api/v1/warnings', { token: duty, body: {
    type: 'rainstorm', level: 'yellow', headline: '河田镇暴雨预警', evacuation: true, areas: ['441523100'], expires: inHours(6),
    description: '预计未来3小时河田镇降雨量将达50毫米以上。', instruction: '危险区域群众做好转移准备。',
  } }), 201);
  await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/submit`, { token: duty }));
  await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/approve`, { token: cmd }));
  await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/issue`, { token: duty }));
  await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/update`, { token: cmd, body: { level: 'orange' } }));
  W = await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/update`, { token: cmd, body: { level: 'red', headline: '河田镇暴雨红色预警' } }));
  assert.equal(W.version, 3);

  // a penalty case on a matter, a draw
  const ent = (await ok(await srv.req('GET', '/api/v1/enterprises?area=441523&limit=1', { token: insp }))).items[0];
  matter = (await ok(await srv.req('GET', '/api/v1/enforcement-matters', { token: insp }))).items.find((m) => m.code === 'AQ-01');
  caseId = (await ok(await srv.req('POST', '/api/v1/cases', { token: insp, body: { enterprise_id: ent.id, matter_code: 'AQ-01', title: matter.name } }), 201)).id;
  const plan = await ok(await srv.req('POST', '/api/v1/inspection-plans', { token: cmd, body: { name: '危险化学品企业双随机抽查', year: new Date().getFullYear(), sectors: ['hazardous_chemicals'], area_code: '441523', count: 2, inspectors_per: 2 } }), 201);
  drawId = (await ok(await srv.req('POST', `/api/v1/inspection-plans/${plan.id}/draw`, { token: cmd }), 201)).id;

  // an alarm: a city rule on an hour's rain, a gauge in 河田镇 that reports 60 mm
  await ok(await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '小时雨量超警戒', kind: 'threshold', level: 'orange', spec: { metric: 'rain_mm', op: '>=', value: 50, agg: 'sum', window_s: 3600, device_kinds: ['rain_gauge'] } } }), 201);
  const dev = await ok(await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: RAIN, kind: 'rain_gauge', area: '441523100', name: '河田镇雨量站' } }), 201);
  const now = Date.now();
  const lines = [
    { device: RAIN, ts: iso(now - 30 * 60000), lon: 115.65, lat: 23.3 },
    { device: RAIN, ts: iso(now - 20 * 60000), metric: 'rain_mm', value: 25 },
    { device: RAIN, ts: iso(now - 10 * 60000), metric: 'rain_mm', value: 35 },
  ];
  for (const l of lines) {
    const r = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${dev.key}` }, body: JSON.stringify(l) });
    assert.ok(r.status === 200 || r.status === 202, String(r.status));
  }
  for (let i = 0; i < 100; i++) {
    const a = await ok(await srv.req('GET', `/api/v1/alarms?device=${RAIN}`, { token: admin }));
    if (a.items.length) break;
    await sleep(100);
  }

  // the grid worker: gw<village>_1 of the warning's town, one with a transfer task if there is one
  const tasks = (await ok(await srv.req('GET', `/api/v1/warnings/${W.id}/tasks`, { token: cmd }))).items;
  const users = (await ok(await srv.req('GET', '/api/v1/users?role=grid_worker&area=441523100&limit=500', { token: admin }))).items;
  const first = users.filter((u) => /^gw\d+_1$/.test(u.username));
  gwTask = tasks.find((tk) => first.some((u) => u.id === tk.grid_worker.id)) || null;
  gwUser = gwTask ? first.find((u) => u.id === gwTask.grid_worker.id).username : first[0].username;
});

after(async () => {
  await browser?.close();
  if (srv) assert.equal((await srv.stop()).code, 0);
});

// English words a person could read on the page: visible text, options, placeholder / title /
// aria-label / alt of any element, input buttons' labels and the document title. Free text
// people entered into the registry (a record's 备注, tr[data-field="note"]) is data, not the UI's,
// and so is what a page marks data-userdata (the name of a file the person chose).
function englishOnPage(allow) {
  const tokenRe = /[A-Za-z0-9_][A-Za-z0-9_.\-/:@#+]*/g;
  const bad = [];
  const check = (where, s) => {
    for (const tok of String(s || '').match(tokenRe) || []) {
      if (/\d/.test(tok)) continue; // a code or an identifier
      for (const w of tok.match(/[A-Za-z]{3,}/g) || []) if (!allow.includes(w)) bad.push(`${where}: “${w}” in “${String(s).trim().slice(0, 100)}”`);
    }
  };
  // a text node is seen when it is laid out (a closed <details> lays out nothing but its summary)
  // in an element that is not hidden, transparent or invisible
  const range = document.createRange();
  const seen = (n) => {
    const folded = n.parentElement.closest('details:not([open])');
    if (folded && !n.parentElement.closest('summary')) return false;
    range.selectNodeContents(n);
    return range.getClientRects().length > 0 && n.parentElement.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!n.nodeValue.trim() || !el || el.closest('script, style, noscript, option, tr[data-field="note"] td, [data-userdata]')) continue;
    if (seen(n)) check(`text <${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}>`, n.nodeValue);
  }
  for (const o of document.querySelectorAll('option')) check('option', o.textContent);
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) {
      if (!el.hasAttribute(a)) continue;
      if (a === 'title' && el.dataset.detail === 'server') continue; // the server's words, a secondary detail
      check(`${a} <${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}>`, el.getAttribute(a));
    }
  }
  for (const el of document.querySelectorAll('input[type=button], input[type=submit]')) check('button', el.value);
  check('document.title', document.title);
  return bad;
}

async function newContext(opts = DESK) {
  const ctx = await browser.newContext(opts);
  ctx.on('page', watch);
  return ctx;
}
function watch(page) {
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'warning' && m.text().startsWith('i18n:')) missing.push(m.text()); });
}

// the page as it stands reads in Chinese; its screenshot for a person to look at
async function assertChinese(page, name) {
  await page.waitForTimeout(300);
  const bad = await page.evaluate(englishOnPage, ALLOW);
  await page.screenshot({ path: path.join(OUT, `zh-${name}.png`), fullPage: !name.startsWith('map') });
  assert.deepEqual(bad, [], `${name}: English a person reads`);
}

// the header: each part once (display name · role · area, the repeated ones left out)
async function assertWhoOnce(page) {
  await page.waitForFunction(() => /\S/.test(document.querySelector('#who')?.textContent || ''));
  const parts = (await page.textContent('#who')).split(' · ');
  assert.equal(new Set(parts).size, parts.length, `who repeats: ${parts.join(' · ')}`);
  return parts;
}

async function settleMap(page) {
  await page.waitForSelector('#children li');
  await page.waitForFunction(() => {
    const y = window.yingji;
    return y && [...y.state.layers].every((l) => y.loaded[l]) && !document.querySelector('#map-status.busy');
  }, null, { timeout: 30000 });
}

test('the sign-in page, and a wrong password: 用户名或密码错误', async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await page.goto(srv.base + '/');
  await page.waitForSelector('#login:not([hidden])');
  assert.equal(await page.textContent('#login-form button[type=submit]'), '登录');
  await assertChinese(page, 'login');
  await signIn(page, srv.base, 'duty_officer', 'not-the-password');
  await page.waitForSelector('#login-error .err-main');
  assert.equal(await page.textContent('#login-error .err-main'), '用户名或密码错误');
  // the server's words only folded away (详情) and as the title
  assert.equal(await page.isVisible('#login-error .err-detail-text'), false);
  await assertChinese(page, 'login-wrong');
  // the server's own words, asked for in Chinese (Accept-Language: zh-CN), are Chinese too
  assert.match(await page.textContent('#login-error .err-detail-text'), /^用户名或密码错误 · /);
  assert.equal(await page.getAttribute('#login-error .err-detail-text', 'lang'), 'zh-CN');
  await ctx.close();
});

test('the sign-in page throttles in Chinese: the sentence and the server\'s words', async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await page.goto(srv.base + '/');
  await page.waitForSelector('#login:not([hidden])');
  let main = '';
  for (let i = 0; i < 8 && !/频繁|稍后|过多/.test(main); i++) {
    await page.evaluate(() => { document.querySelector('#login-error').textContent = ''; });
    await signIn(page, srv.base, 'licensing_clerk', `wrong-${i}-password`);
    await page.waitForSelector('#login-error .err-main');
    main = await page.textContent('#login-error .err-main');
  }
  assert.doesNotMatch(main, /[A-Za-z]{3,}/, main);
  assert.match(await page.textContent('#login-error .err-detail-text'), /^登录失败次数过多，请 \d+ 秒后再试 · /);
  await assertChinese(page, 'login-throttled');
  await ctx.close();
});

test('duty officer: the map (counts for the view, an alarm in words), warnings, the form, enforcement', async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await signIn(page, srv.base, 'duty_officer', PASSWORD);
  await settleMap(page);
  assert.deepEqual(await assertWhoOnce(page), ['值班员', '汕尾市']);
  // the layer counts say they are for the current view
  assert.match(await page.textContent('#map-status'), /^当前视野内 · 企业 \d+/);
  assert.match(await page.getAttribute('#count-enterprises', 'title'), /视野/);
  assert.match(await page.textContent('#layers-note'), /视野/);
  await assertChinese(page, 'map-duty');


  // the alarm: a sentence from its facts and value
  await page.check('#layer-alarms');
  const mk = page.locator(`#map .leaflet-marker-icon.alarm-mk[data-device="${RAIN}"]`);
  await mk.waitFor({ timeout: 10000 });
  await mk.click();
  await page.waitForFunction(() => /雨量/.test(document.querySelector('.alarm-pop .msg')?.textContent || ''));
  assert.equal(await page.textContent('.alarm-pop .msg'), '1 小时内雨量累计 60 mm (达到 50 mm)');
  assert.match(await page.textContent('.alarm-pop .tt'), /橙色 小时雨量超警戒/);
  await assertChinese(page, 'map-alarm');
  // the words come from the alarm's own facts, not from its rule (which may be another area's)
  const fromFacts = await page.evaluate(() => window.yingji.positions.alarmText({ rule_kind: 'threshold', device: 'X', value: 60, metric: 'rain_mm', aggregation: 'sum', window_s: 3600, comparison: '>=', threshold: 50 }));
  assert.equal(fromFacts, '1 小时内雨量累计 60 mm (达到 50 mm)');

  // search, a shelter's detail with its fields and values, the resources nearby
  await page.fill('#search', '避难');
  await page.waitForSelector('#search-results li.hit');
  await assertChinese(page, 'map-search');
  await page.click('#search-results li.hit[data-layer="shelters"]');
  await page.waitForSelector('#detail:not([hidden]) [data-field="capacity"]');
  await page.click('#nearby-btn');
  await page.waitForSelector('#nearby-list li.summary');
  await assertChinese(page, 'map-detail');
  await page.click('#detail-close');

  await page.goto(`${srv.base}/warnings.html#w/${W.id}`);
  await page.waitForSelector('#wv-ident[data-identifier]');
  await assertChinese(page, 'warnings-duty');
  await page.goto(`${srv.base}/warnings.html#new`);
  await page.waitForSelector('#area-tree li[data-code="441500"]');
  await assertChinese(page, 'warning-form');
  // the server refuses a draft without a headline: the form says which field, in Chinese
  await page.click('#form-save');
  await page.waitForSelector('#form-error .err-main');
  assert.match(await page.textContent('#form-error .err-main'), /^保存失败: .*标题/);
  await assertChinese(page, 'warning-form-refused');
  await page.goto(`${srv.base}/enforce.html`);
  await page.waitForSelector('#tasks .empty, #task-table');
  await assertWhoOnce(page);
  await assertChinese(page, 'enforce-duty');
  // 数据导入导出: the page, and the preview of a file with a bad cell (the server's words are not the text)
  await page.goto(`${srv.base}/data.html`);
  await page.waitForSelector('#data-main:not([hidden])');
  await assertChinese(page, 'data');
  await page.selectOption('#entity', 'shelters');
  await page.setInputFiles('#file', { name: '避难场所.csv', mimeType: 'text/csv', buffer: Buffer.from('编号,名称,容纳人数\n100,河田镇避难点,很多\n') });
  await page.waitForSelector('#rows tr[data-action="refused"] li');
  await assertChinese(page, 'data-refused');
  await ctx.close();
});

test('commander: the loop on the map, the warning shows version 3\'s identifier, cases with the matter\'s name', async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await signIn(page, srv.base, 'commander', PASSWORD);
  await settleMap(page);
  assert.deepEqual(await assertWhoOnce(page), ['指挥长', '汕尾市']);
  await page.goto(`${srv.base}/?loop=${W.id}`);
  await page.waitForSelector('#loop-legend .live.live');
  await page.waitForFunction(() => window.yingji.loop && window.yingji.loop.drawn >= 1);
  await settleMap(page);
  // zoomed in to the town: the counts are of what is in view, not of what was loaded around it
  const inViewNow = () => {
    const y = window.yingji, b = y.map.getBounds();
    const v = { shown: document.querySelector('#count-enterprises').textContent, n: y.loaded.enterprises.markers.filter((m) => b.contains(m.getLatLng())).length, all: y.loaded.enterprises.count };
    v.settled = !y.map._animatingZoom && v.shown === String(v.n);
    return v;
  };
  await page.waitForFunction(`(${inViewNow})().settled`, null, { timeout: 5000 }); // the count follows the view
  const inView = await page.evaluate(inViewNow);
  assert.ok(inView.n < inView.all, `fewer in the town's view (${inView.n}) than loaded (${inView.all})`);
  assert.match(await page.textContent('#map-status'), new RegExp(`企业 ${inView.n}\\b`));
  await assertChinese(page, 'map-loop');

  // the warning detail: the identifier of the version shown (its CAP message's), not version 1's
  await page.goto(`${srv.base}/warnings.html#w/${W.id}`);
  await page.waitForSelector('#wv-ident[data-identifier]');
  const cap = await (await page.request.get(`${srv.base}/api/v1/warnings/${W.id}/cap?version=3`)).text();
  const ident3 = /<identifier>([^<]+)<\/identifier>/.exec(cap)[1];
  assert.notEqual(ident3, W.identifier);
  assert.equal(await page.textContent('#wv-ident'), ident3);
  assert.equal(await page.getAttribute('#wv-ident-row', 'data-identifier'), ident3);
  assert.match(await page.textContent('#wv-head .ver'), /第 3 版/);
  assert.equal(await page.getAttribute('#cap-link', 'href'), `/api/v1/warnings/${W.id}/cap?version=3`);
  await page.waitForSelector('#task-table tbody tr');
  await assertChinese(page, 'warning-v3');

  // the case list: AQ-01 with its name
  await page.goto(`${srv.base}/enforce.html#cases`);
  const row = page.locator(`#case-table tr[data-id="${caseId}"]`);
  await row.waitFor();
  assert.equal(await row.locator('td.matter').textContent(), `AQ-01 ${matter.name}`);
  await assertChinese(page, 'cases');
  await page.goto(`${srv.base}/enforce.html#case/${caseId}`);
  await page.waitForSelector(`#case[data-id="${caseId}"]`);
  await assertChinese(page, 'case');
  await page.goto(`${srv.base}/enforce.html#review`);
  await page.waitForSelector('#review .empty, #review .rv-card');
  await assertChinese(page, 'review');
  await page.goto(`${srv.base}/enforce.html#draws`);
  await page.waitForSelector('#plan-table');
  await assertChinese(page, 'draws');
  await page.goto(`${srv.base}/enforce.html#draw/${drawId}`);
  await page.waitForSelector('#draw-seed');
  await page.click('#verify-btn');
  await page.waitForSelector('#verify-result[data-verified="true"]');
  await assertChinese(page, 'draw');
  await ctx.close();
});

test('inspector: tasks, hazards, cases, draws', async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await signIn(page, srv.base, 'inspector', PASSWORD);
  await page.waitForURL(/\/enforce\.html/);
  await page.waitForSelector('#tasks .empty, #task-table');
  await assertWhoOnce(page);
  await assertChinese(page, 'inspector-tasks');
  await page.click('#new-inspection');
  await page.waitForSelector('#new-inspection-form');
  await assertChinese(page, 'inspector-new-inspection');
  for (const [hash, sel] of [['#hazards', '#hazard-list .empty, #hazard-list .hz-card'], ['#cases', '#case-table'], ['#draws', '#plan-table']]) {
    await page.goto(`${srv.base}/enforce.html${hash}`);
    await page.waitForSelector(sel);
    await assertChinese(page, `inspector-${hash.slice(1)}`);
  }
  await page.goto(`${srv.base}/enforce.html#cases?new=1`);
  await page.waitForSelector('#new-case-form');
  await assertChinese(page, 'inspector-new-case');
  await ctx.close();
});

test('grid worker (phone): inbox, the warning, transfer tasks', async () => {
  const ctx = await newContext(PHONE);
  const page = await ctx.newPage();
  await signIn(page, srv.base, gwUser, PASSWORD);
  await page.waitForURL(/\/gw\.html/);
  await page.waitForSelector(`#gw-inbox li[data-id="${W.id}"]`);
  const who = await assertWhoOnce(page);
  assert.equal(who[1], '网格员');
  await assertChinese(page, 'gw-inbox');
  await page.click(`#gw-inbox li[data-id="${W.id}"]`);
  await page.waitForSelector('#warn-headline');
  await assertChinese(page, 'gw-warning');
  await page.click('#tab-tasks');
  await page.waitForSelector('#gw-tasks li, #tasks-empty:not([hidden])');
  await assertChinese(page, 'gw-tasks');
  if (gwTask) {
    await page.goto(`${srv.base}/gw.html#t/${gwTask.id}`);
    await page.waitForSelector('#report-form:not([hidden])');
    await page.waitForSelector('#report-shelter[data-loaded]');
    await assertChinese(page, 'gw-task');
  }
  await ctx.close();
});

test('the public: penalties, draws, licences', async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/publicity.html`);
  await page.waitForSelector('#pen-summary');
  await assertChinese(page, 'publicity');
  await page.click('#pub-tabs button[data-tab="draws"]');
  await page.waitForSelector('.draw-pub');
  await page.click('.draw-pub .verify-btn');
  await page.waitForSelector('.draw-pub .verify-out[data-verified="true"]');
  await assertChinese(page, 'publicity-draws');
  await page.click('#pub-tabs button[data-tab="licences"]');
  await page.waitForSelector('#licence-empty, #licence-table');
  await assertChinese(page, 'publicity-licences');
  await ctx.close();
  assert.deepEqual(missing, [], 'every string the pages asked for is in the table');
  assert.deepEqual(errors, []);
});
