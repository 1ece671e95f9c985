// A clerk re-imports the Excel file they exported: the XLSX export, edited
// and saved by openpyxl (as Excel would), goes back through the same row path
// as CSV — 编号 updates only what changed, a dry run writes nothing, a bad
// value is refused with its row exactly as the same table sent as CSV is.
// Workbooks made from scratch (openpyxl, and by hand for inline strings and
// rich text) create rows. Hostile bodies — not a zip, no workbook, a zip
// bomb, a DOCTYPE with entities — are refused whole and the server stays up.
// Needs Debian's python3-openpyxl (scripts/install-deps.sh test installs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, cli } from './lib.mjs';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PY = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import openpyxl'], { encoding: 'utf8' }).status === 0);
const skip = !PY && 'openpyxl is not installed';

let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
});
after(async () => {
  assert.equal((await srv.stop()).code, 0);
  const v = cli(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

async function total(p) {
  const r = await srv.req('GET', `${p}${p.includes('?') ? '&' : '?'}limit=1`, { token: admin });
  assert.equal(r.status, 200, r.text);
  return Number(r.headers.get('x-total-count'));
}

const importXlsx = (entity, buf, { dry = false, type = XLSX } = {}) => srv.req('POST', `/api/v1/import/${entity}${dry ? '?dry_run=1' : ''}`,
  { token: admin, raw: buf, headers: type ? { 'Content-Type': type } : {} });

// run a python script with openpyxl / zipfile; argv[1] is a file in the server's directory
function py(script, file, ...args) {
  const r = spawnSync(PY, ['-c', script, file, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('XLSX export → edit one cell in openpyxl → import: the edit applied, nothing duplicated; a dry run writes nothing', { skip }, async () => {
  const before = await total('/api/v1/shelters');
  const res = await fetch(`${srv.base}/api/v1/shelters?format=xlsx&area=441523`, { headers: { Authorization: `Bearer ${admin}` } });
  assert.equal(res.status, 200);
  const exported = Buffer.from(await res.arrayBuffer());
  const n = await total('/api/v1/shelters?area=441523');
  assert.ok(n > 5, `${n} shelters of 陆河县`);

  // the export sent back as it is (libxlsxwriter's inline strings, date cells): all unchanged
  const same = await importXlsx('shelters', exported);
  assert.equal(same.status, 200, same.text);
  assert.deepEqual([same.json.created, same.json.updated, same.json.unchanged], [0, 0, n]);

  // openpyxl opens it, adds 7 to the first row's 容纳人数 and saves (shared strings now)
  const file = path.join(srv.dir, 'shelters-export.xlsx'), edited = path.join(srv.dir, 'shelters-edited.xlsx');
  writeFileSync(file, exported);
  const out = JSON.parse(py(`
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
head = [c.value for c in ws[1]]
cap = ws.cell(row=2, column=head.index('容纳人数') + 1)
old = cap.value
cap.value = old + 7
wb.save(sys.argv[2])
print(json.dumps({'id': ws.cell(row=2, column=1).value, 'old': old}))`, file, edited));
  const body = readFileSync(edited);

  const dry = await importXlsx('shelters', body, { dry: true });
  assert.equal(dry.status, 200, dry.text);
  assert.equal(dry.json.dry_run, true);
  assert.deepEqual([dry.json.created, dry.json.updated, dry.json.unchanged, dry.json.refused], [0, 1, n - 1, 0]);
  const upd = dry.json.rows.find((r) => r.action === 'updated');
  assert.deepEqual([upd.id, upd.row, upd.fields], [out.id, 2, ['capacity']]);
  assert.equal((await srv.req('GET', `/api/v1/shelters/${out.id}`, { token: admin })).json.capacity, out.old);

  const r = await importXlsx('shelters', body);
  assert.equal(r.status, 200, r.text); // updated only: 200 (201 when something was created)
  assert.deepEqual([r.json.created, r.json.updated, r.json.unchanged], [0, 1, n - 1]);
  const now = await srv.req('GET', `/api/v1/shelters/${out.id}`, { token: admin });
  assert.equal(now.json.capacity, out.old + 7);
  assert.equal(await total('/api/v1/shelters'), before);
  // (the update is audited: after() runs `yingji audit verify` over the chain and the objects)

  // the same file again: nothing more changes
  const again = await importXlsx('shelters', body);
  assert.deepEqual([again.json.created, again.json.updated, again.json.unchanged], [0, 0, n]);
});

test('an XLSX made from scratch (openpyxl): labels, a date cell, an empty cell mid-row, a number as text', { skip }, async () => {
  const file = path.join(srv.dir, 'scratch.xlsx');
  py(`
import sys, datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.append(['名称', '区划代码', '容纳人数', '面积(平方米)', '类型', '设施', '状态', '备注'])
ws.append(['XLSX新建一号', 441523, 80, None, '学校', '供水;medical', '开放', datetime.datetime(2026, 5, 1)])
ws.append(['XLSX新建二号', '441523', 35, 1200.5, 'park', '厕所', '待用', datetime.datetime(2026, 5, 1, 8, 30)])
ws['H2'].number_format = 'yyyy-mm-dd'
wb.save(sys.argv[1])`, file);
  const before = await total('/api/v1/shelters');
  const r = await importXlsx('shelters', readFileSync(file));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.created, 2);
  assert.equal(await total('/api/v1/shelters'), before + 2);
  const get = async (name) => (await srv.req('GET', `/api/v1/shelters?q=${encodeURIComponent(name)}`, { token: admin })).json.items[0];
  const one = await get('XLSX新建一号'), two = await get('XLSX新建二号');
  assert.deepEqual([one.area_code, one.capacity, one.area_m2 ?? null, one.kind, one.facilities, one.status, one.note],
    ['441523', 80, null, 'school', ['water', 'medical'], 'open', '2026-05-01']);
  assert.deepEqual([two.area_m2, two.kind, two.facilities, two.status, two.note],
    [1200.5, 'park', ['toilet'], 'ready', '2026-05-01 08:30:00']);
});

// a workbook written by hand: inline strings, a rich-text shared string with a phonetic
// run, cells without neighbours, a custom Chinese date format, booleans; sheet = argv[2]
const HANDMADE = `
import sys, zipfile
sheet = open(sys.argv[2][1:], 'rb').read() if sys.argv[2].startswith('@') else sys.argv[2]
parts = {
 '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
 'xl/workbook.xml': '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="避难场所" sheetId="1" r:id="rId7"/><sheet name="第二页" sheetId="2" r:id="rId8"/></sheets></workbook>',
 'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId8" Type="x" Target="worksheets/other.xml"/><Relationship Id="rId7" Type="x" Target="/xl/worksheets/mine.xml"/></Relationships>',
 'xl/sharedStrings.xml': '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>名称</t></si><si><r><rPr><b/></rPr><t>手工</t></r><r><t xml:space="preserve">富文本 </t></r><rPh sb="0" eb="2"><t>しゅこう</t></rPh></si><si><t>状态</t></si></sst>',
 'xl/styles.xml': '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="176"/><xf numFmtId="31"/></cellXfs></styleSheet>',
 'xl/worksheets/mine.xml': sheet,
 'xl/worksheets/other.xml': '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>不应读取</t></is></c></row></sheetData></worksheet>',
}
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)`;
const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const inl = (ref, s) => `<c r="${ref}" t="inlineStr"><is><t>${s}</t></is></c>`;

test('a hand-made XLSX: inline strings, rich text, gaps between cells, a custom date format, the first sheet only', { skip }, async () => {
  const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet ${NS}><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c>${inl('B1', '区划代码')}${inl('C1', '容纳人数')}${inl('E1', '备注')}<c r="F1" t="s"><v>2</v></c>${inl('G1', '面积(平方米)')}</row>
<row r="3" spans="1:7"><c r="A3" t="s"><v>1</v></c><c r="B3" t="str"><f>"441"&amp;"523"</f><v>441523</v></c><c r="C3"><v>66</v></c><c r="E3" s="1"><v>46143</v></c>${inl('F3', '<r><t>开</t></r><r><t>放</t></r>')}<c r="G3"><v>12.25</v></c></row>
<row r="4"><c r="A4" s="0"/></row>
<row r="5">${inl('A5', '手工二号')}<c r="B5"><v>441523</v></c><c r="C5"><v>5</v></c><c r="E5" s="2"><v>46144</v></c></row>
</sheetData></worksheet>`;
  const file = path.join(srv.dir, 'handmade.xlsx');
  py(HANDMADE, file, sheet);
  // sent as application/octet-stream: the zip's first bytes say what it is
  const dry = await importXlsx('shelters', readFileSync(file), { dry: true, type: 'application/octet-stream' });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json.rows.map((r) => [r.row, r.action]), [[3, 'created'], [5, 'created']], JSON.stringify(dry.json.rows));
  const r = await importXlsx('shelters', readFileSync(file), { type: null });
  assert.equal(r.status, 201, r.text);
  const got = (await srv.req('GET', `/api/v1/shelters?q=${encodeURIComponent('手工富文本')}`, { token: admin })).json.items[0];
  assert.deepEqual([got.name, got.area_code, got.capacity, got.note, got.status, got.area_m2], ['手工富文本', '441523', 66, '2026-05-01', 'open', 12.25]);
  const two = (await srv.req('GET', `/api/v1/shelters?q=${encodeURIComponent('手工二号')}`, { token: admin })).json.items[0];
  assert.equal(two.note, '2026-05-02');
  assert.equal((await srv.req('GET', `/api/v1/shelters?q=${encodeURIComponent('不应读取')}`, { token: admin })).json.items.length, 0);
});

test('a bad value is refused per row, with the same rows and words as the same table in CSV; nothing written', { skip }, async () => {
  const rows = [['名称', '区划代码', '容纳人数', '状态'], ['好的一行', '441523', '50', '开放'], ['坏标签', '441523', '50', '半开'],
    ['坏数字', '441523', '很多', '开放']];
  const file = path.join(srv.dir, 'bad.xlsx');
  py(`
import sys, json, openpyxl
wb = openpyxl.Workbook()
for r in json.loads(sys.argv[2]):
    wb.active.append(r)
wb.save(sys.argv[1])`, file, JSON.stringify(rows));
  const before = await total('/api/v1/shelters');
  const x = await importXlsx('shelters', readFileSync(file));
  assert.equal(x.status, 422, x.text);
  const probs = x.json.error.problems.map((p) => [p.row, p.field]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(probs, [[3, 'status'], [4, 'capacity']]);
  const csv = await srv.req('POST', '/api/v1/import/shelters', { token: admin, raw: rows.map((r) => r.join(',')).join('\n'),
    headers: { 'Content-Type': 'text/csv' } });
  assert.equal(csv.status, 422);
  assert.deepEqual(x.json.error.problems, csv.json.error.problems);
  const dry = await importXlsx('shelters', readFileSync(file), { dry: true });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual([dry.json.created, dry.json.refused], [1, 2]);
  assert.equal(await total('/api/v1/shelters'), before);
});

test('bodies that are not workbooks are refused whole, naming body', { skip }, async () => {
  const before = await total('/api/v1/shelters');
  const junk = await importXlsx('shelters', Buffer.from('名称,容纳人数\n这不是 Excel,1\n'));
  assert.equal(junk.status, 400, junk.text);
  assert.equal(junk.json.error.field, 'file');
  assert.match(junk.json.error.message, /not a valid Excel \(\.xlsx\) file/);
  const zh = await srv.req('POST', '/api/v1/import/shelters', { token: admin, raw: Buffer.from('PK\x03\x04garbage'),
    headers: { 'Accept-Language': 'zh-CN' } });
  assert.equal(zh.status, 400, zh.text);
  assert.match(zh.json.error.message, /不是有效的 Excel \(\.xlsx\) 文件/);

  const nowb = path.join(srv.dir, 'noworkbook.xlsx');
  py(`
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('hello.txt', 'not a workbook')`, nowb);
  const r = await importXlsx('shelters', readFileSync(nowb));
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.field, 'file');
  assert.match(r.json.error.message, /xl\/workbook\.xml/);
  assert.equal(await total('/api/v1/shelters'), before);
});

test('a zip bomb stops at the bound, whether its sizes are declared or hidden; the server stays up', { skip }, async () => {
  // 200 MiB of one shared string, deflated to ~200 KB; once with honest sizes, once with the
  // sizes in the zip's headers rewritten to 100 bytes
  const file = path.join(srv.dir, 'bomb.xlsx'), liar = path.join(srv.dir, 'bomb-liar.xlsx');
  py(`${HANDMADE.replace("'xl/sharedStrings.xml': ", "'xl/sharedStrings.xml': '<sst><si><t>' + ' ' * (200 << 20) + '</t></si></sst>' or ")}
import struct
data = bytearray(open(sys.argv[1], 'rb').read())
for sig, off in ((b'PK\\x03\\x04', 22), (b'PK\\x01\\x02', 24)):
    i = data.find(sig)
    while i >= 0:
        n = struct.unpack_from('<H', data, i + (26 if sig == b'PK\\x03\\x04' else 28))[0]
        name = bytes(data[i + (30 if sig == b'PK\\x03\\x04' else 46):][:n])
        if name == b'xl/sharedStrings.xml':
            struct.pack_into('<I', data, i + off, 100)
        i = data.find(sig, i + 4)
open(sys.argv[3], 'wb').write(data)`, file, `<worksheet ${NS}/>`, liar);
  for (const f of [file, liar]) {
    const t0 = Date.now();
    const r = await importXlsx('shelters', readFileSync(f));
    // declared: refused on the zip's word; hidden: the bytes are counted as they unpack
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error.field, 'file');
    assert.match(r.json.error.message, /64 MiB/);
    assert.ok(Date.now() - t0 < 10000, `took ${Date.now() - t0} ms`);
  }
  assert.equal((await srv.req('GET', '/healthz')).status, 200);
});

test('a sheet with a DOCTYPE and entities is refused before parsing; no entity is expanded', { skip }, async () => {
  const before = await total('/api/v1/shelters');
  const docs = [
    `<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY e "实体展开">]><worksheet ${NS}><sheetData><row r="1">${inl('A1', '名称')}${inl('B1', '区划代码')}${inl('C1', '容纳人数')}</row><row r="2">${inl('A2', '&e;')}${inl('B2', '441523')}<c r="C2"><v>1</v></c></row></sheetData></worksheet>`,
    `<?xml version="1.0"?><!DOCTYPE worksheet SYSTEM "file:///etc/passwd"><worksheet ${NS}/>`,
    // a DOCTYPE spelled in UTF-16 to slip past a byte search
    Buffer.from(`\uFEFF<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY e "x">]><worksheet ${NS}/>`, 'utf16le'),
  ];
  for (const [i, doc] of docs.entries()) {
    const file = path.join(srv.dir, `doctype-${i}.xlsx`), xml = path.join(srv.dir, `doctype-${i}.xml`);
    writeFileSync(xml, doc);
    py(HANDMADE, file, `@${xml}`);
    const r = await importXlsx('shelters', readFileSync(file));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'file');
    assert.match(r.json.error.message, i < 2 ? /DOCTYPE/ : /UTF-8/);
  }
  assert.equal(await total('/api/v1/shelters'), before);
  assert.equal((await srv.req('GET', `/api/v1/shelters?q=${encodeURIComponent('实体展开')}`, { token: admin })).json.items.length, 0);
});

test('a cell holding an Excel error value (#N/A) is refused naming the cell, nothing written', { skip }, async () => {
  const before = await total('/api/v1/shelters');
  const doc = `<?xml version="1.0"?><worksheet ${NS}><sheetData><row r="1">${inl('A1', '名称')}${inl('B1', '区划代码')}${inl('C1', '容纳人数')}</row>` +
    `<row r="2">${inl('A2', '错误值避难所')}${inl('B2', '441523')}<c r="C2" t="e"><f>VLOOKUP(1,X1:X2,2,FALSE)</f><v>#N/A</v></c></row></sheetData></worksheet>`;
  const file = path.join(srv.dir, 'error-cell.xlsx'), xml = path.join(srv.dir, 'error-cell.xml');
  writeFileSync(xml, doc);
  py(HANDMADE, file, `@${xml}`);
  const r = await importXlsx('shelters', readFileSync(file));
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.field, 'file');
  assert.match(r.json.error.message, /cell C2 holds Excel's error value #N\/A/);
  assert.equal(await total('/api/v1/shelters'), before);
});
