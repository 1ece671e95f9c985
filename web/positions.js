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
  const { t, tv } = window.I18N;
  const LBL = window.YJ_LABELS;
  const KINDS = LBL.DEVICE_KINDS;
  const MOVING = Object.keys(KINDS).filter((k) => KINDS[k].moving);
  const STAFF = ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk', 'warehouse_keeper'];
  const STALE_MS = 30 * 60 * 1000; // no report for 30 min: drawn faded
  const POS_LIMIT = 5000;
  const DIRS = t('positions.directions');

  let map = null, posLayer = null, alarmLayer = null, trackLayer = null, svg = null;
  let posLive = null, alarmLive = null, loadSeq = 0, openSeq = 0, selectedId = null;
  const markers = new Map(); // device id -> L.marker (m.yj = the last report)
  const alarms = new Map();  // alarm id -> L.marker (m.yj = the alarm)
  // for tests and debugging: window.yingji.positions, window.yingji.track
  const view = { markers, alarms, on: { positions: false, alarms: false }, live: { positions: false, alarms: false }, track: null, openDevice };

  const kindOf = (k) => KINDS[k] || KINDS.other;
  const kindLabel = (k) => (KINDS[k] ? KINDS[k].label : tv('device_kind', k));
  const num = (x) => typeof x === 'number' && Number.isFinite(x);
  const isVessel = (k) => k === 'fishing_vessel' || k === 'cargo_vessel';
  const fmtHeading = (d) => (num(d) ? t('positions.heading', { deg: Math.round(d), dir: DIRS[Math.round((((d % 360) + 360) % 360) / 45) % 8] }) : t('common.none'));
  const fmtSpeed = (v, k) => (num(v) ? `${t('unit.kmh', { n: v.toFixed(1) })}${isVessel(k) ? ` (${t('unit.knots', { n: (v / 1.852).toFixed(1) })})` : ''}` : t('common.none'));
  const ago = (ts) => {
    const s = Math.round((Date.now() - Date.parse(ts)) / 1000);
    if (!Number.isFinite(s)) return '';
    if (s < 60) return t('time.just_now');
    if (s < 3600) return t('time.minutes_ago', { n: Math.floor(s / 60) });
    if (s < 86400) return t('time.hours_ago', { n: Math.floor(s / 3600) });
    return t('time.days_ago', { n: Math.floor(s / 86400) });
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
      // Leaflet names the popup's close button in English: in the table's words
      map.on('popupopen', (ev) => {
        const x = ev.popup.getElement() && ev.popup.getElement().querySelector('.leaflet-popup-close-button');
        if (x) { x.setAttribute('aria-label', t('common.close')); x.title = t('common.close'); }
      });
      new MutationObserver(onPanel).observe($('#detail'), { attributes: true, attributeFilter: ['hidden', 'data-layer', 'data-id'] });
      setInterval(restale, 60000);
    }
    window.yingji.positions = view;
    setPositions(false);
    setAlarms(false);
    if (!STAFF.includes(user.role)) return;
    // the layer list is rebuilt for every sign-in (app.js): add ours below
    const ul = $('#layers');
    ul.append(layerItem('positions', t('positions.layer'), h('span', { class: 'sw pos-sw' }, h('i', { class: 'arr' })), setPositions));
    ul.append(layerItem('alarms', t('positions.alarms'), h('span', { class: 'sw alarm-mk' }, h('i', null, '!')), setAlarms));
  }

  function layerItem(name, label, swatch, toggle) {
    const cb = h('input', { type: 'checkbox', id: `layer-${name}`, value: name });
    cb.addEventListener('change', () => toggle(cb.checked));
    return h('li', { dataset: { layer: name }, class: 'live-layer' },
      h('label', { for: `layer-${name}` }, cb, swatch, h('span', { class: 'ln' }, label)),
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
    setCount(name, t('common.no_permission'));
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
      setCount('positions', '!', t('common.load_failed', { msg: err.message }));
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
    setCount('positions', `${markers.size}${view.truncated ? '+' : ''}`, t(view.truncated ? 'positions.count_truncated' : 'positions.count_view'));
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
    m = L.marker(ll, { icon: posIcon(d), title: t('positions.marker_title', { kind: kindLabel(d.kind), id: d.device }), riseOnHover: true, zIndexOffset: 400 });
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
    $('#detail-layer').textContent = t('positions.layer');
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
      $('#detail-title').textContent = t('common.cannot_load');
      $('#detail-body').append(h('p', { class: 'error' }, window.I18N.errorNode(dev)));
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
      row('kind', t('positions.kind'), h('span', { class: 'kind-tag', style: { background: kindOf(dev.kind).color } }, kindLabel(dev.kind))),
      row('device', t('positions.device'), id),
      dev.owner ? row('owner', t('positions.owner'), dev.owner) : null,
      row('ts', t('positions.last'), h('span', { class: 'v' }, last.ts ? t('positions.last_ago', { t: fmtTime(last.ts, { seconds: true }), ago: ago(last.ts) }) : t('common.none'))),
      row('speed_kmh', t(isVessel(dev.kind) ? 'positions.speed_vessel' : 'positions.speed'), h('span', { class: 'v' }, fmtSpeed(last.speed_kmh, dev.kind))),
      row('heading', t('positions.course'), h('span', { class: 'v' }, fmtHeading(last.heading))),
      row('lonlat', t('map.lonlat'), h('span', { class: 'v' }, num(last.lon) ? `${last.lon.toFixed(6)}, ${last.lat.toFixed(6)}` : t('common.none'))),
      row('area_code', t('positions.area'), areaCell),
      dev.disabled ? row('disabled', t('positions.state'), h('span', { class: 'badge st-offline' }, t('positions.disabled'))) : null,
      row('track', t('positions.track'), h('span', { class: 'v' }, track instanceof Error ? t('common.cannot_load_msg', { msg: track.message }) : t('common.loading'))))));
    if (!(track instanceof Error)) await drawTrack(id, dev.kind, track);
  }

  // the detail rows and the track follow the selected device's live reports
  function followSelected(d) {
    const set = (field, text) => { const el = $(`#detail[data-layer="positions"] tr[data-field="${field}"] td .v`); if (el) el.textContent = text; };
    set('ts', t('positions.last_ago', { t: fmtTime(d.ts, { seconds: true }), ago: ago(d.ts) }));
    set('speed_kmh', fmtSpeed(d.speed_kmh, d.kind));
    set('heading', fmtHeading(d.heading));
    set('lonlat', `${d.lon.toFixed(6)}, ${d.lat.toFixed(6)}`);
    const tr = view.track;
    if (tr && tr.device === d.device && (!tr.times.length || Date.parse(d.ts) > Date.parse(tr.times.at(-1)))) {
      tr.latlngs.push(L.latLng(d.lat, d.lon));
      tr.times.push(d.ts);
      tr.points = tr.latlngs.length;
      tr.line.setLatLngs(tr.latlngs);
      tr.end.setLatLng(tr.latlngs.at(-1));
      set('track', trackText(tr));
    }
  }

  function trackText(tr) {
    let km = 0;
    for (let i = 1; i < tr.latlngs.length; i++) km += tr.latlngs[i - 1].distanceTo(tr.latlngs[i]) / 1000;
    return tr.points ? t('positions.track_text', { n: tr.points, km: km.toFixed(km >= 10 ? 0 : 1), from: fmtTime(tr.times[0]) }) : t('positions.track_none');
  }

  async function drawTrack(id, kind, track) {
    const coords = (track.geometry && track.geometry.coordinates) || [];
    const latlngs = coords.map(([lon, lat]) => L.latLng(lat, lon));
    const times = (track.properties && track.properties.times) || [];
    trackLayer.clearLayers();
    const line = L.polyline(latlngs, { renderer: svg, className: 'track-line', color: kindOf(kind).color, weight: 3, opacity: 0.9, interactive: false });
    const pt = (cls, glyph, ll, title) => L.marker(ll, { interactive: false, keyboard: false, zIndexOffset: 300, title,
      icon: L.divIcon({ className: `track-pt ${cls}`, html: `<i>${glyph}</i>`, iconSize: [18, 18], iconAnchor: [9, 9] }) });
    const tr = { device: id, points: latlngs.length, latlngs, times, line, start: null, end: null };
    if (latlngs.length) {
      line.addTo(trackLayer);
      tr.start = pt('track-start', t('positions.track_start'), latlngs[0], t('positions.track_start_title', { t: fmtTime(times[0]) })).addTo(trackLayer);
      tr.end = pt('track-end', t('positions.track_end'), latlngs.at(-1), t('positions.track_end_title', { t: fmtTime(times.at(-1)) })).addTo(trackLayer);
    }
    view.track = tr;
    window.yingji.track = tr;
    const el = $('#detail[data-layer="positions"] tr[data-field="track"] td .v');
    if (el) el.textContent = trackText(tr);
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
      setCount('alarms', '!', t('common.load_failed', { msg: err.message }));
      return;
    }
    if (!view.on.alarms) return;
    for (const f of fc.features || []) onAlarm(f.properties || {}, true);
    countAlarms();
  }

  function countAlarms() { setCount('alarms', String(alarms.size), t('positions.alarms_count')); }

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
      const m = L.marker([a.lat, a.lon], { icon: alarmIcon(a), title: a.rule_name || t('alarm.default_title'), riseOnHover: true, zIndexOffset: 800 });
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

  // ---- an alarm in words: from its facts (metric, aggregation, window, comparison, threshold,
  // fence), in the table's language; the server's own message (Chinese) is the fallback and the title

  // a metric's name and unit; an unknown one is 监测值 with the unit its name ends in
  function metricOf(name) {
    const known = t('enum.metric')[name];
    if (known) return known;
    const UNITS = [[/_pct_lel$/, '%LEL'], [/_pct$/, '%'], [/_mm$/, 'mm'], [/_ppm$/, 'ppm'], [/_mpa$/, 'MPa'], [/_kpa$/, 'kPa'],
      [/_ms$/, 'm/s'], [/_kmh$/, 'km/h'], [/_c$/, '℃'], [/_m3$/, 'm³'], [/_m$/, 'm']];
    const u = UNITS.find(([re]) => re.test(name || ''));
    return { label: t('enum.metric_unknown'), unit: u ? u[1] : '' };
  }
  const withUnit = (v, unit) => {
    const n = Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 2 });
    return unit ? `${n}${/^[%℃]/.test(unit) ? '' : ' '}${unit}` : n;
  };
  const fmtWindow = (sec) => (sec % 3600 === 0 ? t('time.hours', { n: sec / 3600 }) : sec % 60 === 0 ? t('time.minutes', { n: sec / 60 }) : t('time.seconds', { n: sec }));

  // the sentence of alarm a; null when nothing is known but the message
  function alarmText(a) {
    const m = markers.get(a.device);
    const dev = { kind: m ? kindLabel(m.yj.kind) : t('alarm.device'), id: a.device || '' };
    if (a.rule_kind === 'threshold' && a.metric) {
      const met = metricOf(a.metric);
      const unit = a.aggregation === 'count' ? '' : met.unit;
      const p = {
        metric: met.label, agg: tv('agg', a.aggregation || 'last', ''), op: tv('op', a.comparison, a.comparison || ''),
        value: num(a.value) ? withUnit(a.value, unit) : t('common.none'), limit: withUnit(a.threshold, unit),
        window: fmtWindow(Number(a.window_s) || 3600),
      };
      return t(!a.aggregation || a.aggregation === 'last' ? 'alarm.threshold_last' : 'alarm.threshold_window', p);
    }
    if (a.rule_kind === 'geofence') return t(a.trigger === 'exit' ? 'alarm.fence_exit' : 'alarm.fence_enter', dev);
    if (a.rule_kind === 'offline') return a.window_s ? t('alarm.offline', { ...dev, minutes: Math.round(a.window_s / 60) }) : t('alarm.offline_nomin', dev);
    if (num(a.value)) return t('alarm.value', { value: withUnit(a.value, '') });
    return null;
  }

  function alarmPopup(a) {
    const L2 = level(a.level);
    // the server's message is the title: a secondary detail
    const msg = h('div', { class: 'msg', title: a.message || '', dataset: { detail: 'server' } });
    msg.textContent = alarmText(a) || a.message || '';
    msg.hidden = !msg.textContent;
    return h('div', { class: 'alarm-pop', dataset: { alarm: a.id } },
      h('div', { class: 'tt' }, h('span', { class: 'lv', style: { background: L2.color, color: L2.ink } }, L2.label), ' ', a.rule_name || t('alarm.default_title')),
      msg,
      h('div', { class: 'meta' }, t('alarm.meta', { state: tv('alarm_state', a.state), time: fmtTime(a.raised || a.first_seen) })),
      a.device ? h('a', { href: '#', class: 'ref', onclick: (ev) => { ev.preventDefault(); map.closePopup(); openDevice(a.device); } }, t('alarm.device_link', { id: a.device })) : null);
  }

  // for tests and debugging: the sentence of an alarm object
  view.alarmText = alarmText;
})();
