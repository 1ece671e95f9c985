// 网格员 (grid worker) page, phone-sized: the inbox of warnings (read,
// acknowledge), the transfer tasks (临灾转移) with moved-person reports,
// live through the inbox stream, and an outbox in localStorage so that
// nothing typed on a hillside without signal is lost: a failed POST is
// retried with the same Idempotency-Key until the server has it, and the
// server counts a key once.
'use strict';

(() => {
  const { api, $, $$, h, put, fmtNum, fmtTime, isPast, uuid, level, levelBadge, typeLabel, W, LBL } = window.YJ;
  const { t, tv } = window.I18N;
  const RETRY_MS = 4000;

  let me = null;
  let inbox = [];      // items of GET /me/inbox
  let tasks = [];      // items of GET /me/tasks
  let openWarning = null; // the inbox item shown in #warn-detail
  let openTask = null;    // the task shown in #task-detail (with reports)
  let live = null;
  const knownAreas = {}; // code -> name

  // ---- outbox: POSTs kept until the server answered -------------------------------------------

  const outboxKey = () => `yj.outbox.${me ? me.id : 0}`;
  const outbox = {
    all() {
      try { return JSON.parse(localStorage.getItem(outboxKey()) || '[]'); } catch { return []; }
    },
    save(items) {
      localStorage.setItem(outboxKey(), JSON.stringify(items));
      showPending();
    },
    add(item) { const a = this.all(); a.push(item); this.save(a); },
    remove(key) { this.save(this.all().filter((x) => x.key !== key)); },
    patch(key, fields) { this.save(this.all().map((x) => (x.key === key ? { ...x, ...fields } : x))); },
  };

  function showPending() {
    const n = me ? outbox.all().length : 0;
    const b = $('#pending-badge');
    b.hidden = n === 0;
    b.textContent = t('gw.pending', { n });
    b.dataset.count = n;
  }

  // send one queued POST; answers 'sent' | 'kept' (try again later) | 'refused' (a 4xx: dropped)
  async function sendOne(item) {
    // every queued POST carries its key: a retry after a lost answer is carried out once
    const headers = { 'Idempotency-Key': item.key };
    try {
      const r = await api('POST', item.url, item.body, { headers });
      outbox.remove(item.key);
      return { result: 'sent', data: r };
    } catch (err) {
      if (err.status === 0 || err.status >= 500 || err.status === 429 || err.status === 408) {
        outbox.patch(item.key, { tries: (item.tries || 0) + 1, last_error: err.message, last_try: new Date().toISOString() });
        return { result: 'kept', err };
      }
      if (err.status === 401) { // signed out meanwhile: keep it for after the next sign-in
        outbox.patch(item.key, { last_error: t('gw.session_expired') });
        return { result: 'kept', err, auth: true };
      }
      outbox.remove(item.key);
      return { result: 'refused', err };
    }
  }

  // One sender at a time (a submit, the timer and the online event may all ask):
  // a flush asked for while one runs makes it go round once more.
  let flushing = null, flushAgain = false;
  const results = new Map(); // key -> the last outcome of sending it
  function flush() {
    if (!me) return Promise.resolve();
    if (flushing) { flushAgain = true; return flushing; }
    const run = (async () => {
      await null; // the body runs after `flushing` is set, even with nothing to send
      try {
        do {
          flushAgain = false;
          for (const item of outbox.all()) {
            // sent meanwhile (another tab, or an earlier round)
            if (!outbox.all().some((x) => x.key === item.key)) continue;
            const r = await sendOne(item);
            results.set(item.key, r);
            if (r.result === 'sent') afterSent(item, r.data);
            else if (r.result === 'refused') afterRefused(item, r.err);
            else if (r.auth) { banner(t('gw.session_expired_banner', { n: outbox.all().length })); flushAgain = false; break; }
            else if (r.err.status === 0) { flushAgain = false; break; } // still offline: the rest would fail the same way
          }
        } while (flushAgain);
      } finally {
        flushing = null;
        showPending();
      }
    })();
    flushing = run;
    return run;
  }

  // queue a POST and try to send it now; answers the outcome ('kept' when not tried)
  const foreground = new Set(); // keys whose answer the caller of post() shows
  async function post(item) {
    foreground.add(item.key);
    try {
      outbox.add(item);
      await flush();
      return results.get(item.key) || { result: 'kept', err: { status: 0, message: t('common.network_down') } };
    } finally {
      foreground.delete(item.key);
    }
  }

  function afterSent(item, data) {
    if (foreground.has(item.key)) return; // the handler that queued it shows the answer
    if (item.kind === 'report') {
      toast(t('gw.sent_report', { label: item.label }) + (data && data.duplicate ? t('gw.sent_duplicate') : ''));
      if (data && data.id) mergeTask(data);
      if (openTask && openTask.id === item.task_id && !pendingReports(item.task_id).length) {
        $('#report-msg').textContent = t('gw.pending_delivered', { n: data ? data.moved : '?' });
        $('#report-msg').className = 'msg ok';
      }
    } else if (item.kind === 'ack') {
      const it = inbox.find((x) => x.warning.id === item.warning_id);
      if (it && data && data.recipient) { it.recipient = data.recipient; Object.assign(it.warning, data.warning); }
    }
    renderInbox();
    renderTasks();
    if (openTask && item.task_id === openTask.id) loadTask(openTask.id, { quiet: true });
    if (openWarning && item.warning_id === openWarning.warning.id) renderWarning();
  }

  function afterRefused(item, err) {
    if (foreground.has(item.key)) return;
    if (item.kind === 'ack' && err.field === 'version') {
      toast(t('gw.newer_version'), true);
      refreshInbox();
      if (openWarning && openWarning.warning.id === item.warning_id) openWarningDetail(item.warning_id, { newer: true });
    } else {
      toast(t('gw.refused', { label: item.label, msg: err.message }), true);
    }
    if (item.kind === 'report') refreshTasks();
  }

  // ---- small UI bits --------------------------------------------------------------------------

  let toastTimer;
  function toast(text, bad = false) {
    let box = $('#toast');
    if (!box) { box = h('div', { id: 'toast', role: 'status' }); document.body.append(box); }
    box.textContent = text;
    box.className = bad ? 'bad' : '';
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 4500);
  }

  function banner(text) {
    const b = $('#live-banner');
    b.textContent = text;
    b.hidden = !text;
  }

  function setNet() {
    const el = $('#net-status');
    const online = navigator.onLine !== false;
    const streaming = live && live.readyState === 1;
    el.className = `net ${!online ? 'off' : streaming ? 'on' : 'wait'}`;
    el.title = t(!online ? 'gw.net_offline_title' : streaming ? 'gw.net_live_title' : 'gw.net_wait_title');
    el.textContent = !online ? t('gw.net_offline') : '●';
  }

  const recipientState = (it) => {
    if (pendingAck(it.warning.id)) return 'acknowledged';
    return it.recipient.state;
  };
  const pendingAck = (wid) => outbox.all().find((x) => x.kind === 'ack' && x.warning_id === wid);
  const pendingReports = (tid) => outbox.all().filter((x) => x.kind === 'report' && x.task_id === tid);

  // ---- inbox ------------------------------------------------------------------------------------

  async function refreshInbox() {
    try {
      const r = await api('GET', '/api/v1/me/inbox');
      inbox = r.items || [];
      // newest first (the server's order too)
      inbox.sort((a, b) => String(b.warning.issued || '').localeCompare(String(a.warning.issued || '')) || b.warning.id - a.warning.id);
      $('#inbox-note').textContent = '';
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#inbox-note').textContent = err.network ? t('gw.offline_cached') : t('gw.note_error', { msg: err.message });
    }
    renderInbox();
  }

  function inboxLabel(it) {
    const ws = it.warning.state;
    if (ws === 'cancelled') return ['cancelled', t('gw.cancelled')];
    if (ws === 'expired' || (ws === 'issued' && isPast(it.warning.expires))) return ['expired', t('gw.expired')];
    const rs = recipientState(it);
    return [rs, tv('recipient_state', rs)];
  }

  function renderInbox() {
    const ul = $('#gw-inbox');
    ul.textContent = '';
    let unread = 0;
    for (const it of inbox) {
      const w = it.warning;
      const [st, stLabel] = inboxLabel(it);
      const active = w.state === 'issued' && !isPast(w.expires);
      if (active && recipientState(it) !== 'acknowledged') unread++;
      const L = level(w.level);
      ul.append(h('li', {
        class: `card warn-item lvb-${w.level} st-${st}${active ? '' : ' inactive'}`,
        dataset: { id: w.id, state: it.recipient.state, level: w.level, version: w.version },
        style: { borderLeftColor: L.color },
        tabindex: '0',
        onclick: () => { location.hash = `#w/${w.id}`; },
        onkeydown: (ev) => { if (ev.key === 'Enter') location.hash = `#w/${w.id}`; },
      },
      h('div', { class: 'line1' }, levelBadge(w.level, { grade: false }), h('span', { class: 'type' }, typeLabel(w.type)),
        w.evacuation ? h('span', { class: 'evac' }, t('gw.needs_evac')) : null,
        h('span', { class: `rs rs-${st}` }, stLabel)),
      h('div', { class: 'headline' }, w.headline),
      h('div', { class: 'meta' },
        h('span', null, t('gw.issued_at', { t: fmtTime(w.issued) })),
        h('span', { class: 'exp' }, t(active ? 'gw.valid_until' : 'gw.until', { t: fmtTime(w.expires) })),
        w.version > 1 ? h('span', { class: 'ver' }, t('gw.version_short', { n: w.version })) : null)));
    }
    $('#inbox-empty').hidden = inbox.length > 0;
    const b = $('#inbox-badge');
    b.hidden = unread === 0;
    b.textContent = unread;
  }

  async function openWarningDetail(id, { newer = false } = {}) {
    showView('#warn-detail');
    const prev = openWarning && openWarning.warning.id === id ? openWarning : null;
    if (!prev) { $('#warn-body').textContent = t('common.loading'); $('#ack-msg').textContent = ''; }
    $('#warn-notice').hidden = !newer;
    if (newer) $('#warn-notice').textContent = t('gw.notice_newer');
    try {
      // opening marks it read
      const it = await api('GET', `/api/v1/me/inbox/${id}`);
      if (prev && it.warning.version > prev.warning.version) {
        $('#warn-notice').hidden = false;
        $('#warn-notice').textContent = t('gw.notice_newer_n', { n: it.warning.version });
      }
      openWarning = it;
      const i = inbox.findIndex((x) => x.warning.id === id);
      if (i >= 0) inbox[i] = it; else inbox.unshift(it);
      renderInbox();
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      const cached = inbox.find((x) => x.warning.id === id);
      if (!cached) { $('#warn-body').textContent = t('common.cannot_load_msg', { msg: err.message }); $('#ack-btn').hidden = true; return; }
      openWarning = cached;
      if (err.network) $('#ack-msg').textContent = t('gw.offline_shown');
    }
    renderWarning();
  }

  function renderWarning() {
    const it = openWarning;
    if (!it) return;
    const w = it.warning, r = it.recipient;
    const L = level(w.level);
    const sec = $('#warn-detail');
    sec.dataset.id = w.id;
    sec.dataset.version = w.version;
    sec.dataset.state = recipientState(it);
    const areas = h('span', { class: 'areas' }, (w.areas || []).map((c) => knownAreas[c] || c).join('、'));
    Promise.all((w.areas || []).map((c) => knownAreas[c] || window.YJ.area(c).then((a) => a.name, () => c))).then((n) => { if (n.length) areas.textContent = n.join('、'); });
    const body = $('#warn-body');
    body.textContent = '';
    put(body,
      h('header', { class: 'w-head', style: { background: L.color, color: L.ink } },
        h('div', { class: 'w-level' }, t('gw.level_head', { type: typeLabel(w.type), level: L.label }), h('span', null, L.grade)),
        h('h1', { id: 'warn-headline' }, w.headline)),
      h('dl', { class: 'w-meta' },
        h('dt', null, t('gw.m_issued')), h('dd', null, fmtTime(w.issued, { year: true })),
        h('dt', null, t('gw.m_expires')), h('dd', { id: 'warn-expires' }, fmtTime(w.expires, { year: true }), isPast(w.expires) ? h('b', { class: 'past' }, t('gw.m_expired')) : null),
        h('dt', null, t('gw.m_areas')), h('dd', null, areas),
        h('dt', null, t('gw.m_version')), h('dd', null, t('gw.m_version_text', { n: w.version }), w.version > 1 ? t('gw.m_updated') : ''),
        h('dt', null, t('gw.m_state')), h('dd', null, h('span', { class: `rs rs-${recipientState(it)}` }, tv('recipient_state', recipientState(it))),
          w.state !== 'issued' ? h('b', { class: 'past' }, t('gw.m_warning_state', { state: tv('warning_state', w.state) })) : null)),
      w.evacuation ? h('p', { class: 'evac-note' }, t('gw.evac_note'), h('a', { href: '#tasks' }, t('gw.evac_link'))) : null,
      h('h3', null, t('gw.description')),
      h('p', { id: 'warn-description', class: 'txt' }, w.description || '—'),
      h('h3', null, t('gw.instruction')),
      h('p', { id: 'warn-instruction', class: 'txt instr' }, w.instruction || '—'));
    const btn = $('#ack-btn');
    btn.hidden = false;
    const pend = pendingAck(w.id);
    if (r.state === 'acknowledged') {
      btn.disabled = true; btn.className = 'big done'; btn.textContent = t('gw.acked');
      $('#ack-msg').textContent = t('gw.acked_at', { t: fmtTime(r.acknowledged, { seconds: true }) });
    } else if (pend) {
      btn.disabled = true; btn.className = 'big done pend'; btn.textContent = t('gw.acked_pending');
      $('#ack-msg').textContent = t('gw.send_later');
    } else if (w.state !== 'issued') {
      btn.disabled = true; btn.className = 'big off'; btn.textContent = t('gw.no_ack_needed', { state: tv('warning_state', w.state) });
    } else {
      btn.disabled = false; btn.className = 'big'; btn.textContent = t('gw.ack');
      if ($('#ack-msg').textContent !== t('gw.offline_shown')) $('#ack-msg').textContent = '';
    }
  }

  async function acknowledge() {
    const it = openWarning;
    if (!it) return;
    const w = it.warning;
    const item = { key: uuid(), kind: 'ack', url: `/api/v1/me/inbox/${w.id}/ack`, body: { version: it.recipient.version }, warning_id: w.id, label: t('gw.ack_label', { headline: w.headline }), created: new Date().toISOString(), tries: 0 };
    $('#ack-btn').disabled = true;
    const r = await post(item);
    if (r.result === 'sent') {
      // the answer is the recipient record and the warning's id, version and state
      it.recipient = r.data.recipient;
      Object.assign(it.warning, r.data.warning);
      $('#warn-notice').hidden = true;
    } else if (r.result === 'refused') {
      if (r.err.field === 'version' || r.err.status === 409) {
        // a newer version replaced the one shown: say so and reload it
        await openWarningDetail(w.id, { newer: r.err.field === 'version' });
        if (r.err.field !== 'version') $('#ack-msg').textContent = r.err.message;
        return;
      }
      $('#ack-msg').textContent = t('gw.ack_failed', { msg: r.err.message });
    } else {
      toast(t('gw.ack_saved'));
    }
    renderInbox();
    renderWarning();
  }

  // ---- tasks ------------------------------------------------------------------------------------

  async function refreshTasks() {
    try {
      const r = await api('GET', '/api/v1/me/tasks');
      tasks = r.items || [];
      $('#tasks-note').textContent = '';
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#tasks-note').textContent = err.network ? t('gw.offline_cached') : t('gw.note_error', { msg: err.message });
    }
    renderTasks();
  }

  function mergeTask(task) {
    const i = tasks.findIndex((x) => x.id === task.id);
    if (i >= 0) tasks[i] = { ...tasks[i], ...task }; else tasks.unshift(task);
    if (openTask && openTask.id === task.id) openTask = { ...openTask, ...task };
  }

  const rpType = (ty) => (LBL.VALUES && LBL.VALUES.type && LBL.VALUES.type[ty]) || ty || '';

  function progress(moved, planned, pend) {
    const p = planned ? Math.min(100, (100 * moved) / planned) : (moved ? 100 : 0);
    const q = planned ? Math.min(100 - p, (100 * pend) / planned) : 0;
    return h('div', { class: 'prog', title: `${moved} / ${planned}` },
      h('i', { style: { width: `${p}%` } }), pend ? h('i', { class: 'pend', style: { width: `${q}%` } }) : null);
  }

  function renderTasks() {
    const ul = $('#gw-tasks');
    ul.textContent = '';
    let open = 0;
    for (const task of tasks) {
      const pend = pendingReports(task.id);
      const pendMoved = pend.reduce((s, x) => s + (x.body.moved || 0), 0);
      if (task.state === 'open') open++;
      const rp = task.risk_point || {};
      ul.append(h('li', {
        class: `card task-item st-${task.state}`, dataset: { id: task.id, state: task.state }, tabindex: '0',
        style: { borderLeftColor: level(task.level).color },
        onclick: () => { location.hash = `#t/${task.id}`; },
        onkeydown: (ev) => { if (ev.key === 'Enter') location.hash = `#t/${task.id}`; },
      },
      h('div', { class: 'line1' }, levelBadge(task.level, { grade: false }), h('span', { class: 'type' }, rpType(rp.type)),
        h('span', { class: `ts ts-${task.state}` }, tv('task_state', task.state))),
      h('div', { class: 'headline' }, rp.name || t('gw.task_n', { id: task.id })),
      h('div', { class: 'meta' }, h('span', null, task.area_name || task.area_code), h('span', { class: 'hl' }, task.headline)),
      h('div', { class: 'counts' },
        h('span', { class: 'mv' }, t('gw.moved_of'), h('b', { class: 'moved' }, fmtNum(task.moved)), t('gw.planned_of'), h('b', { class: 'planned' }, fmtNum(task.planned)), t('gw.persons_tail')),
        pend.length ? h('span', { class: 'pendtag' }, t('gw.pending_plus', { n: pendMoved })) : null),
      progress(task.moved, task.planned, pendMoved)));
    }
    $('#tasks-empty').hidden = tasks.length > 0;
    const b = $('#tasks-badge');
    b.hidden = open === 0;
    b.textContent = open;
  }

  async function loadTask(id, { quiet = false } = {}) {
    if (!quiet) { $('#task-body').textContent = t('common.loading'); $('#report-form').hidden = true; }
    try {
      openTask = await api('GET', `/api/v1/transfer-tasks/${id}`);
      mergeTask(openTask);
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      const cached = tasks.find((x) => x.id === id);
      if (!cached) { $('#task-body').textContent = t('common.cannot_load_msg', { msg: err.message }); return; }
      openTask = { reports: [], ...cached, ...(openTask && openTask.id === id ? { reports: openTask.reports } : {}) };
    }
    renderTask();
    renderTasks();
  }

  async function openTaskDetail(id) {
    showView('#task-detail');
    const fresh = !openTask || openTask.id !== id;
    if (fresh) {
      $('#report-form').reset();
      $('#report-msg').textContent = '';
      shelters = null;
      delete $('#report-shelter').dataset.loaded;
      syncKind();
    }
    await loadTask(id);
    if (fresh) loadShelters();
  }

  function renderTask() {
    const task = openTask;
    const sec = $('#task-detail');
    sec.dataset.id = task.id;
    sec.dataset.state = task.state;
    const rp = task.risk_point || {};
    const pend = pendingReports(task.id);
    const pendMoved = pend.reduce((s, x) => s + (x.body.moved || 0), 0);
    const body = $('#task-body');
    body.textContent = '';
    put(body,
      h('header', { class: 't-head', style: { borderTopColor: level(task.level).color } },
        h('div', { class: 'line1' }, levelBadge(task.level), h('span', { class: `ts ts-${task.state}` }, tv('task_state', task.state))),
        h('h1', null, rp.name || t('gw.task_n', { id: task.id })),
        h('div', { class: 'meta' }, `${rpType(rp.type)}${t('common.sep')}${task.area_name || task.area_code}`),
        h('div', { class: 'meta hl' }, task.headline)),
      h('div', { class: 'big-counts' },
        h('div', null, h('b', { id: 'task-moved' }, fmtNum(task.moved)), h('span', null, t('gw.big_moved'))),
        h('div', null, h('b', { id: 'task-planned' }, fmtNum(task.planned)), h('span', null, t('gw.big_planned'))),
        h('div', null, h('b', { id: 'task-left' }, fmtNum(Math.max(0, task.planned - task.moved))), h('span', null, t('gw.big_left')))),
      progress(task.moved, task.planned, pendMoved),
      pend.length ? h('p', { class: 'pend-note', id: 'task-pending' }, t('gw.pending_note', { n: pend.length, m: pendMoved })) : null,
      task.state === 'closed' ? h('p', { class: 'closed-note' }, [t('gw.task_closed'), task.closed ? fmtTime(task.closed) : null, task.closed_reason ? closedReason(task.closed_reason) : null].filter(Boolean).join(t('common.sep'))) : null,
      rp.point ? h('p', { class: 'meta' }, h('a', { href: `geo:${rp.point[1]},${rp.point[0]}` }, t('gw.open_map', { lat: rp.point[1].toFixed(5), lon: rp.point[0].toFixed(5) }))) : null);
    const reps = task.reports || [];
    if (reps.length || pend.length) {
      body.append(h('h3', null, t('gw.reports_title')), h('ul', { class: 'reports', id: 'task-reports' },
        reps.map((r) => h('li', { dataset: { id: r.id } },
          h('span', { class: 'when' }, fmtTime(r.created)),
          r.nobody_at_risk ? h('span', null, t('gw.report_nobody', { reason: r.reason || '' })) : h('span', null, t('gw.report_moved_line', { n: r.moved }) + (r.shelter ? t('gw.report_to', { shelter: r.shelter.name }) : '')),
          r.note ? h('small', null, ` ${r.note}`) : null)),
        pend.map((x) => h('li', { class: 'pend' }, h('span', { class: 'when' }, t('gw.pending_when')), h('span', null, x.label)))));
    }
    $('#report-form').hidden = task.state !== 'open';
    $('#report-all').textContent = t('gw.report_all_n', { n: Math.max(0, task.planned - task.moved - pendMoved) });
  }

  const closedReason = (r) => tv('task_closed_reason', r, '');

  const REPORT_FIELDS = () => ({ moved: t('gw.report_moved'), reason: t('gw.report_reason'), note: t('gw.report_note'), shelter_id: t('gw.report_shelter') });

  let shelters = null;
  async function loadShelters() {
    const task = openTask;
    const sel = $('#report-shelter');
    const keep = sel.value;
    const pt = task && task.risk_point && task.risk_point.point;
    if (!pt) { sel.dataset.loaded = 'none'; return; }
    try {
      const qs = new URLSearchParams({ lon: pt[0], lat: pt[1], radius_m: 5000, layers: 'shelters' });
      const r = await api('GET', `/api/v1/nearby?${qs}`);
      shelters = (r.items || []).filter((x) => x.layer === 'shelters');
      localStorage.setItem(`yj.shelters.${task.id}`, JSON.stringify(shelters));
    } catch {
      try { shelters = JSON.parse(localStorage.getItem(`yj.shelters.${task.id}`) || 'null'); } catch { shelters = null; }
    }
    if (!openTask || openTask.id !== task.id) return;
    sel.textContent = '';
    sel.dataset.loaded = shelters ? shelters.length : 'none';
    $('#shelter-hint').hidden = !!(shelters && shelters.length);
    sel.append(h('option', { value: '' }, t(shelters && shelters.length ? 'gw.shelter_pick' : 'gw.shelter_none')));
    for (const s of shelters || []) {
      const d = s.distance_m >= 1000 ? t('unit.km', { n: (s.distance_m / 1000).toFixed(1) }) : t('unit.m', { n: Math.round(s.distance_m) });
      sel.append(h('option', { value: s.id }, t('gw.shelter_option', { name: s.name, dist: d })));
    }
    if (keep) sel.value = keep;
  }

  function syncKind() {
    const nobody = $('#report-nobody').checked;
    $('.f-moved').hidden = nobody;
    $('.f-nobody').hidden = !nobody;
    $('#report-submit').textContent = t(nobody ? 'gw.report_submit_nobody' : 'gw.report_submit');
  }

  async function submitReport(ev) {
    ev.preventDefault();
    const task = openTask;
    if (!task || task.state !== 'open') return;
    const msg = $('#report-msg');
    msg.className = 'msg';
    const nobody = $('#report-nobody').checked;
    const note = $('#report-note').value.trim();
    let body, label;
    if (nobody) {
      const reason = $('#report-reason').value.trim();
      if (!reason) { msg.textContent = t('gw.need_reason'); msg.className = 'msg bad'; $('#report-reason').focus(); return; }
      body = { nobody_at_risk: true, reason };
      label = t('gw.label_nobody', { reason });
    } else {
      const raw = $('#report-moved').value.trim();
      const n = Number(raw);
      if (!raw || !Number.isInteger(n) || n < 0 || n > 100000) { msg.textContent = t('gw.need_moved'); msg.className = 'msg bad'; $('#report-moved').focus(); return; }
      body = { moved: n };
      const sh = $('#report-shelter').value;
      if (sh) body.shelter_id = Number(sh);
      const shName = sh && shelters ? (shelters.find((s) => String(s.id) === sh) || {}).name : '';
      label = t('gw.label_moved', { n }) + (shName ? t('gw.report_to', { shelter: shName }) : '');
    }
    if (note) body.note = note;
    // the key is made once, with the report, and kept with it until the server has it
    const item = { key: uuid(), kind: 'report', url: `/api/v1/transfer-tasks/${task.id}/reports`, body, task_id: task.id, label: t('gw.label_task', { name: (task.risk_point && task.risk_point.name) || t('gw.task_n', { id: task.id }), what: label }), created: new Date().toISOString(), tries: 0 };
    $('#report-submit').disabled = true;
    msg.textContent = t('gw.submitting');
    const r = await post(item);
    $('#report-submit').disabled = false;
    if (r.result === 'sent') {
      $('#report-form').reset();
      syncKind();
      msg.textContent = r.data.state === 'closed' ? t('gw.sent_closed') : t('gw.sent_total', { n: r.data.moved });
      msg.className = 'msg ok';
      mergeTask(r.data);
      await loadTask(task.id, { quiet: true });
    } else if (r.result === 'kept') {
      $('#report-form').reset();
      syncKind();
      msg.textContent = t(r.auth ? 'gw.kept_auth' : 'gw.kept_net');
      msg.className = 'msg warn';
      renderTask();
    } else {
      msg.textContent = t('gw.report_refused', { msg: window.I18N.errorText(r.err, { fields: REPORT_FIELDS() }) });
      msg.className = 'msg bad';
      await loadTask(task.id, { quiet: true });
    }
    renderTasks();
  }

  // ---- live -------------------------------------------------------------------------------------

  const refreshAll = window.YJ.debounce(async (wid) => {
    await Promise.all([refreshInbox(), refreshTasks()]);
    if (openWarning && (!wid || openWarning.warning.id === wid) && !$('#warn-detail').hidden) {
      const before = openWarning.warning.version;
      const now = inbox.find((x) => x.warning.id === openWarning.warning.id);
      if (now && (now.warning.version !== before || now.warning.state !== openWarning.warning.state)) openWarningDetail(now.warning.id);
    }
    if (openTask && !$('#task-detail').hidden) loadTask(openTask.id, { quiet: true });
  }, 250);

  function onWarningEvent(d) {
    const wid = d && d.warning_id;
    const known = inbox.find((x) => x.warning.id === wid);
    banner(t(known ? 'gw.updated_warning' : 'gw.new_warning'));
    setTimeout(() => banner(''), 6000);
    refreshAll(wid);
    if (navigator.vibrate) navigator.vibrate(200);
  }

  function onChase(d) {
    const b = $('#chase-banner');
    const task = tasks.find((x) => x.id === d.task_id);
    const what = task ? `${(task.risk_point && task.risk_point.name) || t('gw.task_n', { id: task.id })}` : t('gw.chase_task', { id: d.task_id });
    b.querySelector('.txt').textContent = t('gw.chase_banner', { by: d.by || t('gw.chase_by_default'), what });
    b.dataset.task = d.task_id;
    b.hidden = false;
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    refreshTasks();
  }

  // ---- views --------------------------------------------------------------------------------------

  function showView(sel) {
    for (const v of $$('.view')) v.hidden = `#${v.id}` !== sel;
    $('#tab-inbox').classList.toggle('active', sel === '#view-inbox' || sel === '#warn-detail');
    $('#tab-tasks').classList.toggle('active', sel === '#view-tasks' || sel === '#task-detail');
    window.scrollTo(0, 0);
  }

  function route() {
    const hash = location.hash || '#inbox';
    let m;
    if ((m = /^#w\/(\d+)$/.exec(hash))) return openWarningDetail(Number(m[1]));
    if ((m = /^#t\/(\d+)$/.exec(hash))) return openTaskDetail(Number(m[1]));
    if (hash === '#tasks') { showView('#view-tasks'); return refreshTasks(); }
    showView('#view-inbox');
    return refreshInbox();
  }

  // ---- start ----------------------------------------------------------------------------------------

  async function start() {
    try {
      me = await api('GET', '/api/v1/me');
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      $('#who').textContent = t('gw.offline_who');
      $('#gw-inbox').append(h('li', { class: 'card' }, t('common.cannot_connect', { msg: err.message })));
      setTimeout(start, RETRY_MS);
      return;
    }
    // staff have the command map; this page still works for them (their own inbox)
    window.YJ.showWho(me);
    window.YJ.area(me.area_code).then((a) => {
      // the names above my own area (a town's warning names the town; I may not read the town itself)
      for (const p of a.path || []) knownAreas[p.code] = p.name;
      knownAreas[a.code] = a.name;
    }, () => {});
    showPending();
    live = window.YJ.stream('/api/v1/me/inbox/stream', { warning: onWarningEvent, chase: onChase }, { onState: setNet });
    setNet();
    await Promise.all([refreshInbox(), refreshTasks()]);
    route();
    flush();
    setInterval(() => { if (outbox.all().length && navigator.onLine !== false) flush(); }, RETRY_MS);
  }

  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => { setNet(); flush(); refreshAll(); });
  window.addEventListener('offline', setNet);
  $('#ack-btn').addEventListener('click', acknowledge);
  $('#report-form').addEventListener('submit', submitReport);
  for (const r of $$('#report-form input[name=kind]')) r.addEventListener('change', syncKind);
  $('#report-all').addEventListener('click', () => {
    const task = openTask;
    if (!task) return;
    const pend = pendingReports(task.id).reduce((s, x) => s + (x.body.moved || 0), 0);
    $('#report-moved').value = Math.max(0, task.planned - task.moved - pend);
  });
  for (const b of $$('button.back')) b.addEventListener('click', () => { location.hash = b.dataset.back; });
  $('#chase-banner .close').addEventListener('click', () => { $('#chase-banner').hidden = true; });
  $('#chase-banner .go').addEventListener('click', () => { $('#chase-banner').hidden = true; location.hash = `#t/${$('#chase-banner').dataset.task}`; });
  $('#pending-badge').addEventListener('click', () => {
    const items = outbox.all();
    toast(items.length ? t('gw.pending_list', { list: items.map((x) => x.label).join('; ') }) : t('gw.pending_none'));
    flush();
  });
  $('#logout').addEventListener('click', async () => {
    const n = outbox.all().length;
    if (n && !confirm(t('gw.logout_pending', { n }))) return;
    await api('POST', '/api/v1/auth/logout').catch(() => {});
    if (live) live.close();
    location.replace('/');
  });

  // for tests and debugging
  window.yjGw = { outbox, flush, get inbox() { return inbox; }, get tasks() { return tasks; } };
  start();
})();
