// Start-up of the govern CLI (docs/benchmarks.md#startup): wall time of `govern --version`
// and of a warm `govern status` on a small repository, against `node -e 0`, and the bytes of
// JavaScript each loads before it runs (from esbuild's metafile, when the build wrote one).
//
//   node bench/startup.mjs [--runs 10] [--cli <bin>]... [--inherit-env] [--check]    (npm run bench:startup)
//
// --check: exit 1 when a target of issue 16 is missed — `govern --version` above 100 ms
// (median), or a heavy dependency (DuckDB, Octokit, OpenTelemetry, the MCP SDK, the web
// view, the adapter kit) in what `--version` or `status` loads.
//
// Each `--cli` is a govern bin (default apps/cli/bin/govern.mjs): pass two to compare
// builds, e.g. one of another commit (see docs/benchmarks.md). Runs are interleaved — one
// of each command in turn — so that a change in the machine's load hits every command alike.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
// `--runs` absent means 10; `args[indexOf + 1]` would read the first argument (`--check`) as the count.
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 10;
const check = args.includes('--check');
const TARGET_VERSION_MS = 100;
// What `--version` and `status` must not load: each is for the commands that use it.
const HEAVY = /node_modules\/(@duckdb|@octokit|@opentelemetry|@modelcontextprotocol|cytoscape|playwright-core|esbuild)\/|^libs\/(web-view|adapter-kit|adapters|duckdb|github|memory-store|service-runner|http-service|statehub-server)\//;
if (!(Number.isInteger(runs) && runs > 0)) {
  console.error('usage: node bench/startup.mjs [--runs N] [--cli <bin>]... [--inherit-env] [--check]');
  process.exit(2);
}
const clis = args.flatMap((a, i) => (args[i - 1] === '--cli' ? [path.resolve(a)] : []));
if (!clis.length) clis.push(path.join(root, 'apps/cli/bin/govern.mjs'));

// A small repository: one tracker, one workplan (5 items).
const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-startup-'));
const write = (rel, text) => {
  fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
  fs.writeFileSync(path.join(repo, rel), text);
};
write('trackers/tracker.md', '# Tracker\n\n| Milestone | Priority | Depends On | Status |\n|---|---|---|---|\n| LM-01 Baseline | P0 | - | Done |\n| LM-02 Store | P1 | LM-01 | In Progress |\n| LM-03 API | P0 | LM-01 | Planned |\n');
write('workplans/wp-01.md', '---\nid: WP-01\ntype: workplan\ntitle: Hardening\nstatus: in progress\n---\n\n# WP-01: Hardening\n\n## T01 - Runner\n\nid: WP-01-T01\nstatus: in progress\npriority: high\n');
spawnSync('git', ['init', '-q'], { cwd: repo });

// Only PATH and HOME by default: a variable such as NODE_EXTRA_CA_CERTS (set on some
// machines) costs every Node process, `node -e 0` included, tens of milliseconds at start.
// `--inherit-env` measures with this shell's environment instead.
const env = args.includes('--inherit-env') ? process.env : { PATH: process.env.PATH, HOME: process.env.HOME };
const cases = [{ label: 'node -e 0', argv: ['-e', '0'] }];
for (const [i, cli] of clis.entries()) {
  const tag = clis.length > 1 ? ` [${i + 1}]` : '';
  cases.push({ label: `govern --version${tag}`, argv: [cli, '--version'] }, { label: `govern status${tag}`, argv: [cli, 'status'] });
}
for (const c of cases) {
  // The first status writes the parse cache: every measured status is a warm one.
  const r = spawnSync(process.execPath, c.argv, { cwd: repo, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
  c.ms = [];
}
for (let n = 0; n < runs; n++) {
  for (const c of cases) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, c.argv, { cwd: repo, env });
    c.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
fs.rmSync(repo, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} runs each, interleaved, ${env === process.env ? 'inherited environment' : 'environment PATH and HOME only'}`);
console.log('| command | median ms | min ms | max ms |\n|---|---:|---:|---:|');
for (const c of cases) console.log(`| ${c.label} | ${median(c.ms).toFixed(1)} | ${Math.min(...c.ms).toFixed(1)} | ${Math.max(...c.ms).toFixed(1)} |`);
const missed = [];
for (const c of cases) {
  // Not `> target`: a median that is not a number (no run measured) is a miss, never a pass.
  if (c.label.startsWith('govern --version') && !(median(c.ms) <= TARGET_VERSION_MS)) missed.push(`${c.label}: median ${median(c.ms).toFixed(1)} ms > ${TARGET_VERSION_MS} ms`);
}

// Bytes loaded: the outputs an entry imports statically, transitively (what Node reads and
// compiles before the command runs); `status` adds its command's chunk, imported when it runs.
for (const [i, cli] of clis.entries()) {
  const metaFile = path.join(path.dirname(cli), '../dist/meta.json');
  if (!fs.existsSync(metaFile)) continue;
  const { outputs } = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  const closure = (out, seen = new Set()) => {
    if (!seen.has(out)) {
      seen.add(out);
      for (const imp of outputs[out].imports) if (imp.kind === 'import-statement' && !imp.external) closure(imp.path, seen);
    }
    return seen;
  };
  // Entry points are recorded relative to where the build ran.
  const entry = (input) => Object.keys(outputs).find((o) => outputs[o].entryPoint?.endsWith(input));
  const bytes = (set) => [...set].reduce((n, o) => n + outputs[o].bytes, 0);
  if (!entry('apps/cli/src/main.ts')) continue;
  const main = closure(entry('apps/cli/src/main.ts'));
  const status = entry('apps/cli/src/commands/status.ts');
  const withStatus = status ? closure(status, new Set(main)) : main;
  console.log(`[${i + 1}] JavaScript loaded: --version ${bytes(main)} bytes in ${main.size} files; status ${bytes(withStatus)} bytes in ${withStatus.size} files`);
  // The inputs (source files and packages) bundled into what each command loads.
  const heavy = (set) => [...new Set([...set].flatMap((o) => Object.keys(outputs[o].inputs)).filter((f) => HEAVY.test(f)).map((f) => f.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, '$1').replace(/^(libs\/[^/]+)\/.*$/, '$1')))];
  for (const [label, set] of [['--version', main], ['status', withStatus]]) {
    const h = heavy(set);
    console.log(`[${i + 1}] heavy dependencies loaded by ${label}: ${h.length ? h.join(', ') : 'none'}`);
    if (h.length) missed.push(`[${i + 1}] ${label} loads ${h.join(', ')}`);
  }
}
if (missed.length) console.log(`targets missed (--version ≤ ${TARGET_VERSION_MS} ms, no heavy dependency at start):\n- ${missed.join('\n- ')}`);
else console.log(`targets met: --version ≤ ${TARGET_VERSION_MS} ms (median), no heavy dependency loaded by --version or status`);
if (check && missed.length) process.exitCode = 1;
