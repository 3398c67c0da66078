#!/usr/bin/env node
// The binder on 1,000,000 wrapper envelopes: binding them, replaying the same snapshot,
// beside the raw DuckDB appender rate of the same rows, in one run.
//
//   npm run bench:binder
//   node bench/binder.mjs --envelopes 1000000 --taskspecs 10000 --batch 50000 [--report-only] [--json] [--keep] [--lib FILE]
//
// Beside each wall-clock rate, the CPU time per row of the raw and bind phases (every
// thread of the process): on a shared machine the wall clock of each phase moves with
// the load, the CPU time much less. The goals are judged on the wall clock.
//
// 1. Envelopes: --envelopes wrapper envelopes made deterministically (every value a
//    function of the envelope's number i): TaskSpec t = i mod --taskspecs, run
//    r = i div --taskspecs, so 10,000 TaskSpecs × 100 runs by default. Each TaskSpec has
//    its own scope, target, action, failure_reason_code, wrapper policy and gate set (so
//    one fingerprint and one capsule each); each envelope its signal (70% failure, 15%
//    success, 8% anomaly, 7% denial), evidence ref and observed_at. Generated batch by
//    batch, outside the clocks, and the same batches for every phase.
// 2. raw: the fact rows the binder would store (binder_envelopes' 31 columns, keys and
//    fingerprints computed before the clock) appended with the DuckDB appender
//    (@govern/duckdb's Conn.append) into a plain table without keys on a fresh file, one
//    transaction per batch. Clock: BEGIN to COMMIT.
// 3. bind: openBinder on a fresh file (default config: shadow rollout, strict fallback),
//    then ingest() per batch: validation with secret screening, keys, fingerprints,
//    derivations, staging, the anti-join on the idempotency key, capsule recompute, the
//    quarantine and ingest log. Clock: the ingest() calls. The binder's trace hook
//    gives the time of each step (validate, keys, stage, insert, capsules,
//    commit, ...), printed per envelope.
// 4. replay: the same batches ingested again (an unchanged snapshot). Clock: the
//    ingest() calls. Then facts and capsules are counted again, and every idempotency
//    key and upsert key checked to occur once.
// 5. (--full-replay) the same envelopes again in batches of another size, so no batch
//    digest matches and every record goes through validation and the anti-join: the cost
//    of a replay the binder cannot recognise as one.
//
// Goals: bind at no less than half the raw appender rate; replay at least 5x faster than
// the first bind. Exit 1 when one is missed (--report-only prints without failing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function args(argv) {
  const o = { envelopes: 1_000_000, taskspecs: 10_000, batch: 50_000, reportOnly: false, json: false, keep: false, fullReplay: false, lib: null, partSize: undefined, perCall: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--envelopes') o.envelopes = Number(argv[++i]);
    else if (a === '--taskspecs') o.taskspecs = Number(argv[++i]);
    else if (a === '--batch') o.batch = Number(argv[++i]);
    else if (a === '--report-only') o.reportOnly = true;
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--full-replay') o.fullReplay = true;
    else if (a === '--per-call') o.perCall = true;
    else if (a === '--lib') o.lib = path.resolve(argv[++i]);
    else if (a === '--part-size') o.partSize = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node bench/binder.mjs [--envelopes N] [--taskspecs N] [--batch N] [--part-size N] [--per-call] [--full-replay] [--report-only] [--json] [--keep] [--lib FILE]\n' +
          '--lib: a bundle of bench/binder-lib.ts built from other sources (A/B runs against another build), instead of building this checkout\'s.\n' +
          '--per-call: print each bind call\'s wall and CPU time and its insert, compare, capsule and commit steps, by the facts stored before it (how binding scales with the store).\n' +
          '--part-size: records per part of an ingest() call (openBinder\'s partSize; default the binder\'s, 12,500).\n' +
          'Exits 1 when bind < 0.5x the raw appender rate or replay < 5x the bind rate; --report-only only prints.\n',
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
/** CPU milliseconds of this process so far, every thread (DuckDB's too): less sensitive than the wall clock to other processes on a shared machine. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const SCOPES = ['workplan', 'workspace', 'gates', 'graph', 'closure', 'write', 'history', 'statehub', 'memory-store', 'binder', 'contracts', 'cli'];
const KINDS = ['file', 'package', 'test', 'milestone'];
const ACTIONS = ['edit', 'run-check', 'close', 'migrate'];
const FAILURES = ['check-failed', 'lock-timeout', 'parse-error', 'internal-error', 'conflict', 'rate-limited'];
const POLICIES = ['gate-disabled', 'dependencies-not-done', 'transition-forbidden', 'closure-required'];
const GATES = ['typecheck', 'lint', 'unit', 'e2e', 'bench', 'audit', 'contracts', 'soak'];
const TRIGGERS = ['exit-nonzero', 'timeout', 'retry-exhausted', 'slow'];
const T0 = Date.UTC(2026, 0, 1);

/** A well-mixed 32-bit hash of an integer (deterministic). */
function mix(x) {
  let h = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Envelope i of the snapshot. */
function envelope(i, taskspecs) {
  const t = i % taskspecs;
  const r = Math.floor(i / taskspecs);
  const ht = mix(t + 1);
  const h = mix(i + 7_919);
  const band = h % 100;
  const signal = band < 70 ? 'failure' : band < 85 ? 'success' : band < 93 ? 'anomaly' : 'denial';
  const kind = KINDS[ht % 4];
  const gates = GATES.filter((_, g) => (ht >>> (g + 3)) & 1).slice(0, 3);
  const run = `run-${String(r).padStart(4, '0')}`;
  return {
    schema: 'govern.wrapper-envelope/v1',
    event_id: `${run}/T-${t}`,
    sequence: t,
    run_id: run,
    task_id: `T-${t}`,
    group_id: 'attempt-1',
    signal,
    ...(signal === 'anomaly' ? { anomaly_trigger: TRIGGERS[h % 4] } : {}),
    wrapper_policy: { name: 'govern-wrap', version: `1.${ht % 3}.0` },
    task_spec: {
      scope: `repo:govern/libs/${SCOPES[ht % 12]}`,
      target: { kind, id: `${kind}-${t}` },
      action: { kind: ACTIONS[(ht >>> 8) % 4] },
      failure_reason_code: FAILURES[(ht >>> 12) % 6],
    },
    policy_reason_code: signal === 'denial' ? POLICIES[(h >>> 8) % 4] : null,
    context: { gates: gates.length ? gates : ['unit'], versions: { node: '20.19.2', typescript: '5.9.3' }, env: { CI: 'true', NODE_ENV: 'test' } },
    evidence: [{ kind: 'log', ref: `ci/${run}/T-${t}.log` }],
    observed_at: new Date(T0 + r * 3_600_000 + t * 100).toISOString(),
  };
}

function batchOf(from, n, o) {
  const out = new Array(n);
  for (let k = 0; k < n; k++) out[k] = envelope(from + k, o.taskspecs);
  return out;
}

function* batches(o, size = o.batch) {
  for (let from = 0; from < o.envelopes; from += size) yield batchOf(from, Math.min(size, o.envelopes - from), o);
}

/** Appends the fact rows of every batch into a plain table with the appender; the clock runs from BEGIN to COMMIT. */
async function raw(lib, dir, o) {
  // The binder's own DuckDB settings, so both write under the same checkpoint policy.
  const db = await lib.openDb(path.join(dir, 'raw.duckdb'), { settings: lib.BINDER_SETTINGS });
  const cols = lib.FACT_COLUMNS;
  await db.run(`CREATE TABLE raw_envelopes (${cols.map(([c, t]) => `${c} ${t === 'VARCHAR' ? 'VARCHAR' : t}`).join(', ')})`);
  const writers = cols.map(([c, t]) =>
    t === 'BIGINT' ? (a, r) => a.bigint(BigInt(r[c])) : t === 'BOOLEAN' ? (a, r) => a.boolean(r[c]) : (a, r) => a.varchar(r[c]),
  );
  let ms = 0;
  let cpu = 0;
  let rows = 0;
  for (const batch of batches(o)) {
    const facts = batch.map((e) => {
      const c = lib.checkEnvelope(e);
      if (!c.ok) throw new Error(`generated envelope invalid: ${JSON.stringify(c.reasons)}`);
      return lib.factRow(c.envelope);
    });
    const t = performance.now();
    const c = cpuMs();
    await db.transaction((tx) =>
      tx.append('raw_envelopes', facts, (a, r) => {
        for (const w of writers) w(a, r);
      }),
    );
    ms += performance.now() - t;
    cpu += cpuMs() - c;
    rows += facts.length;
  }
  const n = lib.num((await db.all('SELECT count(*) AS n FROM raw_envelopes'))[0].n);
  await db.close();
  if (n !== rows) throw new Error(`raw: ${n} rows stored, ${rows} appended`);
  return { rows, ms, cpu, rate: rows / (ms / 1000) };
}

/** ingest() of every batch (made before the clock starts), one call at a time; the clock runs from the first call to the last result. */
async function ingestAll(binder, all, expect, envelopes, afterCall) {
  const sum = { received: 0, accepted: 0, duplicates: 0, quarantined: 0, conflicts: 0, created: 0, updated: 0, minted: 0, paths: {} };
  const results = [];
  const t = performance.now();
  const c = cpuMs();
  for (const batch of all) {
    results.push(await binder.ingest(batch, { source: 'bench' }));
    afterCall?.(results.length);
  }
  const ms = performance.now() - t;
  const cpu = cpuMs() - c;
  for (const r of results) {
    sum.received += r.received;
    sum.accepted += r.accepted;
    sum.duplicates += r.duplicates;
    sum.quarantined += r.quarantined;
    sum.conflicts += r.conflicts;
    sum.created += r.capsules.created;
    sum.updated += r.capsules.updated;
    sum.minted += r.capsules.minted;
    sum.paths[r.path] = (sum.paths[r.path] ?? 0) + 1;
  }
  if (sum.quarantined) throw new Error(`${sum.quarantined} generated envelopes were quarantined`);
  if (expect === 'new' && sum.accepted !== envelopes) throw new Error(`bind stored ${sum.accepted} of ${envelopes}`);
  if (expect === 'replay' && (sum.accepted !== 0 || sum.duplicates !== envelopes)) throw new Error(`replay: accepted ${sum.accepted}, duplicates ${sum.duplicates} of ${envelopes}`);
  return { ...sum, ms, cpu, rate: sum.received / (ms / 1000) };
}

/** Facts and capsules, and whether every key occurs once. */
async function counts(lib, file) {
  const db = await lib.openDb(file);
  const r = (
    await db.all(`SELECT (SELECT count(*) FROM binder_envelopes) AS facts, (SELECT count(DISTINCT idempotency_key) FROM binder_envelopes) AS fact_keys,
      (SELECT count(*) FROM binder_capsules) AS capsules, (SELECT count(DISTINCT upsert_key) FROM binder_capsules) AS capsule_keys,
      (SELECT coalesce(sum(envelope_count), 0) FROM binder_capsules) AS counted, (SELECT count(*) FILTER (WHERE minted) FROM binder_capsules) AS minted,
      (SELECT count(*) FROM binder_quarantine) AS quarantined`)
  )[0];
  await db.close();
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, lib.num(v)]));
}

async function main() {
  const o = args(process.argv.slice(2));
  const loadStart = load();
  log(`binder benchmark: ${o.envelopes} envelopes (${o.taskspecs} TaskSpecs x ${Math.ceil(o.envelopes / o.taskspecs)} runs), batches of ${o.batch}`);
  log(`machine: ${os.cpus()[0]?.model ?? '?'} x ${os.availableParallelism()}, node ${process.version}; load average ${loadStart}`);
  const libFile = o.lib ?? path.join(ROOT, 'bench/.corpus/binder-lib.mjs');
  if (!o.lib) await build({
    entryPoints: { 'binder-lib': path.join(ROOT, 'bench/binder-lib.ts') },
    outdir: path.dirname(libFile),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@duckdb/*'],
    // secretlint's dependencies are CommonJS that require Node built-ins (as in scripts/build-cli.mjs).
    banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const lib = await import(libFile);
  const partOpts = o.partSize === undefined ? {} : { partSize: o.partSize };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binder-bench-'));
  const file = path.join(dir, 'binder.duckdb');
  try {
    const rawRun = await raw(lib, dir, o);
    log(`raw appender: ${rawRun.rows} rows in ${(rawRun.ms / 1000).toFixed(1)} s`);
    // Every envelope of the snapshot, made once, outside the clocks (~1 GB of heap for
    // 1,000,000), so bind and replay are given the same objects.
    const snapshot = [...batches(o)];
    // The binder's own trace: milliseconds per step of ingest, summed over the bind phase.
    const phases = {};
    // --per-call: each bind call's own steps, beside how many facts were stored before it.
    let call = {};
    let callStart = { wall: performance.now(), cpu: cpuMs() };
    const perCall = !o.perCall
      ? undefined
      : (n) => {
          const f = (x) => (x ?? 0).toFixed(0).padStart(6);
          log(`call ${String(n).padStart(4)}, facts before ${String((n - 1) * o.batch).padStart(8)}: wall ${f(performance.now() - callStart.wall)} ms, CPU ${f(cpuMs() - callStart.cpu)} ms; insert ${f(call.insert)} compare ${f(call.compare)} capsules ${f(call.capsules)} commit ${f(call.commit)} ms`);
          call = {};
          callStart = { wall: performance.now(), cpu: cpuMs() };
        };
    const trace = (phase, ms) => {
      phases[phase] = (phases[phase] ?? 0) + ms;
      call[phase] = (call[phase] ?? 0) + ms;
    };
    let binder = await lib.openBinder({ file, knownSecrets: [], ...partOpts, trace });
    const bind = await ingestAll(binder, snapshot, 'new', o.envelopes, perCall);
    await binder.close();
    const before = await counts(lib, file);
    log(`bind: ${bind.accepted} facts in ${(bind.ms / 1000).toFixed(1)} s; ${before.capsules} capsules (${before.minted} minted)`);
    binder = await lib.openBinder({ file, knownSecrets: [], ...partOpts });
    const replay = await ingestAll(binder, snapshot, 'replay', o.envelopes);
    let full = null;
    if (o.fullReplay) {
      const flat = snapshot.flat();
      const size = Math.max(1, Math.floor(o.batch * 0.8));
      const rechunked = [];
      for (let from = 0; from < flat.length; from += size) rechunked.push(flat.slice(from, from + size));
      full = await ingestAll(binder, rechunked, 'replay', o.envelopes);
    }
    await binder.close();
    const after = await counts(lib, file);
    log(`replay: ${replay.duplicates} duplicates in ${(replay.ms / 1000).toFixed(1)} s${full ? `; full-path replay ${(full.ms / 1000).toFixed(1)} s` : ''}`);
    const bytes = fs.statSync(file).size;

    const noDuplicates =
      JSON.stringify(before) === JSON.stringify(after) &&
      after.facts === o.envelopes &&
      after.fact_keys === after.facts &&
      after.capsule_keys === after.capsules &&
      after.counted === after.facts &&
      after.quarantined === 0;
    const bindRatio = bind.rate / rawRun.rate;
    const replaySpeedup = replay.rate / bind.rate;
    const result = {
      envelopes: o.envelopes,
      taskspecs: o.taskspecs,
      batch: o.batch,
      partSize: o.partSize ?? 'default',
      cpus: os.availableParallelism(),
      raw: { rows: rawRun.rows, seconds: rawRun.ms / 1000, rowsPerSecond: Math.round(rawRun.rate) },
      bind: { rows: bind.received, seconds: bind.ms / 1000, rowsPerSecond: Math.round(bind.rate), capsules: { created: bind.created, updated: bind.updated, minted: bind.minted }, paths: bind.paths },
      replay: { rows: replay.received, seconds: replay.ms / 1000, rowsPerSecond: Math.round(replay.rate), paths: replay.paths },
      ...(full ? { fullReplay: { rows: full.received, seconds: full.ms / 1000, rowsPerSecond: Math.round(full.rate), paths: full.paths } } : {}),
      // Microseconds per envelope of each step of bind (the trace), and of the raw appender.
      breakdown: {
        raw: Number(((rawRun.ms * 1000) / rawRun.rows).toFixed(1)),
        bind: Number(((bind.ms * 1000) / bind.received).toFixed(1)),
        ...Object.fromEntries(Object.entries(phases).map(([k, ms]) => [k, Number(((ms * 1000) / bind.received).toFixed(1))])),
      },
      // CPU microseconds per row (every thread of the process) of the raw appender and of bind: the work done, whatever else ran on the machine.
      cpu: { raw: Number(((rawRun.cpu * 1000) / rawRun.rows).toFixed(1)), bind: Number(((bind.cpu * 1000) / bind.received).toFixed(1)), bindOverRaw: Number((rawRun.cpu / rawRun.rows / (bind.cpu / bind.received)).toFixed(3)) },
      counts: { before, after },
      fileBytes: bytes,
      ratios: { bindOverRaw: Number(bindRatio.toFixed(3)), replayOverBind: Number(replaySpeedup.toFixed(2)) },
      noDuplicates,
      load: { start: loadStart, end: load() },
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const f = (x) => String(Math.round(x)).padStart(9);
      process.stdout.write(`\n${'phase'.padEnd(26)} ${'rows'.padStart(9)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(9)}\n`);
      process.stdout.write(`${'raw appender (no keys)'.padEnd(26)} ${f(rawRun.rows)} ${(rawRun.ms / 1000).toFixed(2).padStart(8)} ${f(rawRun.rate)}\n`);
      process.stdout.write(`${'bind (ingest)'.padEnd(26)} ${f(bind.received)} ${(bind.ms / 1000).toFixed(2).padStart(8)} ${f(bind.rate)}\n`);
      process.stdout.write(`${'replay (same snapshot)'.padEnd(26)} ${f(replay.received)} ${(replay.ms / 1000).toFixed(2).padStart(8)} ${f(replay.rate)}\n`);
      if (full) process.stdout.write(`${'replay (re-chunked)'.padEnd(26)} ${f(full.received)} ${(full.ms / 1000).toFixed(2).padStart(8)} ${f(full.rate)}\n`);
      const { raw: r, bind: b, ...steps } = result.breakdown;
      process.stdout.write(`microseconds per envelope: raw appender ${r}; bind ${b} = ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(' + ')}\n`);
      process.stdout.write(`cpu microseconds per envelope (all threads): raw appender ${result.cpu.raw}; bind ${result.cpu.bind} (rate by cpu: bind / raw = ${result.cpu.bindOverRaw})\n`);
      process.stdout.write(`bind / raw = ${bindRatio.toFixed(3)} (goal >= 0.5); replay / bind = ${replaySpeedup.toFixed(2)}x (goal >= 5)\n`);
      process.stdout.write(`facts ${before.facts} -> ${after.facts}, capsules ${before.capsules} -> ${after.capsules} (minted ${after.minted}), distinct keys: facts ${after.fact_keys}, capsules ${after.capsule_keys}; duplicates after replay: ${noDuplicates ? 'none' : 'FOUND'}\n`);
      process.stdout.write(`binder file ${(bytes / 2 ** 20).toFixed(0)} MiB; load average: start ${loadStart}, end ${result.load.end}\n`);
    }
    const ok = bindRatio >= 0.5 && replaySpeedup >= 5 && noDuplicates;
    log(`targets: bind/raw ${bindRatio.toFixed(3)} (>= 0.5), replay/bind ${replaySpeedup.toFixed(2)} (>= 5), no duplicates ${noDuplicates} -> ${ok ? 'MET' : 'MISSED'}`);
    if (!ok && !o.reportOnly) process.exitCode = 1;
  } finally {
    if (o.keep) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(3);
});
