#!/usr/bin/env node
// The first `status` of an engine whose kept store another process wrote since: how often it
// opens the fragment store, and what that costs (docs/benchmarks.md, GV-WP-0019-T02).
//
//   node bench/engine-store-opens.mjs                      # 1,000 documents, 7 rounds
//   node bench/engine-store-opens.mjs --docs 10000 --corpus bench/.corpus/10000
//
// Bundles libs/workspace (esbuild, as bench/incremental.mjs does) and generates a corpus of
// N documents with bench/generate-corpus.mjs in a temporary directory (or, with --corpus DIR,
// generates it there if DIR does not hold N documents yet, and copies it: the rounds edit the
// copy). Per round and case, alternating which case goes first: a line is appended to one
// workplan (a new state), then a child process (bench/engine-store-opens-child.mjs) opens
// an engine, a second engine in it writes the store (case `next`: another process's `next`,
// which saves the memo without a summary; case `re-stat`: a file's mtime moved, then a load,
// which saves the store), and the first engine's `itemIndex().summary()` is timed. Reported
// per case, medians: store opens traced as `index-store-open` (what GOVERN_TIMING=1 shows
// and engine.test.ts counts), their wall ms, the store file's fs.openSync calls, the wall
// and CPU (user+sys) ms of summary().
//
// --engine FILE bundles FILE in place of libs/workspace/src/engine.ts, to measure an older
// engine against the same corpus and rounds, e.g.
//   git show a311fca^:libs/workspace/src/engine.ts > /tmp/engine-before.ts
//   node bench/engine-store-opens.mjs --engine /tmp/engine-before.ts
// (one without the `index-store-open` trace shows 0 traced opens: read the fs.openSync count).
//
// Options: --docs N (1000), --rounds R (7), --corpus DIR, --engine FILE, --keep, --json
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, prepareCorpus, ROOT, usageOf } from './lib/args.mjs';

const usage = usageOf('bench/engine-store-opens.mjs', 'usage: node bench/engine-store-opens.mjs [--docs N] [--rounds R] [--corpus DIR] [--engine FILE] [--keep] [--json]');
const CHILD = path.join(ROOT, 'bench', 'engine-store-opens-child.mjs');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;
const log = (msg) => process.stderr.write(`${msg}\n`);
const load1 = () => Number(os.loadavg()[0].toFixed(2));

function child(lib, dir, mode, restatFile) {
  const r = spawnSync(process.execPath, [CHILD, lib, dir, mode, restatFile], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${mode} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  const o = parseArgs(process.argv.slice(2), { docs: 1000, rounds: 7, corpus: null, engine: null, keep: false, json: false }, { '--engine': ['engine', 'dir'], '--docs': ['docs', 'int'], '--rounds': ['rounds', 'int'], '--corpus': ['corpus', 'dir'], '--keep': ['keep', true], '--json': ['json', true] }, usage);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-bench-store-opens-'));
  const dir = path.join(work, 'corpus');
  const report = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, docs: o.docs, rounds: o.rounds, load: [load1()] };
  try {
    const lib = path.join(work, 'workspace-lib.mjs');
    const engineTs = path.join(ROOT, 'libs/workspace/src/engine.ts');
    // With --engine, that file's text is compiled as engine.ts (its imports resolved from libs/workspace/src).
    const swap = o.engine && { name: 'engine', setup: (b) => b.onLoad({ filter: /engine\.ts$/ }, (a) => (a.path === engineTs ? { contents: fs.readFileSync(o.engine, 'utf8'), loader: 'ts', resolveDir: path.dirname(engineTs) } : undefined)) };
    await (await import('esbuild')).build({ entryPoints: [path.join(ROOT, 'libs/workspace/src/index.ts')], outfile: lib, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', plugins: swap ? [swap] : [], banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
    report.engine = o.engine ?? 'libs/workspace/src/engine.ts';
    if (o.corpus) {
      prepareCorpus(o.corpus, o.docs, log);
      // The corpus only: not a store another run of it left.
      fs.cpSync(o.corpus, dir, { recursive: true, filter: (src) => path.basename(src) !== '.govern' });
    } else prepareCorpus(dir, o.docs, log);
    const workplans = fs.readdirSync(path.join(dir, 'workplans')).filter((f) => /^WP-.*\.md$/.test(f)).sort();
    // The document edited every round (WP-0007-rollout-schema.md in the generated corpus), and the one re-stat'ed.
    const edited = path.join('workplans', workplans.find((f) => f.startsWith('WP-0007-')) ?? workplans[0]);
    const restatFile = path.join('trackers', fs.readdirSync(path.join(dir, 'trackers')).filter((f) => f.endsWith('.md')).sort()[0]);
    report.edited = edited;
    report.restat = restatFile;
    log(`${o.docs} documents: cold and warm load`);
    child(lib, dir, 'prime', restatFile);
    const runs = { next: [], restat: [] };
    for (let r = 0; r < o.rounds; r++) {
      for (const mode of r % 2 ? ['restat', 'next'] : ['next', 'restat']) {
        fs.appendFileSync(path.join(dir, edited), `\nEdited by bench/engine-store-opens.mjs (round ${r + 1}, ${mode}).\n`);
        const res = child(lib, dir, mode, restatFile);
        runs[mode].push(res);
        log(`round ${r + 1}/${o.rounds} ${mode}: ${res.opens} opens traced, ${res.fileOpens} fs.openSync (${res.phases.join(' ')}), open ${round(res.openMs)} ms, summary ${round(res.wallMs)} ms, CPU ${round(res.cpuMs)} ms, load ${load1()}`);
      }
    }
    report.load.push(load1());
    report.cases = Object.fromEntries(
      Object.entries(runs).map(([mode, rs]) => [
        mode,
        {
          opens: median(rs.map((x) => x.opens)),
          openMs: round(median(rs.map((x) => x.openMs))),
          fileOpens: median(rs.map((x) => x.fileOpens)),
          wallMs: round(median(rs.map((x) => x.wallMs))),
          cpuMs: round(median(rs.map((x) => x.cpuMs))),
          runs: rs.map((x) => ({ opens: x.opens, openMs: round(x.openMs), fileOpens: x.fileOpens, wallMs: round(x.wallMs), cpuMs: round(x.cpuMs), phases: x.phases })),
        },
      ]),
    );
  } finally {
    if (!o.keep) fs.rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
  report.end = new Date().toISOString();
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const lines = [`first summary() of an engine whose kept store went stale (${report.engine}), ${o.docs} documents, medians of ${o.rounds} rounds (node ${report.node}, ${report.cpus} cpus, ${report.date} – ${report.end}, load ${report.load.join(' → ')})`];
    for (const [mode, label] of [['next', 'after another process ran `next`'], ['restat', 'after another process re-stat\'ed a file']]) {
      const c = report.cases[mode];
      lines.push(`  ${label}: ${c.opens} store opens (${c.fileOpens} fs.openSync of the store file), open ${c.openMs} ms, summary() ${c.wallMs} ms wall, ${c.cpuMs} ms CPU`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
