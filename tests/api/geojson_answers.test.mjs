// Every GeoJSON answer of the API passes the RFC 7946 check (tests/api/geojson.mjs):
// besides the registry's layers and exports and the area boundaries (their own test
// files), the live positions, a device's track, the alarms layer and a geofence alarm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { assertGeoJSON } from './geojson.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

test('positions, tracks and alarms are GeoJSON GIS tools accept', async () => {
  const d = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'GJ-1', kind: 'fishing_vessel', area: '441502' } });
  assert.equal(d.status, 201, d.text);
  // a fence around the vessel's first point: leaving it raises an alarm with a place
  const fence = [[115.30, 22.70], [115.40, 22.70], [115.40, 22.80], [115.30, 22.80], [115.30, 22.70]];
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '港内围栏', kind: 'geofence', level: 'yellow', area_code: '441502', spec: { polygon: { type: 'Polygon', coordinates: [fence] }, trigger: 'exit', device_kinds: ['fishing_vessel'] } } });
  assert.equal(rule.status, 201, rule.text);
  const now = Date.now();
  const lines = [[115.35, 22.75], [115.351, 22.751], [115.5, 22.9]].map(([lon, lat], i) =>
    JSON.stringify({ device: 'GJ-1', ts: new Date(now - 3000 + i * 1000).toISOString(), lon, lat }));
  const t = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${d.json.key}` }, body: lines.join('\n') });
  assert.equal(t.status, 202, await t.text());
  for (const path of ['/api/v1/layers/positions', '/api/v1/layers/positions?bbox=115,22,116,23',
    '/api/v1/devices/GJ-1/track', '/api/v1/devices/GJ-1/track?simplify=10', '/api/v1/layers/alarms']) {
    const r = await srv.req('GET', path, { token: admin });
    assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
    assertGeoJSON(r);
  }
  const alarms = await srv.req('GET', '/api/v1/layers/alarms', { token: admin });
  assert.ok(alarms.json.features.length >= 1, 'the vessel that left its fence is on the alarms layer');
});
