// Foundation API tests: health, metrics, errors, login, throttling,
// jurisdiction, body limits, user management, logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, PASSWORD } from './lib.mjs';

let srv;
let adminToken;
before(async () => {
  srv = await startServer();
  adminToken = await srv.login('admin');
});
after(async () => {
  const end = await srv.stop();
  assert.equal(end.code, 0, `server exit ${JSON.stringify(end)}`);
});

// POST a login from a chosen local address (127.0.0.x: loopback only), so the server sees another client
function loginFrom(base, localAddress, username, password) {
  return new Promise((resolve, reject) => {
    const url = new URL('/api/v1/auth/login', base);
    const body = JSON.stringify({ username, password });
    const r = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

function assertErrorJson(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type'), /application\/json/);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  if (code) assert.equal(r.json.error.code, code);
}

test('healthz answers ok', async () => {
  const r = await srv.req('GET', '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
  assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
});

test('metrics in Prometheus text format by route and status', async () => {
  await srv.req('GET', '/healthz');
  const r = await srv.req('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/plain/);
  assert.match(r.text, /yingji_http_requests_total\{route="GET \/healthz",status="200"\} \d+/);
  assert.match(r.text, /yingji_http_request_duration_seconds_bucket\{route="GET \/healthz",le="\+Inf"\} \d+/);
  assert.match(r.text, /# TYPE yingji_http_request_duration_seconds histogram/);
});

test('unknown route answers 404 JSON', async () => {
  const r = await srv.req('GET', '/api/v1/no-such-thing', { token: adminToken });
  assertErrorJson(r, 404, 'not_found');
});

test('wrong method answers 405 with Allow', async () => {
  const r = await srv.req('DELETE', '/api/v1/me', { token: adminToken });
  assertErrorJson(r, 405, 'method_not_allowed');
  assert.match(r.headers.get('allow'), /GET/);
});

test('login ok gives a token, an HttpOnly SameSite=Strict cookie, and /me', async () => {
  const r = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'commander', password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(r.json.user.username, 'commander');
  assert.equal(r.json.user.role, 'commander');
  assert.equal(r.json.user.area_code, '441500');
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /yj_session=/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const me = await srv.req('GET', '/api/v1/me', { token: r.json.token });
  assert.equal(me.status, 200);
  assert.equal(me.json.username, 'commander');
  const byCookie = await srv.req('GET', '/api/v1/me', { headers: { Cookie: cookie.split(';')[0] } });
  assert.equal(byCookie.status, 200);
});

test('bad password and unknown user get the same 401', async () => {
  const a = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'duty_officer', password: 'wrong-password' } });
  assertErrorJson(a, 401, 'unauthenticated');
  const b = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'nobody-here', password: 'wrong-password' } });
  assertErrorJson(b, 401, 'unauthenticated');
  assert.equal(a.json.error.message, b.json.error.message);
});

test('repeated failed logins are throttled with 429 and Retry-After', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'licensing_clerk', password: `nope-${i}-xxxx` } });
    assert.equal(r.status, 401, `attempt ${i}: ${r.text}`);
  }
  const r = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'licensing_clerk', password: PASSWORD } });
  assertErrorJson(r, 429, 'too_many_requests');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  // another user from the same address is not locked out
  const other = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'warehouse_keeper', password: PASSWORD } });
  assert.equal(other.status, 200);
});

test('throttling is per user and address: twelve wrong passwords from elsewhere do not lock commander out of the office', async () => {
  // the lockout counted failures per username from every address: 12 wrong passwords every
  // 30 s from anywhere kept commander out
  for (let i = 0; i < 12; i++) {
    const r = await loginFrom(srv.base, '127.0.0.2', 'commander', `guess-${i}-xxxx`);
    assert.equal(r.status, i < 5 ? 401 : 429, `attempt ${i}: ${r.text}`);
  }
  // the guesser's address is refused even with the right password, and told when to come back
  const guesser = await loginFrom(srv.base, '127.0.0.2', 'commander', PASSWORD);
  assert.equal(guesser.status, 429, guesser.text);
  assert.equal(guesser.json.error.code, 'too_many_requests');
  assert.ok(Number(guesser.headers['retry-after']) > 0);
  // the office (127.0.0.1) signs in
  const office = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'commander', password: PASSWORD } });
  assert.equal(office.status, 200, office.text);
  // each lockout is logged with the user and the client
  assert.match(srv.logs(), /event=login_throttled username=commander client=127\.0\.0\.2 /);
});

test('throttling: one address trying many usernames meets its own budget', async () => {
  let last;
  for (let i = 0; i < 25 && (!last || last.status !== 429); i++) {
    last = await loginFrom(srv.base, '127.0.0.3', `nobody_${i}`, 'not-a-password');
  }
  assert.equal(last.status, 429, last.text);
  assert.ok(Number(last.headers['retry-after']) > 0);
  // a real user from that address waits too; from another address it does not
  assert.equal((await loginFrom(srv.base, '127.0.0.3', 'inspector', PASSWORD)).status, 429);
  assert.equal((await loginFrom(srv.base, '127.0.0.4', 'inspector', PASSWORD)).status, 200);
});

test('no token: 401; bad token: 401', async () => {
  assertErrorJson(await srv.req('GET', '/api/v1/me'), 401, 'unauthenticated');
  assertErrorJson(await srv.req('GET', '/api/v1/me', { token: 'x'.repeat(43) }), 401, 'unauthenticated');
});

test('logout ends the session', async () => {
  const t = await srv.login('inspector');
  assert.equal((await srv.req('POST', '/api/v1/auth/logout', { token: t })).status, 204);
  assert.equal((await srv.req('GET', '/api/v1/me', { token: t })).status, 401);
});

test('malformed JSON: 400 naming the body, nothing written', async () => {
  const before = await srv.req('GET', '/api/v1/users?limit=500', { token: adminToken });
  const r = await srv.req('POST', '/api/v1/users', { token: adminToken, raw: '{"username": "x1", "role": ', headers: { 'Content-Type': 'application/json' } });
  assertErrorJson(r, 400, 'invalid_argument');
  assert.equal(r.json.error.field, 'body');
  const dup = await srv.req('POST', '/api/v1/users', { token: adminToken, raw: '{"username":"abc","username":"def"}' });
  assertErrorJson(dup, 400, 'invalid_argument');
  const after = await srv.req('GET', '/api/v1/users?limit=500', { token: adminToken });
  assert.equal(after.json.items.length, before.json.items.length);
});

test('oversize body answers 413', async () => {
  const big = JSON.stringify({ username: 'x', pad: 'a'.repeat(2 * 1024 * 1024) });
  const r = await srv.req('POST', '/api/v1/users', { token: adminToken, raw: big });
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, 'payload_too_large');
});

test('oversize body: the 413 reaches a client still sending, every time (no reset first)', async () => {
  // answering at the headers closed the connection under a client still writing 2 MiB:
  // about one request in three saw a reset instead of the 413
  const big = JSON.stringify({ username: 'x', pad: 'a'.repeat(2 * 1024 * 1024) });
  for (let i = 0; i < 20; i++) {
    const r = await srv.req('POST', '/api/v1/users', { token: adminToken, raw: big });
    assert.equal(r.status, 413, `request ${i}`);
  }
});

test('area tree: city root, counties, towns, geometry, locate', async () => {
  const root = await srv.req('GET', '/api/v1/areas', { token: adminToken });
  assert.equal(root.status, 200);
  assert.equal(root.json.items[0].code, '441500');
  const counties = await srv.req('GET', '/api/v1/areas?parent=441500', { token: adminToken });
  assert.deepEqual(counties.json.items.map((a) => a.code), ['441502', '441521', '441523', '441581']);
  const towns = await srv.req('GET', '/api/v1/areas?parent=441502', { token: adminToken });
  assert.equal(towns.json.items.length, 10);
  const lufeng = await srv.req('GET', '/api/v1/areas?parent=441581', { token: adminToken });
  assert.equal(lufeng.json.items.length, 29);
  assert.ok(lufeng.json.items.some((t) => t.special));
  const one = await srv.req('GET', '/api/v1/areas/441523?geometry=1', { token: adminToken });
  assert.equal(one.status, 200);
  assert.equal(one.json.name, '陆河县');
  assert.match(one.json.geometry.type, /Polygon/);
  assert.equal(one.json.geometry_approximate, false);
  const town = await srv.req('GET', '/api/v1/areas/441502001', { token: adminToken });
  assert.equal(town.json.geometry_approximate, true);
  assert.deepEqual(town.json.path.map((p) => p.code), ['441500', '441502']);
  const loc = await srv.req('GET', '/api/v1/areas/locate?lon=115.65&lat=23.30', { token: adminToken });
  assert.equal(loc.status, 200, loc.text);
  assert.match(loc.json.code, /^441523\d{3}$/);
  const sea = await srv.req('GET', '/api/v1/areas/locate?lon=114.0&lat=21.0', { token: adminToken });
  assert.equal(sea.status, 404);
  const bad = await srv.req('GET', '/api/v1/areas/locate?lon=181&lat=23', { token: adminToken });
  assertErrorJson(bad, 400, 'invalid_argument');
  assert.equal(bad.json.error.field, 'lon');
  assert.equal((await srv.req('GET', '/api/v1/areas/999999', { token: adminToken })).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/areas/44150x', { token: adminToken })).status, 400);
  assert.equal((await srv.req('GET', '/api/v1/areas/441599', { token: adminToken })).status, 404);
});

test('jurisdiction: county and town users see only their subtree', async () => {
  const county = await srv.login('duty_officer_441523');
  assert.equal((await srv.req('GET', '/api/v1/areas/441523', { token: county })).status, 200);
  assertErrorJson(await srv.req('GET', '/api/v1/areas/441502', { token: county }), 403, 'permission_denied');
  assertErrorJson(await srv.req('GET', '/api/v1/areas/441500', { token: county }), 403, 'permission_denied');
  assert.equal((await srv.req('GET', '/api/v1/areas?parent=441502', { token: county })).status, 403);
  const root = await srv.req('GET', '/api/v1/areas', { token: county });
  assert.equal(root.json.items[0].code, '441523');
  // a point in another county cannot be located by a county user
  assert.equal((await srv.req('GET', '/api/v1/areas/locate?lon=115.37&lat=22.78', { token: county })).status, 403);

  // a town-level user, made by the admin
  const made = await srv.req('POST', '/api/v1/users', { token: adminToken, body: {
    username: 'town_officer_1', display_name: '新港街道值班员', role: 'duty_officer', area_code: '441502001', password: 'town-pass-1234' } });
  assert.equal(made.status, 201, made.text);
  const town = await srv.login('town_officer_1', 'town-pass-1234');
  assert.equal((await srv.req('GET', '/api/v1/areas/441502001', { token: town })).status, 200);
  assertErrorJson(await srv.req('GET', '/api/v1/areas/441521', { token: town }), 403, 'permission_denied');
  assertErrorJson(await srv.req('GET', '/api/v1/areas/441502002', { token: town }), 403, 'permission_denied');
  // and is not an admin
  assertErrorJson(await srv.req('GET', '/api/v1/users', { token: town }), 403, 'permission_denied');
});

test('jurisdiction: ?area= of /grid-workers and /users is the one scope rule (the 4415230 / 441523x bypass)', async () => {
  // duty_officer_441523 asking ?area=4415230 or ?area=441523x got 城区's grid workers: a
  // prefix built by hand from a malformed code matched everything
  const county = await srv.login('duty_officer_441523');
  const made = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'luhe_admin', role: 'admin', area_code: '441523', password: 'long-enough-1' } });
  assert.equal(made.status, 201, made.text);
  const countyAdmin = await srv.login('luhe_admin', 'long-enough-1');
  const towns = await srv.req('GET', '/api/v1/areas?parent=441523', { token: county });
  const town = towns.json.items[0].code;
  for (const [path, token] of [['/api/v1/grid-workers', county], ['/api/v1/users', countyAdmin]]) {
    for (const bad of ['4415230', '441523x', '441523999999']) {
      const r = await srv.req('GET', `${path}?area=${bad}`, { token });
      assertErrorJson(r, 400, 'invalid_argument');
      assert.equal(r.json.error.field, 'area', `${path}?area=${bad}`);
    }
    const other = await srv.req('GET', `${path}?area=441502`, { token });
    assertErrorJson(other, 403, 'permission_denied');
    assert.equal(other.json.error.field, 'area');
    for (const query of ['?area=441523&limit=500', '?limit=500']) {
      const ok = await srv.req('GET', path + query, { token });
      assert.equal(ok.status, 200, ok.text);
      assert.ok(ok.json.items.length > 0, path + query);
      assert.ok(ok.json.items.every((u) => u.area_code.startsWith('441523')), `${path}${query}: ${ok.json.items.map((u) => u.area_code)}`);
    }
    const inTown = await srv.req('GET', `${path}?area=${town}&limit=500`, { token });
    assert.equal(inTown.status, 200, inTown.text);
    assert.ok(inTown.json.items.every((u) => u.area_code.startsWith(town)));
  }
  const workers = await srv.req('GET', '/api/v1/grid-workers?area=441523&limit=500', { token: county });
  assert.ok(workers.json.items.every((u) => u.role === 'grid_worker'));
  // the other list parameters are checked too
  assert.equal((await srv.req('GET', '/api/v1/users?role=king', { token: countyAdmin })).json.error.field, 'role');
  assert.equal((await srv.req('GET', '/api/v1/users?limit=0', { token: countyAdmin })).json.error.field, 'limit');
  assert.equal((await srv.req('GET', '/api/v1/users?cursor=x', { token: countyAdmin })).json.error.field, 'cursor');
});

test('enterprise accounts name their enterprise in /me', async () => {
  const t = await srv.login('enterprise_demo');
  const me = await srv.req('GET', '/api/v1/me', { token: t });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.role, 'enterprise');
  assert.ok(me.json.enterprise && me.json.enterprise.id > 0 && me.json.enterprise.name.length > 0, me.text);
});

test('user management: validation names the field; duplicates conflict; scope holds', async () => {
  const badRole = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'u_bad', role: 'king', area_code: '441500', password: 'long-enough-1' } });
  assertErrorJson(badRole, 400, 'invalid_argument');
  assert.equal(badRole.json.error.field, 'role');
  const shortPw = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'u_short', role: 'inspector', area_code: '441500', password: 'short' } });
  assert.equal(shortPw.json.error.field, 'password');
  const unknownField = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'u_x', role: 'inspector', area_code: '441500', password: 'long-enough-1', admin: true } });
  assert.equal(unknownField.json.error.field, 'admin');
  const noArea = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'u_na', role: 'inspector', area_code: '441599', password: 'long-enough-1' } });
  assert.equal(noArea.json.error.field, 'area_code');
  const dup = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'inspector', role: 'inspector', area_code: '441500', password: 'long-enough-1' } });
  assertErrorJson(dup, 409, 'conflict');

  const made = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'lufeng_admin', role: 'admin', area_code: '441581', password: 'long-enough-1' } });
  assert.equal(made.status, 201);
  assert.equal(made.json.password_hash, undefined);
  const countyAdmin = await srv.login('lufeng_admin', 'long-enough-1');
  const list = await srv.req('GET', '/api/v1/users?limit=500', { token: countyAdmin });
  assert.ok(list.json.items.length > 0);
  assert.ok(list.json.items.every((u) => u.area_code.startsWith('441581')));
  const outside = await srv.req('POST', '/api/v1/users', { token: countyAdmin, body: { username: 'u_out', role: 'inspector', area_code: '441502', password: 'long-enough-1' } });
  assertErrorJson(outside, 403, 'permission_denied');
  // the city admin is invisible to the county admin
  const cityAdminId = (await srv.req('GET', '/api/v1/me', { token: adminToken })).json.id;
  assert.equal((await srv.req('GET', `/api/v1/users/${cityAdminId}`, { token: countyAdmin })).status, 404);

  // disable ends sessions; pagination works
  const dis = await srv.req('PATCH', `/api/v1/users/${made.json.id}`, { token: adminToken, body: { disabled: true } });
  assert.equal(dis.status, 200);
  assert.equal((await srv.req('GET', '/api/v1/me', { token: countyAdmin })).status, 401);
  const page1 = await srv.req('GET', '/api/v1/users?limit=3', { token: adminToken });
  assert.equal(page1.json.items.length, 3);
  const page2 = await srv.req('GET', `/api/v1/users?limit=3&cursor=${page1.json.next_cursor}`, { token: adminToken });
  assert.ok(page2.json.items[0].id > page1.json.items[2].id);
});

test('own password change needs the old password', async () => {
  const t = await srv.login('legal_reviewer');
  const wrong = await srv.req('POST', '/api/v1/me/password', { token: t, body: { old_password: 'not-it-at-all', new_password: 'new-password-1' } });
  assertErrorJson(wrong, 403);
  const ok = await srv.req('POST', '/api/v1/me/password', { token: t, body: { old_password: PASSWORD, new_password: 'new-password-1' } });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await srv.req('GET', '/api/v1/me', { token: t })).status, 401); // the old session ended
  await srv.login('legal_reviewer', 'new-password-1');
});

test('guessing the old password of a signed-in user is throttled like a login', async () => {
  const made = await srv.req('POST', '/api/v1/users', { token: adminToken, body: { username: 'pw_guess_1', role: 'inspector', area_code: '441521', password: 'long-enough-1' } });
  assert.equal(made.status, 201, made.text);
  const t = await srv.login('pw_guess_1', 'long-enough-1');
  for (let i = 0; i < 5; i++) {
    const r = await srv.req('POST', '/api/v1/me/password', { token: t, body: { old_password: `guess-${i}-xxxx`, new_password: 'new-password-1' } });
    assertErrorJson(r, 403, 'permission_denied');
  }
  const r = await srv.req('POST', '/api/v1/me/password', { token: t, body: { old_password: 'long-enough-1', new_password: 'new-password-1' } });
  assertErrorJson(r, 429, 'too_many_requests');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

test('sessions held in memory follow every change at once, and survive a restart', async () => {
  const own = await startServer();
  try {
    const admin = await own.login('admin');
    const t = await own.login('inspector');
    const me = await own.req('GET', '/api/v1/me', { token: t });
    assert.equal(me.json.role, 'inspector');
    // a new role ends the sessions: the old token is refused on the next request
    const patched = await own.req('PATCH', `/api/v1/users/${me.json.id}`, { token: admin, body: { role: 'legal_reviewer' } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await own.req('GET', '/api/v1/me', { token: t })).status, 401);
    // a new display name keeps the session but is shown at once
    const t2 = await own.login('inspector');
    await own.req('PATCH', `/api/v1/users/${me.json.id}`, { token: admin, body: { display_name: '新名字' } });
    const renamed = await own.req('GET', '/api/v1/me', { token: t2 });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.display_name, '新名字');
    assert.equal(renamed.json.role, 'legal_reviewer');
    // a refused change (bad role) changes nothing: the session goes on
    const bad = await own.req('PATCH', `/api/v1/users/${me.json.id}`, { token: admin, body: { role: 'king' } });
    assert.equal(bad.status, 400);
    assert.equal((await own.req('GET', '/api/v1/me', { token: t2 })).status, 200);
    // sessions open before a restart are still open after it; logged-out ones are not
    const t3 = await own.login('commander');
    await own.req('POST', '/api/v1/auth/logout', { token: t3 });
    assert.equal((await own.stop()).code, 0);
    const again = await startServer({ db: own.db });
    try {
      assert.equal((await again.req('GET', '/api/v1/me', { token: t2 })).json.display_name, '新名字');
      assert.equal((await again.req('GET', '/api/v1/me', { token: t3 })).status, 401);
      assert.match(again.logs(), /event=sessions_loaded sessions=\d+/);
    } finally {
      await again.stop();
    }
  } finally {
    await own.stop();
  }
});

test('static files are served and traversal is refused', async () => {
  const index = await srv.req('GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /text\/html/);
  assert.equal((await srv.req('GET', '/../../etc/passwd')).status, 404);
  assert.equal((await srv.req('GET', '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
  assert.equal((await srv.req('GET', '/.git/config')).status, 404);
});

test('one log line per request with key=value fields', async () => {
  await srv.req('GET', '/api/v1/me', { token: adminToken });
  const line = srv.logs().split('\n').find((l) => l.includes('event=request') && l.includes('route=/api/v1/me') && l.includes('user=admin'));
  assert.ok(line, srv.logs().slice(-2000));
  for (const key of ['ts=', 'req_id=', 'method=GET', 'status=200', 'dur_ms=']) assert.ok(line.includes(key), line);
});
