// An RFC 7946 checker for the API tests: what GIS tools (GDAL, QGIS,
// Leaflet) expect of a GeoJSON answer, written independently of the
// server's writers.
//
//   geojsonProblems(value, opts) -> ['features[3].id: null ...', ...]  (empty when fine)
//   assertGeoJSON(res, opts)     -> throws listing the problems; res is lib.mjs's
//                                   {status, headers, text, json} (or a fetch Response's
//                                   headers with the parsed body as json)
//
// Checked: the object's structure (FeatureCollection / Feature / geometry,
// §3), a non-null string or number id on every feature (§3.2; `requireId`,
// default true), positions [lon, lat(, alt)] of finite numbers in range
// (§3.1.1, §4), at most `maxDecimals` decimals (default 7; null: any),
// LineStrings of two positions or more, closed linear rings of four or
// more (§3.1.6), the right-hand rule (exterior rings counter-clockwise,
// holes clockwise, §3.1.6; `winding`, default true), rings that do not
// cross themselves or each other (`simple`, default true: proper crossings
// only; touching at a point is allowed as OGC allows it between rings),
// a bbox of 2n numbers (§5), no `crs` member (removed by RFC 7946, §4), and,
// with assertGeoJSON, the media type application/geo+json (§12).
import assert from 'node:assert/strict';

const GEOMETRIES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon',
  'GeometryCollection']);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Twice the signed area of a ring in the lon/lat plane: > 0 counter-clockwise.
export function ringArea2(ring) {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return a;
}

function decimals(x) {
  const s = String(x);
  if (/e/i.test(s)) {
    const [m, exp] = s.toLowerCase().split('e');
    const frac = (m.split('.')[1] || '').length;
    return Math.max(0, frac - Number(exp));
  }
  return (s.split('.')[1] || '').length;
}

// The sign of the turn a -> b -> c.
function orient(a, b, c) {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

// Segments p1-p2 and q1-q2 cross at a point inside both (not at an end of either).
function properCross(p1, p2, q1, q2) {
  const o1 = orient(p1, p2, q1), o2 = orient(p1, p2, q2), o3 = orient(q1, q2, p1), o4 = orient(q1, q2, p2);
  return o1 * o2 < 0 && o3 * o4 < 0;
}

// The first proper crossing among the segments of rings (one polygon), or null.
// Segments are bucketed in a grid so that boundaries of many thousand points stay fast.
function firstCrossing(rings) {
  const segs = [];
  for (let r = 0; r < rings.length; r++) {
    const ring = rings[r];
    for (let i = 0; i + 1 < ring.length; i++) segs.push({ r, i, a: ring[i], b: ring[i + 1] });
  }
  if (segs.length < 4) return null;
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  for (const s of segs) {
    minx = Math.min(minx, s.a[0], s.b[0]); maxx = Math.max(maxx, s.a[0], s.b[0]);
    miny = Math.min(miny, s.a[1], s.b[1]); maxy = Math.max(maxy, s.a[1], s.b[1]);
  }
  const n = Math.max(1, Math.ceil(Math.sqrt(segs.length)));
  const cw = (maxx - minx) / n || 1, ch = (maxy - miny) / n || 1;
  const cell = (x, lo, size) => Math.min(n - 1, Math.max(0, Math.floor((x - lo) / size)));
  const grid = new Map();
  for (let k = 0; k < segs.length; k++) {
    const s = segs[k];
    const x0 = cell(Math.min(s.a[0], s.b[0]), minx, cw), x1 = cell(Math.max(s.a[0], s.b[0]), minx, cw);
    const y0 = cell(Math.min(s.a[1], s.b[1]), miny, ch), y1 = cell(Math.max(s.a[1], s.b[1]), miny, ch);
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        const key = x * n + y;
        const list = grid.get(key);
        if (list) {
          for (const j of list) {
            const t = segs[j];
            if (properCross(s.a, s.b, t.a, t.b)) return { s, t };
          }
          list.push(k);
        } else {
          grid.set(key, [k]);
        }
      }
    }
  }
  return null;
}

function checkPosition(p, where, opts, out) {
  if (!Array.isArray(p) || p.length < 2 || p.length > 3 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    out.push(`${where}: a position is [lon, lat] or [lon, lat, alt] of numbers, not ${JSON.stringify(p)}`);
    return false;
  }
  if (p[0] < -180 || p[0] > 180) out.push(`${where}: longitude ${p[0]} is outside -180..180 (is it [lat, lon]?)`);
  if (p[1] < -90 || p[1] > 90) out.push(`${where}: latitude ${p[1]} is outside -90..90 (is it [lat, lon]?)`);
  if (opts.maxDecimals != null) {
    for (const x of p.slice(0, 2)) {
      if (decimals(x) > opts.maxDecimals) {
        out.push(`${where}: ${x} has more than ${opts.maxDecimals} decimals`);
        break;
      }
    }
  }
  return true;
}

function checkPositions(list, where, min, opts, out) {
  if (!Array.isArray(list)) {
    out.push(`${where}: coordinates must be an array`);
    return false;
  }
  if (list.length < min) out.push(`${where}: ${list.length} positions, at least ${min} needed`);
  let ok = true;
  list.forEach((p, i) => { if (!checkPosition(p, `${where}[${i}]`, opts, out)) ok = false; });
  return ok;
}

function checkPolygon(rings, where, opts, out) {
  if (!Array.isArray(rings) || rings.length === 0) {
    out.push(`${where}: a Polygon is a non-empty array of linear rings`);
    return;
  }
  let ok = true;
  rings.forEach((ring, k) => {
    const w = `${where}[${k}]`;
    if (!checkPositions(ring, w, 4, opts, out) || ring.length < 4) {
      ok = false;
      return;
    }
    const a = ring[0], z = ring[ring.length - 1];
    if (a[0] !== z[0] || a[1] !== z[1]) {
      out.push(`${w}: the ring is not closed (first ${JSON.stringify(a)}, last ${JSON.stringify(z)})`);
      ok = false;
      return;
    }
    const area = ringArea2(ring);
    if (area === 0) out.push(`${w}: the ring has no area`);
    else if (opts.winding && k === 0 && area < 0) out.push(`${w}: the exterior ring is clockwise (the right-hand rule wants counter-clockwise)`);
    else if (opts.winding && k > 0 && area > 0) out.push(`${w}: a hole is counter-clockwise (the right-hand rule wants clockwise)`);
  });
  if (ok && opts.simple) {
    const hit = firstCrossing(rings);
    if (hit) {
      const near = hit.s.a.map((x) => x.toFixed(7)).join(' ');
      out.push(`${where}: ${hit.s.r === hit.t.r ? `ring ${hit.s.r} crosses itself` : `rings ${hit.t.r} and ${hit.s.r} cross`} near ${near}`);
    }
  }
}

function checkGeometry(g, where, opts, out) {
  if (!isObject(g)) {
    out.push(`${where}: a geometry is an object or null`);
    return;
  }
  if (!GEOMETRIES.has(g.type)) {
    out.push(`${where}.type: ${JSON.stringify(g.type)} is not a GeoJSON geometry type`);
    return;
  }
  checkBbox(g, where, out);
  const c = g.coordinates, w = `${where}.coordinates`;
  switch (g.type) {
    case 'Point': checkPosition(c, w, opts, out); break;
    case 'MultiPoint': checkPositions(c, w, 0, opts, out); break;
    case 'LineString': checkPositions(c, w, 2, opts, out); break;
    case 'MultiLineString':
      if (!Array.isArray(c)) out.push(`${w}: must be an array`);
      else c.forEach((l, i) => checkPositions(l, `${w}[${i}]`, 2, opts, out));
      break;
    case 'Polygon': checkPolygon(c, w, opts, out); break;
    case 'MultiPolygon':
      if (!Array.isArray(c)) out.push(`${w}: must be an array`);
      else c.forEach((p, i) => checkPolygon(p, `${w}[${i}]`, opts, out));
      break;
    case 'GeometryCollection':
      if (!Array.isArray(g.geometries)) out.push(`${where}.geometries: must be an array`);
      else g.geometries.forEach((x, i) => checkGeometry(x, `${where}.geometries[${i}]`, opts, out));
      break;
  }
}

function checkBbox(o, where, out) {
  if (o.bbox === undefined) return;
  if (!Array.isArray(o.bbox) || (o.bbox.length !== 4 && o.bbox.length !== 6) || !o.bbox.every(Number.isFinite)) {
    out.push(`${where}.bbox: must be 2n numbers, not ${JSON.stringify(o.bbox)}`);
  }
}

function checkFeature(f, where, opts, out) {
  if (!isObject(f) || f.type !== 'Feature') {
    out.push(`${where}: not a Feature (type ${JSON.stringify(f?.type)})`);
    return;
  }
  if (!('geometry' in f)) out.push(`${where}: a Feature has a geometry member (null when it has no place)`);
  else if (f.geometry !== null) checkGeometry(f.geometry, `${where}.geometry`, opts, out);
  if (!('properties' in f)) out.push(`${where}: a Feature has a properties member (an object or null)`);
  else if (f.properties !== null && !isObject(f.properties)) out.push(`${where}.properties: an object or null`);
  if ('id' in f && typeof f.id !== 'string' && typeof f.id !== 'number') {
    out.push(`${where}.id: ${JSON.stringify(f.id)} is neither a string nor a number (RFC 7946 §3.2)`);
  } else if (opts.requireId && !('id' in f)) {
    out.push(`${where}: no id`);
  }
  checkBbox(f, where, out);
}

// The problems of a parsed GeoJSON value (an empty array when it is fine).
export function geojsonProblems(v, options = {}) {
  const opts = { requireId: true, maxDecimals: 7, winding: true, simple: true, ...options };
  const out = [];
  if (!isObject(v)) return ['the document is not a JSON object'];
  if ('crs' in v) out.push('crs: RFC 7946 removed it (coordinates are WGS 84 lon/lat)');
  if (v.type === 'FeatureCollection') {
    if (!Array.isArray(v.features)) out.push('features: a FeatureCollection has a features array');
    else v.features.forEach((f, i) => checkFeature(f, `features[${i}]`, opts, out));
    checkBbox(v, 'FeatureCollection', out);
    if (opts.uniqueIds && Array.isArray(v.features)) {
      const seen = new Set();
      v.features.forEach((f, i) => {
        if (f && f.id !== undefined && seen.has(f.id)) out.push(`features[${i}].id: ${f.id} repeats`);
        if (f) seen.add(f.id);
      });
    }
  } else if (v.type === 'Feature') {
    checkFeature(v, 'Feature', opts, out);
  } else if (GEOMETRIES.has(v.type)) {
    checkGeometry(v, 'geometry', opts, out);
  } else {
    out.push(`type: ${JSON.stringify(v.type)} is not a GeoJSON type`);
  }
  return out;
}

// The media type of a Content-Type header, without parameters, lower case.
export function mediaType(ct) {
  return String(ct || '').split(';')[0].trim().toLowerCase();
}

// Throws (listing at most 20 problems) unless res is an RFC 7946 answer served as
// application/geo+json. opts as geojsonProblems, plus `what` for the message. Returns the body.
export function assertGeoJSON(res, opts = {}) {
  const what = opts.what ? `${opts.what}: ` : '';
  const ct = res.headers?.get ? res.headers.get('content-type') : res.headers?.['content-type'];
  assert.equal(mediaType(ct), 'application/geo+json', `${what}Content-Type ${ct} (RFC 7946 §12)`);
  let body = res.json;
  if (body === undefined && typeof res.text === 'string') body = JSON.parse(res.text);
  const problems = geojsonProblems(body, opts);
  assert.deepEqual(problems.slice(0, 20), [], `${what}${problems.length} RFC 7946 problems`);
  return body;
}
