#!/usr/bin/env node
// The memory API's query primitives over 1,000,000 task facts: latency through memoryd's
// HTTP API, beside the same SQL run directly on DuckDB.
//
//   npm run bench:memory-query
//   node bench/memory-query.mjs --facts 1000000 --queries 300 --json
//   node bench/memory-query.mjs --keep; node bench/memory-query.mjs --db <the kept file>   (reuse the facts)
//
// 1. Facts: a fresh DuckDB file with memoryd's schema (MemoryStore.open runs the
//    migrations), filled by INSERT … SELECT from range(): --facts task facts over 30 days
//    in start-time order (govern-like runs of ten stage spans; ~6% failed with one of six
//    failure_reason_codes, ~3% denied with one of four policy_reason_codes, 400 items,
//    20 documents, 8 commands), one guard.denied event per denied span and one exception
//    event per failed span, and failure_facts as ingest writes it. Deterministic: every
//    value is a function of the row number.
// 2. Requests: --queries requests per primitive from a seeded generator: windows of 1 h,
//    6 h, 1 d, 7 d or 31 d ending anywhere in the 30 days, limits 10/50/200, with no
//    filter, a stage, an item, a reason code or two filters. The same list for both paths.
// 3. direct: the primitive's statements (primitiveRows: the same SQL and steps memoryd runs;
//    for recent failures a histogram of the window, then the rows) as prepared statements
//    on a DuckDB connection in this process, without memoryd's snapshot transaction.
//    Clock: bind to rows read.
// 4. HTTP: memoryd as a child process (its bundled command line) on the same file; each
//    request POSTed to /v1/memory/query over a keep-alive connection, one at a time.
//    Clock: request written to answer parsed (validation, snapshot, SQL, JSON, HTTP).
//
// Both paths run 20 unmeasured requests first. Printed: p50, p99 and max per primitive
// and path, rows per answer, the load average before and after. The goal is p99 under
// 20 ms through the API.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildMemoryd } from '../apps/memoryd/scripts/build.mjs';
import { mulberry32 } from './generate-corpus.mjs';
import { startMemorydProcess } from './memoryd-process.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PRIMITIVES = ['recent_failures_by_taskspec', 'gate_rollup_by_failure_reason_code', 'guard_denials_by_policy_reason_code'];

function args(argv) {
  const o = { facts: 1_000_000, queries: 300, json: false, keep: false, db: null, check: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--facts') o.facts = Number(argv[++i]);
    else if (a === '--queries') o.queries = Number(argv[++i]);
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--db') o.db = argv[++i];
    else if (a === '--no-check') o.check = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node bench/memory-query.mjs [--facts N] [--queries N per primitive] [--json] [--keep (the database file)] [--db FILE (one kept before)] [--no-check]\n' +
          'Exits 1 when the HTTP p99 over all requests misses the goal of 20 ms; --no-check only prints.\n',
      );
      process.exit(0);
    } else {
      process.stderr.write(`unknown option ${a}\n`);
      process.exit(2);
    }
  }
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const SEC = 1_000_000_000n;
const DAY = 86_400n * SEC;
const SPAN_DAYS = 30n;
const T_END = 1_771_200_000n * SEC; // 2026-02-16T00:00:00Z
const T_START = T_END - SPAN_DAYS * DAY;

const STAGES = ['discover', 'parse', 'graph', 'gate', 'write', 'close', 'sync', 'pr'];
const COMMANDS = ['next', 'graph', 'status', 'task set-status', 'close', 'pr open', 'statehub sync', 'validate'];
const FAILURES = ['check-failed', 'lock-timeout', 'parse-error', 'internal-error', 'conflict', 'rate-limited'];
const POLICIES = ['gate-disabled', 'dependencies-not-done', 'transition-forbidden', 'closure-required'];
const list = (xs) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/** The task facts, in memoryd's column order; every value a function of i (the row) and run = i // 10. */
function taskFactsSql(n) {
  const step = (SPAN_DAYS * DAY) / BigInt(n);
  // h: a well-mixed 64-bit hash of the row; outcome bands of it: < 6% failed, 6–9% denied.
  return `INSERT INTO task_facts
    SELECT trace_id, span_id, parent_span_id, name, 'internal', start_ns, start_ns + dur, dur,
      CASE WHEN o = 'failed' THEN 'error' ELSE 'unset' END, CASE WHEN o = 'failed' THEN 'exit 1' END, o,
      CASE WHEN o = 'failed' THEN ${list(FAILURES)}[1 + ((h // 7) % 6)::INTEGER] END,
      CASE WHEN o = 'failed' THEN CASE WHEN h % 3 = 0 THEN 'reason_code' ELSE 'failure_reason_code' END END,
      CASE WHEN o = 'denied' THEN ${list(POLICIES)}[1 + ((h // 11) % 4)::INTEGER] END,
      run_id, ${list(COMMANDS)}[1 + (run % 8)::INTEGER], stage, 'doc-' || (run % 20), 'GV-' || lpad(((run * 7919) % 400)::VARCHAR, 3, '0'),
      'govern', 'govern', '0.1.0', 'bench-resource', CASE WHEN o = 'ok' THEN 0 ELSE 1 END, '{"govern.phase":"bench"}', '{}'
    FROM (
      SELECT *, CASE WHEN h % 100 < 6 THEN 'failed' WHEN h % 100 < 9 THEN 'denied' ELSE 'ok' END AS o
      FROM (
        SELECT i, i // 10 AS run,
          hash(i) AS h,
          md5('trace' || (i // 10)::VARCHAR) AS trace_id,
          substr(md5('span' || i::VARCHAR), 1, 16) AS span_id,
          CASE WHEN i % 10 = 0 THEN NULL ELSE substr(md5('span' || (i - i % 10)::VARCHAR), 1, 16) END AS parent_span_id,
          'govern.' || ${list(STAGES)}[1 + (i % 8)::INTEGER] AS name,
          ${list(STAGES)}[1 + (i % 8)::INTEGER] AS stage,
          'run-' || lpad((i // 10)::VARCHAR, 7, '0') AS run_id,
          (${T_START} + i * ${step})::BIGINT AS start_ns,
          (1000000 + hash(i) % 50000000)::BIGINT AS dur
        FROM range(${n}) r(i)
      )
    )`;
}

/** One event per failed (exception) or denied (guard.denied) span, with the span's correlation. */
const EVENT_FACTS_SQL = `INSERT INTO event_facts
  SELECT trace_id, span_id, 0, CASE WHEN outcome = 'denied' THEN 'guard.denied' ELSE 'exception' END, start_ns + 1000,
    outcome = 'denied', NULL, NULL, policy_reason_code, run_id, item_id, stage, '{}'
  FROM task_facts WHERE outcome IN ('failed', 'denied')`;

function requests(n) {
  // Seeded: the same request list on every run.
  const r = mulberry32(20260215);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const widths = [3600n * SEC, 6n * 3600n * SEC, DAY, 7n * DAY, 31n * DAY];
  const out = [];
  for (const primitive of PRIMITIVES) {
    for (let k = 0; k < n; k++) {
      const width = pick(widths);
      const to = T_START + width / 2n + BigInt(Math.floor(r() * 1e6)) * ((SPAN_DAYS * DAY) / 1_000_000n);
      const window = { from: String(to - width), to: String(to) };
      const filterSets = {
        recent_failures_by_taskspec: [{}, { stage: pick(STAGES) }, { item_id: `GV-${String(Math.floor(r() * 400)).padStart(3, '0')}` }, { failure_reason_code: pick(FAILURES) }, { command: pick(COMMANDS), stage: pick(STAGES) }],
        gate_rollup_by_failure_reason_code: [{}, { stage: pick(STAGES) }, { failure_reason_code: pick(FAILURES) }, { stage: pick(STAGES), failure_reason_code: pick(FAILURES) }],
        guard_denials_by_policy_reason_code: [{}, { stage: pick(STAGES) }, { policy_reason_code: pick(POLICIES) }],
      };
      out.push({ primitive, window, limit: pick([10, 50, 200]), filters: pick(filterSets[primitive]) });
    }
  }
  return out;
}

async function generate(lib, file, n) {
  const store = await lib.MemoryStore.open(file);
  const t0 = performance.now();
  await store.all(taskFactsSql(n));
  await store.all(EVENT_FACTS_SQL);
  // What ingest writes beside task_facts in the same transaction (store.ts).
  await store.all(`INSERT INTO failure_facts SELECT ${lib.FAILURE_FACT_COLUMNS.join(', ')} FROM task_facts WHERE outcome = 'failed' ORDER BY start_ns, trace_id, span_id`);
  await store.all('CHECKPOINT');
  const [c] = await store.all('SELECT (SELECT count(*) FROM task_facts)::INTEGER AS tasks, (SELECT count(*) FROM event_facts)::INTEGER AS events, (SELECT count(*) FROM task_facts WHERE outcome = \'failed\')::INTEGER AS failed');
  await store.close();
  return { ...c, ms: performance.now() - t0, bytes: fs.statSync(file).size };
}

/** The counts of a database made by an earlier --keep run (--db). */
async function counts(lib, file) {
  const store = await lib.MemoryStore.open(file);
  const [c] = await store.all('SELECT (SELECT count(*) FROM task_facts)::INTEGER AS tasks, (SELECT count(*) FROM event_facts)::INTEGER AS events, (SELECT count(*) FROM task_facts WHERE outcome = \'failed\')::INTEGER AS failed');
  await store.close();
  return { ...c, ms: 0, bytes: fs.statSync(file).size };
}

/** The primitives' SQL, prepared, on a DuckDB connection of this process. */
async function direct(lib, file, reqs) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  const prepared = new Map();
  const run = async (sql, params) => {
    let p = prepared.get(sql);
    if (!p) prepared.set(sql, (p = await conn.prepare(sql)));
    p.bind(params);
    return (await p.runAndReadAll()).getRowObjectsJS();
  };
  // What memoryd's snapshot query tells primitiveRows (the facts do not change here).
  const annotated = (await conn.runAndReadAll('SELECT EXISTS (SELECT 1 FROM task_annotations) AS a')).getRowObjectsJS()[0].a;
  const one = async (raw) => {
    const req = lib.QueryRequestSchema.parse(raw);
    return (await lib.primitiveRows(run, req, BigInt(req.window.from), BigInt(req.window.to), annotated)).length;
  };
  for (const r of reqs.slice(0, 20)) await one(r);
  const out = [];
  for (const r of reqs) {
    const t0 = performance.now();
    const rows = await one(r);
    out.push({ primitive: r.primitive, ms: performance.now() - t0, rows, req: r });
  }
  for (const p of prepared.values()) p.destroySync();
  conn.closeSync();
  instance.closeSync();
  return out;
}

async function viaHttp(bundle, file, reqs) {
  const daemon = await startMemorydProcess(bundle, file);
  const url = daemon.url;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body) =>
    new Promise((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = http.request(`${url}/v1/memory/query`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode}: ${JSON.stringify(json)}`));
          else resolve(json);
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  try {
    for (const r of reqs.slice(0, 20)) await post(r);
    const out = [];
    for (const r of reqs) {
      const t0 = performance.now();
      const a = await post(r);
      out.push({ primitive: r.primitive, ms: performance.now() - t0, rows: a.rows.length, req: r });
    }
    return out;
  } finally {
    agent.destroy();
    await daemon.stop();
  }
}

function summarize(results) {
  const by = {};
  for (const p of [...PRIMITIVES, 'all']) {
    const xs = results.filter((r) => p === 'all' || r.primitive === p);
    const slowest = [...xs].sort((a, b) => b.ms - a.ms).slice(0, 3).map((x) => ({ ms: Math.round(x.ms * 10) / 10, spanH: Number((BigInt(x.req.window.to) - BigInt(x.req.window.from)) / 3600n / SEC), limit: x.req.limit, filters: x.req.filters, rows: x.rows }));
    by[p] = { n: xs.length, p50: pct(xs.map((x) => x.ms), 0.5), p99: pct(xs.map((x) => x.ms), 0.99), max: Math.max(...xs.map((x) => x.ms)), rows: xs.reduce((s, x) => s + x.rows, 0) / xs.length, slowest };
  }
  return by;
}

async function main() {
  const o = args(process.argv.slice(2));
  const loadStart = load();
  log(`memory query benchmark: ${o.facts} task facts, ${o.queries} requests per primitive`);
  log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.availableParallelism()}, node ${process.version}; load average ${loadStart}`);
  const outdir = path.join(ROOT, 'apps/memoryd/dist/bench-query');
  const bundle = await buildMemoryd(outdir);
  const libFile = path.join(ROOT, 'bench/.corpus/memory-query-lib.mjs');
  await build({ entryPoints: [path.join(ROOT, 'bench/memory-query-lib.ts')], outfile: libFile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['@duckdb/*'], logLevel: 'warning' });
  const lib = await import(libFile);

  const dir = o.db ? path.dirname(o.db) : fs.mkdtempSync(path.join(os.tmpdir(), 'memory-query-bench-'));
  const file = o.db ?? path.join(dir, 'memory.duckdb');
  try {
    const gen = o.db ? await counts(lib, file) : await generate(lib, file, o.facts);
    log(`facts: ${gen.tasks} task facts (${gen.failed} failed), ${gen.events} event facts, ${(gen.bytes / 2 ** 20).toFixed(0)} MiB, generated in ${(gen.ms / 1000).toFixed(1)} s`);
    const reqs = requests(o.queries);
    const d = summarize(await direct(lib, file, reqs));
    const h = summarize(await viaHttp(bundle, file, reqs));
    const loadEnd = load();
    const result = { facts: gen, queriesPerPrimitive: o.queries, direct: d, http: h, load: { start: loadStart, end: loadEnd }, cpus: os.availableParallelism() };
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const f = (x) => x.toFixed(2).padStart(7);
      process.stdout.write(`\n${'primitive'.padEnd(38)} ${'direct p50'.padStart(10)} ${'p99'.padStart(7)} ${'max'.padStart(7)}   ${'HTTP p50'.padStart(8)} ${'p99'.padStart(7)} ${'max'.padStart(7)}   rows/answer\n`);
      for (const p of [...PRIMITIVES, 'all']) {
        process.stdout.write(`${p.padEnd(38)} ${f(d[p].p50).padStart(10)} ${f(d[p].p99)} ${f(d[p].max)}   ${f(h[p].p50).padStart(8)} ${f(h[p].p99)} ${f(h[p].max)}   ${h[p].rows.toFixed(1)}\n`);
      }
      process.stdout.write(`(milliseconds; goal: HTTP p99 < 20 ms) load average: start ${loadStart}, end ${loadEnd}\n`);
      for (const p of PRIMITIVES) process.stdout.write(`slowest ${p} over HTTP: ${JSON.stringify(h[p].slowest)}\n`);
    }
    // A benchmark used as a closure check fails when it misses its stated target.
    const ok = h.all.p99 < 20;
    process.stderr.write(`target: HTTP p99 over all requests ${h.all.p99.toFixed(2)} ms (goal < 20 ms) → ${ok ? 'MET' : 'MISSED'}\n`);
    if (!ok && o.check) process.exitCode = 1;
  } finally {
    if (!o.keep && !o.db) fs.rmSync(dir, { recursive: true, force: true });
    else log(`kept ${file}`);
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

await main();
