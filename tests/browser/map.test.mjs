// The command map (民情地图): the commander switches to the forest-fire theme,
// clicks through the clusters to one camera and sees its stream URL; search
// finds a camera by name and opens it; a county duty officer's map only ever
// gets features of their county. Screenshots in tests/out/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, signIn, OUT } from './lib.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

// a page signed in as username, with its page errors and layer answers recorded
async function openMap(username) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  const layerAnswers = []; // {url, status, body}; await layerAnswers.ready() before reading bodies
  const bodies = [];
  layerAnswers.ready = () => Promise.all(bodies);
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (!r.url().includes('/api/v1/layers/')) return;
    // recorded at once (in order), the body when it has arrived: a large layer's body can
    // still be on its way when the page already shows it
    const a = { url: new URL(r.url()), status: r.status(), body: null };
    layerAnswers.push(a);
    bodies.push(r.json().then((b) => { a.body = b; }, () => {}));
  });
  await signIn(page, srv.base, username, PASSWORD);
  await page.waitForSelector('#children li');
  await page.waitForSelector('#themes #theme-forest_fire');
  await settle(page);
  return { page, errors, layerAnswers };
}

// wait until no layer request is in flight
async function settle(page) {
  await page.waitForFunction(() => {
    const y = window.yingji;
    return y && [...y.state.layers].every((l) => y.loaded[l]) && !document.querySelector('#map-status.busy');
  }, null, { timeout: 30000 });
}

const isStream = (s) => /^(rtsps?|https?):\/\/\S+$/.test(s);

// the index of the element of loc nearest to the middle of the map
async function nearestToCentre(page, loc) {
  const map = await page.locator('#map').boundingBox();
  const cx = map.x + map.width / 2, cy = map.y + map.height / 2;
  const boxes = await loc.evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }));
  let best = 0;
  boxes.forEach(([x, y], i) => { if (Math.hypot(x - cx, y - cy) < Math.hypot(boxes[best][0] - cx, boxes[best][1] - cy)) best = i; });
  return loc.nth(best);
}

// click a marker element like a user; when another marker covers it, send the click to it directly
async function clickMarker(loc) {
  try {
    await loc.click({ timeout: 1500 });
  } catch {
    await loc.dispatchEvent('click');
  }
}

test('commander: forest-fire theme, click a camera, see its stream URL and nearby resources', async () => {
  const { page, errors, layerAnswers } = await openMap('commander');
  assert.match(await page.textContent('#area-title'), /汕尾市/);
  // the offline base: the city's land and its four counties drawn from the API
  await page.waitForFunction(() => window.yingji.drawn.length === 4);
  assert.ok(await page.evaluate(() => window.yingji.drawn.every((a) => !a.approximate)), 'county boundaries are real');

  layerAnswers.length = 0;
  await page.click('#theme-forest_fire');
  await settle(page);
  assert.equal(await page.getAttribute('#theme-forest_fire', 'aria-pressed'), 'true');
  assert.ok(await page.isChecked('#layer-cameras'), 'the theme turns the cameras on');
  assert.ok(!(await page.isChecked('#layer-enterprises')), 'enterprises are not in the forest-fire theme');

  // the page asked for the forest-fire cameras only, and got some
  await layerAnswers.ready();
  const cams = layerAnswers.filter((a) => a.url.pathname.endsWith('/layers/cameras'));
  assert.ok(cams.length >= 1, 'a cameras layer request');
  const last = cams.at(-1);
  assert.equal(last.status, 200);
  assert.equal(last.url.searchParams.get('theme'), 'forest_fire');
  assert.match(last.url.searchParams.get('bbox') || '', /^[\d.-]+,[\d.-]+,[\d.-]+,[\d.-]+$/);
  assert.ok(last.body.features.length > 0, 'forest-fire cameras in view');
  for (const f of last.body.features) assert.equal(f.properties.network, 'forest_fire');

  // zoom through the clusters until a single camera marker can be clicked
  const single = page.locator('#map .leaflet-marker-pane .leaflet-marker-icon.mk-cameras');
  const cluster = page.locator('#map .leaflet-marker-pane .leaflet-marker-icon.mc-cameras');
  for (let i = 0; i < 12 && !(await single.count()); i++) {
    assert.ok(await cluster.count(), 'a camera cluster to open');
    await clickMarker(await nearestToCentre(page, cluster));
    await page.waitForTimeout(700); // zoom animation, then the reload for the new view
    await settle(page);
  }
  assert.ok(await single.count(), 'a single camera marker after zooming in');
  const cam = await nearestToCentre(page, single);
  const camId = await cam.getAttribute('data-id');
  await clickMarker(cam);

  await page.waitForSelector(`#detail[data-layer="cameras"][data-id="${camId}"]:not(.loading)`);
  await page.waitForSelector('#detail-stream');
  const href = await page.getAttribute('#detail-stream', 'href');
  const text = await page.textContent('#detail-stream');
  assert.ok(isStream(text), `stream URL shown: ${text}`);
  assert.equal(href, new URL(text).href);
  assert.match(await page.textContent('#detail [data-field="network"]'), /林火监控/);
  assert.match(await page.textContent('#detail [data-field="status"]'), /在线|离线|故障/);

  // nearby shelters / teams / warehouses
  await page.selectOption('#nearby-radius', '10000');
  await page.click('#nearby-btn');
  await page.waitForSelector('#nearby-list li.summary');
  assert.match(await page.textContent('#nearby-list li.summary'), /避难场所 \d+ · 救援队伍 \d+ · 物资仓库 \d+/);
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(OUT, 'map-forest-fire.png') });

  // the list is what the API answers for this camera and radius, and it has hits
  const camObj = (await srv.req('GET', `/api/v1/cameras/${camId}`, { token: await srv.login('commander') })).json;
  const near = (await srv.req('GET', `/api/v1/nearby?lon=${camObj.lon}&lat=${camObj.lat}&radius_m=10000&layers=shelters,teams,warehouses`,
    { token: await srv.login('commander') })).json;
  const hits = page.locator('#nearby-list li.hit');
  assert.ok(near.items.length > 0, 'resources within 10 km of the camera');
  assert.equal(await hits.count(), near.items.length);

  // a nearby hit opens its own detail
  const hit = hits.first();
  const layer = await hit.getAttribute('data-layer');
  const id = await hit.getAttribute('data-id');
  assert.deepEqual([layer, id], [near.items[0].layer, String(near.items[0].id)], 'nearest first');
  await hit.click();
  await page.waitForSelector(`#detail[data-layer="${layer}"][data-id="${id}"]:not(.loading)`);
  assert.equal(await page.textContent('#detail-title'), near.items[0].name);
  await page.click('#detail-close');
  assert.ok(await page.isHidden('#detail'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('search: a camera found by name opens its detail, a risk point shows population and shelters', async () => {
  const token = await srv.login('commander');
  const cam = (await srv.req('GET', '/api/v1/cameras?network=forest_fire&limit=1', { token })).json.items[0];
  assert.ok(cam, 'the demo has forest-fire cameras');
  const { page, errors } = await openMap('commander');
  await page.click('#theme-forest_fire');
  await settle(page);

  await page.fill('#search', cam.name);
  const hit = page.locator(`#search-results li.hit[data-layer="cameras"][data-id="${cam.id}"]`);
  await hit.waitFor();
  await page.screenshot({ path: path.join(OUT, 'map-search.png') });
  await hit.click();
  await page.waitForSelector(`#detail[data-layer="cameras"][data-id="${cam.id}"]:not(.loading)`);
  assert.equal(await page.textContent('#detail-title'), cam.name);
  assert.equal(await page.textContent('#detail-stream'), cam.stream_url);
  assert.ok(await page.isHidden('#search-results'));
  // the map went there
  await page.waitForFunction(([lat, lon]) => {
    const c = window.yingji.map.getCenter(); // centred beside the detail panel
    return Math.abs(c.lat - lat) < 0.02 && Math.abs(c.lng - lon) < 0.03 && window.yingji.map.getBounds().contains([lat, lon]);
  }, [cam.lat, cam.lon]);

  // a risk point: population, responsible grid worker, shelters
  const rp = (await srv.req('GET', '/api/v1/risk-points?type=forest&limit=50', { token })).json.items
    .find((r) => r.shelter_ids && r.shelter_ids.length && r.grid_worker_id);
  assert.ok(rp, 'a forest risk point with shelters and a grid worker');
  await page.evaluate(([id]) => window.yingji.openDetail('risk-points', id), [rp.id]);
  await page.waitForSelector(`#detail[data-layer="risk-points"][data-id="${rp.id}"]:not(.loading)`);
  assert.match(await page.textContent('#detail [data-field="population"] th'), /威胁人口/);
  assert.match(await page.textContent('#detail [data-field="grid_worker_id"]'), new RegExp(`#${rp.grid_worker_id}`));
  assert.equal(await page.locator('#detail [data-field="shelter_ids"] a.ref').count(), rp.shelter_ids.length);
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(OUT, 'map-risk-point.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('county duty officer sees only features of 441523', async () => {
  const { page, errors, layerAnswers } = await openMap('duty_officer_441523');
  assert.match(await page.textContent('#area-title'), /陆河县/);
  // everything on: all layers the role may see
  await page.click('#theme-all');
  await settle(page);
  await layerAnswers.ready();
  const ok = layerAnswers.filter((a) => a.status === 200);
  assert.ok(ok.length >= 6, `layer answers: ${ok.length}`);
  let n = 0;
  for (const a of ok) {
    for (const f of a.body.features) {
      n++;
      assert.ok(f.properties.area_code.startsWith('441523'), `${f.id} in ${f.properties.area_code}`);
    }
  }
  assert.ok(n > 0, 'the county has features');

  // even when the page asks for the whole city's box, the server answers with the county only
  const wide = await page.evaluate(async () => {
    const r = await fetch('/api/v1/layers/shelters?bbox=114,20,118,24&limit=20000');
    return { status: r.status, body: await r.json() };
  });
  assert.equal(wide.status, 200);
  assert.ok(wide.body.features.every((f) => f.properties.area_code.startsWith('441523')));
  const other = await page.evaluate(async () => (await fetch('/api/v1/layers/shelters?area=441502')).status);
  assert.equal(other, 403);

  // the detail panel of a feature on the map names the county: open clusters until a single
  // marker can be clicked
  const markers = page.locator('#map .leaflet-marker-pane .leaflet-marker-icon.mk');
  const clusters = page.locator('#map .leaflet-marker-pane .leaflet-marker-icon.mc');
  for (let i = 0; i < 12 && !(await markers.count()); i++) {
    assert.ok(await clusters.count(), 'a cluster to open');
    await clickMarker(await nearestToCentre(page, clusters));
    await page.waitForTimeout(700);
    await settle(page);
  }
  assert.ok(await markers.count(), 'a single marker on the county map');
  const marker = await nearestToCentre(page, markers);
  await clickMarker(marker);
  await page.waitForSelector('#detail:not(.loading) [data-field="area_code"]');
  await page.waitForFunction(() => document.querySelector('#detail [data-field="area_code"] td').textContent.includes('陆河县'));
  await page.screenshot({ path: path.join(OUT, 'map-county.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('drilling into a county filters the layers to it', async () => {
  const { page, errors, layerAnswers } = await openMap('commander');
  layerAnswers.length = 0;
  await page.click('#children li[data-code="441521"]');
  await page.waitForFunction(() => document.querySelector('#area-title').textContent.includes('海丰县'));
  await settle(page);
  // the browser reports responses a little after the page has used them
  for (let i = 0; i < 50 && !layerAnswers.some((a) => a.url.searchParams.get('area') === '441521'); i++) await page.waitForTimeout(100);
  await layerAnswers.ready();
  const ok = layerAnswers.filter((a) => a.status === 200);
  assert.ok(ok.length >= 1);
  for (const a of ok) {
    assert.equal(a.url.searchParams.get('area'), '441521');
    for (const f of a.body.features) assert.ok(f.properties.area_code.startsWith('441521'));
  }
  // its towns are drawn, dashed: approximate boundaries
  await page.waitForFunction(() => window.yingji.drawn.length > 0 && window.yingji.drawn.every((a) => a.code.startsWith('441521')));
  assert.ok(await page.evaluate(() => window.yingji.drawn.some((a) => a.approximate)), 'town boundaries are approximate');
  await page.screenshot({ path: path.join(OUT, 'map-county-drill.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
