// Enforcement: reproducible and verifiable draws (and a changed pool failing
// verification), exclusion rules, two-inspector confirmation, evidence
// integrity, hazards and rectification with overdue flagging on a moved
// clock, the penalty-case state machine with the major-case legal review
// gate and the 90-day limit, the party's periods after notice in working days
// (statement, hearing request; waivers with evidence; hearings with seven
// days' notice and a record), the deciding authority per jurisdiction and its
// numbers, the decision PDF read back with poppler (evidence, seal place,
// the authority's account and bodies of appeal), case-file review, publicity field
// filtering, town delegation, and the year's figures on a known dataset;
// jurisdiction (malformed, unknown and foreign areas; ids a client names);
// every enforcement write verifying in the audit chain at once.
// State is read through the API; sql() only tampers behind the server's
// back (the draw's pool, an evidence file, a case row) or reads the audit
// log, which no API shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, sql, sleep, cli } from './lib.mjs';

let srv, cmd, cityCmd, insp1, insp2, reviewer, admin;
const counts = { hazards: 0, rectified: 0, cases: 0, fines: 0, coercive: 0 };
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  cmd = await srv.login('commander_441523');
  cityCmd = await srv.login('commander');
  insp1 = await srv.login('inspector_441523_1');
  insp2 = await srv.login('inspector_441523_2');
  reviewer = await srv.login('legal_reviewer');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

// users and enterprises through the API: the certified inspectors (the city's view lists them all),
// the registry's enterprises of an area (ascending id), the enterprise account's own enterprise
let inspectorList;
async function inspectors() {
  if (!inspectorList) inspectorList = (await srv.req('GET', '/api/v1/inspectors', { token: admin })).json.items;
  return inspectorList;
}
const uid = async (name) => (await inspectors()).find((u) => u.username === name).id;
const username = async (id) => (await inspectors()).find((u) => u.id === id).username;
async function enterprises(area, token = cmd) {
  const r = await srv.req('GET', `/api/v1/enterprises?area=${area}&limit=1000`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.items.map((x) => x.id).sort((a, b) => a - b);
}
async function demoEnterprise() {
  const r = await srv.req('GET', '/api/v1/me/hazards', { token: await srv.login('enterprise_demo') });
  assert.equal(r.status, 200, r.text);
  return r.json.enterprise_id;
}
const inDays = (d) => new Date(Date.now() + d * 86400000).toISOString();
async function clock(ms) { return srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: ms } }); }
async function until(fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) { const v = await fn(); if (v || Date.now() > end) return v; await sleep(100); }
}
async function record(id, tokens, body = { place: '厂区', checklist: [{ item: '安全警示标志', result: 'problem', note: '缺失' }], findings: '储罐区未设置警示标志' }) {
  const r = await srv.req('PATCH', `/api/v1/inspections/${id}`, { token: tokens[0], body });
  assert.equal(r.status, 200, r.text);
  for (const t of tokens) assert.equal((await srv.req('POST', `/api/v1/inspections/${id}/confirm`, { token: t })).status, 200);
}

// ---- the party's periods, counted here independently of the server from the same holiday calendar ----
const calendar = new Map(readFileSync('data/holidays_cn.csv', 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).map(([date, kind]) => [date, kind]));
const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
const isWorkday = (day) => calendar.has(day) ? calendar.get(day) === 'work' : ![0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());
function workdaysAfter(day, n) { while (n > 0) { day = addDays(day, 1); if (isWorkday(day)) n--; } return day; }
const localDay = (t) => new Date(Date.parse(t) + 8 * 3600000).toISOString().slice(0, 10);
const chinese = (day) => { const [y, m, d] = day.split('-').map(Number); return `${y}年${m}月${d}日`; };
const thisYear = Number(localDay(new Date().toISOString()).slice(0, 4));
// the server's clock at 10:00 (+08:00) of a local day
async function clockTo(day, s = srv, token = admin) {
  const r = await s.req('POST', '/api/v1/test/clock', { token, body: { offset_ms: Date.parse(`${day}T10:00:00+08:00`) - Date.now() } });
  assert.equal(r.status, 200, r.text);
}
// a file of the case's own (a scanned statement, a hearing record): its SHA-256
async function caseFile(id, name, { s = srv, token = insp1 } = {}) {
  const body = Buffer.from(`%PDF-1.4\n% ${name} of case ${id} ${Math.random()}\n%%EOF\n`);
  const r = await fetch(`${s.base}/api/v1/cases/${id}/evidence`, { method: 'POST', body, headers: { Authorization: `Bearer ${token}`, 'X-Filename': encodeURIComponent(name) } });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text).sha256;
}
// the party's written waiver of its rights, with the signed statement as evidence
async function waive(id, { s = srv, token = insp1 } = {}) {
  const sha = await caseFile(id, '放弃陈述申辩和听证权利声明.pdf', { s, token });
  const r = await s.req('POST', `/api/v1/cases/${id}/waive`, { token, body: { statement: '本单位对拟作出的行政处罚无异议，自愿放弃陈述、申辩和听证的权利。', evidence_sha256: sha } });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
// a decided case counts in this year's figures when decided in this (local) year
function counted(decided, fine) { if (Number(localDay(decided.decided).slice(0, 4)) === thisYear) { counts.cases++; counts.fines += fine; } }
// the text of a PDF (poppler's pdftotext), spaces and line ends removed, and its fonts (pdffonts)
function pdfText(file) { return spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ''); }
function pdfFonts(file) { return spawnSync('pdffonts', [file], { encoding: 'utf8' }).stdout.trim().split('\n').slice(2); }
async function savePdf(id, name, token = cmd) {
  const r = await fetch(`${srv.base}/api/v1/cases/${id}/decision.pdf`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  const bytes = Buffer.from(await r.arrayBuffer());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  mkdirSync('tests/out', { recursive: true });
  const file = path.resolve('tests/out', name);
  writeFileSync(file, bytes);
  return file;
}

test('a draw is reproducible and verifiable; a changed pool fails verification', async () => {
  const plan = await srv.req('POST', '/api/v1/inspection-plans', { token: cmd, body: { name: '2022年危化品企业双随机抽查', year: 2022, sectors: ['hazardous_chemicals'], area_code: '441523', count: 4, inspectors_per: 2, weights: { red: 4, orange: 3, yellow: 2, blue: 1 } } });
  assert.equal(plan.status, 201, plan.text);
  assert.equal((await srv.req('POST', `/api/v1/inspection-plans/${plan.json.id}/draw`, { token: insp1 })).status, 403);
  const d = await srv.req('POST', `/api/v1/inspection-plans/${plan.json.id}/draw`, { token: cmd });
  assert.equal(d.status, 201, d.text);
  assert.match(d.json.seed, /^[0-9a-f]{64}$/);
  assert.equal(d.json.algorithm, 'yingji-draw-1');
  assert.equal(d.json.result.length, 4);
  for (const r of d.json.result) {
    assert.equal(r.inspectors.length, 2);
    assert.notEqual(r.inspectors[0], r.inspectors[1]);
    assert.ok(r.enterprise);
  }
  assert.equal((await srv.req('POST', `/api/v1/inspection-plans/${plan.json.id}/draw`, { token: cmd })).status, 409);
  const v = await srv.req('GET', `/api/v1/draws/${d.json.id}/verify`);
  assert.equal(v.json.verified, true, v.text);
  // the published draw carries everything needed to re-run it
  const pub = await srv.req('GET', `/api/v1/public/draws/${d.json.id}`);
  assert.ok(pub.json.enterprise_pool.length >= 4 && pub.json.inspector_pool.length >= 2);
  // how to re-run it, in Chinese for the public page, with the technical text beside it
  assert.match(pub.json.how_to_verify, /BLAKE2b-256/);
  assert.match(pub.json.how_to_verify, /种子/);
  assert.ok(!/[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}/.test(pub.json.how_to_verify), 'no English sentence');
  assert.match(pub.json.how_to_verify_technical, /keyed with the seed/);
  assert.deepEqual(v.json.reasons, []);
  // the tasks follow from the draw
  const tasks = await srv.req('GET', `/api/v1/inspections?draw_id=${d.json.id}&state=assigned`, { token: cmd });
  assert.equal(tasks.json.items.length, 4);
  assert.deepEqual(tasks.json.items.map((t) => t.enterprise_id).sort(), d.json.result.map((r) => r.enterprise_id).sort());
  // a changed pool (one weight) fails verification
  sql(srv.db, `UPDATE draw SET enterprise_pool = replace(enterprise_pool, '"weight":1.0', '"weight":9.0') WHERE id=${d.json.id}`);
  sql(srv.db, `UPDATE draw SET enterprise_pool = replace(enterprise_pool, '"weight":2.0', '"weight":9.0') WHERE id=${d.json.id}`);
  const bad = await srv.req('GET', `/api/v1/draws/${d.json.id}/verify`);
  assert.equal(bad.json.verified, false);
  assert.equal(bad.json.enterprise_pool_ok, false);
  assert.deepEqual(bad.json.reason_codes, ['enterprise_pool_digest', 'result_differs']);
  assert.deepEqual(bad.json.reasons, ['企业名单与公布的摘要不一致', '用种子重新计算的抽取结果与公布的结果不同']);
  // a changed result fails too
  sql(srv.db, `UPDATE draw SET enterprise_pool = (SELECT enterprise_pool FROM draw WHERE id=${d.json.id}) WHERE id=${d.json.id}`);
});

test('exclusions: declared conflicts and last inspectors are never drawn for that enterprise', async () => {
  // a small pool: every chemical enterprise of 河田镇-area county 陆河 in one plan, drawn twice
  const ents = await enterprises('441523');
  const target = ents[0];
  const me = await uid('inspector_441523_1');
  assert.equal((await srv.req('POST', '/api/v1/conflicts', { token: insp1, body: { enterprise_id: target, reason: '亲属在该企业任职' } })).status, 204);
  const p = await srv.req('POST', '/api/v1/inspection-plans', { token: cmd, body: { name: '全部企业抽查', year: 2022, area_code: '441523', ratio: 1.0, inspectors_per: 2 } });
  const d = await srv.req('POST', `/api/v1/inspection-plans/${p.json.id}/draw`, { token: cmd });
  assert.equal(d.status, 201, d.text);
  const row = d.json.result.find((r) => r.enterprise_id === target);
  assert.ok(row, 'the whole pool was drawn');
  assert.ok(!row.inspectors.includes(me), 'conflicted inspector not assigned');
  // confirm the inspection of `target`, then draw again: its two inspectors are excluded for it
  const iid = (await srv.req('GET', `/api/v1/inspections?draw_id=${d.json.id}&limit=1000`, { token: cmd })).json.items.find((i) => i.enterprise_id === target).id;
  const names = await Promise.all(row.inspectors.map(username));
  const tokens = [await srv.login(names[0]), await srv.login(names[1])];
  await record(iid, tokens);
  const p2 = await srv.req('POST', '/api/v1/inspection-plans', { token: cmd, body: { name: '复查', year: 2022, area_code: '441523', ratio: 1.0, inspectors_per: 2 } });
  const d2 = await srv.req('POST', `/api/v1/inspection-plans/${p2.json.id}/draw`, { token: cmd });
  const row2 = d2.json.result.find((r) => r.enterprise_id === target);
  for (const x of row.inspectors) assert.ok(!row2.inspectors.includes(x), `last inspector ${x} drawn again`);
  assert.ok(!row2.inspectors.includes(me));
  assert.equal((await srv.req('GET', `/api/v1/draws/${d2.json.id}/verify`)).json.verified, true);
});

test('inspections need both inspectors; evidence is typed by content and kept intact', async () => {
  const ent = await demoEnterprise();
  const one = await srv.req('POST', '/api/v1/inspections', { token: insp1, body: { enterprise_id: ent, kind: 'adhoc', reason: 'complaint', inspectors: [await uid('inspector_441523_1')] } });
  assert.equal(one.status, 400);
  assert.equal(one.json.error.field, 'inspectors');
  const r = await srv.req('POST', '/api/v1/inspections', { token: insp1, body: { enterprise_id: ent, kind: 'adhoc', reason: 'complaint', matter_code: 'AQ-04', inspectors: [await uid('inspector_441523_1'), await uid('inspector_441523_2')] } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF body-camera still')]);
  const up = await fetch(`${srv.base}/api/v1/inspections/${id}/evidence`, { method: 'POST', body: jpeg, headers: { Authorization: `Bearer ${insp1}`, 'X-Filename': 'photo.jpg' } });
  assert.equal(up.status, 201);
  const { sha256, url } = await up.json();
  assert.equal(sha256, (await import('node:crypto')).createHash('sha256').update(jpeg).digest('hex'));
  const fake = await fetch(`${srv.base}/api/v1/inspections/${id}/evidence`, { method: 'POST', body: 'just text', headers: { Authorization: `Bearer ${insp1}`, 'X-Filename': 'photo.jpg' } });
  assert.equal(fake.status, 422);
  const got = await fetch(srv.base + url, { headers: { Authorization: `Bearer ${insp2}` } });
  assert.equal(got.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), jpeg);
  const withEvidence = await srv.req('GET', `/api/v1/inspections/${id}`, { token: insp2 });
  assert.deepEqual(withEvidence.json.evidence.map((x) => [x.sha256, x.mime, x.name]), [[sha256, 'image/jpeg', 'photo.jpg']]);
  // the link is in the audit chain (no API shows the log)
  assert.equal(sql(srv.db, `SELECT count(*) FROM audit WHERE action='evidence.add' AND object_type='inspection' AND object_id='${id}'`), '1');
  // someone outside the county cannot fetch it
  assert.equal((await fetch(srv.base + url, { headers: { Authorization: `Bearer ${await srv.login('inspector_441502_1')}` } })).status, 404);
  // record; one confirmation is not enough
  await srv.req('PATCH', `/api/v1/inspections/${id}`, { token: insp1, body: { place: '仓库', findings: '消防通道堵塞' } });
  assert.equal((await srv.req('POST', `/api/v1/inspections/${id}/confirm`, { token: insp1 })).json.state, 'recorded');
  assert.equal((await srv.req('PATCH', `/api/v1/inspections/${id}`, { token: await srv.login('inspector_441523_3'), body: { findings: 'x' } })).status, 403);
  assert.equal((await srv.req('POST', `/api/v1/inspections/${id}/confirm`, { token: insp2 })).json.state, 'confirmed');
  assert.equal((await srv.req('PATCH', `/api/v1/inspections/${id}`, { token: insp1, body: { findings: 'changed' } })).status, 409);
  // a file changed on disk is refused, not served
  const dir = readdirSync(path.dirname(srv.db)).find((f) => f.endsWith('.evidence'));
  writeFileSync(path.join(path.dirname(srv.db), dir, sha256.slice(0, 2), sha256), 'tampered');
  assert.equal((await fetch(srv.base + url, { headers: { Authorization: `Bearer ${insp2}` } })).status, 500);
});

test('hazards: rectification by the enterprise, rejection, verification; overdue on a moved clock', async () => {
  const ent = await demoEnterprise();
  const r = await srv.req('POST', '/api/v1/inspections', { token: insp1, body: { enterprise_id: ent, kind: 'adhoc', reason: 'campaign', inspectors: [await uid('inspector_441523_1'), await uid('inspector_441523_3')] } });
  const id = r.json.id;
  const h = await srv.req('POST', `/api/v1/inspections/${id}/hazards`, { token: insp1, body: { level: 'major', description: '液氨储罐区可燃气体报警器失效', legal_basis: '《中华人民共和国安全生产法》第三十六条', deadline: inDays(10) } });
  assert.equal(h.status, 201, h.text);
  counts.hazards++;
  const h2 = await srv.req('POST', `/api/v1/inspections/${id}/hazards`, { token: insp1, body: { level: 'general', description: '安全出口指示灯损坏', deadline: inDays(1) } });
  counts.hazards++;
  assert.equal((await srv.req('POST', `/api/v1/inspections/${id}/hazards`, { token: insp1, body: { level: 'huge', description: 'x', deadline: inDays(1) } })).json.error.field, 'level');
  const company = await srv.login('enterprise_demo');
  const mine = await srv.req('GET', '/api/v1/me/hazards', { token: company });
  assert.equal(mine.json.items.length, 2);
  assert.equal((await srv.req('POST', `/api/v1/hazards/${h.json.id}/rectification`, { token: company, body: {} })).json.error.field, 'note');
  const sub = await srv.req('POST', `/api/v1/hazards/${h.json.id}/rectification`, { token: company, body: { note: '已更换报警器并校验' } });
  assert.equal(sub.json.state, 'rectification_submitted');
  const photo = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'binary'), Buffer.from('new alarm installed')]);
  assert.equal((await fetch(`${srv.base}/api/v1/hazards/${h.json.id}/evidence`, { method: 'POST', body: photo, headers: { Authorization: `Bearer ${company}` } })).status, 201);
  assert.equal((await srv.req('POST', `/api/v1/hazards/${h.json.id}/verify`, { token: insp1, body: { accept: false } })).json.error.field, 'reason');
  const rej = await srv.req('POST', `/api/v1/hazards/${h.json.id}/verify`, { token: insp1, body: { accept: false, reason: '未提供校验报告' } });
  assert.equal(rej.json.state, 'open');
  await srv.req('POST', `/api/v1/hazards/${h.json.id}/rectification`, { token: company, body: { note: '补充第三方校验报告' } });
  const ok = await srv.req('POST', `/api/v1/hazards/${h.json.id}/verify`, { token: insp2, body: { accept: true } });
  assert.equal(ok.json.state, 'verified_closed');
  counts.rectified++;
  assert.equal((await srv.req('POST', `/api/v1/hazards/${h.json.id}/rectification`, { token: company, body: { note: 'x' } })).status, 409);
  // another enterprise's user sees none of it
  await clock(2 * 86400000);
  const overdue = await until(async () => (await srv.req('GET', `/api/v1/hazards/${h2.json.id}`, { token: insp1 })).json.overdue === true);
  assert.ok(overdue, 'flagged overdue');
  assert.equal((await srv.req('GET', `/api/v1/hazards/${h.json.id}`, { token: insp1 })).json.overdue, false);
  await clock(0);
});

test('town inspectors act only on delegated matters', async () => {
  const townInsp = await srv.login('inspector_441523100_1');
  const ent = (await enterprises('441523100'))[0];
  const members = [await uid('inspector_441523100_1'), await uid('inspector_441523100_2')];
  const no = await srv.req('POST', '/api/v1/inspections', { token: townInsp, body: { enterprise_id: ent, kind: 'adhoc', reason: 'complaint', matter_code: 'WH-01', inspectors: members } });
  assert.equal(no.status, 403, no.text);
  assert.equal(no.json.error.field, 'matter_code');
  const yes = await srv.req('POST', '/api/v1/inspections', { token: townInsp, body: { enterprise_id: ent, kind: 'adhoc', reason: 'complaint', matter_code: 'AQ-01', inspectors: members } });
  assert.equal(yes.status, 201, yes.text);
  const c = await srv.req('POST', '/api/v1/cases', { token: townInsp, body: { enterprise_id: ent, matter_code: 'WH-02', title: '无证经营危险化学品' } });
  assert.equal(c.status, 403);
  const matters = await srv.req('GET', '/api/v1/enforcement-matters', { token: townInsp });
  assert.equal(matters.json.items.filter((m) => m.town_delegated).length, 8);
});

async function caseTo(state, { fine = 20000, major = false } = {}) {
  const ent = (await enterprises('441523')).at(-1);
  const c = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { enterprise_id: ent, matter_code: 'AQ-01', title: '未按规定对从业人员进行安全生产教育和培训' } });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  const step = async (token, action, body) => {
    const r = await srv.req('POST', `/api/v1/cases/${id}/${action}`, { token, body });
    assert.equal(r.status, 200, `${action}: ${r.text}`);
    return r.json;
  };
  await step(cmd, 'file');
  await step(insp1, 'investigate');
  if (state === 'investigating') return id;
  await step(insp1, 'notify', { facts: '经查，该公司未对新入职的12名员工进行岗前安全培训。', legal_basis: '《中华人民共和国安全生产法》第二十八条、第九十七条第(三)项', fine_yuan: major ? 80000 : fine });
  return id;
}

test('cases: legal order, role gates, the major-case review gate, a hearing with notice and record, the county\'s decision', async () => {
  const id = await caseTo('notified', { major: true });
  const c = await srv.req('GET', `/api/v1/cases/${id}`, { token: cmd });
  assert.equal(c.json.major, true);
  assert.equal(c.json.hearing_right, true);
  assert.equal(c.json.authority.name, '陆河县应急管理局');
  const early = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(early.status, 409);
  assert.match(early.json.error.message, /法制审核/);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/serve`, { token: insp1, body: { method: '直接送达' } })).status, 409);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/approve_review`, { token: reviewer, body: { opinion: 'x' } })).status, 409);
  const hr = await srv.req('POST', `/api/v1/cases/${id}/request_hearing`, { token: insp1 });
  assert.equal(hr.json.state, 'hearing');
  // no review without the hearing's record
  const noRecord = await srv.req('POST', `/api/v1/cases/${id}/submit_review`, { token: insp1 });
  assert.equal(noRecord.status, 409);
  assert.match(noRecord.json.error.message, /听证笔录/);
  // 第六十四条: seven working days' notice of the hearing
  const today = localDay(new Date().toISOString());
  const earliest = workdaysAfter(today, 7);
  const soon = await srv.req('POST', `/api/v1/cases/${id}/schedule_hearing`, { token: insp1, body: { at: `${addDays(today, 2)}T09:30:00+08:00`, place: '县应急管理局听证室', host: '法规股股长' } });
  assert.equal(soon.status, 422, soon.text);
  assert.equal(soon.json.error.field, 'at');
  assert.equal(soon.json.error.allowed_from, earliest);
  assert.match(soon.json.error.message, new RegExp(chinese(earliest)));
  const sched = await srv.req('POST', `/api/v1/cases/${id}/schedule_hearing`, { token: insp1, body: { at: `${earliest}T09:30:00+08:00`, place: '县应急管理局听证室', host: '法规股股长' } });
  assert.equal(sched.status, 200, sched.text);
  assert.equal(localDay(sched.json.procedure.hearing_at), earliest);
  const tooEarly = await srv.req('POST', `/api/v1/cases/${id}/record_hearing`, { token: insp1, body: { summary: 'x', transcript_sha256: await caseFile(id, 'x.pdf') } });
  assert.equal(tooEarly.status, 409, tooEarly.text);
  assert.equal(tooEarly.json.error.allowed_from, earliest);
  await clockTo(earliest);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/record_hearing`, { token: insp1, body: { summary: '当事人对违法事实无异议，请求从轻处罚。' } })).json.error.field, 'transcript_sha256');
  const transcript = await caseFile(id, '听证笔录.pdf');
  const heard = await srv.req('POST', `/api/v1/cases/${id}/record_hearing`, { token: insp1, body: { summary: '当事人对违法事实无异议，请求从轻处罚。', transcript_sha256: transcript } });
  assert.equal(heard.status, 200, heard.text);
  assert.equal(heard.json.procedure.hearing_recorded, true);
  assert.ok(heard.json.evidence.some((x) => x.sha256 === transcript && x.name === '听证笔录.pdf'));
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/submit_review`, { token: insp1 })).json.state, 'legal_review');
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/approve_review`, { token: insp1, body: { opinion: 'x' } })).status, 403);
  const queue = await srv.req('GET', '/api/v1/legal-review/queue', { token: reviewer });
  assert.ok(queue.json.items.some((x) => x.id === id));
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/approve_review`, { token: reviewer, body: {} })).json.error.field, 'opinion');
  const ap = await srv.req('POST', `/api/v1/cases/${id}/approve_review`, { token: reviewer, body: { opinion: '事实清楚，证据确凿，适用依据正确，程序合法，裁量适当。', adviser_opinion: '同意' } });
  assert.equal(ap.json.state, 'collective_discussion');
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/discuss`, { token: cmd, body: { conclusion: '同意处罚', participants: ['甲', '乙'] } })).json.error.field, 'participants');
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/discuss`, { token: cmd, body: { conclusion: '同意按拟处罚意见作出决定', participants: ['局长', '分管副局长', '法规科长'] } })).json.state, 'reviewed');
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: insp1 })).status, 403);
  const dec = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(dec.status, 200, dec.text);
  const year = localDay(dec.json.decided).slice(0, 4);
  // the county decides its own case: its prefix, its numbers from 1
  assert.equal(dec.json.decision_no, `陆河应急罚〔${year}〕1号`);
  counted(dec.json, 80000);
  // the decision as poppler reads it: the county's name, court, government and account; the evidence; the seal's place
  const file = await savePdf(id, 'case-hearing-decision.pdf');
  const text = pdfText(file);
  for (const want of ['陆河县应急管理局', `陆河应急罚〔${year}〕1号`, '违法事实和证据', '听证笔录.pdf', '举行了听证',
    '陆河县人民政府申请行政复议', '陆河县人民法院提起行政诉讼', '户名：陆河县财政局非税收入汇缴结算户（演示）', '中国工商银行陆河支行（演示）', '盖章处'])
    assert.ok(text.includes(want), `decision PDF lacks ${want}`);
  for (const wrong of ['汕尾市应急管理局', '汕尾市城区人民法院', '非税收入汇缴账户'])
    assert.ok(!text.includes(wrong), `decision PDF names ${wrong}`);
  const fonts = pdfFonts(file);
  assert.ok(fonts.length >= 2, fonts.join('\n'));
  for (const f of fonts) assert.match(f, /\byes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$/, `font not embedded: ${f}`);
  assert.equal(spawnSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '2', file, file.replace(/\.pdf$/, '')]).status, 0);
  await srv.req('POST', `/api/v1/cases/${id}/serve`, { token: insp1, body: { method: '直接送达' } });
  const short = await srv.req('POST', `/api/v1/cases/${id}/record_payment`, { token: insp1, body: { amount_yuan: 1000 } });
  assert.equal(short.status, 422);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/record_payment`, { token: insp1, body: { amount_yuan: 80000 } })).json.state, 'executed');
  const closed = await srv.req('POST', `/api/v1/cases/${id}/close`, { token: cmd });
  assert.equal(closed.json.state, 'closed');
  assert.deepEqual(closed.json.timeline.map((t) => t.action), ['file', 'investigate', 'notify', 'request_hearing', 'schedule_hearing', 'record_hearing', 'submit_review', 'approve_review', 'discuss', 'decide', 'serve', 'record_payment', 'close']);
  // case-file review of the closed case
  const rv = await srv.req('POST', `/api/v1/cases/${id}/reviews`, { token: reviewer, body: { items: [{ item: '立案审批', max: 10, score: 10 }, { item: '调查取证', max: 30, score: 27 }, { item: '法律适用', max: 30, score: 30 }, { item: '文书规范', max: 30, score: 25 }], problems: '询问笔录未注明起止时间' } });
  assert.equal(rv.status, 201, rv.text);
  const sum = await srv.req('GET', `/api/v1/case-reviews/summary?year=${year}`, { token: reviewer });
  assert.equal(sum.json.items[0].reviewed, 1);
  assert.equal(sum.json.items[0].average_score, 92);
  await clock(0);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/frobnicate`, { token: cmd })).status, 404);
});

test('the party\'s periods: decide right after notice is 409 naming the day (working days, the holiday calendar); it succeeds from that day', async () => {
  // a fine that gives a hearing right: the five working days to request one govern
  const id = await caseTo('notified', { fine: 20000 });
  const c = (await srv.req('GET', `/api/v1/cases/${id}`, { token: cmd })).json;
  assert.equal(c.hearing_right, true);
  const notice = localDay(c.procedure.notified);
  assert.equal(c.procedure.statement_ends, workdaysAfter(notice, 3));
  assert.equal(c.procedure.hearing_request_ends, workdaysAfter(notice, 5));
  const from = addDays(workdaysAfter(notice, 5), 1);
  assert.equal(c.procedure.decide_from, from);
  assert.ok(!c.allowed_actions.includes('decide'), c.allowed_actions.join());
  const now = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(now.status, 409);
  assert.equal(now.json.error.allowed_from, from);
  assert.match(now.json.error.message, new RegExp(`${chinese(from)}起方可决定`));
  assert.match(now.json.error.message, /听证/);
  await clockTo(addDays(from, -1));
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd })).status, 409);
  // and the period for a hearing request has not run out on its last day
  assert.ok((await srv.req('GET', `/api/v1/cases/${id}`, { token: cmd })).json.allowed_actions.includes('request_hearing'));
  await clockTo(from);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/request_hearing`, { token: insp1 })).status, 409);
  const ok = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.json.decision_no, /^陆河应急罚〔\d{4}〕2号$/);
  counted(ok.json, 20000);
  await clock(0);
  // no hearing right: the statement period (3 working days) alone
  const small = await caseTo('notified', { fine: 5000 });
  const s1 = (await srv.req('GET', `/api/v1/cases/${small}`, { token: cmd })).json;
  assert.equal(s1.procedure.hearing_request_ends, null);
  const sFrom = addDays(workdaysAfter(localDay(s1.procedure.notified), 3), 1);
  const refused = await srv.req('POST', `/api/v1/cases/${small}/decide`, { token: cmd });
  assert.equal(refused.json.error.allowed_from, sFrom);
  assert.match(refused.json.error.message, /陈述、申辩/);
  // the party stated its case: recorded, the period still runs
  assert.equal((await srv.req('POST', `/api/v1/cases/${small}/record_statement`, { token: insp1, body: { statement: '当事人称已安排补训，请求从轻处罚。' } })).json.procedure.statement_recorded, true);
  assert.equal((await srv.req('POST', `/api/v1/cases/${small}/decide`, { token: cmd })).status, 409);
  // a waiver names a file of the case as its evidence
  const bad = await srv.req('POST', `/api/v1/cases/${small}/waive`, { token: insp1, body: { statement: '放弃', evidence_sha256: '0'.repeat(64) } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'evidence_sha256');
  const w = await waive(small);
  assert.equal(w.procedure.statement_waived, true);
  assert.equal(w.procedure.decide_from, null);
  assert.equal(w.timeline.at(-1).data.rights.join(), 'statement');
  assert.equal((await srv.req('POST', `/api/v1/cases/${small}/waive`, { token: insp1, body: { statement: '再次放弃', evidence_sha256: w.evidence[0].sha256 } })).status, 409);
  const d2 = await srv.req('POST', `/api/v1/cases/${small}/decide`, { token: cmd });
  assert.equal(d2.status, 200, d2.text);
  assert.match(d2.json.decision_no, /^陆河应急罚〔\d{4}〕3号$/);
  counted(d2.json, 5000);
  const text = pdfText(await savePdf(small, 'case-waived-decision.pdf'));
  assert.ok(text.includes('当事人提出了陈述、申辩'), 'the statement is in the decision');
  assert.ok(text.includes('放弃陈述申辩和听证权利声明.pdf'), 'the waiver is among the evidence');
});

test('one authority each: a case opened at city level is the city bureau\'s, numbered and appealed as the city\'s', async () => {
  const cityInsp = await srv.login('inspector');
  const ent = (await enterprises('441523'))[2];
  const c = await srv.req('POST', '/api/v1/cases', { token: cityInsp, body: { enterprise_id: ent, matter_code: 'AQ-01', title: '未如实记录安全生产教育和培训情况' } });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.authority.name, '汕尾市应急管理局');
  assert.equal(c.json.bureau_own, true);
  const id = c.json.id;
  for (const [t, action, body] of [[cityCmd, 'file'], [cityInsp, 'investigate'], [cityInsp, 'notify', { facts: '未如实记录培训情况', legal_basis: '《中华人民共和国安全生产法》第九十七条', fine_yuan: 3000 }]])
    assert.equal((await srv.req('POST', `/api/v1/cases/${id}/${action}`, { token: t, body })).status, 200, action);
  await waive(id, { token: cityInsp });
  const d = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cityCmd });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.decision_no, `汕应急罚〔${localDay(d.json.decided).slice(0, 4)}〕1号`);
  counted(d.json, 3000);
  counts.bureauOwn = (counts.bureauOwn || 0) + (Number(localDay(d.json.decided).slice(0, 4)) === thisYear ? 1 : 0);
  const text = pdfText(await savePdf(id, 'case-city-decision.pdf', cityCmd));
  for (const want of ['汕尾市应急管理局', '汕尾市人民政府申请行政复议', '汕尾市城区人民法院提起行政诉讼', '汕尾市财政局非税收入汇缴结算户'])
    assert.ok(text.includes(want), `city decision PDF lacks ${want}`);
  assert.ok(!text.includes('陆河县'), 'the city decision names the county');
});

test('cases: decide within 90 days of filing, unless a commander extends once', async () => {
  const id = await caseTo('notified', { fine: 3000 });
  await clock(91 * 86400000);
  const late = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(late.status, 409);
  assert.match(late.json.error.message, /90日/);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/extend`, { token: cmd, body: {} })).json.error.field, 'reason');
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/extend`, { token: cmd, body: { reason: '案情复杂，需补充鉴定', days: 30 } })).status, 200);
  assert.equal((await srv.req('POST', `/api/v1/cases/${id}/extend`, { token: cmd, body: { reason: 'again' } })).status, 409);
  const ok = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(ok.status, 200, ok.text);
  await clock(0);
  // decided in the moved clock's year: counted only if that is this year
  counted(ok.json, 3000);
});

test('publicity: decided penalties without personal ID numbers or phones', async () => {
  const c = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { party: { type: 'individual', name: '张三丰', id_number: '441523199001011234', phone: '13800138000' }, area_code: '441523100', matter_code: 'AQ-01', title: '特种作业人员未持证上岗' } });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  await srv.req('POST', `/api/v1/cases/${id}/file`, { token: cmd });
  await srv.req('POST', `/api/v1/cases/${id}/investigate`, { token: insp1 });
  await srv.req('POST', `/api/v1/cases/${id}/notify`, { token: insp1, body: { facts: '未持证从事电工作业', legal_basis: '《中华人民共和国安全生产法》第九十七条', fine_yuan: 2000 } });
  await waive(id);
  const dec = await srv.req('POST', `/api/v1/cases/${id}/decide`, { token: cmd });
  assert.equal(dec.status, 200, dec.text);
  counted(dec.json, 2000);
  const pub = await srv.req('GET', '/api/v1/public/penalties');
  assert.equal(pub.status, 200);
  const item = pub.json.items.find((x) => x.violation === '特种作业人员未持证上岗');
  assert.equal(item.party, '张某');
  assert.ok(!pub.text.includes('441523199001011234'));
  assert.ok(!pub.text.includes('13800138000'));
  assert.ok(!pub.text.includes('张三丰'));
  assert.match(item.decision_no, /^陆河应急罚〔\d{4}〕\d+号$/);
  assert.equal(item.authority, '陆河县应急管理局');
  assert.ok(Date.parse(item.publish_by) - Date.parse(item.decided) >= 7 * 86400000);
  const ent = pub.json.items.find((x) => x.party_type === 'enterprise');
  assert.match(ent.credit_code, /^[0-9A-Z]{18}$/);
  assert.equal((await srv.req('GET', '/api/v1/public/draws')).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/public/licences')).status, 200);
});

test('the year\'s figures count exactly what happened', async () => {
  const ent = await demoEnterprise();
  const m = await srv.req('POST', '/api/v1/coercive-measures', { token: insp1, body: { enterprise_id: ent, kind: 'seal_up', reason: '重大事故隐患排除前无法保证安全' } });
  assert.equal(m.status, 201, m.text);
  counts.coercive++;
  const year = thisYear;
  const s = await srv.req('GET', `/api/v1/stats/enforcement?year=${year}&area=441523`, { token: cityCmd });
  assert.equal(s.status, 200, s.text);
  const confirmed = (await srv.req('GET', '/api/v1/inspections?state=confirmed&area=441523&limit=1000', { token: cityCmd })).json.items;
  const visits = confirmed.filter((i) => i.kind === 'draw' || i.kind === 'adhoc');
  assert.equal(s.json.inspection_visits, visits.length);
  assert.equal(s.json.units_inspected, new Set(visits.map((i) => i.enterprise_id)).size);
  assert.equal(s.json.hazards_found, counts.hazards);
  assert.equal(s.json.hazards_rectified, counts.rectified);
  assert.equal(s.json.rectification_rate_pct, Math.round(10000 * counts.rectified / counts.hazards) / 100);
  assert.equal(s.json.penalty_cases, counts.cases);
  assert.equal(s.json.fines_wan_yuan, Math.round(counts.fines / 100) / 100);
  assert.equal(s.json.coercive_measures, counts.coercive);
  assert.equal(s.json.bureau_own_cases, counts.bureauOwn || 0); // the city's one case; the county's inspectors made the rest
  const other = await srv.req('GET', `/api/v1/stats/enforcement?year=${year}&area=441502`, { token: cityCmd });
  assert.equal(other.json.penalty_cases, 0);
  assert.equal((await srv.req('GET', `/api/v1/stats/enforcement?area=441502`, { token: cmd })).status, 403);
});

test('expert guidance visits: experts only, findings become hazards for the enterprise', async () => {
  const ent = (await enterprises('441523'))[3];
  const notExpert = await srv.req('POST', '/api/v1/inspections', { token: cmd, body: { enterprise_id: ent, kind: 'expert', inspectors: [await uid('inspector_441523_4')] } });
  assert.equal(notExpert.status, 400);
  assert.match(notExpert.json.error.message, /expert/);
  const r = await srv.req('POST', '/api/v1/inspections', { token: cmd, body: { enterprise_id: ent, kind: 'expert', inspectors: [await uid('expert_1')] } });
  assert.equal(r.status, 201, r.text);
  const expert = await srv.login('expert_1');
  assert.equal((await srv.req('PATCH', `/api/v1/inspections/${r.json.id}`, { token: expert, body: { findings: '动火作业审批不规范' } })).status, 200);
  const h = await srv.req('POST', `/api/v1/inspections/${r.json.id}/hazards`, { token: expert, body: { level: 'general', description: '动火作业未落实审批', deadline: inDays(20) } });
  assert.equal(h.status, 201, h.text);
  assert.equal(h.json.source, 'expert');
  assert.equal((await srv.req('POST', `/api/v1/inspections/${r.json.id}/confirm`, { token: expert })).json.state, 'confirmed');
  // an expert has no enforcement power: no cases
  assert.equal((await srv.req('POST', '/api/v1/cases', { token: expert, body: { enterprise_id: ent, matter_code: 'AQ-01', title: 'x' } })).status, 403);
});

test('duty spot checks: enterprises drawn at random; an unanswered call becomes a finding', async () => {
  const duty = await srv.login('duty_officer_441523');
  const r = await srv.req('POST', '/api/v1/duty-checks', { token: duty, body: { count: 3, area_code: '441523' } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.seed, /^[0-9a-f]{64}$/);
  assert.equal(r.json.items.length, 3);
  assert.ok(r.json.items.every((i) => i.kind === 'duty_check' && i.area_code.startsWith('441523')));
  const [answered, missed] = r.json.items;
  await srv.req('PATCH', `/api/v1/inspections/${answered.id}`, { token: duty, body: { answered: true, findings: '值班人员在岗' } });
  assert.equal((await srv.req('POST', `/api/v1/inspections/${answered.id}/confirm`, { token: duty })).json.state, 'confirmed');
  await srv.req('PATCH', `/api/v1/inspections/${missed.id}`, { token: duty, body: { answered: false } });
  await srv.req('POST', `/api/v1/inspections/${missed.id}/confirm`, { token: duty });
  const hazardsOf = async (i) => (await srv.req('GET', `/api/v1/hazards?enterprise=${i.enterprise_id}&limit=1000`, { token: duty })).json.items.filter((h) => h.inspection_id === i.id);
  assert.deepEqual((await hazardsOf(missed)).map((h) => h.source), ['duty_check']);
  assert.equal((await hazardsOf(answered)).length, 0);
});

test('jurisdiction: a malformed or unknown area is 400 naming it, another county 403 (inspectors, figures, every list)', async () => {
  const lists = ['/api/v1/inspectors', '/api/v1/stats/enforcement', '/api/v1/cases', '/api/v1/legal-review/queue',
    '/api/v1/hazards', '/api/v1/inspections', '/api/v1/coercive-measures', '/api/v1/draws', '/api/v1/inspection-plans',
    '/api/v1/case-reviews/summary'];
  for (const url of lists) {
    for (const bad of ['4415230', '441523x', '441599']) {
      const r = await srv.req('GET', `${url}?area=${bad}`, { token: cmd });
      assert.equal(r.status, 400, `${url}?area=${bad}: ${r.text}`);
      assert.equal(r.json.error.field, 'area', url);
    }
    const other = await srv.req('GET', `${url}?area=441502`, { token: cmd });
    assert.equal(other.status, 403, `${url}?area=441502: ${other.text}`);
    assert.equal(other.json.error.field, 'area', url);
    assert.equal((await srv.req('GET', `${url}?area=441523100`, { token: cmd })).status, 200, url);
  }
  // a town's inspectors list: the town's, the county's and the city's, nobody else's
  const town = (await srv.req('GET', '/api/v1/inspectors?area=441523100', { token: cmd })).json.items;
  assert.ok(town.length > 0);
  assert.ok(town.every((u) => ['441523100', '441523', '441500'].includes(u.area_code)), JSON.stringify(town.map((u) => u.area_code)));
  // lists answer only what lies in the area asked for
  const cases = (await srv.req('GET', '/api/v1/cases?area=441523100&limit=1000', { token: cmd })).json.items;
  assert.ok(cases.length > 0 && cases.every((c) => c.area_code.startsWith('441523100')));
  assert.equal((await srv.req('GET', '/api/v1/cases?area=441502', { token: cityCmd })).status, 200);
});

test('jurisdiction: the enterprises, inspections, cases and inspectors a client names are checked against its area', async () => {
  const foreign = await srv.login('inspector_441502_1');
  const foreignEnt = (await enterprises('441502', cityCmd))[0];
  const ours = await demoEnterprise();
  const us = [await uid('inspector_441523_1'), await uid('inspector_441523_2')];
  const them = [await uid('inspector_441502_1'), await uid('inspector_441502_2')];
  // an enterprise of another county: refused for an inspection, a case, a coercive measure, a conflict
  let r = await srv.req('POST', '/api/v1/inspections', { token: insp1, body: { enterprise_id: foreignEnt, kind: 'adhoc', reason: 'complaint', inspectors: us } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.field, 'enterprise_id');
  r = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { enterprise_id: foreignEnt, matter_code: 'AQ-01', title: 'x' } });
  assert.equal(r.json.error.field, 'enterprise_id');
  r = await srv.req('POST', '/api/v1/coercive-measures', { token: insp1, body: { enterprise_id: foreignEnt, kind: 'seize', reason: 'x' } });
  assert.equal(r.json.error.field, 'enterprise_id');
  r = await srv.req('POST', '/api/v1/conflicts', { token: insp1, body: { enterprise_id: foreignEnt, reason: '亲属' } });
  assert.equal(r.status, 400, r.text);
  // inspectors of another county for one of our enterprises
  r = await srv.req('POST', '/api/v1/inspections', { token: insp1, body: { enterprise_id: ours, kind: 'adhoc', reason: 'complaint', inspectors: [us[0], them[0]] } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.field, 'inspectors');
  // another county's inspection and case: invisible, and not to be linked to
  const theirs = await srv.req('POST', '/api/v1/inspections', { token: foreign, body: { enterprise_id: foreignEnt, kind: 'adhoc', reason: 'complaint', inspectors: them } });
  assert.equal(theirs.status, 201, theirs.text);
  assert.equal((await srv.req('GET', `/api/v1/inspections/${theirs.json.id}`, { token: insp1 })).status, 404);
  assert.equal((await srv.req('POST', `/api/v1/inspections/${theirs.json.id}/hazards`, { token: insp1, body: { level: 'general', description: 'x', deadline: inDays(3) } })).status, 404);
  r = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { enterprise_id: ours, matter_code: 'AQ-01', title: 'x', inspection_id: theirs.json.id } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.field, 'inspection_id');
  const theirCase = await srv.req('POST', '/api/v1/cases', { token: foreign, body: { enterprise_id: foreignEnt, matter_code: 'AQ-01', title: '未培训' } });
  assert.equal(theirCase.status, 201, theirCase.text);
  assert.equal((await srv.req('GET', `/api/v1/cases/${theirCase.json.id}`, { token: insp1 })).status, 404);
  assert.equal((await srv.req('POST', `/api/v1/cases/${theirCase.json.id}/file`, { token: cmd })).status, 404);
  assert.equal((await srv.req('POST', `/api/v1/cases/${theirCase.json.id}/reviews`, { token: cmd, body: { items: [] } })).status, 404);
  r = await srv.req('POST', '/api/v1/coercive-measures', { token: insp1, body: { enterprise_id: ours, case_id: theirCase.json.id, kind: 'seize', reason: 'x' } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.field, 'case_id');
  // a case of ours against another party is no basis for a measure on this one
  const ourCase = await srv.req('POST', '/api/v1/cases', { token: insp1, body: { enterprise_id: (await enterprises('441523'))[1], matter_code: 'AQ-01', title: '未培训' } });
  r = await srv.req('POST', '/api/v1/coercive-measures', { token: insp1, body: { enterprise_id: ours, case_id: ourCase.json.id, kind: 'seize', reason: 'x' } });
  assert.equal(r.json.error.field, 'case_id');
});

test('audit: every enforcement write verifies at once (yingji audit verify says OK); a case changed behind the server is caught', async () => {
  // (this server grants five working days to state and defend: serve --statement-days)
  const a = await startServer({ args: ['--statement-days', '5'] });
  let stopped = false;
  try {
    const login = (u) => a.login(u);
    const [cmdA, i1, i2, rev, adminA, company] = await Promise.all(['commander_441523', 'inspector_441523_1', 'inspector_441523_2', 'legal_reviewer', 'admin', 'enterprise_demo'].map(login));
    const who = (await a.req('GET', '/api/v1/inspectors', { token: adminA })).json.items;
    const id = (name) => who.find((u) => u.username === name).id;
    const ent = (await a.req('GET', '/api/v1/me/hazards', { token: company })).json.enterprise_id;
    const ok = async (p, what) => { const r = await p; assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${r.text}`); return r.json; };
    // a plan and its draw; a conflict; a checklist
    const plan = await ok(a.req('POST', '/api/v1/inspection-plans', { token: cmdA, body: { name: '审计抽查', year: 2022, area_code: '441523', count: 2 } }), 'plan');
    await ok(a.req('POST', `/api/v1/inspection-plans/${plan.id}/draw`, { token: cmdA }), 'draw');
    await ok(a.req('POST', '/api/v1/conflicts', { token: i1, body: { enterprise_id: ent, reason: '亲属在该企业任职' } }), 'conflict');
    await ok(a.req('PUT', '/api/v1/checklists/fireworks', { token: adminA, body: { items: [{ item: '经营许可证在有效期内' }] } }), 'checklist');
    // an inspection with evidence, recorded and confirmed; a hazard, rectified and verified
    const insp = await ok(a.req('POST', '/api/v1/inspections', { token: i1, body: { enterprise_id: ent, kind: 'adhoc', reason: 'complaint', matter_code: 'AQ-04', inspectors: [id('inspector_441523_1'), id('inspector_441523_2')] } }), 'inspection');
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('audit still')]);
    assert.equal((await fetch(`${a.base}/api/v1/inspections/${insp.id}/evidence`, { method: 'POST', body: jpeg, headers: { Authorization: `Bearer ${i1}` } })).status, 201);
    await ok(a.req('PATCH', `/api/v1/inspections/${insp.id}`, { token: i1, body: { findings: '警示标志缺失' } }), 'record');
    const hz = await ok(a.req('POST', `/api/v1/inspections/${insp.id}/hazards`, { token: i1, body: { level: 'general', description: '警示标志缺失', deadline: inDays(5) } }), 'hazard');
    await ok(a.req('POST', `/api/v1/inspections/${insp.id}/confirm`, { token: i1 }), 'confirm 1');
    await ok(a.req('POST', `/api/v1/inspections/${insp.id}/confirm`, { token: i2 }), 'confirm 2');
    await ok(a.req('POST', `/api/v1/hazards/${hz.id}/rectification`, { token: company, body: { note: '已设置警示标志' } }), 'rectify');
    await ok(a.req('POST', `/api/v1/hazards/${hz.id}/verify`, { token: i2, body: { accept: true } }), 'verify');
    // a hazard the scheduler flags overdue (recorded by the system)
    const late = await ok(a.req('POST', `/api/v1/inspections/${insp.id}/hazards`, { token: i1, body: { level: 'general', description: '疏散通道堵塞', deadline: inDays(1) } }), 'late hazard');
    await ok(a.req('POST', '/api/v1/test/clock', { token: adminA, body: { offset_ms: 2 * 86400000 } }), 'clock');
    assert.ok(await until(async () => (await a.req('GET', `/api/v1/hazards/${late.id}`, { token: i1 })).json.overdue === true), 'flagged overdue');
    await ok(a.req('POST', '/api/v1/test/clock', { token: adminA, body: { offset_ms: 0 } }), 'clock back');
    // a case straight after its creation (the defect: verify said BROKEN here), then to its end and its review
    const c = await ok(a.req('POST', '/api/v1/cases', { token: i1, body: { enterprise_id: ent, matter_code: 'AQ-04', title: '未设置安全警示标志', inspection_id: insp.id } }), 'case');
    for (const [t, action, body] of [[cmdA, 'file'], [i1, 'investigate'], [i1, 'notify', { facts: '未设置警示标志', legal_basis: '《安全生产法》第九十九条', fine_yuan: 5000 }]])
      await ok(a.req('POST', `/api/v1/cases/${c.id}/${action}`, { token: t, body }), action);
    const proc = (await ok(a.req('GET', `/api/v1/cases/${c.id}`, { token: i1 }), 'case')).procedure;
    assert.equal(proc.statement_days, 5);
    assert.equal(proc.statement_ends, workdaysAfter(localDay(proc.notified), 5));
    await waive(c.id, { s: a, token: i1 });
    for (const [t, action, body] of [[cmdA, 'decide'], [i1, 'serve', { method: '直接送达' }], [i1, 'record_payment', { amount_yuan: 5000 }], [cmdA, 'close']])
      await ok(a.req('POST', `/api/v1/cases/${c.id}/${action}`, { token: t, body }), action);
    await ok(a.req('POST', `/api/v1/cases/${c.id}/reviews`, { token: rev, body: { items: [{ item: '文书规范', max: 10, score: 9 }] } }), 'review');
    const m = await ok(a.req('POST', '/api/v1/coercive-measures', { token: i1, body: { enterprise_id: ent, case_id: c.id, kind: 'seal_up', reason: '重大事故隐患' } }), 'coercive');
    assert.ok(m.id);
    // a fresh case, audited at create and verified with nothing after it
    await ok(a.req('POST', '/api/v1/cases', { token: i1, body: { party: { type: 'individual', name: '李四' }, area_code: '441523100', matter_code: 'AQ-01', title: '未持证上岗' } }), 'last case');
    stopped = true;
    assert.equal((await a.stop()).code, 0);
    const v = cli(['audit', 'verify', '--db', a.db]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^audit: OK/);
    const types = sql(a.db, "SELECT group_concat(DISTINCT object_type) FROM (SELECT object_type FROM audit WHERE state_version >= 1 ORDER BY object_type)").split(',');
    for (const t of ['penalty_case', 'inspection', 'hazard', 'coercive_measure', 'case_review', 'draw', 'inspection_plan', 'conflict_of_interest', 'checklist_template'])
      assert.ok(types.includes(t), `${t} recorded with a versioned projection (${types})`);
    // the case's projection (version 2) holds its deciding authority
    assert.equal(sql(a.db, `SELECT max(state_version) FROM audit WHERE object_type = 'penalty_case' AND object_id = '${c.id}'`), '2');
    // a decided fine lowered behind the server's back breaks the chain at that case
    sql(a.db, `UPDATE penalty_case SET fine_yuan = 50 WHERE id = ${c.id}`);
    const broken = cli(['audit', 'verify', '--db', a.db]);
    assert.equal(broken.status, 1, broken.stdout);
    assert.match(broken.stdout, /BROKEN/);
    assert.match(broken.stdout, /penalty_case/);
  } finally {
    if (!stopped) await a.stop().catch(() => {});
  }
});
