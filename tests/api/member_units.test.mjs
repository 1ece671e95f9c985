// Member units (成员单位): the committee's webhook receivers of warnings, kept by the
// registry. Create, list, change; webhook URL and fields checked; the list scoped to the
// caller's jurisdiction (?area= too); another jurisdiction's unit is missing; every write is
// audited with the "member_unit" projection, which `yingji audit verify` checks at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, PASSWORD } from './lib.mjs';

let srv, admin, county;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  county = await srv.login('duty_officer_441523'); // 陆河县
});
after(async () => {
  assert.equal((await srv.stop()).code, 0);
  const v = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /OK/);
});

const create = (body, token = admin) => srv.req('POST', '/api/v1/member-units', { token, body });

test('create, list and change a member unit', async () => {
  const u = await create({ name: '市气象局短信网关', area_code: '441500', webhook_url: 'https://sms.example/hook' });
  assert.equal(u.status, 201, u.text);
  assert.deepEqual(Object.keys(u.json).sort(), ['area_code', 'enabled', 'id', 'name', 'webhook_url']);
  assert.equal(u.json.enabled, true);
  assert.equal(u.json.area_code, '441500');
  // the area defaults to the caller's own
  const own = await create({ name: '默认区域单位', webhook_url: 'http://127.0.0.1:1/x', enabled: false });
  assert.equal(own.status, 201, own.text);
  assert.equal(own.json.area_code, '441500');
  assert.equal(own.json.enabled, false);

  const list = await srv.req('GET', '/api/v1/member-units', { token: admin });
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.json), ['items']);
  assert.ok(list.json.items.some((x) => x.id === u.json.id && x.name === '市气象局短信网关'));

  const p = await srv.req('PATCH', `/api/v1/member-units/${u.json.id}`, { token: admin, body: { enabled: false, name: '市气象局' } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.enabled, false);
  assert.equal(p.json.name, '市气象局');
  assert.equal(p.json.webhook_url, 'https://sms.example/hook');
  const again = await srv.req('GET', '/api/v1/member-units', { token: admin });
  assert.equal(again.json.items.find((x) => x.id === u.json.id).enabled, false);
});

test('fields are checked and name what is wrong', async () => {
  const ok = { name: '单位', area_code: '441523', webhook_url: 'http://127.0.0.1:1/hook' };
  const cases = [
    [{ ...ok, webhook_url: 'ftp://example/hook' }, 'webhook_url'],
    [{ ...ok, webhook_url: 'x'.repeat(600) }, 'webhook_url'],
    [{ name: '单位', area_code: '441523' }, 'webhook_url'],
    [{ ...ok, name: '' }, 'name'],
    [{ ...ok, name: 'x'.repeat(201) }, 'name'],
    [{ area_code: '441523', webhook_url: ok.webhook_url }, 'name'],
    [{ ...ok, enabled: 'yes' }, 'enabled'],
    [{ ...ok, colour: 'red' }, 'colour'],
    [{ ...ok, area_code: '4415230' }, 'area_code'],
    [{ ...ok, area_code: '441523x' }, 'area_code'],
    [{ ...ok, area_code: '441523999999' }, 'area_code'],
  ];
  for (const [body, field] of cases) {
    const r = await create(body);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.status} ${r.text}`);
    assert.equal(r.json.error.field, field, r.text);
  }
  const u = await create(ok);
  assert.equal(u.status, 201);
  const bad = await srv.req('PATCH', `/api/v1/member-units/${u.json.id}`, { token: admin, body: { webhook_url: 'mailto:x@example' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'webhook_url');
  assert.equal((await srv.req('PATCH', '/api/v1/member-units/abc', { token: admin, body: { enabled: true } })).status, 400);
  assert.equal((await srv.req('PATCH', '/api/v1/member-units/99999999', { token: admin, body: { enabled: true } })).status, 404);
  // only administrators write
  assert.equal((await create(ok, county)).status, 403);
  assert.equal((await srv.req('PATCH', `/api/v1/member-units/${u.json.id}`, { token: county, body: { enabled: false } })).status, 403);
});

test('jurisdiction: lists are scoped, another county\'s unit is missing', async () => {
  const here = await create({ name: '陆河县广播', area_code: '441523', webhook_url: 'http://127.0.0.1:1/a' });
  const there = await create({ name: '城区广播', area_code: '441502', webhook_url: 'http://127.0.0.1:1/b' });
  assert.equal(here.status, 201);
  assert.equal(there.status, 201);
  const mine = await srv.req('GET', '/api/v1/member-units', { token: county });
  assert.equal(mine.status, 200);
  assert.ok(mine.json.items.some((x) => x.id === here.json.id));
  assert.ok(mine.json.items.every((x) => x.area_code.startsWith('441523')), JSON.stringify(mine.json.items));
  assert.equal((await srv.req('GET', '/api/v1/member-units?area=441502', { token: county })).status, 403);
  const narrowed = await srv.req('GET', '/api/v1/member-units?area=441502', { token: admin });
  assert.ok(narrowed.json.items.length > 0 && narrowed.json.items.every((x) => x.area_code.startsWith('441502')));

  // a county administrator cannot touch another county's unit, nor move its own out
  const made = await srv.req('POST', '/api/v1/users', { token: admin, body: {
    username: 'admin_441523', display_name: '陆河县管理员', role: 'admin', area_code: '441523', password: PASSWORD } });
  assert.equal(made.status, 201, made.text);
  const countyAdmin = await srv.login('admin_441523');
  const p = await srv.req('PATCH', `/api/v1/member-units/${there.json.id}`, { token: countyAdmin, body: { enabled: false } });
  assert.equal(p.status, 404, p.text);
  const away = await srv.req('PATCH', `/api/v1/member-units/${here.json.id}`, { token: countyAdmin, body: { area_code: '441502' } });
  assert.equal(away.status, 403, away.text);
  assert.equal(away.json.error.field, 'area_code');
  const outside = await create({ name: '外县单位', area_code: '441502', webhook_url: 'http://127.0.0.1:1/c' }, countyAdmin);
  assert.equal(outside.status, 403);
  const fine = await srv.req('PATCH', `/api/v1/member-units/${here.json.id}`, { token: countyAdmin, body: { area_code: '441523100' } });
  assert.equal(fine.status, 200, fine.text);
  assert.equal(fine.json.area_code, '441523100');
});
