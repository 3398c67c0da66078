// The maturity scorecard of a repository governed by govern (issue 14, docs/service-runner.md
// #repository-scorecard), computed from evidence, never typed: closures (`govern audit
// --json`: done items, each backed by a manifest, and how many are stale), gates (`govern
// gates --json`), conformance (`govern adapters check --json`, every pack against
// govern-conformance/1), tests (the Vitest JSON reports `npm test` and `npm run soak`
// write under reports/) and the service operations' levels (the generated operation
// scorecard in docs/service-runner.md).
//
//   node scripts/scorecard.mjs [--root DIR] [--json] [--write] [--cached]   (npm run scorecard)
//
// --write replaces the section between the repo-scorecard markers of docs/service-runner.md.
// --cached reuses stored conformance reports (.govern/adapters/conformance/) when they match.
// Exit 0 when it could compute every dimension, 1 when one is missing (said which), 2 on usage.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const known = new Set(['--root', '--json', '--write', '--cached']);
for (const [i, a] of args.entries()) {
  if (a.startsWith('--') && !known.has(a)) {
    console.error(`usage: node scripts/scorecard.mjs [--root DIR] [--json] [--write] [--cached]\nunknown option ${a}`);
    process.exit(2);
  }
  if (a === '--root' && !args[i + 1]) {
    console.error('usage: --root needs a directory');
    process.exit(2);
  }
}
const root = path.resolve(args.includes('--root') ? args[args.indexOf('--root') + 1] : here);
const BIN = path.join(here, 'apps/cli/bin/govern.mjs');

/** Runs the govern CLI with --json; its JSON even when it exits 1 (diagnostics), else null with why. */
function govern(argv) {
  const r = spawnSync(process.execPath, [BIN, ...argv, '--json', '--root', root], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  try {
    return { value: JSON.parse(r.stdout), problem: null };
  } catch {
    return { value: null, problem: `govern ${argv.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  }
}

const missing = [];
const dims = [];

// Closures: every done item backed by evidence the audit verifies; stale evidence counted.
const audit = govern(['audit']);
if (audit.value) {
  const stale = audit.value.diagnostics.filter((d) => d.code === 'evidence-stale').length;
  const done = audit.value.checked.doneItems;
  const level = audit.value.errors ? 0 : stale ? 2 : 3;
  dims.push({ dimension: 'closures', level, evidence: `${done} done items verified by govern audit, ${audit.value.errors} errors, ${stale} with stale evidence` });
} else missing.push(audit.problem);

// Gates: which libraries the milestone graph enables.
const gates = govern(['gates']);
if (gates.value) {
  const all = gates.value.gates;
  const on = all.filter((g) => g.enabled).length;
  dims.push({ dimension: 'gates', level: all.length ? Math.round((3 * on) / all.length) : 0, evidence: `${on} of ${all.length} gated libraries enabled by done milestones${on < all.length ? ` (blocked: ${all.filter((g) => !g.enabled).map((g) => g.name).join(', ')})` : ''}` });
} else missing.push(gates.problem);

// Conformance: every adapter pack against the standard.
const conf = govern(['adapters', 'check', ...(args.includes('--cached') ? ['--cached'] : [])]);
if (conf.value?.packs) {
  const ok = conf.value.packs.filter((p) => p.ok).length;
  const n = conf.value.packs.length;
  dims.push({ dimension: 'conformance', level: n ? Math.round((3 * ok) / n) : 0, evidence: `${ok} of ${n} adapter packs pass ${conf.value.standard} (${conf.value.packs.map((p) => `${p.pack.name} ${p.ok ? 'pass' : 'FAIL'}`).join(', ')})` });
} else missing.push(conf.problem ?? 'govern adapters check gave no packs');

// Tests: the reports of the last `npm test` and `npm run soak`.
let passed = 0;
let failed = 0;
let reports = 0;
for (const dir of ['reports/vitest', 'reports/vitest-soak']) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) continue;
  for (const f of fs.readdirSync(abs, { recursive: true })) {
    if (!String(f).endsWith('.json')) continue;
    const r = JSON.parse(fs.readFileSync(path.join(abs, String(f)), 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    reports += 1;
  }
}
if (reports) dims.push({ dimension: 'tests', level: failed ? 0 : 3, evidence: `${passed} passed, ${failed} failed in ${reports} Vitest reports (reports/vitest*, from the last npm test and npm run soak)` });
else missing.push('no Vitest reports under reports/: run npm test (and npm run soak) first');

// Service operations: the generated operation scorecard.
const doc = path.join(root, 'docs/service-runner.md');
const opScore = fs.existsSync(doc) ? /Score: \*\*([\d.]+) \/ 3\*\*/.exec(fs.readFileSync(doc, 'utf8')) : null;
if (opScore) dims.push({ dimension: 'service operations', level: Number(opScore[1]), evidence: `the operation scorecard above (mean level of the implemented operations)` });
else missing.push('docs/service-runner.md has no generated operation score');

const overall = dims.length ? Math.min(...dims.map((d) => d.level)) : 0;
const result = { root, overall, dimensions: dims, missing };
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
const table = [
  `- Overall: **${overall} / 3** (the lowest dimension: maturity is what the weakest evidence supports).`,
  '',
  '| dimension | level | evidence |',
  '|---|---:|---|',
  ...dims.map((d) => `| ${d.dimension} | ${Number.isInteger(d.level) ? d.level : d.level.toFixed(2)} | ${d.evidence} |`),
  ...missing.map((m) => `| (missing) | 0 | ${m} |`),
].join('\n');
if (!args.includes('--json')) process.stdout.write(`${table}\n`);
if (args.includes('--write')) {
  const text = fs.readFileSync(doc, 'utf8');
  const begin = '<!-- repo-scorecard:begin (generated by scripts/scorecard.mjs --write) -->';
  const end = '<!-- repo-scorecard:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`docs/service-runner.md has no ${begin} … ${end} section`);
    process.exit(1);
  }
  fs.writeFileSync(doc, `${text.slice(0, i + begin.length)}\n${table}\n${text.slice(j)}`);
}
process.exit(missing.length ? 1 : 0);
