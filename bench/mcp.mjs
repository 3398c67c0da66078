#!/usr/bin/env node
// MCP read tools on a long-lived workspace (docs/benchmarks.md, issue 16).
//
//   npm run bench:mcp                          # 5,000 documents, 200 calls per phase
//   node bench/mcp.mjs --docs 1000 --calls 100 --json
//
// Generates a repository of N documents with bench/generate-corpus.mjs (a temporary
// directory, or --corpus DIR to reuse one), starts the built `govern mcp --root <dir>`
// (apps/cli/dist, from a private copy so a rebuild meanwhile changes nothing) over stdio
// and talks to it with the official MCP SDK client, as an agent does. Measured, as the
// client sees it (request written to answer parsed):
//   - the first call (`next`): the server loads the workspace (no .govern/ cache: cold);
//   - steady: `graph` (paged, 50 a page, moving offset), `next` (20), `item` (a task id)
//     and `audit_log`, round robin, nothing changed on disk;
//   - after an edit: the same calls, each right after a line was appended to one of the
//     workplans (a different one each time) with no wait, so every call finds the change
//     itself and pays for its parse and update; `item` then asks for a task of that
//     workplan and its fileHash must be the new content's (else the run fails).
// Goals (issue 16): p50 < 20 ms and p99 < 100 ms of the read tools after the first load,
// in each phase; exit 1 when one is missed (or a call fails), 2 on a usage problem.
//
// Options: --docs N (5000), --calls C (200 per phase), --corpus DIR, --cli DIR (a directory
// holding bin/govern.mjs and dist/, default apps/cli: to compare two builds), --json, --timing (the
// server runs with GOVERN_TIMING=1; the medians of its per-call phases are reported:
// "mcp check" is the stat of every document, "mcp update" check plus engine update,
// "materialize" the engine rebuilding its documents and graph index after an update),
// --profile DIR (the server runs with node --cpu-prof, its profile written into DIR).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { copyCli, parseArgs, prepareCorpus, ROOT, usageOf } from './lib/args.mjs';

const GOAL = { p50: 20, p99: 100 };

const usage = usageOf('bench/mcp.mjs', 'usage: node bench/mcp.mjs [--docs N] [--calls C] [--corpus DIR] [--cli DIR] [--json] [--timing] [--profile DIR]');

function options(argv) {
  const defaults = { docs: 5000, calls: 200, corpus: null, json: false, timing: false, cli: path.join(ROOT, 'apps/cli'), profile: null };
  const flags = { '--docs': ['docs', 'int'], '--calls': ['calls', 'int'], '--corpus': ['corpus', 'dir'], '--json': ['json', true], '--timing': ['timing', true], '--cli': ['cli', 'dir'], '--profile': ['profile', 'dir'] };
  return parseArgs(argv, defaults, flags, usage);
}

const log = (s) => process.stderr.write(`bench:mcp: ${s}\n`);
const round = (x) => Math.round(x * 10) / 10;

/** The q-quantile (nearest rank) of xs. */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

const figures = (xs) => ({ n: xs.length, p50: round(quantile(xs, 0.5)), p99: round(quantile(xs, 0.99)), max: round(Math.max(...xs)) });

async function main() {
  const o = options(process.argv.slice(2));
  if (!fs.existsSync(path.join(o.cli, 'dist/main.js'))) usage(`${path.join(o.cli, 'dist/main.js')} is missing: run \`node scripts/build-cli.mjs\` first`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-bench-mcp-'));
  const cliCopy = copyCli(o.cli, 'mcp');
  const dir = o.corpus ?? path.join(work, 'corpus');
  const report = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg().map((x) => round(x)), docs: o.docs, calls: o.calls };
  let client = null;
  const edited = new Map();
  try {
    prepareCorpus(dir, o.docs, log);
    fs.rmSync(path.join(dir, '.govern'), { recursive: true, force: true });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...(o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : []), path.join(cliCopy, 'bin', 'govern.mjs'), 'mcp', '--root', dir],
      env: { ...process.env, GOVERN_ACTOR: 'bench', ...(o.timing ? { GOVERN_TIMING: '1' } : {}) },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (b) => (stderr += b));
    client = new Client({ name: 'bench-mcp', version: '0.0.0' });
    let t = performance.now();
    await client.connect(transport);
    report.connectMs = round(performance.now() - t);

    const call = async (name, args) => {
      const t0 = performance.now();
      const r = await client.callTool({ name, arguments: args });
      const ms = performance.now() - t0;
      if (r.isError) throw new Error(`${name} ${JSON.stringify(args)}: ${r.content?.[0]?.text}`);
      return { ms, value: r.structuredContent };
    };

    log('first call (loads the workspace)');
    const first = await call('next', { limit: 20 });
    report.firstCallMs = round(first.ms);
    const tasks = (await call('graph', { kind: ['task'], limit: 500, shape: 'compact' })).value;
    const ids = tasks.nodes.map((n) => n.id);
    report.nodes = tasks.total;
    if (!ids.length) throw new Error('the generated repository has no tasks');

    let k = 0;
    const next = () => {
      const i = k++;
      switch (i % 4) {
        case 0:
          return ['graph', { offset: (i * 50) % Math.max(1, report.nodes), limit: 50 }];
        case 1:
          return ['next', { limit: 20 }];
        case 2:
          return ['item', { id: ids[(i * 7) % ids.length] }];
        default:
          return ['audit_log', {}];
      }
    };
    const phase = async (before) => {
      const byTool = {};
      const all = [];
      for (let i = 0; i < o.calls; i++) {
        const change = before?.(i);
        let [name, args] = next();
        // After an edit, `item` asks for a task of the file just written and checks that its
        // fileHash is the new content's: the answer saw the edit (no wait was needed).
        const task = change && name === 'item' ? /^id: (\S+-T\d+)$/m.exec(change.text)?.[1] : undefined;
        if (task) args = { id: task };
        const { ms, value } = await call(name, args);
        if (task) {
          report.freshness.checked++;
          if (value.fileHash !== crypto.createHash('sha256').update(change.text).digest('hex')) report.freshness.stale++;
        }
        (byTool[name] ??= []).push(ms);
        all.push(ms);
      }
      return { all: figures(all), tools: Object.fromEntries(Object.entries(byTool).map(([n, xs]) => [n, figures(xs)])) };
    };

    log(`steady: ${o.calls} calls`);
    report.steady = await phase(null);

    const workplans = fs.readdirSync(path.join(dir, 'workplans')).filter((f) => f.endsWith('.md')).sort();
    log(`after an edit: ${o.calls} calls, each right after one workplan changed`);
    report.freshness = { checked: 0, stale: 0 };
    report.afterEdit = await phase((i) => {
      const abs = path.join(dir, 'workplans', workplans[(i * 37) % workplans.length]);
      if (!edited.has(abs)) edited.set(abs, fs.readFileSync(abs));
      fs.appendFileSync(abs, `\nEdited by the benchmark, call ${i}.\n`);
      return { text: fs.readFileSync(abs, 'utf8') };
    });
    if (report.freshness.stale) throw new Error(`${report.freshness.stale} of ${report.freshness.checked} item answers after an edit had the file's previous hash`);
    report.ok = ['steady', 'afterEdit'].every((p) => report[p].all.p50 < GOAL.p50 && report[p].all.p99 < GOAL.p99);
    if (stderr.includes('update failed')) throw new Error(`the server reported: ${stderr}`);
    if (o.timing) {
      const phases = {};
      for (const m of stderr.matchAll(/govern timing: (mcp \w+|materialize|patch-index|update-[\w-]+) ([\d.]+) ms/g)) (phases[m[1]] ??= []).push(Number(m[2]));
      report.serverPhases = Object.fromEntries(Object.entries(phases).map(([k, xs]) => [k, figures(xs)]));
    }
  } catch (err) {
    report.error = err.message;
    report.ok = false;
  } finally {
    await client?.close().catch(() => {});
    for (const [abs, buf] of edited) fs.writeFileSync(abs, buf);
    fs.rmSync(cliCopy, { recursive: true, force: true });
    if (!o.corpus) fs.rmSync(work, { recursive: true, force: true });
  }
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else print(report);
  process.exit(report.ok ? 0 : 1);
}

function print(r) {
  const line = (label, f) => `  ${label.padEnd(12)} p50 ${String(f.p50).padStart(6)} ms   p99 ${String(f.p99).padStart(6)} ms   max ${String(f.max).padStart(6)} ms   (${f.n} calls)`;
  const out = [`govern mcp, ${r.docs} documents (${r.nodes ?? '?'} tasks), node ${r.node}, ${r.cpus} cpus, load ${r.loadavg.join(' ')}`];
  if (r.connectMs !== undefined) out.push(`  start + initialize ${r.connectMs} ms; first call (cold load) ${r.firstCallMs ?? '?'} ms`);
  for (const [label, p] of [
    ['steady', r.steady],
    ['after an edit', r.afterEdit],
  ]) {
    if (!p) continue;
    out.push(`${label}:`, line('all', p.all));
    for (const [name, f] of Object.entries(p.tools)) out.push(line(name, f));
  }
  for (const [name, f] of Object.entries(r.serverPhases ?? {})) out.push(line(`server: ${name}`, f).replace(/^ {2}/, '  '));
  if (r.freshness) out.push(`  freshness: ${r.freshness.checked} item answers right after an edit, ${r.freshness.stale} stale`);
  if (r.error) out.push(`error: ${r.error}`);
  out.push(`goal: p50 < ${GOAL.p50} ms and p99 < ${GOAL.p99} ms in each phase: ${r.ok ? 'met' : 'MISSED'}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
