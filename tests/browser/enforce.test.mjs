// Enforcement pages in the browser: an inspector records an ad-hoc
// inspection (checklist, photo, hazard) and confirms it, the second
// inspector confirms, the enterprise submits a rectification with a photo
// on its portal, the inspector verifies it (closed); a major case goes
// through legal review, collective discussion (the server's refusal of two
// participants shown), waits for the party's periods (shown with their
// dates) until the party's written waiver is recorded with its scan, and is
// decided in the county's name; a draw is verified; the public page
// shows a decided penalty and the draws without signing in.
// Screenshots in tests/out/screenshots: enforce-inspection.png,
// enterprise-portal.png, enforce-case.png, enforce-draw.png, publicity.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser;
const errors = [];
const contexts = [];
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  if (srv) assert.equal((await srv.stop()).code, 0);
});

// user ids through the API: the certified inspectors an inspector may go out with
const uid = async (name, token) => (await srv.req('GET', '/api/v1/inspectors', { token })).json.items.find((u) => u.username === name).id;
const inDays = (d) => new Date(Date.now() + d * 86400000).toISOString();

// a small real PNG (so the thumbnail decodes): a w×h gradient with a band of colour
function crc32(buf) {
  let c = ~0;
  for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
  return ~c >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(w, h, [r, g, b]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const band = y > h / 3 && y < (2 * h) / 3;
      row[1 + x * 3] = band ? r : Math.round((x / w) * 200);
      row[2 + x * 3] = band ? g : Math.round((y / h) * 200);
      row[3 + x * 3] = band ? b : 160;
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

// a full-page screenshot from the top (the top bar is sticky)
async function shot(page, name) {
  await page.evaluate(() => { window.scrollTo(0, 0); const t = document.querySelector('#toast'); if (t) t.hidden = true; });
  await page.screenshot({ path: path.join(OUT, name), fullPage: true });
}

// a fresh browser session: sign in on / (cookie), then open url
async function open(user, url) {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  if (user) {
    const login = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
    await signIn(page, srv.base, user, PASSWORD);
    assert.equal((await login).status(), 200, `sign in ${user}`);
    // signing in may send the user to their role's own page first: let that land
    await page.waitForLoadState('load');
    await page.waitForFunction(() => !document.querySelector('#login') || document.querySelector('#login').hidden || !location.pathname.endsWith('/'), null, { timeout: 10000 }).catch(() => {});
    await page.waitForLoadState('load');
  }
  page.on('pageerror', (e) => errors.push(`${user || 'public'} ${url}: ${e.message}`));
  await page.goto(srv.base + url);
  return page;
}

let insp1, inspectionId, hazardId, entId;

test('inspector records an ad-hoc inspection with checklist, photo and hazard, and confirms', async () => {
  insp1 = await srv.login('inspector_441523_1');
  entId = (await srv.req('GET', '/api/v1/me/hazards', { token: await srv.login('enterprise_demo') })).json.enterprise_id;
  const r = await srv.req('POST', '/api/v1/inspections', { token: insp1, body: { enterprise_id: entId, kind: 'adhoc', reason: 'complaint', matter_code: 'AQ-04', inspectors: [await uid('inspector_441523_1', insp1), await uid('inspector_441523_2', insp1)] } });
  assert.equal(r.status, 201, r.text);
  inspectionId = r.json.id;

  const page = await open('inspector_441523_1', '/enforce.html');
  // my tasks list it; open it from there
  await page.click(`#task-table tr[data-id="${inspectionId}"]`);
  await page.waitForSelector('#checklist tr.ck-row');
  // the enterprise account's chemical company (its name comes from the generated demo data)
  assert.match(r.json.enterprise, /化工/);
  assert.ok((await page.textContent('#insp-head h2')).includes(r.json.enterprise));
  const rows = page.locator('#checklist tr.ck-row');
  const n = await rows.count();
  assert.ok(n >= 6, `checklist of the sector (${n} items)`);
  await rows.nth(0).locator('label.rb-problem').click();
  await rows.nth(0).locator('.ck-note').fill('可燃气体报警器失效');
  for (let i = 1; i < n; i++) await rows.nth(i).locator(i === n - 1 ? 'label.rb-na' : 'label.rb-ok').click();
  await page.fill('#rec-place', '液氨储罐区');
  await page.fill('#rec-findings', '储罐区可燃气体报警器失效, 未设置安全警示标志');
  await page.click('#rec-save');
  await page.waitForSelector('#insp-head .chip[data-v="recorded"]');
  const rec = await srv.req('GET', `/api/v1/inspections/${inspectionId}`, { token: insp1 });
  assert.equal(rec.json.place, '液氨储罐区');
  assert.equal(rec.json.checklist.length, n);
  assert.deepEqual(rec.json.checklist[0], { item: rec.json.checklist[0].item, result: 'problem', note: '可燃气体报警器失效' });
  assert.equal(rec.json.checklist[n - 1].result, 'na');

  // a photo: raw bytes with X-Filename (a Chinese name goes percent-encoded), shown as a thumbnail
  await page.setInputFiles('#evidence-file', { name: '现场照片.png', mimeType: 'image/png', buffer: png(96, 64, [220, 40, 40]) });
  await page.waitForSelector('#evidence .thumb img');
  await page.waitForFunction(() => { const i = document.querySelector('#evidence .thumb img'); return i && i.complete && i.naturalWidth === 96; });
  assert.match(await page.textContent('#evidence .thumb .cap'), /现场照片\.png/);

  // a hazard
  await page.click('#hazard-form label.lv-major');
  await page.fill('#hz-desc', '液氨储罐区可燃气体报警器失效');
  await page.fill('#hz-basis', '《中华人民共和国安全生产法》第三十六条');
  await page.click('#hz-submit');
  await page.waitForSelector('#inspection-hazards .hz-card');
  hazardId = Number(await page.getAttribute('#inspection-hazards .hz-card', 'data-id'));
  const hz = await srv.req('GET', `/api/v1/hazards/${hazardId}`, { token: insp1 });
  assert.equal(hz.json.level, 'major');
  assert.equal(hz.json.state, 'open');
  assert.ok(Date.parse(hz.json.deadline) > Date.now() + 20 * 86400000, 'a major hazard gets 30 days by default');

  // I confirm; the other inspector has not yet
  await page.click('#confirm-btn');
  await page.waitForSelector('#confirm-list li[data-user="inspector_441523_1"].ok');
  assert.ok(await page.isVisible('#confirm-list li[data-user="inspector_441523_2"].wait'));
  await shot(page, 'enforce-inspection.png');
  await page.close();
});

test('the second inspector follows a link to the inspection, signs in, confirms; the record is locked', async () => {
  // no session yet: the page sends to sign-in and the sign-in comes back to it
  const page = await open(null, `/enforce.html#inspection/${inspectionId}`);
  await page.waitForURL(/\/\?next=%2Fenforce\.html/);
  await page.fill('input[name=username]', 'inspector_441523_2');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('#confirm-btn:not([disabled])');
  assert.equal(new URL(page.url()).pathname, '/enforce.html');
  await page.click('#confirm-btn');
  await page.waitForSelector('#locked-note');
  assert.ok(await page.isDisabled('#rec-save'));
  assert.equal(await page.locator('#evidence-file').count(), 0, 'no more uploads once confirmed');
  const r = await srv.req('GET', `/api/v1/inspections/${inspectionId}`, { token: insp1 });
  assert.equal(r.json.state, 'confirmed');
  assert.ok(r.json.inspectors.every((m) => m.confirmed));
  await page.close();
});

test('the enterprise submits a rectification with a photo on its portal', async () => {
  const page = await open('enterprise_demo', '/enterprise.html');
  const card = `.hz-card[data-id="${hazardId}"]`;
  await page.waitForSelector(card);
  assert.match(await page.textContent(`${card} .desc`), /报警器失效/);
  assert.match(await page.textContent(`${card} .deadline`), /剩 \d+ 天/);
  // submitting without a note: the refusal names the field in Chinese
  await page.click(`${card} .rect-submit`);
  await page.waitForSelector(`${card} .rect-error:not([hidden])`);
  assert.match(await page.textContent(`${card} .rect-error .err-main`), /整改情况说明/);
  await page.setInputFiles(`#rect-file-${hazardId}`, { name: 'after.png', mimeType: 'image/png', buffer: png(80, 60, [40, 160, 60]) });
  await page.waitForFunction((sel) => { const i = document.querySelector(`${sel} .hz-ev .thumb img`); return i && i.complete && i.naturalWidth === 80; }, card);
  await page.fill(`#rect-note-${hazardId}`, '已更换可燃气体报警器并经第三方检测合格');
  await page.click(`${card} .rect-submit`);
  await page.waitForSelector(`${card}[data-state="rectification_submitted"]`);
  assert.match(await page.textContent(`${card} .rect-history`), /已更换可燃气体报警器/);
  await shot(page, 'enterprise-portal.png');
  await page.close();
});

test('the inspector verifies the rectification: closed', async () => {
  const page = await open('inspector_441523_1', '/enforce.html#hazards');
  const card = `#hazard-list .hz-card[data-id="${hazardId}"]`;
  await page.waitForSelector(card);
  await page.waitForSelector(`${card} .hz-ev .thumb img`);
  // rejecting needs a reason: the server says so
  await page.click(`${card} .hz-reject`);
  await page.waitForSelector(`${card} .hz-error:not([hidden])`);
  assert.match(await page.textContent(`${card} .hz-error .err-main`), /退回理由/);
  await page.click(`${card} .hz-accept`);
  await page.waitForSelector(card, { state: 'detached' });
  const r = await srv.req('GET', `/api/v1/hazards/${hazardId}`, { token: insp1 });
  assert.equal(r.json.state, 'verified_closed');
  assert.equal(r.json.rectifications.at(-1).verdict, 'accepted');
  // the closed list has it
  await page.click('#hazard-filter button[data-v="verified_closed"]');
  await page.waitForSelector(`${card}[data-state="verified_closed"]`);
  await page.close();
});

test('a major case: the gate, legal review, collective discussion (server refusal shown), decision', async () => {
  const cmd = await srv.login('commander_441523');
  const c = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { enterprise_id: entId, matter_code: 'AQ-04', inspection_id: inspectionId, title: '未在有较大危险因素的场所设置明显的安全警示标志' } });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  for (const [t, a, body] of [[cmd, 'file'], [insp1, 'investigate']]) assert.equal((await srv.req('POST', `/api/v1/cases/${id}/${a}`, { token: t, body })).status, 200);

  // the inspector notifies in the browser (facts, basis, fine)
  let page = await open('inspector_441523_1', `/enforce.html#case/${id}`);
  await page.click('#case-actions button[data-action="notify"]');
  await page.fill('#action-form textarea[name="facts"]', '经查, 该公司液氨储罐区未设置明显的安全警示标志, 可燃气体报警器失效。');
  await page.fill('#action-form input[name="fine_yuan"]', '60000');
  await page.click('#action-submit');
  await page.waitForSelector('#case[data-state="notified"]');
  assert.ok(await page.isVisible('#major-gate'), 'the major-case gate is explained');
  assert.equal(await page.locator('#case-actions button[data-action="decide"]').count(), 0);
  await page.click('#case-actions button[data-action="submit_review"]');
  await page.click('#action-submit');
  await page.waitForSelector('#case[data-state="legal_review"]');
  await page.close();

  // the legal reviewer approves from the queue
  page = await open('legal_reviewer', '/enforce.html');
  const rv = `.rv-card[data-id="${id}"]`;
  await page.waitForSelector(rv);
  await page.click(`${rv} .rv-approve`);
  await page.waitForSelector(`${rv} .rv-error:not([hidden])`); // no opinion: refused
  assert.match(await page.textContent(`${rv} .rv-error .err-main`), /审核意见/);
  await page.fill(`${rv} .rv-opinion`, '事实清楚, 证据确凿, 适用依据正确, 程序合法, 裁量适当。');
  await page.click(`${rv} .rv-approve`);
  await page.waitForSelector(rv, { state: 'detached' });
  await page.close();

  // the commander: discussion with two participants is refused by the server, three pass; then the decision
  page = await open('commander_441523', `/enforce.html#case/${id}`);
  await page.waitForSelector('#case[data-state="collective_discussion"]');
  await page.click('#case-actions button[data-action="discuss"]');
  await page.fill('#action-form textarea[name="conclusion"]', '同意按拟处罚意见作出处罚决定');
  await page.fill('#action-form textarea[name="participants"]', '局长、分管副局长');
  await page.click('#action-submit');
  await page.waitForSelector('#action-error:not([hidden])');
  assert.match(await page.textContent('#action-error .err-main'), /参加人员/);
  await page.fill('#action-form textarea[name="participants"]', '局长\n分管副局长\n法规科科长');
  await page.click('#action-submit');
  await page.waitForSelector('#case[data-state="reviewed"]');
  // the party's periods have not run: no decision yet, the page says until when and why
  assert.ok(await page.isVisible('#periods-gate'), 'the periods are explained');
  assert.match(await page.textContent('#periods-gate'), /起方可作出处罚决定/);
  assert.match(await page.textContent('#proc-hearing'), /5 个工作日, 至 \d{4}-\d\d-\d\d/);
  assert.equal(await page.locator('#case-actions button[data-action="decide"]').count(), 0);
  assert.equal(await page.textContent('#case-authority'), '陆河县应急管理局');
  await page.close();

  // the inspector records the party's written waiver with its signed scan
  page = await open('inspector_441523_1', `/enforce.html#case/${id}`);
  await page.click('#case-actions button[data-action="waive"]');
  await page.click('#action-submit');
  await page.waitForSelector('#action-error:not([hidden])'); // no scan chosen: refused before anything is sent
  assert.match(await page.textContent('#action-error'), /放弃声明/);
  await page.setInputFiles('#action-form input[name="evidence_sha256"]', { name: '放弃权利声明.png', mimeType: 'image/png', buffer: png(60, 80, [200, 40, 40]) });
  await page.click('#action-submit');
  await page.waitForSelector('#case-procedure');
  await page.waitForFunction(() => /已书面放弃陈述、申辩/.test(document.querySelector('#case-procedure').textContent));
  assert.equal(await page.locator('#case-evidence .thumb').count(), 1);
  await page.close();

  page = await open('commander_441523', `/enforce.html#case/${id}`);
  await page.waitForSelector('#case-actions button[data-action="decide"]');
  assert.equal(await page.locator('#periods-gate').count(), 0);
  await page.click('#case-actions button[data-action="decide"]');
  await page.click('#action-submit');
  await page.waitForSelector('#case[data-state="decided"]');
  assert.match(await page.textContent('#decision-no'), /^陆河应急罚〔\d{4}〕\d+号$/);
  const href = await page.getAttribute('#decision-pdf', 'href');
  assert.equal(href, `/api/v1/cases/${id}/decision.pdf`);
  const pdf = await page.request.get(srv.base + href);
  assert.equal(pdf.status(), 200);
  assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
  const steps = await page.$$eval('#timeline li', (els) => els.map((e) => e.dataset.action));
  assert.deepEqual(steps, ['create', 'file', 'investigate', 'notify', 'submit_review', 'approve_review', 'discuss', 'waive', 'decide']);
  await shot(page, 'enforce-case.png');
  await page.close();
});

test('a draw is made and verified in the workbench', async () => {
  const cmd = await srv.login('commander_441523');
  const p = await srv.req('POST', '/api/v1/inspection-plans', { token: cmd, body: { name: '危险化学品企业双随机抽查', year: new Date().getFullYear(), sectors: ['hazardous_chemicals'], area_code: '441523', count: 3, inspectors_per: 2 } });
  assert.equal(p.status, 201, p.text);
  const page = await open('commander_441523', '/enforce.html#draws');
  await page.click(`#plan-table .draw-btn[data-plan="${p.json.id}"]`);
  await page.waitForSelector('#draw #draw-seed');
  assert.match(await page.textContent('#draw-seed'), /^[0-9a-f]{64}$/);
  assert.equal(await page.locator('#draw-result tbody tr').count(), 3);
  await page.click('#verify-btn');
  await page.waitForSelector('#verify-result[data-verified]');
  assert.equal(await page.getAttribute('#verify-result', 'data-verified'), 'true');
  // how to verify, in Chinese from the server, the technical English folded away
  assert.match(await page.textContent('#howto-server'), /任何人都可以用公布的随机种子/);
  assert.equal(await page.locator('.howto-technical[open]').count(), 0);
  await shot(page, 'enforce-draw.png');
  await page.close();
});

test('the public page: a decided penalty, the draws with seed and verification, licences (no sign-in)', async () => {
  const cmd = await srv.login('commander_441523');
  const c = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { party: { type: 'individual', name: '李四光', id_number: '441523199002021234', phone: '13900139000' }, area_code: '441523100', matter_code: 'AQ-01', title: '特种作业人员未持证上岗' } });
  const id = c.json.id;
  await srv.req('POST', `/api/v1/cases/${id}/file`, { token: cmd });
  await srv.req('POST', `/api/v1/cases/${id}/investigate`, { token: insp1 });
  await srv.req('POST', `/api/v1/cases/${id}/notify`, { token: insp1, body: { facts: '未持证从事电工作业', legal_basis: '《中华人民共和国安全生产法》第九十七条', fine_yuan: 3000 } });
  // the party waives its rights in writing (the scan is a file of the case)
  const up = await fetch(`${srv.base}/api/v1/cases/${id}/evidence`, { method: 'POST', body: png(40, 40, [0, 0, 0]), headers: { Authorization: `Bearer ${insp1}`, 'X-Filename': 'waiver.png' } });
  assert.equal(up.status, 201);
  const w = await srv.req('POST', `/api/v1/cases/${id}/waive`, { token: insp1, body: { statement: '自愿放弃陈述、申辩的权利。', evidence_sha256: (await up.json()).sha256 } });
  assert.equal(w.status, 200, w.text);
  const d = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(d.status, 200, d.text);

  const page = await open(null, '/publicity.html');
  const row = `#penalty-table tr[data-no="${d.json.decision_no}"]`;
  await page.waitForSelector(row);
  const text = await page.textContent(row);
  assert.match(text, /李某/);
  assert.match(text, /罚款3000\.00元/);
  assert.ok(!(await page.content()).includes('441523199002021234'));
  assert.ok(!(await page.content()).includes('李四光'));
  await shot(page, 'publicity.png');

  await page.click('#pub-tabs button[data-tab="draws"]');
  await page.waitForSelector('.draw-pub');
  assert.match(await page.textContent('.draw-pub .seed'), /^[0-9a-f]{64}$/);
  assert.match(await page.textContent('#howto-algo'), /BLAKE2b/);
  await page.click('.draw-pub .verify-btn');
  await page.waitForSelector('.draw-pub .verify-out[data-verified]');
  assert.equal(await page.getAttribute('.draw-pub .verify-out', 'data-verified'), 'true');
  await shot(page, 'publicity-draws.png');

  await page.click('#pub-tabs button[data-tab="licences"]');
  await page.waitForSelector('#licence-empty');
  await page.close();
  assert.deepEqual(errors, []);
});
