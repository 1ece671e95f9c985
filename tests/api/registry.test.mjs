// Registry and command map API: CRUD with field-level validation, scoping
// (lists, layers, exports, nearby), import all-or-nothing with row-level
// errors, GB18030 CSV, credit codes, layers and themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, sql } from './lib.mjs';

let srv, admin, county, inspector;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  county = await srv.login('duty_officer_441523');    // 陆河县
  inspector = await srv.login('inspector');
});
after(async () => { assert.equal((await srv.stop()).code, 0); });

// a valid unified social credit code (GB 32100-2015) from 17 characters
const CS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function creditCode(body17) {
  const sum = [...body17].reduce((s, c, i) => s + CS.indexOf(c) * W[i], 0);
  return body17 + CS[(31 - (sum % 31)) % 31];
}

test('the demo registry has the report scale', async () => {
  const counts = Object.fromEntries(['enterprise', 'hazard_source', 'risk_point', 'shelter', 'warehouse', 'rescue_team', 'camera', 'water_source']
    .map((t) => [t, Number(sql(srv.db, `SELECT count(*) FROM ${t}`))]));
  assert.equal(counts.enterprise, 600);
  assert.ok(counts.hazard_source > 30);
  assert.ok(counts.risk_point >= 300);
  assert.equal(counts.warehouse, 52);
  assert.ok(counts.camera > 12000);
  assert.equal(Number(sql(srv.db, "SELECT count(*) FROM camera WHERE network='xueliang'")), 11615);
  assert.equal(Number(sql(srv.db, "SELECT count(*) FROM camera WHERE network='forest_fire'")), 92);
  assert.equal(Number(sql(srv.db, "SELECT count(*) FROM camera WHERE network='highway'")), 116);
  assert.equal(Number(sql(srv.db, "SELECT count(*) FROM user WHERE role='grid_worker'")), 4700);
  assert.equal(Number(sql(srv.db, "SELECT members FROM rescue_team WHERE level='city'")), 50);
  assert.equal(Number(sql(srv.db, "SELECT count(*) FROM camera WHERE lon IS NULL")), 0);
});

test('CRUD of a shelter with Location, audit and delete', async () => {
  const body = { name: '测试避难场所', kind: 'school', capacity: 800, facilities: ['water', 'power'], lon: 115.65, lat: 23.30 };
  const r = await srv.req('POST', '/api/v1/shelters', { token: county, body });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.area_code, /^441523/); // derived from the point
  assert.equal(r.headers.get('location'), `/api/v1/shelters/${r.json.id}`);
  const got = await srv.req('GET', `/api/v1/shelters/${r.json.id}`, { token: county });
  assert.deepEqual(got.json.facilities, ['water', 'power']);
  const p = await srv.req('PATCH', `/api/v1/shelters/${r.json.id}`, { token: county, body: { capacity: 900, status: 'open' } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.capacity, 900);
  assert.equal(p.json.kind, 'school');
  assert.equal(Number(sql(srv.db, `SELECT count(*) FROM audit WHERE object_type='shelter' AND object_id='${r.json.id}'`)), 2);
  const d = await srv.req('DELETE', `/api/v1/shelters/${r.json.id}`, { token: county });
  assert.equal(d.status, 204);
  assert.equal((await srv.req('GET', `/api/v1/shelters/${r.json.id}`, { token: county })).status, 404);
});

test('validation names every bad field and writes nothing', async () => {
  const before = sql(srv.db, 'SELECT count(*) FROM shelter');
  const r = await srv.req('POST', '/api/v1/shelters', { token: admin, body: {
    name: '', capacity: -5, kind: 'castle', facilities: ['water', 'water'], lon: 115.3, area_code: '441599', wings: 2 } });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'unprocessable');
  const fields = r.json.error.problems.map((p) => p.field).sort();
  for (const f of ['name', 'capacity', 'kind', 'facilities', 'wings']) assert.ok(fields.includes(f), `${f} in ${fields}`);
  assert.ok(fields.includes('lat') || fields.includes('lon'));
  assert.equal(sql(srv.db, 'SELECT count(*) FROM shelter'), before);
});

test('credit codes are checked (GB 32100-2015)', async () => {
  const good = creditCode('91441523MA4UABCD1');
  const base = { name: '测试化工有限公司', sectors: ['hazardous_chemicals'], area_code: '441523', risk_grade: 'yellow' };
  const ok = await srv.req('POST', '/api/v1/enterprises', { token: admin, body: { ...base, credit_code: good } });
  assert.equal(ok.status, 201, ok.text);
  const wrongCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  const bad = await srv.req('POST', '/api/v1/enterprises', { token: admin, body: { ...base, credit_code: wrongCheck } });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.error.problems[0].field, 'credit_code');
  const dup = await srv.req('POST', '/api/v1/enterprises', { token: admin, body: { ...base, credit_code: good } });
  assert.equal(dup.status, 422);
  assert.match(dup.json.error.problems[0].message, /already registered/);
  // a hazard source must point at a visible enterprise
  const hs = await srv.req('POST', '/api/v1/hazard-sources', { token: admin, body: { name: '储罐区', enterprise_id: ok.json.id, level: 2, substances: [{ name: '液氨', quantity_t: 12.5 }], area_code: '441523' } });
  assert.equal(hs.status, 201, hs.text);
  const hsBad = await srv.req('POST', '/api/v1/hazard-sources', { token: admin, body: { name: '储罐区', enterprise_id: 99999999, level: 5, area_code: '441523' } });
  assert.deepEqual(hsBad.json.error.problems.map((p) => p.field).sort(), ['enterprise_id', 'level']);
  // the enterprise can't go while its hazard source refers to it
  const del = await srv.req('DELETE', `/api/v1/enterprises/${ok.json.id}`, { token: admin });
  assert.equal(del.status, 409);
});

test('roles: a grid worker reads risk points but writes nothing; inspectors write enterprises only', async () => {
  const gw = await srv.login('gw441523100201_1').catch(() => null)
    ?? await srv.login(sql(srv.db, "SELECT username FROM user WHERE role='grid_worker' AND area_code LIKE '441523%' LIMIT 1"));
  assert.equal((await srv.req('GET', '/api/v1/risk-points?limit=5', { token: gw })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/cameras?limit=5', { token: gw })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/shelters', { token: gw, body: { name: 'x', capacity: 1, area_code: '441523' } })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/shelters', { token: inspector, body: { name: 'x', capacity: 1, area_code: '441523' } })).status, 403);
});

test('a county user never sees another county: lists, gets, layers, exports, nearby', async () => {
  const list = await srv.req('GET', '/api/v1/cameras?limit=1000', { token: county });
  assert.equal(list.status, 200);
  assert.ok(list.json.items.length > 0);
  assert.ok(list.json.items.every((c) => c.area_code.startsWith('441523')));
  const otherId = sql(srv.db, "SELECT id FROM camera WHERE area_code LIKE '441502%' LIMIT 1");
  assert.equal((await srv.req('GET', `/api/v1/cameras/${otherId}`, { token: county })).status, 404);
  assert.equal((await srv.req('PATCH', `/api/v1/cameras/${otherId}`, { token: county, body: { status: 'fault' } })).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/cameras?area=441502', { token: county })).status, 403);
  const layer = await srv.req('GET', '/api/v1/layers/cameras?bbox=114.5,22.3,116.5,23.8&limit=20000', { token: county });
  assert.equal(layer.status, 200);
  assert.ok(layer.json.features.length > 0);
  assert.ok(layer.json.features.every((f) => f.properties.area_code.startsWith('441523')));
  const csv = await srv.req('GET', '/api/v1/shelters?format=csv', { token: county });
  assert.equal(csv.status, 200);
  const rows = csv.text.replace(/^\uFEFF/, '').trim().split('\n').slice(1);
  assert.ok(rows.length > 0);
  assert.ok(rows.every((r) => r.includes(',441523')), csv.text.slice(0, 300));
  const near = await srv.req('GET', '/api/v1/nearby?lon=115.37&lat=22.78&radius_m=20000&layers=shelters,cameras', { token: county });
  assert.equal(near.status, 200);
  assert.equal(near.json.items.length, 0); // 城区 is not theirs
  const nearCity = await srv.req('GET', '/api/v1/nearby?lon=115.37&lat=22.78&radius_m=5000&layers=shelters,cameras', { token: admin });
  assert.ok(nearCity.json.items.length > 0);
  const d = nearCity.json.items.map((i) => i.distance_m);
  assert.deepEqual(d, [...d].sort((a, b) => a - b));
  assert.ok(d.every((x) => x <= 5000));
});

test('layers: GeoJSON, bbox, limit/truncated, themes', async () => {
  const r = await srv.req('GET', '/api/v1/layers/cameras?bbox=115.2,22.6,115.6,22.9&limit=100', { token: admin });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /geo\+json/);
  assert.equal(r.json.type, 'FeatureCollection');
  assert.equal(r.json.features.length, 100);
  assert.equal(r.json.truncated, true);
  const f = r.json.features[0];
  assert.equal(f.geometry.type, 'Point');
  const [lon, lat] = f.geometry.coordinates;
  assert.ok(lon >= 115.2 && lon <= 115.6 && lat >= 22.6 && lat <= 22.9);
  assert.match(f.properties.stream_url, /^rtsp:\/\//);
  const ff = await srv.req('GET', '/api/v1/layers/cameras?theme=forest_fire&limit=20000', { token: admin });
  assert.equal(ff.json.features.length, 92);
  assert.ok(ff.json.features.every((x) => x.properties.network === 'forest_fire'));
  const forest = await srv.req('GET', '/api/v1/layers/risk-points?theme=forest_fire&limit=20000', { token: admin });
  assert.ok(forest.json.features.every((x) => x.properties.type === 'forest'));
  assert.equal((await srv.req('GET', '/api/v1/layers/cameras?theme=hazmat', { token: admin })).status, 400);
  assert.equal((await srv.req('GET', '/api/v1/layers/cameras?bbox=1,2,3', { token: admin })).status, 400);
  assert.equal((await srv.req('GET', '/api/v1/layers/dragons', { token: admin })).status, 404);
  const themes = await srv.req('GET', '/api/v1/themes', { token: admin });
  assert.deepEqual(themes.json.items.map((t) => t.name), ['flood', 'forest_fire', 'hazmat']);
});

test('lists: filters, text search, cursor pagination', async () => {
  const ff = await srv.req('GET', '/api/v1/cameras?network=forest_fire&limit=50', { token: admin });
  assert.equal(ff.json.items.length, 50);
  assert.ok(ff.json.next_cursor);
  const rest = await srv.req('GET', `/api/v1/cameras?network=forest_fire&limit=50&cursor=${ff.json.next_cursor}`, { token: admin });
  assert.equal(rest.json.items.length, 42);
  assert.equal(rest.json.next_cursor, null);
  const hz = await srv.req('GET', '/api/v1/enterprises?sectors=fireworks&limit=1000', { token: admin });
  assert.ok(hz.json.items.length >= 60);
  assert.ok(hz.json.items.every((x) => x.sectors.includes('fireworks')));
  const q = await srv.req('GET', `/api/v1/warehouses?q=${encodeURIComponent('应急物资')}`, { token: admin });
  assert.equal(q.json.items.length, 50);
  assert.equal((await srv.req('GET', '/api/v1/cameras?network=satellite', { token: admin })).status, 400);
});

test('import: a bad file gets every bad row with row and column, and nothing is written', async () => {
  const before = sql(srv.db, 'SELECT count(*) FROM shelter');
  const csv = 'name,kind,capacity,lon,lat\n' +
    '好的避难场所,school,500,115.65,23.30\n' +
    '坏的1,castle,500,115.65,23.30\n' +
    '坏的2,school,lots,115.65,23.30\n' +
    ',school,100,115.65,23.31\n';
  const r = await srv.req('POST', '/api/v1/import/shelters', { token: admin, raw: csv, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 422, r.text);
  const probs = r.json.error.problems.map((p) => `${p.row}:${p.field}`);
  assert.ok(probs.includes('3:kind'), probs.join(' '));
  assert.ok(probs.includes('4:capacity'), probs.join(' '));
  assert.ok(probs.includes('5:name'), probs.join(' '));
  assert.ok(!probs.some((p) => p.startsWith('2:')), probs.join(' '));
  assert.equal(sql(srv.db, 'SELECT count(*) FROM shelter'), before);
});

test('import: a good CSV (with BOM) and a GB18030 CSV and a GeoJSON all land; export round-trips', async () => {
  const before = Number(sql(srv.db, 'SELECT count(*) FROM water_source'));
  const csv = '\uFEFF名称,类型,容量(立方米),经度,纬度\n导入水源1,pond,1200,115.62,23.28\n导入水源2,reservoir,50000,115.66,23.33\n';
  const r = await srv.req('POST', '/api/v1/import/water-sources', { token: admin, raw: csv, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.imported, 2);
  // the same content in GB18030, made by iconv
  const gb = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: 'name,kind,capacity_m3,lon,lat\n国标水源,tank,300,115.60,23.25\n' });
  assert.equal(gb.status, 0);
  const r2 = await fetch(`${srv.base}/api/v1/import/water-sources`, { method: 'POST', body: gb.stdout, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'text/csv' } });
  assert.equal(r2.status, 201, await r2.text());
  assert.equal(sql(srv.db, "SELECT count(*) FROM water_source WHERE name='国标水源'"), '1');
  const geo = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [115.61, 23.27] }, properties: { name: 'GeoJSON水源', kind: 'river' } }] };
  const r3 = await srv.req('POST', '/api/v1/import/water-sources', { token: admin, raw: JSON.stringify(geo), headers: { 'Content-Type': 'application/geo+json' } });
  assert.equal(r3.status, 201, r3.text);
  assert.equal(Number(sql(srv.db, 'SELECT count(*) FROM water_source')), before + 4);

  // export CSV of a county, import it into another database's format round-trip: fields survive
  const exp = await srv.req('GET', '/api/v1/risk-points?format=csv&area=441523', { token: admin });
  assert.equal(exp.status, 200);
  assert.match(exp.headers.get('content-disposition'), /risk-points\.csv/);
  const gj = await srv.req('GET', '/api/v1/risk-points?format=geojson&area=441523', { token: admin });
  assert.equal(gj.json.type, 'FeatureCollection');
  const xl = await fetch(`${srv.base}/api/v1/shelters?format=xlsx`, { headers: { Authorization: `Bearer ${admin}` } });
  assert.equal(xl.status, 200);
  const buf = Buffer.from(await xl.arrayBuffer());
  assert.equal(buf.subarray(0, 2).toString(), 'PK');
  assert.match(xl.headers.get('content-type'), /spreadsheetml/);
});
