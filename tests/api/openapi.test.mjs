// The API description, GET /api/v1/openapi.json, as a client reads it:
// an OpenAPI 3.1 document that an independent validator accepts
// (@seriousme/openapi-schema-validator, the official JSON schemas), with
// the shape the conventions promise, and true to the server: every
// documented operation is answered by the server (its path's Allow header
// names the method), every method the server allows on a documented path
// is documented, and every endpoint the shipped web pages call is in it.
// tests/unit/test_openapi.c checks the same against the route table itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startServer } from './lib.mjs';

let srv, token, doc;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

before(async () => {
  srv = await startServer();
  token = await srv.login('admin');
  const r = await srv.req('GET', '/api/v1/openapi.json', { token });
  assert.equal(r.status, 200, r.text);
  doc = r.json;
});

after(async () => { await srv?.stop(); });

// a concrete path for a documented one: every {parameter} filled in
const concrete = (p) => p.replace(/\{code\}/g, '441500').replace(/\{[^}]+\}/g, '1');

test('the document needs a signed-in user; the session cookie is enough', async () => {
  const anon = await srv.req('GET', '/api/v1/openapi.json');
  assert.equal(anon.status, 401);
  const login = await fetch(`${srv.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'demo-pass-123' }),
  });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const byCookie = await fetch(`${srv.base}/api/v1/openapi.json`, { headers: { Cookie: cookie } });
  assert.equal(byCookie.status, 200);
  assert.match(byCookie.headers.get('content-type'), /^application\/json/);
});

test('an independent validator accepts it as OpenAPI 3.1', async () => {
  const v = new Validator();
  const res = await v.validate(structuredClone(doc));
  assert.equal(v.version, '3.1');
  assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1)?.slice(0, 3000));
});

test('its shape: paths, operations with responses, the Error schema, the security schemes', () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.ok(doc.info?.title && doc.info?.version);
  const schemes = doc.components.securitySchemes;
  assert.deepEqual(schemes.bearer, { type: 'http', scheme: 'bearer' });
  assert.equal(schemes.session.type, 'apiKey');
  assert.equal(schemes.session.in, 'cookie');
  const err = doc.components.schemas.Error;
  assert.deepEqual(err.required, ['error']);
  assert.deepEqual(err.properties.error.required, ['code', 'message']);
  const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([m, op]) => ({ p, m, op })));
  assert.ok(ops.length > 100, `${ops.length} operations`);
  const ids = new Set();
  for (const { p, m, op } of ops) {
    const where = `${m.toUpperCase()} ${p}`;
    assert.ok(METHODS.includes(m), `${where}: not an HTTP method`);
    assert.ok(!ids.has(op.operationId), `${where}: operationId repeats`);
    ids.add(op.operationId);
    assert.equal(op.tags?.length, 1, `${where}: one tag`);
    const codes = Object.keys(op.responses);
    assert.ok(codes.some((c) => /^2/.test(c)), `${where}: no success answer`);
    assert.equal(op.responses['400'].content['application/json'].schema.$ref, '#/components/schemas/Error', where);
    // every {parameter} of the path is declared, in: path, required
    const declared = (op.parameters || []).filter((x) => x.in === 'path').map((x) => x.name).sort();
    const inPath = [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]).sort();
    assert.deepEqual(declared, inPath, where);
    if (op.security.length) {
      assert.deepEqual(op.security, [{ bearer: [] }, { session: [] }], where);
      assert.ok(op['x-roles'].length > 0 && op.responses['401'], where);
    }
  }
  // public routes say so; the health check is one
  assert.deepEqual(doc.paths['/healthz'].get.security, []);
  // POSTs of a signed-in user take Idempotency-Key
  const create = doc.paths['/api/v1/warnings'].post;
  assert.ok(create.parameters.some((x) => x.in === 'header' && x.name === 'Idempotency-Key'));
});

test('the areas are described: summaries and query parameters', () => {
  const params = (p) => Object.fromEntries((doc.paths[p].get.parameters || []).map((x) => [x.name, x]));
  for (const p of ['/api/v1/areas', '/api/v1/areas/locate', '/api/v1/areas/{code}', '/healthz', '/metrics', '/api/v1/openapi.json']) {
    assert.ok(doc.paths[p].get.summary, `${p}: no summary`);
  }
  assert.equal(params('/api/v1/areas').parent.schema.pattern, '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$');
  assert.equal(params('/api/v1/areas/locate').lon.required, true);
  assert.equal(params('/api/v1/areas/locate').lat.schema.type, 'number');
  assert.equal(params('/api/v1/areas/{code}').geometry.schema.type, 'boolean');
});

test('every documented operation is served, and every method served on a documented path is documented', async () => {
  const patterns = Object.keys(doc.paths).map((p) => ({ p, segs: p.split('/') }));
  // the documented operations a concrete path can reach ("/warnings/1/loop" also matches "/warnings/{id}/{action}")
  const reachable = (path) => {
    const segs = path.split('/');
    return patterns.filter((x) => x.segs.length === segs.length && x.segs.every((s, i) => s.startsWith('{') || s === segs[i]))
      .flatMap((x) => Object.keys(doc.paths[x.p]));
  };
  const problems = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    // a method no route has: the router answers 405 with every method it serves on this path
    const path = concrete(p);
    const r = await fetch(srv.base + path, { method: 'PROPFIND' });
    const allow = (r.headers.get('allow') || '').split(',').map((x) => x.trim().toLowerCase()).filter((x) => x && x !== 'head');
    if (r.status !== 405) problems.push(`${p}: PROPFIND answered ${r.status}, not 405`);
    for (const m of Object.keys(item)) if (!allow.includes(m)) problems.push(`${m.toUpperCase()} ${p} is documented but not served (Allow: ${allow})`);
    const documented = reachable(path);
    for (const m of allow) if (!documented.includes(m)) problems.push(`${m.toUpperCase()} ${path} is served but not documented`);
  }
  assert.deepEqual(problems, []);
});

test('every API path the web pages call is documented', () => {
  const patterns = Object.keys(doc.paths).map((p) => p.split('/'));
  const matches = (segs) => patterns.some((pat) => pat.length === segs.length && pat.every((x, i) => x.startsWith('{') || x === segs[i]));
  const seen = new Set();
  const missing = [];
  for (const f of readdirSync('web').filter((x) => x.endsWith('.js'))) {
    const src = readFileSync(`web/${f}`, 'utf8');
    for (const [lit] of src.matchAll(/\/api\/v1\/(?:\$\{[^}]*\}|[^'"`\s),$])*/g)) {
      // template parts: a whole segment ${…} is a parameter; a part glued to a segment is a suffix or query
      const path = lit.replace(/\$\{[^}]*\}/g, '\u0001').split(/\$\{|[?#]/)[0];
      const segs = path.split('/').map((s) => (s === '\u0001' ? '1' : s.split('\u0001')[0]));
      if (segs[3] === '1' || segs[3] === '') continue; // the resource itself is a variable (the registry's layers)
      // the import of a registry type (数据导入导出): each of the map's layers must have its import documented
      if (segs[3] === 'import' && segs[4] === '1' && segs.length === 5) {
        for (const [, name] of readFileSync('web/labels.js', 'utf8').matchAll(/\{ name: '([a-z-]+)', color:/g)) {
          if (!doc.paths[`/api/v1/import/${name}`]?.post) missing.push(`POST /api/v1/import/${name} (web/${f})`);
        }
        continue;
      }
      const key = segs.join('/').replace(/\/$/, '');
      if (seen.has(key)) continue;
      seen.add(key);
      if (!matches(key.split('/'))) missing.push(`${key} (web/${f})`);
    }
  }
  assert.ok(seen.size > 40, `${seen.size} paths found in web/*.js`);
  assert.deepEqual(missing, []);
});
