// The audit chain, durability across kill -9, restart, and the CLI's manners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, makeDemoDb, cli, sql } from './lib.mjs';

test('audit verify passes, then catches an edited audit record', async () => {
  const { db } = makeDemoDb();
  const srv = await startServer({ db });
  const admin = await srv.login('admin');
  const r = await srv.req('POST', '/api/v1/users', { token: admin, body: { username: 'audited_1', role: 'inspector', area_code: '441521', password: 'long-enough-1' } });
  assert.equal(r.status, 201);
  assert.equal((await srv.stop()).code, 0);

  const ok = cli(['audit', 'verify', '--db', db]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^audit: OK, \d+ records, head [0-9a-f]{64}/);
  // every write left a record: the user creation is in the chain
  assert.equal(sql(db, "SELECT count(*) FROM audit WHERE action='user.create' AND object_id=(SELECT id FROM user WHERE username='audited_1')"), '1');

  sql(db, "UPDATE audit SET username='someone-else' WHERE id=5");
  const broken = cli(['audit', 'verify', '--db', db]);
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /BROKEN at record 5/);
});

test('audit verify catches a deleted record and an object changed behind the server', async () => {
  const { db } = makeDemoDb();
  assert.equal(cli(['audit', 'verify', '--db', db]).status, 0);
  sql(db, "UPDATE user SET role='admin' WHERE username='inspector'");
  const changed = cli(['audit', 'verify', '--db', db]);
  assert.equal(changed.status, 1);
  assert.match(changed.stdout, /changed outside yingji/);

  const other = makeDemoDb().db;
  sql(other, 'DELETE FROM audit WHERE id=3');
  const gap = cli(['audit', 'verify', '--db', other]);
  assert.equal(gap.status, 1);
  assert.match(gap.stdout, /BROKEN at record 4/);
});

test('nothing acknowledged is lost on kill -9; restart keeps the data', async () => {
  const { db } = makeDemoDb();
  let srv = await startServer({ db });
  const admin = await srv.login('admin');
  const names = [];
  for (let i = 0; i < 20; i++) {
    const r = await srv.req('POST', '/api/v1/users', { token: admin, body: { username: `durable_${i}`, role: 'inspector', area_code: '441523', password: 'long-enough-1' } });
    assert.equal(r.status, 201);
    names.push(r.json.username);
  }
  await srv.kill9();
  srv = await startServer({ db });
  const admin2 = await srv.login('admin');
  const list = await srv.req('GET', '/api/v1/users?limit=500&q=durable_', { token: admin2 });
  assert.deepEqual(list.json.items.map((u) => u.username).sort(), names.sort());
  assert.equal((await srv.stop()).code, 0);
  assert.equal(cli(['audit', 'verify', '--db', db]).status, 0);
});

test('serve --mmap-mb 0 reads with pread: a write on one connection is seen by the next read', async () => {
  const srv = await startServer({ args: ['--mmap-mb', '0'] });
  const admin = await srv.login('admin');
  const r = await srv.req('POST', '/api/v1/users', { token: admin, body: { username: 'pread_1', role: 'inspector', area_code: '441521', password: 'long-enough-1' } });
  assert.equal(r.status, 201, r.text);
  const again = await srv.login('pread_1', 'long-enough-1');
  assert.ok(again);
  assert.equal((await srv.stop()).code, 0);
});

test('CLI: help, unknown options and bad values give one line and exit 2', () => {
  const help = cli(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /serve/);
  for (const cmd of ['serve', 'init', 'demo']) {
    const h = cli([cmd, '--help']);
    assert.equal(h.status, 0, cmd);
    assert.match(h.stdout, /usage: yingji/);
  }
  const bad = cli(['serve', '--nope']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--nope/);
  const badVal = cli(['serve', '--db', '/tmp/x.db', '--threads', 'many']);
  assert.equal(badVal.status, 2);
  assert.match(badVal.stderr, /threads/);
  const badMmap = cli(['serve', '--db', '/tmp/x.db', '--mmap-mb', '-1']);
  assert.equal(badMmap.status, 2);
  assert.match(badMmap.stderr, /mmap-mb/);
  assert.equal(cli(['frobnicate']).status, 2);
  assert.equal(cli(['audit', 'verify']).status, 2);
});

test('init makes an empty database with the area tree and one admin', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yj-init-'));
  const db = path.join(dir, 'real.db');
  const pwFile = path.join(dir, 'pw');
  writeFileSync(pwFile, 'a-real-admin-password\n');
  const r = cli(['init', '--db', db, '--admin-password-file', pwFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(sql(db, 'SELECT count(*) FROM user'), '1');
  assert.equal(sql(db, 'SELECT count(*) FROM area WHERE level=3'), '63');
  assert.equal(sql(db, 'SELECT count(*) FROM area WHERE level=4'), '891');
  assert.equal(sql(db, 'PRAGMA journal_mode'), 'wal');
  // a second init on the same file refuses
  assert.equal(cli(['init', '--db', db, '--admin-password-file', pwFile]).status, 1);
  const srv = await startServer({ db });
  await srv.login('admin', 'a-real-admin-password');
  assert.equal((await srv.stop()).code, 0);
});

test('demo makes the role users and county users', () => {
  const { db } = makeDemoDb();
  const users = sql(db, 'SELECT username FROM user ORDER BY username').split('\n');
  for (const u of ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk',
    'warehouse_keeper', 'duty_officer_441502', 'commander_441502', 'duty_officer_441521', 'commander_441581', 'commander_441523']) {
    assert.ok(users.includes(u), u);
  }
  assert.equal(sql(db, "SELECT area_code FROM user WHERE username='duty_officer_441521'"), '441521');
  assert.equal(sql(db, "SELECT count(DISTINCT password_hash) FROM user"), '1');
  assert.match(sql(db, "SELECT password_hash FROM user LIMIT 1"), /^\$argon2id\$/);
});
