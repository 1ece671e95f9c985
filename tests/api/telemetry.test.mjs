// Telemetry fit for real use: a report is stored once (a batch sent again, a line sent
// twice, an MQTT redelivery, a resend after kill -9 of everything whose answer was lost),
// a duplicate is counted in the answer and judged by no rule a second time; the latest
// state survives a clean stop and a kill -9 without reading the history; long tracks come
// in pages (cursor by time) and simplified for display (GEOS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeDemoDb, startMosquitto, sleep } from './lib.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await srv.login('admin');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const iso = (ms) => new Date(ms).toISOString();
const ndjson = (lines) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
async function device(s, token, id, kind, area, name) {
  const r = await s.req('POST', '/api/v1/devices', { token, body: { id, kind, area, ...(name ? { name } : {}) } });
  assert.equal(r.status, 201, r.text);
  return r.json.key;
}
async function send(s, key, lines) {
  const r = await fetch(`${s.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${key}` }, body: ndjson(lines) });
  return { status: r.status, json: await r.json() };
}
const day = () => `from=${iso(Date.now() - 86400000)}&to=${iso(Date.now() + 600000)}`;
async function track(s, token, id, query = day()) {
  const r = await s.req('GET', `/api/v1/devices/${id}/track?${query}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
// every position of a device in the last day, page after page (a page holds at most 50,000)
async function allTimes(s, token, id) {
  const times = [];
  let from = Date.now() - 86400000;
  for (;;) {
    const page = await track(s, token, id, `from=${iso(from)}&to=${iso(Date.now() + 600000)}`);
    times.push(...page.properties.times);
    if (page.properties.points < 50000) return times;
    from = Date.parse(page.properties.times.at(-1)) + 1;
  }
}
async function readingCount(s, token, id, metric) {
  const r = await s.req('GET', `/api/v1/devices/${id}/readings?metric=${metric}&step=86400&${day()}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.points.reduce((n, p) => n + p.count, 0);
}
async function until(fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(100);
  }
}

test('a batch sent twice is stored once; the second answer counts the duplicates', async () => {
  const key = await device(srv, admin, 'DUP-1', 'fishing_vessel', '441502');
  const t = Date.now() - 600000;
  const batch = [
    { device: 'DUP-1', ts: iso(t), lon: 115.30, lat: 22.70 },
    { device: 'DUP-1', ts: iso(t + 1000), lon: 115.31, lat: 22.71 },
    { device: 'DUP-1', ts: iso(t + 2000), lon: 115.32, lat: 22.72, speed_kmh: 12 },
    { device: 'DUP-1', ts: iso(t), metric: 'fuel_pct', value: 80 },
    { device: 'DUP-1', ts: iso(t), metric: 'engine_c', value: 70 }, // another metric, same instant: not a duplicate
  ];
  const first = await send(srv, key, batch);
  assert.equal(first.status, 202);
  assert.equal(first.json.accepted, 5);
  assert.equal(first.json.duplicates, 0);
  const again = await send(srv, key, batch);
  assert.equal(again.status, 202);
  assert.equal(again.json.accepted, 5, 'the lines are good and durable');
  assert.equal(again.json.duplicates, 5, 'all of them were stored already');
  assert.equal((await track(srv, admin, 'DUP-1')).properties.points, 3);
  assert.equal(await readingCount(srv, admin, 'DUP-1', 'fuel_pct'), 1);
  assert.equal(await readingCount(srv, admin, 'DUP-1', 'engine_c'), 1);
  // a line twice in one request; old and new lines mixed; a late report is new, not a duplicate
  const mixed = await send(srv, key, [
    batch[2],
    { device: 'DUP-1', ts: iso(t + 3000), lon: 115.33, lat: 22.73 },
    { device: 'DUP-1', ts: iso(t + 3000), lon: 115.33, lat: 22.73 },
    { device: 'DUP-1', ts: iso(t - 5000), lon: 115.29, lat: 22.69 },
  ]);
  assert.equal(mixed.json.accepted, 4);
  assert.equal(mixed.json.duplicates, 2);
  const tr = await track(srv, admin, 'DUP-1');
  assert.equal(tr.properties.points, 5);
  assert.deepEqual(tr.geometry.coordinates[0], [115.29, 22.69]);
  // the latest position is the newest report's, whatever came late
  const dev = await srv.req('GET', '/api/v1/devices/DUP-1', { token: admin });
  assert.deepEqual([dev.json.position.lon, dev.json.position.lat], [115.33, 22.73]);
});

test('a duplicate is not judged again: a count rule sees each reading once', async () => {
  const key = await device(srv, admin, 'DUP-R', 'gas', '441581');
  const rule = await srv.req('POST', '/api/v1/rules', { token: admin, body: {
    name: '一小时内报警三次', kind: 'threshold', level: 'yellow',
    spec: { metric: 'alarm_cnt', window_s: 3600, agg: 'count', op: '>=', value: 3, device_kinds: ['gas'] } } });
  assert.equal(rule.status, 201, rule.text);
  const alarms = async () => (await srv.req('GET', `/api/v1/alarms?rule=${rule.json.id}`, { token: admin })).json.items;
  const t = Date.now() - 60000;
  const two = [{ device: 'DUP-R', ts: iso(t), metric: 'alarm_cnt', value: 1 }, { device: 'DUP-R', ts: iso(t + 1000), metric: 'alarm_cnt', value: 1 }];
  await send(srv, key, two);
  const again = await send(srv, key, two); // retried: judged twice, it would make four
  assert.equal(again.json.duplicates, 2);
  assert.equal((await alarms()).length, 0, 'two readings, counted once each');
  await send(srv, key, [{ device: 'DUP-R', ts: iso(t + 2000), metric: 'alarm_cnt', value: 1 }]);
  assert.equal((await alarms()).length, 1, 'the third one raises');
  await srv.req('PATCH', `/api/v1/rules/${rule.json.id}`, { token: admin, body: { enabled: false } });
});

test('MQTT: a message delivered twice (QoS 1 redelivery) is stored once', async () => {
  const broker = await startMosquitto();
  const { db } = makeDemoDb();
  const s = await startServer({ db, args: ['--mqtt', broker.url, '--mqtt-topic', 'yingji/telemetry/#'], env: { YJ_MQTT_CLIENT_ID: `yj-dup-${process.pid}` } });
  try {
    const a = await s.login('admin');
    await device(s, a, 'V-MQ', 'cargo_vessel', '441581');
    await sleep(500); // subscription in place
    const t = Date.now() - 5000;
    const msg = ndjson([{ device: 'V-MQ', ts: iso(t), lon: 115.70, lat: 22.80 }, { device: 'V-MQ', ts: iso(t + 1000), lon: 115.71, lat: 22.81 }]);
    broker.publish('yingji/telemetry/V-MQ', msg);
    broker.publish('yingji/telemetry/V-MQ', msg);
    broker.publish('yingji/telemetry/V-MQ', ndjson([{ device: 'V-MQ', ts: iso(t + 1000), lon: 115.71, lat: 22.81 }, { device: 'V-MQ', ts: iso(t + 2000), lon: 115.72, lat: 22.82 }]));
    const got = await until(async () => (await track(s, a, 'V-MQ')).properties.points >= 3);
    assert.ok(got, 'the MQTT positions arrived');
    await sleep(500); // anything stored twice would be in by now
    assert.equal((await track(s, a, 'V-MQ')).properties.points, 3);
  } finally {
    await s.stop();
    broker.stop();
  }
});

test('kill -9 during a stream of batches, then everything sent again: exactly one of each', async () => {
  const { db } = makeDemoDb();
  let s = await startServer({ db });
  const a = await s.login('admin');
  const ids = ['KD-1', 'KD-2', 'KD-3'];
  const keys = {};
  for (const id of ids) keys[id] = await device(s, a, id, 'heavy_truck', '441521');
  const sent = []; // every batch that left, whatever became of its answer
  let stop = false;
  const t0 = Date.now() - 3600000;
  const sender = async (id) => {
    let n = 0;
    while (!stop) {
      const lines = [];
      for (let k = 0; k < 200; k++, n++) lines.push({ device: id, ts: iso(t0 + n * 10), lon: 115.2 + (n % 100) / 1000, lat: 22.9 });
      sent.push({ id, lines });
      try {
        await fetch(`${s.base}/api/v1/telemetry`, { method: 'POST', headers: { Authorization: `Device ${keys[id]}` }, body: ndjson(lines) });
      } catch { break; }
    }
  };
  const running = ids.map(sender);
  await sleep(1500);
  await s.kill9();
  stop = true;
  await Promise.all(running);
  s = await startServer({ db });
  try {
    const a2 = await s.login('admin');
    let stored = 0, duplicates = 0;
    for (const b of sent) {
      const r = await send(s, keys[b.id], b.lines);
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.equal(r.json.accepted, b.lines.length);
      duplicates += r.json.duplicates;
      stored += r.json.accepted - r.json.duplicates;
    }
    assert.ok(duplicates > 1000, `most had been stored before the kill: ${duplicates} duplicates`);
    for (const id of ids) {
      const lines = sent.filter((b) => b.id === id).reduce((n, b) => n + b.lines.length, 0);
      const times = await allTimes(s, a2, id);
      assert.equal(times.length, lines, `${id}: one position for each line sent`);
      assert.equal(new Set(times).size, lines);
    }
    // sending everything a third time stores nothing
    const again = await send(s, keys[sent[0].id], sent[0].lines);
    assert.equal(again.json.duplicates, sent[0].lines.length);
  } finally {
    assert.equal((await s.stop()).code, 0);
  }
});

test('the latest state survives a clean stop and a kill -9, without reading the history', async () => {
  const { db } = makeDemoDb();
  let s = await startServer({ db });
  let a = await s.login('admin');
  const key = await device(s, a, 'ST-1', 'bus', '441502');
  const gauge = await device(s, a, 'ST-2', 'rain_gauge', '441523');
  const t = Date.now() - 120000;
  await send(s, key, [{ device: 'ST-1', ts: iso(t), lon: 115.35, lat: 22.77 }, { device: 'ST-1', ts: iso(t + 1000), lon: 115.36, lat: 22.78, speed_kmh: 30, heading: 90 }]);
  await send(s, gauge, [{ device: 'ST-2', ts: iso(t), metric: 'rain_mm', value: 2 }]);
  assert.equal((await s.stop()).code, 0);
  s = await startServer({ db });
  a = await s.login('admin');
  let dev = (await s.req('GET', '/api/v1/devices/ST-1', { token: a })).json;
  assert.deepEqual([dev.position.lon, dev.position.lat, dev.position.speed_kmh, dev.position.heading], [115.36, 22.78, 30, 90]);
  const seen = dev.last_seen;
  assert.ok(seen);
  assert.ok((await s.req('GET', '/api/v1/devices/ST-2', { token: a })).json.last_seen);
  // newer reports, then a late one, then kill -9 right after the answers: all of it is back
  await send(s, key, [{ device: 'ST-1', ts: iso(t + 2000), lon: 115.37, lat: 22.79 }]);
  await send(s, key, [{ device: 'ST-1', ts: iso(t - 60000), lon: 115.30, lat: 22.70 }]);
  await s.kill9();
  s = await startServer({ db });
  try {
    a = await s.login('admin');
    dev = (await s.req('GET', '/api/v1/devices/ST-1', { token: a })).json;
    assert.deepEqual([dev.position.lon, dev.position.lat], [115.37, 22.79]);
    assert.ok(Date.parse(dev.last_seen) >= Date.parse(seen));
    const layer = await s.req('GET', '/api/v1/layers/positions?kind=bus', { token: a });
    assert.deepEqual(layer.json.features.find((f) => f.id === 'ST-1').geometry.coordinates, [115.37, 22.79]);
    // the reports sent again after the restart are known for what they are
    const again = await send(s, key, [{ device: 'ST-1', ts: iso(t + 2000), lon: 115.37, lat: 22.79 }, { device: 'ST-1', ts: iso(t - 60000), lon: 115.30, lat: 22.70 }]);
    assert.equal(again.json.duplicates, 2);
    assert.equal((await track(s, a, 'ST-1')).properties.points, 4);
  } finally {
    assert.equal((await s.stop()).code, 0);
  }
});

test('long tracks: pages by time with a cursor, and simplified for display', async () => {
  const key = await device(srv, admin, 'TR-1', 'ranger', '441523', '护林员 陈');
  const t0 = Date.parse('2022-08-18T00:00:00Z');
  // 120 positions northwards along a meridian, zigzagging 2 m east and west
  const lines = [];
  for (let i = 0; i < 120; i++) lines.push({ device: 'TR-1', ts: iso(t0 + i * 60000), lon: 115.6 + (i % 2 ? 0.00002 : 0), lat: 23.2 + i * 0.0005 });
  assert.equal((await send(srv, key, lines)).json.accepted, 120);
  const range = `from=${iso(t0)}&to=${iso(t0 + 86400000)}`;
  const whole = await track(srv, admin, 'TR-1', range);
  assert.equal(whole.properties.points, 120);
  assert.equal(whole.properties.truncated, false);
  assert.equal(whole.properties.next_cursor, null);
  // pages of 50: 50, 50, 20, nothing lost and nothing twice
  const seen = [];
  let cursor = null;
  const sizes = [];
  for (let k = 0; k < 5; k++) {
    const page = await track(srv, admin, 'TR-1', `${range}&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    sizes.push(page.properties.points);
    seen.push(...page.properties.times);
    if (!page.properties.truncated) { assert.equal(page.properties.next_cursor, null); break; }
    assert.equal(typeof page.properties.next_cursor, 'string');
    cursor = page.properties.next_cursor;
  }
  assert.deepEqual(sizes, [50, 50, 20]);
  assert.deepEqual(seen, whole.properties.times);
  // simplified at 10 m: the 2 m zigzag goes, the ends stay, each kept point with its own time
  const simple = await track(srv, admin, 'TR-1', `${range}&simplify=10`);
  assert.deepEqual(simple.properties.simplified, { tolerance_m: 10, points_before: 120, points_after: 2 });
  assert.equal(simple.properties.points, 2);
  assert.deepEqual(simple.geometry.coordinates, [whole.geometry.coordinates[0], whole.geometry.coordinates[119]]);
  assert.deepEqual(simple.properties.times, [whole.properties.times[0], whole.properties.times[119]]);
  // at 1 m the zigzag is kept
  const fine = await track(srv, admin, 'TR-1', `${range}&simplify=1`);
  assert.equal(fine.properties.simplified.points_after, 120);
  // one position: a MultiPoint (a LineString needs two); none: no geometry
  const one = await track(srv, admin, 'TR-1', `from=${iso(t0)}&to=${iso(t0)}`);
  assert.equal(one.geometry.type, 'MultiPoint');
  assert.deepEqual(one.geometry.coordinates, [[115.6, 23.2]]);
  const none = await track(srv, admin, 'TR-1', `from=${iso(t0 - 7200000)}&to=${iso(t0 - 3600000)}`);
  assert.equal(none.geometry, null);
  assert.equal(none.properties.points, 0);
  // bad parameters name themselves
  for (const [q, field] of [['simplify=-1', 'simplify'], ['simplify=x', 'simplify'], ['limit=0', 'limit'], ['limit=50001', 'limit'], ['cursor=soon', 'cursor']]) {
    const r = await srv.req('GET', `/api/v1/devices/TR-1/track?${range}&${q}`, { token: admin });
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error.field, field, q);
  }
  assert.match((await srv.req('GET', `/api/v1/devices/TR-1/track?${range}`, { token: admin })).headers.get('content-type'), /^application\/geo\+json/);
});

test('a track longer than a page says it was cut, and the cursor continues it', async () => {
  const key = await device(srv, admin, 'TR-L', 'coach', '441502');
  const t0 = Date.now() - 20 * 3600000;
  const n = 50100;
  for (let base = 0; base < n; base += 10000) {
    const lines = [];
    for (let i = base; i < Math.min(n, base + 10000); i++) lines.push({ device: 'TR-L', ts: iso(t0 + i * 1000), lon: 115.3 + (i % 1000) * 0.0001, lat: 22.7 + Math.floor(i / 1000) * 0.0001 });
    assert.equal((await send(srv, key, lines)).json.accepted, lines.length);
  }
  const first = await track(srv, admin, 'TR-L');
  assert.equal(first.properties.points, 50000);
  assert.equal(first.properties.truncated, true);
  const rest = await track(srv, admin, 'TR-L', `${day()}&cursor=${first.properties.next_cursor}`);
  assert.equal(rest.properties.points, 100);
  assert.equal(rest.properties.truncated, false);
  assert.ok(Date.parse(rest.properties.times[0]) > Date.parse(first.properties.times.at(-1)));
  // simplified, the whole day fits one answer
  const simple = await track(srv, admin, 'TR-L', `${day()}&simplify=20`);
  assert.equal(simple.properties.truncated, false);
  assert.equal(simple.properties.simplified.points_before, n);
  assert.ok(simple.properties.points < n / 10, `${simple.properties.points} points after simplification`);
});
