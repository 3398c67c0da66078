#!/usr/bin/env node
// Wall time of `govern task set-status` as a whole process on a generated repository.
//
//   npm run bench:write                 # 1,000 documents, 41 writes
//   node bench/set-status.mjs --docs 1000 --writes 41 --json
//
// It copies a generated corpus (bench/generate-corpus.mjs) into a temporary git-less
// directory, warms the parse cache with one `govern graph --json`, then runs
// `node apps/cli/bin/govern.mjs task set-status <id> <status> --root <copy> --json`
// once per write, one after another, toggling milestones and tasks between planned and
// blocked (transitions that need no dependency). Each run is timed from spawn to exit.
// Printed: p50, p90, min, max (ms), and the same for a warm `govern graph --json` on the
// same copy, measured in the same run, so the cost of the write itself shows.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus, readManifest } from './generate-corpus.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const BIN = path.join(ROOT, 'apps/cli/bin/govern.mjs');

function args(argv) {
  const o = { docs: 1000, writes: 41, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--docs') o.docs = Number(argv[++i]);
    else if (a === '--writes') o.writes = Number(argv[++i]);
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node bench/set-status.mjs [--docs N] [--writes N] [--json]\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown option ${a}\n`);
      process.exit(2);
    }
  }
  return o;
}

function corpus(n) {
  const dir = path.join(ROOT, 'bench', '.corpus', String(n));
  if (!readManifest(dir)) generateCorpus(dir, n);
  return dir;
}

function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.includes(`${path.sep}.govern`) });
}

function time(argv, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const stats = (xs) => ({ n: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), min: Math.min(...xs), max: Math.max(...xs) });

const opts = args(process.argv.slice(2));
if (!fs.existsSync(path.join(ROOT, 'apps/cli/dist/main.js'))) {
  process.stderr.write('apps/cli/dist/main.js is missing: run `npm run build` first\n');
  process.exit(2);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-bench-write-'));
try {
  copyTree(corpus(opts.docs), work);
  const graph = time(['graph', '--json', '--root', work], ROOT);
  if (graph.status !== 0 && graph.status !== 1) throw new Error(`graph failed: ${graph.stderr}`);
  const nodes = JSON.parse(graph.stdout).nodes.filter((n) => n.kind !== 'workplan' && (n.status === 'planned' || n.status === 'blocked'));
  if (nodes.length < opts.writes) throw new Error(`only ${nodes.length} planned/blocked items in the corpus`);
  const step = Math.floor(nodes.length / opts.writes);
  const targets = Array.from({ length: opts.writes }, (_, i) => nodes[i * step]);

  const graphWarm = [];
  for (let i = 0; i < 5; i++) graphWarm.push(time(['graph', '--json', '--root', work], ROOT).ms);
  const writes = [];
  const failures = [];
  for (const n of targets) {
    const to = n.status === 'planned' ? 'blocked' : 'planned';
    const r = time(['task', 'set-status', n.id, to, '--root', work, '--json'], ROOT);
    if (r.status !== 0) failures.push({ id: n.id, status: r.status, out: r.stdout.slice(0, 300) || r.stderr.slice(0, 300) });
    else writes.push(r.ms);
  }
  const log = fs.readFileSync(path.join(work, 'ops/audit/govern-audit.jsonl'), 'utf8').trim().split('\n');
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    docs: opts.docs,
    setStatusMs: stats(writes),
    graphWarmMs: stats(graphWarm),
    auditRecords: log.length,
    failures,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const f = (s) => `p50 ${s.p50.toFixed(0)} ms, p90 ${s.p90.toFixed(0)} ms, min ${s.min.toFixed(0)} ms, max ${s.max.toFixed(0)} ms (n=${s.n})`;
    process.stdout.write(
      `govern task set-status on ${opts.docs} documents (node ${report.node}, ${report.cpus} cpus, load ${report.loadavg.join(' ')})\n` +
        `  set-status (whole process): ${f(report.setStatusMs)}\n` +
        `  graph --json warm (same copy): ${f(report.graphWarmMs)}\n` +
        `  audit records written: ${report.auditRecords}; failed writes: ${failures.length}\n`,
    );
    for (const x of failures) process.stdout.write(`  failed ${x.id}: exit ${x.status}: ${x.out}\n`);
  }
  process.exitCode = failures.length ? 1 : 0;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
