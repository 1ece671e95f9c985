// 网格员 (grid worker) page, phone-sized: the inbox of warnings (read,
// acknowledge), the transfer tasks (临灾转移) with moved-person reports,
// live through the inbox stream, and an outbox in localStorage so that
// nothing typed on a hillside without signal is lost: a failed POST is
// retried with the same Idempotency-Key until the server has it, and the
// server counts a key once.
'use strict';

(() => {
  const { api, $, $$, h, put, fmtNum, fmtTime, isPast, uuid, level, levelBadge, typeLabel, W, LBL } = window.YJ;
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
    b.textContent = `待发送 ${n}`;
    b.dataset.count = n;
  }

  // send one queued POST; answers 'sent' | 'kept' (try again later) | 'refused' (a 4xx: dropped)
  async function sendOne(item) {
    const headers = {};
    if (item.kind === 'report') headers['Idempotency-Key'] = item.key;
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
        outbox.patch(item.key, { last_error: '登录已过期' });
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
            else if (r.auth) { banner(`登录已过期: 请重新登录, 待发送的 ${outbox.all().length} 条会在登录后发送`); flushAgain = false; break; }
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
      return results.get(item.key) || { result: 'kept', err: { status: 0, message: '网络不可用' } };
    } finally {
      foreground.delete(item.key);
    }
  }

  function afterSent(item, data) {
    if (foreground.has(item.key)) return; // the handler that queued it shows the answer
    if (item.kind === 'report') {
      toast(`已上报: ${item.label}${data && data.duplicate ? ' (服务器已收到过, 未重复计数)' : ''}`);
      if (data && data.id) mergeTask(data);
      if (openTask && openTask.id === item.task_id && !pendingReports(item.task_id).length) {
        $('#report-msg').textContent = `待发送的上报已送达 ✓ 累计转移 ${data ? data.moved : '?'} 人`;
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
      toast('预警已更新为新版本: 请阅读后重新确认', true);
      refreshInbox();
      if (openWarning && openWarning.warning.id === item.warning_id) openWarningDetail(item.warning_id, { newer: true });
    } else {
      toast(`未被接受: ${item.label} — ${err.message}`, true);
    }
    if (item.kind === 'report') refreshTasks();
  }

  // ---- small UI bits --------------------------------------------------------------------------

  let toastTimer;
  function toast(text, bad = false) {
    let t = $('#toast');
    if (!t) { t = h('div', { id: 'toast', role: 'status' }); document.body.append(t); }
    t.textContent = text;
    t.className = bad ? 'bad' : '';
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4500);
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
    el.title = !online ? '离线 (offline): 上报会保存在手机上, 联网后自动发送' : streaming ? '在线, 实时接收' : '在线 (连接实时推送中…)';
    el.textContent = !online ? '● 离线' : '●';
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
      $('#inbox-note').textContent = err.network ? '(离线: 显示上次内容)' : `(${err.message})`;
    }
    renderInbox();
  }

  function inboxLabel(it) {
    const ws = it.warning.state;
    if (ws === 'cancelled') return ['cancelled', '已撤销'];
    if (ws === 'expired' || (ws === 'issued' && isPast(it.warning.expires))) return ['expired', '已过期'];
    const rs = recipientState(it);
    return [rs, W.RECIPIENT[rs] || rs];
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
        w.evacuation ? h('span', { class: 'evac' }, '需转移') : null,
        h('span', { class: `rs rs-${st}` }, stLabel)),
      h('div', { class: 'headline' }, w.headline),
      h('div', { class: 'meta' },
        h('span', null, `发布 ${fmtTime(w.issued)}`),
        h('span', { class: 'exp' }, active ? `有效至 ${fmtTime(w.expires)}` : `至 ${fmtTime(w.expires)}`),
        w.version > 1 ? h('span', { class: 'ver' }, `第${w.version}版`) : null)));
    }
    $('#inbox-empty').hidden = inbox.length > 0;
    const b = $('#inbox-badge');
    b.hidden = unread === 0;
    b.textContent = unread;
  }

  async function openWarningDetail(id, { newer = false } = {}) {
    showView('#warn-detail');
    const prev = openWarning && openWarning.warning.id === id ? openWarning : null;
    if (!prev) { $('#warn-body').textContent = '加载中…'; $('#ack-msg').textContent = ''; }
    $('#warn-notice').hidden = !newer;
    if (newer) $('#warn-notice').textContent = '此预警已更新为新版本, 已重新加载: 请阅读后再确认收到。';
    try {
      // opening marks it read
      const it = await api('GET', `/api/v1/me/inbox/${id}`);
      if (prev && it.warning.version > prev.warning.version) {
        $('#warn-notice').hidden = false;
        $('#warn-notice').textContent = `此预警已更新为新版本 (第 ${it.warning.version} 版), 已重新加载: 请阅读后再确认收到。`;
      }
      openWarning = it;
      const i = inbox.findIndex((x) => x.warning.id === id);
      if (i >= 0) inbox[i] = it; else inbox.unshift(it);
      renderInbox();
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      const cached = inbox.find((x) => x.warning.id === id);
      if (!cached) { $('#warn-body').textContent = `无法加载: ${err.message}`; $('#ack-btn').hidden = true; return; }
      openWarning = cached;
      if (err.network) $('#ack-msg').textContent = '离线: 显示上次加载的内容';
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
        h('div', { class: 'w-level' }, `${typeLabel(w.type)}${L.label}预警`, h('span', null, L.grade)),
        h('h1', { id: 'warn-headline' }, w.headline)),
      h('dl', { class: 'w-meta' },
        h('dt', null, '发布时间'), h('dd', null, fmtTime(w.issued, { year: true })),
        h('dt', null, '有效期至'), h('dd', { id: 'warn-expires' }, fmtTime(w.expires, { year: true }), isPast(w.expires) ? h('b', { class: 'past' }, ' (已过期)') : null),
        h('dt', null, '影响区域'), h('dd', null, areas),
        h('dt', null, '版本'), h('dd', null, `第 ${w.version} 版`, w.version > 1 ? ' (已更新)' : ''),
        h('dt', null, '状态'), h('dd', null, h('span', { class: `rs rs-${recipientState(it)}` }, W.RECIPIENT[recipientState(it)] || recipientState(it)),
          w.state !== 'issued' ? h('b', { class: 'past' }, ` 预警${W.STATES[w.state] || w.state}`) : null)),
      w.evacuation ? h('p', { class: 'evac-note' }, '⚠ 本预警要求组织临灾避险转移: ', h('a', { href: '#tasks' }, '查看我的转移任务')) : null,
      h('h3', null, '预警内容'),
      h('p', { id: 'warn-description', class: 'txt' }, w.description || '—'),
      h('h3', null, '防御指引'),
      h('p', { id: 'warn-instruction', class: 'txt instr' }, w.instruction || '—'));
    const btn = $('#ack-btn');
    btn.hidden = false;
    const pend = pendingAck(w.id);
    if (r.state === 'acknowledged') {
      btn.disabled = true; btn.className = 'big done'; btn.textContent = '✓ 已确认收到';
      $('#ack-msg').textContent = `确认时间 ${fmtTime(r.acknowledged, { seconds: true })}`;
    } else if (pend) {
      btn.disabled = true; btn.className = 'big done pend'; btn.textContent = '✓ 已确认 (待发送)';
      $('#ack-msg').textContent = '网络恢复后自动发送';
    } else if (w.state !== 'issued') {
      btn.disabled = true; btn.className = 'big off'; btn.textContent = `预警${W.STATES[w.state] || w.state}, 无需确认`;
    } else {
      btn.disabled = false; btn.className = 'big'; btn.textContent = '确认收到';
      if (!$('#ack-msg').textContent.startsWith('离线')) $('#ack-msg').textContent = '';
    }
  }

  async function acknowledge() {
    const it = openWarning;
    if (!it) return;
    const w = it.warning;
    const item = { key: uuid(), kind: 'ack', url: `/api/v1/me/inbox/${w.id}/ack`, body: { version: it.recipient.version }, warning_id: w.id, label: `确认收到 “${w.headline}”`, created: new Date().toISOString(), tries: 0 };
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
      $('#ack-msg').textContent = `确认失败: ${r.err.message}`;
    } else {
      toast('网络不可用: 确认已保存, 联网后自动发送');
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
      $('#tasks-note').textContent = err.network ? '(离线: 显示上次内容)' : `(${err.message})`;
    }
    renderTasks();
  }

  function mergeTask(t) {
    const i = tasks.findIndex((x) => x.id === t.id);
    if (i >= 0) tasks[i] = { ...tasks[i], ...t }; else tasks.unshift(t);
    if (openTask && openTask.id === t.id) openTask = { ...openTask, ...t };
  }

  const rpType = (t) => (LBL.VALUES && LBL.VALUES.type && LBL.VALUES.type[t]) || t || '';

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
    for (const t of tasks) {
      const pend = pendingReports(t.id);
      const pendMoved = pend.reduce((s, x) => s + (x.body.moved || 0), 0);
      if (t.state === 'open') open++;
      const rp = t.risk_point || {};
      ul.append(h('li', {
        class: `card task-item st-${t.state}`, dataset: { id: t.id, state: t.state }, tabindex: '0',
        style: { borderLeftColor: level(t.level).color },
        onclick: () => { location.hash = `#t/${t.id}`; },
        onkeydown: (ev) => { if (ev.key === 'Enter') location.hash = `#t/${t.id}`; },
      },
      h('div', { class: 'line1' }, levelBadge(t.level, { grade: false }), h('span', { class: 'type' }, rpType(rp.type)),
        h('span', { class: `ts ts-${t.state}` }, W.TASK[t.state] || t.state)),
      h('div', { class: 'headline' }, rp.name || `任务 #${t.id}`),
      h('div', { class: 'meta' }, h('span', null, t.area_name || t.area_code), h('span', { class: 'hl' }, t.headline)),
      h('div', { class: 'counts' },
        h('span', { class: 'mv' }, '已转移 ', h('b', { class: 'moved' }, fmtNum(t.moved)), ' / 计划 ', h('b', { class: 'planned' }, fmtNum(t.planned)), ' 人'),
        pend.length ? h('span', { class: 'pendtag' }, `待发送 +${pendMoved}`) : null),
      progress(t.moved, t.planned, pendMoved)));
    }
    $('#tasks-empty').hidden = tasks.length > 0;
    const b = $('#tasks-badge');
    b.hidden = open === 0;
    b.textContent = open;
  }

  async function loadTask(id, { quiet = false } = {}) {
    if (!quiet) { $('#task-body').textContent = '加载中…'; $('#report-form').hidden = true; }
    try {
      openTask = await api('GET', `/api/v1/transfer-tasks/${id}`);
      mergeTask(openTask);
    } catch (err) {
      if (err.status === 401) return window.YJ.toLogin();
      const cached = tasks.find((x) => x.id === id);
      if (!cached) { $('#task-body').textContent = `无法加载: ${err.message}`; return; }
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
    const t = openTask;
    const sec = $('#task-detail');
    sec.dataset.id = t.id;
    sec.dataset.state = t.state;
    const rp = t.risk_point || {};
    const pend = pendingReports(t.id);
    const pendMoved = pend.reduce((s, x) => s + (x.body.moved || 0), 0);
    const body = $('#task-body');
    body.textContent = '';
    put(body,
      h('header', { class: 't-head', style: { borderTopColor: level(t.level).color } },
        h('div', { class: 'line1' }, levelBadge(t.level), h('span', { class: `ts ts-${t.state}` }, W.TASK[t.state] || t.state)),
        h('h1', null, rp.name || `任务 #${t.id}`),
        h('div', { class: 'meta' }, `${rpType(rp.type)} · ${t.area_name || t.area_code}`),
        h('div', { class: 'meta hl' }, t.headline)),
      h('div', { class: 'big-counts' },
        h('div', null, h('b', { id: 'task-moved' }, fmtNum(t.moved)), h('span', null, '已转移 (人)')),
        h('div', null, h('b', { id: 'task-planned' }, fmtNum(t.planned)), h('span', null, '计划转移 (人)')),
        h('div', null, h('b', { id: 'task-left' }, fmtNum(Math.max(0, t.planned - t.moved))), h('span', null, '剩余 (人)'))),
      progress(t.moved, t.planned, pendMoved),
      pend.length ? h('p', { class: 'pend-note', id: 'task-pending' }, `待发送 ${pend.length} 条 (共 ${pendMoved} 人): 网络恢复后自动发送, 不会重复计数`) : null,
      t.state === 'closed' ? h('p', { class: 'closed-note' }, `任务已完成${t.closed ? ' · ' + fmtTime(t.closed) : ''}${t.closed_reason ? ' · ' + closedReason(t.closed_reason) : ''}`) : null,
      rp.point ? h('p', { class: 'meta' }, h('a', { href: `geo:${rp.point[1]},${rp.point[0]}` }, `位置 ${rp.point[1].toFixed(5)}, ${rp.point[0].toFixed(5)} (打开地图)`)) : null);
    const reps = t.reports || [];
    if (reps.length || pend.length) {
      body.append(h('h3', null, '上报记录'), h('ul', { class: 'reports', id: 'task-reports' },
        reps.map((r) => h('li', { dataset: { id: r.id } },
          h('span', { class: 'when' }, fmtTime(r.created)),
          r.nobody_at_risk ? h('span', null, `无需转移: ${r.reason || ''}`) : h('span', null, `转移 ${r.moved} 人${r.shelter ? ' → ' + r.shelter.name : ''}`),
          r.note ? h('small', null, ` ${r.note}`) : null)),
        pend.map((x) => h('li', { class: 'pend' }, h('span', { class: 'when' }, '待发送'), h('span', null, x.label)))));
    }
    $('#report-form').hidden = t.state !== 'open';
    $('#report-all').textContent = `剩余全部 (${Math.max(0, t.planned - t.moved - pendMoved)})`;
  }

  const closedReason = (r) => (r === 'all planned persons moved' ? '计划人员已全部转移' : r === 'warning cancelled' ? '预警已撤销' : r);

  let shelters = null;
  async function loadShelters() {
    const t = openTask;
    const sel = $('#report-shelter');
    const keep = sel.value;
    const pt = t && t.risk_point && t.risk_point.point;
    if (!pt) { sel.dataset.loaded = 'none'; return; }
    try {
      const qs = new URLSearchParams({ lon: pt[0], lat: pt[1], radius_m: 5000, layers: 'shelters' });
      const r = await api('GET', `/api/v1/nearby?${qs}`);
      shelters = (r.items || []).filter((x) => x.layer === 'shelters');
      localStorage.setItem(`yj.shelters.${t.id}`, JSON.stringify(shelters));
    } catch {
      try { shelters = JSON.parse(localStorage.getItem(`yj.shelters.${t.id}`) || 'null'); } catch { shelters = null; }
    }
    if (!openTask || openTask.id !== t.id) return;
    sel.textContent = '';
    sel.dataset.loaded = shelters ? shelters.length : 'none';
    $('#shelter-hint').hidden = !!(shelters && shelters.length);
    sel.append(h('option', { value: '' }, shelters && shelters.length ? '— 请选择安置场所 —' : '— 5 km 内无可选避难场所 —'));
    for (const s of shelters || []) {
      const d = s.distance_m >= 1000 ? `${(s.distance_m / 1000).toFixed(1)} km` : `${Math.round(s.distance_m)} m`;
      sel.append(h('option', { value: s.id }, `${s.name} · ${d}`));
    }
    if (keep) sel.value = keep;
  }

  function syncKind() {
    const nobody = $('#report-nobody').checked;
    $('.f-moved').hidden = nobody;
    $('.f-nobody').hidden = !nobody;
    $('#report-submit').textContent = nobody ? '提交: 无需转移' : '提交上报';
  }

  async function submitReport(ev) {
    ev.preventDefault();
    const t = openTask;
    if (!t || t.state !== 'open') return;
    const msg = $('#report-msg');
    msg.className = 'msg';
    const nobody = $('#report-nobody').checked;
    const note = $('#report-note').value.trim();
    let body, label;
    if (nobody) {
      const reason = $('#report-reason').value.trim();
      if (!reason) { msg.textContent = '请填写无需转移的原因'; msg.className = 'msg bad'; $('#report-reason').focus(); return; }
      body = { nobody_at_risk: true, reason };
      label = `无需转移: ${reason}`;
    } else {
      const raw = $('#report-moved').value.trim();
      const n = Number(raw);
      if (!raw || !Number.isInteger(n) || n < 0 || n > 100000) { msg.textContent = '请填写转移人数 (0 – 100000 的整数)'; msg.className = 'msg bad'; $('#report-moved').focus(); return; }
      body = { moved: n };
      const sh = $('#report-shelter').value;
      if (sh) body.shelter_id = Number(sh);
      const shName = sh && shelters ? (shelters.find((s) => String(s.id) === sh) || {}).name : '';
      label = `转移 ${n} 人${shName ? ' → ' + shName : ''}`;
    }
    if (note) body.note = note;
    // the key is made once, with the report, and kept with it until the server has it
    const item = { key: uuid(), kind: 'report', url: `/api/v1/transfer-tasks/${t.id}/reports`, body, task_id: t.id, label: `${(t.risk_point && t.risk_point.name) || '任务 #' + t.id}: ${label}`, created: new Date().toISOString(), tries: 0 };
    $('#report-submit').disabled = true;
    msg.textContent = '提交中…';
    const r = await post(item);
    $('#report-submit').disabled = false;
    if (r.result === 'sent') {
      $('#report-form').reset();
      syncKind();
      msg.textContent = r.data.state === 'closed' ? '已上报, 任务已完成 ✓' : `已上报 ✓ 累计转移 ${r.data.moved} 人`;
      msg.className = 'msg ok';
      mergeTask(r.data);
      await loadTask(t.id, { quiet: true });
    } else if (r.result === 'kept') {
      $('#report-form').reset();
      syncKind();
      msg.textContent = r.auth ? '登录已过期: 上报已保存, 重新登录后自动发送' : '网络不可用: 上报已保存在手机上, 联网后自动发送 (不会重复计数)';
      msg.className = 'msg warn';
      renderTask();
    } else {
      msg.textContent = `上报未被接受: ${r.err.message}`;
      msg.className = 'msg bad';
      await loadTask(t.id, { quiet: true });
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
    if (!known) banner('收到新的预警信息');
    else banner('预警信息已更新');
    setTimeout(() => banner(''), 6000);
    refreshAll(wid);
    if (navigator.vibrate) navigator.vibrate(200);
  }

  function onChase(d) {
    const b = $('#chase-banner');
    const t = tasks.find((x) => x.id === d.task_id);
    const what = t ? `${(t.risk_point && t.risk_point.name) || '任务 #' + t.id}` : `转移任务 #${d.task_id}`;
    b.querySelector('.txt').textContent = `⚠ 催办: ${d.by || '指挥中心'} 催促 “${what}” — 请尽快组织转移并上报`;
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
      $('#who').textContent = '离线';
      $('#gw-inbox').append(h('li', { class: 'card' }, `无法连接服务器: ${err.message}`));
      setTimeout(start, RETRY_MS);
      return;
    }
    if (me.role !== 'grid_worker') {
      // staff have the command map; this page still works for them (their own inbox)
      $('#who').title = `${me.username} (${me.role})`;
    }
    $('#who').textContent = me.display_name || me.username;
    window.YJ.area(me.area_code).then((a) => {
      $('#who').textContent = `${me.display_name || me.username} · ${a.name}`;
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
    const t = openTask;
    if (!t) return;
    const pend = pendingReports(t.id).reduce((s, x) => s + (x.body.moved || 0), 0);
    $('#report-moved').value = Math.max(0, t.planned - t.moved - pend);
  });
  for (const b of $$('button.back')) b.addEventListener('click', () => { location.hash = b.dataset.back; });
  $('#chase-banner .close').addEventListener('click', () => { $('#chase-banner').hidden = true; });
  $('#chase-banner .go').addEventListener('click', () => { $('#chase-banner').hidden = true; location.hash = `#t/${$('#chase-banner').dataset.task}`; });
  $('#pending-badge').addEventListener('click', () => {
    const items = outbox.all();
    toast(items.length ? `待发送: ${items.map((x) => x.label).join('; ')}` : '没有待发送的内容');
    flush();
  });
  $('#logout').addEventListener('click', async () => {
    const n = outbox.all().length;
    if (n && !confirm(`还有 ${n} 条待发送的内容。退出后它们保存在本机, 下次登录时发送。确定退出?`)) return;
    await api('POST', '/api/v1/auth/logout').catch(() => {});
    if (live) live.close();
    location.replace('/');
  });

  // for tests and debugging
  window.yjGw = { outbox, flush, get inbox() { return inbox; }, get tasks() { return tasks; } };
  start();
})();
