// The command map's "预警闭环" overlay: for a chosen issued warning, the
// towns coloured red -> green by the share of recipients who acknowledged
// (the loop view, GET /warnings/{id}/loop), on the area geometries
// (GET /areas/{code}?geometry=1), with a legend, a worst-first list, and
// live updates from the loop stream. Villages are listed (and drawn where
// the area data has a shape or a point).
'use strict';

(() => {
  const { api, $, $$, h, put, fmtNum, pct, closureColor, level, stateLabel, debounce } = window.YJ;
  const { t } = window.I18N;
  const STAFF = ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk', 'warehouse_keeper'];

  let user = null, map = null, layer = null, renderer = null, legend = null, live = null;
  let warning = null;         // the warning shown
  let by = 'town';
  let seq = 0;
  const shapes = new Map();   // code -> Leaflet layer
  const view = { warning: null, by, drawn: 0, totals: null, groups: [] }; // for tests and debugging

  document.addEventListener('yj:app', (ev) => init(ev.detail.user));
  document.addEventListener('yj:logout', () => { clear(); user = null; });

  async function init(u) {
    user = u;
    const panel = $('#loop-panel');
    panel.hidden = !STAFF.includes(u.role);
    if (panel.hidden) return;
    map = window.yingji.map;
    if (!layer) {
      map.createPane('loop').style.zIndex = 410; // above the area outlines (400), below markers (600)
      renderer = L.svg({ pane: 'loop', padding: 0.3 });
      layer = L.featureGroup().addTo(map);
    }
    await fillSelect();
    const q = new URLSearchParams(location.search);
    if (q.get('by') === 'village') setBy('village', false);
    const want = Number(q.get('loop'));
    if (want) {
      if (![...$('#loop-select').options].some((o) => Number(o.value) === want)) {
        // not among the recent ones: ask for it directly
        try { addOption(await api('GET', `/api/v1/warnings/${want}`)); } catch { /* not visible: nothing to show */ }
      }
      $('#loop-select').value = String(want);
      if ($('#loop-select').value) await show(want);
    }
  }

  function addOption(w) {
    const L = level(w.level);
    $('#loop-select').append(h('option', { value: w.id, dataset: { state: w.state } }, t('loopmap.option', { level: L.label, headline: w.headline, state: stateLabel(w.state) })));
  }

  async function fillSelect() {
    const sel = $('#loop-select');
    const keep = sel.value;
    let items = [];
    try { items = (await api('GET', '/api/v1/warnings?limit=100')).items || []; } catch { items = []; }
    sel.textContent = '';
    sel.append(h('option', { value: '' }, t('loopmap.none')));
    // warnings that were issued (version >= 1): the current ones first
    const shown = items.filter((w) => w.version >= 1).sort((a, b) => (b.state === 'issued') - (a.state === 'issued') || b.id - a.id);
    for (const w of shown) addOption(w);
    if (keep) sel.value = keep;
  }

  function clear() {
    seq++;
    if (live) live.close();
    live = null;
    warning = null;
    if (layer) layer.clearLayers();
    shapes.clear();
    taskMarks.clear();
    if (map) map.getContainer().classList.remove('loop-on');
    if (legend) { legend.remove(); legend = null; }
    $('#loop-summary').textContent = '';
    $('#loop-list').textContent = '';
    $('#loop-opts').hidden = true;
    Object.assign(view, { warning: null, drawn: 0, totals: null, groups: [] });
  }

  async function show(id) {
    clear();
    const my = seq;
    try {
      warning = await api('GET', `/api/v1/warnings/${id}`);
    } catch (err) {
      $('#loop-summary').textContent = t('loopmap.cannot_load', { msg: err.message });
      return;
    }
    if (my !== seq) return;
    view.warning = id;
    $('#loop-opts').hidden = false;
    $('#loop-console').href = `/warnings.html#w/${id}`;
    map.getContainer().classList.add('loop-on'); // the registry markers step back
    addLegend();
    await refresh({ fit: true });
    if (my !== seq) return;
    live = window.YJ.stream(`/api/v1/warnings/${id}/loop/stream`, { loop: soon, escalation: soon },
      { onState: (st) => { const el = $('#loop-legend .live'); if (el) { el.className = `live ${st}`; el.textContent = t(st === 'live' ? 'common.live' : 'common.reconnecting'); } } });
  }

  const soon = debounce(() => refresh({ fit: false }), 400);

  async function refresh({ fit }) {
    if (!warning) return;
    const my = seq, id = warning.id;
    let town, village = null, tasks = null;
    try {
      [town, village, tasks] = await Promise.all([
        api('GET', `/api/v1/warnings/${id}/loop?group_by=town`),
        by === 'village' ? api('GET', `/api/v1/warnings/${id}/loop?group_by=village`) : Promise.resolve(null),
        warning.evacuation ? api('GET', `/api/v1/warnings/${id}/tasks`).catch(() => null) : Promise.resolve(null),
      ]);
    } catch (err) {
      $('#loop-summary').textContent = t('loopmap.load_failed', { msg: err.message });
      return;
    }
    if (my !== seq) return;
    // the shapes: towns always (villages where the data has a shape or a point)
    const drawGroups = town.groups.filter((g) => g.code.length === 9)
      .concat(village ? village.groups.filter((g) => g.code.length === 12) : []);
    const areas = await Promise.all(drawGroups.map((g) => (shapes.has(g.code) ? null : window.YJ.area(g.code, true).catch(() => null))));
    if (my !== seq) return;
    drawGroups.forEach((g, i) => {
      let shp = shapes.get(g.code);
      if (!shp && areas[i]) {
        const a = areas[i];
        const village = g.code.length === 12;
        if (a.geometry) {
          shp = L.geoJSON(a.geometry, { renderer, pane: 'loop', className: `loop-area loop-${g.code}` });
        } else if (village && (g.point || a.point)) {
          const p = g.point || a.point;
          shp = L.circleMarker([p[1], p[0]], { renderer, pane: 'loop', radius: 8, className: `loop-area loop-pt loop-${g.code}` });
        }
        if (shp) {
          shp.yjCode = g.code;
          shp.yjVillage = village;
          shp.on('click', () => { if (window.yingji.openArea) window.yingji.openArea(g.code.length === 12 ? g.code.slice(0, 9) : g.code); });
          shp.addTo(layer);
          shapes.set(g.code, shp);
        }
      }
      if (shp) {
        const style = {
          color: g.closed ? '#1b5e20' : '#ffffff', weight: shp.yjVillage ? 1.5 : 2, opacity: 0.95,
          fillColor: closureColor(g.acknowledged_pct), fillOpacity: shp.yjVillage ? 0.85 : 0.5,
        };
        shp.setStyle(style);
        shp.unbindTooltip();
        shp.bindTooltip(tip(g), { sticky: true, direction: 'top', className: 'loop-tip' });
      }
    });
    // shapes of groups no longer present (e.g. switched back to towns)
    const keep = new Set(drawGroups.map((g) => g.code));
    for (const [code, shp] of shapes) if (!keep.has(code)) { layer.removeLayer(shp); shapes.delete(code); }
    drawTasks(tasks ? tasks.items : []);
    const listed = village || town;
    renderSide(listed, town);
    Object.assign(view, { by, drawn: shapes.size, totals: town.totals, groups: listed.groups });
    if (fit && shapes.size) {
      const b = layer.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [30, 30], maxZoom: 13 });
    }
  }

  // transfer tasks at their risk points: finer than the towns (villages have no shapes)
  const taskMarks = new Map(); // task id -> circle marker
  function drawTasks(items) {
    const seen = new Set();
    for (const task of items) {
      const p = task.risk_point && task.risk_point.point;
      if (!p) continue;
      seen.add(task.id);
      const share = task.state === 'closed' ? 100 : task.planned ? (100 * task.moved) / task.planned : 0;
      let m = taskMarks.get(task.id);
      if (!m) {
        m = L.circleMarker([p[1], p[0]], { renderer, pane: 'loop', radius: 8, className: `loop-task loop-task-${task.id}` }).addTo(layer);
        taskMarks.set(task.id, m);
      }
      m.setStyle({ color: task.state === 'closed' ? '#1b5e20' : '#263238', weight: 2, fillColor: closureColor(share), fillOpacity: 0.95 });
      const gw = task.grid_worker ? `${esc(task.grid_worker.display_name || '')} ${esc(task.grid_worker.phone || '')}` : t('common.none');
      const done = task.state === 'closed' ? `<span class="ok">${esc(t('loopmap.task_done'))}</span>` : esc(t('loopmap.task_open'));
      m.unbindTooltip();
      m.bindTooltip(`<b>${esc(t('loopmap.task_tip_title', { name: task.risk_point.name || '' }))}</b><br>`
        + `${esc(t('loopmap.task_tip_counts', { moved: fmtNum(task.moved), planned: fmtNum(task.planned) }))}${esc(t('common.sep'))}${done}<br>`
        + esc(t('loopmap.task_gw', { who: '' })) + gw,
        { direction: 'top', className: 'loop-tip' });
    }
    for (const [id, m] of taskMarks) if (!seen.has(id)) { layer.removeLayer(m); taskMarks.delete(id); }
  }

  function tip(g) {
    const s = g.states;
    const unread = (s.queued || 0) + (s.sent || 0) + (s.delivered || 0);
    const rows = [
      `<b>${esc(g.name || g.code)}</b>${g.closed ? ` <span class="ok">${esc(t('loopmap.tip_closed'))}</span>` : ''}`,
      esc(t('loopmap.tip_ack', { pct: pct(g.acknowledged_pct), ack: fmtNum(s.acknowledged), n: fmtNum(g.recipients) })),
      esc(t('loopmap.tip_read', { read: fmtNum(s.read), unread: fmtNum(unread) })),
    ];
    if (g.tasks) rows.push(esc(t('loopmap.tip_moved', { moved: fmtNum(g.moved), planned: fmtNum(g.planned), open: fmtNum(g.open_tasks) })));
    if (g.open_escalations) rows.push(`<span class="bad">${esc(t('loopmap.tip_escalations', { n: fmtNum(g.open_escalations) }))}</span>`);
    return rows.join('<br>');
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  function renderSide(loop, town) {
    const tot = town.totals;
    const sum = $('#loop-summary');
    sum.textContent = '';
    sum.dataset.acknowledged = tot.states.acknowledged;
    sum.dataset.moved = tot.moved;
    const L = level(warning.level);
    put(sum,
      h('div', { class: 'lw' }, h('span', { class: 'lv', style: { background: L.color, color: L.ink } }, L.label), ` ${warning.headline}`),
      h('div', { class: 'lt' },
        h('span', null, t('loopmap.sum_ack'), h('b', null, `${fmtNum(tot.states.acknowledged)}/${fmtNum(tot.recipients)}`), ` (${pct(tot.acknowledged_pct)})`),
        tot.tasks ? h('span', null, t('loopmap.sum_moved'), h('b', null, `${fmtNum(tot.moved)}/${fmtNum(tot.planned)}`), t('loopmap.sum_persons')) : null,
        tot.open_escalations ? h('span', { class: 'bad' }, t('loopmap.sum_escalations', { n: fmtNum(tot.open_escalations) })) : null,
        tot.closed ? h('span', { class: 'ok' }, t('loopmap.sum_closed')) : null));
    const len = loop.group_by === 'village' ? 12 : 9;
    const groups = loop.groups.filter((g) => g.code.length === len)
      .sort((a, b) => a.acknowledged_pct - b.acknowledged_pct || a.code.localeCompare(b.code));
    const upper = loop.groups.filter((g) => g.code.length < len);
    const ul = $('#loop-list');
    ul.textContent = '';
    for (const g of groups) {
      const drawn = shapes.has(g.code);
      ul.append(h('li', {
        dataset: { code: g.code }, class: drawn ? 'drawn' : 'nodraw',
        title: t(drawn ? 'loopmap.open_area' : 'loopmap.no_shape'),
        onclick: () => { const shp = shapes.get(g.code); if (shp) { shp.openTooltip(); if (shp.getBounds) map.fitBounds(shp.getBounds(), { padding: [30, 30] }); } },
      },
      h('span', { class: 'sw', style: { background: closureColor(g.acknowledged_pct) } }),
      h('span', { class: 'nm' }, g.name || g.code),
      h('span', { class: 'v' }, `${fmtNum(g.states.acknowledged)}/${fmtNum(g.recipients)}`, h('small', null, ` ${pct(g.acknowledged_pct)}`))));
    }
    for (const g of upper) {
      ul.append(h('li', { class: 'upper', dataset: { code: g.code } },
        h('span', { class: 'sw', style: { background: closureColor(g.acknowledged_pct) } }),
        h('span', { class: 'nm' }, `${g.name || g.code}`, h('small', null, t('loopmap.own_level'))),
        h('span', { class: 'v' }, `${fmtNum(g.states.acknowledged)}/${fmtNum(g.recipients)}`)));
    }
    if (loop.group_by === 'village' && groups.length && !groups.some((g) => shapes.has(g.code))) {
      ul.prepend(h('li', { class: 'note' }, t('loopmap.no_village_shapes')));
    }
  }

  function addLegend() {
    if (legend) legend.remove();
    legend = L.control({ position: 'bottomright' });
    legend.onAdd = () => {
      const div = L.DomUtil.create('div', 'loop-legend');
      div.id = 'loop-legend';
      const L2 = level(warning.level);
      put(div,
        h('div', { class: 'tt' }, t('loopmap.legend_title'), h('span', { class: 'live' }, '…')),
        h('div', { class: 'wn' }, h('span', { class: 'lv', style: { background: L2.color, color: L2.ink } }, L2.label), ` ${warning.headline}`),
        h('div', { class: 'grad' }),
        h('div', { class: 'ticks' }, h('span', null, '0%'), h('span', null, '50%'), h('span', null, '100%')),
        h('div', { class: 'keys' },
          h('span', null, h('i', { class: 'k', style: { background: closureColor(0) } }), t('loopmap.legend_none')),
          h('span', null, h('i', { class: 'k', style: { background: closureColor(100), outline: '2px solid #1b5e20' } }), t('loopmap.legend_closed')),
          warning.evacuation ? h('span', null, h('i', { class: 'k dot', style: { background: closureColor(50) } }), t('loopmap.legend_tasks')) : null));
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);
    $('#loop-legend .grad').style.background = `linear-gradient(90deg, ${[0, 25, 50, 75, 100].map((p) => closureColor(p)).join(', ')})`;
  }

  function setBy(b, reload = true) {
    by = b;
    for (const x of $$('#loop-by button')) x.classList.toggle('active', x.dataset.by === b);
    if (reload && warning) refresh({ fit: false });
  }

  $('#loop-select').addEventListener('change', (ev) => {
    const id = Number(ev.target.value);
    const u = new URL(location.href);
    if (id) u.searchParams.set('loop', id); else u.searchParams.delete('loop');
    u.searchParams.delete('by');
    history.replaceState(null, '', u);
    if (id) show(id); else clear();
  });
  $('#loop-select').addEventListener('focus', () => { if (!warning) fillSelect(); });
  for (const b of $$('#loop-by button')) b.addEventListener('click', () => setBy(b.dataset.by));

  window.yingji = Object.assign(window.yingji || {}, { loop: view });
  // app.js replaces window.yingji when the map starts: keep the loop view on it
  document.addEventListener('yj:app', () => { window.yingji.loop = view; });
})();
