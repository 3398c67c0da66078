#!/usr/bin/env node
// Deterministic synthetic corpus for the read-path benchmark.
//
//   node bench/generate-corpus.mjs <outDir> <count>
//
// Writes <count> Markdown documents of about 5 KB each into <outDir>/workplans/ and
// <outDir>/trackers/, in three families chosen round-robin (document i is family i % 3):
//   tracker   trackers/tr<NNNN>-<slug>-tracker.md   milestone table, dependency matrix, packet ids
//   workplan  workplans/WP-<NNNN>-<slug>.md         YAML front matter + `## T01 - Title` tasks
//   plan      workplans/plan-<NNNN>.md              `### K0: Title` and/or `## PHASE 3 — … — COMPLETE`
//
// Every document draws from its own PRNG seeded with its number, so the output does not
// depend on the machine, the Node version or Math.random, and the corpus for N documents is
// a prefix of the corpus for any larger N. Ids are unique across the corpus because they
// carry the document number (TR0042-01, WP-0042-T01).
//
// A manifest `<outDir>/.corpus.json` records the count and generator version; read-path.mjs
// uses it to reuse a corpus. The generator only clears workplans/ and trackers/ of a
// directory that holds such a manifest, and refuses to write into non-empty ones otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATOR_VERSION = 1;
export const MANIFEST = '.corpus.json';

// ---------------------------------------------------------------------------------------
// PRNG: mulberry32 over a seed mixed from the document number.

/** mulberry32: a small seeded generator (also the memory query benchmark's). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRng(docNumber) {
  const next = mulberry32(Math.imul(docNumber + 1, 0x9e3779b1) ^ 0x5eed1234);
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    hex: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
      return s;
    },
  };
  rng.uuid = () =>
    `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.pick(['8', '9', 'a', 'b'])}${rng.hex(3)}-${rng.hex(12)}`;
  return rng;
}

// ---------------------------------------------------------------------------------------
// Vocabulary

const NOUNS = [
  'parser', 'cache', 'index', 'gateway', 'scheduler', 'ledger', 'registry', 'pipeline', 'worker',
  'manifest', 'snapshot', 'profile', 'policy', 'adapter', 'bundle', 'checkpoint', 'queue', 'resolver',
  'validator', 'renderer', 'exporter', 'schema', 'migration', 'fixture', 'runtime', 'dashboard',
  'report', 'tracker', 'workstream', 'milestone', 'gate', 'release', 'rollout', 'audit', 'budget',
  'contract', 'endpoint', 'session', 'token', 'archive', 'mirror', 'catalog', 'sandbox', 'probe',
];
const ADJECTIVES = [
  'incremental', 'deterministic', 'persistent', 'shared', 'typed', 'cold', 'warm', 'partial',
  'external', 'internal', 'stable', 'legacy', 'minimal', 'strict', 'lazy', 'batched', 'signed',
  'versioned', 'isolated', 'portable', 'canonical', 'derived', 'offline', 'remote',
];
const VERBS = [
  'validate', 'normalize', 'reconcile', 'index', 'migrate', 'render', 'publish', 'verify', 'record',
  'retire', 'bootstrap', 'harden', 'split', 'merge', 'document', 'measure', 'cache', 'replay',
  'schedule', 'refactor', 'expose', 'trace', 'pin', 'deduplicate',
];
const FILLER = [
  'the', 'a', 'each', 'every', 'this', 'that', 'with', 'without', 'before', 'after', 'when', 'so',
  'because', 'until', 'across', 'within', 'per', 'only', 'also', 'still', 'then', 'once', 'and', 'or',
  'must', 'should', 'can', 'will', 'is', 'are', 'stays', 'keeps', 'owns', 'reads', 'writes', 'checks',
];
const DOMAINS = ['platform', 'data', 'governance', 'infra', 'tooling', 'security', 'docs', 'release'];
const REPOS = ['govern-monorepo', 'state-hub', 'ops-runtime', 'edge-services', 'data-lake', 'web-console'];
const OWNERS = ['alice', 'bruno', 'chen', 'dana', 'emeka', 'farah', 'goran', 'hana', 'ivo', 'jun'];

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const pad = (n, w = 4) => String(n).padStart(w, '0');
const pad2 = (n) => String(n).padStart(2, '0');

function title(rng, min = 2, max = 4) {
  const n = rng.int(min, max);
  const words = [];
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    words.push(r < 0.3 ? rng.pick(ADJECTIVES) : r < 0.55 ? rng.pick(VERBS) : rng.pick(NOUNS));
  }
  return words.map(cap).join(' ');
}

const slugify = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function word(rng) {
  const r = rng.next();
  if (r < 0.4) return rng.pick(FILLER);
  if (r < 0.7) return rng.pick(NOUNS);
  if (r < 0.85) return rng.pick(VERBS);
  return rng.pick(ADJECTIVES);
}

function sentence(rng) {
  const n = rng.int(8, 18);
  const words = [];
  for (let i = 0; i < n; i++) {
    let w = word(rng);
    const r = rng.next();
    if (r < 0.04) w = `\`${w}\``;
    else if (r < 0.06) w = `*${w}*`;
    else if (r < 0.07) w = `**${w}**`;
    else if (r < 0.075) w = `[${w}](https://example.com/${w})`;
    words.push(w);
    if (i > 2 && i < n - 2 && rng.chance(0.05)) words[words.length - 1] += ',';
  }
  return cap(words.join(' ')) + '.';
}

function paragraph(rng, min = 2, max = 5) {
  const n = rng.int(min, max);
  const s = [];
  for (let i = 0; i < n; i++) s.push(sentence(rng));
  return s.join(' ');
}

function date(rng, month, lo = 1, hi = 28) {
  return `2026-${pad2(month)}-${pad2(rng.int(lo, hi))}`;
}

/** Padding: adds prose paragraphs to `slot` until the whole document reaches `target` bytes. */
function fill(rng, parts, slot, target) {
  const size = () => Buffer.byteLength(parts.flat().join('\n'));
  let guard = 0;
  while (size() < target && guard++ < 200) parts[slot].push(paragraph(rng), '');
}

function proseTable(rng) {
  const rows = rng.int(2, 4);
  const out = ['| Area | Note | Owner |', '|---|---|---|'];
  for (let i = 0; i < rows; i++) out.push(`| ${title(rng, 1, 2)} | ${sentence(rng)} | ${rng.pick(OWNERS)} |`);
  return out;
}

function codeBlock(rng) {
  const lang = rng.pick(['sh', 'json', 'yaml', 'ts']);
  const body = {
    sh: [`npm run ${rng.pick(VERBS)} -- --${rng.pick(NOUNS)}`, `node scripts/${rng.pick(VERBS)}.mjs ${rng.pick(NOUNS)}`],
    json: ['{', `  "${rng.pick(NOUNS)}": ${rng.int(1, 999)},`, `  "${rng.pick(NOUNS)}": "${rng.pick(ADJECTIVES)}"`, '}'],
    yaml: [`${rng.pick(NOUNS)}:`, `  ${rng.pick(NOUNS)}: ${rng.pick(ADJECTIVES)}`, `  limit: ${rng.int(1, 64)}`],
    ts: [`export function ${rng.pick(VERBS)}(${rng.pick(NOUNS)}: string): boolean {`, `  return ${rng.pick(NOUNS)}.length > ${rng.int(0, 9)};`, '}'],
  }[lang];
  return ['```' + lang, ...body, '```'];
}

// ---------------------------------------------------------------------------------------
// Families

function tracker(n, rng, target) {
  const num = pad(n);
  const name = title(rng, 2, 3);
  const count = rng.int(9, 11);
  // Statuses progress along the order so that nothing Done depends on unfinished work:
  // rows before `cut` are Done, the next one or two In Progress / Partial, the rest Planned.
  const cut = rng.int(0, count);
  const ids = [];
  const rows = [];
  const deps = [];
  for (let i = 0; i < count; i++) {
    const id = `TR${num}-${pad2(i + 1)}`;
    const d = [];
    if (i > 0) {
      const k = rng.chance(0.35) ? 0 : rng.int(1, Math.min(2, i));
      const pool = ids.slice();
      for (let j = 0; j < k && pool.length; j++) d.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]);
      d.sort();
    }
    const status =
      i < cut ? `Done (#${rng.int(1, 480)})` : i < cut + 2 ? rng.pick(['In Progress', 'Partial']) : 'Planned';
    ids.push(id);
    deps.push(d);
    rows.push(
      `| ${i + 1} | ${id} ${title(rng, 2, 4)} | ${cap(rng.pick(VERBS))} the ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} | ` +
        `${rng.pick(['P0', 'P1', 'P2', 'P3'])} | ${d.length ? d.join(', ') : '-'} | ${status} |`,
    );
  }
  const m = ids.slice(0, 4);
  const matrix = [`| Row \\ Col | ${m.join(' | ')} |`, `|---|${m.map(() => '---:').join('|')}|`];
  for (let r = 0; r < m.length; r++) matrix.push(`| ${m[r]} | ${m.map((c) => (deps[r].includes(c) ? '1' : '0')).join(' | ')} |`);

  const parts = [
    [`# ${name} Tracker`, '', 'Date: 2026-02-15', '', paragraph(rng), ''],
    [], // padding slot 1
    ['## Milestones', '', '| Order | Milestone | Scope | Priority | Depends On | Status |', '|---:|---|---|---|---|---|', ...rows, ''],
    ['## Dependency Matrix', '', paragraph(rng, 1, 2), '', ...matrix, ''],
    ['## Packet IDs', '', ...ids.map((id, i) => `${i + 1}. \`${id}\``), ''],
    ['Evidence roots:', '', ...ids.map((id) => `- \`ops/runtime/${id.toLowerCase()}/\``), ''],
    ['## Notes', '', paragraph(rng), ''],
    [], // padding slot 7
  ];
  if (rng.chance(0.3)) parts[6].push(...proseTable(rng), '');
  // Spread the padding over the introduction and the notes.
  fill(rng, parts, 1, target - 1400);
  fill(rng, parts, 7, target);
  return { rel: `trackers/tr${num}-${slugify(name)}-tracker.md`, text: parts.flat().join('\n') };
}

function workplan(n, rng, target) {
  const num = pad(n);
  const id = `WP-${num}`;
  const name = title(rng, 2, 4);
  const taskCount = rng.int(5, 6);
  // Tasks before `cut` are done, the one at `cut` in progress, later ones planned; the
  // workplan's status follows from its tasks.
  const cut = rng.int(0, taskCount);
  const status = cut === taskCount ? 'done' : cut === 0 && rng.chance(0.5) ? 'planned' : 'in_progress';
  const taskStatus = (t) => (t - 1 < cut ? 'done' : t - 1 === cut && status === 'in_progress' ? 'in_progress' : 'planned');
  const created = date(rng, 1);
  const fm = [
    '---',
    `id: ${id}`,
    'type: workplan',
    `title: "${name}"`,
    `domain: ${rng.pick(DOMAINS)}`,
    `repo: ${rng.pick(REPOS)}`,
    `status: ${status}`,
    `owner: ${rng.pick(OWNERS)}`,
    `topic_slug: ${slugify(name)}`,
    `created: "${created}"`,
    `updated: "${date(rng, 2)}"`,
    `state_hub_workstream_id: "${rng.uuid()}"`,
    '---',
    '',
  ];
  const tasks = [];
  for (let t = 1; t <= taskCount; t++) {
    const tid = `${id}-T${pad2(t)}`;
    const lines = [`## T${pad2(t)} - ${title(rng, 2, 4)}`, '', `id: ${tid}`];
    lines.push(`status: ${taskStatus(t)}`);
    lines.push(`priority: ${rng.pick(['high', 'medium', 'low'])}`);
    lines.push(`state_hub_task_id: "${rng.uuid()}"`);
    if (t > 1 && rng.chance(0.6)) lines.push(`depends_on: ${id}-T${pad2(rng.int(1, t - 1))}`);
    lines.push('', paragraph(rng, 2, 4), '', 'Acceptance:', '');
    const bullets = rng.int(2, 3);
    for (let b = 0; b < bullets; b++) lines.push(`- ${sentence(rng)}`);
    lines.push('');
    if (rng.chance(0.12)) lines.push(...codeBlock(rng), '');
    tasks.push(lines);
  }
  const parts = [fm, [`# ${id}: ${name}`, '', '## Goal', '', paragraph(rng), ''], [], ...tasks];
  fill(rng, parts, 2, target);
  return { rel: `workplans/${id}-${slugify(name)}.md`, text: parts.flat().join('\n') };
}

function plan(n, rng, target) {
  const num = pad(n);
  const r = rng.next();
  const style = r < 0.45 ? 'k' : r < 0.8 ? 'phase' : 'both';
  const parts = [[`# Plan ${num}`, '', paragraph(rng), ''], []];
  if (rng.chance(0.35)) parts.push([...codeBlock(rng), '']);
  if (style !== 'phase') {
    const block = ['## Milestones', ''];
    const k = style === 'both' ? 4 : rng.int(4, 6);
    let doneSoFar = true;
    for (let i = 0; i < k; i++) {
      const done = doneSoFar && rng.chance(0.6);
      doneSoFar = done;
      block.push(`### K${i}: ${title(rng, 2, 4)}`, '', paragraph(rng, 2, 3), '', `Status: ${done ? 'Done' : 'Planned'}`, '', 'Exit criteria:', '');
      const items = rng.int(2, 4);
      for (let j = 0; j < items; j++) block.push(`- [${done ? 'x' : ' '}] ${sentence(rng)}`);
      block.push('');
      if (rng.chance(0.15)) block.push(...proseTable(rng), '');
    }
    parts.push(block);
  }
  if (style !== 'k') {
    const block = [];
    const first = rng.int(1, 3);
    const count = style === 'both' ? rng.int(2, 3) : rng.int(3, 5);
    const completeUntil = rng.int(0, count);
    for (let i = 0; i < count; i++) {
      const st = i < completeUntil ? 'COMPLETE' : i === completeUntil ? 'IN PROGRESS' : 'PLANNED';
      block.push(`## PHASE ${first + i} — ${title(rng, 2, 3)} — ${st}`, '', `### Status: ${st}`, '', paragraph(rng, 2, 3), '');
      block.push(st === 'COMPLETE' ? '### Exit Criteria (verified)' : '### Exit Criteria', '');
      const items = rng.int(2, 4);
      for (let j = 0; j < items; j++) {
        const checked = st === 'COMPLETE' || (st === 'IN PROGRESS' && rng.chance(0.5));
        block.push(`- [${checked ? 'x' : ' '}] ${sentence(rng)}`);
      }
      block.push('');
      if (rng.chance(0.2)) block.push(...codeBlock(rng), '');
      if (rng.chance(0.15)) block.push(...proseTable(rng), '');
    }
    parts.push(block);
  }
  fill(rng, parts, 1, target);
  return { rel: `workplans/plan-${num}.md`, text: parts.flat().join('\n') };
}

const FAMILIES = [tracker, workplan, plan];

/** Returns { rel, text } for document n (0-based). Pure: same n, same output. */
export function makeDocument(n) {
  const rng = makeRng(n);
  const target = rng.int(4700, 5300);
  return FAMILIES[n % FAMILIES.length](n, rng, target);
}

function isNonEmptyDir(dir) {
  try {
    return fs.readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** Writes the corpus; returns { count, bytes }. */
export function generateCorpus(outDir, count) {
  const manifestPath = path.join(outDir, MANIFEST);
  const sub = ['workplans', 'trackers'].map((d) => path.join(outDir, d));
  if (fs.existsSync(manifestPath)) {
    for (const d of sub) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(path.join(outDir, '.govern'), { recursive: true, force: true });
    fs.rmSync(manifestPath, { force: true });
  } else if (sub.some(isNonEmptyDir)) {
    throw new Error(`${outDir} already has workplans/ or trackers/ content and no ${MANIFEST}; refusing to overwrite`);
  }
  for (const d of sub) fs.mkdirSync(d, { recursive: true });
  let bytes = 0;
  for (let n = 0; n < count; n++) {
    const { rel, text } = makeDocument(n);
    const buf = Buffer.from(text.endsWith('\n') ? text : text + '\n');
    fs.writeFileSync(path.join(outDir, rel), buf);
    bytes += buf.length;
  }
  fs.writeFileSync(manifestPath, JSON.stringify({ generatorVersion: GENERATOR_VERSION, count, bytes }, null, 2) + '\n');
  return { count, bytes };
}

/** The manifest of a generated corpus, or null. */
export function readManifest(outDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  if (!outDir || !Number.isInteger(count) || count < 1) {
    console.error('usage: node bench/generate-corpus.mjs <outDir> <count>');
    process.exit(2);
  }
  try {
    const { bytes } = generateCorpus(outDir, count);
    console.log(`documents: ${count}`);
    console.log(`bytes: ${bytes} (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${(bytes / count / 1024).toFixed(2)} KiB/doc)`);
  } catch (err) {
    console.error(String(err?.message ?? err));
    process.exit(1);
  }
}
