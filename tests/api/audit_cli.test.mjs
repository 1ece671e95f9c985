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
  const line = ok.stdout.match(/^audit: OK, (\d+) records, (\d+) objects, (\d+) not comparable, head [0-9a-f]{64}$/m);
  assert.ok(line, ok.stdout);
  // the states of the objects were compared, not just the chain: every user has a projection
  assert.ok(Number(line[2]) > 4700, ok.stdout);
  // every write left a record: the user creation is in the chain (no API reads the log)
  assert.equal(sql(db, `SELECT count(*) FROM audit WHERE action='user.create' AND object_id='${r.json.id}'`), '1');

  sql(db, "UPDATE audit SET username='someone-else' WHERE id=5");
  const broken = cli(['audit', 'verify', '--db', db]);
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /BROKEN at record 5/);
});

test('audit verify catches a deleted record and an object changed behind the server', async () => {
  const { db } = makeDemoDb();
  const fresh = cli(['audit', 'verify', '--db', db]);
  assert.equal(fresh.status, 0, fresh.stdout + fresh.stderr);
  sql(db, "UPDATE user SET role='admin' WHERE username='inspector'");
  const changed = cli(['audit', 'verify', '--db', db]);
  assert.equal(changed.status, 1);
  assert.match(changed.stdout, /changed outside yingji/);
  // the user's projection holds its row's fields, not its password hash
  const hashOnly = makeDemoDb().db;
  sql(hashOnly, "UPDATE user SET password_hash='x' WHERE username='inspector'");
  assert.equal(cli(['audit', 'verify', '--db', hashOnly]).status, 0);
  sql(hashOnly, "UPDATE user SET phone='110' WHERE username='inspector'");
  assert.equal(cli(['audit', 'verify', '--db', hashOnly]).status, 1);

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
  for (const cmd of ['serve', 'init', 'demo', 'audit']) {
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
  assert.equal(sql(db, 'PRAGMA journal_mode'), 'wal');
  // a second init on the same file refuses
  assert.equal(cli(['init', '--db', db, '--admin-password-file', pwFile]).status, 1);
  const srv = await startServer({ db });
  try {
    const admin = await srv.login('admin', 'a-real-admin-password');
    const users = await srv.req('GET', '/api/v1/users?limit=500', { token: admin });
    assert.deepEqual(users.json.items.map((u) => [u.username, u.role, u.area_code]), [['admin', 'admin', '441500']]);
    // the area tree: 4 counties, 63 towns, 891 villages (4 of them directly under 海丰县)
    const counties = (await srv.req('GET', '/api/v1/areas?parent=441500', { token: admin })).json.items;
    assert.equal(counties.length, 4);
    let towns = 0, villages = 0;
    for (const c of counties) {
      const below = (await srv.req('GET', `/api/v1/areas?parent=${c.code}`, { token: admin })).json.items;
      assert.equal(below.length, c.children);
      for (const a of below) {
        if (a.level === 'town') { towns++; villages += a.children; } else if (a.level === 'village') villages++;
      }
    }
    assert.equal(towns, 63);
    assert.equal(villages, 891);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
  // the area tree's load is in the chain, and verifies
  const v = cli(['audit', 'verify', '--db', db]);
  // records: the load, the five issuing authorities, the admin's creation, its login;
  // objects: the tree, the authorities and the admin
  assert.match(v.stdout, /^audit: OK, 8 records, 7 objects, 0 not comparable, head /, v.stdout + v.stderr);
});

test('demo makes the role users and county users', async () => {
  const { db } = makeDemoDb();
  const srv = await startServer({ db });
  try {
    const admin = await srv.login('admin');
    const users = new Map();
    for (const role of ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk', 'warehouse_keeper']) {
      const r = await srv.req('GET', `/api/v1/users?role=${role}&limit=500`, { token: admin });
      assert.equal(r.status, 200, r.text);
      for (const u of r.json.items) users.set(u.username, u);
    }
    for (const u of ['admin', 'commander', 'duty_officer', 'inspector', 'legal_reviewer', 'licensing_clerk',
      'warehouse_keeper', 'duty_officer_441502', 'commander_441502', 'duty_officer_441521', 'commander_441581', 'commander_441523']) {
      assert.ok(users.has(u), u);
    }
    assert.equal(users.get('duty_officer_441521').area_code, '441521');
    assert.equal(users.get('commander').area_code, '441500');
    // all share the one password
    await srv.login('commander_441581');
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
  // hashed once for all (argon2id is slow on purpose): the file holds one hash
  assert.equal(sql(db, 'SELECT count(DISTINCT password_hash) FROM user'), '1');
  assert.match(sql(db, 'SELECT password_hash FROM user LIMIT 1'), /^\$argon2id\$/);
});
