// Registry and command map API: CRUD with field-level validation, scoping
// (lists, layers, exports, nearby; the jurisdiction of ?area= and of every
// object a client's id leads to), import all-or-nothing with row-level
// errors, GB18030 CSV, credit codes, layers and themes. State is read
// through the API; once the server has stopped, `yingji audit verify` must
// find the audit chain whole and every object as its last record says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { startServer, cli } from './lib.mjs';

let srv, admin, county, inspector;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  county = await srv.login('duty_officer_441523');    // 陆河县
  inspector = await srv.login('inspector');
});
after(async () => {
  assert.equal((await srv.stop()).code, 0);
  // every audited write of these tests (and of the demo) against the stored objects
  const v = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /OK/);
});

// X-Total-Count of a list (as admin: the whole city unless the query says otherwise)
async function total(path, token = admin) {
  const r = await srv.req('GET', path + (path.includes('?') ? '&' : '?') + 'limit=1', { token });
  assert.equal(r.status, 200, r.text);
  const n = r.headers.get('x-total-count');
  assert.ok(n !== null, `X-Total-Count on ${path}`);
  return Number(n);
}

// every item of a paged list (follows next_cursor)
async function all(path, token = admin, limit = 500) {
  const items = [];
  let cursor = null;
  do {
    const r = await srv.req('GET', `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.items);
    cursor = r.json.next_cursor;
  } while (cursor);
  return items;
}

// one entry of a zip file (an XLSX workbook), as text
function zipEntry(buf, name) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10), size = buf.readUInt32LE(p + 20);
    const nlen = buf.readUInt16LE(p + 28), xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    if (buf.toString('utf8', p + 46, p + 46 + nlen) === name) {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    p += 46 + nlen + xlen + clen;
  }
  return null;
}

// the text of column col (a letter) of every row after the header of the first sheet
function xlsxColumn(buf, col) {
  const sheet = zipEntry(buf, 'xl/worksheets/sheet1.xml');
  assert.ok(sheet, 'a first sheet');
  const shared = [...(zipEntry(buf, 'xl/sharedStrings.xml') || '').matchAll(/<si>.*?<t[^>]*>(.*?)<\/t>.*?<\/si>/gs)].map((m) => m[1]);
  const out = [];
  for (const m of sheet.matchAll(new RegExp(`<c r="${col}(\\d+)"([^>]*)>(.*?)</c>`, 'gs'))) {
    if (m[1] === '1') continue;
    const t = /<t[^>]*>(.*?)<\/t>/s.exec(m[3]);
    const v = /<v>(.*?)<\/v>/s.exec(m[3]);
    out.push(t ? t[1] : / t="s"/.test(m[2]) ? shared[Number(v[1])] : v?.[1]);
  }
  return out;
}

// a valid unified social credit code (GB 32100-2015) from 17 characters
const CS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function creditCode(body17) {
  const sum = [...body17].reduce((s, c, i) => s + CS.indexOf(c) * W[i], 0);
  return body17 + CS[(31 - (sum % 31)) % 31];
}

test('the demo registry has the report scale', async () => {
  const counts = {};
  for (const e of ['enterprises', 'hazard-sources', 'risk-points', 'shelters', 'warehouses', 'teams', 'cameras', 'water-sources']) {
    counts[e] = await total(`/api/v1/${e}`);
  }
  assert.equal(counts.enterprises, 600);
  assert.ok(counts['hazard-sources'] > 30);
  assert.ok(counts['risk-points'] >= 300);
  assert.equal(counts.warehouses, 52);
  assert.ok(counts.cameras > 12000);
  assert.equal(await total('/api/v1/cameras?network=xueliang'), 11615);
  assert.equal(await total('/api/v1/cameras?network=forest_fire'), 92);
  assert.equal(await total('/api/v1/cameras?network=highway'), 116);
  assert.equal((await all('/api/v1/grid-workers')).length, 4700);
  const city = await srv.req('GET', '/api/v1/teams?level=city', { token: admin });
  assert.deepEqual(city.json.items.map((t) => t.members), [50]);
  // every camera has a point: the whole world's layer holds them all
  const layer = await srv.req('GET', '/api/v1/layers/cameras?limit=20000', { token: admin });
  assert.equal(layer.json.count, counts.cameras);
  assert.equal(layer.json.truncated, false);
});

// the audit chain as the CLI sees it (the server may be running: WAL readers do not disturb it)
function auditRecords() {
  const v = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  return Number(/(\d+) records/.exec(v.stdout)[1]);
}

test('CRUD of a shelter with Location, audit and delete', async () => {
  const records = auditRecords();
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
  const d = await srv.req('DELETE', `/api/v1/shelters/${r.json.id}`, { token: county });
  assert.equal(d.status, 204);
  assert.equal((await srv.req('GET', `/api/v1/shelters/${r.json.id}`, { token: county })).status, 404);
  // create, update and delete: one record each, and the chain verifies against the stored rows
  assert.equal(auditRecords(), records + 3);
});

test('validation names every bad field and writes nothing', async () => {
  const before = await total('/api/v1/shelters');
  const r = await srv.req('POST', '/api/v1/shelters', { token: admin, body: {
    name: '', capacity: -5, kind: 'castle', facilities: ['water', 'water'], lon: 115.3, area_code: '441599', wings: 2 } });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'unprocessable');
  const fields = r.json.error.problems.map((p) => p.field).sort();
  for (const f of ['name', 'capacity', 'kind', 'facilities', 'wings']) assert.ok(fields.includes(f), `${f} in ${fields}`);
  assert.ok(fields.includes('lat') || fields.includes('lon'));
  assert.equal(await total('/api/v1/shelters'), before);
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
    ?? await srv.login((await srv.req('GET', '/api/v1/grid-workers?area=441523&limit=1', { token: admin })).json.items[0].username);
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
  const otherId = (await srv.req('GET', '/api/v1/cameras?area=441502&limit=1', { token: admin })).json.items[0].id;
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
  const before = await total('/api/v1/shelters');
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
  assert.equal(await total('/api/v1/shelters'), before);
});

test('import: a good CSV (with BOM) and a GB18030 CSV and a GeoJSON all land; export round-trips', async () => {
  const before = await total('/api/v1/water-sources');
  const csv = '\uFEFF名称,类型,容量(立方米),经度,纬度\n导入水源1,pond,1200,115.62,23.28\n导入水源2,reservoir,50000,115.66,23.33\n';
  const r = await srv.req('POST', '/api/v1/import/water-sources', { token: admin, raw: csv, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.imported, 2);
  // the same content in GB18030, made by iconv
  const gb = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: 'name,kind,capacity_m3,lon,lat\n国标水源,tank,300,115.60,23.25\n' });
  assert.equal(gb.status, 0);
  const r2 = await fetch(`${srv.base}/api/v1/import/water-sources`, { method: 'POST', body: gb.stdout, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'text/csv' } });
  assert.equal(r2.status, 201, await r2.text());
  assert.equal(await total(`/api/v1/water-sources?q=${encodeURIComponent('国标水源')}`), 1);
  const geo = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [115.61, 23.27] }, properties: { name: 'GeoJSON水源', kind: 'river' } }] };
  const r3 = await srv.req('POST', '/api/v1/import/water-sources', { token: admin, raw: JSON.stringify(geo), headers: { 'Content-Type': 'application/geo+json' } });
  assert.equal(r3.status, 201, r3.text);
  assert.equal(await total('/api/v1/water-sources'), before + 4);

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

// Jurisdiction of ?area= (the bypass: a malformed code made an empty prefix, which matched every
// row). Every route that takes an area, as the duty officer of 陆河县 (441523).
const areaRoutes = [
  { name: 'list', path: '/api/v1/shelters', rows: (r) => r.json.items.map((x) => x.area_code) },
  { name: 'list with a filter', path: '/api/v1/cameras?network=xueliang&limit=1000', rows: (r) => r.json.items.map((x) => x.area_code) },
  { name: 'CSV export', path: '/api/v1/risk-points?format=csv',
    rows: (r) => r.text.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((line) => line.split(',')[2]) },
  { name: 'GeoJSON export', path: '/api/v1/cameras?format=geojson', rows: (r) => r.json.features.map((f) => f.properties.area_code) },
  { name: 'XLSX export', path: '/api/v1/shelters?format=xlsx', binary: true, rows: (r) => xlsxColumn(r.buf, 'C') },
  { name: 'layer', path: '/api/v1/layers/cameras?limit=20000', rows: (r) => r.json.features.map((f) => f.properties.area_code) },
  { name: 'themed layer', path: '/api/v1/layers/risk-points?theme=flood&limit=20000', rows: (r) => r.json.features.map((f) => f.properties.area_code) },
  { name: 'nearby', path: '/api/v1/nearby?lon=115.65&lat=23.30&radius_m=30000&layers=shelters,warehouses,teams,cameras',
    rows: async (r) => Promise.all(r.json.items.slice(0, 20).map(async (i) => (await srv.req('GET', `/api/v1/${i.layer}/${i.id}`, { token: admin })).json.area_code)) },
  { name: 'member units', path: '/api/v1/member-units', rows: (r) => r.json.items.map((x) => x.area_code) },
];

async function get(path, token, binary) {
  if (!binary) return srv.req('GET', path, { token });
  const res = await fetch(srv.base + path, { headers: { Authorization: `Bearer ${token}` } });
  const buf = Buffer.from(await res.arrayBuffer());
  let json;
  try { json = JSON.parse(buf.toString('utf8')); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, buf, json, text: buf.toString('utf8') };
}

test('?area= on every route that takes it: malformed or unknown 400, outside 403, own area only its rows', async () => {
  // a member unit on each side, so that list has rows to leak
  for (const area_code of ['441523', '441502']) {
    const u = await srv.req('POST', '/api/v1/member-units', { token: admin, body: { name: `区划测试单位${area_code}`, area_code, webhook_url: 'http://127.0.0.1:1/hook' } });
    assert.equal(u.status, 201, u.text);
  }
  for (const route of areaRoutes) {
    const sep = route.path.includes('?') ? '&' : '?';
    for (const bad of ['4415230', '441523x', '441523999999']) {
      const r = await get(`${route.path}${sep}area=${bad}`, county, route.binary);
      assert.equal(r.status, 400, `${route.name} area=${bad}: ${r.status} ${r.text?.slice(0, 200)}`);
      assert.equal(r.json.error.field, 'area', `${route.name} area=${bad}`);
    }
    const other = await get(`${route.path}${sep}area=441502`, county, route.binary);
    assert.equal(other.status, 403, `${route.name} area=441502`);
    assert.equal(other.json.error.field, 'area');
    const own = await get(`${route.path}${sep}area=441523`, county, route.binary);
    assert.equal(own.status, 200, `${route.name} area=441523: ${own.text?.slice(0, 200)}`);
    const codes = await route.rows(own);
    assert.ok(codes.length > 0, `${route.name}: the county has rows`);
    for (const c of codes) assert.match(String(c), /^441523/, `${route.name}: ${c}`);
  }
});

test('an id a client gives must lead to an object in its jurisdiction, else the field is refused', async () => {
  const first = async (path) => (await srv.req('GET', path, { token: admin })).json.items[0];
  const otherEnterprise = await first('/api/v1/enterprises?area=441502&limit=1');
  const ownEnterprise = await first('/api/v1/enterprises?area=441523&limit=1');
  const otherShelter = await first('/api/v1/shelters?area=441502&limit=1');
  const ownShelter = await first('/api/v1/shelters?area=441523&limit=1');
  const otherWorker = await first('/api/v1/grid-workers?area=441502&limit=1');
  const ownWorker = await first('/api/v1/grid-workers?area=441523&limit=1');
  for (const x of [otherEnterprise, ownEnterprise, otherShelter, ownShelter, otherWorker, ownWorker]) assert.ok(x);
  const fieldsOf = (r) => r.json.error.problems.map((p) => p.field);

  // a hazard source's enterprise (parent link)
  const hs = { name: '越权储罐区', level: 2, area_code: '441523' };
  const hsOther = await srv.req('POST', '/api/v1/hazard-sources', { token: county, body: { ...hs, enterprise_id: otherEnterprise.id } });
  assert.equal(hsOther.status, 422, hsOther.text);
  assert.deepEqual(fieldsOf(hsOther), ['enterprise_id']);
  const hsOwn = await srv.req('POST', '/api/v1/hazard-sources', { token: county, body: { ...hs, enterprise_id: ownEnterprise.id } });
  assert.equal(hsOwn.status, 201, hsOwn.text);
  const hsMove = await srv.req('PATCH', `/api/v1/hazard-sources/${hsOwn.json.id}`, { token: county, body: { enterprise_id: otherEnterprise.id } });
  assert.equal(hsMove.status, 422);
  assert.deepEqual(fieldsOf(hsMove), ['enterprise_id']);

  // a risk point's shelters and grid worker
  const rp = { name: '越权风险点', type: 'landslide', area_code: '441523' };
  const rpShelter = await srv.req('POST', '/api/v1/risk-points', { token: county, body: { ...rp, shelter_ids: [ownShelter.id, otherShelter.id] } });
  assert.equal(rpShelter.status, 422);
  assert.deepEqual(fieldsOf(rpShelter), ['shelter_ids']);
  const rpWorker = await srv.req('POST', '/api/v1/risk-points', { token: county, body: { ...rp, grid_worker_id: otherWorker.id } });
  assert.equal(rpWorker.status, 422);
  assert.deepEqual(fieldsOf(rpWorker), ['grid_worker_id']);
  const rpOwn = await srv.req('POST', '/api/v1/risk-points', { token: county, body: { ...rp, shelter_ids: [ownShelter.id], grid_worker_id: ownWorker.id } });
  assert.equal(rpOwn.status, 201, rpOwn.text);
  const got = await srv.req('GET', `/api/v1/risk-points/${rpOwn.json.id}`, { token: county });
  assert.equal(got.json.grid_worker.id, ownWorker.id);
  assert.ok(got.json.grid_worker.display_name);

  // the object itself cannot be moved out, nor created outside
  const move = await srv.req('PATCH', `/api/v1/risk-points/${rpOwn.json.id}`, { token: county, body: { area_code: '441502' } });
  assert.equal(move.status, 422);
  assert.deepEqual(fieldsOf(move), ['area_code']);
  const outside = await srv.req('POST', '/api/v1/shelters', { token: county, body: { name: '越权避难场所', capacity: 10, area_code: '441502' } });
  assert.equal(outside.status, 422);
  assert.deepEqual(fieldsOf(outside), ['area_code']);

  // an import row naming another county's enterprise: refused with its row, nothing imported
  const before = await total('/api/v1/hazard-sources');
  const csv = `name,enterprise_id,level,area_code\n本县储罐,${ownEnterprise.id},3,441523\n外县储罐,${otherEnterprise.id},3,441523\n`;
  const imp = await srv.req('POST', '/api/v1/import/hazard-sources', { token: county, raw: csv, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(imp.status, 422, imp.text);
  assert.deepEqual(imp.json.error.problems.map((p) => `${p.row}:${p.field}`), ['3:enterprise_id']);
  assert.equal(await total('/api/v1/hazard-sources'), before);

  // and another county's object by id is missing, whatever the verb
  for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']]) {
    const r = await srv.req(method, `/api/v1/shelters/${otherShelter.id}`, { token: county, body });
    assert.equal(r.status, 404, `${method} ${r.text}`);
  }
  // a duplicate credit code outside the caller's jurisdiction does not reveal the other's id
  const ent = await srv.req('GET', `/api/v1/enterprises/${otherEnterprise.id}`, { token: admin });
  const dup = await srv.req('POST', '/api/v1/enterprises', { token: county, body: {
    name: '重复信用代码', credit_code: ent.json.credit_code, sectors: ['other'], area_code: '441523' } });
  assert.equal(dup.status, 422);
  assert.doesNotMatch(dup.json.error.problems[0].message, new RegExp(`id ${otherEnterprise.id}`));
});
