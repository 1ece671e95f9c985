// A hostile client: work before authentication, requests the server cannot
// answer, bodies that vanish, half-closed sockets, and jurisdiction by area
// code across every route that takes one (issue "Security holes found by a
// hostile client"). Raw sockets where fetch would tidy the request up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, sleep } from './lib.mjs';

let srv, admin, duty, county;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  duty = await srv.login('duty_officer_441523');
  county = await srv.login('commander_441523');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

// send bytes, read until the server closes (or timeout); {status, head, body, text}
function raw(bytes, { halfClose = false, timeout = 5000 } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : 0, head, body: rest.join('\r\n\r\n'), text });
    };
    s.setTimeout(timeout, () => s.destroy());
    s.on('data', (d) => chunks.push(d));
    s.on('close', done);
    s.on('error', () => {});
    s.write(bytes, () => { if (halfClose) s.end(); });
  });
}
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${srv.pid}/status`, 'utf8'))[1]);
async function shelterCount() {
  const r = await srv.req('GET', '/api/v1/shelters?q=hostile-&limit=500', { token: admin });
  assert.equal(r.status, 200, r.text);
  return r.json.items.length;
}
const shelter = (name) => JSON.stringify({ name: `hostile-${name}`, area_code: '441502', lon: 115.37, lat: 22.78, kind: 'purpose_built', capacity: 100 });
const post = (path, body, headers = '') =>
  Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\n${headers}Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

test('20 unauthenticated 50 MB uploads: each refused with 401 before its body is read, memory stays flat', async () => {
  const before = rssKb();
  const size = 50 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const results = await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    let text = '', sent = 0;
    s.on('data', (d) => { text += d; });
    s.on('error', () => {});
    s.on('close', () => resolve({ text, sent }));
    s.write(`POST /api/v1/import/shelters HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: ${size}\r\n\r\n`);
    // keep sending (reading between writes, as curl does) while the server has not answered
    const pump = () => {
      if (text || sent >= size) { s.end(); return; }
      sent += chunk.length;
      if (s.write(chunk)) setImmediate(pump);
      else s.once('drain', pump);
    };
    pump();
  })));
  for (const r of results) {
    assert.match(r.text, /^HTTP\/1\.1 401/, r.text.slice(0, 80));
    assert.match(r.text, /"code":"unauthenticated"/);
    assert.match(r.text, /WWW-Authenticate: Bearer/i);
    assert.ok(r.sent < size, 'the answer came before the whole body was sent');
  }
  const grown = (rssKb() - before) / 1024;
  assert.ok(grown < 64, `RSS grew by ${grown.toFixed(1)} MB`);
});

test('large headers: answered within the limit, refused with a JSON 431 above it, never run unanswered', async () => {
  const n0 = await shelterCount();
  const ok = await raw(post('/api/v1/shelters', shelter('headers-ok'), `X-Pad: ${'a'.repeat(7000)}\r\n`));
  assert.equal(ok.status, 201, ok.text.slice(0, 200));
  for (const pad of [8500, 15700, 20000]) {
    const big = await raw(post('/api/v1/shelters', shelter(`headers-${pad}`), `X-Pad: ${'a'.repeat(pad)}\r\n`));
    assert.equal(big.status, 431, `${pad}: ${big.text.slice(0, 200)}`);
    assert.equal(JSON.parse(big.body).error.code, 'headers_too_large');
  }
  // beyond the connection's memory the library answers (or closes) by itself: nothing runs
  for (let pad = 24000; pad <= 40000; pad += 1999) {
    const r = await raw(post('/api/v1/shelters', shelter(`headers-${pad}`), `X-Pad: ${'a'.repeat(pad)}\r\n`));
    assert.ok(r.status === 0 || r.status === 431, `${pad}: ${r.text.slice(0, 120)}`);
  }
  assert.equal(await shelterCount(), n0 + 1, 'only the one that was answered 201 ran');
});

test('query parameters: within the limit answered, 250 refused with 414, thousands refused or never run', async () => {
  const q = (n) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
  const h = await raw(Buffer.from(`GET /healthz?${q(100)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  assert.equal(h.status, 200, h.text.slice(0, 200));
  const h250 = await raw(Buffer.from(`GET /healthz?${q(250)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  assert.equal(h250.status, 414, h250.text.slice(0, 200));
  assert.equal(JSON.parse(h250.body).error.code, 'uri_too_long');
  const n0 = await shelterCount();
  const w = await raw(post(`/api/v1/shelters?${q(100)}`, shelter('params-100')));
  assert.equal(w.status, 201, w.text.slice(0, 200));
  for (const n of [250, 1000, 4000]) {
    const r = await raw(post(`/api/v1/shelters?${q(n)}`, shelter(`params-${n}`)));
    assert.ok(r.status === 0 || r.status === 414 || r.status === 431, `${n}: ${r.text.slice(0, 120)}`);
  }
  assert.equal(await shelterCount(), n0 + 1, 'nothing refused was written');
});

test('chunked bodies are refused with 411 (the library never answers 500 for a chunk line)', async () => {
  for (const line of ['1'.repeat(20000), `3;${'e'.repeat(20000)}`, 'FFFFFFFFFFFFFFFFFF']) {
    const r = await raw(Buffer.concat([
      Buffer.from(`POST /api/v1/shelters HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`),
      Buffer.from(`${line}\r\nabc\r\n0\r\n\r\n`)]));
    assert.equal(r.status, 411, r.text.slice(0, 200));
    assert.equal(JSON.parse(r.body).error.code, 'length_required');
  }
});

test('malformed requests the library answers itself are client errors, never 5xx', async () => {
  const cases = [
    'GET /healthz HTTP/1.1\r\nHost: x\r\nBadHeaderNoColon\r\nConnection: close\r\n\r\n',
    'GET /healthz HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n',
    `GET /${'a'.repeat(70000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  ];
  for (const c of cases) {
    const r = await raw(Buffer.from(c));
    // 505 is HTTP's own answer to an unknown protocol version; every other is a 4xx
    assert.ok((r.status >= 400 && r.status < 500) || r.status === 505, `${c.slice(0, 40)} -> ${r.status}`);
  }
});

test('every error keeps its JSON body, whatever bytes it echoes', async () => {
  const login = await raw(Buffer.from(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength('{"username":"\\u12中"}')}\r\n\r\n{"username":"\\u12中"}`));
  assert.equal(login.status, 400);
  assert.equal(JSON.parse(login.body).error.field, 'body');
  const probes = [
    ['GET', `/api/v1/shelters?format=${'中'.repeat(8)}`],
    ['GET', `/api/v1/shelters?limit=${'中'.repeat(30)}`],
    ['GET', `/api/v1/layers/${encodeURIComponent('中'.repeat(40))}`],
    ['GET', '/api/v1/enterprises/%ff'],
    ['GET', `/api/v1/enterprises/${encodeURIComponent('中'.repeat(40))}`],
  ];
  for (const [m, p] of probes) {
    const r = await srv.req(m, p, { token: admin }); // the helper asserts the JSON error body
    assert.ok(r.status >= 400 && r.status < 500, `${p} -> ${r.status}`);
  }
  const key = 'a' + '中'.repeat(25);
  const r = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'x', password: 'y', [key]: 1 } });
  assert.equal(r.status, 400);
});

test('a parked acknowledgement is answered when its client half-closed after sending', async () => {
  const cmd = await srv.login('commander_441523');
  const w = await srv.req('POST', '/api/v1/warnings', { token: duty, body: { type: 'rainstorm', level: 'blue', headline: '半关闭测试', areas: ['441523'], expires: new Date(Date.now() + 3600e3).toISOString() } });
  assert.equal(w.status, 201, w.text);
  for (const [a, t] of [['submit', duty], ['approve', cmd], ['issue', duty]]) {
    const r = await srv.req('POST', `/api/v1/warnings/${w.json.id}/${a}`, { token: t, body: {} });
    assert.equal(r.status, 200, r.text);
  }
  const gws = await srv.req('GET', '/api/v1/grid-workers?area=441523&limit=3', { token: duty });
  for (const g of gws.json.items.slice(0, 3)) {
    const t = await srv.login(g.username);
    const r = await raw(Buffer.from(`POST /api/v1/me/inbox/${w.json.id}/ack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Length: 0\r\n\r\n`), { halfClose: true });
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.equal(JSON.parse(r.body).recipient.state, 'acknowledged');
  }
});

// Jurisdiction by area code: the one rule. A table that a full permission matrix grows from:
// every route that lists by area, asked by the commander of 441523 (陆河县)
const AREA_ROUTES = [
  '/api/v1/grid-workers', '/api/v1/enterprises', '/api/v1/shelters',
  '/api/v1/shelters?format=csv', '/api/v1/shelters?format=geojson', '/api/v1/shelters?format=xlsx',
  '/api/v1/layers/shelters', '/api/v1/devices', '/api/v1/alarms', '/api/v1/inspectors',
  '/api/v1/stats/enforcement', '/api/v1/warnings', '/api/v1/hazards', '/api/v1/cases',
];
test('jurisdiction: every route that takes ?area= refuses malformed and unknown codes and other counties', async () => {
  const failures = [];
  for (const route of AREA_ROUTES) {
    const sep = route.includes('?') ? '&' : '?';
    for (const [area, want] of [['4415230', 400], ['441523x', 400], ['441523999999', 400], ['441502', 403], ['441523', 200]]) {
      let r;
      try { r = await srv.req('GET', `${route}${sep}area=${area}`, { token: county }); } catch (e) { failures.push(`${route} area=${area}: ${e.message}`); continue; }
      if (r.status !== want) failures.push(`${route} area=${area}: ${r.status}, want ${want}`);
      else if (want === 400 && r.json.error.field !== 'area') failures.push(`${route} area=${area}: field ${r.json.error.field}`);
    }
  }
  assert.deepEqual(failures, []);
});

// The same rule by id, by geometry and by parent link: a county officer asking for, or
// pointing at, an object of another county finds nothing there (404 for reads; a write that
// names it is refused naming the field). [what, how to get an id of 城区 (441502), the probe]
test('jurisdiction by id, geometry and parent link: another county\'s objects are not there', async () => {
  const failures = [];
  const idIn = async (entity) => (await srv.req('GET', `/api/v1/${entity}?area=441502&limit=1`, { token: admin })).json.items[0].id;
  for (const entity of ['enterprises', 'hazard-sources', 'risk-points', 'shelters', 'warehouses', 'teams', 'cameras', 'water-sources']) {
    const id = await idIn(entity);
    const r = await srv.req('GET', `/api/v1/${entity}/${id}`, { token: county });
    if (r.status !== 404) failures.push(`GET ${entity}/${id}: ${r.status}`);
    const p = await srv.req('PATCH', `/api/v1/${entity}/${id}`, { token: county, body: { note: 'x' } });
    if (p.status !== 404 && p.status !== 403) failures.push(`PATCH ${entity}/${id}: ${p.status}`);
  }
  // a warning of 城区, read by 陆河县
  const d502 = await srv.login('duty_officer_441502');
  const w = await srv.req('POST', '/api/v1/warnings', { token: d502, body: { type: 'rainstorm', level: 'blue', headline: '城区测试预警', areas: ['441502'], expires: new Date(Date.now() + 3600e3).toISOString() } });
  if ((await srv.req('GET', `/api/v1/warnings/${w.json.id}`, { token: county })).status !== 404) failures.push('warning by id');
  // a device of 城区
  await srv.req('POST', '/api/v1/devices', { token: admin, body: { id: 'HOSTILE-502', kind: 'rain_gauge', area: '441502' } });
  if ((await srv.req('GET', '/api/v1/devices/HOSTILE-502', { token: county })).status !== 404) failures.push('device by id');
  // by geometry: a polygon inside 城区, drawn by 陆河县
  const poly = await srv.req('POST', '/api/v1/warnings', { token: duty, body: { type: 'rainstorm', level: 'blue', headline: '越界多边形', areas: [], polygons: [{ type: 'Polygon', coordinates: [[[115.3, 22.7], [115.45, 22.7], [115.45, 22.85], [115.3, 22.85], [115.3, 22.7]]] }], expires: new Date(Date.now() + 3600e3).toISOString() } });
  if (poly.status !== 403 || poly.json.error.field !== 'polygons') failures.push(`polygon over 城区: ${poly.status} ${poly.text.slice(0, 120)}`);
  // by parent link: a hazard source of 陆河县 under an enterprise of 城区; a risk point sheltering in 城区
  const ent502 = await idIn('enterprises');
  const hs = await srv.req('POST', '/api/v1/hazard-sources', { token: county, body: { name: '越界危险源', area_code: '441523', lon: 115.65, lat: 23.3, enterprise_id: ent502, level: 2 } });
  if (hs.status < 400 || hs.status >= 500 || !JSON.stringify(hs.json).includes('enterprise_id')) failures.push(`hazard source under 城区 enterprise: ${hs.status}`);
  const sh502 = await idIn('shelters');
  const rp = await srv.req('POST', '/api/v1/risk-points', { token: county, body: { name: '越界风险点', area_code: '441523', lon: 115.65, lat: 23.3, type: 'landslide', shelter_ids: [sh502] } });
  if (rp.status < 400 || rp.status >= 500 || !JSON.stringify(rp.json).includes('shelter_ids')) failures.push(`risk point sheltering in 城区: ${rp.status}`);
  assert.deepEqual(failures, []);
});
