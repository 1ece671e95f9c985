// 企业端 (enterprise.html, role enterprise): the hazards the inspectors found
// at my enterprise, each with its deadline (overdue flagged), the
// rectification form (what was done + photos, uploaded to the hazard before
// submitting) and the inspectors' verdicts with their reasons.
'use strict';

(() => {
  const { api, $, h, toLogin } = window.YJ;
  const { lbl, chip, fmt, deadlineInfo, thumbs, uploader, showError, logout } = window.ENF;
  const view = $('#view');
  let me = null;
  let filter = 'todo';
  let loading = 0;

  function toast(msg, kind = 'ok') {
    const t = $('#toast');
    t.textContent = msg;
    t.className = kind;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 3500);
  }

  async function load() {
    const my = ++loading;
    let r;
    try {
      r = await api('GET', '/api/v1/me/hazards');
    } catch (e) {
      if (e.status === 401) return toLogin();
      view.textContent = '';
      view.append(h('p', { class: 'error banner' }, `无法加载隐患: ${e.message}`));
      return;
    }
    // each hazard with its evidence (photos) as the hazard itself lists them
    const items = await Promise.all(r.items.map((x) => api('GET', `/api/v1/hazards/${x.id}`).catch(() => x)));
    if (my !== loading) return;
    render(items);
  }

  function render(items) {
    const count = (f) => items.filter(f).length;
    const open = count((x) => x.state === 'open');
    const over = count((x) => x.state === 'open' && (x.overdue || Date.parse(x.deadline) < Date.now()));
    const waiting = count((x) => x.state === 'rectification_submitted');
    const closed = count((x) => x.state === 'verified_closed');
    const name = (items[0] && items[0].enterprise) || (me.display_name || '').replace(/安全员$/, '');
    const shown = filter === 'todo' ? items.filter((x) => x.state !== 'verified_closed') : items;
    const list = h('div', { id: 'my-hazards', class: 'hz-list' });
    for (const x of shown) list.append(card(x));
    if (!shown.length) list.append(h('p', { class: 'empty' }, items.length ? '所有隐患均已整改并验收销号。' : '暂无检查发现的隐患。'));
    const segBtn = (v, t) => h('button', { type: 'button', class: filter === v ? 'active' : '', dataset: { v }, onclick: () => { filter = v; render(items); } }, t);
    view.textContent = '';
    view.append(h('section', { class: 'page', id: 'enterprise' },
      h('div', { class: 'page-head' }, h('h2', { id: 'ent-name' }, name, ' ', h('small', null, '隐患整改')),
        h('div', { class: 'seg', id: 'ent-filter' }, segBtn('todo', '待处理'), segBtn('all', '全部'))),
      h('div', { class: 'ent-summary' },
        h('div', { class: `tot ${open ? 'warn' : ''}` }, h('b', null, open), h('span', null, '待整改')),
        h('div', { class: `tot ${over ? 'bad' : ''}` }, h('b', null, over), h('span', null, '已逾期')),
        h('div', { class: 'tot' }, h('b', null, waiting), h('span', null, '已提交 · 待验收')),
        h('div', { class: 'tot ok' }, h('b', null, closed), h('span', null, '已验收销号'))),
      h('p', { class: 'muted' }, '整改完成后: 先上传整改后的现场照片, 再填写整改情况并提交, 由执法人员验收。退回的隐患请按退回理由重新整改。'),
      list));
  }

  function card(x) {
    const overdue = x.state === 'open' && (x.overdue || Date.parse(x.deadline) < Date.now());
    const dli = deadlineInfo(x.deadline, { overdue, closed: x.state !== 'open' });
    const rects = x.rectifications || [];
    const last = rects[rects.length - 1];
    const el = h('article', { class: `card hz-card hz-${x.state}${overdue ? ' overdue' : ''}`, dataset: { id: x.id, state: x.state } },
      h('div', { class: 'l1' }, chip('LEVEL', x.level), chip('HAZARD', x.state), overdue ? h('span', { class: 'chip overdue' }, '已逾期') : null,
        h('span', { class: 'muted' }, `隐患 #${x.id} · ${lbl('SOURCE', x.source)}发现于 ${fmt(x.found)}`)),
      h('p', { class: 'desc' }, x.description),
      x.legal_basis ? h('p', { class: 'basis' }, `依据: ${x.legal_basis}`) : null,
      h('p', { class: 'deadline' }, `整改期限 ${fmt(x.deadline)} `, h('span', { class: `dl ${dli.cls}` }, x.state === 'verified_closed' ? `已于 ${fmt(x.closed)} 验收销号` : x.state === 'rectification_submitted' ? '已提交, 等待验收' : dli.text)),
      last && last.verdict === 'rejected' && x.state === 'open'
        ? h('p', { class: 'banner bad rejected-note' }, `执法人员退回 (${fmt(last.verdict_at)}): ${last.verdict_reason || ''}`) : null,
      rects.length ? h('div', null, h('span', { class: 'lbl' }, '整改与验收记录'),
        h('ol', { class: 'rect-history' }, rects.map((r) => h('li', { class: r.verdict ? `v-${r.verdict}` : 'v-wait' },
          h('div', null, h('b', null, '提交整改 '), h('time', null, fmt(r.submitted)), ': ', r.note),
          r.verdict ? h('div', { class: 'verdict' }, h('b', null, lbl('VERDICT', r.verdict)), ` ${fmt(r.verdict_at)}`, r.verdict_reason ? `: ${r.verdict_reason}` : '')
            : h('div', { class: 'verdict wait' }, '等待执法人员验收'))))) : null,
      h('div', { class: 'hz-ev' }, h('span', { class: 'lbl' }, '照片'), thumbs(x.evidence, { empty: '尚未上传照片' })));
    if (x.state === 'open') {
      const note = h('textarea', { class: 'rect-note', id: `rect-note-${x.id}`, rows: 3, maxlength: 4000, placeholder: '整改情况: 采取了哪些措施, 何时完成, 责任人' });
      const err = h('p', { class: 'error rect-error', role: 'alert', hidden: true });
      const submit = h('button', { type: 'button', class: 'primary rect-submit' }, '提交整改');
      submit.addEventListener('click', async () => {
        showError(err, null);
        submit.disabled = true;
        try {
          await api('POST', `/api/v1/hazards/${x.id}/rectification`, { note: note.value.trim() });
          toast(`隐患 #${x.id} 整改已提交, 等待执法人员验收`);
          await load();
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e);
          submit.disabled = false;
        }
      });
      // photos first (kept with the hazard), then the note; a reload keeps what was typed
      const refreshPhotos = async () => {
        const d = await api('GET', `/api/v1/hazards/${x.id}`);
        const old = $('.hz-ev .thumbs', el);
        old.replaceWith(thumbs(d.evidence, { empty: '尚未上传照片' }));
      };
      el.append(h('div', { class: 'rect-form' },
        h('h4', null, '提交整改'),
        uploader({ id: `rect-file-${x.id}`, url: () => `/api/v1/hazards/${x.id}/evidence`, label: '上传整改照片', accept: 'image/*,application/pdf', done: refreshPhotos }),
        h('label', { class: 'field' }, h('span', { class: 'lbl' }, '整改情况说明'), note),
        err,
        h('div', { class: 'form-actions' }, submit)));
    }
    return el;
  }

  async function init() {
    try {
      me = await api('GET', '/api/v1/me');
    } catch (e) {
      if (e.status === 401) return toLogin();
      view.textContent = e.message;
      return;
    }
    $('#who').textContent = `${me.display_name || me.username}`;
    $('#logout').addEventListener('click', logout);
    if (me.role !== 'enterprise') {
      view.textContent = '';
      view.append(h('p', { class: 'banner warn' }, '此页面供企业用户提交隐患整改使用。执法人员请使用 ', h('a', { href: '/enforce.html' }, '执法工作台'), '。'));
      return;
    }
    load();
  }

  init();
})();
