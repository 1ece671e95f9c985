// formats.mjs — the message formats of every yj_fail(...) / yj_refuse(...)
// call under src/, as the compiler sees them (adjacent literals joined,
// escapes decoded, <inttypes.h> macros expanded as on x86-64 glibc), and
// the server's catalog of their Chinese (data/i18n/errors.zh.tsv).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const INTTYPES = { PRId64: 'ld', PRIi64: 'li', PRIu64: 'lu', PRIx64: 'lx', PRIX64: 'lX',
  PRId32: 'd', PRIu32: 'u', PRIdMAX: 'jd', PRIuMAX: 'ju', JSON_INTEGER_FORMAT: 'lld',
  NS_CAP12: 'urn:oasis:names:tc:emergency:cap:1.2' };

function walk(dir, out = []) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.c')) out.push(p);
  }
  return out;
}

// C source with comments blanked (same length, so offsets keep their lines)
function stripComments(s) {
  return s.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g,
    m => (m[0] === '/' ? m.replace(/[^\n]/g, ' ') : m));
}

// the top-level arguments of the call whose '(' is at s[open]
function callArgs(s, open) {
  const args = []; let depth = 0, cur = '', i = open;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === '\'') {
      const m = s.slice(i).match(c === '"' ? /^"(?:\\.|[^"\\\n])*"/ : /^'(?:\\.|[^'\\\n])*'/);
      cur += m[0]; i += m[0].length - 1; continue;
    }
    if (c === '(') { if (depth++ === 0) continue; }
    else if (c === ')') { if (--depth === 0) { args.push(cur.trim()); break; } }
    else if (c === ',' && depth === 1) { args.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  return args;
}

function unescapeC(body) {
  return body.replace(/\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)/g, (m, e) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', '\'': '\'', a: '\x07', '0': '\0' }[e] ?? e;
  });
}

// a format argument as the compiled string, or null when it is not literals only
export function literalOf(arg) {
  let out = '', rest = arg.trim();
  if (!rest) return null;
  while (rest) {
    let m;
    if ((m = rest.match(/^"((?:\\.|[^"\\\n])*)"\s*/))) out += unescapeC(m[1]);
    else if ((m = rest.match(/^([A-Za-z_]\w*)\s*/)) && m[1] in INTTYPES) out += INTTYPES[m[1]];
    else return null;
    rest = rest.slice(m[0].length);
  }
  return out;
}

// The functions whose words reach a client, and which argument is the format: yj_fail and
// yj_refuse, and the helpers that format a message piece for them (file: only in that file).
export const FAILERS = {
  yj_fail: { arg: 3 }, yj_refuse: { arg: 4 }, yj_err_set_zh: { arg: 1 },
  cap_fail_at: { arg: 3 }, cap_fail_path: { arg: 3 }, wfail: { arg: 2, file: 'src/warning/cap_write.c' },
  reject: { arg: 2, file: 'src/telemetry/ingest.c' }, reg_problems_add: { arg: 3 },
  yj_piece_zh: { arg: 0 }, yj_format_zh: { arg: 2 }, cell_problem: { arg: 2, file: 'src/registry/io_import.c' },
};

// a format argument: its compiled strings (both arms of `c ? "a" : "b"`), or null when not literal
function formatsOf(raw) {
  const one = literalOf(raw);
  if (one !== null) return [one];
  const m = raw.match(/^[^"?]*\?\s*("[\s\S]*")\s*:\s*("[\s\S]*")$/);
  if (m && literalOf(m[1]) !== null && literalOf(m[2]) !== null) return [literalOf(m[1]), literalOf(m[2])];
  return null;
}

// every call: {file, line, fn, fmts (compiled strings, or null when not literal), raw}
export function callsIn(root) {
  const calls = [];
  const names = Object.keys(FAILERS).join('|');
  for (const file of walk(join(root, 'src'))) {
    const rel = file.slice(root.length + 1);
    const src = stripComments(readFileSync(file, 'utf8'));
    const re = new RegExp(`\\b(${names})\\s*\\(`, 'g');
    let m;
    while ((m = re.exec(src))) {
      const how = FAILERS[m[1]];
      if (how.file && how.file !== rel) continue;
      const before = src.slice(Math.max(0, m.index - 40), m.index);
      if (/(\b(int|void|bool|define)|\*)\s*$/.test(before)) continue; // a declaration, definition or macro
      const args = callArgs(src, m.index + m[0].length - 1);
      const raw = args[how.arg] ?? '';
      const line = src.slice(0, m.index).split('\n').length;
      calls.push({ file: rel, line, fn: m[1], raw, fmts: formatsOf(raw) });
    }
  }
  return calls;
}

// the catalog: [{line, en, zh}] (comments and blank lines skipped); \t \n \\ escaped in the file
export function catalog(root) {
  const text = readFileSync(join(root, 'data/i18n/errors.zh.tsv'), 'utf8');
  const un = s => s.replace(/\\([tn\\])/g, (m, c) => ({ t: '\t', n: '\n', '\\': '\\' }[c]));
  const rows = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim() || l.startsWith('#')) return;
    const tab = l.indexOf('\t');
    rows.push({ line: i + 1, en: tab < 0 ? un(l) : un(l.slice(0, tab)), zh: tab < 0 ? null : un(l.slice(tab + 1)) });
  });
  return rows;
}

// the conversion specifications of a printf format, in order ("%%" is not one)
export function specifiers(fmt) {
  return fmt.match(/%(?:%|[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|j|z|t|L)?[diouxXeEfFgGaAcspn])/g)
    ?.filter(s => s !== '%%') ?? [];
}
