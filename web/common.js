// Shared helpers of the warning pages (网格员 gw.html, 预警发布 warnings.html)
// and the loop overlay of the command map: one namespace, window.YJ, so the
// map's own app.js (which has helpers of the same names) is not disturbed.
// Plain browser JavaScript, no build step.
'use strict';

window.YJ = (() => {
  const { t, tv, httpError, showError, errorText } = window.I18N;
  const LBL = window.YJ_LABELS || {};
  const W = LBL.WARN || { LEVELS: {}, TYPES: {}, STATES: {}, ACTIONS: {}, RECIPIENT: {}, TASK: {}, SOURCES: {} };

  // fetch JSON with the session cookie; a failed answer throws I18N.httpError:
  // message = the person's sentence (from the code and field), .detail = the
  // server's words (in the page's language: Accept-Language), .code, .field, .problems, .status (0 = network)
  async function api(method, url, body, { headers = {}, signal } = {}) {
    const opts = { method, headers: { 'Accept-Language': window.I18N.acceptLanguage, ...headers }, credentials: 'same-origin', signal };
    if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
    let res;
    try {
      res = await fetch(url, opts);
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw httpError(0, null, null);
    }
    const text = res.status === 204 ? '' : await res.text().catch(() => '');
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) throw httpError(res.status, data, res.headers);
    return data;
  }

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

  // h('li', {class: 'x', onclick}, 'text', child...) — strings are always text, never HTML
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style' && typeof v === 'object') {
        for (const [p, x] of Object.entries(v)) { if (p.startsWith('--')) el.style.setProperty(p, x); else el.style[p] = x; }
      }
      else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  // el.append(...) that skips null / undefined / false (el.append(null) would write "null")
  const put = (el, ...kids) => { el.append(...kids.flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false)); return el; };
  const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };
  const fmtNum = (n) => (typeof n === 'number' ? n.toLocaleString('zh-CN') : n ?? t('common.none'));
  const pct = (x) => (typeof x === 'number' ? `${x >= 99.95 || x === 0 ? x.toFixed(0) : x.toFixed(1)}%` : t('common.none'));

  // times come as RFC 3339 with the server's offset; shown as the server wrote them
  function fmtTime(s, { year = false, seconds = false } = {}) {
    if (!s) return t('common.none');
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(s);
    if (!m) return s;
    return `${year ? m[1] + '-' : ''}${m[2]}-${m[3]} ${m[4]}:${m[5]}${seconds && m[6] ? ':' + m[6] : ''}`;
  }
  const isPast = (s) => !!s && Date.parse(s) <= Date.now();

  // a random UUID (v4) for Idempotency-Key; crypto.randomUUID needs a secure
  // context, getRandomValues does not (a phone on the bureau's plain-http LAN)
  function uuid() {
    if (window.crypto && crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  const level = (lv) => W.LEVELS[lv] || { label: t('enum.level_unknown'), full: t('enum.level_unknown'), grade: '', color: '#78909c', ink: '#fff' };
  const levelBadge = (lv, { grade = true } = {}) => {
    const L = level(lv);
    return h('span', { class: `lv lv-${lv}`, style: { background: L.color, color: L.ink }, title: `${L.full} ${L.grade}`.trim() },
      `${L.label}${grade && L.grade ? t('common.sep') + L.grade : ''}`);
  };
  const typeLabel = (ty) => tv('warning_type', ty);
  const stateLabel = (s) => tv('warning_state', s);

  // who is signed in, each part once: display name · role · area name
  // ("指挥长 · 汕尾市", not "指挥长 · 指挥长 · 汕尾市"); the full triple as the title
  function whoText(user, areaName) {
    const all = [user.display_name || user.username, tv('role', user.role), areaName].filter(Boolean);
    const shown = [];
    for (const part of all) if (!shown.some((p) => p.includes(part))) shown.push(part);
    return { text: shown.join(t('common.sep')), title: t('who.title', { all: all.join(t('common.sep')) }) };
  }
  // fill #who (or el) for user: at once, then with the area's name when it has come
  function showWho(user, el = document.querySelector('#who')) {
    if (!el) return;
    const set = (name) => { const w = whoText(user, name); el.textContent = w.text; el.title = w.title; };
    set(null);
    if (user.area_code) area(user.area_code).then((a) => set(a.name), () => {});
  }

  // colour of a closure share: red (0%) -> amber -> green (100%)
  function closureColor(p) {
    const x = Math.max(0, Math.min(100, Number(p) || 0)) / 100;
    const hue = Math.round(x * 120); // 0 red .. 120 green
    return `hsl(${hue}, 72%, ${x > 0.999 ? 36 : 45}%)`;
  }

  // An EventSource that says when it is live and reconnects after errors
  // (the browser does too, but not after a 401/5xx answer); handlers: {event: fn(data)}
  function stream(url, handlers, { onState } = {}) {
    let es = null, stopped = false, timer = null, delay = 1000;
    const open = () => {
      if (stopped) return;
      es = new EventSource(url, { withCredentials: true });
      es.addEventListener('hello', () => { delay = 1000; onState && onState('live'); });
      for (const [ev, fn] of Object.entries(handlers)) {
        es.addEventListener(ev, (m) => { let d = null; try { d = JSON.parse(m.data); } catch { d = m.data; } fn(d); });
      }
      es.onerror = () => {
        onState && onState('down');
        if (es.readyState === EventSource.CLOSED) {
          es.close();
          clearTimeout(timer);
          timer = setTimeout(open, delay);
          delay = Math.min(delay * 2, 30000);
        }
      };
    };
    open();
    return {
      close() { stopped = true; clearTimeout(timer); if (es) es.close(); },
      get readyState() { return es ? es.readyState : 2; },
    };
  }

  // area names (the server's names of codes), cached
  const areaCache = {};
  function area(code, geometry = false) {
    const k = `${code}|${geometry ? 1 : 0}`;
    if (!areaCache[k]) areaCache[k] = api('GET', `/api/v1/areas/${encodeURIComponent(code)}${geometry ? '?geometry=1' : ''}`).catch((e) => { delete areaCache[k]; throw e; });
    return areaCache[k];
  }

  // to the sign-in page (index.html), coming back here afterwards
  function toLogin() {
    const next = location.pathname + location.search + location.hash;
    location.replace(`/?next=${encodeURIComponent(next)}`);
  }

  return {
    api, $, $$, h, put, debounce, fmtNum, pct, fmtTime, isPast, uuid, level, levelBadge, typeLabel, stateLabel, closureColor,
    stream, area, toLogin, whoText, showWho, showError, errorText, t, tv, W, LBL,
  };
})();
