// CAP in: every public sample of tests/data/cap imports or is refused with words; Updates and Cancels
// for alerts never seen are alerts in their own right and are linked when the alert arrives; a Cancel
// acts through the warning lifecycle; a reference never reaches another county's warning.
// CAP out: a version that does not exist is 404; the public feed and message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, makeDemoDb, cli } from './lib.mjs';

const DIR = 'tests/data/cap';
// refused by design (tests/data/cap/README.md): schema, spec rules, not CAP, XXE
const INVALID = new Set(['invalid.cap', 'canada_errors.cap', 'noaa_errors.cap', 'invalid_xmlns.cap', 'sweden.cap',
  'smhi.se.alerts.cap', 'xee.cap']);

let srv, duty, cmd, duty502, spare;
before(async () => {
  // one demo database, copied before any server runs on it for the servers the sample walk needs
  // (a copy is quicker than a new city)
  const { db } = makeDemoDb();
  spare = [1, 2, 3].map(() => {
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'yj-cap-')), 'yingji.db');
    copyFileSync(db, copy);
    return copy;
  });
  srv = await startServer({ db });
  duty = await srv.login('duty_officer_441523');
  cmd = await srv.login('commander_441523');
  duty502 = await srv.login('duty_officer_441502');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const importCap = (token, xml) => srv.req('POST', '/api/v1/cap', { token, raw: xml, headers: { 'Content-Type': 'application/cap+xml' } });
const inHours = (h) => new Date(Date.now() + h * 3600000).toISOString().replace(/\.\d+Z$/, '+00:00');
let seq = 0;
// a CAP 1.2 alert of our own making; geocode: a GB/T 2260 area code; polygon: "lat,lon ..." text
function cap({ identifier = `t-${process.pid}-${++seq}`, sender = 'upstream@met.example', msgType = 'Alert', references, geocode, polygon, headline = '暴雨橙色预警', info = true } = {}) {
  const area = `<area><areaDesc>测试区域</areaDesc>${polygon ? `<polygon>${polygon}</polygon>` : ''}${geocode ? `<geocode><valueName>GB/T 2260</valueName><value>${geocode}</value></geocode>` : ''}</area>`;
  const body = info ? `<info><category>Met</category><event>暴雨</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty><expires>${inHours(6)}</expires><headline>${headline}</headline>${area}</info>` : '';
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>${identifier}</identifier><sender>${sender}</sender><sent>2026-01-01T08:00:00+08:00</sent><status>Actual</status><msgType>${msgType}</msgType><scope>Public</scope>${references ? `<references>${references}</references>` : ''}${body}</alert>`;
  return { xml, ref: `${sender},${identifier},2026-01-01T08:00:00+08:00`, identifier };
}

function assertErrorBody(r, what) {
  assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${r.text}`);
  assert.ok(r.json && r.json.error, `${what}: no JSON error body: ${r.text}`);
  assert.ok(r.json.error.code && r.json.error.message.length > 3, `${what}: ${r.text}`);
}

test('every public CAP sample: the valid ones import (2xx), the invalid ones are refused naming the problem', async () => {
  const files = readdirSync(DIR).filter((f) => /\.(cap|xml)$/.test(f)).sort();
  assert.ok(files.length >= 28, `samples: ${files.length}`);
  const repeated = [];
  let imported = 0;
  for (const f of files) {
    const r = await importCap(duty, readFileSync(path.join(DIR, f)));
    if (INVALID.has(f)) {
      assertErrorBody(r, f);
      assert.ok(r.status === 422 || r.status === 413, `${f}: ${r.status} ${r.text}`);
      // the element at fault, as a path, and the words start with it
      assert.match(r.json.error.field, /^\//, `${f}: ${r.text}`);
      assert.ok(r.json.error.message.startsWith(r.json.error.field), `${f}: ${r.text}`);
      continue;
    }
    if (r.status === 409) {
      // the same sender and identifier as a sample before it (the USGS and AMBER examples share them)
      assert.equal(r.json.error.field, '/alert/identifier', `${f}: ${r.text}`);
      assert.match(r.json.error.message, /received already/);
      repeated.push(f);
      continue;
    }
    assert.equal(r.status, 201, `${f}: ${r.text}`);
    assert.ok(r.json.cap_alert_id > 0 && r.json.result, `${f}: ${r.text}`);
    assert.ok(Array.isArray(r.json.references), `${f}: references kept`);
    // never a reason left out
    assert.doesNotMatch(r.json.result, /\(no draft: \)?$/, `${f}: ${r.json.result}`);
    imported++;
  }
  assert.deepEqual(repeated.sort(), ['no_optional_fields.cap', 'tmp0000.cap', 'validator_example_KAR0-0306112239-SW.cap']);
  // the repeated ones import into a database that has not seen their sender and identifier
  for (let left = repeated; left.length;) {
    const fresh = await startServer({ db: spare.shift() });
    const again = [];
    try {
      const d = await fresh.login('duty_officer_441523');
      for (const f of left) {
        const r = await fresh.req('POST', '/api/v1/cap', { token: d, raw: readFileSync(path.join(DIR, f)) });
        if (r.status === 409) { again.push(f); continue; }
        assert.equal(r.status, 201, `${f}: ${r.text}`);
        imported++;
      }
    } finally {
      assert.equal((await fresh.stop()).code, 0);
    }
    assert.ok(again.length < left.length);
    left = again;
  }
  assert.equal(imported, files.length - INVALID.size);
});

test('Updates of alerts never seen (canada, wcatwc, NOAA, mexico) are alerts in their own right, with their references', async () => {
  for (const f of ['canada.cap', 'wcatwc-warning.cap', 'NOAA_MultiplePolygons.xml', 'mexico.xml']) {
    const xml = readFileSync(path.join(DIR, f), 'utf8').replace(/<identifier>([^<]*)<\/identifier>/, '<identifier>$1-again</identifier>');
    const r = await importCap(cmd, xml);
    assert.equal(r.status, 201, `${f}: ${r.text}`);
    assert.equal(r.json.msgType, 'Update');
    assert.ok(r.json.references.length >= 1);
    if (f === 'wcatwc-warning.cap') {
      // no place we can map (foreign geocodes only): a draft for the whole jurisdiction, for the duty officer to judge
      assert.equal(r.json.result, 'draft warning created');
      assert.deepEqual(r.json.warning.areas, ['441523']);
      continue;
    }
    // their polygons are far away: stored, and the reason says why there is no draft
    assert.match(r.json.result, /^stored \(no draft: .*outside your jurisdiction 陆河县 \(441523\)\)$/, `${f}: ${r.json.result}`);
    assert.equal(r.json.warning, null);
  }
});

test('an Update that arrives first makes the draft; the alert it refers to is linked to it when it arrives', async () => {
  const a = cap({ geocode: '441523' });
  const u = cap({ msgType: 'Update', references: a.ref, geocode: '441523', headline: '暴雨红色预警（更新）' });
  const first = await importCap(duty, u.xml);
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.result, 'draft warning created');
  assert.deepEqual(first.json.references.map((x) => x.identifier), [a.identifier]);
  const w = first.json.warning;
  assert.equal(w.state, 'draft');
  assert.equal(w.headline, '暴雨红色预警（更新）');
  const drafts = (await srv.req('GET', '/api/v1/warnings?state=draft&limit=500', { token: duty })).json.items.length;
  const later = await importCap(duty, a.xml);
  assert.equal(later.status, 201, later.text);
  assert.match(later.json.result, new RegExp(`^linked to warning ${w.id}, made from the later Update ${u.identifier}`));
  assert.equal(later.json.warning.id, w.id);
  assert.equal((await srv.req('GET', '/api/v1/warnings?state=draft&limit=500', { token: duty })).json.items.length, drafts);
  // a Cancel that came first: its alert arrives cancelled, no draft
  const b = cap({ geocode: '441523' });
  const c = cap({ msgType: 'Cancel', references: b.ref, info: false });
  const cr = await importCap(duty, c.xml);
  assert.equal(cr.status, 201, cr.text);
  assert.equal(cr.json.result, 'stored (Cancel of no alert received before)');
  const br = await importCap(duty, b.xml);
  assert.equal(br.status, 201, br.text);
  assert.equal(br.json.result, `stored (no draft: cancelled already by ${c.identifier}, received first)`);
  assert.equal(br.json.warning, null);
});

test('a CAP Cancel cancels our draft through the lifecycle; an Update is linked; an issued warning waits for a commander', async () => {
  const a = cap({ geocode: '441523' });
  const imp = await importCap(duty, a.xml);
  assert.equal(imp.json.result, 'draft warning created', imp.text);
  const id = imp.json.warning.id;
  const upd = await importCap(duty, cap({ msgType: 'Update', references: a.ref, geocode: '441523' }).xml);
  assert.equal(upd.json.result, 'stored with the referenced warning');
  assert.equal(upd.json.warning.id, id);
  // submitted: only a commander may cancel it, so a duty officer's Cancel is stored and says so
  assert.equal((await srv.req('POST', `/api/v1/warnings/${id}/submit`, { token: duty })).status, 200);
  const c1 = await importCap(duty, cap({ msgType: 'Cancel', references: a.ref, info: false }).xml);
  assert.equal(c1.status, 201, c1.text);
  assert.match(c1.json.result, /not cancelled: 预警当前为“待审批”，只有指挥长可以撤销/);
  assert.equal((await srv.req('GET', `/api/v1/warnings/${id}`, { token: duty })).json.state, 'submitted');
  const c2 = await importCap(cmd, cap({ msgType: 'Cancel', references: a.ref, info: false }).xml);
  assert.equal(c2.json.result, 'referenced draft cancelled', c2.text);
  assert.equal(c2.json.warning.state, 'cancelled');
  assert.ok(c2.json.warning.cancelled);
  // issued: the Cancel is stored, the warning stays until a commander cancels it
  const b = cap({ geocode: '441523' });
  const wb = (await importCap(duty, b.xml)).json.warning;
  for (const [t, act] of [[duty, 'submit'], [cmd, 'approve'], [duty, 'issue']]) assert.equal((await srv.req('POST', `/api/v1/warnings/${wb.id}/${act}`, { token: t })).status, 200);
  const c3 = await importCap(cmd, cap({ msgType: 'Cancel', references: b.ref, info: false }).xml);
  assert.equal(c3.json.result, 'referenced warning is issued: a commander must cancel it');
  assert.equal(c3.json.warning.state, 'issued');
});

test('a county cannot cancel or read another county\'s warning through a CAP reference: refused, nothing changes', async () => {
  const a = cap({ geocode: '441502' });
  const imp = await importCap(duty502, a.xml);
  assert.equal(imp.status, 201, imp.text);
  assert.equal(imp.json.result, 'draft warning created');
  const id = imp.json.warning.id;
  const cancel = cap({ msgType: 'Cancel', references: a.ref, info: false });
  const update = cap({ msgType: 'Update', references: a.ref, geocode: '441523' });
  for (const [what, m] of [['Cancel', cancel], ['Update', update]]) {
    const r = await importCap(duty, m.xml);
    assert.equal(r.status, 403, `${what}: ${r.text}`);
    assert.equal(r.json.error.field, '/alert/references');
    assert.equal(r.json.warning, undefined, `${what}: the answer carries no warning`);
    assert.doesNotMatch(r.text, /441502-|"headline"/);
    const cr = await importCap(cmd, m.xml);
    assert.equal(cr.status, 403, `${what} by the commander: ${cr.text}`);
  }
  const w = await srv.req('GET', `/api/v1/warnings/${id}`, { token: duty502 });
  assert.equal(w.json.state, 'draft');
  assert.equal((await srv.req('GET', `/api/v1/warnings/${id}`, { token: duty })).status, 404);
  // nothing was stored: the same Cancel imports for the county that holds the alert
  const own = await importCap(duty502, cancel.xml);
  assert.equal(own.status, 201, own.text);
  assert.equal(own.json.result, 'referenced draft cancelled');
});

test('a draft that cannot be made says why; an alert with no place we can map targets our whole jurisdiction', async () => {
  const far = await importCap(duty, cap({ polygon: '45.0,-75.0 45.1,-75.0 45.1,-74.9 45.0,-75.0' }).xml);
  assert.equal(far.status, 201, far.text);
  assert.equal(far.json.result, 'stored (no draft: the alert\'s polygons and circles lie outside your jurisdiction 陆河县 (441523))');
  const nowhere = await importCap(duty, cap({}).xml);
  assert.equal(nowhere.json.result, 'draft warning created');
  assert.deepEqual(nowhere.json.warning.areas, ['441523']);
  // a polygon across the county line is cut at the line: the draft keeps the part inside
  const across = await importCap(duty, cap({ polygon: '23.2,115.5 23.2,116.2 23.4,116.2 23.4,115.5 23.2,115.5' }).xml);
  assert.equal(across.json.result, 'draft warning created', across.text);
  assert.deepEqual(across.json.warning.areas, []);
  assert.ok(across.json.warning.polygons.length >= 1);
  // a long headline is cut on a character boundary, not refused
  const long = await importCap(duty, cap({ geocode: '441523', headline: '暴'.repeat(150) }).xml);
  assert.equal(long.json.result, 'draft warning created', long.text);
  assert.equal(long.json.warning.headline, '暴'.repeat(100));
});

test('CAP out: a version that does not exist is 404; the public feed and message show current warnings only', async () => {
  const d = await srv.req('POST', '/api/v1/warnings', { token: duty, body: { type: 'flood', level: 'yellow', headline: '洪水黄色预警', areas: ['441523'], expires: inHours(5) } });
  assert.equal(d.status, 201, d.text);
  const id = d.json.id;
  assert.equal((await srv.req('GET', `/api/v1/warnings/${id}/cap`, { token: duty })).status, 404); // not issued yet
  for (const [t, act] of [[duty, 'submit'], [cmd, 'approve'], [duty, 'issue']]) assert.equal((await srv.req('POST', `/api/v1/warnings/${id}/${act}`, { token: t })).status, 200);
  const v1 = await srv.req('GET', `/api/v1/warnings/${id}/cap?version=1`, { token: duty });
  assert.equal(v1.status, 200);
  assert.match(v1.text, /<msgType>Alert<\/msgType>/);
  const v999 = await srv.req('GET', `/api/v1/warnings/${id}/cap?version=999`, { token: duty });
  assert.equal(v999.status, 404, v999.text);
  assert.equal(v999.json.error.field, 'version');
  assert.equal((await srv.req('GET', `/api/v1/warnings/${id}/cap?version=0`, { token: duty })).status, 400);
  const up = await srv.req('POST', `/api/v1/warnings/${id}/update`, { token: cmd, body: { level: 'orange' } });
  assert.equal(up.status, 200, up.text);
  const v2 = await srv.req('GET', `/api/v1/warnings/${id}/cap?version=2`, { token: duty });
  assert.match(v2.text, /<msgType>Update<\/msgType>/);
  assert.match(v2.text, new RegExp(`<references>[^<]*,${d.json.identifier},`));
  assert.match((await srv.req('GET', `/api/v1/warnings/${id}/cap?version=1`, { token: duty })).text, /<severity>Moderate<\/severity>/);
  const feed = await srv.req('GET', '/api/v1/cap/feed');
  const item = feed.json.items.find((x) => x.id === id);
  assert.equal(item.identifier, `${d.json.identifier}-v2`);
  const pub = await srv.req('GET', item.cap);
  assert.equal(pub.status, 200);
  assert.match(pub.text, /<severity>Severe<\/severity>/);
  // another county reads no CAP of this warning; a draft has no public message
  assert.equal((await srv.req('GET', `/api/v1/warnings/${id}/cap`, { token: duty502 })).status, 404);
  assert.equal((await srv.req('GET', `/api/v1/public/cap/${d.json.id + 100000}`)).status, 404);
});

test('every CAP import and every warning change above was audited: audit verify says OK', async () => {
  assert.equal((await srv.stop()).code, 0);
  const v = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /^audit: OK/);
});
