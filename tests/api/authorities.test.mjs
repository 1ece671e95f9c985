// The issuing authorities: each jurisdiction's documents are made in the
// name of its own bureau (the nearest up the area tree), never the city's
// by default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';

let srv, county, city;
before(async () => {
  srv = await startServer();
  county = await srv.login('duty_officer_441523');
  city = await srv.login('commander');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

test('a county sees its own bureau and the city\'s, and each area resolves to its issuer', async () => {
  const list = await srv.req('GET', '/api/v1/authorities', { token: county });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((a) => a.name), ['汕尾市应急管理局', '陆河县应急管理局']);
  const lh = list.json.items[1];
  assert.equal(lh.decision_prefix, '陆河应急罚');
  assert.equal(lh.court, '陆河县人民法院');
  assert.equal(lh.reconsideration, '陆河县人民政府');
  const town = await srv.req('GET', '/api/v1/authorities/for/441523100', { token: county });
  assert.equal(town.json.name, '陆河县应急管理局');
  const all = await srv.req('GET', '/api/v1/authorities', { token: city });
  assert.equal(all.json.items.length, 5);
  assert.equal((await srv.req('GET', '/api/v1/authorities/for/441502', { token: county })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/authorities/for/4415230', { token: county })).status, 400);
});
