// Shared helpers for API tests: start a real yingji server on a free
// loopback port with a fresh database, talk HTTP to it, stop it and check
// that it exited cleanly (sanitizer reports fail the test).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BIN = process.env.YJ_BIN || path.resolve('build/san/yingji');
export const PASSWORD = 'demo-pass-123';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Run the yingji CLI; returns {status, stdout, stderr}.
export function cli(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 120000, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function makeDemoDb() {
  const dir = mkdtempSync(path.join(tmpdir(), 'yj-'));
  const db = path.join(dir, 'yingji.db');
  const r = cli(['demo', '--db', db, '--password', PASSWORD]);
  if (r.status !== 0) throw new Error(`demo failed: ${r.stderr}`);
  return { dir, db };
}

export async function startServer({ db, args = [], env = {} } = {}) {
  if (!db) db = makeDemoDb().db;
  const dir = path.dirname(db);
  const portFile = path.join(dir, `port-${process.pid}-${Date.now()}`);
  let logs = '';
  const child = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--web', 'web', ...args], { env: { LSAN_OPTIONS: `suppressions=${path.resolve('tests/lsan.supp')}:print_suppressions=0`, ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 30000;
  while (!(existsSync(portFile) && readFileSync(portFile, 'utf8').trim())) {
    if (child.exitCode !== null) throw new Error(`server exited: ${logs}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${logs}`);
    await sleep(30);
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  const base = `http://127.0.0.1:${port}`;

  async function req(method, url, { token, body, raw, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (raw !== undefined) payload = raw;
    else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
    const res = await fetch(base + url, { method, headers: h, body: payload });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    // every error answer of the API has a JSON body naming its code (DESIGN: errors never drop)
    if (res.status >= 400 && url.startsWith('/api/') && typeof json?.error?.code !== 'string') {
      throw new Error(`${method} ${url}: ${res.status} without a JSON error body: ${JSON.stringify(text.slice(0, 200))}`);
    }
    // and no client's mistake is the server's error
    if (res.status >= 500 && res.status !== 503) {
      throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  async function login(username, password = PASSWORD) {
    const r = await req('POST', '/api/v1/auth/login', { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.json.token;
  }

  // SIGTERM, wait, and report how it ended; a sanitizer report is a failure.
  async function stop() {
    if (child.exitCode === null) child.kill('SIGTERM');
    const end = await exited;
    if (/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(logs)) {
      throw new Error(`sanitizer report in server log:\n${logs.slice(-4000)}`);
    }
    return end;
  }

  async function kill9() {
    child.kill('SIGKILL');
    return exited;
  }

  return { base, db, dir, port, pid: child.pid, req, login, stop, kill9, logs: () => logs };
}

// sqlite3 shell on a database (used to tamper behind the server's back)
export function sql(db, statement) {
  const r = spawnSync('sqlite3', [db, statement], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

// A free loopback port (the kernel's pick), for brokers the tests start.
import net from 'node:net';
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// Debian's mosquitto on a free loopback port; stop() ends it.
export async function startMosquitto() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'yj-mqtt-'));
  const conf = path.join(dir, 'mosquitto.conf');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 10000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`mosquitto did not start: ${log}`);
    await sleep(50);
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    publish(topic, message) {
      const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-m', message], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mosquitto_pub: ${r.stderr}`);
    },
    stop() { child.kill('SIGTERM'); },
  };
}

// Read Server-Sent Events from url until pred(event) is true or timeout.
export async function waitForEvent(url, token, pred, { timeoutMs = 10000, onOpen } = {}) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
    if (res.status !== 200) throw new Error(`stream ${res.status}`);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let opened = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buf += dec.decode(value, { stream: true });
      let idx;
      while ((idx = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        const ev = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('data: ')) ev.data += line.slice(6);
        }
        if (ev.event === 'hello' && !opened) { opened = true; if (onOpen) await onOpen(); continue; }
        let parsed;
        try { parsed = JSON.parse(ev.data); } catch { parsed = undefined; }
        if (pred({ ...ev, json: parsed })) { ac.abort(); return { ...ev, json: parsed }; }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
