// The UI's words: t(key, params) over one string table per language
// (i18n/zh.js, the default, and i18n/en.js, partial: what it lacks falls
// back to Chinese), the static text of the pages (data-i18n attributes),
// and errors written for the person at the screen: a Chinese sentence built
// from the API's error code and field (the server's own message, in Chinese
// when the page asks for it with Accept-Language, is kept as a secondary
// detail, never the main text).
//
// Loaded by every page after the tables and before its own scripts; the
// language is ?lang=en (remembered in localStorage) or Chinese.
// Plain browser JavaScript, no build step.
'use strict';

window.I18N = (() => {
  const TABLES = window.YJ_STRINGS || {};

  function chooseLang() {
    let want = null;
    try {
      want = new URLSearchParams(location.search).get('lang');
      if (want && TABLES[want]) localStorage.setItem('yj.lang', want);
      else want = localStorage.getItem('yj.lang');
    } catch { /* storage off: the default */ }
    return want && TABLES[want] ? want : 'zh';
  }
  const lang = chooseLang();
  // what every API call sends as Accept-Language: the server then writes its error words
  // (the .detail below) in the page's language
  const acceptLanguage = lang === 'en' ? 'en' : 'zh-CN';

  // the active table: Chinese, with the chosen language's entries over it
  function merge(base, over) {
    if (!over || typeof over !== 'object' || Array.isArray(over)) return over === undefined ? base : over;
    const out = Array.isArray(base) || typeof base !== 'object' || base === null ? {} : { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  }
  const table = lang === 'zh' ? TABLES.zh || {} : merge(TABLES.zh || {}, TABLES[lang]);

  const missing = new Set();
  function lookup(key) {
    let v = table;
    for (const p of key.split('.')) {
      if (v === null || typeof v !== 'object' || !(p in v)) return undefined;
      v = v[p];
    }
    return v;
  }
  const fill = (s, params) => (params ? s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined || params[k] === null ? m : String(params[k]))) : s);

  // t('map.search', {q}) -> the string with {q} filled in; a table (object/array) as it is;
  // a missing key answers the key itself (and says so once on the console)
  function t(key, params) {
    const v = lookup(key);
    if (v === undefined) {
      if (!missing.has(key)) { missing.add(key); console.warn(`i18n: no string for "${key}"`); }
      return key;
    }
    return typeof v === 'string' ? fill(v, params) : v;
  }
  const has = (key) => lookup(key) !== undefined;

  // an enumerated value's label: tv('warning_state', 'draft') -> 草稿; unknown values as they are
  function tv(group, value, fallback) {
    if (value === null || value === undefined || value === '') return fallback === undefined ? '—' : fallback;
    const d = lookup(`enum.${group}`);
    const v = d && typeof d === 'object' ? d[value] : undefined;
    if (v === undefined) return fallback === undefined ? String(value) : fallback;
    return typeof v === 'object' && v !== null && 'label' in v ? v.label : v;
  }

  // a field's name for people (error messages name fields): ctx.fields first, then the table
  function fieldLabel(name, ctx) {
    if (!name) return null;
    const own = ctx && ctx.fields;
    if (own && own[name]) return own[name];
    const f = table.fields || {};
    if (f[name]) return f[name];
    // "party.name", "spec.metric", "items[3].lon": the last part
    const last = String(name).split(/[./]/).pop().replace(/\[\d+\]$/, '');
    return (own && own[last]) || f[last] || null;
  }

  // ---- static text of the pages ------------------------------------------------------------------
  // data-i18n="key" (text), data-i18n-placeholder, data-i18n-title, data-i18n-aria-label,
  // <title data-i18n> too
  function apply(root = document) {
    const ATTRS = { placeholder: 'placeholder', title: 'title', 'aria-label': 'aria-label' };
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const [suffix, attr] of Object.entries(ATTRS)) {
      for (const el of root.querySelectorAll(`[data-i18n-${suffix}]`)) el.setAttribute(attr, t(el.getAttribute(`data-i18n-${suffix}`)));
    }
    // <title data-i18n-page="warn.page">: "预警发布 · 应急管理综合信息系统"
    for (const el of root.querySelectorAll('[data-i18n-page]')) el.textContent = t('app.title', { page: t(el.dataset.i18nPage) });
    if (root === document) document.documentElement.lang = lang === 'zh' ? 'zh-CN' : lang;
  }

  // ---- errors ---------------------------------------------------------------------------------------

  const CODE_OF_STATUS = {
    400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 405: 'method_not_allowed',
    409: 'conflict', 411: 'length_required', 413: 'payload_too_large', 414: 'uri_too_long', 422: 'unprocessable',
    429: 'too_many_requests', 431: 'headers_too_large', 503: 'unavailable',
  };

  // "30 秒" / "2 分钟" / "1 小时"
  function fmtWait(s) {
    const n = Math.max(1, Math.ceil(Number(s) || 0));
    if (n < 60) return t('time.seconds', { n });
    if (n < 3600) return t('time.minutes', { n: Math.ceil(n / 60) });
    return t('time.hours', { n: Math.ceil(n / 3600) });
  }

  // a server message that is already written in Chinese (no English word in it) may be shown
  const readable = (m) => typeof m === 'string' && /[\u4e00-\u9fff]/.test(m) && !/[A-Za-z]{3,}/.test(m);

  // The person's sentence for an API error (an Error made by httpError, or any Error).
  // ctx, for what the page knows better: codes {code: text or fn(err, fieldLabel)}, fields
  // {name: label}, values {name: what was sent} (an empty one refused: "请填写“…”"), hints
  // {name: what the field needs}; errorNode/showError also take ctx.prefix ("保存失败: ").
  function errorText(err, ctx = {}) {
    if (!err) return '';
    if (!err.yj) return err.message || String(err); // an error the page wrote itself
    const code = err.code;
    const label = fieldLabel(err.field, ctx);
    let text;
    const own = ctx.codes && ctx.codes[code];
    const sent = ctx.values && err.field && err.field in ctx.values ? ctx.values[err.field] : undefined;
    const blank = sent === '' || sent === null || (Array.isArray(sent) && !sent.length);
    if (own) text = typeof own === 'function' ? own(err, label) : own;
    else if (code === 'invalid_argument' && label && blank) text = t('error.required', { field: label });
    else if (err.field && has(`error.field_code.${code}.${err.field}`)) text = t(`error.field_code.${code}.${err.field}`);
    else if (label && has(`error.with_field.${code}`)) text = t(`error.with_field.${code}`, { field: label });
    else if (has(`error.code.${code}`)) text = t(`error.code.${code}`);
    else text = t('error.http', { status: err.status });
    const hint = ctx.hints && err.field && ctx.hints[err.field];
    if (!own && hint && !blank) text += t('error.colon') + hint;
    if (!own && err.retryAfter && (code === 'too_many_requests' || code === 'unavailable')) text += t('error.retry', { wait: fmtWait(err.retryAfter) });
    if (!own && readable(err.detail) && !text.includes(err.detail)) text += t('error.colon') + err.detail;
    return text;
  }

  // Error from a failed answer: message = the person's sentence; the server's words in .detail
  function httpError(status, data, headers) {
    const e = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : null;
    const err = new Error('');
    err.yj = true;
    err.status = status;
    err.code = status === 0 ? 'network' : (e && typeof e.code === 'string' && e.code) || CODE_OF_STATUS[status] || (status >= 500 ? 'internal' : 'http');
    err.field = e && typeof e.field === 'string' && e.field ? e.field : null;
    err.detail = e && typeof e.message === 'string' ? e.message : null;
    err.problems = e && Array.isArray(e.problems) ? e.problems : null;
    err.problemCount = e && typeof e.problem_count === 'number' ? e.problem_count : null;
    const ra = headers && headers.get ? Number(headers.get('Retry-After')) : NaN;
    err.retryAfter = Number.isFinite(ra) && ra > 0 ? ra : null;
    err.requestId = headers && headers.get ? headers.get('X-Request-Id') : null;
    err.detailLang = (headers && headers.get && headers.get('Content-Language')) || 'en';
    err.network = status === 0;
    err.message = errorText(err);
    return err;
  }

  // one 422 problem: "第 3 行: 字段“经度”有误"
  function problemText(p, ctx) {
    const label = fieldLabel(p.field, ctx);
    let s = label ? t('error.with_field.invalid_argument', { field: label }) : t('error.problem');
    if (readable(p.message)) s += t('error.colon') + p.message;
    return p.row ? t('error.row', { row: p.row, text: s }) : s;
  }

  // The error for a page: the sentence, the 422 problems one a line, and a folded
  // "详情" with the server's words and the request id (for whoever supports the system).
  function errorNode(err, ctx = {}) {
    const box = document.createElement('span');
    box.className = 'err-body';
    const main = document.createElement('span');
    main.className = 'err-main';
    main.textContent = (ctx.prefix || '') + errorText(err, ctx);
    box.append(main);
    if (err && err.problems && err.problems.length) {
      const ul = document.createElement('ul');
      ul.className = 'err-problems';
      for (const p of err.problems.slice(0, 50)) {
        const li = document.createElement('li');
        li.textContent = problemText(p, ctx);
        if (p.message) li.title = p.message;
        if (p.field) li.dataset.field = p.field;
        if (p.row) li.dataset.row = p.row;
        ul.append(li);
      }
      const more = (err.problemCount || err.problems.length) - Math.min(err.problems.length, 50);
      if (more > 0) { const li = document.createElement('li'); li.textContent = t('error.more', { n: more }); ul.append(li); }
      box.append(ul);
    }
    const lines = [];
    if (err && err.yj) {
      if (err.detail) lines.push(err.detail);
      if (err.requestId) lines.push(t('error.request_id', { id: err.requestId }));
    }
    if (lines.length) {
      // the server's words as a secondary detail only: the title, and a folded 详情
      main.title = lines.join('\n');
      main.dataset.detail = 'server';
      const d = document.createElement('details');
      d.className = 'err-detail';
      const sum = document.createElement('summary');
      sum.textContent = t('error.detail');
      const pre = document.createElement('span');
      pre.className = 'err-detail-text';
      pre.lang = err.detailLang || 'en';
      pre.textContent = lines.join(' · ');
      d.append(sum, pre);
      box.append(d);
    }
    return box;
  }

  // an error paragraph: the person's text, the problems, the details; empty and hidden without an error
  function showError(el, err, ctx) {
    el.textContent = '';
    el.removeAttribute('title');
    if (err) el.append(errorNode(err, ctx));
    el.hidden = !err;
  }

  apply(document);
  return { lang, acceptLanguage, t, tv, has, fieldLabel, apply, fmtWait, httpError, errorText, errorNode, showError, table };
})();
