// Exports a clerk can work with, and re-import: an export sent back
// unchanged changes nothing and creates nothing; an edited cell updates
// that object only (audited); a row without 编号 creates; ?dry_run=1 says
// per row what would happen and writes nothing; an id outside the caller's
// jurisdiction is refused with its row. Choice values read Chinese, a
// reference has its name beside it, times are local (+08:00): text in
// CSV, date cells in XLSX (read back with openpyxl when installed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, cli } from './lib.mjs';

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
});

async function total(p, token = admin) {
  const r = await srv.req('GET', `${p}${p.includes('?') ? '&' : '?'}limit=1`, { token });
  assert.equal(r.status, 200, r.text);
  return Number(r.headers.get('x-total-count'));
}

// a CSV text as rows of cells (quoted cells with commas and line breaks kept whole)
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  text = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
const toCsv = (rows) => `\uFEFF${rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n')}\r\n`;

const importCsv = (entity, text, { token = admin, dry = false } = {}) => srv.req('POST', `/api/v1/import/${entity}${dry ? '?dry_run=1' : ''}`,
  { token, raw: text, headers: { 'Content-Type': 'text/csv' } });
const importGeo = (entity, fc, { token = admin, dry = false } = {}) => srv.req('POST', `/api/v1/import/${entity}${dry ? '?dry_run=1' : ''}`,
  { token, raw: JSON.stringify(fc), headers: { 'Content-Type': 'application/geo+json' } });

test('CSV export → import: nothing duplicated, an edited cell updates, a row without 编号 creates, dry run writes nothing', async () => {
  const before = await total('/api/v1/shelters');
  const exp = await srv.req('GET', '/api/v1/shelters?format=csv&area=441523', { token: admin });
  assert.equal(exp.status, 200);
  const rows = parseCsv(exp.text);
  const head = rows[0], data = rows.slice(1);
  assert.equal(head[0], '编号');
  assert.ok(data.length > 5, `${data.length} shelters of 陆河县`);
  // sent back as it is: every row unchanged, nothing created
  const same = await importCsv('shelters', exp.text);
  assert.equal(same.status, 200, same.text);
  assert.deepEqual([same.json.created, same.json.updated, same.json.unchanged], [0, 0, data.length]);
  assert.equal(await total('/api/v1/shelters'), before);

  // a clerk edits two cells of one row (a number and a label), and adds a row without 编号
  const cap = head.indexOf('容纳人数'), st = head.indexOf('状态'), name = head.indexOf('名称');
  const edited = data.map((r) => [...r]);
  const id = Number(edited[0][0]);
  edited[0][cap] = String(Number(edited[0][cap]) + 7);
  edited[0][st] = '开放';
  const extra = head.map(() => '');
  extra[name] = '导入新增避难场所';
  extra[cap] = '120';
  extra[head.indexOf('区划代码')] = '441523';
  extra[st] = '待用';
  const text = toCsv([head, ...edited, extra]);

  // a dry run says which rows change, and writes nothing
  const dry = await importCsv('shelters', text, { dry: true });
  assert.equal(dry.status, 200, dry.text);
  assert.equal(dry.json.dry_run, true);
  assert.deepEqual([dry.json.created, dry.json.updated, dry.json.unchanged, dry.json.refused], [1, 1, data.length - 1, 0]);
  const upd = dry.json.rows.find((r) => r.action === 'updated');
  assert.equal(upd.id, id);
  assert.deepEqual(upd.fields.sort(), ['capacity', 'status']);
  assert.equal(dry.json.rows.find((r) => r.action === 'created').row, data.length + 2);
  assert.equal(await total('/api/v1/shelters'), before);
  const still = await srv.req('GET', `/api/v1/shelters/${id}`, { token: admin });
  assert.equal(still.json.capacity, Number(data[0][cap]));

  // the real import: one updated, one created, the rest untouched
  const r = await importCsv('shelters', text);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.json.created, r.json.updated, r.json.unchanged, r.json.imported], [1, 1, data.length - 1, 2]);
  assert.equal(await total('/api/v1/shelters'), before + 1);
  const now = await srv.req('GET', `/api/v1/shelters/${id}`, { token: admin });
  assert.equal(now.json.capacity, Number(data[0][cap]) + 7);
  assert.equal(now.json.status, 'open');
  assert.equal(now.json.name, still.json.name);
  assert.notEqual(now.json.updated, still.json.updated);
  // and the same file again: nothing more happens
  const again = await importCsv('shelters', text);
  assert.deepEqual([again.json.created, again.json.updated], [1, 0]); // the new row has no 编号: created again
  assert.equal(await total('/api/v1/shelters'), before + 2);
});

test('every entity of a county round-trips unchanged through CSV and GeoJSON', async () => {
  for (const ent of ['enterprises', 'hazard-sources', 'risk-points', 'shelters', 'warehouses', 'teams', 'water-sources']) {
    const n = await total(`/api/v1/${ent}?area=441523`);
    const csv = await srv.req('GET', `/api/v1/${ent}?format=csv&area=441523`, { token: county });
    const a = await importCsv(ent, csv.text, { token: county });
    assert.equal(a.status, 200, `${ent} CSV: ${a.text.slice(0, 400)}`);
    assert.deepEqual([a.json.created, a.json.updated, a.json.unchanged], [0, 0, n], ent);
    const gj = await srv.req('GET', `/api/v1/${ent}?format=geojson&area=441523`, { token: county });
    const b = await importGeo(ent, gj.json, { token: county });
    assert.equal(b.status, 200, `${ent} GeoJSON: ${b.text.slice(0, 400)}`);
    assert.deepEqual([b.json.created, b.json.updated, b.json.unchanged], [0, 0, n], ent);
    assert.equal(await total(`/api/v1/${ent}?area=441523`), n);
  }
});

test('GeoJSON export → edit → import updates by feature id; a moved point moves', async () => {
  const before = await total('/api/v1/water-sources');
  const gj = await srv.req('GET', '/api/v1/water-sources?format=geojson&area=441523', { token: admin });
  const fc = gj.json;
  const f = fc.features.find((x) => x.geometry);
  f.properties.capacity_m3 = 4321;
  const [lon, lat] = f.geometry.coordinates;
  f.geometry.coordinates = [Math.round((lon + 0.001) * 1e7) / 1e7, lat];
  const dry = await importGeo('water-sources', fc, { dry: true });
  assert.equal(dry.status, 200, dry.text);
  const row = dry.json.rows.find((x) => x.id === f.id);
  assert.equal(row.action, 'updated');
  assert.deepEqual(row.fields.sort(), ['area_code', 'capacity_m3', 'lat', 'lon']);
  const r = await importGeo('water-sources', fc);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.created, r.json.updated], [0, 1]);
  assert.equal(await total('/api/v1/water-sources'), before);
  const now = await srv.req('GET', `/api/v1/water-sources/${f.id}`, { token: admin });
  assert.equal(now.json.capacity_m3, 4321);
  assert.equal(now.json.lon, f.geometry.coordinates[0]);
});

test('an id that does not exist or lies outside the jurisdiction is refused with its row; nothing is written', async () => {
  const own = (await srv.req('GET', '/api/v1/shelters?area=441523&limit=1', { token: admin })).json.items[0];
  const other = (await srv.req('GET', '/api/v1/shelters?area=441502&limit=1', { token: admin })).json.items[0];
  const before = await total('/api/v1/shelters');
  const csv = `编号,名称,容纳人数\n${own.id},${own.name},${own.capacity + 1}\n${other.id},越权修改,5\n99999999,不存在,5\n,新的,5\n`;
  const dry = await importCsv('shelters', csv, { token: county, dry: true });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json.rows.map((x) => `${x.row}:${x.action}`), ['2:updated', '3:refused', '4:refused', '5:refused']);
  assert.equal(dry.json.rows[1].problems[0].field, 'id');
  assert.match(dry.json.rows[3].problems[0].message, /area_code|辖区|required/);
  const r = await importCsv('shelters', csv, { token: county });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.json.error.problems.filter((p) => p.field === 'id').map((p) => p.row), [3, 4]);
  assert.doesNotMatch(JSON.stringify(r.json), /越权修改.*\d+ 行/);
  assert.equal(await total('/api/v1/shelters'), before);
  assert.equal((await srv.req('GET', `/api/v1/shelters/${own.id}`, { token: admin })).json.capacity, own.capacity);
});

test('exports read Chinese: labels for choices, names beside ids, local times; labels import back', async () => {
  const ent = await srv.req('GET', '/api/v1/enterprises?format=csv&area=441523&sectors=hazardous_chemicals', { token: admin });
  const er = parseCsv(ent.text);
  const sectors = er[0].indexOf('行业领域'), grade = er[0].indexOf('风险等级'), created = er[0].indexOf('创建时间');
  assert.ok(er.slice(1).every((r) => r[sectors].split(';').includes('危险化学品')), er[1].join(','));
  assert.ok(er.slice(1).every((r) => /^(红色|橙色|黄色|蓝色)$/.test(r[grade])));
  assert.match(er[1][created], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(er[1][er[0].indexOf('备注')], '演示数据');
  assert.doesNotMatch(ent.text, /hazardous_chemicals|generated demo data/);

  const sh = parseCsv((await srv.req('GET', '/api/v1/shelters?format=csv&area=441523', { token: admin })).text);
  assert.ok(sh.slice(1).some((r) => r[sh[0].indexOf('设施')] === '供水;供电;厕所'));
  assert.ok(sh.slice(1).every((r) => r[sh[0].indexOf('状态')] !== 'ready'));

  const rp = parseCsv((await srv.req('GET', '/api/v1/risk-points?format=csv&area=441523', { token: admin })).text);
  const h = rp[0];
  for (const col of ['责任网格员编号', '责任网格员姓名', '关联避难场所编号', '关联避难场所名称']) assert.ok(h.includes(col), `${col} in ${h}`);
  const withShelters = rp.slice(1).find((r) => r[h.indexOf('关联避难场所编号')].includes(';'));
  const ids = withShelters[h.indexOf('关联避难场所编号')].split(';');
  const names = withShelters[h.indexOf('关联避难场所名称')].split(';');
  assert.equal(names.length, ids.length);
  const first = await srv.req('GET', `/api/v1/shelters/${ids[0]}`, { token: admin });
  assert.equal(names[0], first.json.name);
  const worker = await srv.req('GET', `/api/v1/risk-points/${withShelters[0]}`, { token: admin });
  assert.equal(withShelters[h.indexOf('责任网格员姓名')], worker.json.grid_worker.display_name);

  const hs = parseCsv((await srv.req('GET', '/api/v1/hazard-sources?format=csv', { token: admin })).text);
  const e1 = await srv.req('GET', `/api/v1/enterprises/${hs[1][hs[0].indexOf('所属企业编号')]}`, { token: admin });
  assert.equal(hs[1][hs[0].indexOf('所属企业名称')], e1.json.name);

  // a new row may give labels or codes; the old header 所属企业 still names the id
  const r = await importCsv('shelters', '名称,区划代码,容纳人数,类型,设施,状态\n标签导入避难场所,441523,50,学校,供水;medical,开放\n');
  assert.equal(r.status, 201, r.text);
  const got = (await srv.req('GET', `/api/v1/shelters?q=${encodeURIComponent('标签导入避难场所')}`, { token: admin })).json.items[0];
  assert.deepEqual([got.kind, got.facilities, got.status], ['school', ['water', 'medical'], 'open']);
  const bad = await importCsv('shelters', '名称,区划代码,容纳人数,状态\n坏标签,441523,50,半开\n');
  assert.equal(bad.status, 422);
  assert.equal(bad.json.error.problems[0].field, 'status');
  const old = await importCsv('hazard-sources', `名称,所属企业,危险源等级,区划代码\n旧表头储罐,${e1.json.id},2,${e1.json.area_code}\n`);
  assert.equal(old.status, 201, old.text);
});

// Debian's python3 with openpyxl (python3-openpyxl), if installed
const PY = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import openpyxl'], { encoding: 'utf8' }).status === 0);

test('XLSX: times are date cells in the bureau\'s time, choices read Chinese (openpyxl)', { skip: !PY && 'openpyxl is not installed' }, async () => {
  const res = await fetch(`${srv.base}/api/v1/enterprises?format=xlsx&area=441523`, { headers: { Authorization: `Bearer ${admin}` } });
  assert.equal(res.status, 200);
  const file = path.join(srv.dir, 'enterprises.xlsx');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const script = `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
head = [c.value for c in ws[1]]
row = [c for c in ws[2]]
out = {'head': head, 'rows': ws.max_row - 1,
       'created_type': type(row[head.index('创建时间')].value).__name__,
       'created': str(row[head.index('创建时间')].value),
       'created_format': row[head.index('创建时间')].number_format,
       'sectors': row[head.index('行业领域')].value, 'grade': row[head.index('风险等级')].value,
       'id_type': type(row[0].value).__name__, 'id': row[0].value}
print(json.dumps(out, ensure_ascii=False))`;
  const r = spawnSync(PY, ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const x = JSON.parse(r.stdout);
  assert.equal(x.rows, await total('/api/v1/enterprises?area=441523'));
  assert.equal(x.created_type, 'datetime');
  assert.match(x.created_format, /yyyy-mm-dd hh:mm:ss/);
  const one = await srv.req('GET', `/api/v1/enterprises/${x.id}`, { token: admin });
  // the cell shows the bureau's wall-clock time of the stored instant
  assert.equal(x.created, one.json.created.replace('T', ' ').replace(/\.\d+/, '').replace('+08:00', ''));
  assert.match(x.sectors, /危险化学品|烟花爆竹|非煤矿山|涉氨制冷|粉尘涉爆|有限空间|冶金|其他/);
  assert.match(x.grade, /红色|橙色|黄色|蓝色/);
  assert.equal(x.id_type, 'int');
});
