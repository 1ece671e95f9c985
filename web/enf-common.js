// Shared pieces of the enforcement pages (执法工作台 enforce.html, 企业整改
// enterprise.html, 公示 publicity.html): Chinese labels of the enforcement
// values, evidence upload (raw body + X-Filename) and thumbnails, deadline
// texts and state chips. Loaded after common.js (window.YJ); plain browser JS.
'use strict';

window.ENF = (() => {
  const { h } = window.YJ;
  const { t } = window.I18N;
  const E = t('enum');

  // the label tables by the names the pages use (the chip classes are named after them too)
  const L = {
    KIND: E.inspection_kind,
    REASON: E.inspection_reason,
    INSPECTION: E.inspection_state,
    RESULT: E.check_result,
    LEVEL: E.hazard_level,
    HAZARD: E.hazard_state,
    SOURCE: E.hazard_source,
    VERDICT: E.verdict,
    CASE: E.case_state,
    ACTION: E.case_action,
    // who does each step (the server checks; the page says it beforehand); a list: any of them
    ACTION_ROLE: {
      file: 'commander', investigate: 'inspector', notify: 'inspector', record_statement: 'inspector', waive: 'inspector',
      request_hearing: 'inspector', schedule_hearing: ['inspector', 'commander'], record_hearing: ['inspector', 'commander'],
      submit_review: 'inspector',
      approve_review: 'legal_reviewer', reject_review: 'legal_reviewer', discuss: 'commander', decide: 'commander',
      extend: 'commander', serve: 'inspector', record_payment: 'inspector', enforce: 'commander', close: 'commander',
    },
    ROLE: E.role,
    PLAN: E.plan_state,
    SECTOR: E.sector,
    RISK: E.risk,
    SERVE: E.serve_method,
  };
  const lbl = (table, v) => (v === null || v === undefined ? t('common.none') : (L[table] && L[table][v]) || v);

  // <span class="chip k-state">label</span>
  const chip = (table, v, extra = '') => h('span', { class: `chip ${table.toLowerCase()}-${v} ${extra}`.trim(), dataset: { v: v || '' } }, lbl(table, v));

  // times as the server wrote them (its offset), to the minute
  function fmt(s, { date = false } = {}) {
    if (!s) return t('common.none');
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(s);
    if (!m) return s;
    return date ? `${m[1]}-${m[2]}-${m[3]}` : `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  }
  const yuan = (n) => (typeof n === 'number' ? t('unit.yuan', { n: n.toLocaleString('zh-CN', { maximumFractionDigits: 2 }) }) : t('common.none'));

  // "剩 3 天" / "今日到期" / "逾期 2 天", with a class for colour
  function deadlineInfo(deadline, { overdue = false, closed = false } = {}) {
    if (!deadline) return { text: t('common.none'), cls: '' };
    if (closed) return { text: t('enf.dl_period', { d: fmt(deadline, { date: true }) }), cls: 'dl-done' };
    const ms = Date.parse(deadline) - Date.now();
    if (overdue || ms < 0) return { text: t('enf.dl_over', { n: Math.max(1, Math.ceil(-ms / 86400000)) }), cls: 'dl-over' };
    const days = Math.floor(ms / 86400000); // whole days left
    if (days < 1) return { text: t('enf.dl_today'), cls: 'dl-soon' };
    return { text: t('enf.dl_left', { n: days }), cls: days <= 3 ? 'dl-soon' : 'dl-ok' };
  }

  // a header carries only ISO-8859-1: other names go percent-encoded (shown decoded)
  const headerName = (name) => (/^[\x20-\x7e]*$/.test(name) ? name : encodeURIComponent(name));
  function shownName(n) {
    if (!n) return '';
    try { return /%[0-9A-Fa-f]{2}/.test(n) ? decodeURIComponent(n) : n; } catch { return n; }
  }

  // POST the file's bytes as the request body; {sha256, url} or an I18N.httpError
  async function upload(url, file) {
    let res;
    try {
      res = await fetch(url, {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: {
          'X-Filename': headerName(file.name || 'evidence'), 'Content-Type': 'application/octet-stream',
          'Accept-Language': window.I18N.acceptLanguage,
        },
      });
    } catch {
      throw window.I18N.httpError(0, null, null);
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) throw window.I18N.httpError(res.status, data, res.headers);
    return data;
  }

  // thumbnails of evidence [{sha256, mime, name}]: photos as images, the rest as tiles; each opens in a new tab
  function thumbs(list, { empty = t('enf.evidence_none') } = {}) {
    const box = h('div', { class: 'thumbs' });
    for (const ev of list || []) {
      const url = `/api/v1/evidence/${ev.sha256}`;
      const name = shownName(ev.name);
      const kind = (ev.mime || '').split('/')[0];
      box.append(h('a', { class: `thumb t-${kind || 'file'}`, href: url, target: '_blank', rel: 'noopener', title: t('enf.evidence_title', { name, sha: ev.sha256 }), dataset: { sha: ev.sha256 } },
        kind === 'image' ? h('img', { src: url, alt: name, loading: 'lazy' })
          : h('span', { class: 'tile' }, t(ev.mime === 'application/pdf' ? 'enf.tile_pdf' : kind === 'video' ? 'enf.tile_video' : kind === 'audio' ? 'enf.tile_audio' : 'enf.tile_file')),
        h('span', { class: 'cap' }, name || ev.sha256.slice(0, 8))));
    }
    if (!box.childElementCount) box.append(h('span', { class: 'muted' }, empty));
    return box;
  }

  // a file input that uploads each chosen file to url() and calls done(result) after each
  function uploader({ id, url, done, label = t('enf.upload'), accept = 'image/*,application/pdf,audio/*,video/*', disabled = false }) {
    const status = h('span', { class: 'up-status', role: 'status' });
    const input = h('input', { type: 'file', id, multiple: true, accept, disabled });
    input.addEventListener('change', async () => {
      const files = [...input.files];
      input.value = '';
      let ok = 0;
      status.className = 'up-status';
      for (const [i, f] of files.entries()) {
        status.textContent = t('enf.uploading', { i: i + 1, n: files.length, name: f.name });
        try {
          await upload(url(), f);
          ok++;
          await done();
        } catch (err) {
          status.className = 'up-status error';
          status.textContent = t('enf.upload_failed', { name: f.name, msg: err.message });
          return;
        }
      }
      status.textContent = ok ? t('enf.uploaded', { n: ok }) : '';
    });
    return h('div', { class: 'uploader' }, h('label', { class: `filebtn${disabled ? ' disabled' : ''}` }, input, h('span', null, `+ ${label}`)), status);
  }

  // an error paragraph: the person's sentence (fields named as ctx.fields says), the server's words under 详情
  const showError = (el, err, ctx) => window.I18N.showError(el, err, ctx);

  // date input value (local) -> RFC 3339 at the end of that day, local time
  function endOfDay(dateStr) {
    const d = new Date(`${dateStr}T23:59:59`);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  const dateIn = (days) => {
    const d = new Date(Date.now() + days * 86400000);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const localNow = () => {
    const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 16);
  };

  async function logout() {
    try { await window.YJ.api('POST', '/api/v1/auth/logout'); } catch { /* signed out anyway */ }
    location.href = '/';
  }

  return { L, lbl, chip, fmt, yuan, deadlineInfo, upload, thumbs, uploader, showError, endOfDay, dateIn, localNow, shownName, logout };
})();
