// Warm `next`, `status` and `validate` against a warm `graph --json` at 10,000 documents
// (issue 16: "`next` and `validate` ≤ warm `graph`"; GV-WP-0008-T06 adds the plain `next`
// table and `status`). Each command runs as a whole process on the same warm corpus, the
// commands alternated run after run so that a change of machine load falls on all of them,
// and the medians of wall time and of CPU time (user + sys, from GNU time) are printed.
//
//   node bench/read-commands.mjs [--docs N] [--runs R] [--corpus DIR] [--cli DIR] [--json] [--check]
//
// --cli DIR runs a built CLI (a directory holding bin/ and dist/, e.g. one written by
// scripts/build-cli.mjs's buildCli({ outdir: DIR/dist }) with apps/cli/bin copied beside it)
// from a private copy; without it, apps/cli/bin/govern.mjs of this checkout.
// --check exits 1 when a command's CPU median is more than TOLERANCE over graph's. CPU, not
// wall: on the shared 2-core machine wall time follows the load of other work, CPU time far
// less. The tolerance is the spread of graph's own medians between rounds of the same run
// (3–5%), so "within it" means "not shown to cost more", and the figures say by how much.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { copyCli, parseArgs, prepareCorpus, ROOT, usageOf } from './lib/args.mjs';

const TOLERANCE = 0.05;
const COMMANDS = [
  ['graph --json', ['graph', '--json']],
  ['next --json', ['next', '--json']],
  ['next', ['next']],
  ['status --json', ['status', '--json']],
  ['status', ['status']],
  ['validate', ['validate']],
];

const usage = usageOf('bench/read-commands.mjs', 'usage: node bench/read-commands.mjs [--docs N] [--runs R] [--corpus DIR] [--cli DIR] [--json] [--check]');
const o = parseArgs(
  process.argv.slice(2),
  { docs: 10000, runs: 9, corpus: null, cli: null, json: false, check: false },
  { '--docs': ['docs', 'int'], '--runs': ['runs', 'int'], '--corpus': ['corpus', 'dir'], '--cli': ['cli', 'dir'], '--json': ['json', true], '--check': ['check', true] },
  usage,
);
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
if (!GNU_TIME) usage('needs GNU time (/usr/bin/time) for CPU figures');

const log = (msg) => process.stderr.write(`${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const corpus = o.corpus ?? path.join(ROOT, 'bench', '.corpus', String(o.docs));
prepareCorpus(corpus, o.docs, log);
const cliDir = o.cli ? copyCli(o.cli, 'read-commands') : null;
const bin = cliDir ? path.join(cliDir, 'bin', 'govern.mjs') : path.join(ROOT, 'apps/cli/bin/govern.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-read-commands-'));

/** One run of `args` on the corpus: [wall ms, CPU ms]. Exit 1 (error diagnostics) is a complete run. */
function run(args) {
  const out = fs.openSync(path.join(work, 'out'), 'w');
  const cpuFile = path.join(work, 'cpu');
  const t0 = performance.now();
  const r = spawnSync(GNU_TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, bin, ...args, '--root', corpus], { stdio: ['ignore', out, 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const wall = performance.now() - t0;
  fs.closeSync(out);
  if (r.status !== 0 && r.status !== 1) throw new Error(`govern ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  const [user, sys] = fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return [wall, (user + sys) * 1000];
}

try {
  // Warm: the stored output and the index memo written, the stat trust settled.
  for (let i = 0; i < 2; i++) for (const [label, args] of COMMANDS) {
    log(`warming: ${label}`);
    run(args);
  }
  const load = [os.loadavg()[0]];
  const figures = new Map(COMMANDS.map(([label]) => [label, { wall: [], cpu: [] }]));
  for (let i = 0; i < o.runs; i++) {
    log(`run ${i + 1}/${o.runs}`);
    for (const [label, args] of COMMANDS) {
      const [wall, cpu] = run(args);
      figures.get(label).wall.push(wall);
      figures.get(label).cpu.push(cpu);
    }
  }
  load.push(os.loadavg()[0]);
  const graph = figures.get('graph --json');
  const graphCpu = median(graph.cpu);
  const rows = COMMANDS.map(([label]) => {
    const f = figures.get(label);
    const cpu = median(f.cpu);
    const ratio = cpu / graphCpu;
    return { command: label, wallMs: Math.round(median(f.wall)), cpuMs: Math.round(cpu), cpuVsGraph: Math.round(ratio * 1000) / 1000, met: label === 'graph --json' || ratio <= 1 + TOLERANCE };
  });
  const missed = rows.filter((r) => !r.met);
  const report = { docs: o.docs, runs: o.runs, cores: os.cpus().length, load, tolerance: TOLERANCE, rows, ok: missed.length === 0 };
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`warm read commands, ${o.docs} documents, ${o.runs} alternated runs each, load ${load.map((l) => l.toFixed(2)).join(' → ')}\n`);
    process.stdout.write('command          wall ms   CPU ms   CPU / graph\n');
    for (const r of rows) process.stdout.write(`${r.command.padEnd(16)} ${String(r.wallMs).padStart(7)}  ${String(r.cpuMs).padStart(7)}   ${r.cpuVsGraph.toFixed(3)}${r.met ? '' : '  over'}\n`);
    process.stdout.write(missed.length ? `target missed (CPU more than ${TOLERANCE * 100}% over graph --json): ${missed.map((r) => r.command).join(', ')}\n` : `target met: every command within ${TOLERANCE * 100}% of graph --json's CPU\n`);
  }
  if (o.check && missed.length) process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  if (cliDir) fs.rmSync(cliDir, { recursive: true, force: true });
}
