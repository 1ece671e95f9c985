// yingji web: sign in, then the area tree over the real boundaries.
// Plain browser JavaScript; Leaflet is served from /vendor (no CDN, no internet).
'use strict';

const api = async (method, url, body) => {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
  const res = await fetch(url, opts);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
};

const $ = (sel) => document.querySelector(sel);
const LEVELS = { city: '市', county: '县(市、区)', town: '镇(街)', village: '村(社区)' };
let map, layer, me;

// codes in an area's subtree share this prefix (441500 -> 4415), as on the server
const prefixOf = (code) => (code.length === 6 && code.endsWith('00') ? code.slice(0, code.endsWith('0000') ? 2 : 4) : code);

function showLogin() {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-form input[name=username]').focus();
}

async function showApp(user) {
  me = user;
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#who').textContent = `${user.display_name || user.username} · ${user.role} · ${user.area_code}`;
  if (!map) {
    map = L.map('map', { zoomControl: true, attributionControl: true });
    map.attributionControl.addAttribution('边界: DataV GeoAtlas (转换为 WGS84); 镇街边界为近似');
  }
  await openArea(user.area_code);
}

async function openArea(code) {
  const area = await api('GET', `/api/v1/areas/${code}?geometry=1`);
  const kids = area.children ? (await api('GET', `/api/v1/areas?parent=${code}`)).items : [];
  $('#area-title').textContent = `${area.name} (${LEVELS[area.level] || area.level})`;
  $('#area-note').textContent = area.note || (area.geometry_approximate ? '边界为近似' : '');
  const crumbs = $('#crumbs');
  crumbs.textContent = '';
  for (const p of area.path) {
    if (!p.code.startsWith(prefixOf(me.area_code))) continue; // outside the user's jurisdiction
    const a = document.createElement('a');
    a.textContent = p.name;
    a.onclick = () => openArea(p.code);
    crumbs.append(a, Object.assign(document.createElement('span'), { textContent: '›' }));
  }
  const list = $('#children');
  list.textContent = '';
  for (const k of kids) {
    const li = document.createElement('li');
    li.dataset.code = k.code;
    li.innerHTML = `<span></span><span class="tag"></span>`;
    li.firstChild.textContent = k.name;
    li.lastChild.textContent = k.special ? '特殊' : (k.kind || '');
    if (k.special) li.lastChild.classList.add('special');
    li.onclick = () => openArea(k.code);
    list.append(li);
  }
  drawArea(area, kids);
}

async function drawArea(area, kids) {
  if (layer) layer.remove();
  layer = L.featureGroup().addTo(map);
  if (area.geometry) {
    L.geoJSON(area.geometry, { style: { color: '#0b3d6b', weight: 2, fillOpacity: 0.05 } }).addTo(layer);
  }
  for (const k of kids) {
    if (!k.has_geometry && k.point) {
      L.circleMarker([k.point[1], k.point[0]], { radius: 4, color: '#c62828' }).bindTooltip(k.name).addTo(layer);
    }
  }
  const withGeom = kids.filter((k) => k.has_geometry);
  const shapes = await Promise.all(withGeom.map((k) => api('GET', `/api/v1/areas/${k.code}?geometry=1`)));
  for (const s of shapes) {
    const g = L.geoJSON(s.geometry, {
      style: { color: s.geometry_approximate ? '#1f6fb2' : '#0b3d6b', weight: 1, dashArray: s.geometry_approximate ? '4 3' : null, fillOpacity: 0.08 },
    }).addTo(layer);
    g.on('click', () => openArea(s.code));
    if (s.point) L.marker([s.point[1], s.point[0]], { icon: L.divIcon({ className: 'area-label', html: s.name, iconSize: [80, 16] }) }).addTo(layer);
  }
  // fit to the mainland: the city and 城区 include far-off islands
  const b = area.bbox;
  if (b) {
    let [w, s, e, n] = b;
    if (area.level === 'city' || area.code === '441502') { w = Math.max(w, 114.8); s = Math.max(s, 22.5); e = Math.min(e, 116.2); }
    map.fitBounds([[s, w], [n, e]]);
  }
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $('#login-error').textContent = '';
  try {
    const r = await api('POST', '/api/v1/auth/login', { username: f.get('username'), password: f.get('password') });
    await showApp(r.user);
  } catch (err) {
    $('#login-error').textContent = err.message;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/auth/logout').catch(() => {});
  showLogin();
});

api('GET', '/api/v1/me').then(showApp, showLogin);
