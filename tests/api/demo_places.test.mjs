// Demo data where people live: every generated object with a place lies
// within 8 km of the seat or of a village (with a known point) of its own
// area; none lies at sea off 遮浪街道 (东沙群岛, about 116.8E 20.6N, is part
// of that town's approximate cell). An object has no place only where its
// town has no known point at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';

const ENTITIES = ['enterprises', 'hazard-sources', 'risk-points', 'shelters', 'warehouses', 'teams', 'cameras', 'water-sources'];
const MAX_KM = 8;
let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
});
after(async () => { assert.equal((await srv.stop()).code, 0); });

function km(a, b) {
  const rad = Math.PI / 180, dlat = (b[1] - a[1]) * rad, dlon = (b[0] - a[0]) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

// code -> the known points of the area and of every area below it (from the area API)
async function livedPoints() {
  const points = new Map();
  const parentOf = new Map();
  const add = (code, p) => {
    for (let c = code; c; c = parentOf.get(c)) {
      if (!points.has(c)) points.set(c, []);
      if (p) points.get(c).push(p);
    }
  };
  const walk = async (code) => {
    const r = await srv.req('GET', `/api/v1/areas?parent=${code}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    const kids = r.json.items ?? r.json;
    for (const a of kids) {
      parentOf.set(a.code, code);
      add(a.code, a.point);
      if (a.level !== 'village' && a.children > 0) await walk(a.code);
    }
  };
  const city = await srv.req('GET', '/api/v1/areas/441500', { token: admin });
  add('441500', city.json.point);
  await walk('441500');
  return points;
}

test('every demo object lies within 8 km of a seat or village of its own area', async () => {
  const points = await livedPoints();
  assert.ok(points.get('441502006').length >= 2, '遮浪街道: its seat and villages');
  let checked = 0;
  const far = [];
  for (const ent of ENTITIES) {
    const r = await srv.req('GET', `/api/v1/${ent}?format=geojson`, { token: admin });
    assert.equal(r.status, 200, r.text);
    for (const f of r.json.features) {
      const own = points.get(f.properties.area_code);
      assert.ok(own, `${ent} ${f.id}: area ${f.properties.area_code} is known`);
      if (!f.geometry) {
        assert.equal(own.length, 0, `${ent} ${f.id} (${f.properties.name}) has no place, but its area has known points`);
        continue;
      }
      const p = f.geometry.coordinates;
      const d = Math.min(...own.map((q) => km(p, q)));
      if (!(d <= MAX_KM)) far.push(`${ent} ${f.id} ${f.properties.name} at ${p} is ${d.toFixed(1)} km from ${f.properties.area_code}`);
      checked++;
    }
  }
  assert.deepEqual(far.slice(0, 10), [], `${far.length} demo objects far from where people live`);
  assert.ok(checked > 13000, `${checked} objects checked`);
});

test('遮浪街道: its enterprises, shelters, risk points and cameras are on the mainland, not on 东沙群岛', async () => {
  for (const ent of ['enterprises', 'shelters', 'risk-points', 'cameras', 'water-sources', 'teams', 'warehouses']) {
    const r = await srv.req('GET', `/api/v1/${ent}?format=geojson&area=441502006`, { token: admin });
    assert.equal(r.status, 200, r.text);
    for (const f of r.json.features) {
      const [lon, lat] = f.geometry.coordinates;
      assert.ok(lat > 22.5 && lon < 115.8, `${ent} ${f.id} at ${lon},${lat}`);
    }
  }
  // the demo's notes are Chinese
  const one = await srv.req('GET', '/api/v1/shelters?area=441502006&limit=1', { token: admin });
  assert.equal(one.json.items[0].note, '演示数据');
});
