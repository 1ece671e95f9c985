// The RFC 7946 checker of geojson.mjs finds what it should (no server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geojsonProblems, assertGeoJSON } from './geojson.mjs';

const ccw = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]];
const cwHole = [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8], [0.8, 0.2], [0.2, 0.2]];
const fc = (...features) => ({ type: 'FeatureCollection', features });
const feat = (geometry, id = 1) => ({ type: 'Feature', id, geometry, properties: {} });

test('a correct collection has no problems', () => {
  const v = fc(feat({ type: 'Point', coordinates: [115.3486943, 22.7812345] }),
    feat({ type: 'Polygon', coordinates: [ccw, cwHole] }, 'a'),
    feat({ type: 'MultiPolygon', coordinates: [[ccw], [[[2, 2], [3, 2], [3, 3], [2, 2]]]] }, 3),
    feat(null, 4));
  assert.deepEqual(geojsonProblems(v), []);
});

test('ids, ranges, decimals, rings, winding and crossings are found', () => {
  const bad = (v, re, opts) => {
    const p = geojsonProblems(v, opts);
    assert.ok(p.some((m) => re.test(m)), `${re} among ${JSON.stringify(p)}`);
  };
  bad(fc(feat({ type: 'Point', coordinates: [1, 2] }, null)), /id: null is neither/);
  bad(fc({ type: 'Feature', geometry: null, properties: {} }), /no id/);
  bad(fc(feat({ type: 'Point', coordinates: [22.7, 115.3] })), /latitude 115.3 is outside/);
  bad(fc(feat({ type: 'Point', coordinates: [115.34869430910531, 22.7] })), /more than 7 decimals/);
  bad(fc(feat({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] })), /not closed/);
  bad(fc(feat({ type: 'Polygon', coordinates: [[...ccw].reverse()] })), /exterior ring is clockwise/);
  bad(fc(feat({ type: 'Polygon', coordinates: [ccw, [...cwHole].reverse()] })), /hole is counter-clockwise/);
  bad(fc(feat({ type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] })), /crosses itself/);
  bad(fc(feat({ type: 'Polygon', coordinates: [ccw, [[0.5, 0.5], [0.5, 1.5], [0.7, 1.5], [0.7, 0.5], [0.5, 0.5]]] })), /rings 0 and 1 cross|rings 1 and 0 cross/);
  bad({ type: 'FeatureCollection', crs: {}, features: [] }, /crs/);
  bad({ type: 'Thing' }, /not a GeoJSON type/);
  assert.deepEqual(geojsonProblems(fc({ type: 'Feature', geometry: null, properties: null }), { requireId: false }), []);
});

test('assertGeoJSON wants application/geo+json', () => {
  const res = (ct) => ({ headers: new Headers({ 'content-type': ct }), json: fc() });
  assertGeoJSON(res('application/geo+json; charset=utf-8'));
  assert.throws(() => assertGeoJSON(res('application/json')), /Content-Type/);
});
