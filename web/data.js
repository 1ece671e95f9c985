// data.html — 数据导入导出: the clerks who keep the registry export an
// object type (企业, 避难场所 …) of an area in their jurisdiction as Excel,
// CSV or GeoJSON, and import a file back. An import is always previewed
// first (the API's import of the type with ?dry_run=1: per row created / updated /
// unchanged / refused, nothing written); 确认导入 is enabled only when no
// row has a problem, and sends the same file once more with an
// Idempotency-Key, so a double click or a retry imports once.
// The session is the HttpOnly cookie: downloads are fetched (same origin)
// and saved from a Blob. Plain browser JavaScript, no build step.
'use strict';

(async () => {
  const { api, $, $$, h, t, showWho, toLogin, uuid, LBL } = window.YJ;
  const I = window.I18N;

  // who may import what: the server's write roles per entity (src/registry/entity_spec.c);
  // the server decides, this only keeps the page to what the user may do
  const KEEPERS = ['admin', 'commander', 'duty_officer'];
  const WRITERS = {
    enterprises: [...KEEPERS, 'inspector'],
    'hazard-sources': [...KEEPERS, 'inspector'],
    warehouses: [...KEEPERS, 'warehouse_keeper'],
  };
  const mayImport = (role, entity) => (WRITERS[entity] || KEEPERS).includes(role);
  const TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv', geojson: 'application/geo+json', json: 'application/geo+json' };
  const SHOWN_ROWS = 1000; // rows listed in the preview at most

  const status = $('#data-status');
  let me;
  try {
    me = await api('GET', '/api/v1/me');
  } catch (e) {
    if (e.status === 401) { toLogin(); return; }
    status.textContent = t('common.cannot_load_msg', { msg: I.errorText(e) });
    return;
  }
  showWho(me);
  $('#logout').addEventListener('click', async () => {
    try { await api('POST', '/api/v1/auth/logout'); } catch { /* signed out anyway */ }
    location.replace('/');
  });
  const layers = LBL.LAYERS.filter((l) => mayImport(me.role, l.name));
  if (!layers.length) { status.textContent = t('data.no_rights'); return; }

  // ---- what: the object type and the area -------------------------------------------------------
  const entitySel = $('#entity');
  for (const l of layers) entitySel.append(h('option', { value: l.name }, l.label));
  const want = new URLSearchParams(location.search).get('entity');
  if (want && layers.some((l) => l.name === want)) entitySel.value = want;

  const areaNames = {};
  async function children(code) {
    try { return (await api('GET', `/api/v1/areas?parent=${encodeURIComponent(code)}`)).items || []; } catch { return []; }
  }
  const own = await window.YJ.area(me.area_code).catch(() => ({ code: me.area_code, name: me.area_code }));
  areaNames[own.code] = own.name;
  const area1 = $('#area1'), area2 = $('#area2');
  area1.append(h('option', { value: own.code }, t('data.area_all', { name: own.name })));
  for (const c of await children(own.code)) { areaNames[c.code] = c.name; area1.append(h('option', { value: c.code }, c.name)); }
  area1.addEventListener('change', async () => {
    area2.textContent = '';
    $('#area2-box').hidden = true;
    if (area1.value === own.code) return;
    const kids = await children(area1.value);
    if (!kids.length) return;
    area2.append(h('option', { value: '' }, t('data.area_sub_all', { name: areaNames[area1.value] })));
    for (const c of kids) { areaNames[c.code] = c.name; area2.append(h('option', { value: c.code }, c.name)); }
    $('#area2-box').hidden = false;
  });
  const chosenArea = () => area2.value || area1.value;
  const entityLabel = (name) => (LBL.LAYERS.find((l) => l.name === name) || { label: name }).label;

  status.hidden = true;
  $('#data-main').hidden = false;

  // ---- export ------------------------------------------------------------------------------------
  const today = () => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  async function exportAs(format, btn) {
    const entity = entitySel.value, area = chosenArea();
    const url = `/api/v1/${entity}?area=${encodeURIComponent(area)}&format=${format}`;
    const file = `${entityLabel(entity)}-${area}-${today()}.${format}`;
    I.showError($('#export-error'), null);
    $('#export-status').textContent = t('data.exporting');
    btn.disabled = true;
    try {
      let res;
      try {
        res = await fetch(url, { headers: { 'Accept-Language': I.acceptLanguage }, credentials: 'same-origin' });
      } catch { throw I.httpError(0, null, null); }
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        if (res.status === 401) { toLogin(); return; }
        throw I.httpError(res.status, data, res.headers);
      }
      const blob = await res.blob();
      const a = h('a', { href: URL.createObjectURL(blob), download: file, hidden: true });
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      $('#export-status').textContent = t('data.exported', { file });
    } catch (e) {
      $('#export-status').textContent = '';
      I.showError($('#export-error'), e, { prefix: t('data.export_failed') });
    } finally {
      btn.disabled = false;
    }
  }
  for (const b of $$('#export button[data-format]')) b.addEventListener('click', () => exportAs(b.dataset.format, b));

  // ---- import: preview, then confirm -------------------------------------------------------------
  let pending = null; // {file, entity, type, key}: the previewed file, ready to import
  const fileInput = $('#file');
  const fieldName = (entity, f) => {
    const own = (LBL.FIELDS[entity] || {})[f] || LBL.COMMON[f];
    return own || I.fieldLabel(f) || f;
  };

  // a problem's column: "column H (容纳人数)" / "property '经度'" in the server's words, else the field's name
  function problemColumn(entity, p) {
    const m = /column ([A-Z]{1,3})\s*\(([^)]*)\)/.exec(p.message || '') || /([A-Z]{1,3}) 列（([^）]*)）/.exec(p.message || '') ||
      /columns? ([A-Z]{1,3})\b/.exec(p.message || '');
    if (m && m[2]) return t('data.column_letter', { letter: m[1], name: m[2] });
    if (m) return t('data.column_only', { letter: m[1] });
    const q = /property '([^']+)'/.exec(p.message || '') || /属性 ([^：]+)：/.exec(p.message || '');
    if (q) return t('data.property', { name: q[1] });
    return p.field ? fieldName(entity, p.field) : t('data.whole_row');
  }
  // the reason in the page's words: a server message already in Chinese as it is, else by what it says
  const REASONS = [
    [/whole number|正整数|整数/, 'integer'], [/is not a number|必须是数字|不是数字/, 'number'], [/是\/否|true\/false/, 'bool'],
    [/is not an id|expected the id|an id \(/, 'id'], [/name:tonnes/, 'substances'], [/is not one of|item \d+ is not/, 'choice'],
    [/listed twice|given in row|在第 \d+ 行已出现|two properties give|both give/, 'twice'],
    [/phone number/, 'phone'], [/URL/, 'url'], [/-180\.\.180|-90\.\.90/, 'range'], [/go together/, 'lonlat'],
    [/outside your jurisdiction|不在您的辖区/, 'jurisdiction'], [/no area/, 'no_area'], [/not in the county/, 'county'],
    [/already registered|已登记/, 'registered'], [/is not a column of|is not a field of/, 'unknown_column'],
    [/has data but no header/, 'no_header'], [/cells, but the header/, 'cells'], [/geometry|Point/, 'geometry'],
    [/at most \d+ bytes|at most \d+ /, 'too_long'], [/is required|必须填写|at least one value/, 'required'], [/assigned by yingji/, 'assigned'],
  ];
  function problemReason(p) {
    const msg = p.message || '';
    const hit = REASONS.find(([re]) => re.test(msg));
    if (hit) return t(`data.reason.${hit[1]}`);
    if (/[\u4e00-\u9fff]/.test(msg) && !/[A-Za-z]{3,}/.test(msg)) return msg;
    return t('data.reason.other');
  }
  const problemItem = (entity, p, withRow) => h('li', { title: p.message || null, 'data-detail': p.message ? 'server' : null, 'data-field': p.field || null },
    withRow && p.row ? t('data.problem_row', { row: p.row }) + t('common.sep') : '',
    problemColumn(entity, p), t('error.colon'), problemReason(p));

  const ACTIONS = ['created', 'updated', 'unchanged', 'refused'];
  function showPreview(entity, r) {
    const counts = $('#counts');
    counts.textContent = '';
    const topProblems = Array.isArray(r.problems) ? r.problems : [];
    const refused = (r.refused || 0);
    for (const a of ACTIONS) {
      counts.append(h('div', { class: `count ${a}`, 'data-action': a }, h('b', null, String(a === 'refused' ? refused + topProblems.length : r[a] || 0)), t(`data.action.${a}`)));
    }
    const bad = refused > 0 || topProblems.length > 0;
    const note = $('#preview-note');
    note.className = `banner ${bad ? 'bad' : 'ok'}`;
    note.textContent = bad ? t('data.preview_bad') : (r.created || r.updated) ? t('data.preview_ok') : t('data.preview_nothing');
    const tbody = $('#rows tbody');
    tbody.textContent = '';
    const all = $('#show-all').checked;
    const rows = (r.rows || []).filter((x) => all || x.action !== 'unchanged');
    for (const p of topProblems) {
      tbody.append(h('tr', { class: 'refused', dataset: { row: p.row || 0, action: 'refused' } },
        h('td', { class: 'n' }, p.row ? String(p.row) : t('common.none')), h('td', null, h('span', { class: 'chip act-refused' }, t('data.action.refused'))),
        h('td', null, t('common.none')), h('td', null, h('ul', { class: 'probs' }, problemItem(entity, p, false)))));
    }
    for (const x of rows.slice(0, SHOWN_ROWS)) {
      let detail = '';
      if (x.action === 'updated') detail = t('data.changed', { fields: (x.fields || []).map((f) => fieldName(entity, f)).join(t('common.list_sep')) });
      else if (x.action === 'created') detail = t('data.will_create');
      else if (x.action === 'refused') detail = h('ul', { class: 'probs' }, (x.problems || []).map((p) => problemItem(entity, p, false)));
      tbody.append(h('tr', { class: x.action, dataset: { row: x.row, action: x.action } },
        h('td', { class: 'n' }, String(x.row)),
        h('td', null, h('span', { class: `chip act-${x.action}` }, t(`data.action.${x.action}`))),
        h('td', null, x.id ? String(x.id) : t('common.none')),
        h('td', { class: 'wrap' }, detail)));
    }
    const hiddenUnchanged = all ? 0 : (r.rows || []).length - rows.length;
    const more = Math.max(0, rows.length - SHOWN_ROWS);
    $('#rows-more').textContent = [more ? t('data.rows_more', { n: more }) : '', hiddenUnchanged ? t('data.rows_unchanged_hidden', { n: hiddenUnchanged }) : ''].filter(Boolean).join(t('common.sep'));
    $('#rows').hidden = !tbody.children.length;
    $('#confirm').disabled = bad || !(r.created || r.updated);
    $('#preview').hidden = false;
  }

  const fileCtx = {
    codes: {
      payload_too_large: () => t('data.too_large'),
      invalid_argument: (err, label) => (err.field === 'file' || !label ? t('data.bad_file') : t('error.with_field.invalid_argument', { field: label })),
      permission_denied: () => t('data.denied'),
    },
  };
  async function send(entity, file, type, dry, key) {
    const headers = { 'Accept-Language': I.acceptLanguage, 'Content-Type': type };
    if (key) headers['Idempotency-Key'] = key;
    let res;
    try {
      const url = `/api/v1/import/${entity}`;
      res = await fetch(dry ? `${url}?dry_run=1` : url, { method: 'POST', headers, body: file, credentials: 'same-origin' });
    } catch { throw I.httpError(0, null, null); }
    const data = await res.json().catch(() => null);
    if (res.status === 401) { toLogin(); throw I.httpError(401, data, res.headers); }
    if (!res.ok) throw I.httpError(res.status, data, res.headers);
    return data;
  }
  function showImportError(entity, err) {
    const box = $('#import-error');
    I.showError(box, err, { ...fileCtx, prefix: t('data.import_failed') });
    // 422: the rows and columns in the page's words
    const ul = box.querySelector('ul.err-problems');
    if (ul && err.problems) {
      ul.textContent = '';
      for (const p of err.problems.slice(0, 200)) ul.append(problemItem(entity, p, true));
    }
  }
  function reset() {
    pending = null;
    fileInput.value = '';
    $('#file-name').textContent = '';
    $('#preview').hidden = true;
    $('#import-status').textContent = '';
    I.showError($('#import-error'), null);
  }

  let lastPreview = null;
  async function preview(file) {
    reset();
    $('#result').hidden = true;
    $('#file-name').textContent = file.name;
    const ext = (/\.([a-z]+)$/i.exec(file.name) || [])[1];
    const type = TYPES[(ext || '').toLowerCase()];
    if (!type) { $('#import-status').textContent = t('data.bad_ext'); return; }
    const entity = entitySel.value;
    $('#import-status').textContent = t('data.checking');
    try {
      const r = await send(entity, file, type, true);
      $('#import-status').textContent = t('data.preview_of', { file: file.name, entity: entityLabel(entity) });
      pending = { file, entity, type, key: uuid() };
      lastPreview = { entity, r };
      showPreview(entity, r);
    } catch (e) {
      $('#import-status').textContent = '';
      showImportError(entity, e);
    }
  }
  fileInput.addEventListener('change', () => { if (fileInput.files[0]) preview(fileInput.files[0]); });
  $('#show-all').addEventListener('change', () => { if (lastPreview) showPreview(lastPreview.entity, lastPreview.r); });
  $('#reset').addEventListener('click', reset);
  entitySel.addEventListener('change', () => { reset(); $('#result').hidden = true; });

  $('#confirm').addEventListener('click', async () => {
    if (!pending) return;
    const { file, entity, type, key } = pending;
    $('#confirm').disabled = true;
    $('#import-status').textContent = t('data.importing');
    try {
      const r = await send(entity, file, type, false, key);
      const name = file.name;
      reset();
      const res = $('#result');
      res.textContent = t('data.done', { file: name, entity: entityLabel(entity), created: r.created || 0, updated: r.updated || 0, unchanged: r.unchanged || 0 });
      res.hidden = false;
    } catch (e) {
      $('#import-status').textContent = '';
      $('#confirm').disabled = false; // the same key: a retry imports once
      showImportError(entity, e);
    }
  });
})();
