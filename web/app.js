// yingji web: sign in, then the command map (民情地图): the area tree and its
// boundaries as the offline base, the registry layers (clustered, reloaded
// for the view), themes, a detail panel with nearby resources, and search.
// Plain browser JavaScript; Leaflet and markercluster are served from /vendor
// (no CDN, no internet).
'use strict';

const { t, tv } = window.I18N;
const CFG = Object.assign({ tileUrl: null, tileAttribution: '', tileMaxZoom: 18 }, window.YINGJI_CONFIG || {});
const LBL = window.YJ_LABELS;
const LAYER_BY_NAME = Object.fromEntries(LBL.LAYERS.map((l) => [l.name, l]));
const LAYER_LIMIT = 20000;       // the server's maximum per layer request
const DEFAULT_LAYERS = ['enterprises', 'hazard-sources', 'risk-points', 'shelters', 'warehouses', 'teams'];
const NEARBY_LAYERS = ['shelters', 'teams', 'warehouses'];
// zoom for "go to this object": offline (boundaries only) a closer look shows nothing more
const FOCUS_ZOOM = CFG.tileUrl ? 16 : 14;

// ---- small helpers ---------------------------------------------------------------------------

const api = async (method, url, body, signal) => {
  // the server's error words (the .detail of I18N.httpError) in the page's language
  const opts = { method, headers: { 'Accept-Language': window.I18N.acceptLanguage }, credentials: 'same-origin', signal };
  if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
  let res;
  try {
    res = await fetch(url, opts);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw window.I18N.httpError(0, null, null);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (signal && signal.aborted) throw new DOMException('aborted', 'AbortError');
  if (!res.ok) {
    if (res.status === 401 && !url.endsWith('/auth/login') && !url.endsWith('/me')) showLogin();
    throw window.I18N.httpError(res.status, data, res.headers);
  }
  return data;
};

const $ = (sel) => document.querySelector(sel);
// h('li', {class: 'x', onclick}, 'text', child...) — text is always text (never HTML)
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const debounce = (fn, ms) => { let timer; return (...a) => { clearTimeout(timer); timer = setTimeout(() => fn(...a), ms); }; };
const fmtNum = (n) => (typeof n === 'number' ? n.toLocaleString('zh-CN') : n);
const fmtDist = (m) => (m >= 1000 ? t('unit.km', { n: m >= 10000 ? Math.round(m / 1000) : Math.round(m / 100) / 10 }) : t('unit.m', { n: Math.round(m) }));

// codes in an area's subtree share this prefix (441500 -> 4415), as on the server
const prefixOf = (code) => (code.length === 6 && code.endsWith('00') ? code.slice(0, code.endsWith('0000') ? 2 : 4) : code);

// ---- state -----------------------------------------------------------------------------------

let map, me;
let themes = LBL.THEMES;
const state = {
  theme: null,                       // name of the active theme, or null (all)
  layers: new Set(DEFAULT_LAYERS),   // checked layers
  area: null,                        // the area open in the tree
};
const groups = {};   // layer -> L.MarkerClusterGroup
const loaded = {};   // layer -> {key, bounds, truncated, count}
const inflight = {}; // layer -> AbortController
let areaLayer, landLayer, selLayer, nearbyLayer, drawSeq = 0;
const drawn = []; // the child areas drawn: {code, name, approximate}
let selected = null; // {layer, id, obj}

// ---- login -----------------------------------------------------------------------------------

function showLogin() {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-form input[name=username]').focus();
}

// pages of their own: the grid worker's phone page; a page that sent the user here to sign in
const STAFF_ROLES = ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk', 'warehouse_keeper'];
function nextPage(user) {
  // grid workers and enterprises have pages of their own; inspectors and legal reviewers start at their workbench
  const HOME = { grid_worker: '/gw.html', enterprise: '/enterprise.html' };
  if (HOME[user.role]) {
    const next = new URLSearchParams(location.search).get('next') || '';
    return next.startsWith(HOME[user.role]) ? next : HOME[user.role];
  }
  const next = new URLSearchParams(location.search).get('next');
  if (!next && ['inspector', 'legal_reviewer'].includes(user.role)) return '/enforce.html';
  // same-origin pages only (never //host or a scheme)
  if (next && /^\/[a-z]+\.html(?:[?#][^\s]*)?$/.test(next) && !next.startsWith('/index.html') && !next.startsWith('/gw.html')) return next;
  return null;
}

// the header: display name · role · area name, each once (common.js's whoText)
function showWho(user, areaName) {
  const w = window.YJ.whoText(user, areaName);
  $('#who').textContent = w.text;
  $('#who').title = w.title;
}

async function showApp(user) {
  const go = nextPage(user);
  if (go) { location.replace(go); return; }
  me = user;
  $('#login').hidden = true;
  $('#app').hidden = false;
  showWho(user, null);
  areaName(user.area_code).then((n) => { if (me === user) showWho(user, n.split(' › ').pop()); });
  if (!map) initMap();
  closeDetail();
  // a fresh start for this user: default layers, no theme, nothing loaded
  for (const c of Object.values(inflight)) c.abort();
  for (const g of Object.values(groups)) g.clearLayers();
  for (const k of Object.keys(loaded)) delete loaded[k];
  state.theme = null;
  state.layers = new Set(DEFAULT_LAYERS);
  $('#search').value = '';
  $('#search-results').hidden = true;
  buildLayerList();
  $('#nav-warnings').hidden = !STAFF_ROLES.includes(user.role);
  $('#nav-enforce').hidden = !['inspector', 'commander', 'legal_reviewer', 'duty_officer', 'admin'].includes(user.role);
  // the registry's import and export: for the roles that may import some object type (the server's write roles)
  $('#nav-data').hidden = !['admin', 'commander', 'duty_officer', 'inspector', 'warehouse_keeper'].includes(user.role);
  $('#nav-api').hidden = user.role !== 'admin'; // the API description: for the bureau's IT staff
  $('#nav-warnings').textContent = t(['commander', 'duty_officer'].includes(user.role) ? 'nav.warnings' : 'nav.warnings_read');
  await loadThemes();
  await openArea(user.area_code, { drawLand: true });
  // extensions (the loop overlay, loopmap.js) start from here
  document.dispatchEvent(new CustomEvent('yj:app', { detail: { user } }));
}

// ---- map -------------------------------------------------------------------------------------

function initMap() {
  // canvas: the boundaries are large polygons; SVG repaints them badly after big zoom jumps
  map = L.map('map', { preferCanvas: true, zoomControl: false, minZoom: 5, maxZoom: CFG.tileUrl ? CFG.tileMaxZoom : 18, worldCopyJump: false });
  L.control.zoom({ position: 'topleft', zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
  L.control.scale({ imperial: false, position: 'bottomright' }).addTo(map);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(escapeHtml(t('map.attribution')));
  map.createPane('land').style.zIndex = 250;
  if (CFG.tileUrl) {
    L.tileLayer(CFG.tileUrl, { maxZoom: CFG.tileMaxZoom, attribution: CFG.tileAttribution || '' }).addTo(map);
    $('#map').classList.add('tiles');
  }
  landLayer = L.featureGroup().addTo(map);
  areaLayer = L.featureGroup().addTo(map);
  nearbyLayer = L.featureGroup().addTo(map);
  selLayer = L.featureGroup().addTo(map);
  for (const def of LBL.LAYERS) {
    groups[def.name] = L.markerClusterGroup({
      chunkedLoading: true,
      chunkInterval: 120,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      removeOutsideVisibleBounds: true,
      // wide clusters when the whole city is in view, tighter when zoomed in
      maxClusterRadius: (z) => (z <= 10 ? 80 : z <= 12 ? 60 : def.dense ? 50 : 35),
      disableClusteringAtZoom: def.dense ? null : 16,
      iconCreateFunction: (c) => clusterIcon(def, c.getChildCount()),
    });
  }
  map.on('moveend', debounce(() => reloadLayers(false), 200));
  map.on('moveend', countInView);
  // expose for debugging and tests (window.yingji.map)
  window.yingji = { map, state, groups, loaded, drawn, openDetail, closeDetail, panelWidth, setTheme, openArea };
}

function clusterIcon(def, n) {
  const size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
  return L.divIcon({
    html: `<div><span>${n < 10000 ? n : Math.round(n / 1000) + 'k'}</span></div>`,
    className: `mc mc-${def.name}`,
    iconSize: L.point(size, size),
  });
}

const iconCache = {};
function markerIcon(def, props) {
  let variant = '';
  if (def.name === 'cameras' && props.status && props.status !== 'online') variant = ` st-${props.status}`;
  if (def.name === 'risk-points' && props.type) variant = ` rp-${props.type}`;
  if (def.name === 'enterprises' && props.risk_grade) variant = ` rg-${props.risk_grade}`;
  const key = def.name + variant;
  if (!iconCache[key]) {
    iconCache[key] = L.divIcon({
      html: `<i>${def.glyph}</i>`,
      className: `mk mk-${def.name} sh-${def.shape}${variant}`,
      iconSize: [24, 24],
      iconAnchor: [12, 12],
    });
  }
  return iconCache[key];
}

// Bounds to fit for an area: its bbox without far-off islands. Keeps the
// largest polygon and those near it (within ~40 km of its bounds).
function mainlandBounds(area) {
  const g = area.geometry;
  if (g && (g.type === 'MultiPolygon' || g.type === 'Polygon')) {
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    const boxes = polys.map((p) => {
      let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
      for (const [x, y] of p[0]) { w = Math.min(w, x); s = Math.min(s, y); e = Math.max(e, x); n = Math.max(n, y); }
      return { w, s, e, n, size: (e - w) * (n - s) };
    });
    const main = boxes.reduce((a, b) => (b.size > a.size ? b : a));
    const near = 0.4;
    let w = main.w, s = main.s, e = main.e, n = main.n;
    for (const b of boxes) {
      if (b.w > main.e + near || b.e < main.w - near || b.s > main.n + near || b.n < main.s - near) continue;
      w = Math.min(w, b.w); s = Math.min(s, b.s); e = Math.max(e, b.e); n = Math.max(n, b.n);
    }
    return L.latLngBounds([s, w], [n, e]);
  }
  if (area.bbox) { const [w, s, e, n] = area.bbox; return L.latLngBounds([s, w], [n, e]); }
  if (area.point) return L.latLng(area.point[1], area.point[0]).toBounds(3000);
  return null;
}

// ---- area tree and boundaries ----------------------------------------------------------------

async function openArea(code, { drawLand = false } = {}) {
  const area = await api('GET', `/api/v1/areas/${code}?geometry=1`);
  const kids = area.children ? (await api('GET', `/api/v1/areas?parent=${code}`)).items : [];
  state.area = area;
  $('#area-title').textContent = t('map.area_title', { name: area.name, level: tv('area_level', area.level) });
  $('#area-note').textContent = area.geometry_approximate ? t('map.area_approx') : '';
  const crumbs = $('#crumbs');
  crumbs.textContent = '';
  for (const p of area.path) {
    if (!p.code.startsWith(prefixOf(me.area_code))) continue; // outside the user's jurisdiction
    crumbs.append(h('a', { onclick: () => openArea(p.code) }, p.name), h('span', null, '›'));
  }
  const list = $('#children');
  list.textContent = '';
  for (const k of kids) {
    const tag = k.special ? t('map.special') : (k.kind || '');
    list.append(h('li', { dataset: { code: k.code }, onclick: () => openArea(k.code) },
      h('span', null, k.name), h('span', { class: k.special ? 'tag special' : 'tag' }, tag)));
  }
  if (drawLand) drawLandShape(area);
  const fit = mainlandBounds(area);
  await mapIdle();
  if (fit) map.fitBounds(fit, { padding: [16, 16], animate: false });
  reloadLayers(true);
  await drawArea(area, kids);
}

// The user's whole jurisdiction as "land": the offline base map.
function drawLandShape(area) {
  landLayer.clearLayers();
  if (!area.geometry) return;
  // outer rings only: the boundary data leaves sliver gaps between counties,
  // which would show as holes in the land
  const g = area.geometry;
  const shell = g.type === 'MultiPolygon' ? { type: 'MultiPolygon', coordinates: g.coordinates.map((p) => [p[0]]) }
    : g.type === 'Polygon' ? { type: 'Polygon', coordinates: [g.coordinates[0]] } : g;
  L.geoJSON(shell, {
    pane: 'land',
    interactive: false,
    style: { color: '#0b3d6b', weight: 2, dashArray: area.geometry_approximate ? '8 5' : null, fillColor: '#f7f4ec', fillOpacity: CFG.tileUrl ? 0 : 1 },
  }).addTo(landLayer);
}

async function drawArea(area, kids) {
  const seq = ++drawSeq;
  const withGeom = kids.filter((k) => k.has_geometry);
  const shapes = await Promise.all(withGeom.map((k) => api('GET', `/api/v1/areas/${k.code}?geometry=1`).catch(() => null)));
  if (seq !== drawSeq) return; // a newer area was opened meanwhile
  areaLayer.clearLayers();
  for (const s of shapes) {
    if (!s || !s.geometry) continue;
    const approx = s.geometry_approximate;
    const g = L.geoJSON(s.geometry, {
      style: { color: approx ? '#5b7fa6' : '#0b3d6b', weight: approx ? 1 : 1.5, dashArray: approx ? '5 4' : null, fillColor: '#1f6fb2', fillOpacity: 0.03 },
    }).addTo(areaLayer);
    // hover and click-to-open only while the area is seen whole (not when zoomed in to work)
    const overview = () => map.getZoom() <= map.getBoundsZoom(g.getBounds()) + 1;
    g.on('mouseover', (ev) => {
      if (!overview()) return;
      g.setStyle({ fillOpacity: 0.1 });
      g.bindTooltip(escapeHtml(t(approx ? 'map.area_tip_approx' : 'map.area_tip', { name: s.name })), { sticky: true, direction: 'top', className: 'area-tip' }).openTooltip(ev.latlng);
    });
    g.on('mouseout', () => { g.setStyle({ fillOpacity: 0.03 }); g.unbindTooltip(); });
    g.on('click', () => { if (overview()) openArea(s.code); });
    if (s.point) {
      L.marker([s.point[1], s.point[0]], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'area-label', html: `<span>${escapeHtml(s.name)}</span>`, iconSize: [100, 18], iconAnchor: [50, 9] }),
      }).addTo(areaLayer);
    }
  }
  drawn.length = 0;
  for (const s of shapes) if (s && s.geometry) drawn.push({ code: s.code, name: s.name, approximate: !!s.geometry_approximate });
  // the open area stands out from its neighbours (the root is the land itself)
  if (area.geometry && area.code !== me.area_code) {
    const approx = area.geometry_approximate;
    L.geoJSON(area.geometry, {
      interactive: false,
      style: { color: '#c62828', weight: 2.5, dashArray: approx ? '8 5' : null, fill: false },
    }).addTo(areaLayer);
  }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// ---- layers and themes -----------------------------------------------------------------------

async function loadThemes() {
  try {
    const r = await api('GET', '/api/v1/themes');
    if (r && Array.isArray(r.items) && r.items.length) themes = r.items;
  } catch { /* older server: built-in themes */ }
  const box = $('#themes');
  box.textContent = '';
  box.append(h('button', { type: 'button', id: 'theme-all', onclick: () => setTheme(null), title: t('map.theme_all_title') }, t('map.theme_all')));
  for (const th of themes) {
    const label = themeLabel(th);
    box.append(h('button', { type: 'button', id: `theme-${th.name}`, dataset: { theme: th.name }, onclick: () => setTheme(th.name), title: label }, shortLabel(label)));
  }
  markTheme();
}

function themeOf(name) { return themes.find((th) => th.name === name) || null; }
// the table's name of a theme (the server's label for one the table does not know)
const themeLabel = (th) => (th ? t('registry.themes')[th.name] || th.label || th.name : '');
const shortLabel = (label) => String(label).split(/\s*[(（]/)[0];

function setTheme(name) {
  state.theme = name;
  const th = themeOf(name);
  const allowed = (l) => LAYER_BY_NAME[l] && !$(`#layer-${l}`)?.disabled;
  state.layers = new Set((th ? th.layers : LBL.LAYERS.map((l) => l.name)).filter(allowed));
  markTheme();
  syncLayerChecks();
  reloadLayers(true);
}

function markTheme() {
  for (const b of document.querySelectorAll('#themes button')) {
    const allOn = LBL.LAYERS.every((l) => state.layers.has(l.name) || $(`#layer-${l.name}`)?.disabled);
    const on = (b.dataset.theme || null) === state.theme && (state.theme || allOn);
    b.classList.toggle('active', !!on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
}

function buildLayerList() {
  const ul = $('#layers');
  ul.textContent = '';
  for (const def of LBL.LAYERS) {
    const cb = h('input', { type: 'checkbox', id: `layer-${def.name}`, value: def.name });
    cb.checked = state.layers.has(def.name);
    cb.addEventListener('change', () => {
      if (cb.checked) state.layers.add(def.name); else state.layers.delete(def.name);
      markTheme();
      reloadLayers(false);
    });
    ul.append(h('li', { dataset: { layer: def.name } },
      h('label', { for: `layer-${def.name}` }, cb,
        h('span', { class: `sw mk mk-${def.name} sh-${def.shape}` }, h('i', null, def.glyph)),
        h('span', { class: 'ln' }, def.label)),
      h('span', { class: 'count', id: `count-${def.name}` })));
  }
}

function syncLayerChecks() {
  for (const def of LBL.LAYERS) $(`#layer-${def.name}`).checked = state.layers.has(def.name);
}

// the area filter sent with layer and search requests (none at the user's own root)
function areaParam() {
  if (!state.area || !$('#area-only').checked) return null;
  if (me && state.area.code === me.area_code) return null;
  return state.area.code;
}

function themeParam(layer) {
  const th = themeOf(state.theme);
  return th && th.layers.includes(layer) ? th.name : null;
}

function reloadLayers(force) {
  if (!map) return;
  for (const def of LBL.LAYERS) {
    const g = groups[def.name];
    if (state.layers.has(def.name)) {
      if (!map.hasLayer(g)) map.addLayer(g);
      loadLayer(def, force);
    } else {
      if (inflight[def.name]) inflight[def.name].abort();
      if (map.hasLayer(g)) map.removeLayer(g);
      g.clearLayers();
      delete loaded[def.name];
      setCount(def.name, null);
    }
  }
}

async function loadLayer(def, force) {
  const name = def.name;
  const view = map.getBounds();
  const area = areaParam(), theme = themeParam(name);
  const key = `${theme}|${area}`;
  const st = loaded[name], pend = inflight[name];
  // the loaded (or loading) data still covers the view: nothing to fetch
  if (!force && st && st.key === key && !st.truncated && st.bounds.contains(view)) return;
  if (!force && pend && pend.key === key && pend.bounds.contains(view)) return;
  const b = view.pad(0.35);
  const w = Math.max(b.getWest(), -180), s = Math.max(b.getSouth(), -90), e = Math.min(b.getEast(), 180), n = Math.min(b.getNorth(), 90);
  const qs = new URLSearchParams({ bbox: [w, s, e, n].map((x) => x.toFixed(6)).join(','), limit: String(LAYER_LIMIT) });
  if (theme) qs.set('theme', theme);
  if (area) qs.set('area', area);
  if (inflight[name]) inflight[name].abort();
  const ctl = new AbortController();
  ctl.key = key;
  ctl.bounds = b;
  inflight[name] = ctl;
  setLoading(name, true);
  let fc;
  try {
    fc = await api('GET', `/api/v1/layers/${name}?${qs}`, undefined, ctl.signal);
  } catch (err) {
    if (err.name === 'AbortError') return;
    setLoading(name, false);
    if (err.status === 403) { // this role may not see the layer
      state.layers.delete(name);
      const cb = $(`#layer-${name}`);
      cb.checked = false;
      cb.disabled = true;
      cb.closest('li').classList.add('denied');
      cb.closest('li').title = t('map.layer_denied');
      groups[name].clearLayers();
      setCount(name, null, t('common.no_permission'));
      markTheme();
      return;
    }
    setCount(name, null, err.status === 404 ? t('common.none') : '!');
    $(`#count-${name}`).title = t('common.load_failed', { msg: err.message });
    return;
  } finally {
    if (inflight[name] === ctl) delete inflight[name];
  }
  if (ctl.signal.aborted || !state.layers.has(name) || !fc) return;
  const markers = [];
  for (const f of fc.features || []) {
    const c = f.geometry && f.geometry.coordinates;
    if (!c) continue;
    const p = f.properties || {};
    const m = L.marker([c[1], c[0]], { icon: markerIcon(def, p), title: p.name || '', riseOnHover: true });
    m.yj = { layer: name, id: p.id, area_code: p.area_code };
    m.on('click', () => openDetail(name, p.id, { latlng: m.getLatLng(), pan: false }));
    m.on('add', () => { if (m._icon) { m._icon.dataset.layer = name; m._icon.dataset.id = p.id; } });
    markers.push(m);
  }
  const g = groups[name];
  g.clearLayers();
  g.addLayers(markers);
  loaded[name] = { key, bounds: b, truncated: !!fc.truncated, count: markers.length, markers, inView: 0 };
  setLoading(name, false);
  countInView();
}

// The counts beside the layers and in the status line are of the objects in the
// current map view (the layers load a padded view and keep it while it still
// covers the map): recounted after every move, and labelled as such.
function countInView() {
  if (!map) return;
  const view = map.getBounds();
  for (const def of LBL.LAYERS) {
    const st = loaded[def.name];
    if (!st || !state.layers.has(def.name)) continue;
    let n = 0;
    for (const m of st.markers) if (view.contains(m.getLatLng())) n++;
    st.inView = n;
    setCount(def.name, n, st.truncated ? '+' : '');
  }
  updateStatus();
}

const loading = new Set();
function setLoading(name, on) {
  if (on) loading.add(name); else loading.delete(name);
  $(`#layers li[data-layer="${name}"]`)?.classList.toggle('loading', on);
  updateStatus();
}

function setCount(name, n, suffix = '') {
  const el = $(`#count-${name}`);
  if (!el) return;
  el.textContent = n === null ? (suffix || '') : fmtNum(n) + suffix;
  el.title = suffix === '+' ? t('map.count_truncated') : n === null ? '' : t('map.count_view');
}

function updateStatus() {
  const el = $('#map-status');
  const parts = [];
  for (const def of LBL.LAYERS) {
    const st = loaded[def.name];
    if (state.layers.has(def.name) && st) parts.push(`${def.label} ${fmtNum(st.inView)}${st.truncated ? '+' : ''}`);
  }
  const th = themeOf(state.theme);
  const sep = t('common.sep');
  const head = [loading.size ? t('map.status_loading') : null, th ? t('map.theme_status', { name: shortLabel(themeLabel(th)) }) : null,
    parts.length ? t('map.status_view') : null].filter(Boolean);
  el.textContent = [...head, ...parts].join(sep) || t('map.status_none');
  el.title = parts.length ? t('map.count_view') : '';
  el.classList.toggle('busy', loading.size > 0);
}

// ---- detail panel ----------------------------------------------------------------------------

const areaNames = {};
async function areaName(code) {
  if (!code) return '';
  if (!areaNames[code]) {
    areaNames[code] = api('GET', `/api/v1/areas/${code}`).then(
      (a) => [...a.path.filter((p) => p.code.startsWith(prefixOf(me.area_code)) || p.level !== 'city').map((p) => p.name), a.name].join(' › '),
      () => code);
  }
  return areaNames[code];
}

function valueLabel(layer, field, v) {
  if (field === 'level' && LBL.LEVEL_VALUES[layer] && LBL.LEVEL_VALUES[layer][v] !== undefined) return LBL.LEVEL_VALUES[layer][v];
  const d = LBL.VALUES[field];
  return d && d[v] !== undefined ? d[v] : String(v);
}

function safeHref(url) {
  try {
    const u = new URL(url);
    return ['http:', 'https:', 'rtsp:', 'rtsps:', 'rtmp:'].includes(u.protocol) ? u.href : null;
  } catch { return null; }
}

function refLink(layer, id, text) {
  return h('a', { class: 'ref', href: '#', dataset: { layer, id }, onclick: (ev) => { ev.preventDefault(); openDetail(layer, id, { pan: true }); } }, text);
}

function renderValue(layer, field, v, obj) {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return h('span', { class: 'empty' }, t('common.none'));
  switch (field) {
    case 'stream_url': {
      const href = safeHref(v);
      const a = h('a', { id: 'detail-stream', class: 'stream', target: '_blank', rel: 'noopener noreferrer' }, v);
      if (href) a.href = href;
      const kids = [a];
      if (/^rtsps?:|^rtmp:/i.test(v)) kids.push(h('div', { class: 'hint' }, t('map.stream_hint')));
      return h('div', null, kids);
    }
    case 'area_code': {
      const s = h('span', null, h('span', { class: 'nm' }, ''), ' ', h('span', { class: 'code' }, v));
      areaName(v).then((n) => { s.firstChild.textContent = n; });
      return s;
    }
    case 'created': case 'updated': // RFC 3339 with the server's offset: shown as it is
      return String(v).replace('T', ' ').replace(/(\.\d+)?([+-]\d\d:\d\d|Z)$/, ' $2');
    case 'enterprise_id': {
      const a = refLink('enterprises', v, t('map.ref_enterprise', { id: v }));
      api('GET', `/api/v1/enterprises/${v}`).then((e) => { a.textContent = e.name; }, () => {});
      return a;
    }
    case 'shelter_ids':
      return h('ul', { class: 'refs' }, v.map((id) => {
        const a = refLink('shelters', id, t('map.ref_shelter', { id }));
        api('GET', `/api/v1/shelters/${id}`).then((s) => { a.textContent = s.capacity ? t('map.shelter_capacity', { name: s.name, n: fmtNum(s.capacity) }) : s.name; }, () => {});
        return h('li', null, a);
      }));
    case 'grid_worker_id': {
      const gw = obj && (obj.grid_worker || null);
      const who = gw && typeof gw === 'object' ? [gw.display_name || gw.username, gw.phone].filter(Boolean).join(' · ') : (obj && obj.grid_worker_name);
      return h('span', { class: 'grid-worker' }, who ? t('map.grid_worker_user', { who, id: v }) : t('map.grid_worker_id', { id: v }));
    }
    case 'substances':
      return h('ul', { class: 'refs' }, v.map((x) => h('li', null, `${x.name}${x.quantity_t !== undefined ? t('common.sep') + t('unit.tonnes', { n: fmtNum(x.quantity_t) }) : ''}`)));
    case 'risk_grade':
      return h('span', { class: `badge rg-${v}` }, valueLabel(layer, field, v));
    case 'status':
      return h('span', { class: `badge st-${v}` }, valueLabel(layer, field, v));
    case 'phone':
      return h('a', { href: `tel:${String(v).replace(/[^0-9+]/g, '')}` }, v);
    default:
      break;
  }
  if (Array.isArray(v)) return h('span', { class: 'chips' }, v.map((x) => h('span', { class: 'chip' }, typeof x === 'object' ? JSON.stringify(x) : valueLabel(layer, field, x))));
  if (typeof v === 'object') return JSON.stringify(v);
  const unit = LBL.UNITS[field];
  if (typeof v === 'number') return `${fmtNum(v)}${unit ? ' ' + unit : ''}`;
  return valueLabel(layer, field, v);
}

let detailSeq = 0;
async function openDetail(layer, id, { latlng = null, pan = true } = {}) {
  const def = LAYER_BY_NAME[layer];
  const seq = ++detailSeq;
  const panel = $('#detail');
  panel.hidden = false;
  panel.dataset.layer = layer;
  panel.dataset.id = id;
  panel.classList.add('loading');
  $('#detail-layer').textContent = def ? def.label : layer;
  $('#detail-layer').style.background = def ? def.color : '#667';
  $('#detail-title').textContent = t('common.loading');
  $('#detail-body').textContent = '';
  $('#nearby-list').textContent = '';
  nearbyLayer.clearLayers();
  let obj;
  try {
    obj = await api('GET', `/api/v1/${layer}/${id}`);
  } catch (err) {
    if (seq !== detailSeq) return;
    $('#detail-title').textContent = t('common.cannot_load');
    $('#detail-body').append(h('p', { class: 'error' }, window.I18N.errorNode(err)));
    panel.classList.remove('loading');
    return;
  }
  if (seq !== detailSeq) return;
  selected = { layer, id, obj };
  panel.classList.remove('loading');
  $('#detail-title').textContent = obj.name || t('common.id', { id });
  const own = LBL.FIELDS[layer] || {};
  const hide = new Set(['grid_worker', 'grid_worker_name', 'layer']);
  const order = [...Object.keys(own), ...Object.keys(obj).filter((k) => !own[k] && !LBL.COMMON[k] && !hide.has(k))];
  const rows = [];
  for (const k of order) {
    if (!(k in obj) && !own[k]) continue;
    rows.push(h('tr', { dataset: { field: k } }, h('th', null, own[k] || window.I18N.fieldLabel(k) || k), h('td', null, renderValue(layer, k, obj[k], obj))));
  }
  rows.push(h('tr', { dataset: { field: 'area_code' } }, h('th', null, LBL.COMMON.area_code), h('td', null, renderValue(layer, 'area_code', obj.area_code, obj))));
  if (typeof obj.lon === 'number' && typeof obj.lat === 'number') {
    rows.push(h('tr', { dataset: { field: 'lonlat' } }, h('th', null, t('map.lonlat')), h('td', null, `${obj.lon.toFixed(6)}, ${obj.lat.toFixed(6)}`)));
  }
  if (obj.note) rows.push(h('tr', { dataset: { field: 'note' } }, h('th', null, LBL.COMMON.note), h('td', null, obj.note)));
  rows.push(h('tr', { dataset: { field: 'id' } }, h('th', null, LBL.COMMON.id), h('td', null, t('map.object_id', { layer: def ? def.label : layer, id: obj.id }))));
  if (obj.updated) rows.push(h('tr', { dataset: { field: 'updated' } }, h('th', null, LBL.COMMON.updated), h('td', null, renderValue(layer, 'updated', obj.updated))));
  $('#detail-body').append(h('table', { class: 'fields' }, h('tbody', null, rows)));
  $('#nearby-btn').disabled = typeof obj.lon !== 'number';
  // mark it on the map
  selLayer.clearLayers();
  const ll = typeof obj.lon === 'number' ? L.latLng(obj.lat, obj.lon) : latlng;
  if (ll) {
    // its own marker too: the object may be in a layer that is off or outside the theme
    if (def) L.marker(ll, { interactive: false, keyboard: false, zIndexOffset: 900, icon: markerIcon(def, obj) }).addTo(selLayer);
    L.marker(ll, { interactive: false, keyboard: false, zIndexOffset: 1000, icon: L.divIcon({ className: 'sel-ring', iconSize: [40, 40], iconAnchor: [20, 20] }) }).addTo(selLayer);
    if (pan) showPoint(ll, Math.max(map.getZoom(), FOCUS_ZOOM));
    else if (!visibleBounds().pad(-0.1).contains(ll)) showPoint(ll, map.getZoom());
  }
}

// the part of the map not covered by the detail panel
function panelWidth() {
  const d = $('#detail');
  return d && !d.hidden ? d.offsetWidth + 12 : 0;
}
function visibleBounds() {
  const size = map.getSize();
  return L.latLngBounds(map.containerPointToLatLng([0, size.y]), map.containerPointToLatLng([Math.max(size.x - panelWidth(), 50), 0]));
}
// Resolves when no zoom animation runs: a view set during one is undone
// when the animation ends (Leaflet finishes it at its own target).
function mapIdle() {
  if (!map._animatingZoom) return Promise.resolve();
  return new Promise((resolve) => map.once('zoomend', () => setTimeout(resolve, 0)));
}

// centre ll in the uncovered part of the map
async function showPoint(ll, zoom) {
  await mapIdle();
  const off = panelWidth() / 2;
  const p = map.project(ll, zoom).add([off, 0]);
  map.setView(map.unproject(p, zoom), zoom);
}

function closeDetail() {
  detailSeq++;
  selected = null;
  $('#detail').hidden = true;
  if (selLayer) selLayer.clearLayers();
  if (nearbyLayer) nearbyLayer.clearLayers();
}

async function showNearby() {
  if (!selected || typeof selected.obj.lon !== 'number') return;
  const { obj, layer, id } = selected;
  const radius = Number($('#nearby-radius').value);
  const list = $('#nearby-list');
  list.textContent = '';
  list.append(h('li', { class: 'muted' }, t('map.nearby_loading')));
  nearbyLayer.clearLayers();
  let r;
  try {
    const qs = new URLSearchParams({ lon: obj.lon, lat: obj.lat, radius_m: radius, layers: NEARBY_LAYERS.join(',') });
    r = await api('GET', `/api/v1/nearby?${qs}`);
  } catch (err) {
    list.textContent = '';
    list.append(h('li', { class: 'error' }, t('map.nearby_failed', { msg: err.message })));
    return;
  }
  if (!selected || selected.id !== id || selected.layer !== layer) return;
  const items = (r.items || []).filter((it) => !(it.layer === layer && String(it.id) === String(id)));
  list.textContent = '';
  const center = L.latLng(obj.lat, obj.lon);
  L.circle(center, { radius, color: '#1f6fb2', weight: 1, dashArray: '4 4', fillOpacity: 0.04, interactive: false }).addTo(nearbyLayer);
  if (!items.length) list.append(h('li', { class: 'muted' }, t('map.nearby_none', { dist: fmtDist(radius) })));
  const counts = {};
  for (const it of items) counts[it.layer] = (counts[it.layer] || 0) + 1;
  list.append(h('li', { class: 'summary' }, t('map.nearby_summary', { dist: fmtDist(radius), counts: NEARBY_LAYERS.map((l) => `${LAYER_BY_NAME[l].label} ${counts[l] || 0}`).join(t('common.sep')) })));
  for (const it of items) {
    const def = LAYER_BY_NAME[it.layer] || { label: it.layer, glyph: '•', shape: 'circle', name: it.layer };
    list.append(h('li', { class: 'hit', dataset: { layer: it.layer, id: it.id }, onclick: () => openDetail(it.layer, it.id, { pan: true }) },
      h('span', { class: `sw mk mk-${def.name} sh-${def.shape}` }, h('i', null, def.glyph)),
      h('span', { class: 'nm' }, it.name, h('small', null, def.label)),
      h('span', { class: 'dist' }, fmtDist(it.distance_m))));
    if (typeof it.lon === 'number') {
      const ll = L.latLng(it.lat, it.lon);
      L.polyline([center, ll], { color: '#1f6fb2', weight: 1, opacity: 0.6, interactive: false }).addTo(nearbyLayer);
      if (LAYER_BY_NAME[it.layer]) {
        L.marker(ll, { icon: markerIcon(def, {}), title: `${it.name}${t('common.sep')}${fmtDist(it.distance_m)}`, zIndexOffset: 500 })
          .on('click', () => openDetail(it.layer, it.id, { pan: false })).addTo(nearbyLayer);
      }
    }
  }
  await mapIdle();
  map.fitBounds(center.toBounds(radius * 2), { paddingTopLeft: [20, 20], paddingBottomRight: [panelWidth() + 20, 20] });
}

// ---- search ----------------------------------------------------------------------------------

let searchSeq = 0;
async function runSearch() {
  const q = $('#search').value.trim();
  const box = $('#search-results');
  const seq = ++searchSeq;
  if (!q) { box.hidden = true; box.textContent = ''; return; }
  const layers = LBL.LAYERS.filter((d) => state.layers.has(d.name));
  if (!layers.length) {
    box.textContent = '';
    box.append(h('li', { class: 'muted' }, t('map.search_pick_layer')));
    box.hidden = false;
    return;
  }
  const area = areaParam();
  const results = await Promise.all(layers.map(async (def) => {
    const qs = new URLSearchParams({ q, limit: '8' });
    if (area) qs.set('area', area);
    try {
      const r = await api('GET', `/api/v1/${def.name}?${qs}`);
      return { def, items: r.items || [], more: !!r.next_cursor };
    } catch (err) { return { def, items: [], error: err.message }; }
  }));
  if (seq !== searchSeq) return;
  box.textContent = '';
  let n = 0;
  for (const { def, items, more } of results) {
    if (!items.length) continue;
    box.append(h('li', { class: 'group' }, def.label, more ? h('small', null, t('map.search_first')) : null));
    for (const it of items) {
      n++;
      box.append(h('li', {
        class: 'hit', tabindex: '0', dataset: { layer: def.name, id: it.id },
        onclick: () => pickSearch(def.name, it),
        onkeydown: (ev) => { if (ev.key === 'Enter') pickSearch(def.name, it); },
      },
      h('span', { class: `sw mk mk-${def.name} sh-${def.shape}` }, h('i', null, def.glyph)),
      h('span', { class: 'nm' }, it.name),
      areaTag(it.area_code)));
    }
  }
  if (!n) box.append(h('li', { class: 'muted' }, t('map.search_none', { q })));
  box.hidden = false;
}

function areaTag(code) {
  const el = h('small', { class: 'area' }, code || '');
  if (code) areaName(code).then((n) => { el.textContent = n.split(' › ').pop(); el.title = n; });
  return el;
}

function pickSearch(layer, it) {
  $('#search-results').hidden = true;
  $('#detail').hidden = false; // so the map centres the hit beside the panel
  if (typeof it.lon === 'number' && typeof it.lat === 'number') showPoint(L.latLng(it.lat, it.lon), Math.max(map.getZoom(), FOCUS_ZOOM));
  openDetail(layer, it.id, { pan: false });
}

// ---- wiring ----------------------------------------------------------------------------------

// sign-in refusals in the words of the login page: wrong credentials, how long to wait
const LOGIN_ERRORS = {
  codes: {
    unauthenticated: () => t('login.wrong'),
    too_many_requests: (err) => (err.retryAfter ? t('login.throttled', { wait: window.I18N.fmtWait(err.retryAfter) }) : t('login.throttled_nowait')),
  },
  fields: { username: t('login.username'), password: t('login.password') },
};

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const out = $('#login-error');
  out.textContent = '';
  const btn = $('#login-form button[type=submit]');
  btn.disabled = true;
  try {
    const r = await api('POST', '/api/v1/auth/login', { username: f.get('username'), password: f.get('password') });
    await showApp(r.user);
  } catch (err) {
    out.textContent = '';
    out.append(window.I18N.errorNode(err, LOGIN_ERRORS));
  } finally {
    btn.disabled = false;
  }
});

// the nearby radius choices, in the table's units
for (const o of document.querySelectorAll('#nearby-radius option')) o.textContent = fmtDist(Number(o.value));

$('#logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/auth/logout').catch(() => {});
  closeDetail();
  document.dispatchEvent(new CustomEvent('yj:logout'));
  showLogin();
});

$('#area-only').addEventListener('change', () => reloadLayers(true));
$('#detail-close').addEventListener('click', closeDetail);
$('#nearby-btn').addEventListener('click', showNearby);
$('#search').addEventListener('input', debounce(runSearch, 250));
$('#search').addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') { $('#search-results').hidden = true; }
  if (ev.key === 'Enter') { ev.preventDefault(); const first = $('#search-results li.hit'); if (first) first.click(); else runSearch(); }
  if (ev.key === 'ArrowDown') { const first = $('#search-results li.hit'); if (first) { ev.preventDefault(); first.focus(); } }
});
$('#search').addEventListener('focus', () => { if ($('#search-results').childElementCount) $('#search-results').hidden = false; });
document.addEventListener('click', (ev) => { if (!ev.target.closest('#search-box')) $('#search-results').hidden = true; });
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !ev.target.closest('#search-box')) closeDetail(); });

api('GET', '/api/v1/me').then(showApp, showLogin);
