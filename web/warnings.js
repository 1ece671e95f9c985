// 预警发布 console (commander, duty officer; other staff read): the list of
// warnings, the draft form with the area tree, the lifecycle actions the
// server allows now (its refusals shown as they come: the two-person rule),
// and for an issued warning the closed loop per town / village, live from
// the loop stream, with the transfer tasks and a chase button.
'use strict';

(() => {
  const { api, $, $$, h, put, fmtNum, pct, fmtTime, isPast, levelBadge, level, typeLabel, stateLabel, closureColor, W, LBL } = window.YJ;
  const { t, tv, showError } = window.I18N;
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
      $('#warn-list').append(h('li', { class: 'error' }, t('warn.list_failed', { msg: err.message })));
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
        active || rc.total ? h('span', { class: 'ackp', title: t('warn.ack_title') }, t('warn.ack_short', { ack: fmtNum(rc.acknowledged), n: fmtNum(rc.total) })) : null,
        w.evacuation ? h('span', { class: 'evac' }, t('warn.evac_short')) : null)));
    }
    if (!list.length) ul.append(h('li', { class: 'muted pad' }, t('warn.list_none')));
    $('#warn-more').hidden = !nextCursor;
  }

  // ---- one warning ------------------------------------------------------------------------------

  async function openWarning(id) {
    showPane('#warn-view');
    if (!current || current.id !== id) {
      $('#wv-head').textContent = t('common.loading');
      $('#wv-actions').textContent = '';
      $('#wv-meta').textContent = '';
      $('#action-error').textContent = '';
      $('#loop').hidden = true;
    }
    try {
      current = await api('GET', `/api/v1/warnings/${id}`);
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#wv-head').textContent = t('common.cannot_load_msg', { msg: err.message });
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
      h('div', { class: 'l1' }, levelBadge(w.level), h('span', { class: 'ty' }, t('warn.type_warning', { type: typeLabel(w.type) })),
        h('span', { class: `chip st st-${w.state}`, id: 'wv-state' }, stateLabel(w.state)),
        w.version ? h('span', { class: 'ver' }, t('warn.version', { n: w.version })) : null,
        identCell(w, 'wv-ident')),
      h('h2', { id: 'wv-headline' }, w.headline));

    // actions the server allows in this state; who may do them is the server's call
    const acts = $('#wv-actions');
    acts.textContent = '';
    if (isAuthor()) {
      if (w.state === 'draft') acts.append(h('button', { type: 'button', class: 'secondary', dataset: { action: 'edit' }, onclick: () => openForm('edit', w) }, t('warn.edit_draft')));
      for (const a of w.allowed_actions || []) {
        const hint = (a === 'approve' || a === 'reject') ? (me.role !== 'commander' ? t('warn.only_commander_approves') : (w.author && w.author.id === me.id ? t('warn.two_person') : null))
          : ((a === 'update' || (a === 'cancel' && w.state !== 'draft')) && me.role !== 'commander') ? t('warn.only_commander') : null;
        acts.append(h('button', { type: 'button', class: `act act-${a}`, dataset: { action: a }, title: hint, onclick: () => doAction(a) }, tv('warning_action', a)));
      }
    }
    if (w.version >= 1) {
      acts.append(h('a', { id: 'cap-link', class: 'btnlink', href: `/api/v1/warnings/${w.id}/cap?version=${w.version}`, target: '_blank', rel: 'noopener' }, t('warn.cap_link', { n: w.version })));
      acts.append(h('a', { class: 'btnlink', href: `/?loop=${w.id}` }, t('warn.map_link')));
    }

    const meta = $('#wv-meta');
    meta.textContent = '';
    const areaNames = (w.area_names || []).map((n, i) => n || w.areas[i]);
    const rc = w.recipients || { total: 0, acknowledged: 0 };
    const none = t('common.none');
    const rows = [
      [t('warn.row_areas'), areaNames.length ? areaNames.join(t('common.list_sep')) : (w.polygons && w.polygons.length ? t('warn.row_polygons', { n: w.polygons.length }) : none)],
      [t('warn.row_expires'), [fmtTime(w.expires, { year: true }), isPast(w.expires) ? h('b', { class: 'bad' }, t('warn.row_expired')) : null]],
      [t('warn.row_evacuation'), w.evacuation ? h('b', { class: 'evac' }, t('warn.row_evacuation_yes')) : t('common.no')],
      [t('warn.row_author'), w.author ? `${w.author.display_name || w.author.username}${t('common.sep')}${fmtTime(w.created)}` : none],
      [t('warn.row_approver'), w.approver ? `${w.approver.display_name || w.approver.username}` : none],
      [t('warn.row_issued'), w.issued ? fmtTime(w.issued, { year: true }) : none],
      w.cancelled ? [t('warn.row_cancelled'), fmtTime(w.cancelled, { year: true })] : null,
      [t('warn.row_source'), tv('warning_source', w.source)],
      w.version >= 1 ? [t('warn.row_ack'), t('warn.row_ack_text', { ack: fmtNum(rc.acknowledged), n: fmtNum(rc.total) })] : null,
      [t('warn.row_ident'), identCell(w, 'wv-ident-row', true)],
    ].filter(Boolean);
    put(meta,
      h('table', { class: 'fields' }, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
      h('div', { class: 'texts' },
        h('h4', null, t('warn.description')), h('p', { id: 'wv-description' }, w.description || none),
        h('h4', null, t('warn.instruction')), h('p', { id: 'wv-instruction', class: 'instr' }, w.instruction || none)));
  }

  // The CAP message identifier of the version shown: the warning JSON names it
  // (cap_identifier, and every version's in versions); a server that does not
  // gives it in the CAP of that version (GET /warnings/{id}/cap?version=N).
  const capInfo = new Map(); // "id/version" -> Promise<{identifier, earlier: []} | null>
  function capOf(id, version) {
    const k = `${id}/${version}`;
    if (!capInfo.has(k)) {
      capInfo.set(k, fetch(`/api/v1/warnings/${id}/cap?version=${version}`, { credentials: 'same-origin' })
        .then((r) => (r.ok ? r.text() : null))
        .then((xml) => {
          if (!xml) return null;
          const doc = new DOMParser().parseFromString(xml, 'application/xml');
          const one = (n) => { const el = doc.getElementsByTagNameNS('*', n)[0]; return el ? el.textContent.trim() : ''; };
          const earlier = one('references').split(/\s+/).filter(Boolean).map((x) => x.split(',')[1]).filter(Boolean);
          return one('identifier') ? { identifier: one('identifier'), earlier } : null;
        })
        .catch(() => null)
        .then((r) => { if (!r) capInfo.delete(k); return r; }));
    }
    return capInfo.get(k);
  }

  // an element showing the identifier of w's version (filled in when the CAP has come);
  // withEarlier: the earlier versions' identifiers below it
  function identCell(w, id, withEarlier = false) {
    const el = h('span', { class: 'ident', id, dataset: { version: w.version }, title: t('warn.cap_ident_title', { n: w.version || 1 }) });
    if (w.version < 1) { el.textContent = w.identifier; return el; } // a draft: the identifier it will be issued under
    if (w.cap_identifier && Array.isArray(w.versions)) {
      // the warning names each version's message itself
      el.textContent = w.cap_identifier;
      el.dataset.identifier = w.cap_identifier;
      const earlier = w.versions.filter((v) => v.version < w.version).map((v) => v.identifier);
      if (withEarlier && earlier.length) queueMicrotask(() => el.after(h('small', { class: 'ident-earlier' }, ' ', t('warn.row_ident_older', { list: earlier.join(t('common.list_sep')) }))));
      return el;
    }
    el.textContent = t('common.loading');
    capOf(w.id, w.version).then((cap) => {
      if (!current || current.id !== w.id || current.version !== w.version) return;
      el.textContent = cap ? cap.identifier : t('common.none');
      el.dataset.identifier = cap ? cap.identifier : '';
      if (withEarlier && cap && cap.earlier.length) el.after(h('small', { class: 'ident-earlier' }, ' ', t('warn.row_ident_older', { list: cap.earlier.join(t('common.list_sep')) })));
    });
    return el;
  }

  // the server's refusals of a lifecycle step, in the page's words
  function actionErrors(action, w) {
    return {
      prefix: t('warn.action_failed', { action: tv('warning_action', action), msg: '' }),
      codes: {
        permission_denied: () => {
          if ((action === 'approve' || action === 'reject') && me.role === 'commander' && w.author && w.author.id === me.id) return t('warn.refused_two_person');
          if (me.role !== 'commander') return t('warn.refused_commander');
          return t('error.code.permission_denied');
        },
      },
    };
  }

  async function doAction(action) {
    const w = current;
    $('#action-error').textContent = '';
    if (action === 'update') return openForm('update', w);
    if (action === 'cancel' && !confirm(t(w.state === 'issued' ? 'warn.confirm_cancel_issued' : 'warn.confirm_cancel'))) return;
    if (action === 'reject' && !confirm(t('warn.confirm_reject'))) return;
    if (action === 'issue' && !confirm(t('warn.confirm_issue', { headline: w.headline }))) return;
    for (const b of $$('#wv-actions button')) b.disabled = true;
    try {
      const r = await api('POST', `/api/v1/warnings/${w.id}/${action}`);
      current = r;
      renderWarning();
      if (action === 'issue' || action === 'update') flash(t('warn.action_ok_pushed', { action: tv('warning_action', action), n: fmtNum(r.dispatched) }));
      else flash(t('warn.action_ok', { action: tv('warning_action', action) }));
      if (current.version >= 1) startLoop(current.id);
      loadList();
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      showError($('#action-error'), err, actionErrors(action, w));
      for (const b of $$('#wv-actions button')) b.disabled = false;
    }
  }

  function flash(text) {
    let box = $('#wc-toast');
    if (!box) { box = h('div', { id: 'wc-toast', role: 'status' }); document.body.append(box); }
    box.textContent = text;
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, 4000);
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
        escalation: (d) => {
          // the event names the area by its code: say its name
          window.YJ.area(d.to_area).then((a) => a.name, () => d.to_area)
            .then((area) => logLine(t('warn.escalation_log', { id: d.recipient_id, step: d.step, area })));
          refreshLoopSoon();
        },
      }, { onState: (st) => { $('#loop-live').className = `live ${st}`; $('#loop-live').textContent = t(st === 'live' ? 'common.live' : 'common.reconnecting'); if (st === 'live') refreshLoopSoon(); } });
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
      $('#loop-totals').textContent = t('warn.loop_failed', { msg: err.message });
      return;
    }
    if (seq !== loopSeq || !current || current.id !== id) return;
    renderLoop(loop);
    // the list's "确认 a/b" of this warning follows too
    const li = list.find((w) => w.id === id);
    const tot = loop.totals;
    if (li && loop.group_by && (!li.recipients || li.recipients.acknowledged !== tot.states.acknowledged || li.recipients.total !== tot.recipients)) {
      li.recipients = { total: tot.recipients, acknowledged: tot.states.acknowledged };
      renderList();
    }
    renderTasks(tasks.items || []);
  }

  const unread = (s) => (s.queued || 0) + (s.sent || 0) + (s.delivered || 0);

  function bar(p) {
    return h('div', { class: 'pbar', title: pct(p) }, h('i', { style: { width: `${Math.max(0, Math.min(100, p))}%`, background: closureColor(p) } }), h('span', null, pct(p)));
  }

  function renderLoop(loop) {
    const tot = loop.totals;
    const sec = $('#loop');
    sec.dataset.by = loop.group_by;
    const box = $('#loop-totals');
    box.textContent = '';
    const card = (k, label, v, cls = '') => h('div', { class: `tot ${cls}`, dataset: { k } }, h('b', null, v), h('span', null, label));
    put(box,
      card('recipients', t('warn.tot_recipients'), fmtNum(tot.recipients)),
      card('acknowledged', t('warn.tot_ack'), fmtNum(tot.states.acknowledged), 'ok'),
      card('acknowledged_pct', t('warn.tot_ack_pct'), pct(tot.acknowledged_pct)),
      card('read', t('warn.tot_read'), fmtNum(tot.states.read)),
      card('unread', t('warn.tot_unread'), fmtNum(unread(tot.states)), unread(tot.states) ? 'bad' : ''),
      card('planned', t('warn.tot_planned'), fmtNum(tot.planned)),
      card('moved', t('warn.tot_moved'), fmtNum(tot.moved), 'ok'),
      card('open_tasks', t('warn.tot_open_tasks'), fmtNum(tot.open_tasks), tot.open_tasks ? 'warn' : ''),
      card('open_escalations', t('warn.tot_escalations'), fmtNum(tot.open_escalations), tot.open_escalations ? 'bad' : ''),
      card('closed', t('warn.tot_closed'), t(tot.closed ? 'warn.closed_yes' : 'warn.closed_no'), tot.closed ? 'ok' : 'warn'));
    const len = loop.group_by === 'village' ? 12 : 9;
    const groups = [...loop.groups].sort((a, b) => (a.code.length === len) - (b.code.length === len) || a.code.localeCompare(b.code));
    const tb = $('#loop-table tbody');
    tb.textContent = '';
    for (const g of groups) {
      const upper = g.code.length < len;
      tb.append(h('tr', { dataset: { code: g.code }, class: `${upper ? 'upper' : ''}${g.closed ? ' closed' : ''}` },
        h('td', { class: 'nm' }, h('span', { class: 'sw', style: { background: closureColor(g.acknowledged_pct) } }), g.name || g.code,
          upper ? h('small', null, t('warn.own_level')) : null, g.closed ? h('span', { class: 'okmark', title: t('warn.closed_mark') }, ' ✓') : null),
        h('td', { class: 'n', dataset: { k: 'recipients' } }, fmtNum(g.recipients)),
        h('td', { class: 'n', dataset: { k: 'acknowledged' } }, fmtNum(g.states.acknowledged)),
        h('td', { dataset: { k: 'acknowledged_pct' } }, bar(g.acknowledged_pct)),
        h('td', { class: 'n', dataset: { k: 'read' } }, fmtNum(g.states.read)),
        h('td', { class: `n${unread(g.states) ? ' bad' : ''}`, dataset: { k: 'unread' } }, fmtNum(unread(g.states))),
        h('td', { class: 'n', dataset: { k: 'planned' } }, g.planned ? fmtNum(g.planned) : t('common.none')),
        h('td', { class: 'n', dataset: { k: 'moved' } }, g.planned || g.moved ? fmtNum(g.moved) : t('common.none')),
        h('td', { class: `n${g.open_tasks ? ' warn' : ''}`, dataset: { k: 'open_tasks' } }, g.tasks ? fmtNum(g.open_tasks) : t('common.none')),
        h('td', { class: `n${g.open_escalations ? ' bad' : ''}`, dataset: { k: 'open_escalations' } }, fmtNum(g.open_escalations))));
    }
    const tf = $('#loop-table tfoot');
    tf.textContent = '';
    tf.append(h('tr', { class: 'total' },
      h('td', null, t('warn.total_row', { n: groups.length, unit: tv('area_level', loop.group_by === 'village' ? 'village' : 'town') })),
      h('td', { class: 'n', dataset: { k: 'recipients' } }, fmtNum(tot.recipients)),
      h('td', { class: 'n', dataset: { k: 'acknowledged' } }, fmtNum(tot.states.acknowledged)),
      h('td', { dataset: { k: 'acknowledged_pct' } }, bar(tot.acknowledged_pct)),
      h('td', { class: 'n', dataset: { k: 'read' } }, fmtNum(tot.states.read)),
      h('td', { class: 'n', dataset: { k: 'unread' } }, fmtNum(unread(tot.states))),
      h('td', { class: 'n', dataset: { k: 'planned' } }, fmtNum(tot.planned)),
      h('td', { class: 'n', dataset: { k: 'moved' } }, fmtNum(tot.moved)),
      h('td', { class: 'n', dataset: { k: 'open_tasks' } }, fmtNum(tot.open_tasks)),
      h('td', { class: 'n', dataset: { k: 'open_escalations' } }, fmtNum(tot.open_escalations))));
    sec.dataset.acknowledged = tot.states.acknowledged;
    sec.dataset.moved = tot.moved;
  }

  const rpType = (ty) => (LBL.VALUES && LBL.VALUES.type && LBL.VALUES.type[ty]) || ty || '';

  function renderTasks(items) {
    const table = $('#task-table');
    table.hidden = $('#tasks-title').hidden = !items.length;
    const tb = table.querySelector('tbody');
    tb.textContent = '';
    const canChase = isAuthor();
    for (const task of items) {
      const rp = task.risk_point || {};
      const gw = task.grid_worker;
      tb.append(h('tr', { dataset: { id: task.id, state: task.state } },
        h('td', null, rp.name || t('common.none'), h('small', null, ` ${rpType(rp.type)}`)),
        h('td', null, task.area_name || task.area_code),
        h('td', null, gw ? [gw.display_name, ' ', gw.phone ? h('a', { href: `tel:${gw.phone}` }, gw.phone) : null] : t('common.none')),
        h('td', { class: 'n' }, fmtNum(task.planned)),
        h('td', { class: 'n' }, fmtNum(task.moved)),
        h('td', null, h('span', { class: `chip ts-${task.state}` }, tv('task_state', task.state)),
          task.closed_reason && task.state === 'closed' ? h('small', null, ` ${tv('task_closed_reason', task.closed_reason, '')}`) : null),
        h('td', null, canChase && task.state === 'open' ? h('button', { type: 'button', class: 'chase', dataset: { task: task.id }, onclick: (ev) => chase(task, ev.target) }, t('warn.chase')) : null)));
    }
  }

  async function chase(task, btn) {
    btn.disabled = true;
    try {
      await api('POST', `/api/v1/transfer-tasks/${task.id}/chase`);
      btn.textContent = t('warn.chased');
      logLine(t('warn.chase_log', { name: (task.risk_point && task.risk_point.name) || t('warn.task_n', { id: task.id }), who: task.grid_worker ? task.grid_worker.display_name : '' }));
    } catch (err) {
      btn.disabled = false;
      flash(t('warn.chase_failed', { msg: err.message }));
    }
  }

  // ---- the form -----------------------------------------------------------------------------------

  // the form's labels name the fields in error messages
  const FORM_FIELDS = () => ({
    type: t('warn.f_type'), level: t('warn.f_level'), headline: t('warn.f_headline'), description: t('warn.f_description'),
    instruction: t('warn.f_instruction'), expires: t('warn.f_expires'), evacuation: t('warn.f_evacuation'), areas: t('warn.f_areas'),
  });

  const pad = (n) => String(n).padStart(2, '0');
  const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

  function buildStaticForm() {
    const sel = $('#f-type');
    for (const [k, v] of Object.entries(W.TYPES)) sel.append(h('option', { value: k }, v));
    const lv = $('#f-level');
    for (const k of LEVEL_ORDER) {
      const L = level(k);
      lv.append(h('label', { class: `lvopt lvopt-${k}`, style: { '--c': L.color, '--ink': L.ink } },
        h('input', { type: 'radio', name: 'level', value: k }), h('span', null, t('warn.f_level_option', { label: L.label, grade: L.grade }))));
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
    $('#form-title').textContent = mode === 'new' ? t('warn.form_new') : mode === 'edit' ? t('warn.form_edit', { id: w.id }) : t('warn.form_update', { id: w.id, n: w.version + 1 });
    $('#form-note').textContent = mode === 'update' ? t('warn.note_update') : mode === 'new' ? t('warn.note_new') : '';
    $('#form-save').textContent = t(mode === 'update' ? 'warn.save_update' : 'warn.save_draft');
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
      if (!Object.keys(diff).length) { err.textContent = t('warn.no_change'); return; }
      req = api('POST', `/api/v1/warnings/${current.id}/update`, diff);
    } else if (formMode === 'edit') {
      req = api('PATCH', `/api/v1/warnings/${current.id}`, body);
    } else {
      if (!v.level) { err.textContent = t('warn.pick_level'); return; }
      req = api('POST', '/api/v1/warnings', body);
    }
    $('#form-save').disabled = true;
    try {
      const w = await req;
      current = w;
      if (formMode === 'update') flash(t('warn.saved_update', { n: w.version, m: fmtNum(w.dispatched) }));
      else flash(formMode === 'new' ? t('warn.saved_new', { id: w.id }) : t('warn.saved'));
      await loadList();
      if (location.hash === `#w/${w.id}`) openWarning(w.id); else location.hash = `#w/${w.id}`;
    } catch (e) {
      if (e.status === 401) return window.YJ.toLogin();
      showError(err, e, { prefix: t('warn.save_failed', { msg: '' }), fields: FORM_FIELDS(), values: body });
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
        locked.has(code) ? null : h('button', { type: 'button', class: 'x', title: t('common.remove'), 'aria-label': t('common.remove'), onclick: () => { picked.delete(code); renderPicked(); syncTreeChecks(); } }, '×')));
    }
    if (!picked.size) box.append(h('span', { class: 'muted' }, t('warn.areas_none')));
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
    const tog = h('button', { type: 'button', class: 'tog', 'aria-label': t('common.expand'), disabled: !a.children }, a.children ? '▸' : '·');
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
        kids.append(h('li', { class: 'muted' }, t('common.loading')));
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
      box.append(h('p', { class: 'error' }, t('warn.tree_failed', { msg: e.message })));
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
      $('#wc-empty').append(h('p', { class: 'error' }, t('common.cannot_connect', { msg: err.message })));
      return;
    }
    if (me.role === 'grid_worker') { location.replace('/gw.html'); return; }
    window.YJ.showWho(me);
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
