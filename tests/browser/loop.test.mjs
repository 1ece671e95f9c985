// The closed loop in the browser: a town warning with evacuation, drafted by
// the county duty officer, approved by the county commander, issued. A grid
// worker of the town (phone) sees it, opens it, acknowledges, and reports
// moved persons for their transfer task, the first POST failing offline and
// the retry's answer lost on the way back: the report counts exactly once.
// The commander's loop view shows it and moves without reload when someone
// else acknowledges; the command map colours the towns by closure.
// Screenshots in tests/out/screenshots: gw-inbox, gw-acked, gw-task, loop-console, loop-map.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, PASSWORD, sleep } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser, admin, cmd, duty;
let W0, W, W2, task, gwName, users, towns;
const villages = [];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESK = { viewport: { width: 1360, height: 860 } };
const inHours = (h) => new Date(Date.now() + h * 3600000).toISOString();

async function ok(r, status = 200) {
  assert.equal(r.status, status, r.text);
  return r.json;
}
// draft by the duty officer, approved by the commander, issued
async function issue(body) {
  const w = await ok(await srv.req('POST', '/api/v1/warnings', { token: duty, body }), 201);
  await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/submit`, { token: duty }));
  await ok(await srv.req('POST', `/api/v1/warnings/${w.id}/approve`, { token: cmd }));
  return ok(await srv.req('POST', `/api/v1/warnings/${w.id}/issue`, { token: duty }));
}
async function ackAs(username, warningId) {
  const t = await srv.login(username);
  return ok(await srv.req('POST', `/api/v1/me/inbox/${warningId}/ack`, { token: t }));
}
async function until(fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) { const v = await fn(); if (v || Date.now() > end) return v; await sleep(100); }
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  [admin, cmd, duty] = await Promise.all(['admin', 'commander_441523', 'duty_officer_441523'].map((u) => srv.login(u)));
  // an older warning of the town, already acknowledged by everyone we look at
  W0 = await issue({
    type: 'high_temperature', level: 'yellow', headline: '河田镇高温黄色预警', areas: ['441523100'], expires: inHours(30),
    description: '预计今天最高气温将升至37℃以上。', instruction: '注意防暑降温, 避免午后户外作业。',
  });
  W = await issue({
    type: 'rainstorm', level: 'red', headline: '河田镇暴雨红色预警', evacuation: true, areas: ['441523100'], expires: inHours(6),
    description: '受强降雨影响, 预计未来3小时河田镇降雨量将达100毫米以上, 山洪、滑坡风险极高。',
    instruction: '立即组织地质灾害隐患点、低洼地带群众转移至避难场所; 网格员确认收到后上报转移人数。',
  });
  const tasks = (await ok(await srv.req('GET', `/api/v1/warnings/${W.id}/tasks`, { token: cmd }))).items;
  assert.ok(tasks.length > 0, 'the warning made transfer tasks');
  task = tasks.find((t) => t.planned >= 10) || tasks[0];
  users = (await ok(await srv.req('GET', '/api/v1/users?role=grid_worker&area=441523100&limit=500', { token: admin }))).items;
  gwName = users.find((u) => u.id === task.grid_worker.id).username;
  await ackAs(gwName, W0.id);
  towns = (await ok(await srv.req('GET', '/api/v1/areas?parent=441523', { token: cmd }))).items.filter((a) => a.level === 'town');
  for (const t of towns) {
    const v = (await ok(await srv.req('GET', `/api/v1/areas?parent=${t.code}`, { token: cmd }))).items[0];
    if (v) villages.push(v.code);
  }
  W2 = await issue({ type: 'typhoon', level: 'orange', headline: '陆河县台风橙色预警', areas: villages, expires: inHours(8), description: '台风将于今夜登陆, 阵风 12 级', instruction: '做好防风准备, 加固门窗, 危房人员转移' });
});
after(async () => { await browser?.close(); if (srv) assert.equal((await srv.stop()).code, 0); });

// The form test runs first; every warning is issued in before(). (Lifecycle
// actions on a warning nobody has been told of, while inbox streams are open,
// are covered by tests/api/warnings.test.mjs: dispatch tells inboxes only of
// a warning's events, and never with an empty set of users.)
test('duty officer drafts in the form, submits; approving is refused with the server\'s reason', async () => {
  const ctx = await browser.newContext(DESK);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, 'duty_officer_441523', PASSWORD);
  await page.waitForSelector('#nav-warnings:not([hidden])');
  await page.goto(srv.base + '/warnings.html');
  await page.click('#new-warning');
  await page.waitForSelector('#warn-form:not([hidden])');
  await page.selectOption('#f-type', 'geological');
  await page.click('.lvopt-orange');
  await page.fill('#f-headline', '河田镇地质灾害橙色预警 (测试)');
  await page.fill('#f-description', '持续降雨, 滑坡风险高');
  await page.fill('#f-instruction', '隐患点群众做好转移准备');
  // the area tree: 陆河县 is open; tick 河田镇
  await page.waitForSelector('#area-tree li[data-code="441523100"]');
  await page.check('#area-cb-441523100');
  assert.match(await page.textContent('#area-picked'), /河田镇/);
  await page.screenshot({ path: path.join(OUT, 'warn-form.png') });
  await page.click('#form-save');
  await page.waitForSelector('#warn-view:not([hidden])[data-state="draft"]');
  const id = Number(await page.getAttribute('#warn-view', 'data-id'));
  const w = await ok(await srv.req('GET', `/api/v1/warnings/${id}`, { token: cmd }));
  assert.deepEqual(w.areas, ['441523100']);
  assert.equal(w.level, 'orange');
  assert.equal(w.type, 'geological');

  await page.click('#wv-actions button[data-action="submit"]');
  await page.waitForSelector('#warn-view[data-state="submitted"]');
  // the duty officer who wrote it is offered no approval (two-person rule, commanders only) …
  assert.equal(await page.locator('#wv-actions button[data-action="approve"]').count(), 0);
  // … and the server refuses it anyway if asked directly
  const dutyToken = await srv.login('duty_officer_441523');
  const refused = await srv.req('POST', `/api/v1/warnings/${id}/approve`, { token: dutyToken });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.reason, 'commander_only');
  assert.equal(refused.json.error.message, '只有指挥长可以批准预警');
  await page.screenshot({ path: path.join(OUT, 'warn-refused.png') });
  assert.equal((await ok(await srv.req('GET', `/api/v1/warnings/${id}`, { token: cmd }))).state, 'submitted');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('grid worker (phone): inbox, open, acknowledge, report moved persons offline-tolerant', async () => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, gwName, PASSWORD);
  await page.waitForURL(/\/gw\.html/);

  // the inbox: the warning, red, unread, with its expiry
  const item = page.locator(`#gw-inbox li.warn-item[data-id="${W.id}"]`);
  await item.waitFor();
  assert.equal(await item.getAttribute('data-level'), 'red');
  assert.equal(await item.getAttribute('data-state'), 'delivered');
  assert.match(await item.textContent(), /河田镇暴雨红色预警/);
  assert.match(await item.textContent(), /未读/);
  assert.match(await item.textContent(), /有效至/);
  assert.equal(await page.textContent('#inbox-badge'), '1');
  // newest first; the older one is acknowledged
  assert.equal(await page.getAttribute('#gw-inbox li.warn-item >> nth=0', 'data-id'), String(W.id));
  const older = page.locator(`#gw-inbox li.warn-item[data-id="${W0.id}"]`);
  assert.equal(await older.getAttribute('data-state'), 'acknowledged');
  assert.match(await older.textContent(), /已确认/);
  await page.waitForFunction(() => document.querySelector('#net-status').classList.contains('on')); // the stream is live
  await page.screenshot({ path: path.join(OUT, 'gw-inbox.png') });

  // open: description and instruction; opening marks it read
  await item.click();
  await page.waitForSelector(`#warn-detail[data-id="${W.id}"]:not([hidden])`);
  assert.equal(await page.textContent('#warn-description'), W.description);
  assert.equal(await page.textContent('#warn-instruction'), W.instruction);
  await page.waitForSelector('#warn-detail[data-state="read"]');
  await page.screenshot({ path: path.join(OUT, 'gw-warning.png') });

  // acknowledge (the big button)
  await page.click('#ack-btn');
  await page.waitForSelector('#warn-detail[data-state="acknowledged"]');
  assert.match(await page.textContent('#ack-btn'), /已确认收到/);
  assert.ok(await page.isDisabled('#ack-btn'));
  // the ack's answer is the recipient record and the warning's version and state: the page keeps the rest
  assert.match(await page.textContent('#warn-detail'), /河田镇暴雨红色预警/);
  assert.match(await page.textContent('#warn-detail'), /立即组织地质灾害隐患点/);
  await page.screenshot({ path: path.join(OUT, 'gw-acked.png') });
  const loop1 = await ok(await srv.req('GET', `/api/v1/warnings/${W.id}/loop`, { token: cmd }));
  assert.equal(loop1.totals.states.acknowledged, 1);

  // the task: risk point, planned / moved
  await page.click('#tab-tasks');
  const card = page.locator(`#gw-tasks li.task-item[data-id="${task.id}"]`);
  await card.waitFor();
  assert.match(await card.textContent(), new RegExp(task.risk_point.name));
  assert.match(await card.locator('.planned').textContent(), new RegExp(`^${task.planned.toLocaleString('zh-CN')}$`));
  await card.click();
  await page.waitForSelector(`#task-detail[data-id="${task.id}"]:not([hidden]) #report-form:not([hidden])`);
  // shelters within 5 km of the risk point, as far as the grid worker may see them (the demo's
  // shelters belong to the town, its grid workers to villages: often none)
  const gwToken = await srv.login(gwName);
  const nearby = await ok(await srv.req('GET', `/api/v1/nearby?lon=${task.risk_point.point[0]}&lat=${task.risk_point.point[1]}&radius_m=5000&layers=shelters`, { token: gwToken }));
  if (nearby.items.length) await page.waitForSelector(`#report-shelter option[value="${nearby.items[0].id}"]`, { state: 'attached' });
  else await page.waitForSelector('#report-shelter[data-loaded]', { state: 'attached' });

  // offline: the report is kept on the phone
  const moved = Math.max(1, Math.min(12, task.planned - 1));
  await ctx.setOffline(true);
  await page.waitForSelector('#net-status.off');
  await page.fill('#report-moved', String(moved));
  if (nearby.items.length) await page.selectOption('#report-shelter', String(nearby.items[0].id));
  await page.fill('#report-note', '浏览器测试: 先离线提交');
  await page.click('#report-submit');
  await page.waitForSelector('#pending-badge:not([hidden])');
  assert.equal(await page.textContent('#pending-badge'), '待发送 1');
  // the badge is drawn when the report is queued, the message a moment later when the send fails
  await page.waitForFunction(() => /网络不可用/.test(document.querySelector('#report-msg').textContent), null, { timeout: 10000 });
  assert.match(await page.textContent('#report-msg'), /网络不可用/);
  await page.waitForSelector('#task-pending');
  const queued = await page.evaluate(() => window.yjGw.outbox.all());
  assert.equal(queued.length, 1);
  const key = queued[0].key;
  assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal((await ok(await srv.req('GET', `/api/v1/transfer-tasks/${task.id}`, { token: cmd }))).moved, 0, 'nothing reached the server');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(OUT, 'gw-task-pending.png') });

  // back online; the first retry reaches the server but its answer is lost:
  // the phone must send it again with the same key, and the server count it once
  const seen = [];
  let lost = 0;
  await page.route(`**/api/v1/transfer-tasks/${task.id}/reports`, async (route) => {
    seen.push(route.request().headers()['idempotency-key']);
    if (lost === 0) {
      lost++;
      await route.fetch(); // the server has it...
      await route.abort('connectionreset'); // ...the phone never hears
      return;
    }
    await route.continue();
  });
  await ctx.setOffline(false);
  await page.waitForSelector('#pending-badge[hidden]', { state: 'attached', timeout: 20000 });
  assert.ok(seen.length >= 2, `retried: ${seen.length}`);
  assert.deepEqual([...new Set(seen)], [key], 'every attempt with the same Idempotency-Key');
  const after = await ok(await srv.req('GET', `/api/v1/transfer-tasks/${task.id}`, { token: cmd }));
  assert.equal(after.moved, moved, 'counted exactly once');
  assert.equal(after.reports.length, 1);
  if (nearby.items.length) assert.equal(after.reports[0].shelter.id, nearby.items[0].id);
  assert.equal(after.reports[0].note, '浏览器测试: 先离线提交');
  await page.unroute(`**/api/v1/transfer-tasks/${task.id}/reports`);
  // the page shows the server's count
  await page.waitForFunction((n) => document.querySelector('#task-moved')?.textContent === String(n), moved);
  await page.waitForSelector('#task-reports li[data-id]');
  assert.equal(await page.locator('#task-reports li').count(), 1);
  assert.match(await page.textContent('#report-msg'), /已送达/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(OUT, 'gw-task.png') });

  // "nobody at risk" needs a reason (checked on the phone, before anything is queued)
  await page.click('label:has(#report-nobody)');
  assert.ok(await page.isChecked('#report-nobody'));
  await page.click('#report-submit');
  assert.match(await page.textContent('#report-msg'), /原因/);
  assert.equal(await page.evaluate(() => window.yjGw.outbox.all().length), 0);

  // a commander chases the task: the banner shows up live
  await ok(await srv.req('POST', `/api/v1/transfer-tasks/${task.id}/chase`, { token: cmd }));
  await page.waitForSelector('#chase-banner:not([hidden])');
  assert.match(await page.textContent('#chase-banner'), /催办/);

  assert.deepEqual(errors, []);
  await ctx.close();
});

test('commander: loop view of the warning, live without reload', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 1180 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, 'commander_441523', PASSWORD);
  await page.waitForSelector('#nav-warnings:not([hidden])');
  await page.click('#nav-warnings');
  await page.waitForURL(/\/warnings\.html/);
  await page.click(`#warn-list li[data-id="${W.id}"]`);
  await page.waitForSelector(`#loop[data-warning="${W.id}"]:not([hidden])`);

  const moved = (await ok(await srv.req('GET', `/api/v1/transfer-tasks/${task.id}`, { token: cmd }))).moved;
  const total = (k) => page.textContent(`#loop-totals [data-k="${k}"] b`);
  await page.waitForFunction(() => document.querySelector('#loop')?.dataset.acknowledged === '1');
  assert.equal(await total('acknowledged'), '1');
  assert.equal(await total('moved'), String(moved));
  const row = page.locator('#loop-table tbody tr[data-code="441523100"]');
  assert.equal(await row.locator('[data-k="acknowledged"]').textContent(), '1');
  assert.equal(await row.locator('[data-k="moved"]').textContent(), String(moved));
  assert.equal(await page.getAttribute('#cap-link', 'href'), `/api/v1/warnings/${W.id}/cap?version=1`);
  assert.equal(await page.locator('#wv-actions button[data-action="update"]').count(), 1);
  assert.equal(await page.locator('#wv-actions button[data-action="cancel"]').count(), 1);
  // tasks with the chase button
  await page.waitForSelector(`#task-table tr[data-id="${task.id}"]`);
  await page.waitForSelector('#loop-live.live');

  // someone else acknowledges: the view moves, the page does not reload
  await page.evaluate(() => { window.__sameDocument = true; });
  const other = users.find((u) => u.id !== task.grid_worker.id && u.area_code.startsWith('441523100'));
  await ackAs(other.username, W.id);
  await page.waitForFunction(() => document.querySelector('#loop')?.dataset.acknowledged === '2', null, { timeout: 10000 });
  assert.equal(await total('acknowledged'), '2');
  assert.ok(await page.evaluate(() => window.__sameDocument === true), 'no reload');
  await page.waitForSelector(`#warn-list li[data-id="${W.id}"] .ackp:text("确认 2/")`);
  await page.screenshot({ path: path.join(OUT, 'loop-console.png') });

  // by village: the villages of the town
  await page.click('#loop-by button[data-by="village"]');
  await page.waitForFunction(() => document.querySelector('#loop')?.dataset.by === 'village');
  assert.ok(await page.locator('#loop-table tbody tr[data-code^="441523100"]').count() > 10);
  await page.click('#loop-by button[data-by="town"]');

  // the CAP message is there
  const cap = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, text: await r.text() }; }, `/api/v1/warnings/${W.id}/cap`);
  assert.equal(cap.status, 200);
  assert.match(cap.text, /<msgType>Alert<\/msgType>/);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('command map: towns coloured by loop closure, live', async () => {
  // a county-wide warning on one village per town (W2): each town gets a different share acknowledged
  const acks = [];
  for (const [i, v] of villages.entries()) {
    const inV = (await ok(await srv.req('GET', `/api/v1/users?role=grid_worker&area=${v}&limit=500`, { token: admin }))).items;
    const n = Math.round((inV.length * i) / Math.max(1, villages.length - 1));
    for (const u of inV.slice(0, n)) acks.push(u.username);
  }
  const last = acks.pop(); // one left for the live check
  for (const u of acks) await ackAs(u, W2.id);

  const ctx = await browser.newContext(DESK);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, 'commander_441523', PASSWORD);
  await page.waitForSelector('#loop-panel:not([hidden])');
  await page.goto(`${srv.base}/?loop=${W2.id}`);
  await page.waitForSelector('#loop-legend');
  await page.waitForFunction((n) => window.yingji.loop.drawn >= n, villages.length);
  assert.equal(await page.locator('#map path.loop-area').count(), villages.length);
  assert.equal(Number(await page.getAttribute('#loop-summary', 'data-acknowledged')), acks.length);
  // red for none, green for all
  const fills = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#map path.loop-area')].map((p) => [p.getAttribute('class').match(/loop-(\d+)/)[1], p.getAttribute('fill')])));
  assert.match(fills[towns[0].code], /hsl\(0,/);
  assert.equal(await page.locator('#loop-list li[data-code]').count(), villages.length);
  await page.waitForSelector('#loop-legend .live.live');
  // live: one more acknowledgement
  await ackAs(last, W2.id);
  await page.waitForFunction((n) => document.querySelector('#loop-summary').dataset.acknowledged === String(n), acks.length + 1);
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(OUT, 'loop-map.png') });

  // the first warning's town, by the console's link
  await page.goto(`${srv.base}/?loop=${W.id}`);
  await page.waitForFunction(() => window.yingji.loop && window.yingji.loop.drawn >= 1);
  assert.equal(await page.locator('#map path.loop-area.loop-441523100').count(), 1);
  // its transfer tasks at their risk points; the reported one part-way
  const tasksNow = (await ok(await srv.req('GET', `/api/v1/warnings/${W.id}/tasks`, { token: cmd }))).items;
  await page.waitForFunction((n) => document.querySelectorAll('#map path.loop-task').length === n, tasksNow.length);
  assert.equal(await page.locator(`#map path.loop-task-${task.id}`).count(), 1);
  assert.equal(await page.getAttribute('#loop-summary', 'data-acknowledged'), '2');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(OUT, 'loop-map-town.png') });
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('grid worker: a newer version replaced the one shown; the page says so and reloads it', async () => {
  // another grid worker of the town, with the older warning (W0) unacknowledged
  const name = users.find((u) => u.username !== gwName && u.area_code.length === 12).username;
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, name, PASSWORD);
  await page.waitForURL(/\/gw\.html/);
  // no live stream on this phone (a tunnel, a flaky network): the page learns of the update from the refusal
  await page.route('**/api/v1/me/inbox/stream', (route) => route.abort('connectionrefused'));
  await page.reload();
  await page.click(`#gw-inbox li.warn-item[data-id="${W0.id}"]`);
  await page.waitForSelector(`#warn-detail[data-id="${W0.id}"][data-version="1"][data-state="read"]`);
  const up = await ok(await srv.req('POST', `/api/v1/warnings/${W0.id}/update`, { token: cmd, body: { level: 'orange', headline: '河田镇高温橙色预警 (升级)' } }));
  assert.equal(up.version, 2);
  await page.click('#ack-btn');
  await page.waitForSelector(`#warn-detail[data-version="2"] #warn-notice:not([hidden])`);
  assert.match(await page.textContent('#warn-notice'), /新版本/);
  assert.equal(await page.textContent('#warn-headline'), '河田镇高温橙色预警 (升级)');
  assert.equal(await page.getAttribute('#warn-detail', 'data-state'), 'read', 'not acknowledged: the new version is to be read first');
  await page.screenshot({ path: path.join(OUT, 'gw-newer-version.png') });
  await page.click('#ack-btn');
  await page.waitForSelector('#warn-detail[data-state="acknowledged"]');
  const inbox = await ok(await srv.req('GET', `/api/v1/me/inbox/${W0.id}`, { token: await srv.login(name) }));
  assert.equal(inbox.recipient.state, 'acknowledged');
  assert.equal(inbox.recipient.version, 2);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('grid worker: a closed task says why in words (the API answers a code: all_moved, nobody_at_risk)', async () => {
  const open = (await ok(await srv.req('GET', `/api/v1/warnings/${W.id}/tasks?state=open`, { token: cmd }))).items;
  const mine = (u) => open.filter((x) => x.grid_worker && x.grid_worker.id === u.id);
  const worker = users.find((u) => mine(u).length > 0);
  assert.ok(worker, 'an open task with its grid worker');
  const token = await srv.login(worker.username);
  const [t1, t2] = mine(worker);
  const all = await ok(await srv.req('POST', `/api/v1/transfer-tasks/${t1.id}/reports`, { token, body: { moved: t1.planned - t1.moved } }), 201);
  assert.equal(all.closed_reason, 'all_moved');
  const cases = [[t1, '计划人员已全部转移']];
  if (t2) {
    const nobody = await ok(await srv.req('POST', `/api/v1/transfer-tasks/${t2.id}/reports`, { token, body: { nobody_at_risk: true, reason: '住户均已外出务工' } }), 201);
    assert.equal(nobody.closed_reason, 'nobody_at_risk');
    cases.push([t2, '经核实无人员需转移']);
  }
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, worker.username, PASSWORD);
  await page.waitForURL(/\/gw\.html/);
  for (const [t, words] of cases) {
    await page.click('#tab-tasks');
    await page.click(`#gw-tasks li.task-item[data-id="${t.id}"]`);
    await page.waitForSelector(`#task-detail[data-id="${t.id}"]:not([hidden]) .closed-note`);
    const note = await page.textContent(`#task-detail[data-id="${t.id}"] .closed-note`);
    assert.match(note, new RegExp(words));
    assert.doesNotMatch(note, /all_moved|nobody_at_risk|[A-Za-z]{4,}/);
    if (t === t2) assert.match(await page.textContent('#task-reports'), /住户均已外出务工/);
  }
  await page.screenshot({ path: path.join(OUT, 'gw-task-closed.png') });
  assert.deepEqual(errors, []);
  await ctx.close();
});
