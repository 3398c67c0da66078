#!/usr/bin/env node
// Real-world format benchmark for the @govern/workplan parser (see docs/benchmarks-formats.md).
//
//   npm run bench:formats                # table per class, exit 1 when a goal is missed
//   node bench/formats.mjs --json        # the figures as one JSON object on stdout
//   node bench/formats.mjs --report-only # always exit 0
//   node bench/formats.mjs --verbose     # also list, per document, missed and invented items
//
// Parses every document of bench/formats/corpus/<class>/*.md with the default profile and
// compares the items it reads with bench/formats/truth/<name>.json (rules in
// bench/formats/README.md). The parser is bundled with esbuild into a temporary file first,
// so this runs on the TypeScript sources without a build.
//
// Matching, per document: a parsed item matches a truth item when their normalized ids are
// equal (the parser's localId, else its id, else the part of its id after the last `:`), else
// when their normalized titles are equal, else when one normalized title starts with the
// other and the shorter has at least 12 characters. Each truth item matches at most one
// parsed item; ids are tried for every item before titles. Normalizing lower-cases, drops
// Markdown emphasis and code marks, and keeps letters, digits and dots (ids) or single spaces
// (titles).
//
// Figures (per class and in total):
//   item recall      matched truth items / truth items                           goal ≥ 90 %
//   invented         parsed items matching no truth item / parsed items           goal ≤ 2 %
//   status accuracy  matched truth items with a stated status whose parsed status
//                    is the same / matched truth items with a stated status        goal ≥ 95 %
//   dependency recall truth edges A→B where A matched and the parsed A lists a
//                    dependency naming B (its truth id or the parsed id of B's match)
//                    / all truth edges                                              goal ≥ 80 %
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CORPUS = path.join(ROOT, 'bench/formats/corpus');
const TRUTH = path.join(ROOT, 'bench/formats/truth');
const GOALS = { recall: 0.9, invented: 0.02, status: 0.95, deps: 0.8 };

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--json', '--report-only', '--verbose', '-h', '--help'].includes(a)) {
    console.error(`formats: unknown argument ${a}\nusage: node bench/formats.mjs [--json] [--report-only] [--verbose]`);
    process.exit(2);
  }
}
if (args.has('-h') || args.has('--help')) {
  console.error('usage: node bench/formats.mjs [--json] [--report-only] [--verbose]');
  process.exit(0);
}
const JSON_OUT = args.has('--json');
const log = (...a) => (JSON_OUT ? console.error(...a) : console.log(...a));

// ---------------------------------------------------------------------------------------
// The parser

async function loadParser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-formats-'));
  const outfile = path.join(dir, 'workplan.mjs');
  try {
    await build({
      entryPoints: [path.join(ROOT, 'libs/workplan/src/index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      // CJS dependencies bundled into ESM need a require().
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Normalizing and matching

const strip = (s) => String(s ?? '').replace(/[*_`~]/g, '').toLowerCase();
const normId = (s) => strip(s).replace(/[^a-z0-9.]/g, '');
const normTitle = (s) => strip(s).replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function parsedIds(p) {
  const ids = new Set();
  for (const v of [p.localId, p.id, String(p.id ?? '').split(':').pop()]) if (v) ids.add(normId(v));
  ids.delete('');
  return ids;
}

function match(truthItems, parsedItems) {
  const pairs = new Map(); // truth index -> parsed index
  const usedP = new Set();
  const tIds = truthItems.map((t) => normId(t.id));
  const tTitles = truthItems.map((t) => normTitle(t.title || t.id));
  // 1. ids
  parsedItems.forEach((p, pi) => {
    const ids = parsedIds(p);
    const ti = tIds.findIndex((id, i) => !pairs.has(i) && id && ids.has(id));
    if (ti >= 0) {
      pairs.set(ti, pi);
      usedP.add(pi);
    }
  });
  // 2. exact titles, 3. title prefixes
  for (const exact of [true, false]) {
    parsedItems.forEach((p, pi) => {
      if (usedP.has(pi)) return;
      const pt = normTitle(p.title);
      if (!pt) return;
      const ti = tTitles.findIndex((tt, i) => {
        if (pairs.has(i) || !tt) return false;
        if (exact) return tt === pt;
        const [a, b] = tt.length <= pt.length ? [tt, pt] : [pt, tt];
        return a.length >= 12 && b.startsWith(a);
      });
      if (ti >= 0) {
        pairs.set(ti, pi);
        usedP.add(pi);
      }
    });
  }
  return { pairs, usedP };
}

// ---------------------------------------------------------------------------------------
// Scoring

function emptyTotals() {
  return { documents: 0, truthItems: 0, parsedItems: 0, matched: 0, statusStated: 0, statusCorrect: 0, edges: 0, edgesFound: 0, parseErrors: 0 };
}

function scoreDocument(truth, doc) {
  const parsed = doc?.items ?? [];
  const items = truth.items;
  const { pairs, usedP } = match(items, parsed);
  const r = emptyTotals();
  r.documents = 1;
  r.truthItems = items.length;
  r.parsedItems = parsed.length;
  r.matched = pairs.size;
  const statusMisses = [];
  for (const [ti, pi] of pairs) {
    const t = items[ti];
    if (t.status == null) continue;
    r.statusStated++;
    if (parsed[pi].status === t.status) r.statusCorrect++;
    else statusMisses.push(`${t.id}: ${parsed[pi].status ?? 'null'} (truth ${t.status})`);
  }
  const byTruthId = new Map(items.map((t, i) => [normId(t.id), i]));
  items.forEach((t, ti) => {
    for (const dep of t.dependsOn ?? []) {
      r.edges++;
      if (!pairs.has(ti)) continue;
      const p = parsed[pairs.get(ti)];
      const names = new Set((p.dependencies ?? []).flatMap((d) => [normId(d.id), normId(String(d.id).split(':').pop())]));
      const targets = new Set([normId(dep)]);
      const di = byTruthId.get(normId(dep));
      if (di !== undefined && pairs.has(di)) for (const id of parsedIds(parsed[pairs.get(di)])) targets.add(id);
      if ([...targets].some((x) => names.has(x))) r.edgesFound++;
    }
  });
  const missed = items.filter((_, i) => !pairs.has(i)).map((t) => t.id);
  const invented = parsed.filter((_, i) => !usedP.has(i)).map((p) => p.localId || p.id);
  return { r, missed, invented, statusMisses };
}

function addTo(a, b) {
  for (const k of Object.keys(a)) a[k] += b[k];
}

const pct = (n, d) => (d ? n / d : null);
function figures(t) {
  return {
    ...t,
    recall: pct(t.matched, t.truthItems),
    invented: t.parsedItems ? (t.parsedItems - t.matched) / t.parsedItems : 0,
    statusAccuracy: pct(t.statusCorrect, t.statusStated),
    dependencyRecall: pct(t.edgesFound, t.edges),
  };
}

// ---------------------------------------------------------------------------------------
// Main

const t0 = performance.now();
const wp = await loadParser();
const profile = wp.compileProfile(wp.DEFAULT_PROFILE);

const classes = fs
  .readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const perClass = {};
const total = emptyTotals();
const documents = [];
const problems = [];
// The corpus must stay what PROVENANCE.md says it is: every file has a row whose byte
// count matches, and there are at least MIN_DOCUMENTS of them (issue 15).
const MIN_DOCUMENTS = 40;
const provenance = new Map(
  [...fs.readFileSync(path.join(CORPUS, 'PROVENANCE.md'), 'utf8').matchAll(/^\| `([^`]+)` \|.*\| (\d+) \|\s*$/gm)].map((m) => [m[1], Number(m[2])]),
);
for (const cls of classes) {
  const acc = emptyTotals();
  for (const f of fs.readdirSync(path.join(CORPUS, cls)).filter((x) => x.endsWith('.md')).sort()) {
    const name = f.slice(0, -3);
    const truthFile = path.join(TRUTH, `${name}.json`);
    if (!fs.existsSync(truthFile)) {
      problems.push(`no truth for ${cls}/${f}`);
      continue;
    }
    const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
    const bytes = fs.statSync(path.join(CORPUS, cls, f)).size;
    const recorded = provenance.get(`${cls}/${f}`);
    if (recorded === undefined) problems.push(`no PROVENANCE.md row for ${cls}/${f}`);
    else if (recorded !== bytes) problems.push(`${cls}/${f} is ${bytes} bytes, PROVENANCE.md says ${recorded}: not the copied file`);
    const text = fs.readFileSync(path.join(CORPUS, cls, f), 'utf8');
    const res = wp.parseDocument({ file: `${cls}/${f}`, text }, profile);
    const { r, missed, invented: inventedItems, statusMisses } = scoreDocument(truth, res.document);
    if (!res.document || res.diagnostics.some((d) => d.code === 'internal-error')) r.parseErrors = 1;
    addTo(acc, r);
    documents.push({ class: cls, file: f, family: res.document?.family ?? null, ...figures(r), missed, inventedItems, statusMisses });
  }
  perClass[cls] = figures(acc);
  addTo(total, acc);
}
if (documents.length < MIN_DOCUMENTS) problems.push(`the corpus has ${documents.length} documents, fewer than ${MIN_DOCUMENTS}`);
const totals = figures(total);
const elapsedMs = Math.round(performance.now() - t0);

const goals = [
  { name: 'item recall', value: totals.recall, goal: `≥ ${GOALS.recall * 100} %`, ok: (totals.recall ?? 0) >= GOALS.recall },
  { name: 'stated-status accuracy', value: totals.statusAccuracy, goal: `≥ ${GOALS.status * 100} %`, ok: (totals.statusAccuracy ?? 0) >= GOALS.status },
  { name: 'dependency recall', value: totals.dependencyRecall, goal: `≥ ${GOALS.deps * 100} %`, ok: (totals.dependencyRecall ?? 0) >= GOALS.deps },
  { name: 'invented items', value: totals.invented, goal: `≤ ${GOALS.invented * 100} %`, ok: totals.invented <= GOALS.invented },
];

const f1 = (x) => (x == null ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);
if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), elapsedMs, perClass, total: totals, goals, documents, problems }, null, 2)}\n`);
} else {
  log(`formats: ${total.documents} documents in ${classes.length} classes, parsed in ${elapsedMs} ms (incl. bundling)\n`);
  log(`${'class'.padEnd(14)} ${'docs'.padStart(4)} ${'truth'.padStart(6)} ${'parsed'.padStart(6)} ${'recall'.padStart(7)} ${'invented'.padStart(8)} ${'status'.padStart(7)} ${'deps'.padStart(7)}`);
  for (const [cls, c] of [...Object.entries(perClass), ['TOTAL', totals]]) {
    log(`${cls.padEnd(14)} ${String(c.documents).padStart(4)} ${String(c.truthItems).padStart(6)} ${String(c.parsedItems).padStart(6)} ${f1(c.recall).padStart(7)} ${f1(c.invented).padStart(8)} ${f1(c.statusAccuracy).padStart(7)} ${f1(c.dependencyRecall).padStart(7)}`);
  }
  log('(status: over matched items whose truth states a status; deps: over all truth edges)');
  if (args.has('--verbose')) {
    for (const d of documents) {
      log(`\n${d.class}/${d.file} [${d.family}] recall ${f1(d.recall)} invented ${f1(d.invented)}`);
      if (d.missed.length) log(`  missed:   ${d.missed.join(', ')}`);
      if (d.inventedItems.length) log(`  invented: ${d.inventedItems.join(', ')}`);
      if (d.statusMisses.length) log(`  status:   ${d.statusMisses.join('; ')}`);
    }
  }
  for (const p of problems) log(`warning: ${p}`);
  log('');
}
for (const g of goals) process.stderr.write(`goal: ${g.name} ${f1(g.value).trim()} (goal ${g.goal}) → ${g.ok ? 'MET' : 'MISSED'}\n`);
// --report-only forgives missed goals, never a corpus that is not what it claims to be.
if (problems.length || (!args.has('--report-only') && goals.some((g) => !g.ok))) process.exit(1);
