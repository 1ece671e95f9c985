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
  const { L, lbl, chip, fmt, yuan, deadlineInfo, thumbs, uploader, showError, endOfDay, dateIn, localNow, logout } = window.ENF;
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
    const t = $('#toast');
    t.textContent = msg;
    t.className = kind;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 3500);
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
    const input = h('input', { id, type: 'search', placeholder: '输入企业名称或信用代码搜索…', autocomplete: 'off' });
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
        if (!r.items.length) list.append(h('li', { class: 'muted' }, '没有找到'));
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
    if (!fn) { mount(h('p', { class: 'pad' }, '没有这个页面。')); return; }
    try {
      await fn(id ? Number(id) : params, params, my);
    } catch (err) {
      if (err.status === 401) return toLogin();
      if (my !== seq) return;
      mount(h('section', { class: 'page' }, h('p', { class: 'error banner', role: 'alert' }, `无法加载: ${err.message}`)));
    }
  }

  // ---- 检查任务 ------------------------------------------------------------------------------------------

  function inspectorsCell(list) {
    return h('span', { class: 'members' }, (list || []).map((m) => h('span', { class: m.confirmed ? 'ok' : '', title: m.confirmed ? `已确认 ${fmt(m.confirmed)}` : '待确认' }, `${m.confirmed ? '✓' : '○'} ${m.name}`)));
  }

  async function viewTasks(params, _p, my) {
    const state = params.get('state') || '';
    const box = h('div', { id: 'new-inspection-box', hidden: true });
    const body = h('div', { class: 'tbl-box' }, h('p', { class: 'muted' }, '加载中…'));
    mount(h('section', { class: 'page', id: 'tasks' },
      h('div', { class: 'page-head' },
        h('h2', null, '我的检查任务 ', h('small', null, 'My inspections')),
        seg([['', '全部'], ['assigned', '待检查'], ['recorded', '待确认'], ['confirmed', '已确认']], state, (v) => go(v ? `#tasks?state=${v}` : '#tasks'), 'task-filter'),
        isInspector() ? h('button', { id: 'new-inspection', type: 'button', class: 'primary', onclick: () => { box.hidden = !box.hidden; } }, '+ 新建检查') : null),
      box, body));
    const qs = new URLSearchParams({ mine: '1', limit: '200' });
    if (state) qs.set('state', state);
    const [r, ms] = await Promise.all([api('GET', `/api/v1/inspections?${qs}`), matters()]);
    if (my !== seq) return;
    if (isInspector()) buildNewInspection(box, r.items);
    body.textContent = '';
    if (!r.items.length) {
      body.append(h('p', { class: 'empty' }, state ? '没有这个状态的检查任务。' : '暂无检查任务。双随机抽取后自动派发给抽中的检查人员, 也可以新建专项检查。'));
      return;
    }
    body.append(h('table', { class: 'data', id: 'task-table' },
      h('thead', null, h('tr', null, ['编号', '被检查单位', '类型', '事由 / 执法事项', '状态', '检查人员', '检查时间'].map((t) => h('th', null, t)))),
      h('tbody', null, r.items.map((i) => h('tr', { class: 'clickable', dataset: { id: i.id, state: i.state }, onclick: () => go(`#inspection/${i.id}`) },
        h('td', { class: 'n' }, `#${i.id}`),
        h('td', null, h('a', { href: `#inspection/${i.id}` }, i.enterprise)),
        h('td', null, lbl('KIND', i.kind)),
        h('td', { class: 'wrap' }, [i.reason ? lbl('REASON', i.reason) : null, i.matter_code ? matterName(ms, i.matter_code) : null].filter(Boolean).join(' · ') || '—'),
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
    const kind = h('select', { id: 'ni-kind' }, h('option', { value: 'adhoc' }, '专项检查 (投诉举报、事故、专项行动)'), h('option', { value: 'expert' }, '专家指导服务'));
    const reason = h('select', { id: 'ni-reason' }, Object.entries({ complaint: '投诉举报', accident: '事故调查', campaign: '专项行动' }).map(([v, t]) => h('option', { value: v }, t)));
    const matter = h('select', { id: 'ni-matter' }, h('option', { value: '' }, '— 不指定 —'), ms.map((m) => h('option', { value: m.code }, `${m.code} ${m.name}`)));
    const ids = h('input', { id: 'ni-ids', placeholder: '其他检查人员的用户编号, 逗号分隔', inputmode: 'numeric' });
    const checks = h('div', { class: 'checks', id: 'ni-colleagues' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', value: me.id, checked: true }), ` ${me.display_name || me.username} (本人)`),
      colleagues.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: c.id }), ` ${c.name}`, c.cert_no ? h('small', null, ` 证号 ${c.cert_no}`) : null)));
    const err = errP('ni-error');
    kind.addEventListener('change', () => { reason.disabled = kind.value !== 'adhoc'; });
    const form = h('form', { class: 'card form', id: 'new-inspection-form', novalidate: true },
      h('h3', null, '新建检查 ', h('small', null, '至少两名持执法证人员 (专家指导服务: 专家)')),
      field('被检查单位', picker.el),
      h('div', { class: 'grid3' }, field('检查类型', kind), field('检查事由', reason), field('执法事项', matter)),
      field('检查人员', checks, '没有列出的同事: 在下面填写用户编号'),
      ids, err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'ni-submit' }, '创建检查任务'), h('button', { type: 'button', class: 'secondary', onclick: () => { box.hidden = true; } }, '取消')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      if (!picker.value) { showError(err, new Error('请选择被检查单位')); return; }
      const members = $$('input[type=checkbox]:checked', checks).map((c) => Number(c.value));
      for (const x of ids.value.split(/[\s,，]+/).filter(Boolean)) if (/^\d+$/.test(x) && !members.includes(Number(x))) members.push(Number(x));
      const body = { enterprise_id: picker.value.id, kind: kind.value, inspectors: members };
      if (kind.value === 'adhoc') body.reason = reason.value;
      if (matter.value) body.matter_code = matter.value;
      try {
        const r = await api('POST', '/api/v1/inspections', body);
        toast(`已创建检查 #${r.id}`);
        go(`#inspection/${r.id}`);
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e);
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
    const templates = await Promise.all(sectors.map((s) => api('GET', `/api/v1/checklists/${encodeURIComponent(s)}`).then((t) => ({ sector: s, items: t.items || [] })).catch(() => ({ sector: s, items: [] }))));
    if (my !== seq) return;

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
        h('div', { class: 'crumbs' }, h('a', { href: '#tasks' }, '检查任务'), ' › ', `检查 #${insp.id}`),
        h('div', { class: 'l1' }, chip('INSPECTION', insp.state), h('span', { class: 'tag' }, lbl('KIND', insp.kind)),
          insp.reason ? h('span', { class: 'tag' }, lbl('REASON', insp.reason)) : null,
          insp.matter_code ? h('span', { class: 'tag', title: '执法事项' }, matterName(ms, insp.matter_code)) : null,
          insp.draw_id ? h('a', { class: 'tag', href: `#draw/${insp.draw_id}` }, `双随机抽取 #${insp.draw_id}`) : null),
        h('h2', null, insp.enterprise),
        ent ? h('dl', { class: 'kv' },
          h('dt', null, '信用代码'), h('dd', null, ent.credit_code || '—'),
          h('dt', null, '行业领域'), h('dd', null, (ent.sectors || []).map((s) => lbl('SECTOR', s)).join('、') || '—'),
          h('dt', null, '风险等级'), h('dd', null, lbl('RISK', ent.risk_grade)),
          h('dt', null, '主要负责人'), h('dd', null, ent.principal || '—'),
          h('dt', null, '联系人'), h('dd', null, [ent.contact, ent.phone].filter(Boolean).join(' ') || '—'),
          h('dt', null, '地址'), h('dd', null, ent.address || '—')) : null);
    }

    function renderConfirm() {
      confirmBox.textContent = '';
      const mine = insp.inspectors.find((m) => m.id === me.id);
      const btn = h('button', { type: 'button', id: 'confirm-btn', class: 'primary', disabled: !mine || !!(mine && mine.confirmed) || insp.state !== 'recorded' }, mine && mine.confirmed ? '您已确认' : '确认检查记录');
      const err = errP('confirm-error');
      btn.addEventListener('click', async () => {
        showError(err, null);
        btn.disabled = true;
        try {
          insp = await api('POST', `/api/v1/inspections/${insp.id}/confirm`);
          toast(insp.state === 'confirmed' ? '检查记录已由全体检查人员确认' : '已确认, 等待其他检查人员确认');
          refreshAll();
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e);
          btn.disabled = false;
        }
      });
      const done = insp.inspectors.filter((m) => m.confirmed).length;
      put(confirmBox,
        h('h3', null, '检查人员确认 ', h('small', null, `${done}/${insp.inspectors.length} 已确认 · 全体确认后记录生效且不可修改`)),
        h('ul', { class: 'confirm-list', id: 'confirm-list' }, insp.inspectors.map((m) => h('li', { class: m.confirmed ? 'ok' : 'wait', dataset: { user: m.username } },
          h('span', { class: 'mark' }, m.confirmed ? '✓' : '○'), h('b', null, m.name), m.cert_no ? h('small', null, ` 执法证 ${m.cert_no}`) : null,
          h('span', { class: 'when' }, m.confirmed ? `已确认 ${fmt(m.confirmed)}` : '待确认')))),
        locked() ? h('p', { class: 'banner ok', id: 'locked-note' }, '✓ 检查记录已由全体检查人员确认, 不可再修改。') : h('div', { class: 'row' }, btn,
          h('small', { class: 'hint' }, !mine ? '您不是本次检查的检查人员' : insp.state === 'assigned' ? '先填写并保存检查记录, 再确认' : '确认即表示您核对过检查记录和照片')),
        err);
    }

    function renderEvidence() {
      evBox.textContent = '';
      evBox.append(thumbs(insp.evidence, { empty: '暂无现场照片' }));
      if (isInspector() && !locked()) {
        evBox.append(uploader({ id: 'evidence-file', url: () => `/api/v1/inspections/${insp.id}/evidence`, label: '上传现场照片 / 执法记录', done: refreshInsp }));
      } else if (locked()) {
        evBox.append(h('p', { class: 'muted' }, '记录已确认: 证据在确认前上传。'));
      }
    }

    function renderHazards() {
      hzList.textContent = '';
      const mine = hz.items.filter((x) => x.inspection_id === insp.id);
      if (!mine.length) hzList.append(h('p', { class: 'muted' }, '本次检查尚未登记隐患。'));
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
    for (const t of templates) {
      if (!t.items.length) continue;
      rows.push({ group: `${lbl('SECTOR', t.sector)} 检查表` });
      for (const it of t.items) { if (seen.has(it.item)) continue; seen.add(it.item); rows.push({ item: it.item, basis: it.basis }); }
    }
    const extra = [...recorded.keys()].filter((k) => !seen.has(k));
    if (extra.length) { rows.push({ group: '其他检查项' }); for (const k of extra) rows.push({ item: k }); }
    const tbody = h('tbody', null);
    let n = 0;
    const addRow = (r) => {
      if (r.group) { tbody.append(h('tr', { class: 'group' }, h('td', { colspan: 3 }, r.group))); return; }
      const k = n++;
      const cur = recorded.get(r.item) || {};
      const itemCell = r.custom ? h('input', { class: 'ck-item-input', placeholder: '检查项内容', value: r.item || '' }) : h('span', null, r.item, r.basis ? h('small', { class: 'basis' }, ` ${r.basis}`) : null);
      tbody.append(h('tr', { class: 'ck-row', dataset: { item: r.item || '', k } },
        h('td', { class: 'ck-item' }, itemCell),
        h('td', { class: 'ck-res' }, ['ok', 'problem', 'na'].map((v) => h('label', { class: `rb rb-${v}` },
          h('input', { type: 'radio', name: `ck-${k}`, value: v, checked: cur.result === v }), h('span', null, L.RESULT[v])))),
        h('td', null, h('input', { class: 'ck-note', placeholder: '说明 (存在问题时写明情况)', value: cur.note || '', maxlength: 500 }))));
    };
    rows.forEach(addRow);
    if (!rows.length) tbody.append(h('tr', { class: 'group' }, h('td', { colspan: 3 }, '该行业暂无检查表模板: 用“增加检查项”逐项填写')));
    const place = h('input', { id: 'rec-place', value: insp.place || '', maxlength: 300, placeholder: '如: 储罐区、仓库、生产车间' });
    const when = h('input', { id: 'rec-time', type: 'datetime-local', value: insp.inspected ? insp.inspected.slice(0, 16) : localNow() });
    const findings = h('textarea', { id: 'rec-findings', rows: 3, maxlength: 20000, placeholder: '检查发现的主要问题' }, insp.findings || '');
    const answered = insp.kind === 'duty_check'
      ? h('select', { id: 'rec-answered' }, h('option', { value: '' }, '—'), h('option', { value: 'true', selected: insp.answered === true }, '已应答'), h('option', { value: 'false', selected: insp.answered === false }, '未应答'))
      : null;
    const save = h('button', { type: 'submit', class: 'primary', id: 'rec-save' }, '保存检查记录');
    const fs = h('fieldset', { id: 'record-fields' },
      h('div', { class: 'grid2' }, field('检查地点', place), field('检查时间', when)),
      answered ? field('值班人员应答', answered) : null,
      h('table', { class: 'data checklist', id: 'checklist' },
        h('thead', null, h('tr', null, h('th', null, '检查项'), h('th', null, '检查结果'), h('th', null, '说明'))), tbody),
      h('button', { type: 'button', class: 'link', id: 'ck-add', onclick: () => addRow({ item: '', custom: true }) }, '+ 增加检查项'),
      field('检查发现', findings),
      h('div', { class: 'form-actions' }, save, h('small', { class: 'hint', id: 'rec-hint' }, '保存后, 已作出的确认需重新确认')),
      recErr);
    const recForm = h('form', { class: 'card form', id: 'record-form', novalidate: true }, h('h3', null, '检查记录 ', h('small', null, '逐项填写: 符合 / 存在问题 / 不适用')), fs);
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
        toast(missing ? `已保存 (${missing} 项未填写结果)` : '检查记录已保存, 请全体检查人员确认');
        renderHead();
        renderConfirm();
        renderEvidence();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(recErr, e);
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
          h('div', { class: 'card' }, h('h3', null, '现场照片与证据 ', h('small', null, '按内容识别类型, 以 SHA-256 存证')), evBox),
          h('div', { class: 'card', id: 'hazard-box' }, h('h3', null, '发现的隐患 ', h('small', null, '整改期限到期未整改的自动标记逾期')), hzList, hzForm)),
        h('div', { class: 'col-side' },
          confirmBox,
          isInspector() ? h('div', { class: 'card' }, h('h3', null, '后续处理'),
            h('a', { class: 'btnlink', id: 'to-case', href: `#cases?new=1&enterprise=${insp.enterprise_id}&inspection=${insp.id}${insp.matter_code ? `&matter=${insp.matter_code}` : ''}` }, '发现违法行为: 立案处罚 →')) : null))));
  }

  function buildHazardForm(insp, ms, done) {
    if (!isInspector() || !insp.inspectors.some((m) => m.id === me.id)) return h('p', { class: 'muted' }, '隐患由本次检查的检查人员登记。');
    const bases = [...new Set(ms.map((m) => m.legal_basis))];
    const dl = h('datalist', { id: 'basis-list' }, bases.map((b) => h('option', { value: b })));
    const deadline = h('input', { id: 'hz-deadline', type: 'date', value: dateIn(7), min: dateIn(0) });
    let touched = false;
    deadline.addEventListener('change', () => { touched = true; });
    const levels = h('div', { class: 'levels', id: 'hz-level' }, ['general', 'major'].map((v) => h('label', { class: `lvopt lv-${v}` },
      h('input', { type: 'radio', name: 'hz-level', value: v, checked: v === 'general', onchange: () => { if (!touched) deadline.value = dateIn(v === 'major' ? 30 : 7); } }), h('span', null, L.LEVEL[v]))));
    const desc = h('textarea', { id: 'hz-desc', rows: 2, maxlength: 4000, placeholder: '隐患描述: 位置、情况' });
    const basis = h('input', { id: 'hz-basis', list: 'basis-list', maxlength: 2000, placeholder: '如: 《中华人民共和国安全生产法》第三十六条' });
    const err = errP('hz-error');
    const form = h('form', { class: 'sub-form', id: 'hazard-form', novalidate: true },
      h('h4', null, '+ 登记隐患'),
      h('div', { class: 'grid2' }, field('隐患等级', levels), field('整改期限', deadline)),
      field('隐患描述', desc), field('依据', basis), dl, err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'hz-submit' }, '登记隐患并下达整改')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = { level: $('input[name=hz-level]:checked', form).value, description: desc.value.trim(), deadline: endOfDay(deadline.value) };
      if (basis.value.trim()) body.legal_basis = basis.value.trim();
      if (!body.deadline) delete body.deadline;
      try {
        const r = await api('POST', `/api/v1/inspections/${insp.id}/hazards`, body);
        toast(`已登记隐患 #${r.id}, 企业可在企业端提交整改`);
        desc.value = '';
        basis.value = '';
        await done();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e);
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
      h('div', { class: 'l1' }, chip('LEVEL', x.level), chip('HAZARD', x.state), x.overdue ? h('span', { class: 'chip overdue' }, '逾期') : null,
        h('span', { class: 'muted' }, `隐患 #${x.id} · ${lbl('SOURCE', x.source)} · 发现 ${fmt(x.found)}`)),
      compact ? null : h('div', { class: 'ent' }, x.enterprise, x.inspection_id ? h('a', { href: `#inspection/${x.inspection_id}`, class: 'small-link' }, ` 检查 #${x.inspection_id} →`) : null),
      h('p', { class: 'desc' }, x.description),
      x.legal_basis ? h('p', { class: 'basis' }, `依据: ${x.legal_basis}`) : null,
      h('p', { class: 'deadline' }, `整改期限 ${fmt(x.deadline)} `, h('span', { class: `dl ${dli.cls}` }, x.state === 'verified_closed' ? `已于 ${fmt(x.closed)} 销号` : dli.text)),
      (x.rectifications || []).length ? h('ol', { class: 'rect-history' }, x.rectifications.map((r) => h('li', { class: r.verdict ? `v-${r.verdict}` : 'v-wait' },
        h('div', null, h('b', null, '企业整改 '), h('time', null, fmt(r.submitted)), ': ', r.note),
        r.verdict ? h('div', { class: 'verdict' }, h('b', null, lbl('VERDICT', r.verdict)), ` ${fmt(r.verdict_at)}`, r.verdict_reason ? `: ${r.verdict_reason}` : '')
          : h('div', { class: 'verdict wait' }, '待检查人员验收')))) : null,
      evBox);
    // evidence is listed on the hazard itself
    api('GET', `/api/v1/hazards/${x.id}`).then((d) => { evBox.textContent = ''; if ((d.evidence || []).length || !compact) evBox.append(h('span', { class: 'lbl' }, '整改照片'), thumbs(d.evidence, { empty: '企业未上传照片' })); }).catch(() => {});
    if (x.state === 'rectification_submitted' && isInspector()) {
      const reason = h('input', { class: 'hz-reason', placeholder: '退回理由 (退回时必填)', maxlength: 2000 });
      const err = h('p', { class: 'error hz-error', role: 'alert', hidden: true });
      const verdict = async (accept) => {
        showError(err, null);
        const body = accept ? { accept: true } : { accept: false, reason: reason.value.trim() };
        if (accept && reason.value.trim()) body.reason = reason.value.trim();
        try {
          const r = await api('POST', `/api/v1/hazards/${x.id}/verify`, body);
          toast(r.state === 'verified_closed' ? `隐患 #${x.id} 已验收销号` : `隐患 #${x.id} 已退回企业重新整改`);
          if (onChange) await onChange();
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e);
        }
      };
      card.append(h('div', { class: 'verify-row' }, reason,
        h('button', { type: 'button', class: 'ok hz-accept', onclick: () => verdict(true) }, '✓ 验收通过 · 销号'),
        h('button', { type: 'button', class: 'warnbtn hz-reject', onclick: () => verdict(false) }, '退回整改')), err);
    }
    return card;
  }

  async function viewHazards(params, _p, my) {
    const f = params.get('f') || 'rectification_submitted';
    const list = h('div', { id: 'hazard-list', class: 'hz-grid' }, h('p', { class: 'muted' }, '加载中…'));
    mount(h('section', { class: 'page', id: 'hazards' },
      h('div', { class: 'page-head' }, h('h2', null, '隐患整改跟踪 ', h('small', null, 'Hazard follow-up')),
        seg([['rectification_submitted', '待验收'], ['open', '整改中'], ['overdue', '已逾期'], ['verified_closed', '已验收销号'], ['all', '全部']], f, (v) => go(`#hazards?f=${v}`), 'hazard-filter')),
      list));
    const qs = new URLSearchParams({ limit: '100' });
    if (f === 'overdue') qs.set('overdue', '1');
    else if (f !== 'all') qs.set('state', f);
    const r = await api('GET', `/api/v1/hazards?${qs}`);
    if (my !== seq) return;
    list.textContent = '';
    if (!r.items.length) list.append(h('p', { class: 'empty' }, f === 'rectification_submitted' ? '没有等待验收的整改。' : '没有隐患。'));
    for (const x of r.items) list.append(hazardCard(x, { onChange: () => route() }));
  }

  // ---- cases -----------------------------------------------------------------------------------------

  async function viewCases(params, _p, my) {
    const state = params.get('state') || '';
    const box = h('div', { id: 'new-case-box', hidden: params.get('new') !== '1' });
    const body = h('div', { class: 'tbl-box' }, h('p', { class: 'muted' }, '加载中…'));
    const sel = h('select', { id: 'case-filter', onchange: () => go(sel.value ? `#cases?state=${sel.value}` : '#cases') },
      h('option', { value: '' }, '全部案件'), Object.entries(L.CASE).map(([v, t]) => h('option', { value: v, selected: v === state }, t)));
    mount(h('section', { class: 'page', id: 'cases' },
      h('div', { class: 'page-head' }, h('h2', null, '行政处罚案件 ', h('small', null, 'Penalty cases')), sel,
        isInspector() ? h('button', { type: 'button', class: 'primary', id: 'new-case', onclick: () => { box.hidden = !box.hidden; } }, '+ 新建案件') : null),
      box, body));
    const qs = new URLSearchParams({ limit: '200' });
    if (state) qs.set('state', state);
    const [r, ms] = await Promise.all([api('GET', `/api/v1/cases?${qs}`), matters()]);
    if (my !== seq) return;
    if (isInspector()) await buildNewCase(box, ms, params);
    body.textContent = '';
    if (!r.items.length) { body.append(h('p', { class: 'empty' }, '没有案件。')); return; }
    body.append(h('table', { class: 'data', id: 'case-table' },
      h('thead', null, h('tr', null, ['编号', '案由', '当事人', '执法事项', '状态', '拟/处罚', '决定书文号', '办案期限'].map((t) => h('th', null, t)))),
      h('tbody', null, r.items.map((c) => h('tr', { class: 'clickable', dataset: { id: c.id, state: c.state }, onclick: () => go(`#case/${c.id}`) },
        h('td', { class: 'n' }, `#${c.id}`),
        h('td', { class: 'wrap' }, h('a', { href: `#case/${c.id}` }, c.title), c.major ? h('span', { class: 'chip major' }, '重大') : null),
        h('td', null, c.party && c.party.name),
        h('td', null, c.matter_code),
        h('td', null, chip('CASE', c.state)),
        h('td', null, penaltyText(c)),
        h('td', null, c.decision_no || '—'),
        h('td', null, deadlineCell(c)))))));
  }

  function penaltyText(c) {
    const p = [];
    if (c.fine_yuan > 0) p.push(`罚款 ${yuan(c.fine_yuan)}`);
    if (c.revocation) p.push('吊销许可证');
    if (c.suspension) p.push('责令停产停业整顿');
    return p.join('; ') || '—';
  }

  function deadlineCell(c) {
    if (!c.deadline) return '—';
    if (c.decided) return h('span', { class: 'muted' }, `${fmt(c.deadline, { date: true })}`);
    const d = deadlineInfo(c.deadline);
    return h('span', null, fmt(c.deadline, { date: true }), ' ', h('span', { class: `dl ${d.cls}` }, d.text), c.extended ? h('small', null, ' (已延长)') : null);
  }

  async function buildNewCase(box, ms, params) {
    let initialEnt = null;
    if (params.get('enterprise')) initialEnt = await api('GET', `/api/v1/enterprises/${Number(params.get('enterprise'))}`).catch(() => null);
    const picker = entPicker({ id: 'nc-enterprise', initial: initialEnt });
    const ptype = seg([['enterprise', '企业'], ['individual', '个人']], 'enterprise', (v) => setType(v), 'nc-party-type');
    const pname = h('input', { id: 'nc-name', maxlength: 100 });
    const pid = h('input', { id: 'nc-idno', maxlength: 18, placeholder: '18 位身份证号 (不公示)' });
    const pphone = h('input', { id: 'nc-phone', maxlength: 20, placeholder: '(不公示)' });
    const parea = h('input', { id: 'nc-area', value: me.area_code, maxlength: 12 });
    const indiv = h('div', { class: 'grid2', hidden: true }, field('姓名', pname), field('身份证号', pid), field('联系电话', pphone), field('所在区域代码', parea));
    const entBox = field('当事企业', picker.el);
    let type = 'enterprise';
    function setType(v) {
      type = v;
      $$('button', ptype).forEach((b) => b.classList.toggle('active', b.dataset.v === v));
      indiv.hidden = v !== 'individual';
      entBox.hidden = v !== 'enterprise';
    }
    const title = h('input', { id: 'nc-title', maxlength: 300, placeholder: '违法行为简述' });
    const matter = h('select', { id: 'nc-matter' }, h('option', { value: '' }, '— 选择执法事项 —'), ms.map((m) => h('option', { value: m.code, selected: m.code === params.get('matter') }, `${m.code} ${m.name}`)));
    matter.addEventListener('change', () => { const m = ms.find((x) => x.code === matter.value); if (m && !title.value) title.value = m.name; });
    if (matter.value && !title.value) { const m = ms.find((x) => x.code === matter.value); if (m) title.value = m.name; }
    const insp = h('input', { id: 'nc-inspection', type: 'number', min: 1, value: params.get('inspection') || '', placeholder: '可选' });
    const err = errP('nc-error');
    const form = h('form', { class: 'card form', id: 'new-case-form', novalidate: true },
      h('h3', null, '新建处罚案件 ', h('small', null, '创建后由指挥长立案')),
      field('当事人类型', ptype), entBox, indiv,
      h('div', { class: 'grid2' }, field('执法事项', matter), field('来源检查编号', insp)),
      field('案由', title), err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'nc-submit' }, '创建案件'), h('button', { type: 'button', class: 'secondary', onclick: () => { box.hidden = true; } }, '取消')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = { matter_code: matter.value || undefined, title: title.value.trim() };
      if (type === 'enterprise') {
        if (!picker.value) { showError(err, new Error('请选择当事企业')); return; }
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
        toast(`已创建案件 #${c.id}`);
        go(`#case/${c.id}`);
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e);
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
        { name: 'facts', label: '违法事实', type: 'textarea', rows: 4, value: c.facts || '' },
        { name: 'legal_basis', label: '处罚依据', type: 'textarea', rows: 2, value: c.legal_basis || (m ? m.legal_basis : '') },
        { name: 'fine_yuan', label: '拟罚款 (元)', type: 'number', value: c.fine_yuan || '', hint: '罚款达 5 万元或吊销、停产停业为重大案件, 须法制审核和集体讨论; 1 万元以上告知听证权利' },
        { name: 'revocation', label: '吊销许可证', type: 'checkbox', value: c.revocation },
        { name: 'suspension', label: '责令停产停业整顿', type: 'checkbox', value: c.suspension },
      ];
      case 'approve_review': return [
        { name: 'opinion', label: '法制审核意见', type: 'textarea', rows: 3, value: '事实清楚, 证据确凿, 适用依据正确, 程序合法, 裁量适当, 同意。' },
        { name: 'adviser_opinion', label: '法律顾问意见 (可选)', type: 'textarea', rows: 2, optional: true },
      ];
      case 'reject_review': return [{ name: 'opinion', label: '退回意见 (需补充调查的内容)', type: 'textarea', rows: 3 }];
      case 'discuss': return [
        { name: 'conclusion', label: '集体讨论结论', type: 'textarea', rows: 3 },
        { name: 'participants', label: '参加人员 (至少三人; 每行一人, 或以顿号、逗号分隔)', type: 'textarea', rows: 3, list: true },
      ];
      case 'extend': return [
        { name: 'reason', label: '延长理由', type: 'textarea', rows: 2 },
        { name: 'days', label: '延长天数 (1-60, 只能延长一次)', type: 'number', value: 30, int: true },
      ];
      case 'serve': return [{ name: 'method', label: '送达方式', type: 'select', options: L.SERVE }];
      case 'record_payment': return [{ name: 'amount_yuan', label: '缴纳金额 (元)', type: 'number', value: c.fine_yuan || '' }];
      case 'enforce': return [{ name: 'note', label: '强制执行情况 (如: 申请人民法院强制执行)', type: 'textarea', rows: 2 }];
      default: return [{ name: 'note', label: '备注 (可选)', type: 'textarea', rows: 2, optional: true }];
    }
  }

  function actionForm(action, c, ms, onDone, onCancel) {
    const defs = actionFields(action, c, ms);
    const controls = {};
    const kids = defs.map((d) => {
      let el;
      if (d.type === 'textarea') el = h('textarea', { name: d.name, rows: d.rows || 2 }, d.value || '');
      else if (d.type === 'select') el = h('select', { name: d.name }, d.options.map((o) => h('option', { value: o }, o)));
      else if (d.type === 'checkbox') {
        el = h('input', { type: 'checkbox', name: d.name, checked: !!d.value });
        controls[d.name] = { d, el };
        return h('label', { class: 'check' }, el, ` ${d.label}`);
      } else el = h('input', { type: d.type, name: d.name, value: d.value ?? '', step: d.int ? 1 : 0.01, min: 0 });
      controls[d.name] = { d, el };
      return field(d.label, el, d.hint);
    });
    const label = L.ACTION[action] || action;
    const err = errP('action-error');
    const submit = h('button', { type: 'submit', class: 'primary', id: 'action-submit' }, `确认${label}`);
    const form = h('form', { class: 'card form action-form', id: 'action-form', dataset: { action }, novalidate: true },
      h('h3', null, label), ...kids, err,
      h('div', { class: 'form-actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: onCancel }, '取消')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = {};
      for (const [name, { d, el }] of Object.entries(controls)) {
        if (d.type === 'checkbox') { if (el.checked) body[name] = true; continue; }
        const v = el.value.trim();
        if (!v && d.optional) continue;
        if (d.type === 'number') { if (v !== '') body[name] = Number(v); continue; }
        if (d.list) { body[name] = splitList(v); continue; }
        body[name] = v;
      }
      submit.disabled = true;
      try {
        const r = await api('POST', `/api/v1/cases/${c.id}/${action}`, body);
        toast(`${label}: 完成${r.decision_no && action === 'decide' ? `, 决定书文号 ${r.decision_no}` : ''}`);
        onDone(r);
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e);
        submit.disabled = false;
      }
    });
    return form;
  }

  function timelineData(t) {
    const d = t.data || {};
    const out = [];
    if (d.opinion) out.push(['审核意见', d.opinion]);
    if (d.adviser_opinion) out.push(['法律顾问意见', d.adviser_opinion]);
    if (d.conclusion) out.push(['结论', d.conclusion]);
    if (d.participants) out.push(['参加人员', d.participants.join('、')]);
    if (d.decision_no) out.push(['决定书文号', d.decision_no]);
    if (d.method) out.push(['送达方式', d.method]);
    if (d.amount_yuan !== undefined) out.push(['缴纳金额', yuan(d.amount_yuan)]);
    if (d.days) out.push(['延长', `${d.days} 天`]);
    if (d.rights) out.push(['告知权利', `陈述申辩${d.rights.hearing ? '、听证' : ''}`]);
    if (d.major !== undefined) out.push(['案件类别', d.major ? '重大案件' : '一般案件']);
    return out;
  }

  function renderTimeline(c) {
    const items = [{ action: 'create', to: 'draft', at: c.created, by: '', note: '' }, ...(c.timeline || [])];
    return h('ol', { class: 'timeline', id: 'timeline' }, items.map((t) => {
      const data = timelineData(t);
      const note = t.note && !data.some(([, v]) => v === t.note) ? t.note : '';
      return h('li', { class: `tl-item a-${t.action}`, dataset: { action: t.action } },
        h('time', null, fmt(t.at)),
        h('div', { class: 'tl-body' },
          h('div', null, h('b', null, L.ACTION[t.action] || t.action), t.from ? h('span', { class: 'muted' }, ` ${lbl('CASE', t.from)} → ${lbl('CASE', t.to)}`) : null),
          t.by ? h('div', { class: 'by' }, `${t.by} · ${roleName(t.role)}`) : null,
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
      c.allowed_actions.length ? h('span', { class: 'lbl' }, '可办理: ') : h('span', { class: 'muted' }, '案件已结案, 没有后续步骤。'),
      c.allowed_actions.map((a) => {
        const role = L.ACTION_ROLE[a];
        const mineRole = role === me.role;
        return h('button', {
          type: 'button', class: `act act-${a}${mineRole ? '' : ' other'}`, dataset: { action: a }, disabled: !mineRole,
          title: mineRole ? '' : `由${roleName(role)}办理`,
          onclick: () => {
            showError(err, null);
            formBox.textContent = '';
            formBox.append(actionForm(a, c, ms, rerender, () => { formBox.textContent = ''; }));
            formBox.scrollIntoView({ block: 'nearest' });
          },
        }, L.ACTION[a] || a, h('small', null, ` · ${roleName(role)}`));
      }),
      c.decision_no ? h('a', { class: 'btnlink pdf', id: 'decision-pdf', href: `/api/v1/cases/${c.id}/decision.pdf`, target: '_blank', rel: 'noopener' }, '处罚决定书 (PDF)') : null);
    const gate = c.major && ['notified', 'hearing', 'legal_review', 'collective_discussion'].includes(c.state)
      ? h('p', { class: 'banner warn', id: 'major-gate' }, '重大案件 (罚款 5 万元以上、吊销许可证或责令停产停业): 须经法制审核和集体讨论后方可作出处罚决定。') : null;
    const late = c.deadline && !c.decided && Date.parse(c.deadline) < Date.now()
      ? h('p', { class: 'banner bad' }, `已超过办案期限 (${fmt(c.deadline)}): 须由指挥长延长后方可作出决定${c.extended ? '; 已延长过一次' : ''}。`) : null;
    const p = c.party || {};
    mount(h('section', { class: 'page', id: 'case', dataset: { id: c.id, state: c.state } },
      h('div', { class: 'card head' },
        h('div', { class: 'crumbs' }, h('a', { href: '#cases' }, '处罚案件'), ' › ', `案件 #${c.id}`),
        h('div', { class: 'l1' }, chip('CASE', c.state), c.major ? h('span', { class: 'chip major' }, '重大案件') : null,
          c.hearing_right ? h('span', { class: 'tag' }, '有听证权利') : null, c.decision_no ? h('span', { class: 'tag docno', id: 'decision-no' }, c.decision_no) : null),
        h('h2', { id: 'case-title' }, c.title),
        h('dl', { class: 'kv' },
          h('dt', null, '当事人'), h('dd', null, p.name, h('small', null, p.type === 'individual' ? ' (个人)' : ' (单位)')),
          h('dt', null, '执法事项'), h('dd', null, matterName(ms, c.matter_code)),
          h('dt', null, '违法事实'), h('dd', { class: 'pre' }, c.facts || '—'),
          h('dt', null, '处罚依据'), h('dd', { class: 'pre' }, c.legal_basis || '—'),
          h('dt', null, '处罚'), h('dd', null, penaltyText(c)),
          h('dt', null, '立案'), h('dd', null, fmt(c.filed)),
          h('dt', null, '办案期限'), h('dd', null, deadlineCell(c)),
          c.inspection_id ? [h('dt', null, '来源检查'), h('dd', null, h('a', { href: `#inspection/${c.inspection_id}` }, `检查 #${c.inspection_id}`))] : null,
          c.decided ? [h('dt', null, '决定'), h('dd', null, fmt(c.decided))] : null,
          c.served ? [h('dt', null, '送达'), h('dd', null, fmt(c.served))] : null,
          c.paid_yuan !== null && c.paid_yuan !== undefined ? [h('dt', null, '已缴纳'), h('dd', null, yuan(c.paid_yuan))] : null,
          c.executed ? [h('dt', null, '执行完毕'), h('dd', null, fmt(c.executed))] : null,
          c.closed ? [h('dt', null, '结案'), h('dd', null, fmt(c.closed))] : null)),
      gate, late,
      h('div', { class: 'card' }, actions, err, formBox),
      h('div', { class: 'card' }, h('h3', null, '办案过程 ', h('small', null, '全过程记录')), renderTimeline(c))));
  }

  // ---- legal review queue ---------------------------------------------------------------------------------

  async function viewReview(_params, _p, my) {
    const list = h('div', { id: 'review-list' }, h('p', { class: 'muted' }, '加载中…'));
    mount(h('section', { class: 'page', id: 'review' },
      h('div', { class: 'page-head' }, h('h2', null, '法制审核 ', h('small', null, '重大执法决定法制审核 · Legal review queue'))), list));
    const [r, ms] = await Promise.all([api('GET', '/api/v1/legal-review/queue?limit=200'), matters()]);
    if (my !== seq) return;
    setReviewCount(r.items.length);
    list.textContent = '';
    if (!r.items.length) { list.append(h('p', { class: 'empty' }, '没有待审核的案件。')); return; }
    const full = await Promise.all(r.items.map((c) => api('GET', `/api/v1/cases/${c.id}`).catch(() => c)));
    if (my !== seq) return;
    for (const c of full) list.append(reviewCard(c, ms));
  }

  function reviewCard(c, ms) {
    const opinion = h('textarea', { class: 'rv-opinion', rows: 3, placeholder: '审核意见 (必填): 事实是否清楚、证据是否确凿、适用依据是否正确、程序是否合法、裁量是否适当' });
    const adviser = h('textarea', { class: 'rv-adviser', rows: 2, placeholder: '法律顾问意见 (可选)' });
    const err = h('p', { class: 'error rv-error', role: 'alert', hidden: true });
    const reviewer = me.role === 'legal_reviewer';
    const decide = async (action) => {
      showError(err, null);
      const body = { opinion: opinion.value.trim() };
      if (adviser.value.trim()) body.adviser_opinion = adviser.value.trim();
      try {
        const r = await api('POST', `/api/v1/cases/${c.id}/${action}`, body);
        toast(action === 'approve_review' ? `案件 #${c.id} 审核通过${r.state === 'collective_discussion' ? ', 提交集体讨论' : ''}` : `案件 #${c.id} 已退回补充调查`);
        route();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e);
      }
    };
    const submitted = (c.timeline || []).filter((t) => t.action === 'submit_review').pop();
    return h('article', { class: 'card rv-card', dataset: { id: c.id } },
      h('div', { class: 'l1' }, h('a', { href: `#case/${c.id}` }, `案件 #${c.id}`), c.major ? h('span', { class: 'chip major' }, '重大案件') : h('span', { class: 'tag' }, '一般案件'),
        c.hearing_right ? h('span', { class: 'tag' }, (c.timeline || []).some((t) => t.action === 'request_hearing') ? '已听证' : '有听证权利') : null,
        submitted ? h('span', { class: 'muted' }, `${submitted.by} 提交于 ${fmt(submitted.at)}`) : null),
      h('h3', null, c.title),
      h('dl', { class: 'kv' },
        h('dt', null, '当事人'), h('dd', null, c.party && c.party.name),
        h('dt', null, '执法事项'), h('dd', null, matterName(ms, c.matter_code)),
        h('dt', null, '违法事实'), h('dd', { class: 'pre' }, c.facts || '—'),
        h('dt', null, '处罚依据'), h('dd', { class: 'pre' }, c.legal_basis || '—'),
        h('dt', null, '拟处罚'), h('dd', null, penaltyText(c)),
        h('dt', null, '办案期限'), h('dd', null, deadlineCell(c))),
      reviewer ? h('div', { class: 'rv-form' }, opinion, adviser,
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'ok rv-approve', onclick: () => decide('approve_review') }, '✓ 审核通过'),
          h('button', { type: 'button', class: 'warnbtn rv-reject', onclick: () => decide('reject_review') }, '退回补充调查'),
          h('a', { class: 'btnlink', href: `#case/${c.id}` }, '查看案卷 →')), err)
        : h('p', { class: 'muted' }, '由法制审核员审核。'));
  }

  function setReviewCount(n) {
    const b = $('#review-count');
    b.textContent = n;
    b.hidden = !n;
  }

  // ---- draws -------------------------------------------------------------------------------------------

  async function viewDraws(_params, _p, my) {
    const plansBox = h('div', { id: 'plans' }, h('p', { class: 'muted' }, '加载中…'));
    const drawsBox = h('div', { id: 'draws' });
    const formBox = h('div', { id: 'new-plan-box', hidden: true });
    mount(h('section', { class: 'page', id: 'draws-page' },
      h('div', { class: 'page-head' }, h('h2', null, '双随机、一公开 ', h('small', null, '随机抽取检查对象, 随机选派执法检查人员, 抽查情况及查处结果及时向社会公开')),
        isInspector() ? h('button', { type: 'button', class: 'primary', id: 'new-plan', onclick: () => { formBox.hidden = !formBox.hidden; } }, '+ 新建抽查计划') : null),
      formBox,
      h('div', { class: 'card' }, h('h3', null, '抽查计划'), plansBox),
      h('div', { class: 'card' }, h('h3', null, '抽取记录 ', h('small', null, '随机种子与抽取池公开, 任何人可复核')), drawsBox)));
    const [plans, draws] = await Promise.all([api('GET', '/api/v1/inspection-plans?limit=200'), api('GET', '/api/v1/draws?limit=200')]);
    if (my !== seq) return;
    if (isInspector()) formBox.append(planForm());
    const drawOf = new Map(draws.items.map((d) => [d.plan_id, d]));
    plansBox.textContent = '';
    if (!plans.items.length) plansBox.append(h('p', { class: 'empty' }, '没有抽查计划。'));
    else plansBox.append(h('table', { class: 'data', id: 'plan-table' },
      h('thead', null, h('tr', null, ['编号', '计划名称', '年度', '行业领域', '区域', '抽取数量', '每家检查人员', '状态', ''].map((t) => h('th', null, t)))),
      h('tbody', null, plans.items.map((p) => {
        const d = drawOf.get(p.id);
        const err = h('span', { class: 'error' });
        const btn = p.state === 'ready' && me.role === 'commander'
          ? h('button', { type: 'button', class: 'primary small draw-btn', dataset: { plan: p.id }, onclick: async () => {
            err.textContent = '';
            try { const r = await api('POST', `/api/v1/inspection-plans/${p.id}/draw`); toast(`已抽取 ${r.count} 家企业`); go(`#draw/${r.id}`); } catch (e) { if (e.status === 401) return toLogin(); err.textContent = e.message; }
          } }, '随机抽取') : null;
        return h('tr', { dataset: { id: p.id, state: p.state } },
          h('td', { class: 'n' }, `#${p.id}`), h('td', { class: 'wrap' }, p.name), h('td', null, p.year),
          h('td', null, (p.sectors || []).map((s) => lbl('SECTOR', s)).join('、') || '全部'),
          h('td', null, p.area_code),
          h('td', null, p.count ? `${p.count} 家` : `${Math.round(p.ratio * 1000) / 10}%`),
          h('td', null, p.inspectors_per),
          h('td', null, chip('PLAN', p.state)),
          h('td', null, d ? h('a', { href: `#draw/${d.id}` }, `抽取 #${d.id} →`) : btn || (p.state === 'ready' ? h('span', { class: 'muted' }, '待指挥长抽取') : ''), err));
      }))));
    drawsBox.textContent = '';
    if (!draws.items.length) drawsBox.append(h('p', { class: 'empty' }, '还没有抽取。'));
    else drawsBox.append(h('table', { class: 'data', id: 'draw-table' },
      h('thead', null, h('tr', null, ['编号', '计划', '年度', '抽取时间', '抽中企业', '随机种子'].map((t) => h('th', null, t)))),
      h('tbody', null, draws.items.map((d) => h('tr', { class: 'clickable', dataset: { id: d.id }, onclick: () => go(`#draw/${d.id}`) },
        h('td', { class: 'n' }, `#${d.id}`), h('td', null, h('a', { href: `#draw/${d.id}` }, d.plan_name)), h('td', null, d.year),
        h('td', null, fmt(d.drawn)), h('td', { class: 'n' }, d.count), h('td', null, h('code', null, `${d.seed.slice(0, 16)}…`)))))));
  }

  function planForm() {
    const name = h('input', { id: 'np-name', maxlength: 200, placeholder: `如: ${new Date().getFullYear()}年危险化学品企业双随机抽查` });
    const year = h('input', { id: 'np-year', type: 'number', value: new Date().getFullYear(), min: 2000, max: 2100 });
    const area = h('input', { id: 'np-area', value: me.area_code, maxlength: 12 });
    const sectors = h('div', { class: 'checks', id: 'np-sectors' }, Object.entries(L.SECTOR).map(([v, t]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: v }), ` ${t}`)));
    let mode = 'count';
    const amount = h('input', { id: 'np-amount', type: 'number', value: 5, min: 1 });
    const modeSeg = seg([['count', '按数量 (家)'], ['ratio', '按比例 (%)']], 'count', (v) => { mode = v; $$('button', modeSeg).forEach((b) => b.classList.toggle('active', b.dataset.v === v)); amount.value = v === 'count' ? 5 : 10; }, 'np-mode');
    const per = h('input', { id: 'np-per', type: 'number', value: 2, min: 2, max: 10 });
    const err = errP('np-error');
    const form = h('form', { class: 'card form', id: 'plan-form', novalidate: true },
      h('h3', null, '新建抽查计划 ', h('small', null, '按风险等级加权抽取: 红 4 · 橙 3 · 黄 2 · 蓝 1')),
      h('div', { class: 'grid3' }, field('计划名称', name), field('年度', year), field('区域代码', area)),
      field('行业领域 (不选为全部)', sectors),
      h('div', { class: 'grid3' }, field('抽取方式', modeSeg), field('数量 / 比例', amount), field('每家检查人员 (≥2)', per)),
      err,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'np-submit' }, '创建计划')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      const body = { name: name.value.trim(), year: Number(year.value), area_code: area.value.trim(), inspectors_per: Number(per.value) };
      const secs = $$('input:checked', sectors).map((x) => x.value);
      if (secs.length) body.sectors = secs;
      if (mode === 'count') body.count = Number(amount.value); else body.ratio = Number(amount.value) / 100;
      try {
        await api('POST', '/api/v1/inspection-plans', body);
        toast('已创建抽查计划');
        route();
      } catch (e) {
        if (e.status === 401) return toLogin();
        showError(err, e);
      }
    });
    return form;
  }

  function verifyBox(id) {
    const out = h('div', { id: 'verify-result', 'aria-live': 'polite' });
    const btn = h('button', { type: 'button', class: 'primary', id: 'verify-btn' }, '核验抽取结果');
    btn.addEventListener('click', async () => {
      out.textContent = '核验中…';
      out.className = '';
      try {
        const v = await api('GET', `/api/v1/draws/${id}/verify`);
        out.textContent = '';
        out.className = v.verified ? 'vr ok' : 'vr bad';
        out.dataset.verified = String(v.verified);
        const flag = (ok, t) => h('li', { class: ok ? 'ok' : 'bad' }, `${ok ? '✓' : '✗'} ${t}`);
        put(out, h('b', null, v.verified ? '✓ 核验通过 (verified: true)' : '✗ 核验未通过 (verified: false)'),
          h('ul', null, flag(v.enterprise_pool_ok, '企业池与公布的摘要一致'), flag(v.inspector_pool_ok, '检查人员池与公布的摘要一致'),
            flag(v.result_ok, '用公布的随机种子重新抽取, 结果一致')),
          v.reasons && v.reasons.length ? h('p', null, v.reasons.join('; ')) : null);
      } catch (e) {
        out.className = 'vr bad';
        out.textContent = `无法核验: ${e.message}`;
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
        h('div', { class: 'crumbs' }, h('a', { href: '#draws' }, '双随机抽查'), ' › ', `抽取 #${d.id}`),
        h('h2', null, d.plan_name),
        h('dl', { class: 'kv' },
          h('dt', null, '年度'), h('dd', null, d.year),
          h('dt', null, '抽取时间'), h('dd', null, fmt(d.drawn)),
          h('dt', null, '区域'), h('dd', null, d.area_code),
          h('dt', null, '算法'), h('dd', null, mono(d.algorithm)),
          h('dt', null, '随机种子'), h('dd', { id: 'draw-seed' }, mono(d.seed)),
          h('dt', null, '企业池摘要'), h('dd', null, mono(d.enterprise_pool_digest), h('small', null, ` SHA-256 · ${(d.enterprise_pool || []).length} 家`)),
          h('dt', null, '检查人员池摘要'), h('dd', null, mono(d.inspector_pool_digest), h('small', null, ` SHA-256 · ${(d.inspector_pool || []).length} 人`)),
          h('dt', null, '每家检查人员'), h('dd', null, d.inspectors_per)),
        verifyBox(d.id)),
      h('div', { class: 'card' }, h('h3', null, `抽取结果 `, h('small', null, `${d.count} 家企业, 按抽中顺序`)),
        h('table', { class: 'data', id: 'draw-result' },
          h('thead', null, h('tr', null, ['序号', '企业', '统一社会信用代码', '检查人员 (执法证号)'].map((t) => h('th', null, t)))),
          h('tbody', null, d.result.map((r, i) => h('tr', null, h('td', { class: 'n' }, i + 1), h('td', null, r.enterprise), h('td', null, r.credit_code),
            h('td', null, (r.inspector_names || []).map((n) => `${n.name}${n.cert_no ? ` (${n.cert_no})` : ''}`).join('、'))))))),
      h('div', { class: 'card' }, h('h3', null, '如何复核'),
        h('p', { class: 'howto' }, pub && pub.how_to_verify ? pub.how_to_verify : '—'),
        h('details', null, h('summary', null, `企业池 (${(d.enterprise_pool || []).length})`), h('pre', { class: 'json' }, JSON.stringify(d.enterprise_pool, null, 1))),
        h('details', null, h('summary', null, `检查人员池 (${(d.inspector_pool || []).length})`), h('pre', { class: 'json' }, JSON.stringify(d.inspector_pool, null, 1))),
        h('p', null, h('a', { href: `/publicity.html#draw-${d.id}`, target: '_blank', rel: 'noopener' }, '在公示页面查看 ↗')))));
  }

  // ---- start ---------------------------------------------------------------------------------------------

  async function init() {
    try {
      me = await api('GET', '/api/v1/me');
    } catch (e) {
      if (e.status === 401) return toLogin();
      mount(h('p', { class: 'error pad' }, e.message));
      return;
    }
    if (me.role === 'enterprise') return location.replace('/enterprise.html');
    if (me.role === 'grid_worker') return location.replace('/gw.html');
    $('#who').textContent = `${me.display_name || me.username} · ${roleName(me.role)}`;
    $('#who').title = `${me.username} (${me.role}) · ${me.area_code}`;
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
