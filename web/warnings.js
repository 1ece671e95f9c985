// 预警发布 console (commander, duty officer; other staff read): the list of
// warnings, the draft form with the area tree, the lifecycle actions the
// server allows now (its refusals shown as they come: the two-person rule),
// and for an issued warning the closed loop per town / village, live from
// the loop stream, with the transfer tasks and a chase button.
'use strict';

(() => {
  const { api, $, $$, h, put, fmtNum, pct, fmtTime, isPast, levelBadge, level, typeLabel, stateLabel, closureColor, W, LBL } = window.YJ;
  const AUTHORS = ['commander', 'duty_officer'];
  const LEVEL_ORDER = ['blue', 'yellow', 'orange', 'red'];

  let me = null;
  let list = [];
  let nextCursor = null;
  let current = null;       // the warning shown
  let loopBy = 'town';
  let loopStream = null;
  let loopSeq = 0;
  let formMode = null;      // 'new' | 'edit' | 'update'
  const picked = new Map(); // area code -> name
  let locked = new Set();   // areas an update may not remove

  const isAuthor = () => me && AUTHORS.includes(me.role);
  const isCommander = () => me && me.role === 'commander';

  // ---- list -------------------------------------------------------------------------------------

  async function loadList(more = false) {
    const qs = new URLSearchParams({ limit: '50' });
    const f = $('#wc-filter').value;
    if (f) qs.set('state', f);
    if (more && nextCursor) qs.set('cursor', nextCursor);
    try {
      const r = await api('GET', `/api/v1/warnings?${qs}`);
      list = more ? list.concat(r.items) : r.items;
      nextCursor = r.next_cursor;
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#warn-list').textContent = '';
      $('#warn-list').append(h('li', { class: 'error' }, `无法加载预警列表: ${err.message}`));
      return;
    }
    renderList();
  }

  function renderList() {
    const ul = $('#warn-list');
    ul.textContent = '';
    for (const w of list) {
      const L = level(w.level);
      const rc = w.recipients || { total: 0, acknowledged: 0 };
      const active = w.state === 'issued';
      ul.append(h('li', {
        class: `wl-item ws-${w.state}${current && current.id === w.id ? ' sel' : ''}`,
        dataset: { id: w.id, state: w.state }, style: { borderLeftColor: L.color }, tabindex: '0',
        onclick: () => { location.hash = `#w/${w.id}`; },
        onkeydown: (ev) => { if (ev.key === 'Enter') location.hash = `#w/${w.id}`; },
      },
      h('div', { class: 'l1' }, levelBadge(w.level, { grade: false }), h('span', { class: 'ty' }, typeLabel(w.type)),
        h('span', { class: `chip st st-${w.state}` }, stateLabel(w.state))),
      h('div', { class: 'hl' }, w.headline),
      h('div', { class: 'l3' },
        h('span', null, fmtTime(w.issued || w.created)),
        active || rc.total ? h('span', { class: 'ackp', title: '已确认 / 接收人数' }, `确认 ${fmtNum(rc.acknowledged)}/${fmtNum(rc.total)}`) : null,
        w.evacuation ? h('span', { class: 'evac' }, '转移') : null)));
    }
    if (!list.length) ul.append(h('li', { class: 'muted pad' }, '没有预警'));
    $('#warn-more').hidden = !nextCursor;
  }

  // ---- one warning ------------------------------------------------------------------------------

  async function openWarning(id) {
    showPane('#warn-view');
    if (!current || current.id !== id) {
      $('#wv-head').textContent = '加载中…';
      $('#wv-actions').textContent = '';
      $('#wv-meta').textContent = '';
      $('#action-error').textContent = '';
      $('#loop').hidden = true;
    }
    try {
      current = await api('GET', `/api/v1/warnings/${id}`);
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#wv-head').textContent = `无法加载: ${err.message}`;
      return;
    }
    renderWarning();
    renderList();
    if (current.version >= 1) startLoop(current.id);
    else stopLoop();
  }

  function renderWarning() {
    const w = current;
    const L = level(w.level);
    const view = $('#warn-view');
    view.dataset.id = w.id;
    view.dataset.state = w.state;
    view.dataset.version = w.version;
    const head = $('#wv-head');
    head.textContent = '';
    head.style.borderTopColor = L.color;
    put(head,
      h('div', { class: 'l1' }, levelBadge(w.level), h('span', { class: 'ty' }, `${typeLabel(w.type)}预警`),
        h('span', { class: `chip st st-${w.state}`, id: 'wv-state' }, stateLabel(w.state)),
        w.version ? h('span', { class: 'ver' }, `第 ${w.version} 版`) : null,
        h('span', { class: 'ident' }, w.identifier)),
      h('h2', { id: 'wv-headline' }, w.headline));

    // actions the server allows in this state; who may do them is the server's call
    const acts = $('#wv-actions');
    acts.textContent = '';
    if (isAuthor()) {
      if (w.state === 'draft') acts.append(h('button', { type: 'button', class: 'secondary', dataset: { action: 'edit' }, onclick: () => openForm('edit', w) }, '编辑草稿'));
      for (const a of w.allowed_actions || []) {
        const hint = (a === 'approve' || a === 'reject') ? (me.role !== 'commander' ? '仅指挥长可审批' : (w.author && w.author.id === me.id ? '双人原则: 起草人不能审批自己的预警' : null))
          : ((a === 'update' || (a === 'cancel' && w.state !== 'draft')) && me.role !== 'commander') ? '仅指挥长可操作' : null;
        acts.append(h('button', { type: 'button', class: `act act-${a}`, dataset: { action: a }, title: hint, onclick: () => doAction(a) }, W.ACTIONS[a] || a));
      }
    }
    if (w.version >= 1) {
      acts.append(h('a', { id: 'cap-link', class: 'btnlink', href: `/api/v1/warnings/${w.id}/cap`, target: '_blank', rel: 'noopener' }, 'CAP 1.2 XML'));
      acts.append(h('a', { class: 'btnlink', href: `/?loop=${w.id}` }, '指挥地图'));
    }

    const meta = $('#wv-meta');
    meta.textContent = '';
    const areaNames = (w.area_names || []).map((n, i) => n || w.areas[i]);
    const rc = w.recipients || { total: 0, acknowledged: 0 };
    const rows = [
      ['影响区域', areaNames.length ? areaNames.join('、') : (w.polygons && w.polygons.length ? `划定区域 (${w.polygons.length} 个多边形)` : '—')],
      ['有效期至', [fmtTime(w.expires, { year: true }), isPast(w.expires) ? h('b', { class: 'bad' }, ' 已过期') : null]],
      ['临灾转移', w.evacuation ? h('b', { class: 'evac' }, '需要转移 (按风险点生成任务)') : '否'],
      ['起草', w.author ? `${w.author.display_name || w.author.username} · ${fmtTime(w.created)}` : '—'],
      ['审批', w.approver ? `${w.approver.display_name || w.approver.username}` : '—'],
      ['发布', w.issued ? fmtTime(w.issued, { year: true }) : '—'],
      w.cancelled ? ['撤销', fmtTime(w.cancelled, { year: true })] : null,
      ['来源', W.SOURCES[w.source] || w.source],
      w.version >= 1 ? ['接收确认', `${fmtNum(rc.acknowledged)} / ${fmtNum(rc.total)} 人已确认`] : null,
    ].filter(Boolean);
    put(meta,
      h('table', { class: 'fields' }, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
      h('div', { class: 'texts' },
        h('h4', null, '预警内容'), h('p', { id: 'wv-description' }, w.description || '—'),
        h('h4', null, '防御指引'), h('p', { id: 'wv-instruction', class: 'instr' }, w.instruction || '—')));
  }

  // known refusals, in Chinese, before the server's own words
  function explain(err) {
    const m = err.message || '';
    if (/two-person/.test(m)) return `双人原则: 起草人不能审批自己的预警。(${m})`;
    if (/only a commander/.test(m)) return `权限不足: 此操作仅限指挥长。(${m})`;
    if (/allowed now/.test(m)) return `当前状态不允许此操作。(${m})`;
    return m;
  }

  async function doAction(action) {
    const w = current;
    $('#action-error').textContent = '';
    if (action === 'update') return openForm('update', w);
    if (action === 'cancel' && !confirm(w.state === 'issued' ? '撤销 (解除) 这条已发布的预警? 所有接收人将收到解除通知。' : '撤销这条预警?')) return;
    if (action === 'reject' && !confirm('退回修改: 预警回到草稿状态。继续?')) return;
    if (action === 'issue' && !confirm(`发布预警 “${w.headline}”? 将立即推送给影响区域内的网格员和值班人员。`)) return;
    for (const b of $$('#wv-actions button')) b.disabled = true;
    try {
      const r = await api('POST', `/api/v1/warnings/${w.id}/${action}`);
      current = r;
      renderWarning();
      if (action === 'issue' || action === 'update') flash(`${W.ACTIONS[action]}成功: 已推送 ${fmtNum(r.dispatched)} 人`);
      else flash(`${W.ACTIONS[action] || action}: 完成`);
      if (current.version >= 1) startLoop(current.id);
      loadList();
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#action-error').textContent = `${W.ACTIONS[action] || action}失败: ${explain(err)}`;
      for (const b of $$('#wv-actions button')) b.disabled = false;
    }
  }

  function flash(text) {
    let t = $('#wc-toast');
    if (!t) { t = h('div', { id: 'wc-toast', role: 'status' }); document.body.append(t); }
    t.textContent = text;
    t.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  // ---- the loop view ------------------------------------------------------------------------------

  function stopLoop() {
    if (loopStream) loopStream.close();
    loopStream = null;
  }

  function startLoop(id) {
    $('#loop').hidden = false;
    $('#loop').dataset.warning = id;
    $('#loop-map-link').href = `/?loop=${id}&by=${loopBy}`;
    if (!loopStream || loopStream.id !== id) {
      stopLoop();
      $('#loop-log').textContent = '';
      const s = window.YJ.stream(`/api/v1/warnings/${id}/loop/stream`, {
        loop: () => refreshLoopSoon(),
        escalation: (d) => { logLine(`升级提醒: 接收人 #${d.recipient_id} 超时未确认, 已第 ${d.step} 次升级至 ${d.to_area}`); refreshLoopSoon(); },
      }, { onState: (st) => { $('#loop-live').className = `live ${st}`; $('#loop-live').textContent = st === 'live' ? '● 实时' : '○ 重连中'; if (st === 'live') refreshLoopSoon(); } });
      s.id = id;
      loopStream = s;
    }
    refreshLoop();
  }

  const refreshLoopSoon = window.YJ.debounce(() => refreshLoop(), 300);

  function logLine(text) {
    const ul = $('#loop-log');
    ul.prepend(h('li', null, h('time', null, new Date().toTimeString().slice(0, 8)), ' ', text));
    while (ul.children.length > 8) ul.lastChild.remove();
  }

  async function refreshLoop() {
    if (!current) return;
    const id = current.id, seq = ++loopSeq;
    let loop, tasks;
    try {
      [loop, tasks] = await Promise.all([
        api('GET', `/api/v1/warnings/${id}/loop?group_by=${loopBy}`),
        current.evacuation ? api('GET', `/api/v1/warnings/${id}/tasks`) : Promise.resolve({ items: [] }),
      ]);
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#loop-totals').textContent = `闭环数据加载失败: ${err.message}`;
      return;
    }
    if (seq !== loopSeq || !current || current.id !== id) return;
    renderLoop(loop);
    // the list's "确认 a/b" of this warning follows too
    const li = list.find((w) => w.id === id);
    const t = loop.totals;
    if (li && loop.group_by && (!li.recipients || li.recipients.acknowledged !== t.states.acknowledged || li.recipients.total !== t.recipients)) {
      li.recipients = { total: t.recipients, acknowledged: t.states.acknowledged };
      renderList();
    }
    renderTasks(tasks.items || []);
  }

  const unread = (s) => (s.queued || 0) + (s.sent || 0) + (s.delivered || 0);

  function bar(p) {
    return h('div', { class: 'pbar', title: pct(p) }, h('i', { style: { width: `${Math.max(0, Math.min(100, p))}%`, background: closureColor(p) } }), h('span', null, pct(p)));
  }

  function renderLoop(loop) {
    const t = loop.totals;
    const sec = $('#loop');
    sec.dataset.by = loop.group_by;
    const box = $('#loop-totals');
    box.textContent = '';
    const card = (k, label, v, cls = '') => h('div', { class: `tot ${cls}`, dataset: { k } }, h('b', null, v), h('span', null, label));
    put(box,
      card('recipients', '接收人数', fmtNum(t.recipients)),
      card('acknowledged', '已确认', fmtNum(t.states.acknowledged), 'ok'),
      card('acknowledged_pct', '确认率', pct(t.acknowledged_pct)),
      card('read', '已读未确认', fmtNum(t.states.read)),
      card('unread', '未读', fmtNum(unread(t.states)), unread(t.states) ? 'bad' : ''),
      card('planned', '计划转移 (人)', fmtNum(t.planned)),
      card('moved', '已转移 (人)', fmtNum(t.moved), 'ok'),
      card('open_tasks', '未完成任务', fmtNum(t.open_tasks), t.open_tasks ? 'warn' : ''),
      card('open_escalations', '未处理升级', fmtNum(t.open_escalations), t.open_escalations ? 'bad' : ''),
      card('closed', '闭环', t.closed ? '已闭环 ✓' : '未闭环', t.closed ? 'ok' : 'warn'));
    const len = loop.group_by === 'village' ? 12 : 9;
    const groups = [...loop.groups].sort((a, b) => (a.code.length === len) - (b.code.length === len) || a.code.localeCompare(b.code));
    const tb = $('#loop-table tbody');
    tb.textContent = '';
    for (const g of groups) {
      const upper = g.code.length < len;
      tb.append(h('tr', { dataset: { code: g.code }, class: `${upper ? 'upper' : ''}${g.closed ? ' closed' : ''}` },
        h('td', { class: 'nm' }, h('span', { class: 'sw', style: { background: closureColor(g.acknowledged_pct) } }), g.name || g.code,
          upper ? h('small', null, ' (本级直接接收)') : null, g.closed ? h('span', { class: 'okmark', title: '已闭环' }, ' ✓') : null),
        h('td', { class: 'n', dataset: { k: 'recipients' } }, fmtNum(g.recipients)),
        h('td', { class: 'n', dataset: { k: 'acknowledged' } }, fmtNum(g.states.acknowledged)),
        h('td', { dataset: { k: 'acknowledged_pct' } }, bar(g.acknowledged_pct)),
        h('td', { class: 'n', dataset: { k: 'read' } }, fmtNum(g.states.read)),
        h('td', { class: `n${unread(g.states) ? ' bad' : ''}`, dataset: { k: 'unread' } }, fmtNum(unread(g.states))),
        h('td', { class: 'n', dataset: { k: 'planned' } }, g.planned ? fmtNum(g.planned) : '—'),
        h('td', { class: 'n', dataset: { k: 'moved' } }, g.planned || g.moved ? fmtNum(g.moved) : '—'),
        h('td', { class: `n${g.open_tasks ? ' warn' : ''}`, dataset: { k: 'open_tasks' } }, g.tasks ? fmtNum(g.open_tasks) : '—'),
        h('td', { class: `n${g.open_escalations ? ' bad' : ''}`, dataset: { k: 'open_escalations' } }, fmtNum(g.open_escalations))));
    }
    const tf = $('#loop-table tfoot');
    tf.textContent = '';
    tf.append(h('tr', { class: 'total' },
      h('td', null, `合计 (${groups.length} 个${loop.group_by === 'village' ? '村(社区)' : '镇(街)'}及上级)`),
      h('td', { class: 'n', dataset: { k: 'recipients' } }, fmtNum(t.recipients)),
      h('td', { class: 'n', dataset: { k: 'acknowledged' } }, fmtNum(t.states.acknowledged)),
      h('td', { dataset: { k: 'acknowledged_pct' } }, bar(t.acknowledged_pct)),
      h('td', { class: 'n', dataset: { k: 'read' } }, fmtNum(t.states.read)),
      h('td', { class: 'n', dataset: { k: 'unread' } }, fmtNum(unread(t.states))),
      h('td', { class: 'n', dataset: { k: 'planned' } }, fmtNum(t.planned)),
      h('td', { class: 'n', dataset: { k: 'moved' } }, fmtNum(t.moved)),
      h('td', { class: 'n', dataset: { k: 'open_tasks' } }, fmtNum(t.open_tasks)),
      h('td', { class: 'n', dataset: { k: 'open_escalations' } }, fmtNum(t.open_escalations))));
    sec.dataset.acknowledged = t.states.acknowledged;
    sec.dataset.moved = t.moved;
  }

  const rpType = (t) => (LBL.VALUES && LBL.VALUES.type && LBL.VALUES.type[t]) || t || '';

  function renderTasks(items) {
    const table = $('#task-table');
    table.hidden = $('#tasks-title').hidden = !items.length;
    const tb = table.querySelector('tbody');
    tb.textContent = '';
    const canChase = isAuthor();
    for (const t of items) {
      const rp = t.risk_point || {};
      const gw = t.grid_worker;
      tb.append(h('tr', { dataset: { id: t.id, state: t.state } },
        h('td', null, rp.name || '—', h('small', null, ` ${rpType(rp.type)}`)),
        h('td', null, t.area_name || t.area_code),
        h('td', null, gw ? [gw.display_name, ' ', gw.phone ? h('a', { href: `tel:${gw.phone}` }, gw.phone) : null] : '—'),
        h('td', { class: 'n' }, fmtNum(t.planned)),
        h('td', { class: 'n' }, fmtNum(t.moved)),
        h('td', null, h('span', { class: `chip ts-${t.state}` }, W.TASK[t.state] || t.state), t.closed_reason && t.state === 'closed' ? h('small', null, ` ${t.closed_reason === 'all planned persons moved' ? '全部转移' : t.closed_reason}`) : null),
        h('td', null, canChase && t.state === 'open' ? h('button', { type: 'button', class: 'chase', dataset: { task: t.id }, onclick: (ev) => chase(t, ev.target) }, '催办') : null)));
    }
  }

  async function chase(t, btn) {
    btn.disabled = true;
    try {
      await api('POST', `/api/v1/transfer-tasks/${t.id}/chase`);
      btn.textContent = '已催办';
      logLine(`已催办: ${(t.risk_point && t.risk_point.name) || '任务 #' + t.id} (${t.grid_worker ? t.grid_worker.display_name : ''})`);
    } catch (err) {
      btn.disabled = false;
      flash(`催办失败: ${err.message}`);
    }
  }

  // ---- the form -----------------------------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, '0');
  const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

  function buildStaticForm() {
    const sel = $('#f-type');
    for (const [k, v] of Object.entries(W.TYPES)) sel.append(h('option', { value: k }, v));
    const lv = $('#f-level');
    for (const k of LEVEL_ORDER) {
      const L = level(k);
      lv.append(h('label', { class: `lvopt lvopt-${k}`, style: { '--c': L.color, '--ink': L.ink } },
        h('input', { type: 'radio', name: 'level', value: k }), h('span', null, `${L.label} ${L.grade}`)));
    }
  }

  let formInitial = null;
  async function openForm(mode, w) {
    formMode = mode;
    showPane('#warn-form');
    const f = $('#warn-form');
    f.reset();
    f.dataset.mode = mode;
    $('#form-error').textContent = '';
    for (const el of $$('#warn-form .bad')) el.classList.remove('bad');
    $('#form-title').textContent = mode === 'new' ? '新建预警' : mode === 'edit' ? `编辑草稿 #${w.id}` : `更新已发布预警 #${w.id} (发布第 ${w.version + 1} 版)`;
    $('#form-note').textContent = mode === 'update' ? '只提交改变的内容; 影响区域只能增加 (已通知的区域不能撤回)。更新后所有接收人需重新确认。' : mode === 'new' ? '保存为草稿后, 提交审批, 由另一名指挥长批准后发布。' : '';
    $('#form-save').textContent = mode === 'update' ? '发布更新' : '保存草稿';
    picked.clear();
    locked = new Set();
    if (w) {
      f.type.value = w.type;
      for (const r of $$('#f-level input')) r.checked = r.value === w.level;
      f.headline.value = w.headline;
      f.description.value = w.description || '';
      f.instruction.value = w.instruction || '';
      f.expires.value = w.expires ? localInput(new Date(w.expires)) : '';
      f.evacuation.checked = !!w.evacuation;
      (w.areas || []).forEach((c, i) => picked.set(c, (w.area_names || [])[i] || c));
      if (mode === 'update') locked = new Set(w.areas || []);
    } else {
      f.type.value = 'rainstorm';
      $('#f-level input[value=yellow]').checked = true;
      f.expires.value = localInput(new Date(Date.now() + 6 * 3600e3));
    }
    $('#f-type').disabled = mode === 'update';
    formInitial = formValues();
    renderPicked();
    await buildTree();
  }

  function formValues() {
    const f = $('#warn-form');
    const lv = $('#f-level input:checked');
    const v = {
      type: f.type.value,
      level: lv ? lv.value : null,
      headline: f.headline.value.trim(),
      description: f.description.value.trim(),
      instruction: f.instruction.value.trim(),
      areas: [...picked.keys()],
      evacuation: f.evacuation.checked,
      expiresLocal: f.expires.value,
    };
    return v;
  }

  async function saveForm(ev) {
    ev.preventDefault();
    const v = formValues();
    const err = $('#form-error');
    err.textContent = '';
    for (const el of $$('#warn-form .bad')) el.classList.remove('bad');
    let expires = null;
    if (v.expiresLocal) {
      const d = new Date(v.expiresLocal);
      if (!Number.isNaN(d.getTime())) expires = d.toISOString();
    }
    const body = { type: v.type, level: v.level, headline: v.headline, description: v.description, instruction: v.instruction, areas: v.areas, evacuation: v.evacuation, expires };
    let req;
    if (formMode === 'update') {
      const b0 = formInitial;
      const diff = {};
      for (const k of ['level', 'headline', 'description', 'instruction', 'evacuation']) if (v[k] !== b0[k]) diff[k] = v[k];
      if (v.expiresLocal !== b0.expiresLocal) diff.expires = expires;
      if (v.areas.join() !== b0.areas.join()) diff.areas = v.areas;
      if (!Object.keys(diff).length) { err.textContent = '没有改变: 更新需要改变至少一项内容'; return; }
      req = api('POST', `/api/v1/warnings/${current.id}/update`, diff);
    } else if (formMode === 'edit') {
      req = api('PATCH', `/api/v1/warnings/${current.id}`, body);
    } else {
      if (!v.level) { err.textContent = '请选择预警级别'; return; }
      req = api('POST', '/api/v1/warnings', body);
    }
    $('#form-save').disabled = true;
    try {
      const w = await req;
      current = w;
      if (formMode === 'update') flash(`更新已发布: 第 ${w.version} 版, 推送 ${fmtNum(w.dispatched)} 人`);
      else flash(formMode === 'new' ? `草稿已保存 #${w.id}: 下一步 “提交审批”` : '草稿已保存');
      await loadList();
      if (location.hash === `#w/${w.id}`) openWarning(w.id); else location.hash = `#w/${w.id}`;
    } catch (e) {
      if (e.status === 401) return window.YJ.toLogin();
      err.textContent = `保存失败: ${explain(e)}`;
      const fld = e.field === 'areas' ? $('#warn-form [data-field=areas]') : e.field && $(`#warn-form [name=${CSS.escape(e.field)}]`);
      if (fld) { fld.classList.add('bad'); if (fld.focus) fld.focus(); }
    } finally {
      $('#form-save').disabled = false;
    }
  }

  // ---- the area tree ------------------------------------------------------------------------------

  function renderPicked() {
    const box = $('#area-picked');
    box.textContent = '';
    for (const [code, name] of picked) {
      box.append(h('span', { class: `chip area-chip${locked.has(code) ? ' locked' : ''}`, dataset: { code } }, name,
        h('small', null, ` ${code}`),
        locked.has(code) ? null : h('button', { type: 'button', class: 'x', title: '移除', onclick: () => { picked.delete(code); renderPicked(); syncTreeChecks(); } }, '×')));
    }
    if (!picked.size) box.append(h('span', { class: 'muted' }, '未选择区域'));
  }

  function syncTreeChecks() {
    for (const cb of $$('#area-tree input[type=checkbox]')) {
      cb.checked = picked.has(cb.value);
      cb.disabled = locked.has(cb.value);
    }
  }

  async function treeNode(a, depth) {
    const li = h('li', { dataset: { code: a.code }, class: `lvl-${a.level}` });
    const kids = h('ul', { hidden: true });
    const tog = h('button', { type: 'button', class: 'tog', 'aria-label': '展开', disabled: !a.children }, a.children ? '▸' : '·');
    const cb = h('input', { type: 'checkbox', value: a.code, id: `area-cb-${a.code}` });
    cb.checked = picked.has(a.code);
    cb.disabled = locked.has(a.code);
    cb.addEventListener('change', () => {
      if (cb.checked) picked.set(a.code, a.name); else picked.delete(a.code);
      renderPicked();
    });
    let loaded = false;
    tog.addEventListener('click', async () => {
      const open = kids.hidden;
      kids.hidden = !open;
      tog.textContent = open ? '▾' : '▸';
      if (open && !loaded) {
        loaded = true;
        kids.append(h('li', { class: 'muted' }, '加载中…'));
        try {
          const r = await api('GET', `/api/v1/areas?parent=${a.code}`);
          kids.textContent = '';
          for (const k of r.items) kids.append(await treeNode(k, depth + 1));
        } catch (e) { kids.textContent = ''; kids.append(h('li', { class: 'error' }, e.message)); loaded = false; }
      }
    });
    li.append(h('div', { class: 'row' }, tog, cb, h('label', { for: cb.id }, a.name, h('small', null, ` ${a.kind || ''} ${a.code}`))), kids);
    return li;
  }

  async function buildTree() {
    const box = $('#area-tree');
    box.textContent = '';
    try {
      const root = await window.YJ.area(me.area_code);
      const ul = h('ul', { class: 'root' });
      const node = await treeNode(root, 0);
      ul.append(node);
      box.append(ul);
      node.querySelector('.tog').click(); // the first level open
    } catch (e) {
      box.append(h('p', { class: 'error' }, `区域树加载失败: ${e.message}`));
    }
  }

  // ---- frame --------------------------------------------------------------------------------------

  function showPane(sel) {
    for (const s of ['#wc-empty', '#warn-form', '#warn-view']) $(s).hidden = s !== sel;
    if (sel !== '#warn-view') stopLoop();
  }

  function route() {
    const hash = location.hash;
    let m;
    if ((m = /^#w\/(\d+)$/.exec(hash))) return openWarning(Number(m[1]));
    if (hash === '#new' && isAuthor()) { current = null; renderList(); return openForm('new', null); }
    current = null;
    renderList();
    showPane('#wc-empty');
  }

  async function start() {
    try {
      me = await api('GET', '/api/v1/me');
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#wc-empty').append(h('p', { class: 'error' }, `无法连接服务器: ${err.message}`));
      return;
    }
    if (me.role === 'grid_worker') { location.replace('/gw.html'); return; }
    $('#who').textContent = `${me.display_name || me.username} · ${(LBL.ROLES || {})[me.role] || me.role}`;
    window.YJ.area(me.area_code).then((a) => { $('#who').textContent = `${me.display_name || me.username} · ${(LBL.ROLES || {})[me.role] || me.role} · ${a.name}`; }, () => {});
    $('#new-warning').hidden = !isAuthor();
    buildStaticForm();
    await loadList();
    route();
    setInterval(() => { if (!document.hidden) loadList(); }, 30000);
  }

  window.addEventListener('hashchange', route);
  $('#wc-filter').addEventListener('change', () => loadList());
  $('#warn-more').addEventListener('click', () => loadList(true));
  $('#new-warning').addEventListener('click', () => { if (location.hash === '#new') route(); else location.hash = '#new'; });
  $('#warn-form').addEventListener('submit', saveForm);
  $('#form-cancel').addEventListener('click', () => {
    const to = current ? `#w/${current.id}` : '#';
    if (location.hash === to) route(); else location.hash = to;
  });
  for (const b of $$('#loop-by button')) {
    b.addEventListener('click', () => {
      loopBy = b.dataset.by;
      for (const x of $$('#loop-by button')) x.classList.toggle('active', x === b);
      if (current) { $('#loop-map-link').href = `/?loop=${current.id}&by=${loopBy}`; refreshLoop(); }
    });
  }
  $('#logout').addEventListener('click', async () => {
    stopLoop();
    await api('POST', '/api/v1/auth/logout').catch(() => {});
    location.replace('/');
  });

  window.yjWarnings = { get current() { return current; }, refreshLoop };
  start();
})();
