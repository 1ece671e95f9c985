// The warning lifecycle and its jurisdiction: a warning's targets (area codes, polygons by
// geometry, the alarms it was made from) lie inside its jurisdiction; the list and ?area= follow
// the one jurisdiction rule; other counties read what targets them but act on nothing of
// another's; expiry is a scheduler job; every write is audited and verifies.
// (Recipients are dispatch's: tests that need them are in warnings.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, sql, sleep } from './lib.mjs';

let srv, admin, duty, cmd, duty502, cmd502, cityDuty, cityCmd;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  duty = await srv.login('duty_officer_441523');
  cmd = await srv.login('commander_441523');
  duty502 = await srv.login('duty_officer_441502');
  cmd502 = await srv.login('commander_441502');
  cityDuty = await srv.login('duty_officer');
  cityCmd = await srv.login('commander');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const inHours = (h) => new Date(Date.now() + h * 3600000).toISOString();
const draft = (extra = {}) => ({ type: 'rainstorm', level: 'orange', headline: '陆河县暴雨橙色预警', areas: ['441523'], expires: inHours(6), ...extra });
const ring = (pts) => ({ type: 'Polygon', coordinates: [pts] });
// the polygon of issue 20: inside 城区 (441502)
const IN_441502 = ring([[115.3, 22.7], [115.45, 22.7], [115.45, 22.85], [115.3, 22.85], [115.3, 22.7]]);
const IN_441523 = ring([[115.6, 23.2], [115.7, 23.2], [115.7, 23.3], [115.6, 23.2]]);
// on land, across the line of 陆河县 (441523) and 陆丰市 (441581)
const ACROSS = ring([[115.55, 23.05], [115.7, 23.05], [115.7, 23.15], [115.55, 23.15], [115.55, 23.05]]);
const act = (token, id, action, body) => srv.req('POST', `/api/v1/warnings/${id}/${action}`, { token, body });
const get = (token, id) => srv.req('GET', `/api/v1/warnings/${id}`, { token });
const listIds = async (token, q = '') => (await srv.req('GET', `/api/v1/warnings?limit=500${q}`, { token })).json.items.map((w) => w.id);
async function create(token, body, status = 201) {
  const r = await srv.req('POST', '/api/v1/warnings', { token, body });
  assert.equal(r.status, status, r.text);
  return r.json;
}
async function issue(id) {
  for (const [t, a] of [[duty, 'submit'], [cmd, 'approve'], [duty, 'issue']]) assert.equal((await act(t, id, a)).status, 200, a);
}

test('a county cannot warn another county by polygon: refused (403, polygons) naming the area, nothing stored', async () => {
  const before = await listIds(cityCmd);
  const r = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ areas: [], polygons: [IN_441502] }) });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.field, 'polygons');
  assert.match(r.json.error.message, /outside the warning's jurisdiction 陆河县 \(441523\) into 城区 \(441502\)/);
  assert.deepEqual(await listIds(cityCmd), before);
  // a polygon that only touches the line (within 100 m) or keeps inside is the county's own
  const own = await create(duty, draft({ areas: [], polygons: [IN_441523] }));
  assert.deepEqual(own.polygons, [IN_441523]);
  // the same refusal for an edit of a draft and for a commander's update of an issued warning
  const e = await srv.req('PATCH', `/api/v1/warnings/${own.id}`, { token: duty, body: { polygons: [IN_441523, IN_441502] } });
  assert.equal(e.status, 403, e.text);
  assert.deepEqual((await get(duty, own.id)).json.polygons, [IN_441523]);
  await issue(own.id);
  const u = await act(cmd, own.id, 'update', { polygons: [IN_441502] });
  assert.equal(u.status, 403, u.text);
  assert.equal(u.json.error.field, 'polygons');
  const now = (await get(duty, own.id)).json;
  assert.equal(now.version, 1);
  assert.deepEqual(now.polygons, [IN_441523]);
  const across = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ polygons: [IN_441523, ACROSS] }) });
  assert.equal(across.status, 403, across.text);
  assert.match(across.json.error.message, /^polygons\[1\] reaches outside .* into 陆丰市 \(441581\)/);
  // the city's polygon may cover its counties
  const city = await srv.req('POST', '/api/v1/warnings', { token: cityDuty, body: draft({ areas: [], polygons: [IN_441523, ACROSS] }) });
  assert.equal(city.status, 201, city.text);
  // and a malformed polygon is the client's 400 wherever it lies
  const bad = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ polygons: [ring([[115.6, 23.2], [115.7, 23.3], [115.7, 23.2], [115.6, 23.3], [115.6, 23.2]])] }) });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json.error.field, 'polygons');
});

test('target areas outside the jurisdiction are refused; unknown or malformed ones are 400', async () => {
  for (const [areas, status] of [[['441502'], 403], [['441502001'], 403], [['4415230'], 400], [['441523x'], 400], [['441599'], 400], [[441523], 400]]) {
    const r = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ areas }) });
    assert.equal(r.status, status, `${JSON.stringify(areas)}: ${r.text}`);
    assert.equal(r.json.error.field, 'areas');
  }
  const unknown = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ colour: 'red' }) });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.field, 'colour');
  const long = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ headline: 'x'.repeat(301) }) });
  assert.equal(long.json.error.field, 'headline');
});

test('the list and ?area= follow the one jurisdiction rule', async () => {
  const mine = await create(duty, draft());
  const theirs = await create(duty502, draft({ areas: ['441502'], headline: '城区暴雨预警' }));
  const cityToUs = await create(cityDuty, draft({ areas: ['441523'], headline: '市级对陆河县的预警' }));
  for (const area of ['4415230', '441523x', '44152', '441599']) {
    const r = await srv.req('GET', `/api/v1/warnings?area=${area}`, { token: duty });
    assert.equal(r.status, 400, `${area}: ${r.text}`);
    assert.equal(r.json.error.field, 'area');
  }
  assert.equal((await srv.req('GET', '/api/v1/warnings?area=441502', { token: duty })).status, 403);
  const ours = await listIds(duty);
  assert.ok(ours.includes(mine.id) && ours.includes(cityToUs.id) && !ours.includes(theirs.id));
  assert.deepEqual(await listIds(duty, '&area=441523'), ours);
  const city502 = await listIds(cityCmd, '&area=441502');
  assert.ok(city502.includes(theirs.id) && !city502.includes(mine.id) && !city502.includes(cityToUs.id));
  // a town of 陆河县: what targets it or lies in it
  assert.ok(!(await listIds(cityCmd, '&area=441523100')).includes(mine.id));
  // filters are checked, pages follow each other
  assert.equal((await srv.req('GET', '/api/v1/warnings?state=bogus', { token: duty })).status, 400);
  assert.equal((await srv.req('GET', '/api/v1/warnings?type=bogus', { token: duty })).status, 400);
  const p1 = await srv.req('GET', '/api/v1/warnings?limit=1', { token: duty });
  assert.equal(p1.json.items.length, 1);
  const p2 = await srv.req('GET', `/api/v1/warnings?limit=1&cursor=${p1.json.next_cursor}`, { token: duty });
  assert.ok(p2.json.items[0].id < p1.json.items[0].id);
  assert.ok((await listIds(duty, '&state=draft')).includes(mine.id));
  assert.ok(!(await listIds(duty, '&state=current')).includes(mine.id));
});

test('another county reads what targets it, acts on nothing of another jurisdiction; others see nothing', async () => {
  const w = await create(cityDuty, draft({ areas: ['441523'], headline: '市级预警' }));
  const seen = await get(duty, w.id);
  assert.equal(seen.status, 200);
  assert.deepEqual(seen.json.allowed_actions, []);
  assert.equal((await get(duty502, w.id)).status, 404);
  for (const [token, action] of [[duty, 'submit'], [cmd, 'cancel']]) {
    const r = await act(token, w.id, action);
    assert.equal(r.status, 403, `${action}: ${r.text}`);
  }
  assert.equal((await srv.req('PATCH', `/api/v1/warnings/${w.id}`, { token: duty, body: { headline: '改' } })).status, 403);
  assert.equal((await act(duty502, w.id, 'submit')).status, 404);
  assert.equal((await act(cityDuty, w.id, 'submit')).status, 200);
  // a county commander approves no city warning; the city's other commander does (two-person rule)
  assert.equal((await act(cmd, w.id, 'approve')).status, 403);
  const ok = await act(cityCmd, w.id, 'approve');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.approver.username, 'commander');
  assert.deepEqual((await get(cmd, w.id)).json.allowed_actions, []);
  // the city acts on a county's warning
  const county = await create(duty, draft());
  assert.equal((await act(cmd502, county.id, 'cancel')).status, 404);
  assert.equal((await act(cityCmd, county.id, 'cancel')).json.state, 'cancelled');
});

test('the alarms a warning is made from must be in its jurisdiction', async () => {
  const iso = (ms) => new Date(ms).toISOString();
  async function alarmIn(area, n) {
    const dev = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: `RG-W${n}`, kind: 'rain_gauge', area } });
    assert.equal(dev.status, 201, dev.text);
    const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: `降雨 ${area}`, kind: 'threshold', level: 'orange', area_code: area, spec: { metric: 'rain_mm', window_s: 3600, agg: 'sum', op: '>=', value: 50, clear_value: 40, device_kinds: ['rain_gauge'] } } });
    assert.equal(rule.status, 201, rule.text);
    const t = Date.now() - 600000;
    const body = [0, 1, 2].map((i) => JSON.stringify({ device: `RG-W${n}`, ts: iso(t + i * 60000), metric: 'rain_mm', value: 30 })).join('\n');
    const sent = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${dev.json.key}` }, body });
    assert.equal(sent.status, 202);
    for (let i = 0; i < 50; i++) {
      const items = (await srv.req('GET', `/api/v1/alarms?rule=${rule.json.id}`, { token: admin })).json.items;
      if (items.length) return items[0].id;
      await sleep(100);
    }
    throw new Error('no alarm raised');
  }
  const theirs = await alarmIn('441502', 1);
  const ours = await alarmIn('441523', 2);
  const bad = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ alarm_ids: [theirs] }) });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json.error.field, 'alarm_ids');
  assert.match(bad.json.error.message, /no such alarm/);
  assert.equal((await srv.req('POST', `/api/v1/alarms/${theirs}/warning`, { token: duty })).status, 404);
  const good = await create(duty, draft({ alarm_ids: [ours] }));
  assert.deepEqual(good.alarm_ids, [ours]);
  const fromAlarm = await srv.req('POST', `/api/v1/alarms/${ours}/warning`, { token: duty });
  assert.equal(fromAlarm.status, 201, fromAlarm.text);
  assert.equal(fromAlarm.json.source, 'alarm');
  assert.deepEqual(fromAlarm.json.areas, ['441523']);
  assert.deepEqual(fromAlarm.json.alarm_ids, [ours]);
});

test('edits: only drafts, members checked; an update needs what changes and may not shrink the areas', async () => {
  const w = await create(duty, draft({ onset: inHours(1) }));
  const e = await srv.req('PATCH', `/api/v1/warnings/${w.id}`, { token: duty, body: { level: 'red', onset: null, evacuation: true } });
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.level, 'red');
  assert.equal(e.json.onset, null);
  assert.equal(e.json.evacuation, true);
  assert.equal((await srv.req('PATCH', `/api/v1/warnings/${w.id}`, { token: duty, body: { evacuation: 'yes' } })).json.error.field, 'evacuation');
  await issue(w.id);
  assert.equal((await srv.req('PATCH', `/api/v1/warnings/${w.id}`, { token: duty, body: { level: 'blue' } })).status, 409);
  const empty = await act(cmd, w.id, 'update', {});
  assert.equal(empty.status, 400);
  assert.equal((await act(cmd, w.id, 'update', { areas: ['441523100'] })).status, 400);
  const grow = await act(cmd, w.id, 'update', { areas: ['441523', '441523100'], headline: '扩大范围' });
  assert.equal(grow.status, 200, grow.text);
  assert.equal(grow.json.version, 2);
  assert.equal(grow.json.dispatched, grow.json.recipients ? grow.json.recipients.total : 0);
});

test('expiry is a scheduler job: an issued warning past its expiry becomes expired and leaves the feed', async () => {
  const w = await create(duty, draft({ level: 'blue', expires: inHours(1) }));
  await issue(w.id);
  assert.ok((await srv.req('GET', '/api/v1/cap/feed')).json.items.some((x) => x.id === w.id));
  await srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: 2 * 3600000 } });
  try {
    let state;
    for (let i = 0; i < 80 && state !== 'expired'; i++) {
      state = (await get(duty, w.id)).json.state;
      if (state !== 'expired') await sleep(100);
    }
    assert.equal(state, 'expired');
    assert.ok(!(await srv.req('GET', '/api/v1/cap/feed')).json.items.some((x) => x.id === w.id));
    assert.equal((await act(cmd, w.id, 'cancel')).status, 409);
  } finally {
    await srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: 0 } });
  }
});

test('every warning write above is audited: audit verify says OK, and catches a warning changed behind the server', async () => {
  const w = await create(duty, draft({ headline: '审计' }));
  assert.equal((await srv.stop()).code, 0);
  const ok = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^audit: OK/);
  sql(srv.db, `UPDATE warning SET level='red' WHERE id=${w.id}`); // tampering, behind the server's back
  const broken = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(broken.status, 1, broken.stdout);
  assert.match(broken.stdout, /changed outside yingji/);
});
