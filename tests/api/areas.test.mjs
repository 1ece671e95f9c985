// Every boundary the area API serves is valid and follows the right-hand
// rule, checked by two clients nobody here wrote the server for: the RFC
// 7946 checker (geojson.mjs) on each `GET /api/v1/areas/{code}?geometry=1`,
// and GDAL's ogrinfo (ST_IsValid through its SQLite dialect) on one
// FeatureCollection of them all, as a GIS user would load it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer } from './lib.mjs';
import { geojsonProblems } from './geojson.mjs';

let srv, token;
const areas = []; // {code, level, name, geometry}

before(async () => {
  srv = await startServer();
  token = await srv.login('admin');
  // the tree down to the towns, from the admin's own area (the city)
  const get = async (url) => {
    const r = await srv.req('GET', url, { token });
    assert.equal(r.status, 200, `${url}: ${r.text}`);
    return r.json;
  };
  const queue = (await get('/api/v1/areas')).items;
  while (queue.length) {
    const a = queue.shift();
    const full = await get(`/api/v1/areas/${a.code}?geometry=1`);
    areas.push(full);
    if (a.level !== 'town' && a.children) queue.push(...(await get(`/api/v1/areas?parent=${a.code}`)).items.filter((k) => k.level !== 'village'));
  }
});

after(async () => { await srv?.stop(); });

test('the city, its 4 counties and its 63 towns are served; 61 of them have a boundary', () => {
  const by = (level) => areas.filter((a) => a.level === level);
  assert.equal(by('city').length, 1);
  assert.equal(by('county').length, 4);
  assert.equal(by('town').length, 63);
  const shaped = areas.filter((a) => a.has_geometry);
  // 7 towns have no seat or other point, so no approximate cell (data/README.md)
  assert.equal(shaped.length, 61);
  for (const a of areas) assert.equal(a.geometry !== null, a.has_geometry, `${a.code}: has_geometry vs geometry`);
  assert.deepEqual(areas.filter((a) => !a.has_geometry).map((a) => a.point), Array(7).fill(null));
});

test('every served boundary passes the RFC 7946 check (valid rings, right-hand rule, 7 decimals)', () => {
  const problems = [];
  for (const a of areas.filter((x) => x.has_geometry)) {
    assert.match(a.geometry.type, /^(Multi)?Polygon$/, a.code);
    for (const p of geojsonProblems(a.geometry)) problems.push(`${a.code} ${a.name}: ${p}`);
  }
  assert.deepEqual(problems.slice(0, 20), []);
});

test('GDAL finds every boundary valid (ogrinfo, ST_IsValid)', () => {
  const shaped = areas.filter((a) => a.has_geometry);
  const fc = {
    type: 'FeatureCollection',
    features: shaped.map((a) => ({ type: 'Feature', id: a.code, properties: { code: a.code, level: a.level, name: a.name }, geometry: a.geometry })),
  };
  const file = path.join(srv.dir, 'areas.geojson');
  writeFileSync(file, JSON.stringify(fc));
  const sql = 'SELECT code, ST_IsValid(geometry) AS valid, ST_IsValidReason(geometry) AS reason FROM areas ORDER BY code';
  const r = spawnSync('ogrinfo', ['-q', '-dialect', 'SQLite', '-sql', sql, file], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'ogrinfo is missing: scripts/install-deps.sh test installs gdal-bin');
  assert.equal(r.status, 0, r.stderr);
  const rows = [...r.stdout.matchAll(/code \(String\) = (\d+)\s+valid \(Integer\) = (\d)\s+reason \(String\) = ([^\n]*)/g)]
    .map((m) => ({ code: m[1], valid: m[2], reason: m[3] }));
  assert.equal(rows.length, shaped.length, `ogrinfo listed ${rows.length} of ${shaped.length}:\n${r.stdout.slice(0, 2000)}`);
  assert.deepEqual(rows.filter((x) => x.valid !== '1'), []);
  assert.doesNotMatch(r.stderr, /Self-intersection|Ring Self-intersection|GEOS (warning|error)/, r.stderr);
});

test('the counties tile the city and the towns their county (areas add up)', () => {
  // shoelace in the lon/lat plane: a check of the served numbers, independent of GEOS
  const ring = (r) => { let s = 0; for (let i = 0; i + 1 < r.length; i++) s += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1]; return s / 2; };
  const polys = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
  const area = (g) => polys(g).reduce((s, p) => s + p.reduce((t, r) => t + ring(r), 0), 0);
  const of = (code) => areas.find((a) => a.code === code);
  const city = of('441500');
  const counties = areas.filter((a) => a.level === 'county');
  const sum = counties.reduce((s, c) => s + area(c.geometry), 0);
  assert.ok(Math.abs(sum - area(city.geometry)) / sum < 1e-6, `counties ${sum} vs city ${area(city.geometry)}`);
  for (const c of counties) {
    const towns = areas.filter((a) => a.level === 'town' && a.parent === c.code && a.has_geometry);
    const t = towns.reduce((s, w) => s + area(w.geometry), 0);
    assert.ok(Math.abs(t - area(c.geometry)) / t < 1e-6, `${c.name}: towns ${t} vs county ${area(c.geometry)}`);
  }
});
