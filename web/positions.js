// The command map's live layers: "实时位置" (vehicles, vessels and rangers
// from GET /api/v1/layers/positions for the view, kept moving by the
// positions stream) and "告警" (open alarms from GET /api/v1/layers/alarms,
// live from the alarms stream; closed ones leave the map). Clicking a device
// opens it in the detail panel with its last 24 hours' track on the map.
// Plain browser JavaScript, no build step; uses window.YJ (common.js) and
// the map of app.js (window.yingji).
'use strict';

(() => {
  const { api, $, h, fmtTime, stream, level, debounce } = window.YJ;
  const LBL = window.YJ_LABELS;
  const KINDS = LBL.DEVICE_KINDS;
  const MOVING = Object.keys(KINDS).filter((k) => KINDS[k].moving);
  const STAFF = ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk', 'warehouse_keeper'];
  const STALE_MS = 30 * 60 * 1000; // no report for 30 min: drawn faded
  const POS_LIMIT = 5000;
  const DIRS = ['北', '东北', '东', '东南', '南', '西南', '西', '西北'];

  let map = null, posLayer = null, alarmLayer = null, trackLayer = null, svg = null;
  let posLive = null, alarmLive = null, loadSeq = 0, openSeq = 0, selectedId = null;
  const markers = new Map(); // device id -> L.marker (m.yj = the last report)
  const alarms = new Map();  // alarm id -> L.marker (m.yj = the alarm)
  // for tests and debugging: window.yingji.positions, window.yingji.track
  const view = { markers, alarms, on: { positions: false, alarms: false }, live: { positions: false, alarms: false }, track: null, openDevice };

  const kindOf = (k) => KINDS[k] || KINDS.other;
  const kindLabel = (k) => (KINDS[k] ? KINDS[k].label : k || '—');
  const num = (x) => typeof x === 'number' && Number.isFinite(x);
  const isVessel = (k) => k === 'fishing_vessel' || k === 'cargo_vessel';
  const fmtHeading = (d) => (num(d) ? `${Math.round(d)}° ${DIRS[Math.round((((d % 360) + 360) % 360) / 45) % 8]}` : '—');
  const fmtSpeed = (v, k) => (num(v) ? `${v.toFixed(1)} km/h${isVessel(k) ? ` (${(v / 1.852).toFixed(1)} 节)` : ''}` : '—');
  const ago = (ts) => {
    const s = Math.round((Date.now() - Date.parse(ts)) / 1000);
    if (!Number.isFinite(s)) return '';
    if (s < 60) return '刚刚';
    if (s < 3600) return `${Math.floor(s / 60)} 分钟前`;
    if (s < 86400) return `${Math.floor(s / 3600)} 小时前`;
    return `${Math.floor(s / 86400)} 天前`;
  };
  const isStale = (ts) => Date.now() - Date.parse(ts) > STALE_MS;

  document.addEventListener('yj:app', (ev) => init(ev.detail.user));
  document.addEventListener('yj:logout', () => { setPositions(false); setAlarms(false); });

  function init(user) {
    map = window.yingji.map;
    if (!posLayer) {
      svg = L.svg({ padding: 0.5 }); // the track as SVG (the map draws canvas): .track-line can be found and styled
      trackLayer = L.featureGroup().addTo(map);
      posLayer = L.featureGroup().addTo(map);
      alarmLayer = L.featureGroup().addTo(map);
      map.on('moveend', debounce(() => { if (view.on.positions) loadPositions(); }, 250));
      new MutationObserver(onPanel).observe($('#detail'), { attributes: true, attributeFilter: ['hidden', 'data-layer', 'data-id'] });
      setInterval(restale, 60000);
    }
    window.yingji.positions = view;
    setPositions(false);
    setAlarms(false);
    if (!STAFF.includes(user.role)) return;
    // the layer list is rebuilt for every sign-in (app.js): add ours below
    const ul = $('#layers');
    ul.append(layerItem('positions', '实时位置', 'Live positions', h('span', { class: 'sw pos-sw' }, h('i', { class: 'arr' })), setPositions));
    ul.append(layerItem('alarms', '告警', 'Alarms', h('span', { class: 'sw alarm-mk' }, h('i', null, '!')), setAlarms));
  }

  function layerItem(name, label, en, swatch, toggle) {
    const cb = h('input', { type: 'checkbox', id: `layer-${name}`, value: name });
    cb.addEventListener('change', () => toggle(cb.checked));
    return h('li', { dataset: { layer: name }, class: 'live-layer' },
      h('label', { for: `layer-${name}` }, cb, swatch, h('span', { class: 'ln' }, label, h('small', null, en))),
      h('span', { class: 'count', id: `count-${name}` }));
  }

  function setCount(name, text, title = '') {
    const el = $(`#count-${name}`);
    if (el) { el.textContent = text; el.title = title; }
  }

  function setLive(name, s) {
    view.live[name] = s === 'live';
    const li = $(`#layers li[data-layer="${name}"]`);
    if (li) { li.classList.toggle('live', s === 'live'); li.classList.toggle('down', s === 'down'); }
  }

  function denied(name) {
    const cb = $(`#layer-${name}`);
    if (cb) { cb.checked = false; cb.disabled = true; cb.closest('li').classList.add('denied'); }
    setCount(name, '无权限');
  }

  // ---- positions ------------------------------------------------------------------------------

  function setPositions(on) {
    view.on.positions = on;
    loadSeq++;
    if (posLive) { posLive.close(); posLive = null; }
    setLive('positions', null);
    if (!on) {
      if (posLayer) posLayer.clearLayers();
      markers.clear();
      setCount('positions', '');
      if (selectedId && window.yingji) window.yingji.closeDetail();
      return;
    }
    // the stream first, then the view: a report between the two is not lost (older ones are ignored)
    posLive = stream('/api/v1/stream/positions', { position: onPosition }, { onState: (s) => setLive('positions', s) });
    loadPositions();
  }

  async function loadPositions() {
    const seq = ++loadSeq;
    const b = map.getBounds().pad(0.35);
    const w = Math.max(b.getWest(), -180), s = Math.max(b.getSouth(), -90), e = Math.min(b.getEast(), 180), n = Math.min(b.getNorth(), 90);
    const qs = new URLSearchParams({ bbox: [w, s, e, n].map((x) => x.toFixed(6)).join(','), kind: MOVING.join(','), limit: String(POS_LIMIT) });
    $('#layers li[data-layer="positions"]')?.classList.add('loading');
    let fc;
    try {
      fc = await api('GET', `/api/v1/layers/positions?${qs}`);
    } catch (err) {
      if (seq !== loadSeq) return;
      $('#layers li[data-layer="positions"]')?.classList.remove('loading');
      if (err.status === 403) { setPositions(false); denied('positions'); return; }
      setCount('positions', '!', `加载失败: ${err.message}`);
      return;
    } finally {
      if (seq === loadSeq) $('#layers li[data-layer="positions"]')?.classList.remove('loading');
    }
    if (seq !== loadSeq || !view.on.positions) return;
    for (const f of fc.features || []) {
      const c = f.geometry && f.geometry.coordinates, p = f.properties || {};
      if (!c) continue;
      upsert({ device: p.device || f.id, kind: p.kind, lon: c[0], lat: c[1], ts: p.ts, speed_kmh: p.speed_kmh, heading: p.heading });
    }
    // out of the box asked for: dropped (the selected device stays)
    const box = L.latLngBounds([s, w], [n, e]);
    for (const [id, m] of markers) if (id !== selectedId && !box.contains(m.getLatLng())) { posLayer.removeLayer(m); markers.delete(id); }
    view.truncated = !!fc.truncated;
    countPositions();
  }

  function countPositions() {
    setCount('positions', `${markers.size}${view.truncated ? '+' : ''}`, view.truncated ? '超过上限, 仅显示部分 (truncated: zoom in)' : '视图内数量 (in view)');
  }

  function onPosition(d) {
    if (!view.on.positions || !d || typeof d !== 'object' || !num(d.lon) || !num(d.lat) || !MOVING.includes(d.kind)) return;
    // new devices only when in view; the ones on the map move wherever they go
    if (!markers.has(d.device) && !map.getBounds().pad(0.35).contains([d.lat, d.lon])) return;
    upsert(d);
    countPositions();
  }

  function posIcon(d) {
    const k = KINDS[d.kind] ? d.kind : 'other';
    const inner = num(d.heading)
      ? `<i class="arr" style="--c:${kindOf(k).color};transform:rotate(${Number(d.heading)}deg)"></i>`
      : `<i class="dot" style="--c:${kindOf(k).color}"></i>`;
    return L.divIcon({
      html: inner,
      className: `pos pos-${k}${isStale(d.ts) ? ' stale' : ''}${d.device === selectedId ? ' sel' : ''}`,
      iconSize: [22, 22],
      iconAnchor: [11, 11],
    });
  }

  // the icon element carries the device id (tests, styling)
  function tag(m) {
    if (m._icon) m._icon.dataset.device = m.yj.device;
  }

  function upsert(d) {
    let m = markers.get(d.device);
    const ll = L.latLng(d.lat, d.lon);
    if (m) {
      if (Date.parse(d.ts) < Date.parse(m.yj.ts)) return; // an older report arriving late
      const moved = !m.getLatLng().equals(ll) || d.ts !== m.yj.ts;
      m.yj = { ...d };
      m.setLatLng(ll);
      m.setIcon(posIcon(d));
      tag(m);
      if (moved && d.device === selectedId) followSelected(d);
      return;
    }
    m = L.marker(ll, { icon: posIcon(d), title: `${kindLabel(d.kind)} ${d.device}`, riseOnHover: true, zIndexOffset: 400 });
    m.yj = { ...d };
    m.on('add', () => tag(m));
    m.on('click', () => openDevice(m.yj.device));
    markers.set(d.device, m);
    m.addTo(posLayer);
  }

  function restale() {
    for (const m of markers.values()) if (m._icon) m._icon.classList.toggle('stale', isStale(m.yj.ts));
  }

  // ---- a device in the detail panel, with its track ------------------------------------------

  async function openDevice(id) {
    const y = window.yingji;
    y.closeDetail(); // whatever the panel showed, and the app's own selection
    const seq = ++openSeq;
    clearTrack();
    selectedId = id;
    markSelected();
    const panel = $('#detail');
    panel.hidden = false;
    panel.dataset.layer = 'positions';
    panel.dataset.id = id;
    panel.classList.add('loading', 'device');
    $('#detail-layer').textContent = '实时位置';
    $('#detail-layer').style.background = '#0b3d6b';
    $('#detail-title').textContent = id;
    $('#detail-body').textContent = '';
    $('#nearby-list').textContent = '';
    const enc = encodeURIComponent(id);
    const [dev, track] = await Promise.all([
      api('GET', `/api/v1/devices/${enc}`).catch((e) => e),
      api('GET', `/api/v1/devices/${enc}/track`).catch((e) => e),
    ]);
    if (seq !== openSeq || selectedId !== id) return;
    panel.classList.remove('loading');
    if (dev instanceof Error) {
      $('#detail-title').textContent = '无法加载';
      $('#detail-body').append(h('p', { class: 'error' }, dev.message));
      return;
    }
    const m = markers.get(id);
    const pos = dev.position || (m ? m.yj : null) || {};
    // the marker may know a newer report than the device record read a moment ago
    const last = m && pos.ts && Date.parse(m.yj.ts) > Date.parse(pos.ts) ? m.yj : pos;
    $('#detail-title').textContent = dev.name && dev.name !== id ? `${dev.name} (${id})` : id;
    const row = (field, th, td) => h('tr', { dataset: { field } }, h('th', null, th), h('td', null, td));
    const areaCode = dev.area || dev.area_code || '';
    const areaCell = h('span', null, h('span', { class: 'nm' }, ''), ' ', h('span', { class: 'code' }, areaCode));
    if (areaCode) window.YJ.area(areaCode).then((a) => { areaCell.firstChild.textContent = a.name; }, () => {});
    $('#detail-body').append(h('table', { class: 'fields' }, h('tbody', null,
      row('kind', '类型', h('span', { class: 'kind-tag', style: { background: kindOf(dev.kind).color } }, kindLabel(dev.kind))),
      row('device', '设备编号', id),
      dev.owner ? row('owner', '所属单位', dev.owner) : null,
      row('ts', '最后上报', h('span', { class: 'v' }, last.ts ? `${fmtTime(last.ts, { seconds: true })} · ${ago(last.ts)}` : '—')),
      row('speed_kmh', isVessel(dev.kind) ? '航速' : '速度', h('span', { class: 'v' }, fmtSpeed(last.speed_kmh, dev.kind))),
      row('heading', '航向', h('span', { class: 'v' }, fmtHeading(last.heading))),
      row('lonlat', '坐标 (经度, 纬度)', h('span', { class: 'v' }, num(last.lon) ? `${last.lon.toFixed(6)}, ${last.lat.toFixed(6)}` : '—')),
      row('area_code', '所属区域', areaCell),
      dev.disabled ? row('disabled', '状态', h('span', { class: 'badge st-offline' }, '已停用')) : null,
      row('track', '24 小时轨迹', h('span', { class: 'v' }, track instanceof Error ? `无法加载: ${track.message}` : '…')))));
    if (!(track instanceof Error)) await drawTrack(id, dev.kind, track);
  }

  // the detail rows and the track follow the selected device's live reports
  function followSelected(d) {
    const set = (field, text) => { const el = $(`#detail[data-layer="positions"] tr[data-field="${field}"] td .v`); if (el) el.textContent = text; };
    set('ts', `${fmtTime(d.ts, { seconds: true })} · ${ago(d.ts)}`);
    set('speed_kmh', fmtSpeed(d.speed_kmh, d.kind));
    set('heading', fmtHeading(d.heading));
    set('lonlat', `${d.lon.toFixed(6)}, ${d.lat.toFixed(6)}`);
    const t = view.track;
    if (t && t.device === d.device && (!t.times.length || Date.parse(d.ts) > Date.parse(t.times.at(-1)))) {
      t.latlngs.push(L.latLng(d.lat, d.lon));
      t.times.push(d.ts);
      t.points = t.latlngs.length;
      t.line.setLatLngs(t.latlngs);
      t.end.setLatLng(t.latlngs.at(-1));
      set('track', trackText(t));
    }
  }

  function trackText(t) {
    let km = 0;
    for (let i = 1; i < t.latlngs.length; i++) km += t.latlngs[i - 1].distanceTo(t.latlngs[i]) / 1000;
    return t.points ? `${t.points} 个点 · ${km.toFixed(km >= 10 ? 0 : 1)} km · ${fmtTime(t.times[0])} 起` : '24 小时内无位置报告';
  }

  async function drawTrack(id, kind, track) {
    const coords = (track.geometry && track.geometry.coordinates) || [];
    const latlngs = coords.map(([lon, lat]) => L.latLng(lat, lon));
    const times = (track.properties && track.properties.times) || [];
    trackLayer.clearLayers();
    const line = L.polyline(latlngs, { renderer: svg, className: 'track-line', color: kindOf(kind).color, weight: 3, opacity: 0.9, interactive: false });
    const pt = (cls, glyph, ll, title) => L.marker(ll, { interactive: false, keyboard: false, zIndexOffset: 300, title,
      icon: L.divIcon({ className: `track-pt ${cls}`, html: `<i>${glyph}</i>`, iconSize: [18, 18], iconAnchor: [9, 9] }) });
    const t = { device: id, points: latlngs.length, latlngs, times, line, start: null, end: null };
    if (latlngs.length) {
      line.addTo(trackLayer);
      t.start = pt('track-start', '起', latlngs[0], `起点 ${fmtTime(times[0])}`).addTo(trackLayer);
      t.end = pt('track-end', '终', latlngs.at(-1), `终点 ${fmtTime(times.at(-1))}`).addTo(trackLayer);
    }
    view.track = t;
    window.yingji.track = t;
    const el = $('#detail[data-layer="positions"] tr[data-field="track"] td .v');
    if (el) el.textContent = trackText(t);
    if (!latlngs.length) return;
    const y = window.yingji;
    const pad = [y.panelWidth() + 24, 24];
    const bounds = line.getBounds();
    if (!map.getBounds().contains(bounds) || map.getZoom() < 11) {
      map.fitBounds(bounds, { paddingTopLeft: [24, 24], paddingBottomRight: pad, maxZoom: 14 });
    }
  }

  function clearTrack() {
    if (trackLayer) trackLayer.clearLayers();
    view.track = null;
    if (window.yingji) window.yingji.track = null;
  }

  function markSelected() {
    for (const m of markers.values()) if (m._icon) m._icon.classList.toggle('sel', m.yj.device === selectedId);
  }

  // the panel closed or shows something else: the device is no longer selected
  function onPanel() {
    const panel = $('#detail');
    const mine = !panel.hidden && panel.dataset.layer === 'positions' && panel.dataset.id === selectedId;
    if (mine) return;
    if (panel.dataset.layer !== 'positions') panel.classList.remove('device');
    if (selectedId === null) return;
    openSeq++;
    selectedId = null;
    clearTrack();
    markSelected();
  }

  // ---- alarms ---------------------------------------------------------------------------------

  function setAlarms(on) {
    view.on.alarms = on;
    if (alarmLive) { alarmLive.close(); alarmLive = null; }
    setLive('alarms', null);
    if (alarmLayer) alarmLayer.clearLayers();
    alarms.clear();
    if (!on) { setCount('alarms', ''); return; }
    alarmLive = stream('/api/v1/stream/alarms', { alarm: onAlarm }, { onState: (s) => setLive('alarms', s) });
    loadAlarms();
  }

  async function loadAlarms() {
    let fc;
    try {
      fc = await api('GET', '/api/v1/layers/alarms');
    } catch (err) {
      if (err.status === 403) { setAlarms(false); denied('alarms'); return; }
      setCount('alarms', '!', `加载失败: ${err.message}`);
      return;
    }
    if (!view.on.alarms) return;
    for (const f of fc.features || []) onAlarm(f.properties || {}, true);
    countAlarms();
  }

  function countAlarms() { setCount('alarms', String(alarms.size), '未关闭的告警 (open alarms)'); }

  function onAlarm(a, quiet = false) {
    if (!view.on.alarms || !a || typeof a !== 'object' || a.id === undefined) return;
    const old = alarms.get(a.id);
    if (a.state === 'closed' || !num(a.lon) || !num(a.lat)) {
      if (old) { alarmLayer.removeLayer(old); alarms.delete(a.id); }
    } else if (old) {
      old.yj = a;
      old.setLatLng([a.lat, a.lon]);
      old.setIcon(alarmIcon(a));
      tagAlarm(old);
      old.setPopupContent(alarmPopup(a));
    } else {
      const m = L.marker([a.lat, a.lon], { icon: alarmIcon(a), title: a.rule_name || '告警', riseOnHover: true, zIndexOffset: 800 });
      m.yj = a;
      m.on('add', () => tagAlarm(m));
      m.bindPopup(() => alarmPopup(m.yj), { className: 'alarm-popup', maxWidth: 280 });
      alarms.set(a.id, m);
      m.addTo(alarmLayer);
    }
    if (!quiet) countAlarms();
  }

  function tagAlarm(m) {
    if (!m._icon) return;
    m._icon.dataset.alarm = m.yj.id;
    m._icon.dataset.device = m.yj.device || '';
  }

  function alarmIcon(a) {
    const lv = ['blue', 'yellow', 'orange', 'red'].includes(a.level) ? a.level : 'red';
    return L.divIcon({ html: '<i>!</i>', className: `alarm-mk lv-${lv}${a.state === 'acknowledged' ? ' acked' : ''}`, iconSize: [22, 22], iconAnchor: [11, 11] });
  }

  function alarmPopup(a) {
    const L2 = level(a.level);
    const states = LBL.ALARM_STATES || {};
    return h('div', { class: 'alarm-pop' },
      h('div', { class: 'tt' }, h('span', { class: 'lv', style: { background: L2.color, color: L2.ink } }, L2.label), ' ', a.rule_name || '告警'),
      a.message ? h('div', { class: 'msg' }, a.message) : null,
      h('div', { class: 'meta' }, `${states[a.state] || a.state} · ${fmtTime(a.raised || a.first_seen)}`),
      a.device ? h('a', { href: '#', class: 'ref', onclick: (ev) => { ev.preventDefault(); map.closePopup(); openDevice(a.device); } }, `设备 ${a.device} · 轨迹 →`) : null);
  }
})();
