// HTTP as its clients expect: gzip for large answers, validators and 304 on
// static files, year-long caching for versioned vendor files, HEAD beside
// GET, WWW-Authenticate on 401, a favicon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startServer } from './lib.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

// node:http, so that the body arrives as sent (fetch would decompress it)
function get(path, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: srv.port, path, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('a large layer is gzip for a client that accepts it, plain for one that does not', async () => {
  const auth = { Authorization: `Bearer ${admin}` };
  const plain = await get('/api/v1/layers/cameras?limit=5000', auth);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  const gz = await get('/api/v1/layers/cameras?limit=5000', { ...auth, 'Accept-Encoding': 'gzip, deflate' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers.vary, /Accept-Encoding/);
  const body = zlib.gunzipSync(gz.body);
  assert.ok(gz.body.length * 4 < body.length, `compressed ${gz.body.length} of ${body.length}`);
  assert.deepEqual(JSON.parse(body).features.length, JSON.parse(plain.body).features.length);
  const refused = await get('/api/v1/layers/cameras?limit=5000', { ...auth, 'Accept-Encoding': 'gzip;q=0' });
  assert.equal(refused.headers['content-encoding'], undefined);
  const small = await get('/healthz', { 'Accept-Encoding': 'gzip' });
  assert.equal(small.headers['content-encoding'], undefined, 'small answers stay plain');
});

test('static files: a strong ETag, 304 for a repeat, gzip, and a year for versioned vendor files', async () => {
  const first = await get('/app.js');
  assert.equal(first.status, 200);
  const etag = first.headers.etag;
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  assert.equal(first.headers['cache-control'], 'no-cache');
  const again = await get('/app.js', { 'If-None-Match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, etag);
  const gz = await get('/vendor/leaflet/leaflet.js?v=1.9.4', { 'Accept-Encoding': 'gzip' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers['cache-control'], /max-age=31536000/);
  assert.ok(zlib.gunzipSync(gz.body).toString().includes('Leaflet'));
  const page = await get('/');
  assert.match(page.body.toString(), /leaflet\.js\?v=\d/, 'the map page names the vendor version');
});

test('HEAD answers like GET without a body, and Allow names it', async () => {
  const h = await get('/healthz', {}, 'HEAD');
  assert.equal(h.status, 200);
  assert.equal(h.body.length, 0);
  const r = await srv.req('DELETE', '/api/v1/areas', { token: admin });
  assert.equal(r.status, 405);
  assert.match(r.headers.get('allow'), /\bGET\b.*\bHEAD\b/);
});

test('401 names the Bearer scheme; the favicon is an icon', async () => {
  const r = await srv.req('GET', '/api/v1/me');
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Bearer /);
  const icon = await get('/favicon.ico');
  assert.equal(icon.status, 200);
  assert.equal(icon.headers['content-type'], 'image/x-icon');
});

test('Idempotency-Key: the same request twice creates once and answers the first answer again', async () => {
  const body = { name: '幂等测试避难所', area_code: '441502', lon: 115.37, lat: 22.78, kind: 'purpose_built', capacity: 80 };
  const count = async () => (await srv.req('GET', '/api/v1/shelters?q=幂等测试&limit=50', { token: admin })).json.items.length;
  const before = await count();
  const headers = { 'Idempotency-Key': 'shelter-create-0001' };
  const first = await srv.req('POST', '/api/v1/shelters', { token: admin, body, headers });
  assert.equal(first.status, 201, first.text);
  const again = await srv.req('POST', '/api/v1/shelters', { token: admin, body, headers });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.json.id, first.json.id);
  assert.equal(await count(), before + 1);
  const other = await srv.req('POST', '/api/v1/shelters', { token: admin, body: { ...body, capacity: 81 }, headers });
  assert.equal(other.status, 422);
  assert.equal(other.json.error.field, 'Idempotency-Key');
  const bad = await srv.req('POST', '/api/v1/shelters', { token: admin, body, headers: { 'Idempotency-Key': ' ' } });
  assert.equal(bad.status, 400);
  // a refused request is not kept: the same key may carry the corrected request
  const refused = await srv.req('POST', '/api/v1/shelters', { token: admin, body: { ...body, lon: 999 }, headers: { 'Idempotency-Key': 'k2' } });
  assert.ok(refused.status === 400 || refused.status === 422, refused.text);
  const fixed = await srv.req('POST', '/api/v1/shelters', { token: admin, body: { ...body, name: '幂等测试二' }, headers: { 'Idempotency-Key': 'k3' } });
  assert.equal(fixed.status, 201, fixed.text);
  assert.equal(await count(), before + 2);
});

test('Idempotency-Key: a create whose answer was lost to kill -9 is answered on retry, not run twice', async () => {
  const { startServer: start } = await import('./lib.mjs');
  const own = await start();
  const token = await own.login('admin');
  const body = { name: '断电重试避难所', area_code: '441502', lon: 115.37, lat: 22.78, kind: 'purpose_built', capacity: 60 };
  const headers = { 'Idempotency-Key': 'after-kill-1' };
  const first = await own.req('POST', '/api/v1/shelters', { token, body, headers });
  assert.equal(first.status, 201);
  await own.kill9();
  const again = await start({ db: own.db });
  const t2 = await again.login('admin');
  const retry = await again.req('POST', '/api/v1/shelters', { token: t2, body, headers });
  assert.equal(retry.status, 201);
  assert.equal(retry.json.id, first.json.id);
  assert.equal((await again.req('GET', '/api/v1/shelters?q=断电重试&limit=5', { token: t2 })).json.items.length, 1);
  assert.equal((await again.stop()).code, 0);
});
