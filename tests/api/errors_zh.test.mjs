// Error messages in the client's language: Accept-Language whose most
// preferred tag is zh gets the message in Chinese (data/i18n/errors.zh.tsv)
// and Content-Language: zh-CN; any other client gets the English words
// exactly as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from './lib.mjs';

let srv, admin, county;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
  county = await srv.login('duty_officer_441523');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const ZH = { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' };
const EN_FIRST = { 'Accept-Language': 'en;q=1, zh;q=0.5' };

// Chinese words: ideographs, and no English word except the ones the message may quote
// (field names, ids, codes: `allowed`)
function assertChinese(message, allowed = []) {
  assert.match(message, /[\u4e00-\u9fff]/, `not Chinese: ${message}`);
  const words = (message.match(/[A-Za-z][A-Za-z_]+/g) || []).filter((w) => !allowed.includes(w));
  assert.deepEqual(words, [], `English words in ${message}`);
}

function assertZhError(r, status, allowed) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-language'), 'zh-CN');
  assertChinese(r.json.error.message, allowed);
}

function assertEnError(r, status, message) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-language'), null);
  assert.equal(r.json.error.message, message);
}

// each case: how to ask, the status, the English words as before, the English words a Chinese message may carry
const cases = [
  { what: 'a malformed id', status: 400, message: "'id' must be a positive whole number, not 'abc'", allowed: ['id', 'abc'],
    ask: (headers) => srv.req('GET', '/api/v1/enterprises/abc', { token: admin, headers }) },
  { what: 'a bad query parameter', status: 400, message: "field 'limit': 'many' is not a whole number", allowed: ['limit', 'many'],
    ask: (headers) => srv.req('GET', '/api/v1/enterprises?limit=many', { token: admin, headers }) },
  { what: 'a missing object (404)', status: 404, message: 'no warning 99999999',
    ask: (headers) => srv.req('GET', '/api/v1/warnings/99999999', { token: admin, headers }) },
  { what: 'a missing registry object (404)', status: 404, message: 'no enterprises with id 99999999',
    ask: (headers) => srv.req('GET', '/api/v1/enterprises/99999999', { token: admin, headers }) },
  { what: 'no session (401)', status: 401, message: 'sign in first (POST /api/v1/auth/login)', allowed: ['POST', 'api', 'v1', 'auth', 'login'],
    ask: (headers) => srv.req('GET', '/api/v1/enterprises', { headers }) },
  { what: 'an area outside the jurisdiction (403)', status: 403, message: 'area 441502 is outside your jurisdiction (441523)',
    ask: (headers) => srv.req('GET', '/api/v1/enterprises?area=441502', { token: county, headers }) },
  { what: 'a role that may not (403)', status: 403, message: 'role admin may not do this', allowed: ['admin'],
    ask: (headers) => srv.req('POST', '/api/v1/warnings', { token: admin, headers, body: { type: 'flood' } }) },
  { what: 'a wrong password (401)', status: 401, message: 'wrong username or password',
    ask: (headers) => srv.req('POST', '/api/v1/auth/login', { headers, body: { username: 'admin', password: 'wrong-password' } }) },
  { what: 'an unknown path (404)', status: 404, message: 'no such endpoint: GET /api/v1/nothing-here', allowed: ['GET', 'api', 'v1', 'nothing', 'here'],
    ask: (headers) => srv.req('GET', '/api/v1/nothing-here', { token: admin, headers }) },
];

for (const c of cases) {
  test(`${c.what}: Chinese when asked for, English otherwise`, async () => {
    assertZhError(await c.ask(ZH), c.status, c.allowed);
    assertZhError(await c.ask({ 'Accept-Language': 'zh-Hans' }), c.status, c.allowed);
    assertEnError(await c.ask({}), c.status, c.message);
    assertEnError(await c.ask(EN_FIRST), c.status, c.message);
    assertEnError(await c.ask({ 'Accept-Language': 'en-US,en;q=0.9' }), c.status, c.message);
  });
}

test('a registry object with bad fields: its problems in Chinese', async () => {
  const body = { name: 'x'.repeat(300), sectors: ['hazardous_chemicals'], area_code: '441523', risk_grade: 'yellow', credit_code: 'nope' };
  const zh = await srv.req('POST', '/api/v1/enterprises', { token: admin, headers: ZH, body });
  assert.equal(zh.status, 422, zh.text);
  assert.equal(zh.headers.get('content-language'), 'zh-CN');
  const name = zh.json.error.problems.find((p) => p.field === 'name');
  assert.equal(name.message, '字段 name：最多 200 字节');
  for (const p of zh.json.error.problems) assertChinese(p.message, [p.field, 'nope', 'GB']);
  const en = await srv.req('POST', '/api/v1/enterprises', { token: admin, body });
  assert.equal(en.json.error.problems.find((p) => p.field === 'name').message, "field 'name': at most 200 bytes");
});

test('an imported file\'s cell problems: where and what, both in Chinese', async () => {
  const csv = '名称,区划代码,经度,纬度,容纳人数\n某避难点,441523,115.6,23.2,很多\n';
  const post = (headers) => srv.req('POST', '/api/v1/import/shelters?dry_run=1', { token: admin, headers: { 'Content-Type': 'text/csv', ...headers }, raw: csv });
  const zh = await post(ZH);
  const p = JSON.stringify(zh.json);
  assert.match(p, /E 列（容纳人数）：“很多”不是整数/, p);
  const en = await post({});
  assert.match(JSON.stringify(en.json), /column E \(容纳人数\): '很多' is not a whole number/);
});

test('a validation error of a JSON field: Chinese, with the field named as sent', async () => {
  const body = { username: 'x', password: 'long-enough-1', role: 'duty_officer', area_code: '441523' };
  const zh = await srv.req('POST', '/api/v1/users', { token: admin, headers: ZH, body });
  assertZhError(zh, 400, ['username']);
  assert.equal(zh.json.error.message, '字段 username：应为 3 到 64 个字符');
  assert.equal(zh.json.error.field, 'username');
  assertEnError(await srv.req('POST', '/api/v1/users', { token: admin, body }), 400, "field 'username': 3 to 64 characters");
});

test('throttled logins: the 429 in Chinese, with its Retry-After', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await srv.req('POST', '/api/v1/auth/login', { headers: ZH, body: { username: 'warehouse_keeper', password: `nope-${i}-xxxx` } });
    assertZhError(r, 401);
    assert.equal(r.json.error.message, '用户名或密码错误');
  }
  const zh = await srv.req('POST', '/api/v1/auth/login', { headers: ZH, body: { username: 'warehouse_keeper', password: PASSWORD } });
  assertZhError(zh, 429);
  assert.match(zh.json.error.message, /^登录失败次数过多，请 \d+ 秒后再试$/);
  assert.ok(Number(zh.headers.get('retry-after')) > 0);
  const en = await srv.req('POST', '/api/v1/auth/login', { body: { username: 'warehouse_keeper', password: PASSWORD } });
  assert.equal(en.status, 429);
  assert.match(en.json.error.message, /^too many failed logins; try again in \d+ s$/);
});

test('telemetry: a bad line\'s reason and a refused request in Chinese', async () => {
  const lines = '{"device":"NO-SUCH-1","ts":"2022-08-18T09:30:00+08:00","lon":115.6,"lat":23.3}\n';
  const zh = await srv.req('POST', '/api/v1/telemetry', { token: admin, headers: ZH, raw: lines });
  assert.equal(zh.status, 202, zh.text);
  assert.equal(zh.json.rejected[0].error, '字段 device：未知设备 NO-SUCH-1');
  const en = await srv.req('POST', '/api/v1/telemetry', { token: admin, raw: lines });
  assert.equal(en.json.rejected[0].error, "field 'device': unknown device NO-SUCH-1");
  // a request of bad lines only is refused whole
  const bad = '{"device":"NO-SUCH-1","ts":"yesterday"}\n'.repeat(3);
  const zhBad = await srv.req('POST', '/api/v1/telemetry', { token: admin, headers: ZH, raw: bad });
  if (zhBad.status === 400) {
    assertZhError(zhBad, 400, ['device', 'ts']);
    for (const r of zhBad.json.rejected) assertChinese(r.error, ['ts', 'yesterday', 'RFC', 'T09', 'device', 'NO', 'SUCH']);
  } else {
    assert.equal(zhBad.status, 202, zhBad.text);
    for (const r of zhBad.json.rejected) assertChinese(r.error, ['ts', 'yesterday', 'RFC', 'T09', 'device', 'NO', 'SUCH']);
  }
});

test('the OpenAPI document names Accept-Language for errors', async () => {
  const r = await srv.req('GET', '/api/v1/openapi.json', { token: admin });
  assert.equal(r.status, 200);
  const schema = r.json.components.schemas.Error.properties.error.properties.message;
  assert.ok(/Accept-Language/.test(schema.description), JSON.stringify(schema));
  assert.ok(r.json.info.description.includes('Accept-Language'));
});
