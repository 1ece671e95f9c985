// Monitoring: devices and keys, HTTP and MQTT ingest, partial-bad batches,
// bounded bad input, latest state and tracks, rules (threshold, geofence,
// offline) raising and clearing exactly one alarm per episode, alarm
// acknowledgement, the alarm stream and layer, jurisdiction, the audit
// chain of devices, rules and alarms, restart, and kill -9 during ingest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeDemoDb, startMosquitto, waitForEvent, sql, sleep, cli } from './lib.mjs';

let srv, admin, county;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  county = await srv.login('duty_officer_441523');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const iso = (ms) => new Date(ms).toISOString();
async function device(id, kind, area, token = admin, name) {
  const r = await srv.req('POST', '/api/v1/devices', { token, body: { id, kind, area, ...(name ? { name } : {}) } });
  assert.equal(r.status, 201, r.text);
  return r.json.key;
}
async function send(key, lines) {
  const r = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') });
  return { status: r.status, json: await r.json() };
}
async function alarms(rule) {
  return (await srv.req('GET', `/api/v1/alarms?rule=${rule}&limit=1000`, { token: admin })).json.items;
}
// readings of a device's metric stored in the last day, counted through the API
async function readingCount(s, token, id, metric) {
  const r = await s.req('GET', `/api/v1/devices/${id}/readings?metric=${metric}&step=86400&from=${iso(Date.now() - 86400000)}&to=${iso(Date.now() + 600000)}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.points.reduce((n, p) => n + p.count, 0);
}
// a device's positions of the last day, through its track
async function trackPoints(s, token, id) {
  const r = await s.req('GET', `/api/v1/devices/${id}/track?from=${iso(Date.now() - 86400000)}&to=${iso(Date.now() + 600000)}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.properties.points;
}
async function until(fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(100);
  }
}

test('devices: create with a key shown once, validation, scope', async () => {
  const r = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'V-0001', kind: 'fishing_vessel', area: '441502' } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.key, /^V-0001\.[A-Za-z0-9_-]{43}$/);
  const again = await srv.req('GET', '/api/v1/devices/V-0001', { token: admin });
  assert.equal(again.json.key, undefined);
  assert.equal((await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'V-0001', kind: 'fishing_vessel', area: '441502' } })).status, 409);
  const bad = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'V 2', kind: 'submarine', area: '441502' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'id');
  const badKind = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'V-2', kind: 'submarine', area: '441502' } });
  assert.equal(badKind.json.error.field, 'kind');
  assert.equal((await srv.req('POST', '/api/v1/devices', { token: county, body: { id: 'V-3', kind: 'bus', area: '441502' } })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/devices/V-0001', { token: county })).status, 404);
});

test('HTTP ingest: good lines are stored, bad lines are told with reasons', async () => {
  const key = await device('RG-1', 'rain_gauge', '441523');
  const now = Date.now();
  const r = await send(key, [
    { device: 'RG-1', ts: iso(now - 60000), metric: 'rain_mm', value: 3.2 },
    { device: 'RG-1', ts: iso(now - 30000), metric: 'rain_mm', value: 1.1 },
    'this is not json',
    { device: 'RG-9', ts: iso(now), metric: 'rain_mm', value: 1 },
    { device: 'RG-1', ts: iso(now + 3600000), metric: 'rain_mm', value: 1 },
    { device: 'RG-1', ts: iso(now), lon: 191, lat: 23 },
    { device: 'RG-1', ts: iso(now), metric: 'Rain mm', value: 1 },
    { device: 'RG-1', metric: 'rain_mm', value: 1 },
  ]);
  assert.equal(r.status, 202);
  assert.equal(r.json.accepted, 2);
  assert.deepEqual(r.json.rejected.map((x) => x.line), [3, 4, 5, 6, 7, 8]);
  assert.match(r.json.rejected[1].error, /RG-9/);
  assert.match(r.json.rejected[2].error, /future/);
  assert.match(r.json.rejected[3].error, /lon/);
  assert.equal(await readingCount(srv, admin, 'RG-1', 'rain_mm'), 2);
  // a JSON array works too; a key only speaks for its own device
  const arr = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { 'X-Device-Key': key }, body: JSON.stringify([{ device: 'RG-1', ts: iso(now), metric: 'rain_mm', value: 0.5 }]) });
  assert.equal((await arr.json()).accepted, 1);
  assert.equal((await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', body: '{}' })).status, 401);
  assert.equal((await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: 'Device RG-1.wrong' }, body: '{}' })).status, 401);
  // a signed-in duty officer may send for devices in the jurisdiction only
  const mine = await srv.req('POST', '/api/v1/telemetry', { token: county, raw: JSON.stringify({ device: 'RG-1', ts: iso(now), metric: 'rain_mm', value: 0 }) });
  assert.equal(mine.json.accepted, 1);
  const notMine = await srv.req('POST', '/api/v1/telemetry', { token: county, raw: JSON.stringify({ device: 'V-0001', ts: iso(now), lon: 115.3, lat: 22.7 }) });
  assert.equal(notMine.json.accepted, 0);
  assert.match(notMine.json.rejected[0].error, /jurisdiction/);
});

test('latest positions, tracks and aggregated readings', async () => {
  const key = await device('BUS-1', 'bus', '441502');
  const t0 = Date.parse('2022-08-18T01:30:00Z');
  const pts = [[115.35, 22.77], [115.36, 22.775], [115.37, 22.78]];
  const r = await send(key, pts.map(([lon, lat], i) => ({ device: 'BUS-1', ts: iso(t0 + i * 60000), lon, lat, speed_kmh: 30 + i, heading: 90 })));
  assert.equal(r.json.accepted, 3);
  // an older report arriving late does not move the latest position back
  await send(key, [{ device: 'BUS-1', ts: iso(t0 - 60000), lon: 115.30, lat: 22.70 }]);
  const layer = await srv.req('GET', '/api/v1/layers/positions?kind=bus', { token: admin });
  const f = layer.json.features.find((x) => x.id === 'BUS-1');
  assert.deepEqual(f.geometry.coordinates, [115.37, 22.78]);
  assert.equal(f.properties.speed_kmh, 32);
  const box = await srv.req('GET', '/api/v1/layers/positions?bbox=115.0,22.0,115.1,22.1', { token: admin });
  assert.ok(!box.json.features.some((x) => x.id === 'BUS-1'));
  const countyView = await srv.req('GET', '/api/v1/layers/positions', { token: county });
  assert.ok(!countyView.json.features.some((x) => x.id === 'BUS-1'));
  const track = await srv.req('GET', `/api/v1/devices/BUS-1/track?from=${iso(t0 - 3600000)}&to=${iso(t0 + 3600000)}`, { token: admin });
  assert.equal(track.json.geometry.type, 'LineString');
  assert.equal(track.json.geometry.coordinates.length, 4);
  assert.equal(track.json.properties.times.length, 4);
  const rg = await srv.req('GET', `/api/v1/devices/RG-1/readings?metric=rain_mm&step=86400&from=${iso(Date.now() - 86400000)}&to=${iso(Date.now() + 60000)}`, { token: admin });
  assert.equal(rg.status, 200, rg.text);
  const sum = rg.json.points.reduce((s, p) => s + p.sum, 0);
  assert.ok(Math.abs(sum - 4.8) < 1e-9, JSON.stringify(rg.json));
});

test('threshold rule: one alarm per episode, hysteresis, clears when the window passes', async () => {
  const key = await device('RG-T', 'rain_gauge', '441523');
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: {
    name: '1小时降雨量≥50mm', kind: 'threshold', level: 'orange', area_code: '441523',
    spec: { metric: 'rain_mm', window_s: 3600, agg: 'sum', op: '>=', value: 50, clear_value: 40, device_kinds: ['rain_gauge'] } } });
  assert.equal(rule.status, 201, rule.text);
  const id = rule.json.id;
  const t0 = Date.now() - 3 * 3600000;
  const at = (min, v) => ({ device: 'RG-T', ts: iso(t0 + min * 60000), metric: 'rain_mm', value: v });
  await send(key, [at(0, 20), at(10, 20)]);
  assert.equal((await alarms(id)).length, 0);
  await send(key, [at(20, 15)]); // sum 55 -> raise
  let list = await alarms(id);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'open');
  assert.equal(list[0].level, 'orange');
  assert.equal(list[0].device, 'RG-T');
  await send(key, [at(30, 2), at(40, 1)]); // still >= 40: same episode
  assert.equal((await alarms(id)).length, 1);
  await send(key, [at(70, 0)]); // window 10..70: 20+15+2+1 = 38 < 40 -> clear
  list = await alarms(id);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'closed');
  assert.ok(list[0].cleared);
  await send(key, [at(80, 30), at(85, 30)]); // a new episode
  list = await alarms(id);
  assert.equal(list.length, 2);
  assert.equal(list[0].state, 'open');
  // bad rules are told precisely
  const bad = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: 'x', kind: 'threshold', level: 'purple', spec: {} } });
  assert.equal(bad.json.error.field, 'level');
  const badSpec = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: 'x', kind: 'threshold', level: 'red', spec: { metric: 'rain_mm', op: '=>', value: 1 } } });
  assert.equal(badSpec.json.error.field, 'spec.op');
});

test('geofence enter: vessel in a no-go zone raises once, jitter at the line does not flap', async () => {
  const key = await device('V-G', 'fishing_vessel', '441502');
  const zone = { type: 'Polygon', coordinates: [[[115.40, 22.60], [115.50, 22.60], [115.50, 22.70], [115.40, 22.70], [115.40, 22.60]]] };
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: {
    name: '禁航区', kind: 'geofence', level: 'red', spec: { device_kinds: ['fishing_vessel'], polygon: zone, trigger: 'enter', margin_m: 200 } } });
  assert.equal(rule.status, 201, rule.text);
  const id = rule.json.id;
  let t = Date.now() - 600000;
  const pos = (lon, lat) => ({ device: 'V-G', ts: iso(t += 1000), lon, lat });
  await send(key, [pos(115.30, 22.65), pos(115.39, 22.65)]);
  assert.equal((await alarms(id)).length, 0);
  await send(key, [pos(115.401, 22.65)]); // inside
  assert.equal((await alarms(id)).length, 1);
  await send(key, [pos(115.3995, 22.65), pos(115.4005, 22.65), pos(115.3992, 22.65)]); // within the 200 m band
  let list = await alarms(id);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'open');
  await send(key, [pos(115.35, 22.65)]); // well out
  list = await alarms(id);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'closed');
  // a self-intersecting polygon is refused
  const bow = { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] };
  const bad = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: 'x', kind: 'geofence', level: 'red', spec: { device_kinds: ['bus'], polygon: bow } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'spec.polygon');
});

test('geofence exit: a ranger leaving the patrol area, by area code', async () => {
  const key = await device('R-1', 'ranger', '441523');
  const rule = await srv.req('POST', '/api/v1/rules', { token: county, body: {
    name: '护林员离开巡护区', kind: 'geofence', level: 'yellow', area_code: '441523', spec: { device_kinds: ['ranger'], area: '441523', trigger: 'exit', margin_m: 100 } } });
  assert.equal(rule.status, 201, rule.text);
  const id = rule.json.id;
  let t = Date.now() - 600000;
  const pos = (lon, lat) => ({ device: 'R-1', ts: iso(t += 1000), lon, lat });
  await send(key, [pos(115.65, 23.30)]); // in 陆河
  assert.equal((await alarms(id)).length, 0);
  await send(key, [pos(115.37, 22.78)]); // in 城区: out
  const list = await alarms(id);
  assert.equal(list.length, 1);
  await send(key, [pos(115.65, 23.30)]);
  assert.equal((await alarms(id))[0].state, 'closed');
});

test('offline rule: no data for N minutes raises; the next report clears', async () => {
  const key = await device('GAS-1', 'gas', '441581');
  const probeKey = await device('P-1', 'pressure', '441581');
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '气体探测器离线', kind: 'offline', level: 'blue', spec: { minutes: 5, device_kinds: ['gas'] } } });
  assert.equal(rule.status, 201, rule.text);
  const id = rule.json.id;
  // the probe: a 1-minute offline rule on another device, to prove the offline check is alive
  const probe = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '压力计离线', kind: 'offline', level: 'blue', spec: { minutes: 1, device_kinds: ['pressure'] } } });
  assert.equal(probe.status, 201, probe.text);
  await send(key, [{ device: 'GAS-1', ts: iso(Date.now()), metric: 'ch4_pct_lel', value: 1 }]);
  await send(probeKey, [{ device: 'P-1', ts: iso(Date.now()), metric: 'pressure_kpa', value: 101 }]);
  // 2 minutes later: the 1-minute rule must fire (the engine judged this moment) ...
  await srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: 2 * 60000 } });
  const alive = await until(async () => (await alarms(probe.json.id)).length === 1);
  assert.ok(alive, 'the 1-minute offline rule fired: the offline check runs');
  // ... and in the same pass the 5-minute rule did not
  assert.equal((await alarms(id)).length, 0, 'no alarm after 2 of 5 minutes');
  await srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: 6 * 60000 } });
  const raised = await until(async () => (await alarms(id)).length === 1);
  assert.ok(raised, 'offline alarm raised');
  const a = (await alarms(id))[0];
  assert.match(a.message, /^气体探测器 GAS-1 已离线 [67] 分钟，最后上报 \d\d-\d\d \d\d:\d\d（规则：气体探测器离线）$/);
  assert.equal(a.rule_kind, 'offline');
  assert.equal(a.window_s, 300);
  // acknowledge, then data arrives: closed
  const ack = await srv.req('POST', `/api/v1/alarms/${a.id}/ack`, { token: county });
  assert.equal(ack.status, 404); // 陆丰 is not 陆河's
  const ok = await srv.req('POST', `/api/v1/alarms/${a.id}/ack`, { token: admin });
  assert.equal(ok.json.state, 'acknowledged');
  const again = await srv.req('POST', `/api/v1/alarms/${a.id}/ack`, { token: admin });
  assert.equal(again.status, 409);
  await send(key, [{ device: 'GAS-1', ts: iso(Date.now() + 6 * 60000), metric: 'ch4_pct_lel', value: 1 }]);
  const list = await alarms(id);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'closed');
  await srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: 0 } });
  await srv.req('PATCH', `/api/v1/rules/${id}`, { token: admin, body: { enabled: false } });
  await srv.req('PATCH', `/api/v1/rules/${probe.json.id}`, { token: admin, body: { enabled: false } });
});

test('alarm messages are Chinese, for a duty officer, and the alarm carries its facts', async () => {
  // threshold: 1 hour of rain summed
  const key = await device('RG-CN', 'rain_gauge', '441502', admin, '城区雨量站');
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: {
    name: '1小时降雨量≥50mm', kind: 'threshold', level: 'orange', area_code: '441502',
    spec: { metric: 'rain_mm', window_s: 3600, agg: 'sum', op: '>=', value: 50, device_kinds: ['rain_gauge'] } } });
  assert.equal(rule.status, 201, rule.text);
  const t = Date.now() - 1800000;
  await send(key, [0, 1, 2].map((k) => ({ device: 'RG-CN', ts: iso(t + k * 60000), metric: 'rain_mm', value: 20 })));
  const [a] = await alarms(rule.json.id);
  assert.equal(a.message, '雨量站 城区雨量站（RG-CN）：1小时累计雨量 60.0 毫米，达到 50.0 毫米（规则：1小时降雨量≥50mm）');
  assert.deepEqual(
    { kind: a.rule_kind, metric: a.metric, label: a.metric_label, unit: a.unit, agg: a.aggregation, window: a.window_s, op: a.comparison, threshold: a.threshold, value: a.value, trigger: a.trigger },
    { kind: 'threshold', metric: 'rain_mm', label: '雨量', unit: '毫米', agg: 'sum', window: 3600, op: '>=', threshold: 50, value: 60, trigger: null });
  // the facts stay those the alarm was raised with when the rule changes
  await srv.req('PATCH', `/api/v1/rules/${rule.json.id}`, { token: admin, body: { spec: { metric: 'rain_mm', window_s: 7200, agg: 'sum', op: '>=', value: 80 } } });
  const again = (await srv.req('GET', `/api/v1/alarms/${a.id}`, { token: admin })).json;
  assert.deepEqual([again.window_s, again.threshold], [3600, 50]);
  await srv.req('PATCH', `/api/v1/rules/${rule.json.id}`, { token: admin, body: { enabled: false } });
  // a tank's level, the last reading against a limit
  const tank = await device('TK-CN', 'tank_level', '441581');
  const level = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '储罐液位高', kind: 'threshold', level: 'red', area_code: '441581', spec: { metric: 'level_pct', op: '>', value: 90, device_kinds: ['tank_level'] } } });
  await send(tank, [{ device: 'TK-CN', ts: iso(Date.now() - 1000), metric: 'level_pct', value: 95.5 }]);
  assert.equal((await alarms(level.json.id))[0].message, '储罐液位计 TK-CN：液位 95.5%，超过 90.0%（规则：储罐液位高）');
  await srv.req('PATCH', `/api/v1/rules/${level.json.id}`, { token: admin, body: { enabled: false } });
  // geofence: a fishing vessel leaving its county's boundary
  const vkey = await device('V-CN', 'fishing_vessel', '441502', admin, '粤汕渔12345');
  const fence = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '渔船离开城区', kind: 'geofence', level: 'yellow', area_code: '441502', spec: { device_kinds: ['fishing_vessel'], area: '441502', trigger: 'exit', margin_m: 0 } } });
  assert.equal(fence.status, 201, fence.text);
  let ft = Date.now() - 60000;
  await send(vkey, [{ device: 'V-CN', ts: iso(ft += 1000), lon: 115.37, lat: 22.78 }, { device: 'V-CN', ts: iso(ft += 1000), lon: 115.65, lat: 23.30 }]);
  const [f] = await alarms(fence.json.id);
  assert.equal(f.message, '渔船 粤汕渔12345（V-CN）驶出 城区 围栏（规则：渔船离开城区）');
  assert.deepEqual([f.rule_kind, f.trigger, f.fence, f.metric, f.threshold], ['geofence', 'exit', '城区', null, null]);
  await srv.req('PATCH', `/api/v1/rules/${fence.json.id}`, { token: admin, body: { enabled: false } });
  // no English words in any of them
  for (const m of [a.message, f.message]) assert.doesNotMatch(m, /\b(rule|sum|over|entered|left|zone|no data)\b/);
});

test('alarms stream: an alarm arrives as a Server-Sent Event', async () => {
  const key = await device('TANK-1', 'tank_level', '441581');
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '储罐液位高', kind: 'threshold', level: 'red', spec: { metric: 'level_pct', op: '>', value: 90, agg: 'last' } } });
  const ev = await waitForEvent(`${srv.base}/api/v1/stream/alarms`, admin, (e) => e.event === 'alarm' && e.json?.rule_id === rule.json.id, {
    onOpen: async () => { await send(key, [{ device: 'TANK-1', ts: iso(Date.now()), metric: 'level_pct', value: 95 }]); },
  });
  assert.equal(ev.json.state, 'open');
  assert.equal(ev.json.device, 'TANK-1');
  // a county user's stream does not carry other counties' alarms: the layer neither
  const layer = await srv.req('GET', '/api/v1/layers/alarms', { token: county });
  assert.ok(layer.json.features.every((f) => f.properties.area_code.startsWith('441523')));
});

test('alarms stream in jurisdiction: a county sees its own alarm and not the one raised before it elsewhere', async () => {
  const away = await device('TANK-AWAY', 'tank_level', '441581');
  const home = await device('TANK-HOME', 'tank_level', '441523');
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '储罐液位高 (辖区)', kind: 'threshold', level: 'red', spec: { metric: 'level_pct', op: '>', value: 90, agg: 'last' } } });
  assert.equal(rule.status, 201, rule.text);
  const seen = [];
  const ev = await waitForEvent(`${srv.base}/api/v1/stream/alarms`, county, (e) => {
    if (e.event !== 'alarm' || e.json?.rule_id !== rule.json.id) return false; // other tests' rules raise too
    seen.push(e.json);
    return e.json.device === 'TANK-HOME';
  }, {
    onOpen: async () => {
      // the other county's alarm is raised first: a stream that leaked would carry it before ours
      await send(away, [{ device: 'TANK-AWAY', ts: iso(Date.now()), metric: 'level_pct', value: 95 }]);
      await sleep(300);
      await send(home, [{ device: 'TANK-HOME', ts: iso(Date.now()), metric: 'level_pct', value: 95 }]);
    },
  });
  assert.equal(ev.json.area_code.slice(0, 6), '441523');
  assert.deepEqual(seen.map((a) => a.device), ['TANK-HOME'], JSON.stringify(seen));
  const all = await srv.req('GET', `/api/v1/alarms?rule=${rule.json.id}`, { token: admin });
  assert.equal(all.json.items.length, 2, 'both alarms were raised');
});

test('MQTT ingest through mosquitto, and restart keeps the latest state', async () => {
  const broker = await startMosquitto();
  const { db } = makeDemoDb();
  let s2 = await startServer({ db, args: ['--mqtt', broker.url, '--mqtt-topic', 'yingji/telemetry/#'], env: { YJ_MQTT_CLIENT_ID: `yj-test-${process.pid}` } });
  try {
    const a = await s2.login('admin');
    assert.equal((await s2.req('POST', '/api/v1/devices', { token: a, body: { id: 'V-M', kind: 'cargo_vessel', area: '441581' } })).status, 201);
    await sleep(500); // subscription in place
    const t = Date.now() - 5000;
    broker.publish('yingji/telemetry/V-M', JSON.stringify({ device: 'V-M', ts: iso(t), lon: 115.70, lat: 22.80 }));
    broker.publish('yingji/telemetry/V-M', [JSON.stringify({ device: 'V-M', ts: iso(t + 1000), lon: 115.71, lat: 22.81 }), 'garbage', JSON.stringify({ device: 'nobody', ts: iso(t), lon: 1, lat: 1 })].join('\n'));
    const got = await until(async () => (await trackPoints(s2, a, 'V-M')) === 2);
    assert.ok(got, 'two MQTT positions stored');
    await s2.stop();
    s2 = await startServer({ db });
    const a2 = await s2.login('admin');
    const dev = await s2.req('GET', '/api/v1/devices/V-M', { token: a2 });
    assert.deepEqual([dev.json.position.lon, dev.json.position.lat], [115.71, 22.81]);
    assert.ok(dev.json.last_seen);
  } finally {
    await s2.stop();
    broker.stop();
  }
});

test('kill -9 during ingest loses no acknowledged report', async () => {
  const { db } = makeDemoDb();
  let s3 = await startServer({ db });
  const a = await s3.login('admin');
  const ids = ['K-1', 'K-2', 'K-3', 'K-4'];
  const keys = {};
  for (const id of ids) keys[id] = (await s3.req('POST', '/api/v1/devices', { token: a, body: { id, kind: 'heavy_truck', area: '441521' } })).json.key;
  let acked = 0;
  let stop = false;
  const t0 = Date.now() - 3600000;
  const sender = async (id) => {
    let n = 0;
    while (!stop) {
      const lines = [];
      for (let k = 0; k < 200; k++, n++) lines.push(JSON.stringify({ device: id, ts: iso(t0 + n), lon: 115.2 + (n % 100) / 1000, lat: 22.9 }));
      try {
        const r = await fetch(`${s3.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${keys[id]}` }, body: lines.join('\n') });
        if (r.status === 202) acked += (await r.json()).accepted;
      } catch { break; }
    }
  };
  const running = ids.map(sender);
  await sleep(1500);
  await s3.kill9();
  stop = true;
  await Promise.all(running);
  assert.ok(acked > 1000, `acked ${acked}`);
  s3 = await startServer({ db });
  const a3 = await s3.login('admin');
  let stored = 0;
  for (const id of ids) stored += await trackPoints(s3, a3, id);
  assert.ok(stored >= acked, `stored ${stored} < acknowledged ${acked}`);
  const layer = await s3.req('GET', '/api/v1/layers/positions?kind=heavy_truck', { token: a3 });
  assert.equal(layer.json.features.length, 4);
  assert.equal((await s3.stop()).code, 0);
});

test('geofence during a warning: a vessel out at sea alarms only while a typhoon warning is in effect', async () => {
  const key = await device('V-T', 'fishing_vessel', '441502');
  const sea = { type: 'Polygon', coordinates: [[[115.20, 22.40], [115.60, 22.40], [115.60, 22.62], [115.20, 22.62], [115.20, 22.40]]] };
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: {
    name: '台风期间渔船未回港', kind: 'geofence', level: 'red', spec: { device_kinds: ['fishing_vessel'], polygon: sea, trigger: 'enter', during_warning: 'typhoon', margin_m: 0 } } });
  assert.equal(rule.status, 201, rule.text);
  const id = rule.json.id;
  let t = Date.now() - 600000;
  const at = () => ({ device: 'V-T', ts: new Date(t += 1000).toISOString(), lon: 115.40, lat: 22.50 });
  await send(key, [at()]);
  assert.equal((await alarms(id)).length, 0, 'no warning, no alarm');
  const duty = await srv.login('duty_officer_441502');
  const w = await srv.req('POST', '/api/v1/warnings', { token: duty, body: { type: 'typhoon', level: 'red', headline: '台风红色预警', areas: ['441502'], expires: new Date(Date.now() + 6 * 3600000).toISOString() } });
  await srv.req('POST', `/api/v1/warnings/${w.json.id}/submit`, { token: duty });
  await srv.req('POST', `/api/v1/warnings/${w.json.id}/approve`, { token: await srv.login('commander_441502') });
  assert.equal((await srv.req('POST', `/api/v1/warnings/${w.json.id}/issue`, { token: duty })).status, 200);
  await send(key, [at()]);
  const list = await alarms(id);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'open');
  await srv.req('POST', `/api/v1/warnings/${w.json.id}/cancel`, { token: await srv.login('commander_441502') });
  await send(key, [at()]);
  assert.equal((await alarms(id))[0].state, 'closed', 'the warning ended: so did the episode');
});

test('jurisdiction: ?area= is a known area inside the caller\'s, on every list, layer and stream', async () => {
  // devices and alarms in two counties: 陆河 441523 (the county officer's) and 城区 441502
  await device('J-523', 'bus', '441523');
  await device('J-502', 'bus', '441502');
  const paths = ['/api/v1/devices', '/api/v1/alarms', '/api/v1/rules', '/api/v1/layers/alarms', '/api/v1/layers/positions'];
  for (const p of paths) {
    for (const bad of ['4415230', '441523x', '441523999999', '']) {
      if (bad === '') continue;
      const r = await srv.req('GET', `${p}?area=${bad}`, { token: county });
      assert.equal(r.status, 400, `${p}?area=${bad}: ${r.text}`);
      assert.equal(r.json.error.field, 'area', `${p}?area=${bad}`);
    }
    const outside = await srv.req('GET', `${p}?area=441502`, { token: county });
    assert.equal(outside.status, 403, `${p}?area=441502: ${outside.text}`);
    const mine = await srv.req('GET', `${p}?area=441523`, { token: county });
    assert.equal(mine.status, 200, `${p}?area=441523: ${mine.text}`);
  }
  for (const p of ['/api/v1/stream/positions', '/api/v1/stream/alarms']) {
    assert.equal((await srv.req('GET', `${p}?area=4415230`, { token: county })).status, 400, p);
    assert.equal((await srv.req('GET', `${p}?area=441502`, { token: county })).status, 403, p);
  }
  // what a county sees is its own
  const devs = await srv.req('GET', '/api/v1/devices?limit=1000', { token: county });
  assert.ok(devs.json.items.some((d) => d.id === 'J-523'));
  assert.ok(devs.json.items.every((d) => d.area.startsWith('441523')), JSON.stringify(devs.json.items.map((d) => d.area)));
  const adminView = await srv.req('GET', '/api/v1/devices?area=441502&limit=1000', { token: admin });
  assert.ok(adminView.json.items.some((d) => d.id === 'J-502'));
  assert.ok(!adminView.json.items.some((d) => d.id === 'J-523'));
  const als = await srv.req('GET', '/api/v1/alarms?limit=1000', { token: county });
  assert.ok(als.json.items.every((a) => a.area_code.startsWith('441523')));
  // ids chosen by the client that lead elsewhere: another county's device, its track and readings, a rule, an alarm
  for (const p of ['/api/v1/devices/J-502', '/api/v1/devices/J-502/track', '/api/v1/devices/J-502/readings?metric=x']) {
    assert.equal((await srv.req('GET', p, { token: county })).status, 404, p);
  }
  assert.equal((await srv.req('PATCH', '/api/v1/devices/J-502', { token: county, body: { name: 'mine now' } })).status, 404);
  assert.equal((await srv.req('POST', '/api/v1/devices/J-502/key', { token: county })).status, 404);
  const cityRule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '城区规则', kind: 'offline', level: 'blue', area_code: '441502', enabled: false, spec: { minutes: 60 } } });
  assert.equal(cityRule.status, 201, cityRule.text);
  assert.equal((await srv.req('GET', `/api/v1/rules/${cityRule.json.id}`, { token: county })).status, 404);
  assert.equal((await srv.req('PATCH', `/api/v1/rules/${cityRule.json.id}`, { token: county, body: { enabled: true } })).status, 404);
  const rules = await srv.req('GET', '/api/v1/rules', { token: county });
  assert.ok(!rules.json.items.some((r) => r.id === cityRule.json.id));
  // a device may not be moved out of the caller's reach, nor a fence drawn with another county's boundary
  assert.equal((await srv.req('PATCH', '/api/v1/devices/J-523', { token: county, body: { area: '441502' } })).status, 403);
  const fence = await srv.req('POST', '/api/v1/rules', { token: county, body: { name: 'x', kind: 'geofence', level: 'red', spec: { device_kinds: ['bus'], area: '441502' } } });
  assert.equal(fence.status, 403);
  assert.equal(fence.json.error.field, 'spec.area');
});

test('rules: an area that is not a known area is 400 naming area_code, never a database error', async () => {
  for (const area of ['4415230', '441523999999', '44152', 'abc']) {
    const r = await srv.req('POST', '/api/v1/rules', { token: county, body: { name: 'x', kind: 'offline', level: 'blue', area_code: area, spec: { minutes: 5 } } });
    assert.equal(r.status, 400, `${area}: ${r.text}`);
    assert.equal(r.json.error.field, 'area_code');
    assert.doesNotMatch(r.text, /FOREIGN KEY|constraint|SQL/i);
  }
  const outside = await srv.req('POST', '/api/v1/rules', { token: county, body: { name: 'x', kind: 'offline', level: 'blue', area_code: '441502', spec: { minutes: 5 } } });
  assert.equal(outside.status, 403);
  // a county's geofence compiles against its own area (nothing is specific to one city)
  const zone = { type: 'Polygon', coordinates: [[[115.60, 23.20], [115.70, 23.20], [115.70, 23.30], [115.60, 23.30], [115.60, 23.20]]] };
  const ok = await srv.req('POST', '/api/v1/rules', { token: county, body: { name: '陆河围栏', kind: 'geofence', level: 'yellow', enabled: false, spec: { device_kinds: ['bus'], polygon: zone } } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.area_code, '441523');
  const bad = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'D-BAD', kind: 'bus', area: '4415230' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'area');
});

test('bad input is bounded: a body of mostly bad lines is refused whole and fast, with its first errors', async () => {
  const key = await device('BAD-1', 'rain_gauge', '441523');
  const good = JSON.stringify({ device: 'BAD-1', ts: iso(Date.now() - 1000), metric: 'rain_mm', value: 1 });
  const junk = good + '\n' + 'x\n'.repeat(3 * 1024 * 1024); // 6 MB
  const t0 = Date.now();
  const r = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: junk });
  const j = await r.json();
  const took = Date.now() - t0;
  assert.equal(r.status, 400, JSON.stringify(j).slice(0, 500));
  assert.equal(j.error.code, 'invalid_argument');
  assert.equal(j.error.field, 'body');
  assert.ok(took < 3000, `took ${took} ms`);
  assert.ok(j.rejected_count >= 51 && j.rejected_count <= 1000, `rejected_count ${j.rejected_count}`);
  assert.equal(j.rejected[0].line, 2);
  assert.match(j.rejected[0].error, /invalid JSON/);
  assert.equal(j.accepted, 0);
  assert.equal(await readingCount(srv, admin, 'BAD-1', 'rain_mm'), 0, 'nothing of the refused request is stored');
  // at most TEL_MAX_BAD_LINES bad lines, even when they are a minority
  const lines = [];
  for (let i = 0; i < 3300; i++) lines.push(i % 3 === 2 ? 'nope' : JSON.stringify({ device: 'BAD-1', ts: iso(Date.now() - 3600000 + i), metric: 'rain_mm', value: 0 }));
  const capped = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: lines.join('\n') });
  const cj = await capped.json();
  assert.equal(capped.status, 400);
  assert.equal(cj.rejected_count, 1000);
  assert.equal(cj.lines_read, 3000);
  assert.equal(cj.rejected.length, 1000);
  assert.equal(cj.rejected[0].line, 3);
  assert.equal(await readingCount(srv, admin, 'BAD-1', 'rain_mm'), 0);
  // a few bad lines among good ones are still told and the good ones kept
  const fine = await send(key, [good, 'x', JSON.stringify({ device: 'BAD-1', ts: iso(Date.now() - 500), metric: 'rain_mm', value: 2 })]);
  assert.equal(fine.status, 202);
  assert.equal(fine.json.accepted, 2);
  assert.deepEqual(fine.json.rejected.map((x) => x.line), [2]);
  // ten at once leave the server answering: each is refused for its lines, or (beyond the
  // heavy requests' slots) told to come back (503 with Retry-After), and /healthz stays fast
  const started = Date.now();
  const all = Array.from({ length: 10 }, () => fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: junk })
    .then(async (x) => ({ status: x.status, retry: x.headers.get('retry-after'), code: (await x.json()).error.code })));
  const h0 = Date.now();
  const health = await fetch(`${srv.base}/healthz`);
  assert.equal(health.status, 200);
  const healthMs = Date.now() - h0;
  const answers = await Promise.all(all);
  for (const a of answers) {
    assert.ok(a.status === 400 || (a.status === 503 && a.retry), JSON.stringify(a));
  }
  assert.ok(answers.filter((a) => a.status === 400).length >= 1);
  assert.ok(healthMs < 2000, `/healthz took ${healthMs} ms`);
  assert.ok(Date.now() - started < 15000, `ten refused bodies took ${Date.now() - started} ms`);
});

test('rejections stay valid UTF-8: a cut escape before a Chinese character is told, not dropped', async () => {
  const key = await device('U8-1', 'rain_gauge', '441523');
  const r = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: '{"device":"\\u12中"}' });
  const text = await r.text();
  const j = JSON.parse(text);
  assert.equal(r.status, 202, text);
  assert.equal(j.rejected_count, 1);
  assert.equal(j.rejected.length, 1, text);
  assert.equal(j.rejected[0].line, 1);
  assert.ok(j.rejected[0].error.length > 0);
  // a device id of invalid UTF-8 bytes and a long Chinese one, cut at its limit
  const raw = Buffer.concat([Buffer.from('{"device":"'), Buffer.from([0xe4, 0xb8]), Buffer.from('","ts":"2022-08-18T09:30:00+08:00","metric":"a","value":1}\n{"device":"' + '中'.repeat(40) + '","ts":"2022-08-18T09:30:00+08:00","metric":"a","value":1}')]);
  const r2 = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: raw });
  const j2 = await r2.json();
  assert.equal(j2.rejected_count, 2);
  assert.equal(j2.rejected.length, 2);
});

test('alarm layer: features with the alarm id, bbox and state honoured, bad bbox 400, application/geo+json', async () => {
  const key = await device('V-L', 'fishing_vessel', '441502');
  const zone = { type: 'Polygon', coordinates: [[[115.80, 22.70], [115.90, 22.70], [115.90, 22.80], [115.80, 22.80], [115.80, 22.70]]] };
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '图层测试区', kind: 'geofence', level: 'orange', spec: { device_kinds: ['fishing_vessel'], polygon: zone, margin_m: 0 } } });
  assert.equal(rule.status, 201, rule.text);
  let t = Date.now() - 60000;
  await send(key, [{ device: 'V-L', ts: iso(t += 1000), lon: 115.85, lat: 22.75 }]);
  const [alarm] = await alarms(rule.json.id);
  assert.equal(alarm.state, 'open');
  const layer = await srv.req('GET', '/api/v1/layers/alarms', { token: admin });
  assert.equal(layer.status, 200);
  assert.match(layer.headers.get('content-type'), /^application\/geo\+json/);
  assert.equal(layer.json.type, 'FeatureCollection');
  const f = layer.json.features.find((x) => x.properties.rule_id === rule.json.id);
  assert.ok(f, 'the open alarm is on the layer');
  assert.equal(f.id, alarm.id);
  assert.equal(typeof f.id, 'number');
  assert.ok(layer.json.features.every((x) => typeof x.id === 'number' || typeof x.id === 'string'));
  assert.deepEqual(f.geometry.coordinates, [115.85, 22.75]);
  // bbox: elsewhere in the world nothing of Shanwei; around the vessel, the alarm
  const far = await srv.req('GET', '/api/v1/layers/alarms?bbox=100,0,101,1', { token: admin });
  assert.equal(far.status, 200);
  assert.equal(far.json.features.length, 0);
  const near = await srv.req('GET', '/api/v1/layers/alarms?bbox=115.8,22.7,115.9,22.8', { token: admin });
  assert.ok(near.json.features.some((x) => x.id === alarm.id));
  for (const bad of ['1,2,3', '1,2,3,x', '10,0,0,1', '0,0,200,1']) {
    const r = await srv.req('GET', `/api/v1/layers/alarms?bbox=${bad}`, { token: admin });
    assert.equal(r.status, 400, `bbox=${bad}`);
    assert.equal(r.json.error.field, 'bbox');
  }
  // state: the active ones by default; closed ones when asked
  await send(key, [{ device: 'V-L', ts: iso(t += 1000), lon: 115.5, lat: 22.75 }]);
  assert.equal((await alarms(rule.json.id))[0].state, 'closed');
  const active = await srv.req('GET', '/api/v1/layers/alarms', { token: admin });
  assert.ok(!active.json.features.some((x) => x.id === alarm.id));
  const closed = await srv.req('GET', '/api/v1/layers/alarms?state=closed', { token: admin });
  assert.ok(closed.json.features.some((x) => x.id === alarm.id && x.properties.state === 'closed'));
  assert.equal((await srv.req('GET', '/api/v1/layers/alarms?state=gone', { token: admin })).status, 400);
  await srv.req('PATCH', `/api/v1/rules/${rule.json.id}`, { token: admin, body: { enabled: false } });
});

test('audit: devices, rules and alarms verify once the server stopped; a changed alarm is caught, report-driven moves are not', async () => {
  const { db } = makeDemoDb();
  const s = await startServer({ db });
  let stopped = false;
  try {
    const a = await s.login('admin');
    const d = await s.req('POST', '/api/v1/devices', { token: a, body: { id: 'AU-1', kind: 'tank_level', area: '441521', name: '储罐 1' } });
    assert.equal(d.status, 201, d.text);
    assert.equal((await s.req('PATCH', '/api/v1/devices/AU-1', { token: a, body: { owner: '某化工' } })).status, 200);
    assert.equal((await s.req('POST', '/api/v1/devices/AU-1/key', { token: a })).status, 200);
    const rule = await s.req('POST', '/api/v1/rules', { token: a, body: { name: '液位高', kind: 'threshold', level: 'red', spec: { metric: 'level_pct', op: '>', value: 90, clear_value: 80 } } });
    assert.equal(rule.status, 201, rule.text);
    assert.equal((await s.req('PATCH', `/api/v1/rules/${rule.json.id}`, { token: a, body: { level: 'orange' } })).status, 200);
    const post = (lines) => fetch(`${s.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Bearer ${a}` }, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    const t = Date.now() - 60000;
    await post([{ device: 'AU-1', ts: iso(t), metric: 'level_pct', value: 95 }]);
    await post([{ device: 'AU-1', ts: iso(t + 1000), metric: 'level_pct', value: 96 }]); // the episode goes on: last_seen, value move
    const list = (await s.req('GET', `/api/v1/alarms?rule=${rule.json.id}`, { token: a })).json.items;
    assert.equal(list.length, 1);
    assert.equal((await s.req('POST', `/api/v1/alarms/${list[0].id}/ack`, { token: a })).status, 200);
    await sleep(2500); // the engine writes the running episode's last report and value (scheduler: no batch came)
    const del = await s.req('POST', '/api/v1/rules', { token: a, body: { name: '删除', kind: 'offline', level: 'blue', spec: { minutes: 5 } } });
    assert.equal((await s.req('DELETE', `/api/v1/rules/${del.json.id}`, { token: a })).status, 204);
    assert.equal((await s.stop()).code, 0);
    stopped = true;
    const ok = cli(['audit', 'verify', '--db', db]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^audit: OK/);
    // what every report moves is not vouched for ...
    sql(db, `UPDATE alarm SET last_ms = last_ms + 5000, value = 97 WHERE id = ${list[0].id}`);
    assert.equal(cli(['audit', 'verify', '--db', db]).status, 0);
    // ... the facts the alarm was raised on are (its projection v2)
    sql(db, `UPDATE alarm SET threshold = 99 WHERE id = ${list[0].id}`);
    const facts = cli(['audit', 'verify', '--db', db]);
    assert.equal(facts.status, 1, facts.stdout);
    assert.match(facts.stdout, /BROKEN/);
    sql(db, `UPDATE alarm SET threshold = 90 WHERE id = ${list[0].id}`);
    assert.equal(cli(['audit', 'verify', '--db', db]).status, 0);
    // ... and what a person did is
    sql(db, `UPDATE alarm SET state = 'closed' WHERE id = ${list[0].id}`);
    const broken = cli(['audit', 'verify', '--db', db]);
    assert.equal(broken.status, 1, broken.stdout);
    assert.match(broken.stdout, /BROKEN/);
  } finally {
    if (!stopped) await s.stop();
  }
});
