// The `test` suite's time budget: every test case under 5 s (issue 10; long cases belong in
// `soak`). Reads the Vitest JSON reports that `npm test` writes to reports/vitest/ and
// exits 1 naming each case over the budget, with its project and duration.
// Usage: node scripts/test-budget.mjs [--budget-ms 5000] [--dir reports/vitest]
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const budgetMs = Number(opt('--budget-ms', '5000'));
const dir = opt('--dir', 'reports/vitest');
if (!fs.existsSync(dir)) {
  console.error(`test-budget: ${dir} does not exist; run npm test first`);
  process.exit(2);
}
const over = [];
let cases = 0;
let slowest = { ms: 0, name: '' };
for (const f of fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.json')).sort()) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const file of report.testResults ?? []) {
    for (const a of file.assertionResults ?? []) {
      cases++;
      const ms = a.duration ?? 0;
      const name = `${f.replace(/\.json$/, '')}: ${path.basename(file.name)} > ${a.fullName ?? a.title}`;
      if (ms > slowest.ms) slowest = { ms, name };
      if (ms > budgetMs) over.push({ ms, name });
    }
  }
}
console.log(`test-budget: ${cases} cases, slowest ${Math.round(slowest.ms)} ms (${slowest.name})`);
for (const o of over.sort((a, b) => b.ms - a.ms)) console.log(`  over ${budgetMs} ms: ${Math.round(o.ms)} ms  ${o.name}`);
if (over.length) {
  console.log(`test-budget: ${over.length} case(s) over the budget; move them to a *.soak.ts file or make them faster`);
  process.exit(1);
}
