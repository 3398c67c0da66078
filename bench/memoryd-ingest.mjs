#!/usr/bin/env node
// memoryd ingest, end to end, beside the raw DuckDB appender on the same rows.
//
//   npm run bench:memoryd
//   node bench/memoryd-ingest.mjs --spans 200000 --repeat 3 --json
//
// 1. Spans are made by the real OpenTelemetry SDK (BasicTracerProvider, in-memory
//    exporter): runs shaped like govern's (a root span and nine stage spans; every
//    7th write denied by a guard, with a guard.denied event; every 5th failed with
//    reason_code), then encoded as the OTLP exporter encodes them (otlp-transformer's
//    protobuf and JSON serializers), 512 spans per request (the batch processor's
//    default). These recorded payloads are the input of every measurement.
// 2. raw: the task and event rows memoryd makes of those payloads (its decoder and
//    facts mapping, run before the clock starts) are appended to a fresh DuckDB file
//    with the appender in one transaction — into the same columns without
//    constraints ("no keys"), and into memoryd's own tables with their primary keys.
// 3. end to end: memoryd runs as a child process (its bundled command line) on a fresh
//    file; the payloads are POSTed to /v1/traces by --concurrency senders; the clock
//    runs from the first request to the moment GET /health reports every span
//    committed (spool fsync, decode, facts, appender, checkpoint, COMMIT).
//
// Printed: spans per second for each (median over --repeat interleaved runs), CPU time
// per span (the daemon's user+system from /proc for end to end, and the senders' — this
// process — beside it; this process's for raw, opening the database included), and end to end ÷ raw: each run's end-to-end rate
// against the raw rates of the same run, then the median. The goal is end to end at no
// less than half the raw appender rate of the same run. The load average is printed at
// start and end (the machine may be shared).
//
// Environment, for investigation: MEMORYD_BENCH_NODE_ARGS (node flags for the daemon,
// e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), MEMORYD_BENCH_LOG_BATCHES=1 (the
// daemon's --log-batches), MEMORYD_BENCH_THREADS=1 (the daemon's CPU time by thread,
// from /proc, when every span is committed).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { buildMemoryd } from '../apps/memoryd/scripts/build.mjs';
import { startMemorydProcess } from './memoryd-process.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function args(argv) {
  const o = { spans: 200_000, batch: 512, concurrency: 8, repeat: 1, encodings: ['protobuf', 'json'], json: false, maxBatchSpans: null, check: true, targetEncodings: ['protobuf'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--spans') o.spans = Number(argv[++i]);
    else if (a === '--batch') o.batch = Number(argv[++i]);
    else if (a === '--concurrency') o.concurrency = Number(argv[++i]);
    else if (a === '--repeat') o.repeat = Number(argv[++i]);
    else if (a === '--encodings') o.encodings = argv[++i].split(',');
    else if (a === '--max-batch-spans') o.maxBatchSpans = Number(argv[++i]);
    else if (a === '--json') o.json = true;
    else if (a === '--no-check') o.check = false;
    else if (a === '--target-encodings') o.targetEncodings = argv[++i].split(',');
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node bench/memoryd-ingest.mjs [--spans N] [--batch N] [--concurrency N] [--repeat N] [--encodings protobuf,json] [--max-batch-spans N] [--json]\n' +
          '       [--target-encodings protobuf] [--no-check]\n' +
          'Exits 1 when an encoding of --target-encodings (default protobuf, the OTLP default) measured below the goal of 0.5 × the raw appender\n' +
          '(without keys, median of the runs); --no-check only prints.\n',
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
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** Spans from the real SDK, shaped like govern runs. */
function makeSpans(n) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'govern', 'service.version': '0.1.0', 'process.pid': process.pid, 'host.name': os.hostname() }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('govern', '0.1.0');
  const stages = [
    ['discover', 'config'],
    ['discover', 'discover'],
    ['parse', 'cache-open'],
    ['parse', 'validate'],
    ['parse', 'results'],
    ['parse', 'parse'],
    ['parse', 'cache-save'],
    ['graph', 'graph'],
    ['write', null],
  ];
  let made = 0;
  for (let run = 0; made < n; run++) {
    const runAttrs = { 'govern.run.id': `bench-run-${run}`, 'govern.command': 'task set-status', 'govern.item.id': `LM-${(run % 11) + 1}`, 'govern.document.id': 'lm' };
    const root = tracer.startSpan('govern.run', { attributes: runAttrs });
    made++;
    const ctx = trace.setSpan(context.active(), root);
    for (const [stage, phase] of stages) {
      if (made >= n) break;
      const s = tracer.startSpan(`govern.${stage}`, { attributes: { ...runAttrs, 'govern.stage': stage, ...(phase ? { 'govern.phase': phase } : {}) } }, ctx);
      if (stage === 'write' && run % 7 === 0) {
        s.setAttribute('policy_reason_code', 'dependencies-not-done');
        s.addEvent('guard.denied', { policy_reason_code: 'dependencies-not-done', message: 'LM-01 is planned' });
        s.setStatus({ code: SpanStatusCode.ERROR, message: 'refused' });
      } else if (stage === 'write' && run % 5 === 0) {
        s.setAttribute('reason_code', 'lock-timeout');
        s.setStatus({ code: SpanStatusCode.ERROR, message: 'lock timeout' });
      }
      s.end();
      made++;
    }
    root.end();
  }
  const spans = exporter.getFinishedSpans();
  return spans.slice(0, n);
}

function payloads(spans, batch, serializer) {
  const out = [];
  for (let i = 0; i < spans.length; i += batch) out.push(Buffer.from(serializer.serializeRequest(spans.slice(i, i + batch))));
  return out;
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-bench-'));
}

async function rawRun(lib, batch, keys) {
  const dir = tempDir();
  try {
    const c0 = process.cpuUsage();
    const r = await lib.rawAppend(path.join(dir, 'raw.duckdb'), batch, keys);
    const c = process.cpuUsage(c0);
    // CPU of this process over the call: the appender (this thread) and DuckDB's threads (opening included).
    const cpuMs = (c.user + c.system) / 1000;
    return { ms: r.ms, cpuMs, cpuUsPerSpan: (cpuMs * 1000) / r.spans, spansPerSec: (r.spans / r.ms) * 1000, rows: r.spans + r.events };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function e2eRun(bundle, bodies, contentType, totalSpans, concurrency, maxBatchSpans) {
  const dir = tempDir();
  // MEMORYD_BENCH_NODE_ARGS: extra node flags for the daemon, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.MEMORYD_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const extra = [...(process.env.MEMORYD_BENCH_LOG_BATCHES === '1' ? ['--log-batches'] : []), ...(maxBatchSpans ? ['--max-batch-spans', String(maxBatchSpans)] : [])];
  const daemon = await startMemorydProcess(bundle, path.join(dir, 'memory.duckdb'), { args: extra, nodeArgs });
  const { child, url } = daemon;
  try {
    // node:http with keep-alive, as the OTLP/HTTP exporter sends (fetch costs the client several times the CPU).
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    let retries = 0;
    let next = 0;
    const cpu0 = procCpuMs(child.pid);
    const senderCpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          for (;;) {
            const status = await post(agent, `${url}/v1/traces`, body, contentType);
            if (status === 200) break;
            if (status !== 503) throw new Error(`memoryd answered ${status}`);
            retries++;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }),
    );
    const acked = performance.now() - t0;
    let health;
    for (;;) {
      health = await getJson(agent, `${url}/health`);
      if (health.checkpoint.spans >= totalSpans) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - t0;
    const cpuMs = procCpuMs(child.pid) - cpu0;
    const sc = process.cpuUsage(senderCpu0);
    const senderCpuMs = (sc.user + sc.system) / 1000;
    if (process.env.MEMORYD_BENCH_THREADS === '1') log(`  daemon threads (CPU ms since start): ${threadCpu(child.pid)}`);
    if (health.checkpoint.spans !== totalSpans) throw new Error(`committed ${health.checkpoint.spans} spans, sent ${totalSpans}`);
    agent.destroy();
    return { ms, ackedMs: acked, cpuMs, cpuUsPerSpan: (cpuMs * 1000) / totalSpans, senderCpuMs, spansPerSec: (totalSpans / ms) * 1000, batches: health.checkpoint.batches, retries };
  } finally {
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const o = args(process.argv.slice(2));
  const loadStart = load();
  log(`memoryd ingest benchmark: ${o.spans} spans, ${o.batch} per request, ${o.concurrency} senders, repeat ${o.repeat}`);
  log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.availableParallelism()}, node ${process.version}; load average ${loadStart}`);

  const bundle = await buildMemoryd(path.join(ROOT, 'apps/memoryd/dist/bench'));
  const libFile = path.join(ROOT, 'bench/.corpus/memoryd-rows.mjs');
  await build({ entryPoints: [path.join(ROOT, 'bench/memoryd-rows.ts')], outfile: libFile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['@duckdb/*'], logLevel: 'warning' });
  const lib = await import(libFile);

  const spans = makeSpans(o.spans);
  const bodies = { protobuf: payloads(spans, o.batch, ProtobufTraceSerializer), json: payloads(spans, o.batch, JsonTraceSerializer) };
  const rows = lib.factsOf(bodies.protobuf);
  log(`rows: ${rows.tasks.length} task facts, ${rows.events.length} event facts; payload bytes: protobuf ${sum(bodies.protobuf)}, json ${sum(bodies.json)}`);

  const results = { rawNoKeys: [], rawKeys: [], protobuf: [], json: [] };
  for (let r = 0; r < o.repeat; r++) {
    results.rawNoKeys.push(await rawRun(lib, rows, false));
    results.rawKeys.push(await rawRun(lib, rows, true));
    for (const enc of o.encodings) {
      results[enc].push(await e2eRun(bundle, bodies[enc], enc === 'json' ? 'application/json' : 'application/x-protobuf', spans.length, o.concurrency, o.maxBatchSpans));
    }
    log(`  run ${r + 1}: ${Object.entries(results).filter(([, v]) => v.length).map(([k, v]) => `${k} ${Math.round(v.at(-1).spansPerSec)}/s${` [${v.at(-1).cpuUsPerSpan.toFixed(1)} µs CPU/span]`}${v.at(-1).batches ? ` (${v.at(-1).batches} batches, all acknowledged at ${Math.round(v.at(-1).ackedMs)} of ${Math.round(v.at(-1).ms)} ms; senders ${Math.round(v.at(-1).senderCpuMs)} ms CPU)` : ''}`).join(', ')}`);
  }
  fs.rmSync(path.dirname(bundle), { recursive: true, force: true });

  const med = (k) => (results[k].length ? median(results[k].map((x) => x.spansPerSec)) : null);
  const rawNoKeys = med('rawNoKeys');
  const rawKeys = med('rawKeys');
  const summary = {
    spans: spans.length,
    events: rows.events.length,
    requests: bodies.protobuf.length,
    concurrency: o.concurrency,
    repeat: o.repeat,
    spansPerSec: { rawAppenderNoKeys: rawNoKeys, rawAppenderWithKeys: rawKeys, endToEndProtobuf: med('protobuf'), endToEndJson: med('json') },
    ratio: {},
    load: { start: loadStart, end: load() },
    machine: { cpu: os.cpus()[0]?.model ?? null, cores: os.availableParallelism(), node: process.version },
    runs: results,
  };
  // Each run's end-to-end rate against the raw rates of the same run (same load), then the median.
  const perRun = (enc, raw) => results[enc].map((x, i) => x.spansPerSec / results[raw][i].spansPerSec);
  for (const enc of o.encodings) {
    const noKeys = perRun(enc, 'rawNoKeys');
    const keys = perRun(enc, 'rawKeys');
    summary.ratio[enc] = { vsRawNoKeys: median(noKeys), vsRawWithKeys: median(keys), perRunVsRawNoKeys: noKeys, perRunVsRawWithKeys: keys };
  }

  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const f = (x) => (x === null ? '-' : `${Math.round(x).toLocaleString('en-US')} spans/s`);
    const out = [
      `raw appender, same rows, no keys      ${f(rawNoKeys)}`,
      `raw appender, same rows, memoryd keys ${f(rawKeys)}`,
      ...o.encodings.map((enc) => `end to end, OTLP/HTTP ${enc.padEnd(8)}        ${f(med(enc))}   ratio ${summary.ratio[enc].vsRawNoKeys.toFixed(2)} × raw (no keys), ${summary.ratio[enc].vsRawWithKeys.toFixed(2)} × raw (keys)`),
      `(medians of ${o.repeat} run(s); ratios are each run's end-to-end ÷ the same run's raw rate, then the median)`,
      `goal: end to end ≥ 0.5 × raw appender; load average start ${summary.load.start}, end ${summary.load.end}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  // A benchmark used as a closure check fails when it misses its stated target.
  const missed = [];
  for (const enc of o.encodings.filter((e) => o.targetEncodings.includes(e))) {
    const r = summary.ratio[enc].vsRawNoKeys;
    const ok = r >= 0.5;
    process.stderr.write(`target ${enc}: ${r.toFixed(2)} × raw (goal ≥ 0.50) → ${ok ? 'MET' : 'MISSED'}\n`);
    if (!ok) missed.push(enc);
  }
  if (o.check && missed.length) process.exitCode = 1;
}

const sum = (bufs) => bufs.reduce((n, b) => n + b.length, 0);

/** User + system CPU in ms of a /proc stat file (a process's, or one of its threads'); NaN where there is no /proc. */
function statCpuMs(file) {
  try {
    const f = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** User + system CPU of a process so far, in ms. */
const procCpuMs = (pid) => statCpuMs(`/proc/${pid}/stat`);

/** CPU ms of each thread of a process so far, busiest first (threads are listed by id and name). */
function threadCpu(pid) {
  let tids;
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 'unavailable';
  }
  const rows = tids.map((t) => {
    const name = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    return [`${t === String(pid) ? 'main' : t}:${name}`, statCpuMs(`/proc/${pid}/task/${t}/stat`)];
  });
  return rows.filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).map(([n, ms]) => `${n} ${Math.round(ms)}`).join(', ');
}

function getJson(agent, url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(JSON.parse(text)));
      })
      .on('error', reject);
  });
}

function post(agent, url, body, contentType) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

await main();
