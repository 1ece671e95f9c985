// Monitoring: devices and keys, HTTP and MQTT ingest, partial-bad batches,
// latest state and tracks, rules (threshold, geofence, offline) raising and
// clearing exactly one alarm per episode, alarm acknowledgement, the alarm
// stream, restart, and kill -9 during ingest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeDemoDb, startMosquitto, waitForEvent, sql, sleep } from './lib.mjs';

let srv, admin, county;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  county = await srv.login('duty_officer_441523');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const iso = (ms) => new Date(ms).toISOString();
async function device(id, kind, area, token = admin) {
  const r = await srv.req('POST', '/api/v1/devices', { token, body: { id, kind, area } });
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
  assert.equal(sql(srv.db, "SELECT count(*) FROM reading WHERE device_id='RG-1'"), '2');
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
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '气体探测器离线', kind: 'offline', level: 'blue', spec: { minutes: 5, device_kinds: ['gas'] } } });
  const id = rule.json.id;
  await send(key, [{ device: 'GAS-1', ts: iso(Date.now()), metric: 'ch4_pct_lel', value: 1 }]);
  await sleep(1500);
  assert.equal((await alarms(id)).length, 0);
  await srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: 6 * 60000 } });
  const raised = await until(async () => (await alarms(id)).length === 1);
  assert.ok(raised, 'offline alarm raised');
  const a = (await alarms(id))[0];
  assert.match(a.message, /no data for/);
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
    const got = await until(() => Number(sql(db, "SELECT count(*) FROM position WHERE device_id='V-M'")) === 2);
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
  const stored = Number(sql(db, 'SELECT count(*) FROM position'));
  assert.ok(stored >= acked, `stored ${stored} < acknowledged ${acked}`);
  s3 = await startServer({ db });
  const a3 = await s3.login('admin');
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
