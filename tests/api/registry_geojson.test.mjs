// Map data that GIS tools accept: every GeoJSON answer of the registry
// (layers, lists with ?format=geojson, exports) passes the RFC 7946 check,
// is served as application/geo+json, and shows an object the same way
// everywhere: the same numeric id, the same point to 7 decimals. GDAL's
// ogrinfo (gdal-bin) reads them when it is installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer } from './lib.mjs';
import { assertGeoJSON } from './geojson.mjs';

const ENTITIES = ['enterprises', 'hazard-sources', 'risk-points', 'shelters', 'warehouses', 'teams', 'cameras', 'water-sources'];
const BBOX = '115.0,22.5,116.2,23.6';
let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
});
after(async () => { assert.equal((await srv.stop()).code, 0); });

const hasOgr = spawnSync('ogrinfo', ['--version'], { encoding: 'utf8' }).status === 0;

// ogrinfo's summary of a GeoJSON text: its feature count, and no warning or error
function ogr(text, name) {
  const file = path.join(srv.dir, `${name}.geojson`);
  writeFileSync(file, text);
  const r = spawnSync('ogrinfo', ['-ro', '-al', '-so', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr + r.stdout, /ERROR|Warning/, `${name}: ${r.stderr}`);
  return Number(/Feature Count: (\d+)/.exec(r.stdout)[1]);
}

test('layers, lists and exports: RFC 7946, numeric ids, 7 decimals, application/geo+json', async () => {
  for (const ent of ENTITIES) {
    const layer = await srv.req('GET', `/api/v1/layers/${ent}?bbox=${BBOX}&area=441523&limit=300`, { token: admin });
    assert.equal(layer.status, 200, layer.text);
    const fc = assertGeoJSON(layer, { what: `layer ${ent}`, uniqueIds: true });
    const exp = await srv.req('GET', `/api/v1/${ent}?format=geojson&area=441523`, { token: admin });
    assert.equal(exp.status, 200, exp.text);
    const all = assertGeoJSON(exp, { what: `export ${ent}`, uniqueIds: true });
    assert.ok(all.features.length > 0, `${ent}: 陆河县 has some`);
    const list = await srv.req('GET', `/api/v1/${ent}?area=441523&limit=1000`, { token: admin });
    const byId = new Map(all.features.map((f) => [f.id, f]));
    // one rule: the feature's id is the object's id, and the point is the list's lon/lat
    for (const item of list.json.items) {
      const f = byId.get(item.id);
      assert.ok(f, `${ent} ${item.id} in the export`);
      assert.equal(f.properties.id, item.id);
      if (item.lon === null) assert.equal(f.geometry, null);
      else assert.deepEqual(f.geometry.coordinates, [item.lon, item.lat], `${ent} ${item.id}`);
    }
    for (const f of fc.features) {
      assert.equal(typeof f.id, 'number', `${ent}: layer ids are the objects' ids`);
      assert.equal(f.id, f.properties.id);
      assert.deepEqual(f.geometry.coordinates, byId.get(f.id).geometry.coordinates, `${ent} ${f.id}: layer = export`);
    }
    if (hasOgr) {
      assert.equal(ogr(exp.text, `export-${ent}`), all.features.length);
      assert.equal(ogr(layer.text, `layer-${ent}`), fc.features.length);
    }
  }
});

test('an object written with 12 decimals is stored and shown with 7, the same everywhere', async () => {
  const body = { name: '坐标精度测试避难场所', capacity: 10, lon: 115.64869430910531, lat: 23.30123456789012 };
  const r = await srv.req('POST', '/api/v1/shelters', { token: admin, body });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.lon, 115.6486943);
  assert.equal(r.json.lat, 23.3012346);
  const id = r.json.id;
  const layer = await srv.req('GET', '/api/v1/layers/shelters?bbox=115.64,23.30,115.65,23.31', { token: admin });
  const f = assertGeoJSON(layer).features.find((x) => x.id === id);
  assert.deepEqual(f.geometry.coordinates, [115.6486943, 23.3012346]);
  const exp = await srv.req('GET', `/api/v1/shelters?format=geojson&q=${encodeURIComponent('坐标精度测试')}`, { token: admin });
  assert.deepEqual(assertGeoJSON(exp).features.map((x) => [x.id, ...x.geometry.coordinates]), [[id, 115.6486943, 23.3012346]]);
  const csv = await srv.req('GET', `/api/v1/shelters?format=csv&q=${encodeURIComponent('坐标精度测试')}`, { token: admin });
  assert.match(csv.text, /,115\.6486943,23\.3012346,/);
  const near = await srv.req('GET', '/api/v1/nearby?lon=115.6487&lat=23.3012&radius_m=100&layers=shelters', { token: admin });
  assert.deepEqual(near.json.items.map((x) => [x.id, x.lon, x.lat]), [[id, 115.6486943, 23.3012346]]);
  // an object without a place is a feature with a null geometry, still with its id
  const nowhere = await srv.req('POST', '/api/v1/shelters', { token: admin, body: { name: '无坐标测试避难场所', capacity: 5, area_code: '441523' } });
  assert.equal(nowhere.status, 201, nowhere.text);
  const none = await srv.req('GET', `/api/v1/shelters?format=geojson&q=${encodeURIComponent('无坐标测试')}`, { token: admin });
  assert.deepEqual(assertGeoJSON(none).features.map((x) => [x.id, x.geometry]), [[nowhere.json.id, null]]);
});

test('layer answers say count and truncated as the alarm layer does', async () => {
  const alarms = await srv.req('GET', '/api/v1/layers/alarms?limit=5', { token: admin });
  const a = assertGeoJSON(alarms, { what: 'alarm layer' });
  const cams = await srv.req('GET', '/api/v1/layers/cameras?limit=5', { token: admin });
  const c = assertGeoJSON(cams, { what: 'camera layer' });
  for (const fc of [a, c]) {
    assert.equal(typeof fc.count, 'number');
    assert.equal(typeof fc.truncated, 'boolean');
    assert.equal(fc.count, fc.features.length);
  }
  assert.equal(c.count, 5);
  assert.equal(c.truncated, true);
  // the whole layer: count is every object in view, not truncated; the registry's total says the same
  const ent = await srv.req('GET', '/api/v1/layers/enterprises?limit=20000', { token: admin });
  const e = assertGeoJSON(ent);
  const total = await srv.req('GET', '/api/v1/enterprises?limit=1', { token: admin });
  assert.equal(e.truncated, false);
  assert.equal(e.count, Number(total.headers.get('x-total-count')));
});
