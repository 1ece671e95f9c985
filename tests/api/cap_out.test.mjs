// CAP out, beyond the schema (issue #21): each alert is sent by the issuing authority of its
// jurisdiction (sender and full name from the table of authorities), carries the event-type code
// of the national early-warning profile (GB/T 35561-2017, data/cap/event_types_gbt35561.csv) and
// yingji's own type as <eventCode>s, the level in the national form (预警级别/预警颜色) next to
// yingji:level, and a <responseType> that follows from the warning (Evacuate for an evacuation
// order; Prepare or Monitor by level; AllClear on the Cancel). Every message of every version still
// validates against the OASIS CAP 1.2 schema with xmllint. The warning's JSON names the CAP message
// of each version. The feed of current alerts is also an Atom feed (checked with xmllint: well
// formed, the Atom namespace, id/title/updated/link on the feed and on every entry).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './lib.mjs';

const XSD = 'data/cap/oasis_CAP-v1.2.xsd';
const ATOM = 'http://www.w3.org/2005/Atom';
let srv, duty, cmd, cityDuty, cityCmd;
const dir = mkdtempSync(path.join(tmpdir(), 'yj-capout-'));
before(async () => {
  srv = await startServer();
  duty = await srv.login('duty_officer_441523');
  cmd = await srv.login('commander_441523');
  cityDuty = await srv.login('duty_officer');
  cityCmd = await srv.login('commander');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const inHours = (h) => new Date(Date.now() + h * 3600000).toISOString();
const act = (token, id, action, body) => srv.req('POST', `/api/v1/warnings/${id}/${action}`, { token, body });
async function issued(body, [author, approver] = [duty, cmd]) {
  const w = await srv.req('POST', '/api/v1/warnings', { token: author, body: { headline: '预警', areas: ['441523'], expires: inHours(6), ...body } });
  assert.equal(w.status, 201, w.text);
  for (const [t, a] of [[author, 'submit'], [approver, 'approve'], [author, 'issue']]) {
    const r = await act(t, w.json.id, a);
    assert.equal(r.status, 200, `${a}: ${r.text}`);
  }
  return w.json;
}
let nfile = 0;
function xmllint(args, text) {
  const file = path.join(dir, `doc-${++nfile}.xml`);
  writeFileSync(file, text);
  return spawnSync('xmllint', ['--nonet', ...args, file], { encoding: 'utf8' });
}
// the CAP of a version, checked against the OASIS schema; the parsed document's text of an element
async function capOf(id, version) {
  const r = await srv.req('GET', `/api/v1/warnings/${id}/cap${version ? `?version=${version}` : ''}`, { token: cmd });
  assert.equal(r.status, 200, r.text);
  const lint = xmllint(['--noout', '--schema', XSD], r.text);
  assert.equal(lint.status, 0, lint.stderr + r.text);
  return r.text;
}
const all = (xml, el) => [...xml.matchAll(new RegExp(`<${el}>([^<]*)</${el}>`, 'g'))].map((m) => m[1]);
const pairs = (xml, el) => [...xml.matchAll(new RegExp(`<${el}>\\s*<valueName>([^<]*)</valueName>\\s*<value>([^<]*)</value>\\s*</${el}>`, 'g'))]
  .map((m) => [m[1], m[2]]);

test('the sender is the issuing authority of the jurisdiction: a 陆河县 warning by 陆河县应急管理局, a city warning by 汕尾市应急管理局', async () => {
  const county = await issued({ type: 'rainstorm', level: 'yellow' });
  const city = await issued({ type: 'rainstorm', level: 'yellow', areas: ['441500'] }, [cityDuty, cityCmd]);
  for (const [w, code, name] of [[county, '441523', '陆河县应急管理局'], [city, '441500', '汕尾市应急管理局']]) {
    const auth = await srv.req('GET', `/api/v1/authorities/for/${code}`, { token: cityCmd });
    assert.equal(auth.status, 200, auth.text);
    assert.equal(auth.json.name, name);
    const xml = await capOf(w.id);
    assert.deepEqual(all(xml, 'sender'), [auth.json.cap_sender]);
    assert.deepEqual(all(xml, 'senderName'), [name]);
    assert.doesNotMatch(xml, /emergency-bureau\.example|<senderName>应急管理局</);
  }
  // every later message keeps the sender and names the earlier ones with it
  await act(cmd, county.id, 'update', { level: 'orange' });
  const v2 = await capOf(county.id, 2);
  const auth = (await srv.req('GET', '/api/v1/authorities/for/441523', { token: cmd })).json;
  assert.match(v2, new RegExp(`<references>${auth.cap_sender.replace(/[.]/g, '\\.')},${county.identifier},`));
  // the JSON feed says who sent each alert
  const item = (await srv.req('GET', '/api/v1/cap/feed')).json.items.find((x) => x.id === county.id);
  assert.equal(item.sender, auth.cap_sender);
  assert.equal(item.sender_name, '陆河县应急管理局');
  await act(cmd, county.id, 'cancel');
  await act(cityCmd, city.id, 'cancel');
});

test('eventCode: the national event-type code where the type has one, and yingji\'s own type; the level in the national form', async () => {
  const codes = Object.fromEntries(readFileSync('data/cap/event_types_gbt35561.csv', 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split(',')).filter((c) => c[2]).map((c) => [c[2], c[0]]));
  assert.equal(codes.typhoon, '11B01');
  const cases = [
    ['typhoon', 'red', '11B01', 'Ⅰ级', '红色', 'Extreme'],
    ['rainstorm', 'orange', '11B03', 'Ⅱ级', '橙色', 'Severe'],
    ['high_temperature', 'yellow', '11B09', 'Ⅲ级', '黄色', 'Moderate'],
    ['forest_fire', 'blue', '11B25', 'Ⅳ级', '蓝色', 'Minor'],
    ['flood', 'yellow', null, 'Ⅲ级', '黄色', 'Moderate'],
  ];
  for (const [type, level, code, grade, colour, severity] of cases) {
    assert.equal(codes[type] || null, code, `${type}: the list says ${codes[type]}`);
    const w = await issued({ type, level });
    const xml = await capOf(w.id);
    const ev = pairs(xml, 'eventCode');
    assert.deepEqual(ev, [...(code ? [['GB/T 35561-2017', code]] : []), ['yingji:type', type]], `${type}: ${xml}`);
    const params = Object.fromEntries(pairs(xml, 'parameter'));
    assert.equal(params['预警级别'], grade);
    assert.equal(params['预警颜色'], colour);
    assert.equal(params['yingji:level'], level);
    assert.deepEqual(all(xml, 'severity'), [severity]);
    const feed = (await srv.req('GET', '/api/v1/cap/feed')).json.items.find((x) => x.id === w.id);
    assert.equal(feed.event_code, code);
    await act(cmd, w.id, 'cancel');
  }
});

test('responseType: Evacuate for an evacuation order, else Prepare (orange, red) or Monitor (blue, yellow); AllClear on the Cancel; all versions valid', async () => {
  const evac = await issued({ type: 'typhoon', level: 'orange', evacuation: true, instruction: '危险区域人员立即转移' });
  assert.deepEqual(all(await capOf(evac.id), 'responseType'), ['Evacuate']);
  const up = await act(cmd, evac.id, 'update', { level: 'red' });
  assert.equal(up.status, 200, up.text);
  assert.deepEqual(all(await capOf(evac.id, 2), 'responseType'), ['Evacuate']);
  const cancel = await act(cmd, evac.id, 'cancel');
  assert.equal(cancel.status, 200, cancel.text);
  const v3 = await capOf(evac.id, 3);
  assert.deepEqual(all(v3, 'msgType'), ['Cancel']);
  assert.deepEqual(all(v3, 'responseType'), ['AllClear']);
  assert.equal(all(v3, 'references')[0].split(' ').length, 2);
  for (const [level, response] of [['red', 'Prepare'], ['orange', 'Prepare'], ['yellow', 'Monitor'], ['blue', 'Monitor']]) {
    const w = await issued({ type: 'rainstorm', level });
    assert.deepEqual(all(await capOf(w.id), 'responseType'), [response], level);
    await act(cmd, w.id, 'cancel');
  }
});

test('the warning names the CAP message of its current version and every message sent', async () => {
  const d = await srv.req('POST', '/api/v1/warnings', { token: duty, body: { type: 'rainstorm', level: 'blue', headline: '版本', areas: ['441523'], expires: inHours(6) } });
  assert.equal(d.json.cap_identifier, d.json.identifier); // the one it will be issued under
  assert.deepEqual(d.json.versions, []);
  for (const [t, a] of [[duty, 'submit'], [cmd, 'approve'], [duty, 'issue']]) await act(t, d.json.id, a);
  await act(cmd, d.json.id, 'update', { level: 'yellow' });
  const c = await act(cmd, d.json.id, 'update', { level: 'orange' });
  assert.equal(c.json.version, 3);
  assert.equal(c.json.cap_identifier, `${d.json.identifier}-v3`);
  assert.deepEqual(c.json.versions.map((v) => [v.version, v.identifier, v.msg_type]), [
    [1, d.json.identifier, 'Alert'], [2, `${d.json.identifier}-v2`, 'Update'], [3, `${d.json.identifier}-v3`, 'Update']]);
  for (const v of c.json.versions) {
    const xml = await capOf(d.json.id, v.version);
    assert.deepEqual(all(xml, 'identifier'), [v.identifier]);
    assert.deepEqual(all(xml, 'sent'), [v.sent]);
  }
  // the list carries the same
  const listed = (await srv.req('GET', '/api/v1/warnings?state=issued&limit=500', { token: cmd })).json.items.find((x) => x.id === d.json.id);
  assert.equal(listed.cap_identifier, `${d.json.identifier}-v3`);
  assert.equal(listed.versions.length, 3);
  await act(cmd, d.json.id, 'cancel');
});

test('an imported alert takes its type from the national event-type code', async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>upstream-${process.pid}-1</identifier><sender>sender@met.example</sender><sent>2026-01-01T08:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info><category>Met</category><event>强降水</event><urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty><eventCode><valueName>GB/T 35561-2017</valueName><value>11B03</value></eventCode><expires>${inHours(6).replace(/\.\d+Z$/, '+00:00')}</expires><headline>强降水黄色预警</headline><area><areaDesc>陆河县</areaDesc><geocode><valueName>GB/T 2260</valueName><value>441523</value></geocode></area></info></alert>`;
  const r = await srv.req('POST', '/api/v1/cap', { token: duty, raw: xml, headers: { 'Content-Type': 'application/cap+xml' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.warning.type, 'rainstorm');
  assert.equal(r.json.warning.level, 'yellow');
});

test('the feed as Atom: well-formed, the Atom namespace, id/title/updated/link on the feed and every entry; one entry per current alert', async () => {
  const a = await issued({ type: 'typhoon', level: 'orange', evacuation: true, headline: '台风"海燕" & 风暴潮 <橙色>' });
  const b = await issued({ type: 'rainstorm', level: 'blue', headline: '暴雨蓝色预警' });
  const gone = await issued({ type: 'flood', level: 'blue', headline: '已撤销的预警' });
  await act(cmd, gone.id, 'cancel');
  const r = await srv.req('GET', '/api/v1/cap/feed.atom');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/atom\+xml/);
  assert.equal(xmllint(['--noout'], r.text).status, 0, r.text);
  const xp = (expr) => {
    const out = xmllint(['--xpath', expr], r.text);
    assert.equal(out.status, 0, `${expr}: ${out.stderr}`);
    return out.stdout.trim();
  };
  assert.equal(xp('namespace-uri(/*)'), ATOM);
  assert.equal(xp('local-name(/*)'), 'feed');
  const el = (n) => `*[local-name()='${n}' and namespace-uri()='${ATOM}']`;
  for (const n of ['id', 'title', 'updated']) assert.equal(xp(`count(/*/${el(n)})`), '1', n);
  assert.equal(xp(`count(/*/${el('link')}[@rel='self'])`), '1');
  assert.equal(xp(`count(/*/${el('author')}/${el('name')})`), '1');
  const entries = Number(xp(`count(/*/${el('entry')})`));
  const complete = Number(xp(`count(/*/${el('entry')}[${el('id')} and ${el('title')} and ${el('updated')} and ${el('link')}[@href]])`));
  const json = (await srv.req('GET', '/api/v1/cap/feed')).json.items;
  assert.equal(entries, json.length);
  assert.equal(complete, entries);
  // RFC 3339 times, ids unique IRIs
  const times = xp(`/*/${el('entry')}/${el('updated')}/text()`).split('\n');
  for (const t of times) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/);
  const ids = xp(`/*/${el('entry')}/${el('id')}/text()`).split('\n');
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^tag:[^,\s]+,\d{4}-\d\d-\d\d:\S+$/);
  // the entries are the current alerts, with their headline (escaped) and a link to their CAP
  const titles = xp(`/*/${el('entry')}/${el('title')}/text()`);
  assert.ok(titles.includes('台风"海燕" &amp; 风暴潮 &lt;橙色&gt;'), titles);
  assert.ok(titles.includes('暴雨蓝色预警'));
  assert.ok(!titles.includes('已撤销的预警'));
  const href = xp(`string(/*/${el('entry')}[${el('title')}='暴雨蓝色预警']/${el('link')}/@href)`);
  assert.equal(href, `${srv.base}/api/v1/public/cap/${b.id}`);
  assert.equal(xp(`string(/*/${el('entry')}[${el('title')}='暴雨蓝色预警']/${el('link')}/@type)`), 'application/cap+xml');
  const linked = await fetch(href);
  assert.equal(linked.status, 200);
  const capText = await linked.text();
  assert.equal(xmllint(['--noout', '--schema', XSD], capText).status, 0);
  // the entry says who sent it and what it is
  const entryA = `/*/${el('entry')}[contains(${el('title')}, '海燕')]`;
  assert.equal(xp(`string(${entryA}/${el('author')}/${el('name')})`), '陆河县应急管理局');
  assert.equal(xp(`string(${entryA}/${el('category')}/@term)`), '11B01');
  assert.equal(xp(`string(${entryA}/*[local-name()='severity' and namespace-uri()='urn:oasis:names:tc:emergency:cap:1.2'])`), 'Severe');
  // the same by content negotiation on /cap/feed; JSON stays the default
  const neg = await fetch(`${srv.base}/api/v1/cap/feed`, { headers: { Accept: 'application/atom+xml' } });
  assert.match(neg.headers.get('content-type'), /^application\/atom\+xml/);
  assert.match(neg.headers.get('vary') || '', /Accept/);
  assert.match(await neg.text(), /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom"/);
  for (const [accept, type] of [['application/json, application/atom+xml;q=0.5', 'json'], ['application/atom+xml;q=0.9, application/json;q=0.4', 'atom+xml'],
    ['*/*', 'json'], ['text/html', 'json'], ['application/atom+xml;q=0', 'json']]) {
    const r2 = await fetch(`${srv.base}/api/v1/cap/feed`, { headers: { Accept: accept } });
    assert.match(r2.headers.get('content-type'), new RegExp(`^application/${type.replace('+', '\\+')}`), accept);
  }
  await act(cmd, a.id, 'cancel');
  await act(cmd, b.id, 'cancel');
  // an empty feed is still a valid feed (no entries, an author, an updated time)
  const empty = await srv.req('GET', '/api/v1/cap/feed.atom');
  assert.equal(xmllint(['--noout'], empty.text).status, 0);
  assert.doesNotMatch(empty.text, /<entry>/);
  assert.match(empty.text, /<updated>\d{4}-/);
});
