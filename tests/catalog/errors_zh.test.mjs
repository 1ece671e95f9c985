// The catalog of Chinese error messages against the code: every format a
// client can be answered with is in data/i18n/errors.zh.tsv, and every line
// there is well-formed (same conversions in the same order, no English key
// twice). Runs without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { callsIn, catalog, specifiers } from './formats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CJK = /[\u3400-\u9fff]/;
const CHINESE = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/; // ideographs or full-width punctuation
// a format that only passes a prebuilt message through ("%s", "%.200s"): its words
// are translated where they are made, or are a library's own (libxml2)
const passThrough = f => /^%(\.\d+)?s$/.test(f);

test('every catalog line has a Chinese with the same conversions, in the same order', () => {
  const bad = catalog(root).filter(r => !r.zh || !CHINESE.test(r.zh) ||
    JSON.stringify(specifiers(r.en)) !== JSON.stringify(specifiers(r.zh)));
  assert.deepEqual(bad.map(r => `line ${r.line}: ${r.en}`), []);
});

test('no English format is in the catalog twice', () => {
  const seen = new Map(), dup = [];
  for (const r of catalog(root)) {
    if (seen.has(r.en)) dup.push(`lines ${seen.get(r.en)} and ${r.line}: ${r.en}`);
    else seen.set(r.en, r.line);
  }
  assert.deepEqual(dup, []);
});

test('every yj_fail / yj_refuse format in src/ (and its helpers\') is in the catalog', () => {
  const have = new Set(catalog(root).map(r => r.en));
  const calls = callsIn(root);
  assert.ok(calls.length > 500, `found only ${calls.length} calls: is the extraction broken?`);
  const missing = [];
  for (const c of calls) {
    assert.ok(c.fmts, `${c.file}:${c.line}: ${c.fn} with a format that is not literal: ${c.raw}`);
    for (const f of c.fmts)
      if (!passThrough(f) && !CJK.test(f) && !have.has(f)) missing.push(`${c.file}:${c.line}: ${f}`);
  }
  assert.deepEqual(missing, [], 'add these formats to data/i18n/errors.zh.tsv');
});

test('a message passed through whole ("%s") is translated where it is made', () => {
  // the known pass-throughs: each carries its Chinese (reject_err, entity_check's field
  // problems) or is libxml2's own words (CAP parsing). A new one must be looked at.
  const known = new Set(['src/telemetry/ingest.c', 'src/registry/entity_check.c', 'src/warning/cap.c',
    'src/warning/cap_read.c']);
  const other = callsIn(root).filter(c => c.fmts && c.fmts.some(passThrough) && !known.has(c.file));
  assert.deepEqual(other.map(c => `${c.file}:${c.line}: ${c.fn}(…, "${c.fmts}")`), []);
});

test('the catalog and the code agree on how many formats there are', () => {
  const all = callsIn(root).flatMap(c => c.fmts);
  const code = new Set(all.filter(f => !passThrough(f) && !CJK.test(f)));
  const cat = new Set(catalog(root).map(r => r.en));
  const used = new Set(all); // a piece with its Chinese in it ("enforcement certificate (执法证)") may have a line too
  const stale = [...cat].filter(f => !used.has(f));
  console.log(`# catalog: ${cat.size} formats; code: ${code.size} formats; in the catalog but no longer in the code: ${stale.length}`);
  assert.deepEqual(stale, [], 'formats no call uses any more: remove them from the catalog');
});
