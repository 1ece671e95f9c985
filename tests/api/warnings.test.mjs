// Warnings and the closed loop: lifecycle and the two-person rule, CAP out
// (schema-valid, re-importable) and in (valid, invalid, hostile), recipients
// by area and polygon (inside the issuing jurisdiction only), inbox read/ack,
// updates, webhooks with retries and signatures, escalation on a moved clock,
// transfer tasks with idempotent reports, the loop counts, the event streams,
// and the audit chain of dispatch's objects.
//
// State is read through the API (recipients, loop, tasks, inboxes, users,
// registry). sql() remains for the audit log, which has no API (counts of
// recipient.ack records), and for tampering behind the server's back.
//
// Dispatch hears the warning module through the event bus (WARN_EV_*): until
// the warning module emits those events, every test that needs recipients
// fails ('dispatch hears the warning module's events' says so first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, sql, sleep, cli, waitForEvent } from './lib.mjs';

const SECRET = 'test-webhook-secret-0123456789';
let srv, admin, cmd, duty, cityCmd;
before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yj-w-'));
  writeFileSync(path.join(dir, 'secret'), SECRET + '\n');
  srv = await startServer({ args: ['--webhook-secret-file', path.join(dir, 'secret'), '--ack-limits', 'red=10,orange=20,yellow=30,blue=60'] });
  admin = await srv.login('admin');
  cmd = await srv.login('commander_441523');
  duty = await srv.login('duty_officer_441523');
  cityCmd = await srv.login('commander');
});
after(async () => { if (srv) assert.equal((await srv.stop()).code, 0); });

const inHours = (h) => new Date(Date.now() + h * 3600000).toISOString();
const draft = (extra = {}) => ({ type: 'rainstorm', level: 'orange', headline: '陆河县暴雨橙色预警', description: '预计未来3小时降雨量将达50毫米以上', instruction: '危险地带人员撤离', areas: ['441523'], expires: inHours(6), ...extra });
async function act(token, id, action, body) {
  return srv.req('POST', `/api/v1/warnings/${id}/${action}`, { token, body });
}
async function issued(extra) {
  const w = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft(extra) });
  assert.equal(w.status, 201, w.text);
  assert.equal((await act(duty, w.json.id, 'submit')).status, 200);
  assert.equal((await act(cmd, w.json.id, 'approve')).status, 200);
  const r = await act(duty, w.json.id, 'issue');
  assert.equal(r.status, 200, r.text);
  return r.json;
}
// users through the user API (admin): the first limit of a role in an area's subtree
async function usersOf(s, token, role, area, limit = 500) {
  const r = await s.req('GET', `/api/v1/users?role=${role}&area=${area}&limit=${limit}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}
async function allUsersOf(role, area) {
  const out = [];
  for (let cursor = ''; ;) {
    const r = await srv.req('GET', `/api/v1/users?role=${role}&area=${area}&limit=500${cursor}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.items);
    if (!r.json.next_cursor) return out;
    cursor = `&cursor=${r.json.next_cursor}`;
  }
}
const gwOf = async (area) => (await usersOf(srv, admin, 'grid_worker', area, 1))[0].username;
// every recipient of a warning the caller sees (all pages)
async function recipientsOf(s, token, id, query = '') {
  const out = [];
  for (let cursor = ''; ;) {
    const r = await s.req('GET', `/api/v1/warnings/${id}/recipients?limit=5000${query}${cursor}`, { token });
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.items);
    if (!r.json.next_cursor) return out;
    cursor = `&cursor=${r.json.next_cursor}`;
  }
}
const recipientOf = async (s, token, id, username) => (await recipientsOf(s, token, id)).find((r) => r.user && r.user.username === username);
async function until(fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) { const v = await fn(); if (v || Date.now() > end) return v; await sleep(100); }
}
async function clock(ms) { return srv.req('POST', '/api/v1/test/clock', { token: admin, body: { offset_ms: ms } }); }

test('lifecycle: two-person rule, illegal transitions name the allowed ones; each refusal has its reason and Chinese words', async () => {
  const w = await srv.req('POST', '/api/v1/warnings', { token: cmd, body: draft() });
  assert.equal(w.status, 201, w.text);
  assert.equal(w.json.state, 'draft');
  assert.deepEqual(w.json.allowed_actions, ['submit', 'cancel']);
  const early = await act(cmd, w.json.id, 'issue');
  assert.equal(early.status, 409);
  assert.equal(early.json.error.reason, 'wrong_state');
  assert.equal(early.json.error.message, '预警当前为“草稿”，不能发布；现在可以：提交审批 (submit)、撤销 (cancel)');
  assert.equal((await act(cmd, w.json.id, 'submit')).status, 200);
  const own = await act(cmd, w.json.id, 'approve');
  assert.equal(own.status, 403);
  assert.equal(own.json.error.reason, 'two_person_rule');
  assert.match(own.json.error.message, /^双人审核：起草人不能批准自己起草的预警/);
  const notCmd = await act(duty, w.json.id, 'approve');
  assert.equal(notCmd.status, 403); // not a commander
  assert.equal(notCmd.json.error.reason, 'commander_only');
  assert.equal(notCmd.json.error.message, '只有指挥长可以批准预警');
  const other = await act(await srv.login('commander_441502'), w.json.id, 'approve');
  assert.equal(other.status, 404); // another county's warning is not even visible
  const ok = await act(cityCmd, w.json.id, 'approve');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.approver.username, 'commander');
  const unknown = await act(cmd, w.json.id, 'frobnicate');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.reason, 'unknown_action');
  const c = await act(cmd, w.json.id, 'cancel');
  assert.equal(c.json.state, 'cancelled');
  const late = await act(cmd, w.json.id, 'issue');
  assert.equal(late.status, 409);
  assert.equal(late.json.error.reason, 'wrong_state');
  assert.match(late.json.error.message, /“已撤销”.*现在可以：无$/);
  // a city warning aimed at the county: the county reads it, acting on it is the city's
  const city = await srv.req('POST', '/api/v1/warnings', { token: cityCmd, body: draft() });
  const foreign = await act(cmd, city.json.id, 'submit');
  assert.equal(foreign.status, 403, foreign.text);
  assert.equal(foreign.json.error.reason, 'outside_jurisdiction');
  assert.match(foreign.json.error.message, /属于汕尾市（441500）：您可以查看，不能处理/);
  await act(cityCmd, city.json.id, 'cancel');
  const edit = await srv.req('PATCH', `/api/v1/warnings/${w.json.id}`, { token: cmd, body: { headline: '改' } });
  assert.equal(edit.status, 409);
  assert.equal(edit.json.error.reason, 'wrong_state');
  // validation
  const bad = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ level: 'purple' }) });
  assert.equal(bad.json.error.field, 'level');
  const out = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ areas: ['441502'] }) });
  assert.equal(out.status, 403);
  const past = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ expires: '2020-01-01T00:00:00+08:00' }) });
  assert.equal(past.json.error.field, 'expires');
  assert.equal((await srv.req('POST', '/api/v1/warnings', { token: await srv.login('inspector'), body: draft() })).status, 403);
});

// Dispatch is told by the warning module's events (WARN_EV_VERSION, WARN_EV_CANCELLED), not by calls:
// this fails until the warning module emits them.
test('dispatch hears the warning module\'s events: issue makes the recipients and tells their inboxes, cancel tells them again', async () => {
  const name = await gwOf('441523100');
  const gw = await srv.login(name);
  let id;
  // the inbox stream is open while a draft is submitted and approved (nobody to tell yet), then issued
  const told = await waitForEvent(`${srv.base}/api/v1/me/inbox/stream`, gw, (e) => e.event === 'warning' && e.json.warning_id === id, {
    onOpen: async () => {
      const w = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ areas: ['441523100'] }) });
      id = w.json.id;
      assert.equal((await act(duty, id, 'submit')).status, 200);
      assert.equal((await act(cmd, id, 'approve')).status, 200);
      assert.equal((await act(duty, id, 'issue')).status, 200);
    },
  });
  assert.equal(told.json.warning_id, id);
  const mine = await recipientOf(srv, cmd, id, name);
  assert.equal(mine.state, 'delivered');
  assert.equal(mine.channel, 'in_app');
  const w = await srv.req('GET', `/api/v1/warnings/${id}`, { token: cmd });
  assert.ok(w.json.recipients.total > 0 && w.json.recipients.acknowledged === 0, w.text);
  // the cancellation reaches the same inboxes; nothing is left to acknowledge
  const again = await waitForEvent(`${srv.base}/api/v1/me/inbox/stream`, gw, (e) => e.event === 'warning' && e.json.warning_id === id,
    { onOpen: async () => { assert.equal((await act(cmd, id, 'cancel')).status, 200); } });
  assert.equal(again.json.warning_id, id);
  assert.equal((await recipientOf(srv, cmd, id, name)).version, 2);
  const item = (await srv.req('GET', '/api/v1/me/inbox', { token: gw })).json.items.find((i) => i.warning.id === id);
  assert.equal(item.warning.state, 'cancelled');
});

test('audit verify is OK after dispatch\'s audited writes, and catches a transfer task changed behind the server', async () => {
  const own = await startServer();
  let stopped = false;
  try {
    const [d, c] = [await own.login('duty_officer_441523'), await own.login('commander_441523')];
    const w = await own.req('POST', '/api/v1/warnings', { token: d, body: draft({ level: 'red', evacuation: true, areas: ['441523100'] }) });
    for (const [t, a] of [[d, 'submit'], [c, 'approve'], [d, 'issue']]) assert.equal((await own.req('POST', `/api/v1/warnings/${w.json.id}/${a}`, { token: t })).status, 200);
    const tasks = (await own.req('GET', `/api/v1/warnings/${w.json.id}/tasks`, { token: c })).json.items;
    assert.ok(tasks.length > 1, 'tasks made');
    const t = tasks[0];
    const admin2 = await own.login('admin');
    const gw = await own.login((await own.req('GET', `/api/v1/users/${t.grid_worker.id}`, { token: admin2 })).json.username);
    assert.equal((await own.req('GET', `/api/v1/me/inbox/${w.json.id}`, { token: gw })).json.recipient.state, 'read');
    assert.equal((await own.req('POST', `/api/v1/me/inbox/${w.json.id}/ack`, { token: gw })).status, 200);
    const rep = await own.req('POST', `/api/v1/transfer-tasks/${t.id}/reports`, { token: gw, body: { moved: 1 }, headers: { 'Idempotency-Key': 'audit-key-0001' } });
    assert.equal(rep.status, 201, rep.text);
    assert.equal((await own.req('POST', `/api/v1/transfer-tasks/${tasks[1].id}/chase`, { token: c })).status, 200);
    // an update asks everyone again, a cancellation closes the open tasks: neither breaks the chain
    assert.equal((await own.req('POST', `/api/v1/warnings/${w.json.id}/update`, { token: c, body: { level: 'orange' } })).status, 200);
    assert.equal((await own.req('POST', `/api/v1/warnings/${w.json.id}/cancel`, { token: c })).status, 200);
    assert.equal((await own.stop()).code, 0);
    stopped = true;
    const ok = cli(['audit', 'verify', '--db', own.db]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^audit: OK/);
    for (const [action, type] of [['recipient.read', 'recipient'], ['recipient.ack', 'recipient'], ['transfer.report', 'transfer_task'],
      ['transfer.chase', 'transfer_task'], ['transfer.close', 'transfer_task'], ['warning.dispatch', 'dispatch']]) {
      assert.ok(Number(sql(own.db, `SELECT count(*) FROM audit WHERE action='${action}' AND object_type='${type}' AND state_version=1`)) > 0, action);
    }
    // tampering: persons moved, added behind the server's back
    sql(own.db, `UPDATE transfer_task SET moved = moved + 100 WHERE id = ${t.id}`);
    const broken = cli(['audit', 'verify', '--db', own.db]);
    assert.equal(broken.status, 1, broken.stdout + broken.stderr);
    assert.match(broken.stdout, /BROKEN.*transfer_task/);
  } finally {
    if (!stopped) await own.stop();
  }
});

test('issue reaches every grid worker and duty officer of the area, at once', async () => {
  const w = await issued();
  const people = [...await allUsersOf('grid_worker', '441523'), ...await allUsersOf('duty_officer', '441523')].filter((u) => !u.disabled);
  const expected = people.length;
  assert.ok(expected > 100);
  assert.equal(w.dispatched, expected);
  assert.equal(w.state, 'issued');
  assert.equal(w.version, 1);
  const rec = await srv.req('GET', `/api/v1/warnings/${w.id}/recipients?limit=5`, { token: cmd });
  assert.equal(rec.json.items.length, 5);
  assert.equal(rec.json.items[0].state, 'delivered');
  assert.ok(rec.json.items[0].user.display_name);
  // everyone of the area, nobody outside it (the city commander sees them all)
  const all = await recipientsOf(srv, cityCmd, w.id, '&channel=in_app');
  assert.equal(all.length, expected);
  assert.deepEqual(new Set(all.map((r) => r.user.id)), new Set(people.map((u) => u.id)));
  assert.ok(all.every((r) => r.area_code.startsWith('441523')));
});

test('a grid worker opens (read) and acknowledges (idempotent); the loop counts it', async () => {
  const w = await issued({ level: 'yellow' });
  const name = await gwOf('441523');
  const gw = await srv.login(name);
  const inbox = await srv.req('GET', '/api/v1/me/inbox', { token: gw });
  const item = inbox.json.items.find((i) => i.warning.id === w.id);
  assert.equal(item.recipient.state, 'delivered');
  const open = await srv.req('GET', `/api/v1/me/inbox/${w.id}`, { token: gw });
  assert.equal(open.json.recipient.state, 'read');
  // the commander's loop stream hears the acknowledgement once it is committed
  let ack;
  const heard = await waitForEvent(`${srv.base}/api/v1/warnings/${w.id}/loop/stream`, cmd, (e) => e.event === 'loop' && e.json.warning_id === w.id,
    { onOpen: async () => { ack = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: gw, body: { version: 1 } }); } });
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.json.recipient.state, 'acknowledged');
  assert.equal(heard.json.area, (await recipientOf(srv, cmd, w.id, name)).area_code);
  const again = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: gw });
  assert.equal(again.status, 200);
  // audited once (the audit log has no API: read behind the server)
  assert.equal(sql(srv.db, `SELECT count(*) FROM audit WHERE action='recipient.ack' AND object_id='${ack.json.recipient.id}'`), '1');
  const loop = await srv.req('GET', `/api/v1/warnings/${w.id}/loop?group_by=town`, { token: cmd });
  assert.equal(loop.json.totals.states.acknowledged, 1);
  assert.ok(loop.json.groups.length >= 8);
  const g = loop.json.groups.find((x) => x.states.acknowledged === 1);
  assert.ok(g.name && g.acknowledged_pct > 0 && g.acknowledged_pct < 100);
  const village = await srv.req('GET', `/api/v1/warnings/${w.id}/loop?group_by=village`, { token: cmd });
  assert.ok(village.json.groups.length > loop.json.groups.length);
  // someone else's warning is not in my inbox
  const other = await srv.login(await gwOf('441502'));
  assert.equal((await srv.req('GET', `/api/v1/me/inbox/${w.id}`, { token: other })).status, 404);
  // a county user of another county does not see this loop
  assert.equal((await srv.req('GET', `/api/v1/warnings/${w.id}/loop`, { token: await srv.login('duty_officer_441502') })).status, 404);
});

test('acks: a burst from many grid workers at once, each answered, counted and audited once; errors name the field', async () => {
  const w = await issued({ level: 'red' });
  const gws = await usersOf(srv, admin, 'grid_worker', '441523', 61);
  const names = gws.slice(0, 60).map((u) => u.username);
  assert.equal(names.length, 60);
  const tokens = await Promise.all(names.map((n) => srv.login(n)));
  // every ack in flight at once: the connections wait for one shared commit, none holds a thread
  const acks = await Promise.all(tokens.map((t) => srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: t, body: { version: 1 } })));
  for (const a of acks) {
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.recipient.state, 'acknowledged');
    assert.equal(a.json.warning.id, w.id);
    assert.equal(a.json.warning.version, 1);
    assert.equal(a.json.warning.state, 'issued');
    assert.ok(Date.parse(a.json.recipient.acknowledged) > 0 && Date.parse(a.json.recipient.read) > 0);
  }
  // and again, all at once: nothing changes, the same answers
  const again = await Promise.all(tokens.map((t) => srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: t })));
  assert.deepEqual(again.map((a) => a.json.recipient.acknowledged), acks.map((a) => a.json.recipient.acknowledged));
  assert.equal((await recipientsOf(srv, cmd, w.id, '&state=acknowledged')).length, 60);
  const ids = acks.map((a) => `'${a.json.recipient.id}'`).join(',');
  assert.equal(sql(srv.db, `SELECT count(*) FROM audit WHERE action='recipient.ack' AND object_id IN (${ids})`), '60');
  const loop = await srv.req('GET', `/api/v1/warnings/${w.id}/loop`, { token: cmd });
  assert.equal(loop.json.totals.states.acknowledged, 60);
  // errors: a bad version, a stale version, not my warning, a cancelled warning
  const bad = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: tokens[0], body: { version: 'one' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'version');
  const stale = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: tokens[0], body: { version: 7 } });
  assert.equal(stale.status, 409);
  assert.equal(stale.json.error.field, 'version');
  const notMine = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: await srv.login(await gwOf('441502')) });
  assert.equal(notMine.status, 404);
  assert.equal(notMine.json.error.field, 'warning');
  assert.equal((await srv.req('POST', '/api/v1/me/inbox/0/ack', { token: tokens[0] })).status, 400);
  const later = gws[60].username; // told, never answered
  assert.equal((await act(cmd, w.id, 'cancel')).status, 200);
  const laterToken = await srv.login(later);
  const gone = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: laterToken });
  assert.equal(gone.status, 409);
  assert.equal(gone.json.error.reason, 'warning_not_current');
  assert.match(gone.json.error.message, /已撤销，无需确认/);
  const item = (await srv.req('GET', '/api/v1/me/inbox', { token: laterToken })).json.items.find((i) => i.warning.id === w.id);
  assert.equal(item.recipient.state, 'delivered');
  assert.equal(item.warning.state, 'cancelled');
});

for (const how of ['SIGTERM', 'SIGKILL']) {
  test(`${how} while acknowledgements are in flight: every answered ack is stored${how === 'SIGTERM' ? ', and a clean exit' : ''}`, async () => {
    const own = await startServer();
    let running = true;
    try {
      const [d, c] = [await own.login('duty_officer_441523'), await own.login('commander_441523')];
      const w = await own.req('POST', '/api/v1/warnings', { token: d, body: draft({ level: 'red' }) });
      for (const [t, a] of [[d, 'submit'], [c, 'approve'], [d, 'issue']]) assert.equal((await own.req('POST', `/api/v1/warnings/${w.json.id}/${a}`, { token: t })).status, 200);
      const names = (await usersOf(own, await own.login('admin'), 'grid_worker', '441523', 16)).map((u) => u.username);
      const tokens = await Promise.all(names.map((n) => own.login(n)));
      const answered = new Set();
      let oks = 0;
      // each phone keeps acknowledging (again and again: idempotent) until the server is gone
      const loops = tokens.map(async (t, i) => {
        while (running) {
          try {
            const r = await own.req('POST', `/api/v1/me/inbox/${w.json.id}/ack`, { token: t });
            if (r.status === 200) { answered.add(names[i]); oks++; }
          } catch { return; }
        }
      });
      await sleep(400);
      const end = how === 'SIGTERM' ? await own.stop() : await own.kill9(); // parked connections waiting for their commit
      running = false;
      await Promise.all(loops);
      if (how === 'SIGTERM') {
        assert.equal(end.code, 0, own.logs().slice(-2000));
        assert.doesNotMatch(own.logs(), /suspended connections/);
        // a graceful stop answers every ack it took: what the server sent, the phones got
        const ackLines = own.logs().split('\n').filter((l) => l.includes(`path=/api/v1/me/inbox/${w.json.id}/ack `));
        assert.equal(ackLines.filter((l) => / status=200 /.test(l) && !/aborted=1/.test(l)).length, oks);
        assert.deepEqual(ackLines.filter((l) => /aborted=1/.test(l)), []);
      }
      assert.ok(answered.size > 0);
      // what the server says after a restart on the same database
      const again = await startServer({ db: own.db });
      try {
        const stored = (await recipientsOf(again, await again.login('commander_441523'), w.json.id, '&state=acknowledged'));
        const storedNames = stored.map((r) => r.user.username);
        for (const n of answered) assert.ok(storedNames.includes(n), `${n} was answered 200 but is not stored`);
        const ids = stored.map((r) => `'${r.id}'`).join(',');
        const audited = Number(sql(own.db, `SELECT count(*) FROM audit WHERE action='recipient.ack' AND object_id IN (${ids || "''"})`));
        assert.equal(audited, stored.length);
      } finally {
        assert.equal((await again.stop()).code, 0);
      }
    } finally {
      running = false;
      await own.stop().catch(() => {});
    }
  });
}

test('expiry: an issued warning past its expiry becomes expired and nobody escalates any more', async () => {
  const own = await startServer();
  try {
    const admin2 = await own.login('admin');
    const [d, c] = [await own.login('duty_officer_441523'), await own.login('commander_441523')];
    const w = await own.req('POST', '/api/v1/warnings', { token: d, body: draft({ level: 'blue', areas: ['441523100'], expires: inHours(1) }) });
    for (const [t, a] of [[d, 'submit'], [c, 'approve'], [d, 'issue']]) assert.equal((await own.req('POST', `/api/v1/warnings/${w.json.id}/${a}`, { token: t })).status, 200);
    assert.ok((await recipientsOf(own, c, w.json.id)).length > 0);
    await own.req('POST', '/api/v1/test/clock', { token: admin2, body: { offset_ms: 2 * 3600000 } });
    const expired = await until(async () => (await own.req('GET', `/api/v1/warnings/${w.json.id}`, { token: c })).json.state === 'expired');
    assert.ok(expired, 'expired');
    // from now on, however late it gets, no recipient escalates again
    await sleep(1200);
    const steps = async () => (await recipientsOf(own, c, w.json.id)).map((r) => `${r.id}:${r.escalations}`).join(' ');
    const before = await steps();
    await own.req('POST', '/api/v1/test/clock', { token: admin2, body: { offset_ms: 6 * 3600000 } });
    await sleep(1500);
    assert.equal(await steps(), before);
    const gwName = (await usersOf(own, admin2, 'grid_worker', '441523100', 1))[0].username;
    const ack = await own.req('POST', `/api/v1/me/inbox/${w.json.id}/ack`, { token: await own.login(gwName) });
    assert.equal(ack.status, 409);
    assert.equal(ack.json.error.reason, 'warning_not_current');
    assert.match(ack.json.error.message, /已过期，无需确认/);
  } finally {
    await own.stop();
  }
});

test('update: a new version; everyone must confirm it; an old-version ack is refused', async () => {
  const w = await issued({ level: 'blue' });
  const name = await gwOf('441523');
  const gw = await srv.login(name);
  await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: gw });
  const up = await act(cmd, w.id, 'update', { level: 'orange', headline: '升级为橙色预警' });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.json.version, 2);
  const item = await srv.req('GET', `/api/v1/me/inbox/${w.id}`, { token: gw });
  assert.equal(item.json.recipient.version, 2);
  assert.equal(item.json.recipient.state, 'read');
  const stale = await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: gw, body: { version: 1 } });
  assert.equal(stale.status, 409);
  assert.equal(stale.json.error.reason, 'newer_version');
  assert.equal(stale.json.error.field, 'version');
  assert.match(stale.json.error.message, /已更新为第 2 版/);
  assert.equal((await act(duty, w.id, 'update', { level: 'red' })).status, 403); // commanders update
  const shrink = await act(cmd, w.id, 'update', { areas: [] });
  assert.equal(shrink.status, 400);
});

test('CAP export is schema-valid and re-imports equal; cancel references the earlier messages', async () => {
  const w = await issued({ polygons: [{ type: 'Polygon', coordinates: [[[115.6, 23.2], [115.7, 23.2], [115.7, 23.3], [115.6, 23.2]]] }], headline: '暴雨 & 山洪 <橙色> "预警"' });
  const cap = await srv.req('GET', `/api/v1/warnings/${w.id}/cap`, { token: cmd });
  assert.equal(cap.status, 200, cap.text);
  assert.match(cap.headers.get('content-type'), /cap\+xml/);
  const dir = mkdtempSync(path.join(tmpdir(), 'yj-cap-'));
  const file = path.join(dir, 'w.xml');
  writeFileSync(file, cap.text);
  const lint = spawnSync('xmllint', ['--noout', '--nonet', '--schema', 'data/cap/oasis_CAP-v1.2.xsd', file], { encoding: 'utf8' });
  assert.equal(lint.status, 0, lint.stderr + cap.text);
  assert.match(cap.text, /<severity>Severe<\/severity>/);
  assert.match(cap.text, /<msgType>Alert<\/msgType>/);
  assert.match(cap.text, /<valueName>GB\/T 2260<\/valueName>\s*<value>441523<\/value>/);
  // re-import: the same alert comes back as a draft with the same content
  const imp = await srv.req('POST', '/api/v1/cap', { token: duty, raw: cap.text, headers: { 'Content-Type': 'application/cap+xml' } });
  assert.equal(imp.status, 201, imp.text);
  assert.equal(imp.json.warning.headline, w.headline);
  assert.equal(imp.json.warning.level, 'orange');
  assert.deepEqual(imp.json.warning.areas, ['441523']);
  assert.equal(imp.json.warning.state, 'draft');
  const dup = await srv.req('POST', '/api/v1/cap', { token: duty, raw: cap.text });
  assert.equal(dup.status, 409);
  // cancel: msgType Cancel, references version 1
  await act(cmd, w.id, 'cancel');
  const c = await srv.req('GET', `/api/v1/warnings/${w.id}/cap`, { token: cmd });
  assert.match(c.text, /<msgType>Cancel<\/msgType>/);
  assert.match(c.text, new RegExp(`<references>[^<]*,${w.identifier},[^<]*</references>`));
  writeFileSync(file, c.text);
  assert.equal(spawnSync('xmllint', ['--noout', '--nonet', '--schema', 'data/cap/oasis_CAP-v1.2.xsd', file]).status, 0);
  // the public feed lists only current warnings
  const feed = await srv.req('GET', '/api/v1/cap/feed');
  assert.equal(feed.status, 200);
  assert.ok(!feed.json.items.some((x) => x.id === w.id));
});

test('CAP import: real alerts are accepted; invalid and hostile ones store nothing', async () => {
  const dir = 'tests/data/cap';
  const drafts = async () => (await srv.req('GET', '/api/v1/warnings?state=draft&limit=500', { token: duty })).json.items.length;
  const before = await drafts();
  const ok = await srv.req('POST', '/api/v1/cap', { token: duty, raw: readFileSync(path.join(dir, 'taiwan.cap')) });
  assert.equal(ok.status, 201, ok.text);
  for (const bad of ['invalid.cap', 'canada_errors.cap', 'noaa_errors.cap', 'invalid_xmlns.cap', 'sweden.cap', 'xee.cap']) {
    const f = readdirSync(dir).includes(bad) ? path.join(dir, bad) : null;
    if (!f) continue;
    const r = await srv.req('POST', '/api/v1/cap', { token: duty, raw: readFileSync(f) });
    assert.equal(r.status, 422, `${bad}: ${r.text}`);
    assert.ok(r.json.error.field.startsWith('/') || /DOCTYPE/.test(r.json.error.message), `${bad}: ${r.text}`);
  }
  assert.equal(await drafts(), before + 1); // the valid alert became one draft; nothing of the others was stored
  // an Update that refers to nothing we know is refused
  const upd = readFileSync(path.join(dir, 'taiwan.cap'), 'utf8').replace(/<msgType>Alert<\/msgType>/, '<msgType>Update</msgType>')
    .replace(/<identifier>([^<]*)<\/identifier>/, '<identifier>$1-x</identifier>').replace(/<scope>/, '<references>nobody,none,2020-01-01T00:00:00+08:00</references><scope>');
  const u = await srv.req('POST', '/api/v1/cap', { token: duty, raw: upd });
  assert.equal(u.status, 422, u.text);
});

const riskPointWithWorker = async (area) => (await srv.req('GET', `/api/v1/risk-points?area=${area}&limit=500`, { token: admin })).json.items
  .find((r) => r.grid_worker_id && r.lon != null && r.lat != null);
const around = (p, d = 0.001) => ({ type: 'Polygon', coordinates: [[[p.lon - d, p.lat - d], [p.lon + d, p.lat - d], [p.lon + d, p.lat + d], [p.lon - d, p.lat + d], [p.lon - d, p.lat - d]]] });

test('recipients by polygon: the grid worker of a risk point inside it', async () => {
  const rp = await riskPointWithWorker('441523');
  const w = await issued({ areas: [], polygons: [around(rp)] });
  assert.ok(w.dispatched >= 1);
  const told = (await recipientsOf(srv, cmd, w.id)).filter((r) => r.user && r.user.id === rp.grid_worker_id);
  assert.equal(told.length, 1);
});

test('recipients stay in the issuing jurisdiction: a polygon over another county reaches nobody there', async () => {
  const theirs = await riskPointWithWorker('441502');
  const ours = await riskPointWithWorker('441523');
  const d = await srv.req('POST', '/api/v1/warnings', { token: duty, body: draft({ areas: [], polygons: [around(theirs), around(ours)], evacuation: true }) });
  if (d.status >= 400) { // the warning module may refuse such a shape outright: as good
    assert.equal(d.json.error.field, 'polygons', d.text);
    return;
  }
  assert.equal((await act(duty, d.json.id, 'submit')).status, 200);
  assert.equal((await act(cmd, d.json.id, 'approve')).status, 200);
  assert.equal((await act(duty, d.json.id, 'issue')).status, 200);
  const all = await recipientsOf(srv, cityCmd, d.json.id); // the city sees every record
  assert.ok(all.some((r) => r.user && r.user.id === ours.grid_worker_id), 'our risk point\'s grid worker is told');
  assert.ok(!all.some((r) => r.user && r.user.id === theirs.grid_worker_id), 'the other county\'s is not');
  assert.ok(all.every((r) => r.unit || r.area_code.startsWith('441523')), JSON.stringify(all.map((r) => r.area_code)));
  // nor is a transfer task made there
  const tasks = await srv.req('GET', `/api/v1/warnings/${d.json.id}/tasks?area=441500`, { token: cityCmd });
  assert.ok(tasks.json.items.length >= 1);
  assert.ok(tasks.json.items.every((t) => t.area_code.startsWith('441523')));
  await act(cmd, d.json.id, 'cancel');
});

test('webhooks: signed, retried with backoff until a 2xx', async () => {
  let calls = 0;
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      calls++;
      seen.push({ headers: req.headers, body });
      res.writeHead(calls <= 2 ? 500 : 200);
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/sms`;
  try {
    const u = await srv.req('POST', '/api/v1/member-units', { token: admin, body: { name: '短信网关', area_code: '441500', webhook_url: url } });
    assert.equal(u.status, 201, u.text);
    const w = await issued({ level: 'red' });
    // the unit's record, as the city sees it (a city-level unit)
    const record = async () => (await recipientsOf(srv, cityCmd, w.id, '&channel=webhook')).find((r) => r.unit && r.unit.id === u.json.id);
    await until(() => calls >= 1);
    assert.equal((await until(async () => (await record()).state === 'sent' && await record())).state, 'sent');
    for (let step = 1; step <= 3 && calls < 3; step++) { await clock(step * 60000); await until(() => calls >= step + 1, 4000); }
    const delivered = await until(async () => (await record()).state === 'delivered');
    assert.ok(delivered, `calls ${calls}`);
    assert.equal((await record()).attempts, 3);
    const last = seen[seen.length - 1];
    const mac = crypto.createHmac('sha256', SECRET).update(`${last.headers['x-yingji-timestamp']}.${last.body}`).digest('hex');
    assert.equal(last.headers['x-yingji-signature'], `sha256=${mac}`);
    assert.equal(JSON.parse(last.body).warning_id, w.id);
    await srv.req('PATCH', `/api/v1/member-units/${u.json.id}`, { token: admin, body: { enabled: false } });
  } finally {
    await clock(0);
    server.close();
  }
});

test('webhooks: an unreachable receiver ends failed, with the reason, after the last attempt', async () => {
  const u = await srv.req('POST', '/api/v1/member-units', { token: admin, body: { name: '失联网关', area_code: '441500', webhook_url: 'http://127.0.0.1:1/down' } });
  assert.equal(u.status, 201, u.text);
  try {
    const w = await issued({ level: 'yellow' });
    const record = async () => (await recipientsOf(srv, cityCmd, w.id, '&channel=webhook')).find((r) => r.unit && r.unit.id === u.json.id);
    let t = 0;
    for (let i = 0; i < 12 && (await record()).state !== 'failed'; i++) {
      t += 11 * 60000;
      await clock(t);
      await sleep(700);
    }
    const r = await record();
    assert.equal(r.state, 'failed');
    assert.equal(r.attempts, 8);
    assert.match(r.fail_reason, /connect|refused/i);
    const list = await srv.req('GET', `/api/v1/warnings/${w.id}/recipients?channel=webhook&state=failed`, { token: cityCmd }); // a city-level unit: the city sees it
    assert.ok(list.json.items.some((x) => x.unit && x.unit.id === u.json.id && x.fail_reason));
  } finally {
    await clock(0);
    await srv.req('PATCH', `/api/v1/member-units/${u.json.id}`, { token: admin, body: { enabled: false } });
  }
});

test('escalation: unanswered past the limit goes up to the duty officers, until acknowledged', async () => {
  const w = await issued({ level: 'red', areas: ['441523100'] });
  const [name, early] = (await usersOf(srv, admin, 'grid_worker', '441523100', 2)).map((u) => u.username);
  const escOf = async (user) => (await recipientOf(srv, cmd, w.id, user)).escalations; // steps it went up
  // one answers in time: never escalated, though the deadline passes for everyone
  assert.equal((await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: await srv.login(early) })).status, 200);
  // the county duty officer's inbox stream hears the escalations once they are committed
  const heard = await waitForEvent(`${srv.base}/api/v1/me/inbox/stream`, duty, (e) => e.event === 'escalation' && e.json.warning_id === w.id,
    { onOpen: () => clock(11 * 60000) });
  assert.ok(heard.json.to_area.startsWith('441523') && heard.json.step === 1, heard.data);
  const esc = await until(async () => (await srv.req('GET', `/api/v1/warnings/${w.id}/loop`, { token: cmd })).json.totals.open_escalations > 0);
  assert.ok(esc, 'escalations opened');
  const openTo = async (token) => (await srv.req('GET', '/api/v1/me/inbox', { token })).json.escalations.filter((x) => x.warning_id === w.id);
  assert.ok((await openTo(duty)).some((x) => x.to_area.startsWith('441523')));
  const gw = await srv.login(name);
  await srv.req('POST', `/api/v1/me/inbox/${w.id}/ack`, { token: gw });
  // the answer resolves its escalations: no supervisor's inbox lists it any more
  assert.ok(!(await openTo(duty)).some((x) => x.recipient === name));
  assert.ok(!(await openTo(cityCmd)).some((x) => x.recipient === name));
  // still unanswered ten minutes later: up again, to the city
  await clock(22 * 60000);
  const city = await until(async () => (await openTo(cityCmd)).some((x) => x.to_area === '441500'));
  assert.ok(city, 'escalated to the city');
  assert.equal(await escOf(early), 0);
  assert.equal(await escOf(name), 1); // answered after the first step: not escalated again
  await clock(0);
  await act(cmd, w.id, 'cancel');
});

test('transfer tasks: planned from risk points, reports add up once per key, close at planned or with a reason', async () => {
  const w = await issued({ evacuation: true, areas: ['441523100'] });
  const tasks = await srv.req('GET', `/api/v1/warnings/${w.id}/tasks`, { token: cmd });
  assert.ok(tasks.json.items.length > 0, 'tasks made');
  const t = tasks.json.items[0];
  const userName = async (id) => (await srv.req('GET', `/api/v1/users/${id}`, { token: admin })).json.username;
  assert.equal(t.planned, (await srv.req('GET', `/api/v1/risk-points/${t.risk_point.id}`, { token: admin })).json.population);
  const gwName = await userName(t.grid_worker.id);
  const gw = await srv.login(gwName);
  const mine = await srv.req('GET', '/api/v1/me/tasks', { token: gw });
  assert.ok(mine.json.items.some((x) => x.id === t.id));
  const part = Math.floor(t.planned / 2);
  const post = (body, key) => srv.req('POST', `/api/v1/transfer-tasks/${t.id}/reports`, { token: gw, body, headers: key ? { 'Idempotency-Key': key } : {} });
  const r1 = await post({ moved: part }, 'key-0001-aaaa');
  assert.equal(r1.status, 201, r1.text);
  const r1again = await post({ moved: part }, 'key-0001-aaaa'); // a phone retrying
  assert.equal(r1again.status, 200);
  assert.equal(r1again.json.duplicate, true);
  assert.equal(r1again.json.moved, part);
  const shelter = (await srv.req('GET', '/api/v1/shelters?area=441523&limit=1', { token: admin })).json.items[0];
  const elsewhere = (await srv.req('GET', '/api/v1/shelters?area=441502&limit=1', { token: admin })).json.items[0];
  // a shelter of another county is not one this evacuation may name
  const far = await post({ moved: 1, shelter_id: elsewhere.id }, 'key-0009-zzzz');
  assert.equal(far.status, 400);
  assert.equal(far.json.error.field, 'shelter_id');
  const r2 = await post({ moved: t.planned - part, shelter_id: shelter.id }, 'key-0002-bbbb');
  assert.equal(r2.json.state, 'closed');
  assert.equal(r2.json.moved, t.planned);
  assert.equal(r2.json.closed_reason, 'all_moved');
  const closed = await post({ moved: 1 }, 'key-0003-cccc');
  assert.equal(closed.status, 409);
  assert.equal(closed.json.error.reason, 'task_closed');
  // another task closed with "nobody at risk"
  const t2 = tasks.json.items[1];
  if (t2) {
    const gw2 = await srv.login(await userName(t2.grid_worker.id));
    const noReason = await srv.req('POST', `/api/v1/transfer-tasks/${t2.id}/reports`, { token: gw2, body: { nobody_at_risk: true } });
    assert.equal(noReason.json.error.field, 'reason');
    const nb = await srv.req('POST', `/api/v1/transfer-tasks/${t2.id}/reports`, { token: gw2, body: { nobody_at_risk: true, reason: '住户已于昨日自行撤离' } });
    assert.equal(nb.json.state, 'closed');
    assert.equal(nb.json.closed_reason, 'nobody_at_risk');
    // the grid worker's words stay with the report
    const got = await srv.req('GET', `/api/v1/transfer-tasks/${t2.id}`, { token: gw2 });
    assert.equal(got.json.reports.at(-1).reason, '住户已于昨日自行撤离');
  }
  // someone else's task is not theirs to report
  const other = await srv.login(await gwOf('441502'));
  assert.equal((await srv.req('POST', `/api/v1/transfer-tasks/${t.id}/reports`, { token: other, body: { moved: 1 } })).status, 404);
  const loop = await srv.req('GET', `/api/v1/warnings/${w.id}/loop`, { token: cmd });
  const planned = tasks.json.items.reduce((s, x) => s + x.planned, 0);
  assert.equal(loop.json.totals.planned, planned);
  assert.ok(loop.json.totals.moved >= t.planned);
  assert.equal(loop.json.totals.open_tasks, tasks.json.items.length - (t2 ? 2 : 1));
  const chase = await srv.req('POST', `/api/v1/transfer-tasks/${tasks.json.items[tasks.json.items.length - 1].id}/chase`, { token: cmd });
  assert.ok(chase.status === 200 || chase.status === 409, chase.text);
  // cancelling the warning closes the tasks still open, saying so
  assert.equal((await act(cmd, w.id, 'cancel')).status, 200);
  const after = (await srv.req('GET', `/api/v1/warnings/${w.id}/tasks`, { token: cmd })).json.items;
  assert.ok(after.every((x) => x.state === 'closed'));
  assert.ok(after.every((x) => ['all_moved', 'nobody_at_risk', 'warning_cancelled'].includes(x.closed_reason)), JSON.stringify(after.map((x) => x.closed_reason)));
  if (after.length > 2) assert.ok(after.some((x) => x.closed_reason === 'warning_cancelled'));
});
