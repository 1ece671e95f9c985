// 企业端 (enterprise.html, role enterprise): the hazards the inspectors found
// at my enterprise, each with its deadline (overdue flagged), the
// rectification form (what was done + photos, uploaded to the hazard before
// submitting) and the inspectors' verdicts with their reasons.
'use strict';

(() => {
  const { api, $, h, toLogin } = window.YJ;
  const { lbl, chip, fmt, deadlineInfo, thumbs, uploader, showError, logout } = window.ENF;
  const { t } = window.I18N;
  const view = $('#view');
  let me = null;
  let filter = 'todo';
  let loading = 0;

  function toast(msg, kind = 'ok') {
    const box = $('#toast');
    box.textContent = msg;
    box.className = kind;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
  }

  async function load() {
    const my = ++loading;
    let r;
    try {
      r = await api('GET', '/api/v1/me/hazards');
    } catch (e) {
      if (e.status === 401) return toLogin();
      view.textContent = '';
      view.append(h('p', { class: 'error banner' }, t('ent.load_failed', { msg: e.message })));
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
    if (!shown.length) list.append(h('p', { class: 'empty' }, t(items.length ? 'ent.all_closed' : 'ent.none')));
    const segBtn = (v, label) => h('button', { type: 'button', class: filter === v ? 'active' : '', dataset: { v }, onclick: () => { filter = v; render(items); } }, label);
    view.textContent = '';
    view.append(h('section', { class: 'page', id: 'enterprise' },
      h('div', { class: 'page-head' }, h('h2', { id: 'ent-name' }, name, ' ', h('small', null, t('ent.title_suffix'))),
        h('div', { class: 'seg', id: 'ent-filter' }, segBtn('todo', t('ent.f_todo')), segBtn('all', t('ent.f_all')))),
      h('div', { class: 'ent-summary' },
        h('div', { class: `tot ${open ? 'warn' : ''}` }, h('b', null, open), h('span', null, t('ent.s_open'))),
        h('div', { class: `tot ${over ? 'bad' : ''}` }, h('b', null, over), h('span', null, t('ent.s_overdue'))),
        h('div', { class: 'tot' }, h('b', null, waiting), h('span', null, t('ent.s_waiting'))),
        h('div', { class: 'tot ok' }, h('b', null, closed), h('span', null, t('ent.s_closed')))),
      h('p', { class: 'muted' }, t('ent.howto')),
      list));
  }

  function card(x) {
    const overdue = x.state === 'open' && (x.overdue || Date.parse(x.deadline) < Date.now());
    const dli = deadlineInfo(x.deadline, { overdue, closed: x.state !== 'open' });
    const rects = x.rectifications || [];
    const last = rects[rects.length - 1];
    const el = h('article', { class: `card hz-card hz-${x.state}${overdue ? ' overdue' : ''}`, dataset: { id: x.id, state: x.state } },
      h('div', { class: 'l1' }, chip('LEVEL', x.level), chip('HAZARD', x.state), overdue ? h('span', { class: 'chip overdue' }, t('ent.overdue')) : null,
        h('span', { class: 'muted' }, t('ent.meta', { id: x.id, source: lbl('SOURCE', x.source), t: fmt(x.found) }))),
      h('p', { class: 'desc' }, x.description),
      x.legal_basis ? h('p', { class: 'basis' }, t('ent.basis', { basis: x.legal_basis })) : null,
      h('p', { class: 'deadline' }, t('ent.deadline', { t: fmt(x.deadline) }), h('span', { class: `dl ${dli.cls}` }, x.state === 'verified_closed' ? t('ent.closed_on', { t: fmt(x.closed) }) : x.state === 'rectification_submitted' ? t('ent.submitted_wait') : dli.text)),
      last && last.verdict === 'rejected' && x.state === 'open'
        ? h('p', { class: 'banner bad rejected-note' }, t('ent.rejected', { t: fmt(last.verdict_at), reason: last.verdict_reason || '' })) : null,
      rects.length ? h('div', null, h('span', { class: 'lbl' }, t('ent.history')),
        h('ol', { class: 'rect-history' }, rects.map((r) => h('li', { class: r.verdict ? `v-${r.verdict}` : 'v-wait' },
          h('div', null, h('b', null, t('ent.rect_submitted')), h('time', null, fmt(r.submitted)), t('common.colon'), r.note),
          r.verdict ? h('div', { class: 'verdict' }, h('b', null, lbl('VERDICT', r.verdict)), ` ${fmt(r.verdict_at)}`, r.verdict_reason ? `${t('common.colon')}${r.verdict_reason}` : '')
            : h('div', { class: 'verdict wait' }, t('ent.verdict_wait')))))) : null,
      h('div', { class: 'hz-ev' }, h('span', { class: 'lbl' }, t('ent.photos')), thumbs(x.evidence, { empty: t('ent.photos_none') })));
    if (x.state === 'open') {
      const note = h('textarea', { class: 'rect-note', id: `rect-note-${x.id}`, rows: 3, maxlength: 4000, placeholder: t('ent.note_ph') });
      const err = h('p', { class: 'error rect-error', role: 'alert', hidden: true });
      const submit = h('button', { type: 'button', class: 'primary rect-submit' }, t('ent.submit'));
      submit.addEventListener('click', async () => {
        showError(err, null);
        submit.disabled = true;
        try {
          await api('POST', `/api/v1/hazards/${x.id}/rectification`, { note: note.value.trim() });
          toast(t('ent.submitted', { id: x.id }));
          await load();
        } catch (e) {
          if (e.status === 401) return toLogin();
          showError(err, e, { values: { note: note.value.trim() }, fields: { note: t('ent.note') } });
          submit.disabled = false;
        }
      });
      // photos first (kept with the hazard), then the note; a reload keeps what was typed
      const refreshPhotos = async () => {
        const d = await api('GET', `/api/v1/hazards/${x.id}`);
        const old = $('.hz-ev .thumbs', el);
        old.replaceWith(thumbs(d.evidence, { empty: t('ent.photos_none') }));
      };
      el.append(h('div', { class: 'rect-form' },
        h('h4', null, t('ent.form_title')),
        uploader({ id: `rect-file-${x.id}`, url: () => `/api/v1/hazards/${x.id}/evidence`, label: t('ent.upload'), accept: 'image/*,application/pdf', done: refreshPhotos }),
        h('label', { class: 'field' }, h('span', { class: 'lbl' }, t('ent.note')), note),
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
      view.textContent = '';
      view.append(h('p', { class: 'error banner' }, window.I18N.errorNode(e)));
      return;
    }
    window.YJ.showWho(me);
    $('#logout').addEventListener('click', logout);
    if (me.role !== 'enterprise') {
      view.textContent = '';
      view.append(h('p', { class: 'banner warn' }, t('ent.not_enterprise'), h('a', { href: '/enforce.html' }, t('ent.workbench')), t('ent.period')));
      return;
    }
    load();
  }

  init();
})();
