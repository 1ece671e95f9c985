// 执法工作台 (enforce.html): the inspector's tasks and inspection record
// (checklist of the enterprise's sectors, photos, confirmation by every
// inspector, hazards), hazard follow-up (verify / reject a rectification),
// penalty cases with their timeline and the steps the server allows now,
// the legal reviewer's queue, and the double-random draws with verification.
// Hash routes: #tasks #inspection/ID #hazards #cases #case/ID #review #draws #draw/ID.
// The server decides; its refusals are shown as they come.
'use strict';

(() => {
  const { api, $, $$, h, put, debounce, toLogin } = window.YJ;
  const { L, lbl, chip, fmt, yuan, deadlineInfo, upload, thumbs, uploader, showError, endOfDay, dateIn, localNow, logout } = window.ENF;
  const { t } = window.I18N;
  const view = $('#view');
  let me = null;
  let seq = 0;           // the view being drawn; older async renders stop
  let mattersP = null;   // enforcement matters (cached)

  const TABS = {
    tasks: ['inspector', 'commander', 'duty_officer', 'admin'],
    hazards: ['inspector', 'commander', 'duty_officer', 'admin', 'legal_reviewer'],
    cases: ['inspector', 'commander', 'legal_reviewer'],
    review: ['legal_reviewer', 'commander'],
    draws: ['inspector', 'commander', 'duty_officer', 'admin', 'legal_reviewer'],
  };
  const can = (tab) => !!me && TABS[tab].includes(me.role);
  const isInspector = () => !!me && (me.role === 'inspector' || me.role === 'commander');
  const roleName = (r) => lbl('ROLE', r);

  // ---- small helpers ------------------------------------------------------------------------------

  function toast(msg, kind = 'ok') {
    const box = $('#toast');
    box.textContent = msg;
    box.className = kind;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
  }

  const mount = (...nodes) => { view.textContent = ''; view.append(...nodes); window.scrollTo(0, 0); };
  const go = (hash) => { if (location.hash === hash) route(); else location.hash = hash; };
  const errP = (id) => h('p', { id, class: 'error', role: 'alert', hidden: true });

  function matters() {
    if (!mattersP) mattersP = api('GET', '/api/v1/enforcement-matters').then((r) => r.items).catch(() => { mattersP = null; return []; });
    return mattersP;
  }
  const matterName = (list, code) => { const m = list.find((x) => x.code === code); return m ? `${m.code} ${m.name}` : code || '—'; };

  // a row of buttons choosing one value
  function seg(options, current, onPick, id) {
    return h('div', { class: 'seg', role: 'group', id },
      options.map(([v, label]) => h('button', { type: 'button', class: v === current ? 'active' : '', dataset: { v }, onclick: () => onPick(v) }, label)));
  }

  function field(label, control, hint) {
    return h('label', { class: 'field' }, h('span', { class: 'lbl' }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
  }

  // text -> list of names: one a line, or separated by commas / 、
  const splitList = (s) => s.split(/[\n,，、;；]+/).map((x) => x.trim()).filter(Boolean);

  // a search box over the registry's enterprises; onPick(enterprise)
  function entPicker({ id, onPick, initial }) {
    const input = h('input', { id, type: 'search', placeholder: t('enf.ent_search_ph'), autocomplete: 'off' });
    const list = h('ul', { class: 'picker-list', hidden: true });
    const picked = h('div', { class: 'picked' });
    let value = null;
    const set = (e) => {
      value = e;
      picked.textContent = '';
      if (e) {
        picked.append(h('span', { class: 'pchip' }, e.name, h('small', null, ` ${e.credit_code || ''} · ${(e.sectors || []).map((s) => lbl('SECTOR', s)).join('、')}`)));
        input.value = '';
      }
      list.hidden = true;
      if (onPick) onPick(e);
    };
    const search = debounce(async () => {
      const q = input.value.trim();
      if (!q) { list.hidden = true; return; }
      try {
        const r = await api('GET', `/api/v1/enterprises?q=${encodeURIComponent(q)}&limit=10`);
        list.textContent = '';
        for (const e of r.items) list.append(h('li', { tabindex: '0', dataset: { id: e.id }, onclick: () => set(e), onkeydown: (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); set(e); } } }, e.name, h('small', null, ` ${e.address || ''}`)));
        if (!r.items.length) list.append(h('li', { class: 'muted' }, t('enf.not_found')));
        list.hidden = false;
      } catch (err) {
        list.textContent = '';
        list.append(h('li', { class: 'error' }, err.message));
        list.hidden = false;
      }
    }, 250);
    input.addEventListener('input', search);
    if (initial) set(initial);
    return { el: h('div', { class: 'picker' }, picked, input, list), get value() { return value; }, set };
  }

  // ---- routing -------------------------------------------------------------------------------------

  const defaultTab = () => (me.role === 'legal_reviewer' ? 'review' : me.role === 'commander' ? 'cases' : 'tasks');

  async function route() {
    const raw = location.hash.replace(/^#/, '');
    const [path, qs] = raw.split('?');
    const params = new URLSearchParams(qs || '');
    let [name, id] = path.split('/');
    if (!name) name = defaultTab();
    const tab = { inspection: 'tasks', case: 'cases', draw: 'draws' }[name] || name;
    for (const a of $$('#tabs a')) {
      const on = a.dataset.tab === tab;
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    const views = { tasks: viewTasks, inspection: viewInspection, hazards: viewHazards, cases: viewCases, case: viewCase, review: viewReview, draws: viewDraws, draw: viewDraw };
    const fn = views[name];
    const my = ++seq;
    if (!fn) { mount(h('p', { class: 'pad' }, t('enf.no_page'))); return; }
    try {
      await fn(id ? Number(id) : params, params, my);
    } catch (err) {
      if (err.status === 401) return toLogin();
      if (my !== seq) return;
      mount(h('section', { class: 'page' }, h('p', { class: 'error banner', role: 'alert' }, window.I18N.errorNode(err, { prefix: t('common.cannot_load_msg', { msg: '' }) }))));
    }
  }

  // ---- 检查任务 ------------------------------------------------------------------------------------------

  function inspectorsCell(list) {
    return h('span', { class: 'members' }, (list || []).map((m) => h('span', { class: m.confirmed ? 'ok' : '', title: m.confirmed ? t('enf.confirmed_at', { t: fmt(m.confirmed) }) : t('enf.to_confirm') }, `${m.confirmed ? '✓' : '○'} ${m.name}`)));
  }

  async function viewTasks(params, _p, my) {
    const state = params.get('state') || '';
    const box = h('div', { id: 'new-inspection-box', hidden: true });
    const body = h('div', { class: 'tbl-box' }, h('p', { class: 'muted' }, t('common.loading')));
    mount(h('section', { class: 'page', id: 'tasks' },
      h('div', { class: 'page-head' },
        h('h2', null, t('enf.tasks_title')),
        seg([['', t('enf.f_all')], ['assigned', t('enf.f_assigned')], ['recorded', t('enf.f_recorded')], ['confirmed', t('enf.f_confirmed')]], state, (v) => go(v ? `#tasks?state=${v}` : '#tasks'), 'task-filter'),
        isInspector() ? h('button', { id: 'new-inspection', type: 'button', class: 'primary', onclick: () => { box.hidden = !box.hidden; } }, t('enf.new_inspection')) : null),
      box, body));
    const qs = new URLSearchParams({ mine: '1', limit: '200' });
    if (state) qs.set('state', state);
    const [r, ms] = await Promise.all([api('GET', `/api/v1/inspections?${qs}`), matters()]);
    if (my !== seq) return;
    if (isInspector()) buildNewInspection(box, r.items);
    body.textContent = '';
    if (!r.items.length) {
      body.append(h('p', { class: 'empty' }, t(state ? 'enf.tasks_none_state' : 'enf.tasks_none')));
      return;
    }
    body.append(h('table', { class: 'data', id: 'task-table' },
      h('thead', null, h('tr', null, ['col_no', 'col_unit', 'col_kind', 'col_reason_matter', 'col_state', 'col_inspectors', 'col_time'].map((k) => t(`enf.${k}`)).map((x) => h('th', null, x)))),
      h('tbody', null, r.items.map((i) => h('tr', { class: 'clickable', dataset: { id: i.id, state: i.state }, onclick: () => go(`#inspection/${i.id}`) },
        h('td', { class: 'n' }, `#${i.id}`),
        h('td', null, h('a', { href: `#inspection/${i.id}` }, i.enterprise)),
        h('td', null, lbl('KIND', i.kind)),
        h('td', { class: 'wrap' }, [i.reason ? lbl('REASON', i.reason) : null, i.matter_code ? matterName(ms, i.matter_code) : null].filter(Boolean).join(t('common.sep')) || t('common.none')),
        h('td', null, chip('INSPECTION', i.state)),
        h('td', null, inspectorsCell(i.inspectors)),
        h('td', null, fmt(i.inspected || i.created)))))));
  }

  // colleagues the page knows of: from my inspections and the published draws (no list of inspectors is open to inspectors)
  async function knownColleagues(items) {
    const map = new Map();
    for (const i of items || []) for (const m of i.inspectors || []) if (m.id !== me.id) map.set(m.id, { id: m.id, name: m.name, cert_no: m.cert_no });
    try {
      const d = await api('GET', '/api/v1/draws?limit=20');
      for (const x of d.items) for (const r of x.result || []) for (const n of r.inspector_names || []) if (n.id !== me.id && !map.has(n.id)) map.set(n.id, n);
    } catch { /* draws are optional here */ }
    return [...map.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  }

  async function buildNewInspection(box, items) {
    const ms = await matters();
    const colleagues = await knownColleagues(items);
    const picker = entPicker({ id: 'ni-enterprise' });
    const kind = h('select', { id: 'ni-kind' }, h('option', { value: 'adhoc' }, t('enf.ni_kind_adhoc')), h('option', { value: 'expert' }, t('enf.ni_kind_expert')));
    const reason = h('select', { id: 'ni-reason' }, ['complaint', 'accident', 'campaign'].map((v) => h('option', { value: v }, lbl('REASON', v))));
    const matter = h('select', { id: 'ni-matter' }, h('option', { value: '' }, t('enf.ni_matter_none')), ms.map((m) => h('option', { value: m.code }, `${m.code} ${m.name}`)));
    const ids = h('input', { id: 'ni-ids', placeholder: t('enf.ni_ids_ph'), inputmode: 'numeric' });
    const checks = h('div', { class: 'checks', id: 'ni-colleagues' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', value: me.id, checked: true }), t('enf.ni_me', { name: me.display_name || me.username })),
      colleagues.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: c.id }), ` ${c.name}`, c.cert_no ? h('small', null, t('enf.ni_cert', { no: c.cert_no })) : null)));
    const err = errP('ni-error');
    kind.addEventListener('change', () => { reason.disabled = kind.value !== 'adhoc'; });
    const form = h('form', { class: 'card form', id: 'new-inspection-form', novalidate: true },
      h('h3', null, t('enf.ni_title'), h('small', null, t('enf.ni_title_hint'))),
      field(t('enf.ni_unit'), picker.el),
      h('div', { class: 'grid3' }, field(t('enf.ni_kind'), kind), field(t('enf.ni_reason'), reason), field(t('enf.ni_matter'), matter)),
      field(t('enf.ni_inspectors'), checks, t('enf.ni_inspectors_hint')),
      ids, err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'ni-submit' }, t('enf.ni_submit')), h('button', { type: 'button', class: 'secondary', onclick: () => { box.hidden = true; } }, t('common.cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      if (!picker.value) { showError(err, new Error(t('enf.ni_pick_unit'))); return; }
      const members = $$('input[type=checkbox]:checked', checks).map((c) => Number(c.value));
      for (const x of ids.value.split(/[\s,，]+/).filter(Boolean)) if (/^\d+$/.test(x) && !members.includes(Number(x))) members.push(Number(x));
      const body = { enterprise_id: picker.value.id, kind: kind.value, inspectors: members };
      if (kind.value === 'adhoc') body.reason = reason.value;
      if (matter.value) body.matter_code = matter.value;
      try {
        const r = await api('POST', '/api/v1/inspections', body);
        toast(t('enf.ni_created', { id: r.id }));
        go(`#inspection/${r.id}`);
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e, { values: body, fields: { enterprise_id: t('enf.ni_unit'), kind: t('enf.ni_kind'), reason: t('enf.ni_reason'), matter_code: t('enf.ni_matter'), inspectors: t('enf.ni_inspectors') } });
      }
    });
    box.textContent = '';
    box.append(form);
  }

  // ---- one inspection -------------------------------------------------------------------------------

  async function viewInspection(id, _p, my) {
    let insp = await api('GET', `/api/v1/inspections/${id}`);
    const [ent, ms, hz] = await Promise.all([
      api('GET', `/api/v1/enterprises/${insp.enterprise_id}`).catch(() => null),
      matters(),
      api('GET', `/api/v1/hazards?enterprise=${insp.enterprise_id}&limit=500`).catch(() => ({ items: [] })),
    ]);
    const sectors = ent && ent.sectors && ent.sectors.length ? ent.sectors : ['other'];
    const templates = await Promise.all(sectors.map((s) => api('GET', `/api/v1/checklists/${encodeURIComponent(s)}`).then((tpl) => ({ sector: s, items: tpl.items || [] })).catch(() => ({ sector: s, items: [] }))));
    if (my !== seq) return;

    const none = t('common.none');
    const isMember = () => insp.inspectors.some((m) => m.id === me.id);
    const locked = () => insp.state === 'confirmed';

    const head = h('div', { class: 'card head', id: 'insp-head' });
    const confirmBox = h('div', { class: 'card', id: 'confirm-box' });
    const evBox = h('div', { id: 'evidence' });
    const hzList = h('div', { id: 'inspection-hazards' });
    const recErr = errP('rec-error');

    function renderHead() {
      head.textContent = '';
      put(head,
        h('div', { class: 'crumbs' }, h('a', { href: '#tasks' }, t('enf.crumbs_tasks')), ' › ', t('enf.insp_n', { id: insp.id })),
        h('div', { class: 'l1' }, chip('INSPECTION', insp.state), h('span', { class: 'tag' }, lbl('KIND', insp.kind)),
          insp.reason ? h('span', { class: 'tag' }, lbl('REASON', insp.reason)) : null,
          insp.matter_code ? h('span', { class: 'tag', title: t('enf.matter') }, matterName(ms, insp.matter_code)) : null,
          insp.draw_id ? h('a', { class: 'tag', href: `#draw/${insp.draw_id}` }, t('enf.insp_draw_n', { id: insp.draw_id })) : null),
        h('h2', null, insp.enterprise),
        ent ? h('dl', { class: 'kv' },
          h('dt', null, t('enf.k_credit')), h('dd', null, ent.credit_code || none),
          h('dt', null, t('enf.k_sectors')), h('dd', null, (ent.sectors || []).map((s) => lbl('SECTOR', s)).join(t('common.list_sep')) || none),
          h('dt', null, t('enf.k_risk')), h('dd', null, lbl('RISK', ent.risk_grade)),
          h('dt', null, t('enf.k_principal')), h('dd', null, ent.principal || none),
          h('dt', null, t('enf.k_contact')), h('dd', null, [ent.contact, ent.phone].filter(Boolean).join(' ') || none),
          h('dt', null, t('enf.k_address')), h('dd', null, ent.address || none)) : null);
    }

    function renderConfirm() {
      confirmBox.textContent = '';
      const mine = insp.inspectors.find((m) => m.id === me.id);
      const btn = h('button', { type: 'button', id: 'confirm-btn', class: 'primary', disabled: !mine || !!(mine && mine.confirmed) || insp.state !== 'recorded' }, t(mine && mine.confirmed ? 'enf.confirmed_you' : 'enf.confirm_btn'));
      const err = errP('confirm-error');
      btn.addEventListener('click', async () => {
        showError(err, null);
        btn.disabled = true;
        try {
          insp = await api('POST', `/api/v1/inspections/${insp.id}/confirm`);
          toast(t(insp.state === 'confirmed' ? 'enf.confirm_all' : 'enf.confirm_wait'));
          refreshAll();
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e);
          btn.disabled = false;
        }
      });
      const done = insp.inspectors.filter((m) => m.confirmed).length;
      put(confirmBox,
        h('h3', null, t('enf.confirm_title'), h('small', null, t('enf.confirm_count', { done, n: insp.inspectors.length }))),
        h('ul', { class: 'confirm-list', id: 'confirm-list' }, insp.inspectors.map((m) => h('li', { class: m.confirmed ? 'ok' : 'wait', dataset: { user: m.username } },
          h('span', { class: 'mark' }, m.confirmed ? '✓' : '○'), h('b', null, m.name), m.cert_no ? h('small', null, t('enf.cert', { no: m.cert_no })) : null,
          h('span', { class: 'when' }, m.confirmed ? t('enf.confirmed_at', { t: fmt(m.confirmed) }) : t('enf.to_confirm'))))),
        locked() ? h('p', { class: 'banner ok', id: 'locked-note' }, t('enf.locked')) : h('div', { class: 'row' }, btn,
          h('small', { class: 'hint' }, t(!mine ? 'enf.not_member' : insp.state === 'assigned' ? 'enf.record_first' : 'enf.confirm_means'))),
        err);
    }

    function renderEvidence() {
      evBox.textContent = '';
      evBox.append(thumbs(insp.evidence, { empty: t('enf.photos_none') }));
      if (isInspector() && !locked()) {
        evBox.append(uploader({ id: 'evidence-file', url: () => `/api/v1/inspections/${insp.id}/evidence`, label: t('enf.upload_scene'), done: refreshInsp }));
      } else if (locked()) {
        evBox.append(h('p', { class: 'muted' }, t('enf.evidence_locked')));
      }
    }

    function renderHazards() {
      hzList.textContent = '';
      const mine = hz.items.filter((x) => x.inspection_id === insp.id);
      if (!mine.length) hzList.append(h('p', { class: 'muted' }, t('enf.hazards_none_here')));
      for (const x of mine) hzList.append(hazardCard(x, { onChange: refreshHazards, compact: true }));
    }

    async function refreshInsp() {
      insp = await api('GET', `/api/v1/inspections/${insp.id}`);
      renderHead();
      renderConfirm();
      renderEvidence();
      setLocked();
    }
    async function refreshHazards() {
      Object.assign(hz, await api('GET', `/api/v1/hazards?enterprise=${insp.enterprise_id}&limit=500`));
      renderHazards();
    }
    const refreshAll = () => refreshInsp().catch((e) => toast(e.message, 'bad'));

    // ---- the record form: checklist of the enterprise's sectors, merged with what was recorded
    const recorded = new Map((insp.checklist || []).map((c) => [c.item, c]));
    const rows = [];
    const seen = new Set();
    for (const tpl of templates) {
      if (!tpl.items.length) continue;
      rows.push({ group: t('enf.checklist_group', { sector: lbl('SECTOR', tpl.sector) }) });
      for (const it of tpl.items) { if (seen.has(it.item)) continue; seen.add(it.item); rows.push({ item: it.item, basis: it.basis }); }
    }
    const extra = [...recorded.keys()].filter((k) => !seen.has(k));
    if (extra.length) { rows.push({ group: t('enf.checklist_other') }); for (const k of extra) rows.push({ item: k }); }
    const tbody = h('tbody', null);
    let n = 0;
    const addRow = (r) => {
      if (r.group) { tbody.append(h('tr', { class: 'group' }, h('td', { colspan: 3 }, r.group))); return; }
      const k = n++;
      const cur = recorded.get(r.item) || {};
      const itemCell = r.custom ? h('input', { class: 'ck-item-input', placeholder: t('enf.ck_item_ph'), value: r.item || '' }) : h('span', null, r.item, r.basis ? h('small', { class: 'basis' }, ` ${r.basis}`) : null);
      tbody.append(h('tr', { class: 'ck-row', dataset: { item: r.item || '', k } },
        h('td', { class: 'ck-item' }, itemCell),
        h('td', { class: 'ck-res' }, ['ok', 'problem', 'na'].map((v) => h('label', { class: `rb rb-${v}` },
          h('input', { type: 'radio', name: `ck-${k}`, value: v, checked: cur.result === v }), h('span', null, lbl('RESULT', v))))),
        h('td', null, h('input', { class: 'ck-note', placeholder: t('enf.ck_note_ph'), value: cur.note || '', maxlength: 500 }))));
    };
    rows.forEach(addRow);
    if (!rows.length) tbody.append(h('tr', { class: 'group' }, h('td', { colspan: 3 }, t('enf.ck_none'))));
    const place = h('input', { id: 'rec-place', value: insp.place || '', maxlength: 300, placeholder: t('enf.place_ph') });
    const when = h('input', { id: 'rec-time', type: 'datetime-local', value: insp.inspected ? insp.inspected.slice(0, 16) : localNow() });
    const findings = h('textarea', { id: 'rec-findings', rows: 3, maxlength: 20000, placeholder: t('enf.findings_ph') }, insp.findings || '');
    const answered = insp.kind === 'duty_check'
      ? h('select', { id: 'rec-answered' }, h('option', { value: '' }, t('common.none')), h('option', { value: 'true', selected: insp.answered === true }, t('enf.answered_yes')), h('option', { value: 'false', selected: insp.answered === false }, t('enf.answered_no')))
      : null;
    const save = h('button', { type: 'submit', class: 'primary', id: 'rec-save' }, t('enf.rec_save'));
    const fs = h('fieldset', { id: 'record-fields' },
      h('div', { class: 'grid2' }, field(t('enf.rec_place'), place), field(t('enf.rec_time'), when)),
      answered ? field(t('enf.rec_answered'), answered) : null,
      h('table', { class: 'data checklist', id: 'checklist' },
        h('thead', null, h('tr', null, h('th', null, t('enf.ck_item')), h('th', null, t('enf.ck_result')), h('th', null, t('enf.ck_note')))), tbody),
      h('button', { type: 'button', class: 'link', id: 'ck-add', onclick: () => addRow({ item: '', custom: true }) }, t('enf.ck_add')),
      field(t('enf.rec_findings'), findings),
      h('div', { class: 'form-actions' }, save, h('small', { class: 'hint', id: 'rec-hint' }, t('enf.rec_hint'))),
      recErr);
    const recForm = h('form', { class: 'card form', id: 'record-form', novalidate: true }, h('h3', null, t('enf.rec_title'), h('small', null, t('enf.rec_title_hint'))), fs);
    const setLocked = () => { fs.disabled = locked() || !isMember(); };
    recForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(recErr, null);
      const checklist = [];
      let missing = 0;
      for (const tr of $$('tr.ck-row', tbody)) {
        const inp = $('.ck-item-input', tr);
        const item = inp ? inp.value.trim() : tr.dataset.item;
        const r = $('input[type=radio]:checked', tr);
        if (!item) continue;
        if (!r) { missing++; continue; }
        const note = $('.ck-note', tr).value.trim();
        checklist.push(note ? { item, result: r.value, note } : { item, result: r.value });
      }
      const body = { place: place.value.trim(), checklist, findings: findings.value };
      if (when.value) body.inspected = new Date(when.value).toISOString();
      if (answered && answered.value) body.answered = answered.value === 'true';
      save.disabled = true;
      try {
        insp = await api('PATCH', `/api/v1/inspections/${insp.id}`, body);
        toast(missing ? t('enf.rec_saved_missing', { n: missing }) : t('enf.rec_saved'));
        renderHead();
        renderConfirm();
        renderEvidence();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(recErr, e, { fields: { place: t('enf.rec_place'), inspected: t('enf.rec_time'), findings: t('enf.rec_findings'), checklist: t('enf.rec_title').trim(), answered: t('enf.rec_answered') } });
      } finally {
        save.disabled = false;
        setLocked();
      }
    });

    // ---- add a hazard
    const hzForm = buildHazardForm(insp, ms, refreshHazards);

    renderHead();
    renderConfirm();
    renderEvidence();
    renderHazards();
    setLocked();
    mount(h('section', { class: 'page', id: 'inspection', dataset: { id: insp.id } },
      head,
      h('div', { class: 'cols' },
        h('div', { class: 'col-main' },
          recForm,
          h('div', { class: 'card' }, h('h3', null, t('enf.ev_title'), h('small', null, t('enf.ev_title_hint'))), evBox),
          h('div', { class: 'card', id: 'hazard-box' }, h('h3', null, t('enf.hz_title'), h('small', null, t('enf.hz_title_hint'))), hzList, hzForm)),
        h('div', { class: 'col-side' },
          confirmBox,
          isInspector() ? h('div', { class: 'card' }, h('h3', null, t('enf.next_title')),
            h('a', { class: 'btnlink', id: 'to-case', href: `#cases?new=1&enterprise=${insp.enterprise_id}&inspection=${insp.id}${insp.matter_code ? `&matter=${insp.matter_code}` : ''}` }, t('enf.to_case'))) : null))));
  }

  function buildHazardForm(insp, ms, done) {
    if (!isInspector() || !insp.inspectors.some((m) => m.id === me.id)) return h('p', { class: 'muted' }, t('enf.hz_by_members'));
    const bases = [...new Set(ms.map((m) => m.legal_basis))];
    const dl = h('datalist', { id: 'basis-list' }, bases.map((b) => h('option', { value: b })));
    const deadline = h('input', { id: 'hz-deadline', type: 'date', value: dateIn(7), min: dateIn(0) });
    let touched = false;
    deadline.addEventListener('change', () => { touched = true; });
    const levels = h('div', { class: 'levels', id: 'hz-level' }, ['general', 'major'].map((v) => h('label', { class: `lvopt lv-${v}` },
      h('input', { type: 'radio', name: 'hz-level', value: v, checked: v === 'general', onchange: () => { if (!touched) deadline.value = dateIn(v === 'major' ? 30 : 7); } }), h('span', null, lbl('LEVEL', v)))));
    const desc = h('textarea', { id: 'hz-desc', rows: 2, maxlength: 4000, placeholder: t('enf.hz_desc_ph') });
    const basis = h('input', { id: 'hz-basis', list: 'basis-list', maxlength: 2000, placeholder: t('enf.hz_basis_ph') });
    const err = errP('hz-error');
    const form = h('form', { class: 'sub-form', id: 'hazard-form', novalidate: true },
      h('h4', null, t('enf.hz_add')),
      h('div', { class: 'grid2' }, field(t('enf.hz_level'), levels), field(t('enf.hz_deadline'), deadline)),
      field(t('enf.hz_desc'), desc), field(t('enf.hz_basis'), basis), dl, err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'hz-submit' }, t('enf.hz_submit'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = { level: $('input[name=hz-level]:checked', form).value, description: desc.value.trim(), deadline: endOfDay(deadline.value) };
      if (basis.value.trim()) body.legal_basis = basis.value.trim();
      if (!body.deadline) delete body.deadline;
      try {
        const r = await api('POST', `/api/v1/inspections/${insp.id}/hazards`, body);
        toast(t('enf.hz_added', { id: r.id }));
        desc.value = '';
        basis.value = '';
        await done();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e, { values: body, fields: { level: t('enf.hz_level'), deadline: t('enf.hz_deadline'), description: t('enf.hz_desc'), legal_basis: t('enf.hz_basis') } });
      }
    });
    return form;
  }

  // ---- hazards ---------------------------------------------------------------------------------------

  // a hazard with its rectification history, evidence, and (when waiting) the verdict form
  function hazardCard(x, { onChange, compact = false } = {}) {
    const dli = deadlineInfo(x.deadline, { overdue: x.overdue && x.state === 'open', closed: x.state === 'verified_closed' });
    const evBox = h('div', { class: 'hz-ev' });
    const card = h('article', { class: `hz-card hz-${x.state}${x.overdue ? ' overdue' : ''}`, dataset: { id: x.id, state: x.state } },
      h('div', { class: 'l1' }, chip('LEVEL', x.level), chip('HAZARD', x.state), x.overdue ? h('span', { class: 'chip overdue' }, t('enf.overdue')) : null,
        h('span', { class: 'muted' }, t('enf.hz_meta', { id: x.id, source: lbl('SOURCE', x.source), t: fmt(x.found) }))),
      compact ? null : h('div', { class: 'ent' }, x.enterprise, x.inspection_id ? h('a', { href: `#inspection/${x.inspection_id}`, class: 'small-link' }, t('enf.insp_link', { id: x.inspection_id })) : null),
      h('p', { class: 'desc' }, x.description),
      x.legal_basis ? h('p', { class: 'basis' }, t('enf.basis', { basis: x.legal_basis })) : null,
      h('p', { class: 'deadline' }, t('enf.deadline', { t: fmt(x.deadline) }), h('span', { class: `dl ${dli.cls}` }, x.state === 'verified_closed' ? t('enf.closed_on', { t: fmt(x.closed) }) : dli.text)),
      (x.rectifications || []).length ? h('ol', { class: 'rect-history' }, x.rectifications.map((r) => h('li', { class: r.verdict ? `v-${r.verdict}` : 'v-wait' },
        h('div', null, h('b', null, t('enf.rect_by_ent')), h('time', null, fmt(r.submitted)), t('common.colon'), r.note),
        r.verdict ? h('div', { class: 'verdict' }, h('b', null, lbl('VERDICT', r.verdict)), ` ${fmt(r.verdict_at)}`, r.verdict_reason ? `: ${r.verdict_reason}` : '')
          : h('div', { class: 'verdict wait' }, t('enf.verdict_wait'))))) : null,
      evBox);
    // evidence is listed on the hazard itself
    api('GET', `/api/v1/hazards/${x.id}`).then((d) => { evBox.textContent = ''; if ((d.evidence || []).length || !compact) evBox.append(h('span', { class: 'lbl' }, t('enf.rect_photos')), thumbs(d.evidence, { empty: t('enf.rect_photos_none') })); }).catch(() => {});
    if (x.state === 'rectification_submitted' && isInspector()) {
      const reason = h('input', { class: 'hz-reason', placeholder: t('enf.reject_reason_ph'), maxlength: 2000 });
      const err = h('p', { class: 'error hz-error', role: 'alert', hidden: true });
      const verdict = async (accept) => {
        showError(err, null);
        const body = accept ? { accept: true } : { accept: false, reason: reason.value.trim() };
        if (accept && reason.value.trim()) body.reason = reason.value.trim();
        try {
          const r = await api('POST', `/api/v1/hazards/${x.id}/verify`, body);
          toast(t(r.state === 'verified_closed' ? 'enf.hz_closed' : 'enf.hz_returned', { id: x.id }));
          if (onChange) await onChange();
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e, { values: body, fields: { reason: t('enf.reject_reason') } });
        }
      };
      card.append(h('div', { class: 'verify-row' }, reason,
        h('button', { type: 'button', class: 'ok hz-accept', onclick: () => verdict(true) }, t('enf.accept')),
        h('button', { type: 'button', class: 'warnbtn hz-reject', onclick: () => verdict(false) }, t('enf.reject'))), err);
    }
    return card;
  }

  async function viewHazards(params, _p, my) {
    const f = params.get('f') || 'rectification_submitted';
    const list = h('div', { id: 'hazard-list', class: 'hz-grid' }, h('p', { class: 'muted' }, t('common.loading')));
    mount(h('section', { class: 'page', id: 'hazards' },
      h('div', { class: 'page-head' }, h('h2', null, t('enf.hazards_title')),
        seg([['rectification_submitted', t('enf.hf_submitted')], ['open', t('enf.hf_open')], ['overdue', t('enf.hf_overdue')], ['verified_closed', t('enf.hf_closed')], ['all', t('enf.hf_all')]], f, (v) => go(`#hazards?f=${v}`), 'hazard-filter')),
      list));
    const qs = new URLSearchParams({ limit: '100' });
    if (f === 'overdue') qs.set('overdue', '1');
    else if (f !== 'all') qs.set('state', f);
    const r = await api('GET', `/api/v1/hazards?${qs}`);
    if (my !== seq) return;
    list.textContent = '';
    if (!r.items.length) list.append(h('p', { class: 'empty' }, t(f === 'rectification_submitted' ? 'enf.hazards_none_wait' : 'enf.hazards_none')));
    for (const x of r.items) list.append(hazardCard(x, { onChange: () => route() }));
  }

  // ---- cases -----------------------------------------------------------------------------------------

  async function viewCases(params, _p, my) {
    const state = params.get('state') || '';
    const box = h('div', { id: 'new-case-box', hidden: params.get('new') !== '1' });
    const body = h('div', { class: 'tbl-box' }, h('p', { class: 'muted' }, t('common.loading')));
    const sel = h('select', { id: 'case-filter', onchange: () => go(sel.value ? `#cases?state=${sel.value}` : '#cases') },
      h('option', { value: '' }, t('enf.cases_all')), Object.entries(L.CASE).map(([v, label]) => h('option', { value: v, selected: v === state }, label)));
    mount(h('section', { class: 'page', id: 'cases' },
      h('div', { class: 'page-head' }, h('h2', null, t('enf.cases_title')), sel,
        isInspector() ? h('button', { type: 'button', class: 'primary', id: 'new-case', onclick: () => { box.hidden = !box.hidden; } }, t('enf.new_case')) : null),
      box, body));
    const qs = new URLSearchParams({ limit: '200' });
    if (state) qs.set('state', state);
    const [r, ms] = await Promise.all([api('GET', `/api/v1/cases?${qs}`), matters()]);
    if (my !== seq) return;
    if (isInspector()) await buildNewCase(box, ms, params);
    body.textContent = '';
    if (!r.items.length) { body.append(h('p', { class: 'empty' }, t('enf.cases_none'))); return; }
    body.append(h('table', { class: 'data', id: 'case-table' },
      h('thead', null, h('tr', null, ['ccol_no', 'ccol_title', 'ccol_party', 'ccol_matter', 'ccol_state', 'ccol_penalty', 'ccol_decision', 'ccol_deadline'].map((k) => t(`enf.${k}`)).map((x) => h('th', null, x)))),
      h('tbody', null, r.items.map((c) => h('tr', { class: 'clickable', dataset: { id: c.id, state: c.state }, onclick: () => go(`#case/${c.id}`) },
        h('td', { class: 'n' }, `#${c.id}`),
        h('td', { class: 'wrap' }, h('a', { href: `#case/${c.id}` }, c.title), c.major ? h('span', { class: 'chip major' }, t('enf.major_short')) : null),
        h('td', null, c.party && c.party.name),
        h('td', { class: 'wrap matter', title: matterName(ms, c.matter_code) }, matterName(ms, c.matter_code)),
        h('td', null, chip('CASE', c.state)),
        h('td', null, penaltyText(c)),
        h('td', null, c.decision_no || t('common.none')),
        h('td', null, deadlineCell(c)))))));
  }

  function penaltyText(c) {
    const p = [];
    if (c.fine_yuan > 0) p.push(t('enf.pen_fine', { amount: yuan(c.fine_yuan) }));
    if (c.revocation) p.push(t('enf.pen_revocation'));
    if (c.suspension) p.push(t('enf.pen_suspension'));
    return p.join(t('enf.pen_sep')) || t('common.none');
  }

  function deadlineCell(c) {
    if (!c.deadline) return t('common.none');
    if (c.decided) return h('span', { class: 'muted' }, `${fmt(c.deadline, { date: true })}`);
    const d = deadlineInfo(c.deadline);
    return h('span', null, fmt(c.deadline, { date: true }), ' ', h('span', { class: `dl ${d.cls}` }, d.text), c.extended ? h('small', null, t('enf.extended')) : null);
  }

  async function buildNewCase(box, ms, params) {
    let initialEnt = null;
    if (params.get('enterprise')) initialEnt = await api('GET', `/api/v1/enterprises/${Number(params.get('enterprise'))}`).catch(() => null);
    const picker = entPicker({ id: 'nc-enterprise', initial: initialEnt });
    const ptype = seg([['enterprise', t('enf.nc_party_ent')], ['individual', t('enf.nc_party_ind')]], 'enterprise', (v) => setType(v), 'nc-party-type');
    const pname = h('input', { id: 'nc-name', maxlength: 100 });
    const pid = h('input', { id: 'nc-idno', maxlength: 18, placeholder: t('enf.nc_idno_ph') });
    const pphone = h('input', { id: 'nc-phone', maxlength: 20, placeholder: t('enf.nc_phone_ph') });
    const parea = h('input', { id: 'nc-area', value: me.area_code, maxlength: 12 });
    const indiv = h('div', { class: 'grid2', hidden: true }, field(t('enf.nc_name'), pname), field(t('enf.nc_idno'), pid), field(t('enf.nc_phone'), pphone), field(t('enf.nc_area'), parea));
    const entBox = field(t('enf.nc_ent'), picker.el);
    let type = 'enterprise';
    function setType(v) {
      type = v;
      $$('button', ptype).forEach((b) => b.classList.toggle('active', b.dataset.v === v));
      indiv.hidden = v !== 'individual';
      entBox.hidden = v !== 'enterprise';
    }
    const title = h('input', { id: 'nc-title', maxlength: 300, placeholder: t('enf.nc_title_ph') });
    const matter = h('select', { id: 'nc-matter' }, h('option', { value: '' }, t('enf.nc_matter_pick')), ms.map((m) => h('option', { value: m.code, selected: m.code === params.get('matter') }, `${m.code} ${m.name}`)));
    matter.addEventListener('change', () => { const m = ms.find((x) => x.code === matter.value); if (m && !title.value) title.value = m.name; });
    if (matter.value && !title.value) { const m = ms.find((x) => x.code === matter.value); if (m) title.value = m.name; }
    const insp = h('input', { id: 'nc-inspection', type: 'number', min: 1, value: params.get('inspection') || '', placeholder: t('enf.nc_insp_ph') });
    const err = errP('nc-error');
    const form = h('form', { class: 'card form', id: 'new-case-form', novalidate: true },
      h('h3', null, t('enf.nc_heading'), h('small', null, t('enf.nc_heading_hint'))),
      field(t('enf.nc_party_type'), ptype), entBox, indiv,
      h('div', { class: 'grid2' }, field(t('enf.nc_matter'), matter), field(t('enf.nc_insp'), insp)),
      field(t('enf.nc_case_title'), title), err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'nc-submit' }, t('enf.nc_submit')), h('button', { type: 'button', class: 'secondary', onclick: () => { box.hidden = true; } }, t('common.cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = { matter_code: matter.value || undefined, title: title.value.trim() };
      if (type === 'enterprise') {
        if (!picker.value) { showError(err, new Error(t('enf.nc_pick_ent'))); return; }
        body.enterprise_id = picker.value.id;
      } else {
        body.party = { type: 'individual', name: pname.value.trim() };
        if (pid.value.trim()) body.party.id_number = pid.value.trim();
        if (pphone.value.trim()) body.party.phone = pphone.value.trim();
        body.area_code = parea.value.trim();
      }
      if (insp.value) body.inspection_id = Number(insp.value);
      try {
        const c = await api('POST', '/api/v1/cases', body);
        toast(t('enf.nc_created', { id: c.id }));
        go(`#case/${c.id}`);
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e, { values: body, fields: { enterprise_id: t('enf.nc_ent'), matter_code: t('enf.nc_matter'), inspection_id: t('enf.nc_insp'), title: t('enf.nc_case_title'), 'party.name': t('enf.nc_name'), 'party.id_number': t('enf.nc_idno'), 'party.phone': t('enf.nc_phone'), area_code: t('enf.nc_area') } });
      }
    });
    box.textContent = '';
    box.append(form);
  }

  // the fields each step asks for (the server checks them; its messages are shown)
  function actionFields(action, c, ms) {
    const m = ms.find((x) => x.code === c.matter_code);
    switch (action) {
      case 'notify': return [
        { name: 'facts', label: t('enf.af_facts'), type: 'textarea', rows: 4, value: c.facts || '' },
        { name: 'legal_basis', label: t('enf.af_basis'), type: 'textarea', rows: 2, value: c.legal_basis || (m ? m.legal_basis : '') },
        { name: 'fine_yuan', label: t('enf.af_fine'), type: 'number', value: c.fine_yuan || '', hint: t('enf.af_fine_hint') },
        { name: 'revocation', label: t('enf.af_revocation'), type: 'checkbox', value: c.revocation },
        { name: 'suspension', label: t('enf.af_suspension'), type: 'checkbox', value: c.suspension },
      ];
      case 'approve_review': return [
        { name: 'opinion', label: t('enf.af_opinion'), type: 'textarea', rows: 3, value: t('enf.af_opinion_default') },
        { name: 'adviser_opinion', label: t('enf.af_adviser'), type: 'textarea', rows: 2, optional: true },
      ];
      case 'reject_review': return [{ name: 'opinion', label: t('enf.af_reject'), type: 'textarea', rows: 3 }];
      case 'discuss': return [
        { name: 'conclusion', label: t('enf.af_conclusion'), type: 'textarea', rows: 3 },
        { name: 'participants', label: t('enf.af_participants'), type: 'textarea', rows: 3, list: true },
      ];
      case 'extend': return [
        { name: 'reason', label: t('enf.af_ext_reason'), type: 'textarea', rows: 2 },
        { name: 'days', label: t('enf.af_ext_days'), type: 'number', value: 30, int: true },
      ];
      case 'record_statement': return [
        { name: 'statement', label: t('enf.af_statement'), type: 'textarea', rows: 4 },
        { name: 'evidence_sha256', label: t('enf.af_statement_file'), type: 'file', optional: true },
      ];
      case 'waive': return [
        { name: 'statement', label: t('enf.af_waive_text'), type: 'textarea', rows: 3, value: t('enf.af_waive_default') },
        { name: 'evidence_sha256', label: t('enf.af_waive_file'), type: 'file' },
      ];
      case 'schedule_hearing': return [
        { name: 'at', label: t('enf.af_hearing_at'), type: 'datetime-local', hint: t('enf.af_hearing_at_hint') },
        { name: 'place', label: t('enf.af_hearing_place'), type: 'text' },
        { name: 'host', label: t('enf.af_hearing_host'), type: 'text' },
      ];
      case 'record_hearing': return [
        { name: 'summary', label: t('enf.af_hearing_summary'), type: 'textarea', rows: 4 },
        { name: 'transcript_sha256', label: t('enf.af_transcript'), type: 'file' },
      ];
      case 'serve': return [{ name: 'method', label: t('enf.af_method'), type: 'select', options: L.SERVE }];
      case 'record_payment': return [{ name: 'amount_yuan', label: t('enf.af_amount'), type: 'number', value: c.fine_yuan || '' }];
      case 'enforce': return [{ name: 'note', label: t('enf.af_enforce'), type: 'textarea', rows: 2 }];
      default: return [{ name: 'note', label: t('enf.af_note'), type: 'textarea', rows: 2, optional: true }];
    }
  }

  function actionForm(action, c, ms, onDone, onCancel) {
    const defs = actionFields(action, c, ms);
    const controls = {};
    const kids = defs.map((d) => {
      let el;
      if (d.type === 'textarea') el = h('textarea', { name: d.name, rows: d.rows || 2 }, d.value || '');
      else if (d.type === 'select') el = h('select', { name: d.name }, d.options.map((o) => h('option', { value: o }, o)));
      else if (d.type === 'file') el = h('input', { type: 'file', name: d.name, accept: 'image/*,application/pdf' });
      else if (d.type === 'text') el = h('input', { type: 'text', name: d.name, value: d.value ?? '', maxlength: 100 });
      else if (d.type === 'datetime-local') el = h('input', { type: 'datetime-local', name: d.name });
      else if (d.type === 'checkbox') {
        el = h('input', { type: 'checkbox', name: d.name, checked: !!d.value });
        controls[d.name] = { d, el };
        return h('label', { class: 'check' }, el, ` ${d.label}`);
      } else el = h('input', { type: d.type, name: d.name, value: d.value ?? '', step: d.int ? 1 : 0.01, min: 0 });
      controls[d.name] = { d, el };
      return field(d.label, el, d.hint);
    });
    const label = lbl('ACTION', action);
    const err = errP('action-error');
    const submit = h('button', { type: 'submit', class: 'primary', id: 'action-submit' }, t('enf.af_confirm', { action: label }));
    const form = h('form', { class: 'card form action-form', id: 'action-form', dataset: { action }, novalidate: true },
      h('h3', null, label), ...kids, err,
      h('div', { class: 'form-actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('common.cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = {};
      // files of the case first (a waiver, a hearing's record): the step names them by their SHA-256
      for (const [name, { d, el }] of Object.entries(controls)) {
        if (d.type !== 'file') continue;
        const file = el.files[0];
        if (!file) { if (!d.optional) { showError(err, new Error(t('enf.af_file_missing', { label: d.label }))); return; } continue; }
        submit.disabled = true;
        submit.textContent = t('enf.af_uploading', { name: file.name });
        try {
          body[name] = (await upload(`/api/v1/cases/${c.id}/evidence`, file)).sha256;
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e);
          submit.disabled = false;
          submit.textContent = t('enf.af_confirm', { action: label });
          return;
        }
      }
      submit.textContent = t('enf.af_confirm', { action: label });
      for (const [name, { d, el }] of Object.entries(controls)) {
        if (d.type === 'file') continue;
        if (d.type === 'checkbox') { if (el.checked) body[name] = true; continue; }
        if (d.type === 'datetime-local') { if (el.value) body[name] = `${el.value}:00+08:00`; continue; }
        const v = el.value.trim();
        if (!v && d.optional) continue;
        if (d.type === 'number') { if (v !== '') body[name] = Number(v); continue; }
        if (d.list) { body[name] = splitList(v); continue; }
        body[name] = v;
      }
      submit.disabled = true;
      try {
        const r = await api('POST', `/api/v1/cases/${c.id}/${action}`, body);
        toast(r.decision_no && action === 'decide' ? t('enf.af_done_no', { action: label, no: r.decision_no }) : t('enf.af_done', { action: label }));
        onDone(r);
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e, { values: body, hints: { participants: t('enf.af_participants_hint'), days: t('enf.af_days_hint') } });
        submit.disabled = false;
      }
    });
    return form;
  }

  function timelineData(ev) {
    const d = ev.data || {};
    const out = [];
    if (d.opinion) out.push([t('enf.tl_opinion'), d.opinion]);
    if (d.adviser_opinion) out.push([t('enf.tl_adviser'), d.adviser_opinion]);
    if (d.conclusion) out.push([t('enf.tl_conclusion'), d.conclusion]);
    if (d.participants) out.push([t('enf.tl_participants'), d.participants.join(t('common.list_sep'))]);
    if (d.decision_no) out.push([t('enf.tl_decision_no'), d.decision_no]);
    if (d.method) out.push([t('enf.tl_method'), d.method]);
    if (d.amount_yuan !== undefined) out.push([t('enf.tl_amount'), yuan(d.amount_yuan)]);
    if (d.days) out.push([t('enf.tl_days'), t('enf.tl_days_n', { n: d.days })]);
    if (Array.isArray(d.rights)) out.push([t('enf.tl_waived'), d.rights.map((r) => t(`enf.tl_right_${r}`)).join(t('common.list_sep'))]);
    else if (d.rights) out.push([t('enf.tl_rights'), t(d.rights.hearing ? 'enf.tl_rights_hearing' : 'enf.tl_rights_text')]);
    if (d.statement) out.push([t(Array.isArray(d.rights) ? 'enf.tl_waiver_statement' : 'enf.tl_statement'), d.statement]);
    if (d.at) out.push([t('enf.tl_hearing_at'), fmt(d.at)]);
    if (d.place) out.push([t('enf.tl_hearing_place'), d.place]);
    if (d.host) out.push([t('enf.tl_hearing_host'), d.host]);
    if (d.summary) out.push([t('enf.tl_summary'), d.summary]);
    if (d.authority) out.push([t('enf.tl_authority'), d.authority]);
    if (d.major !== undefined) out.push([t('enf.tl_kind'), t(d.major ? 'enf.major_case' : 'enf.general_case')]);
    return out;
  }

  function renderTimeline(c) {
    const items = [{ action: 'create', to: 'draft', at: c.created, by: '', note: '' }, ...(c.timeline || [])];
    return h('ol', { class: 'timeline', id: 'timeline' }, items.map((ev) => {
      const data = timelineData(ev);
      const note = ev.note && !data.some(([, v]) => v === ev.note) ? ev.note : '';
      return h('li', { class: `tl-item a-${ev.action}`, dataset: { action: ev.action } },
        h('time', null, fmt(ev.at)),
        h('div', { class: 'tl-body' },
          h('div', null, h('b', null, lbl('ACTION', ev.action)), ev.from ? h('span', { class: 'muted' }, ` ${lbl('CASE', ev.from)} → ${lbl('CASE', ev.to)}`) : null),
          ev.by ? h('div', { class: 'by' }, window.YJ.whoText({ display_name: ev.by, role: ev.role }).text) : null,
          note ? h('div', { class: 'note' }, note) : null,
          data.length ? h('dl', { class: 'kv small' }, data.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])) : null));
    }));
  }

  async function viewCase(id, _p, my) {
    const [c, ms] = await Promise.all([api('GET', `/api/v1/cases/${id}`), matters()]);
    if (my !== seq) return;
    const formBox = h('div', { id: 'action-box' });
    const err = errP('case-error');
    const rerender = () => route();
    const actions = h('div', { class: 'actions', id: 'case-actions' },
      c.allowed_actions.length ? h('span', { class: 'lbl' }, t('enf.can_do')) : h('span', { class: 'muted' }, t('enf.no_steps')),
      c.allowed_actions.map((a) => {
        const roles = [].concat(L.ACTION_ROLE[a] || []);
        const mineRole = roles.includes(me.role);
        const role = mineRole ? me.role : roles[0];
        return h('button', {
          type: 'button', class: `act act-${a}${mineRole ? '' : ' other'}`, dataset: { action: a }, disabled: !mineRole,
          title: mineRole ? '' : t('enf.done_by', { role: roleName(role) }),
          onclick: () => {
            showError(err, null);
            formBox.textContent = '';
            formBox.append(actionForm(a, c, ms, rerender, () => { formBox.textContent = ''; }));
            formBox.scrollIntoView({ block: 'nearest' });
          },
        }, lbl('ACTION', a), h('small', null, t('enf.by_role', { role: roleName(role) })));
      }),
      c.decision_no ? h('a', { class: 'btnlink pdf', id: 'decision-pdf', href: `/api/v1/cases/${c.id}/decision.pdf`, target: '_blank', rel: 'noopener' }, t('enf.decision_pdf')) : null);
    const gate = c.major && ['notified', 'hearing', 'legal_review', 'collective_discussion'].includes(c.state)
      ? h('p', { class: 'banner warn', id: 'major-gate' }, t('enf.major_gate')) : null;
    const late = c.deadline && !c.decided && Date.parse(c.deadline) < Date.now()
      ? h('p', { class: 'banner bad' }, t('enf.late', { t: fmt(c.deadline) }) + (c.extended ? t('enf.late_extended') : '') + t('enf.late_end')) : null;
    const proc = c.procedure || {};
    const waiting = proc.decide_from && !c.decided && proc.decide_from > localDay()
      ? h('p', { class: 'banner warn', id: 'periods-gate' }, t('enf.proc_wait', { d: proc.decide_from })) : null;
    const p = c.party || {};
    mount(h('section', { class: 'page', id: 'case', dataset: { id: c.id, state: c.state } },
      h('div', { class: 'card head' },
        h('div', { class: 'crumbs' }, h('a', { href: '#cases' }, t('enf.crumbs_cases')), ' › ', t('enf.case_n', { id: c.id })),
        h('div', { class: 'l1' }, chip('CASE', c.state), c.major ? h('span', { class: 'chip major' }, t('enf.major_case')) : null,
          c.hearing_right ? h('span', { class: 'tag' }, t('enf.hearing_right')) : null, c.decision_no ? h('span', { class: 'tag docno', id: 'decision-no' }, c.decision_no) : null),
        h('h2', { id: 'case-title' }, c.title),
        h('dl', { class: 'kv' },
          h('dt', null, t('enf.k_party')), h('dd', null, p.name, h('small', null, t(p.type === 'individual' ? 'enf.party_ind' : 'enf.party_org'))),
          h('dt', null, t('enf.k_matter')), h('dd', null, matterName(ms, c.matter_code)),
          h('dt', null, t('enf.k_facts')), h('dd', { class: 'pre' }, c.facts || t('common.none')),
          h('dt', null, t('enf.k_basis')), h('dd', { class: 'pre' }, c.legal_basis || t('common.none')),
          h('dt', null, t('enf.k_penalty')), h('dd', null, penaltyText(c)),
          h('dt', null, t('enf.k_filed')), h('dd', null, fmt(c.filed)),
          h('dt', null, t('enf.k_deadline')), h('dd', null, deadlineCell(c)),
          c.authority ? [h('dt', null, t('enf.k_authority')), h('dd', { id: 'case-authority' }, c.authority.name)] : null,
          c.inspection_id ? [h('dt', null, t('enf.k_inspection')), h('dd', null, h('a', { href: `#inspection/${c.inspection_id}` }, t('enf.insp_n', { id: c.inspection_id })))] : null,
          c.decided ? [h('dt', null, t('enf.k_decided')), h('dd', null, fmt(c.decided))] : null,
          c.served ? [h('dt', null, t('enf.k_served')), h('dd', null, fmt(c.served))] : null,
          c.paid_yuan !== null && c.paid_yuan !== undefined ? [h('dt', null, t('enf.k_paid')), h('dd', null, yuan(c.paid_yuan))] : null,
          c.executed ? [h('dt', null, t('enf.k_executed')), h('dd', null, fmt(c.executed))] : null,
          c.closed ? [h('dt', null, t('enf.k_closed')), h('dd', null, fmt(c.closed))] : null)),
      gate, late, waiting,
      h('div', { class: 'card' }, actions, err, formBox),
      proc.notified ? procedureCard(c, proc) : null,
      h('div', { class: 'card', id: 'case-evidence' }, h('h3', null, t('enf.case_evidence_title'), h('small', null, t('enf.case_evidence_hint'))),
        thumbs(c.evidence, { empty: t('enf.case_evidence_none') }),
        c.decided ? null : uploader({ id: 'case-upload', url: () => `/api/v1/cases/${c.id}/evidence`, done: async () => rerender(), label: t('enf.upload_case_file') })),
      h('div', { class: 'card' }, h('h3', null, t('enf.timeline_title'), h('small', null, t('enf.timeline_hint'))), renderTimeline(c))));
  }

  // today's local date (+08:00, the bureau's), "YYYY-MM-DD"
  const localDay = () => new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10);

  // 陈述申辩 and 听证: the periods after the notice and what the party did with its rights
  function procedureCard(c, proc) {
    const state = [];
    if (proc.statement_recorded) state.push(t('enf.proc_statement_recorded'));
    if (proc.statement_waived) state.push(t('enf.proc_waived_statement'));
    if (proc.hearing_waived) state.push(t('enf.proc_waived_hearing'));
    if (proc.hearing_requested) state.push(t('enf.proc_hearing_requested'));
    if (proc.hearing_at) state.push(t('enf.proc_hearing_at', { t: fmt(proc.hearing_at) }));
    if (proc.hearing_recorded) state.push(t('enf.proc_hearing_recorded'));
    return h('div', { class: 'card', id: 'case-procedure' }, h('h3', null, t('enf.proc_title'), h('small', null, t('enf.proc_hint'))),
      h('dl', { class: 'kv' },
        h('dt', null, t('enf.proc_notified')), h('dd', null, fmt(proc.notified, { date: true })),
        h('dt', null, t('enf.proc_statement')), h('dd', { id: 'proc-statement' }, t('enf.proc_statement_v', { n: proc.statement_days, d: proc.statement_ends })),
        proc.hearing_request_ends ? [h('dt', null, t('enf.proc_hearing')), h('dd', { id: 'proc-hearing' }, t('enf.proc_hearing_v', { d: proc.hearing_request_ends }))] : null,
        c.decided ? null : [h('dt', null, t('enf.proc_decide_from')), h('dd', { id: 'proc-decide-from' }, proc.decide_from ? t('enf.proc_decide_from_v', { d: proc.decide_from }) : t('enf.proc_decide_now'))],
        state.length ? [h('dt', null, t('enf.proc_state')), h('dd', null, state.join(t('common.list_sep')))] : null));
  }

  // ---- legal review queue ---------------------------------------------------------------------------------

  async function viewReview(_params, _p, my) {
    const list = h('div', { id: 'review-list' }, h('p', { class: 'muted' }, t('common.loading')));
    mount(h('section', { class: 'page', id: 'review' },
      h('div', { class: 'page-head' }, h('h2', null, t('enf.review_title'), h('small', null, t('enf.review_hint')))), list));
    const [r, ms] = await Promise.all([api('GET', '/api/v1/legal-review/queue?limit=200'), matters()]);
    if (my !== seq) return;
    setReviewCount(r.items.length);
    list.textContent = '';
    if (!r.items.length) { list.append(h('p', { class: 'empty' }, t('enf.review_none'))); return; }
    const full = await Promise.all(r.items.map((c) => api('GET', `/api/v1/cases/${c.id}`).catch(() => c)));
    if (my !== seq) return;
    for (const c of full) list.append(reviewCard(c, ms));
  }

  function reviewCard(c, ms) {
    const opinion = h('textarea', { class: 'rv-opinion', rows: 3, placeholder: t('enf.rv_opinion_ph') });
    const adviser = h('textarea', { class: 'rv-adviser', rows: 2, placeholder: t('enf.rv_adviser_ph') });
    const err = h('p', { class: 'error rv-error', role: 'alert', hidden: true });
    const reviewer = me.role === 'legal_reviewer';
    const decide = async (action) => {
      showError(err, null);
      const body = { opinion: opinion.value.trim() };
      if (adviser.value.trim()) body.adviser_opinion = adviser.value.trim();
      try {
        const r = await api('POST', `/api/v1/cases/${c.id}/${action}`, body);
        toast(action === 'approve_review' ? t('enf.rv_approved', { id: c.id }) + (r.state === 'collective_discussion' ? t('enf.rv_to_discussion') : '') : t('enf.rv_rejected', { id: c.id }));
        route();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e, { values: body, fields: { opinion: t('enf.tl_opinion'), adviser_opinion: t('enf.tl_adviser') } });
      }
    };
    const submitted = (c.timeline || []).filter((ev) => ev.action === 'submit_review').pop();
    return h('article', { class: 'card rv-card', dataset: { id: c.id } },
      h('div', { class: 'l1' }, h('a', { href: `#case/${c.id}` }, t('enf.case_n', { id: c.id })), c.major ? h('span', { class: 'chip major' }, t('enf.major_case')) : h('span', { class: 'tag' }, t('enf.general_case')),
        c.hearing_right ? h('span', { class: 'tag' }, (c.timeline || []).some((ev) => ev.action === 'request_hearing') ? t('enf.heard') : t('enf.hearing_right')) : null,
        submitted ? h('span', { class: 'muted' }, t('enf.rv_submitted', { by: submitted.by, t: fmt(submitted.at) })) : null),
      h('h3', null, c.title),
      h('dl', { class: 'kv' },
        h('dt', null, t('enf.k_party')), h('dd', null, c.party && c.party.name),
        h('dt', null, t('enf.k_matter')), h('dd', null, matterName(ms, c.matter_code)),
        h('dt', null, t('enf.k_facts')), h('dd', { class: 'pre' }, c.facts || t('common.none')),
        h('dt', null, t('enf.k_basis')), h('dd', { class: 'pre' }, c.legal_basis || t('common.none')),
        h('dt', null, t('enf.k_penalty_planned')), h('dd', null, penaltyText(c)),
        h('dt', null, t('enf.k_deadline')), h('dd', null, deadlineCell(c))),
      reviewer ? h('div', { class: 'rv-form' }, opinion, adviser,
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'ok rv-approve', onclick: () => decide('approve_review') }, t('enf.rv_approve')),
          h('button', { type: 'button', class: 'warnbtn rv-reject', onclick: () => decide('reject_review') }, t('enf.rv_reject')),
          h('a', { class: 'btnlink', href: `#case/${c.id}` }, t('enf.rv_open'))), err)
        : h('p', { class: 'muted' }, t('enf.rv_by_reviewer')));
  }

  function setReviewCount(n) {
    const b = $('#review-count');
    b.textContent = n;
    b.hidden = !n;
  }

  // ---- draws -------------------------------------------------------------------------------------------

  async function viewDraws(_params, _p, my) {
    const plansBox = h('div', { id: 'plans' }, h('p', { class: 'muted' }, t('common.loading')));
    const drawsBox = h('div', { id: 'draws' });
    const formBox = h('div', { id: 'new-plan-box', hidden: true });
    mount(h('section', { class: 'page', id: 'draws-page' },
      h('div', { class: 'page-head' }, h('h2', null, t('enf.draws_title'), h('small', null, t('enf.draws_hint'))),
        isInspector() ? h('button', { type: 'button', class: 'primary', id: 'new-plan', onclick: () => { formBox.hidden = !formBox.hidden; } }, t('enf.new_plan')) : null),
      formBox,
      h('div', { class: 'card' }, h('h3', null, t('enf.plans_title')), plansBox),
      h('div', { class: 'card' }, h('h3', null, t('enf.draws_list_title'), h('small', null, t('enf.draws_list_hint'))), drawsBox)));
    const [plans, draws] = await Promise.all([api('GET', '/api/v1/inspection-plans?limit=200'), api('GET', '/api/v1/draws?limit=200')]);
    if (my !== seq) return;
    if (isInspector()) formBox.append(planForm());
    const drawOf = new Map(draws.items.map((d) => [d.plan_id, d]));
    plansBox.textContent = '';
    if (!plans.items.length) plansBox.append(h('p', { class: 'empty' }, t('enf.plans_none')));
    else plansBox.append(h('table', { class: 'data', id: 'plan-table' },
      h('thead', null, h('tr', null, ['pcol_no', 'pcol_name', 'pcol_year', 'pcol_sectors', 'pcol_area', 'pcol_count', 'pcol_per', 'pcol_state', null].map((k) => (k ? t(`enf.${k}`) : '')).map((x) => h('th', null, x)))),
      h('tbody', null, plans.items.map((p) => {
        const d = drawOf.get(p.id);
        const err = h('span', { class: 'error' });
        const btn = p.state === 'ready' && me.role === 'commander'
          ? h('button', { type: 'button', class: 'primary small draw-btn', dataset: { plan: p.id }, onclick: async () => {
            err.textContent = '';
            try { const r = await api('POST', `/api/v1/inspection-plans/${p.id}/draw`); toast(t('enf.drawn_n', { n: r.count })); go(`#draw/${r.id}`); } catch (e) { if (e.status === 401) return toLogin(); showError(err, e); }
          } }, t('enf.draw_btn')) : null;
        return h('tr', { dataset: { id: p.id, state: p.state } },
          h('td', { class: 'n' }, `#${p.id}`), h('td', { class: 'wrap' }, p.name), h('td', null, p.year),
          h('td', null, (p.sectors || []).map((s) => lbl('SECTOR', s)).join(t('common.list_sep')) || t('enf.sectors_all')),
          h('td', null, p.area_code),
          h('td', null, p.count ? t('unit.families', { n: p.count }) : `${Math.round(p.ratio * 1000) / 10}%`),
          h('td', null, p.inspectors_per),
          h('td', null, chip('PLAN', p.state)),
          h('td', null, d ? h('a', { href: `#draw/${d.id}` }, t('enf.draw_link', { id: d.id })) : btn || (p.state === 'ready' ? h('span', { class: 'muted' }, t('enf.wait_commander')) : ''), err));
      }))));
    drawsBox.textContent = '';
    if (!draws.items.length) drawsBox.append(h('p', { class: 'empty' }, t('enf.draws_none')));
    else drawsBox.append(h('table', { class: 'data', id: 'draw-table' },
      h('thead', null, h('tr', null, ['dcol_no', 'dcol_plan', 'dcol_year', 'dcol_time', 'dcol_count', 'dcol_seed'].map((k) => t(`enf.${k}`)).map((x) => h('th', null, x)))),
      h('tbody', null, draws.items.map((d) => h('tr', { class: 'clickable', dataset: { id: d.id }, onclick: () => go(`#draw/${d.id}`) },
        h('td', { class: 'n' }, `#${d.id}`), h('td', null, h('a', { href: `#draw/${d.id}` }, d.plan_name)), h('td', null, d.year),
        h('td', null, fmt(d.drawn)), h('td', { class: 'n' }, d.count), h('td', null, h('code', null, `${d.seed.slice(0, 16)}…`)))))));
  }

  function planForm() {
    const name = h('input', { id: 'np-name', maxlength: 200, placeholder: t('enf.np_name_ph', { year: new Date().getFullYear() }) });
    const year = h('input', { id: 'np-year', type: 'number', value: new Date().getFullYear(), min: 2000, max: 2100 });
    const area = h('input', { id: 'np-area', value: me.area_code, maxlength: 12 });
    const sectors = h('div', { class: 'checks', id: 'np-sectors' }, Object.entries(L.SECTOR).map(([v, label]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: v }), ` ${label}`)));
    let mode = 'count';
    const amount = h('input', { id: 'np-amount', type: 'number', value: 5, min: 1 });
    const modeSeg = seg([['count', t('enf.np_by_count')], ['ratio', t('enf.np_by_ratio')]], 'count', (v) => { mode = v; $$('button', modeSeg).forEach((b) => b.classList.toggle('active', b.dataset.v === v)); amount.value = v === 'count' ? 5 : 10; }, 'np-mode');
    const per = h('input', { id: 'np-per', type: 'number', value: 2, min: 2, max: 10 });
    const err = errP('np-error');
    const form = h('form', { class: 'card form', id: 'plan-form', novalidate: true },
      h('h3', null, t('enf.np_title'), h('small', null, t('enf.np_hint'))),
      h('div', { class: 'grid3' }, field(t('enf.np_name'), name), field(t('enf.np_year'), year), field(t('enf.np_area'), area)),
      field(t('enf.np_sectors'), sectors),
      h('div', { class: 'grid3' }, field(t('enf.np_mode'), modeSeg), field(t('enf.np_amount'), amount), field(t('enf.np_per'), per)),
      err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'np-submit' }, t('enf.np_submit'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = { name: name.value.trim(), year: Number(year.value), area_code: area.value.trim(), inspectors_per: Number(per.value) };
      const secs = $$('input:checked', sectors).map((x) => x.value);
      if (secs.length) body.sectors = secs;
      if (mode === 'count') body.count = Number(amount.value); else body.ratio = Number(amount.value) / 100;
      try {
        await api('POST', '/api/v1/inspection-plans', body);
        toast(t('enf.np_created'));
        route();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e, { values: body, fields: { name: t('enf.np_name'), year: t('enf.np_year'), area_code: t('enf.np_area'), sectors: t('enf.np_sectors'), count: t('enf.np_amount'), ratio: t('enf.np_amount'), inspectors_per: t('enf.np_per') } });
      }
    });
    return form;
  }

  function verifyBox(id) {
    const out = h('div', { id: 'verify-result', 'aria-live': 'polite' });
    const btn = h('button', { type: 'button', class: 'primary', id: 'verify-btn' }, t('enf.verify_btn'));
    btn.addEventListener('click', async () => {
      out.textContent = t('enf.verifying');
      out.className = '';
      try {
        const v = await api('GET', `/api/v1/draws/${id}/verify`);
        out.textContent = '';
        out.className = v.verified ? 'vr ok' : 'vr bad';
        out.dataset.verified = String(v.verified);
        const flag = (ok, text) => h('li', { class: ok ? 'ok' : 'bad' }, `${ok ? '✓' : '✗'} ${text}`);
        // the three checks, then the server's reasons (Chinese) for what failed
        put(out, h('b', null, t(v.verified ? 'enf.verified_ok' : 'enf.verified_bad')),
          h('ul', null, flag(v.enterprise_pool_ok, t('enf.v_ent_pool')), flag(v.inspector_pool_ok, t('enf.v_ins_pool')),
            flag(v.result_ok, t('enf.v_result'))),
          v.reasons && v.reasons.length ? h('ul', { class: 'reasons', id: 'verify-reasons' }, v.reasons.map((r) => h('li', null, r))) : null);
      } catch (e) {
        out.className = 'vr bad';
        out.textContent = t('enf.verify_failed', { msg: e.message });
      }
    });
    return h('div', { class: 'verify' }, btn, out);
  }

  async function viewDraw(id, _p, my) {
    const [d, pub] = await Promise.all([api('GET', `/api/v1/draws/${id}`), api('GET', `/api/v1/public/draws/${id}`).catch(() => null)]);
    if (my !== seq) return;
    const mono = (s) => h('code', { class: 'hash' }, s);
    mount(h('section', { class: 'page', id: 'draw', dataset: { id: d.id } },
      h('div', { class: 'card head' },
        h('div', { class: 'crumbs' }, h('a', { href: '#draws' }, t('enf.crumbs_draws')), ' › ', t('enf.draw_n', { id: d.id })),
        h('h2', null, d.plan_name),
        h('dl', { class: 'kv' },
          h('dt', null, t('enf.k_year')), h('dd', null, d.year),
          h('dt', null, t('enf.k_drawn')), h('dd', null, fmt(d.drawn)),
          h('dt', null, t('enf.k_area')), h('dd', null, d.area_code),
          h('dt', null, t('enf.k_algorithm')), h('dd', null, mono(d.algorithm)),
          h('dt', null, t('enf.k_seed')), h('dd', { id: 'draw-seed' }, mono(d.seed)),
          h('dt', null, t('enf.k_ent_digest')), h('dd', null, mono(d.enterprise_pool_digest), h('small', null, t('enf.digest_ent', { n: (d.enterprise_pool || []).length }))),
          h('dt', null, t('enf.k_ins_digest')), h('dd', null, mono(d.inspector_pool_digest), h('small', null, t('enf.digest_ins', { n: (d.inspector_pool || []).length }))),
          h('dt', null, t('enf.k_per')), h('dd', null, d.inspectors_per)),
        verifyBox(d.id)),
      h('div', { class: 'card' }, h('h3', null, t('enf.result_title'), h('small', null, t('enf.result_hint', { n: d.count }))),
        h('table', { class: 'data', id: 'draw-result' },
          h('thead', null, h('tr', null, ['rcol_no', 'rcol_ent', 'rcol_credit', 'rcol_inspectors'].map((k) => t(`enf.${k}`)).map((x) => h('th', null, x)))),
          h('tbody', null, d.result.map((r, i) => h('tr', null, h('td', { class: 'n' }, i + 1), h('td', null, r.enterprise), h('td', null, r.credit_code),
            h('td', null, (r.inspector_names || []).map((n) => `${n.name}${n.cert_no ? ` (${n.cert_no})` : ''}`).join('、'))))))),
      h('div', { class: 'card' }, h('h3', null, t('enf.howto_title')),
        t('draw_howto.steps').map((x) => h('p', { class: 'muted' }, x)),
        h('p', { class: 'howto' }, t('draw_howto.algorithm_label'), t('draw_howto.algorithm')),
        pub && pub.how_to_verify ? h('p', { class: 'howto howto-server', id: 'howto-server' }, pub.how_to_verify) : null,
        pub && pub.how_to_verify_technical ? h('details', { class: 'howto-technical' }, h('summary', null, t('draw_howto.technical_text')), h('p', { class: 'howto', lang: 'en' }, pub.how_to_verify_technical)) : null,
        h('details', null, h('summary', null, t('enf.pool_ent', { n: (d.enterprise_pool || []).length })), h('pre', { class: 'json' }, JSON.stringify(d.enterprise_pool, null, 1))),
        h('details', null, h('summary', null, t('enf.pool_ins', { n: (d.inspector_pool || []).length })), h('pre', { class: 'json' }, JSON.stringify(d.inspector_pool, null, 1))),
        h('p', null, h('a', { href: `/publicity.html#draw-${d.id}`, target: '_blank', rel: 'noopener' }, t('enf.on_publicity'))))));
  }

  // ---- start ---------------------------------------------------------------------------------------------

  async function init() {
    try {
      me = await api('GET', '/api/v1/me');
    } catch (e) {
      if (e.status === 401) return toLogin();
      mount(h('p', { class: 'error pad' }, window.I18N.errorNode(e)));
      return;
    }
    if (me.role === 'enterprise') return location.replace('/enterprise.html');
    if (me.role === 'grid_worker') return location.replace('/gw.html');
    window.YJ.showWho(me);
    for (const a of $$('#tabs a')) a.hidden = !can(a.dataset.tab);
    $('#logout').addEventListener('click', logout);
    window.addEventListener('hashchange', route);
    route();
    if (can('review') && location.hash.replace(/^#/, '').split('?')[0] !== 'review') {
      api('GET', '/api/v1/legal-review/queue?limit=200').then((r) => setReviewCount(r.items.length)).catch(() => {});
    }
  }

  init();
})();
