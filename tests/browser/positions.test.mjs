// Live positions on the command map (实时位置): a fishing vessel reports
// through the telemetry API; the commander turns the layer on and sees it,
// sees it move when a new report arrives (no reload), clicks it and gets its
// kind, speed and heading and its track. The alarms layer (告警) shows an
// alarm raised for the vessel and drops it when it is closed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser, admin;
before(async () => { srv = await startServer(); browser = await launch(); admin = await srv.login('admin'); });
after(async () => { await browser?.close(); await srv?.stop(); });

const iso = (ms) => new Date(ms).toISOString();
async function send(key, lines) {
  const r = await fetch(`${srv.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: lines.map((l) => JSON.stringify(l)).join('\n') });
  const j = await r.json();
  assert.ok(r.status === 200 || r.status === 202, `${r.status} ${JSON.stringify(j)}`); // 202: queued for the writer
  assert.equal(j.accepted, lines.length, JSON.stringify(j));
}

test('commander: live positions move without reload; a click shows the device and its 24 h track; alarms come and go', async () => {
  const ID = 'FV-BT-01';
  const r = await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: ID, kind: 'fishing_vessel', area: '441502', name: '汕尾渔 01' } });
  assert.equal(r.status, 201, r.text);
  const key = r.json.key;
  const now = Date.now();
  await send(key, [
    { device: ID, ts: iso(now - 10 * 60000), lon: 115.33, lat: 22.74, speed_kmh: 14, heading: 90 },
    { device: ID, ts: iso(now - 5 * 60000), lon: 115.36, lat: 22.735, speed_kmh: 16, heading: 100 },
  ]);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, srv.base, 'commander', PASSWORD);
  await page.waitForSelector('#children li');
  await page.waitForSelector('#layer-positions');
  assert.ok(!(await page.isChecked('#layer-positions')), 'off by default');

  await page.check('#layer-positions');
  const marker = page.locator(`#map .leaflet-marker-icon[data-device="${ID}"]`);
  await marker.waitFor();
  assert.match(await marker.getAttribute('class'), /pos-fishing_vessel/);
  assert.match(await marker.getAttribute('title'), /渔船/);
  // rotated by its heading
  assert.match(await marker.locator('.arr').getAttribute('style'), /rotate\(100deg\)/);
  await page.waitForFunction(() => window.yingji.positions.live.positions, null, { timeout: 10000 });
  assert.match(await page.textContent('#count-positions'), /^\d+/);

  const before = await marker.boundingBox();
  const ll0 = await page.evaluate((id) => window.yingji.positions.markers.get(id).getLatLng(), ID);
  assert.deepEqual([ll0.lat, ll0.lng], [22.735, 115.36]);

  // a new report through the API: the marker moves, the page is not reloaded
  await page.evaluate(() => { window.__noReload = true; });
  await send(key, [{ device: ID, ts: iso(now), lon: 115.40, lat: 22.72, speed_kmh: 18.5, heading: 120 }]);
  await page.waitForFunction((id) => {
    const m = window.yingji.positions.markers.get(id);
    return m && Math.abs(m.getLatLng().lng - 115.40) < 1e-6 && Math.abs(m.getLatLng().lat - 22.72) < 1e-6;
  }, ID, { timeout: 10000 });
  assert.ok(await page.evaluate(() => window.__noReload), 'same page');
  const after = await marker.boundingBox();
  assert.ok(after.x > before.x, `moved east on screen: ${before.x} -> ${after.x}`);
  assert.match(await marker.locator('.arr').getAttribute('style'), /rotate\(120deg\)/);

  // click: kind, last report, speed, heading, and the track of 3 points
  await marker.click();
  await page.waitForSelector(`#detail[data-layer="positions"][data-id="${ID}"]:not(.loading)`);
  assert.match(await page.textContent('#detail-title'), /汕尾渔 01/);
  assert.match(await page.textContent('#detail [data-field="kind"]'), /渔船/);
  assert.match(await page.textContent('#detail [data-field="speed_kmh"]'), /18\.5 km\/h/);
  assert.match(await page.textContent('#detail [data-field="heading"]'), /120° 东南/);
  assert.match(await page.textContent('#detail [data-field="ts"]'), /\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.ok(await page.isHidden('#nearby-btn'), 'no "nearby" for a moving device');
  await page.waitForFunction(() => /城区/.test(document.querySelector('#detail [data-field="area_code"]').textContent));
  await page.waitForFunction((id) => window.yingji.track && window.yingji.track.device === id && window.yingji.track.points === 3, ID);
  const coords = await page.evaluate(() => window.yingji.track.latlngs.map((p) => [p.lng, p.lat]));
  assert.deepEqual(coords, [[115.33, 22.74], [115.36, 22.735], [115.40, 22.72]]);
  assert.equal(await page.locator('#map path.track-line').count(), 1);
  assert.equal(await page.locator('#map .track-pt.track-start').count(), 1);
  assert.equal(await page.locator('#map .track-pt.track-end').count(), 1);
  await page.waitForFunction(() => /3 个点/.test(document.querySelector('#detail [data-field="track"]').textContent));

  // a live report while it is open: the track grows, the panel follows
  await send(key, [{ device: ID, ts: iso(now + 1000), lon: 115.41, lat: 22.715, speed_kmh: 20, heading: 135 }]);
  await page.waitForFunction(() => window.yingji.track.points === 4);
  await page.waitForFunction(() => /20\.0 km\/h/.test(document.querySelector('#detail [data-field="speed_kmh"]').textContent));
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(OUT, 'map-positions.png') });

  // closing the panel removes the track
  await page.click('#detail-close');
  await page.waitForFunction(() => !window.yingji.track);
  assert.equal(await page.locator('#map path.track-line').count(), 0);

  // alarms: one raised for the vessel appears in red, and goes when it is closed
  await page.check('#layer-alarms');
  await page.waitForFunction(() => window.yingji.positions.live.alarms, null, { timeout: 10000 });
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: { name: '渔船油量低', kind: 'threshold', level: 'red', spec: { metric: 'fuel_pct', op: '<', value: 10, agg: 'last', device_kinds: ['fishing_vessel'] } } });
  assert.equal(rule.status, 201, rule.text);
  await send(key, [{ device: ID, ts: iso(now + 2000), metric: 'fuel_pct', value: 5 }]);
  const alarmMk = page.locator(`#map .leaflet-marker-icon.alarm-mk[data-device="${ID}"]`);
  await alarmMk.waitFor({ timeout: 10000 });
  const alarmId = await alarmMk.getAttribute('data-alarm');
  await page.screenshot({ path: path.join(OUT, 'map-alarms.png') });
  const ruleReads = [];
  page.on('request', (rq) => { if (/\/api\/v1\/rules\//.test(rq.url())) ruleReads.push(rq.url()); });
  await alarmMk.click();
  await page.waitForSelector('.alarm-pop');
  assert.match(await page.textContent('.alarm-pop'), /渔船油量低/);
  // the sentence is made from the alarm's own facts (no need to read its rule); the server's
  // message, in Chinese for a duty officer, is its title
  assert.equal(await page.textContent('.alarm-pop .msg'), '油量 5% (低于 10%)');
  assert.equal(await page.getAttribute('.alarm-pop .msg', 'title'), `渔船 汕尾渔 01（${ID}）：油量 5.0%，低于 10.0%（规则：渔船油量低）`);
  assert.deepEqual(ruleReads, []);
  const closed = await srv.req('POST', `/api/v1/alarms/${alarmId}/close`, { token: admin, body: {} });
  assert.equal(closed.status, 200, closed.text);
  await alarmMk.waitFor({ state: 'detached', timeout: 10000 });
  await srv.req('PATCH', `/api/v1/rules/${rule.json.id}`, { token: admin, body: { enabled: false } });

  // off: markers and streams gone
  await page.uncheck('#layer-positions');
  assert.equal(await marker.count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
