#!/usr/bin/env node
// Read-path benchmark for the govern CLI (see docs/benchmarks.md).
//
//   npm run bench                       # sizes 1000 and 10000
//   node bench/read-path.mjs --sizes 1000 --json
//
// For each size N it generates (or reuses) a synthetic corpus in bench/.corpus/<N>/, runs
//   node apps/cli/bin/govern.mjs graph --json --root bench/.corpus/<N>
// as a child process cold (no .govern/ cache), warm (nothing changed) and after one
// document changed, and measures wall time, CPU time (user + sys, with GNU time), the
// child's peak RSS, documents per second and the size of the JSON it prints. It then runs a naive in-process baseline (gray-matter +
// remark + remark-gfm, one file after another) over the same files and prints the ratios
// against the targets.
//
// Options:
//   --sizes 1000,10000   corpus sizes (documents)
//   --json               print the figures as one JSON object on stdout (progress goes to stderr)
//   --repeat N           runs of each CLI scenario; the summary shows the median (default 1).
//                        The naive baseline runs right after each cold run, so that each
//                        cold/naive ratio is taken under the same machine load; the target
//                        is the median of those ratios
//   --naive-sample N     run the naive baseline on N evenly spaced files of a larger corpus
//                        and extrapolate (default 1000); --naive-full runs every file
//   --timeout S          kill a CLI run after S seconds and count it as failed (default 600)
//   --rss auto|time|proc how to measure the child's peak RSS (default auto)
//   --cli PATH           the CLI entry point (default apps/cli/bin/govern.mjs; for trying the
//                        benchmark against a stand-in)
//   --no-cli, --no-naive skip one half
//   --check              exit 1 when a target is missed (by default only failed runs do):
//                        cold ≥ 6x the naive parse at every size, warm 10,000 < 1 s
//   --phases             run the CLI with GOVERN_TIMING=1 and report its per-phase times
//                        (start-up, cache, graph, serialize, write, GC) for each run
//
// Dependency-free apart from gray-matter, remark and remark-gfm for the baseline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { generateCorpus, readManifest, GENERATOR_VERSION } from './generate-corpus.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DEFAULT_CLI = 'apps/cli/bin/govern.mjs';
const TARGET_COLD_RATIO = 6; // cold CLI docs/s ÷ naive docs/s ≥ 6 (issue 16; the median of the paired runs)
const TARGET_WARM_MS = 1000; // warm wall time for 10,000 documents < 1000 ms
const TARGET_WARM_SIZE = 10000;
const NAIVE_WARMUP = 200; // files parsed untimed before the naive baseline's clock starts

// ---------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = {
    sizes: [1000, 10000],
    json: false,
    repeat: 1,
    naiveSample: 1000,
    naiveFull: false,
    timeoutS: 600,
    rss: 'auto',
    cli: DEFAULT_CLI,
    runCli: true,
    runNaive: true,
    check: false,
    phases: false,
  };
  const value = (i, name) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) usage(`${name} needs a value`);
    return v;
  };
  const posInt = (v, name) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const take = () => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case '--sizes':
        opts.sizes = take().split(',').filter(Boolean).map((s) => posInt(s.replace(/_/g, ''), '--sizes'));
        break;
      case '--json':
        opts.json = true;
        break;
      case '--repeat':
        opts.repeat = posInt(take(), '--repeat');
        break;
      case '--naive-sample':
        opts.naiveSample = posInt(take(), '--naive-sample');
        break;
      case '--naive-full':
        opts.naiveFull = true;
        break;
      case '--timeout':
        opts.timeoutS = posInt(take(), '--timeout');
        break;
      case '--rss':
        opts.rss = take();
        if (!['auto', 'time', 'proc'].includes(opts.rss)) usage('--rss must be auto, time or proc');
        break;
      case '--cli':
        opts.cli = take();
        break;
      case '--no-cli':
        opts.runCli = false;
        break;
      case '--no-naive':
        opts.runNaive = false;
        break;
      case '--check':
        opts.check = true;
        break;
      case '--phases':
        opts.phases = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  return opts;
}

function usage(msg) {
  if (msg) console.error(`read-path: ${msg}`);
  console.error(
    'usage: node bench/read-path.mjs [--sizes 1000,10000] [--json] [--repeat N] [--naive-sample N | --naive-full]\n' +
      '                                [--timeout S] [--rss auto|time|proc] [--cli PATH] [--no-cli] [--no-naive] [--check] [--phases]',
  );
  process.exit(msg ? 2 : 0);
}

// ---------------------------------------------------------------------------------------
// Helpers

const log = (...a) => console.error(...a); // progress always goes to stderr
const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

function listCorpus(dir) {
  const files = [];
  for (const sub of ['trackers', 'workplans']) {
    const d = path.join(dir, sub);
    for (const f of fs.readdirSync(d).sort()) if (f.endsWith('.md')) files.push(path.join(d, f));
  }
  return files;
}

function environment(rssMethod) {
  let nproc = null;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    nproc = os.availableParallelism?.() ?? os.cpus().length;
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    nproc,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    loadAvgAtStart: os.loadavg().map((x) => round(x, 2)),
    rssMethod,
  };
}

// GNU time: peak RSS (KiB), user and system CPU seconds. CPU time is less sensitive to other
// load on the machine than wall time (though not immune: caches and frequency are shared).
const TIME_FORMAT = '%M %U %S';
const TIME_LINE = /^(\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/;

/** Picks how to measure a child's peak RSS: GNU time's %M, else /proc/<pid>/status VmHWM polling. */
function chooseRssMethod(pref) {
  const timeWorks = () => {
    try {
      if (!fs.existsSync('/usr/bin/time')) return false;
      const tmp = path.join(os.tmpdir(), `govern-bench-time-${process.pid}.txt`);
      execFileSync('/usr/bin/time', ['-f', TIME_FORMAT, '-o', tmp, 'true'], { stdio: 'ignore' });
      const ok = TIME_LINE.test(fs.readFileSync(tmp, 'utf8').trim().split('\n').pop());
      fs.rmSync(tmp, { force: true });
      return ok;
    } catch {
      return false;
    }
  };
  const procWorks = () => {
    try {
      return /VmHWM:/.test(fs.readFileSync('/proc/self/status', 'utf8'));
    } catch {
      return false;
    }
  };
  if (pref === 'time') {
    if (!timeWorks()) throw new Error('--rss time: /usr/bin/time -f %M does not work here');
    return 'time';
  }
  if (pref === 'proc') {
    if (!procWorks()) throw new Error('--rss proc: /proc/<pid>/status has no VmHWM here');
    return 'proc';
  }
  if (timeWorks()) return 'time';
  if (procWorks()) return 'proc';
  return 'none';
}

// Things to undo if the benchmark is interrupted: running children (their process groups)
// and the edited document.
const activeChildren = new Set();
const cleanups = new Set();
function onSignal(sig) {
  for (const pid of activeChildren) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const fn of cleanups) fn();
  process.exit(sig === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// ---------------------------------------------------------------------------------------
// Child-process measurement

/**
 * Runs `node <cli> <args>` with stdout and stderr going to files (never buffered in this
 * process). Returns wall time, peak RSS (KiB) and how the child ended.
 */
function runChild({ cli, args, stdoutPath, stderrPath, rssMethod, timeoutMs, env }) {
  return new Promise((resolve) => {
    const outFd = fs.openSync(stdoutPath, 'w');
    const errFd = fs.openSync(stderrPath, 'w');
    const timeFile = `${stderrPath}.time`;
    const nodeArgv = [process.execPath, cli, ...args];
    const [cmd, argv] =
      rssMethod === 'time' ? ['/usr/bin/time', ['-f', TIME_FORMAT, '-o', timeFile, ...nodeArgv]] : [nodeArgv[0], nodeArgv.slice(1)];
    let hwmKb = null;
    let poll = null;
    let timedOut = false;
    const t0 = performance.now();
    // detached: the child leads its own process group, so a timeout can kill node
    // together with /usr/bin/time.
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', outFd, errFd], detached: true, env: { ...process.env, ...env } });
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    if (child.pid) activeChildren.add(child.pid);
    if (rssMethod === 'proc') {
      const statusPath = `/proc/${child.pid}/status`;
      const sample = () => {
        try {
          const m = /VmHWM:\s*(\d+)\s*kB/.exec(fs.readFileSync(statusPath, 'utf8'));
          if (m) hwmKb = Math.max(hwmKb ?? 0, Number(m[1]));
        } catch {
          /* gone */
        }
      };
      sample();
      poll = setInterval(sample, 5);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    const finish = (code, signal, spawnError) => {
      const wallMs = performance.now() - t0;
      activeChildren.delete(child.pid);
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let exitCode = code;
      let sig = signal;
      let peakRssKb = rssMethod === 'proc' ? hwmKb : null;
      let cpuMs = null;
      if (rssMethod === 'time') {
        try {
          const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
          const m = TIME_LINE.exec(lines.pop()?.trim() ?? '');
          if (m) {
            peakRssKb = Number(m[1]);
            cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
          }
          for (const l of lines) {
            const s = /terminated by signal (\d+)/.exec(l);
            if (s) {
              sig = Number(s[1]);
              exitCode = null;
            }
          }
          fs.rmSync(timeFile, { force: true });
        } catch {
          /* no time output */
        }
      }
      resolve({ wallMs, cpuMs, peakRssKb, exitCode, signal: sig, timedOut, spawnError: spawnError?.message ?? null });
    };
    child.once('error', (err) => finish(null, null, err));
    child.once('exit', (code, signal) => finish(code, signal, null));
  });
}

function tail(file, bytes = 2000) {
  try {
    const s = fs.readFileSync(file, 'utf8');
    return s.length > bytes ? '…' + s.slice(-bytes) : s;
  } catch {
    return '';
  }
}

/** Size of the JSON on stdout, and whether it is one object with nodes and diagnostics arrays. */
function inspectStdout(file) {
  const bytes = fs.statSync(file).size;
  const out = { stdoutBytes: bytes, jsonOk: false, nodes: null, diagnostics: null };
  if (bytes === 0 || bytes > 1024 ** 3) return out;
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (v && typeof v === 'object' && Array.isArray(v.nodes) && Array.isArray(v.diagnostics)) {
      out.jsonOk = true;
      out.nodes = v.nodes.length;
      out.diagnostics = v.diagnostics.length;
    }
  } catch {
    /* not JSON */
  }
  return out;
}

/** `govern timing: <phase> <ms> ms` lines (GOVERN_TIMING=1) from a run's stderr, as { phase: ms }. */
function readPhases(file) {
  const phases = {};
  for (const m of tail(file, 1 << 20).matchAll(/^govern timing: (\S+) (\d+(?:\.\d+)?) ms/gm)) phases[m[1]] = Number(m[2]);
  return Object.keys(phases).length ? phases : null;
}

async function measureCli({ label, n, dir, cli, rssMethod, timeoutMs, runsDir, phases }) {
  const stdoutPath = path.join(runsDir, `${n}-${label}.stdout.json`);
  const stderrPath = path.join(runsDir, `${n}-${label}.stderr.txt`);
  const env = phases ? { GOVERN_TIMING: '1' } : { GOVERN_TIMING: '' };
  const r = await runChild({ cli, args: ['graph', '--json', '--root', dir], stdoutPath, stderrPath, rssMethod, timeoutMs, env });
  const out = inspectStdout(stdoutPath);
  const ok = !r.spawnError && !r.timedOut && r.signal == null && (r.exitCode === 0 || r.exitCode === 1) && out.jsonOk;
  const res = {
    label,
    ok,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    wallMs: round(r.wallMs, 1),
    cpuMs: round(r.cpuMs, 0),
    peakRssMB: r.peakRssKb == null ? null : round(r.peakRssKb / 1024, 1),
    docsPerSec: null,
    ...out,
    stdoutFile: path.relative(ROOT, stdoutPath),
  };
  if (ok) res.docsPerSec = round((n / r.wallMs) * 1000, 0);
  if (phases) res.phases = readPhases(stderrPath);
  if (!ok) {
    res.error = r.spawnError
      ? `spawn failed: ${r.spawnError}`
      : r.timedOut
        ? `timed out after ${timeoutMs / 1000} s`
        : r.signal != null
          ? `killed by signal ${r.signal}`
          : r.exitCode !== 0 && r.exitCode !== 1
            ? `exit code ${r.exitCode}`
            : out.stdoutBytes === 0
              ? `exit code ${r.exitCode} with empty stdout (an uncaught exception also exits 1)`
              : `exit code ${r.exitCode} but stdout is not one JSON object with nodes[] and diagnostics[]`;
    res.stderrTail = tail(stderrPath);
  }
  log(
    `  ${label.padEnd(10)} ${ok ? 'ok  ' : 'FAIL'} ${String(res.wallMs).padStart(9)} ms  cpu ${String(res.cpuMs ?? '?').padStart(7)} ms  ` +
      `${String(res.peakRssMB ?? '?').padStart(7)} MB  ${String(res.docsPerSec ?? '-').padStart(7)} docs/s  ${res.stdoutBytes} B` +
      (ok ? '' : `  (${res.error})`),
  );
  return res;
}

async function runCliScenarios({ n, dir, files, cli, rssMethod, timeoutMs, repeat, runsDir, phases, afterCold }) {
  const cacheDir = path.join(dir, '.govern');
  const runs = { cold: [], warm: [], changed: [] };
  const common = { n, dir, cli, rssMethod, timeoutMs, runsDir, phases };
  for (let i = 0; i < repeat; i++) {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    runs.cold.push(await measureCli({ ...common, label: 'cold' }));
    if (afterCold) await afterCold(i);
  }
  for (let i = 0; i < repeat; i++) runs.warm.push(await measureCli({ ...common, label: 'warm' }));
  // One file changed: append a line to one document (always the same, from the middle of
  // the sorted list), run, then put back its bytes and timestamps.
  const target = files[Math.floor(files.length / 2)];
  const original = fs.readFileSync(target);
  const { atime, mtime } = fs.statSync(target);
  const restore = () => {
    fs.writeFileSync(target, original);
    fs.utimesSync(target, atime, mtime);
  };
  cleanups.add(restore);
  try {
    for (let i = 0; i < repeat; i++) {
      fs.appendFileSync(target, `\nEdited by bench/read-path.mjs (change ${i + 1}).\n`);
      try {
        runs.changed.push(await measureCli({ ...common, label: 'changed' }));
      } finally {
        restore();
      }
    }
  } finally {
    cleanups.delete(restore);
  }
  const summary = {};
  for (const [k, rs] of Object.entries(runs)) {
    summary[k] = {
      ok: rs.every((r) => r.ok),
      wallMs: round(median(rs.map((r) => r.wallMs)), 1),
      cpuMs: round(median(rs.map((r) => r.cpuMs)), 0),
      peakRssMB: round(median(rs.map((r) => r.peakRssMB)), 1),
      docsPerSec: round(median(rs.map((r) => (n / r.wallMs) * 1000)), 0),
      stdoutBytes: rs.at(-1)?.stdoutBytes ?? null,
    };
  }
  return { changedFile: path.relative(dir, target), runs, summary };
}

// ---------------------------------------------------------------------------------------
// Naive in-process baseline

let naiveLibs = null;
async function loadNaiveLibs() {
  if (!naiveLibs) {
    const [{ default: matter }, { remark }, { default: remarkGfm }] = await Promise.all([
      import('gray-matter'),
      import('remark'),
      import('remark-gfm'),
    ]);
    naiveLibs = { matter, remark, remarkGfm };
  }
  return naiveLibs;
}

async function runNaive({ files, sample, full }) {
  const { matter, remark, remarkGfm } = await loadNaiveLibs();
  let chosen = files;
  if (!full && files.length > sample) {
    // Evenly spaced over the sorted list, so every family is represented in proportion.
    const stride = files.length / sample;
    chosen = Array.from({ length: sample }, (_, i) => files[Math.floor(i * stride)]);
  }
  // Untimed warm-up so that the figure is the steady-state rate (JIT compilation of
  // micromark costs a few hundred ms up front); this makes the ratio target stricter.
  for (const file of chosen.slice(0, NAIVE_WARMUP)) remark().use(remarkGfm).parse(matter(fs.readFileSync(file, 'utf8'), {}).content);
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const file of chosen) {
    const text = fs.readFileSync(file, 'utf8');
    bytes += Buffer.byteLength(text);
    const { content } = matter(text, {}); // an options object bypasses gray-matter's content cache
    remark().use(remarkGfm).parse(content);
  }
  const measuredMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const extrapolated = chosen.length !== files.length;
  const wallMs = (measuredMs * files.length) / chosen.length;
  const res = {
    files: chosen.length,
    extrapolated,
    measuredMs: round(measuredMs, 1),
    wallMs: round(wallMs, 1),
    // This process's CPU time (user + sys, GC threads included), extrapolated like wallMs.
    cpuMs: round(((cpu.user + cpu.system) / 1000) * (files.length / chosen.length), 0),
    docsPerSec: round((chosen.length / measuredMs) * 1000, 0),
    mbPerSec: round(bytes / 1024 / 1024 / (measuredMs / 1000), 2),
    note:
      (extrapolated
        ? `measured on ${chosen.length} evenly spaced files of ${files.length}; wall time extrapolated ×${round(files.length / chosen.length, 2)}`
        : `all ${files.length} files`) + `; after an untimed warm-up on ${Math.min(NAIVE_WARMUP, chosen.length)} of them`,
  };
  log(`  naive      ${String(res.wallMs).padStart(9)} ms  cpu ${String(res.cpuMs).padStart(7)} ms  ${String(res.docsPerSec).padStart(7)} docs/s  (${res.note})`);
  return res;
}

// ---------------------------------------------------------------------------------------
// Corpus

function ensureCorpus(n) {
  const dir = path.join(ROOT, 'bench', '.corpus', String(n));
  const m = readManifest(dir);
  if (m && m.count === n && m.generatorVersion === GENERATOR_VERSION) {
    log(`corpus ${path.relative(ROOT, dir)}: reusing ${n} documents (${m.bytes} bytes)`);
    return { dir, bytes: m.bytes, generated: false };
  }
  log(`corpus ${path.relative(ROOT, dir)}: generating ${n} documents…`);
  fs.mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const { bytes } = generateCorpus(dir, n);
  log(`  ${bytes} bytes in ${Math.round(performance.now() - t0)} ms`);
  return { dir, bytes, generated: true };
}

// ---------------------------------------------------------------------------------------
// Report

function printHuman(report) {
  const e = report.environment;
  const lines = [];
  lines.push('govern read-path benchmark');
  lines.push(`date ${e.date}  node ${e.node}  nproc ${e.nproc}  ${e.platform}`);
  lines.push(`load average (1/5/15 min) at start ${e.loadAvgAtStart.join(' ')}, at end ${e.loadAvgAtEnd.join(' ')}`);
  lines.push(`cpu ${e.cpu}  memory ${e.memoryGiB} GiB  peak RSS via ${e.rssMethod === 'time' ? `/usr/bin/time -f '${TIME_FORMAT}' (also CPU time)` : e.rssMethod === 'proc' ? '/proc/<pid>/status VmHWM polling (5 ms; no CPU time)' : 'not measured'}`);
  lines.push(`cli: node ${report.cli} graph --json --root <corpus>${report.cliMissing ? '  (NOT FOUND: CLI runs skipped)' : ''}`);
  for (const s of report.sizes) {
    lines.push('');
    lines.push(`== ${s.n} documents, ${(s.corpusBytes / 1024 / 1024).toFixed(1)} MiB (${s.corpusDir}) ==`);
    if (s.cli) {
      lines.push('| run | ok | wall ms | cpu ms (user+sys) | peak RSS MB | docs/s | stdout bytes | exit | nodes | diagnostics |');
      lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const k of ['cold', 'warm', 'changed']) {
        for (const r of s.cli.runs[k]) {
          lines.push(
            `| ${k} | ${r.ok ? 'yes' : 'NO'} | ${r.wallMs} | ${r.cpuMs ?? '?'} | ${r.peakRssMB ?? '?'} | ${r.docsPerSec ?? '-'} | ${r.stdoutBytes} | ` +
              `${r.exitCode ?? (r.signal != null ? `sig ${r.signal}` : '?')} | ${r.nodes ?? '-'} | ${r.diagnostics ?? '-'} |`,
          );
        }
      }
      lines.push(`(changed = one line appended to ${s.cli.changedFile}, restored afterwards)`);
      const withPhases = ['cold', 'warm', 'changed'].flatMap((k) => s.cli.runs[k].map((r, i) => [`${k}${s.cli.runs[k].length > 1 ? ` #${i + 1}` : ''}`, r.phases])).filter(([, p]) => p);
      if (withPhases.length) {
        lines.push('phases (GOVERN_TIMING=1, ms; gc overlaps the others, total is the CLI\'s own clock):');
        for (const [k, p] of withPhases) lines.push(`  ${k.padEnd(10)} ${Object.entries(p).map(([name, ms]) => `${name} ${Math.round(ms)}`).join(', ')}`);
      }
      for (const k of ['cold', 'warm', 'changed'])
        for (const r of s.cli.runs[k]) if (!r.ok) lines.push(`${k} FAILED: ${r.error}\n${r.stderrTail}`);
    }
    if (s.naive) {
      lines.push(
        `naive baseline (in-process gray-matter + remark + remark-gfm, one file after another): ` +
          `${s.naive.wallMs} ms, ${s.naive.docsPerSec} docs/s, ${s.naive.mbPerSec} MiB/s — ${s.naive.note}` +
          (s.naive.runs > 1 ? ` (median of ${s.naive.runs} runs: ${s.naive.docsPerSecRuns.join(', ')} docs/s)` : ''),
      );
    }
  }
  lines.push('');
  for (const s of report.sizes) {
    if (s.coldCpuRatios?.some((x) => x != null)) lines.push(`cold CPU ratio (naive CPU ms ÷ cold CLI CPU ms), ${s.n} documents, paired runs: ${s.coldCpuRatios.join(', ')} (median ${round(median(s.coldCpuRatios), 2)}; not a target)`);
  }
  lines.push('Targets');
  for (const t of report.targets) {
    lines.push(`- ${t.name}: ${t.value ?? 'n/a'} (target ${t.target}) → ${t.met == null ? 'n/a' : t.met ? 'MET' : 'MISSED'}${t.note ? ` — ${t.note}` : ''}`);
  }
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const rssMethod = opts.runCli ? chooseRssMethod(opts.rss) : 'none';
  const cliAbs = path.resolve(ROOT, opts.cli);
  const cliMissing = opts.runCli && !fs.existsSync(cliAbs);
  if (cliMissing) log(`read-path: CLI not found at ${cliAbs}; skipping the CLI runs`);
  const runsDir = path.join(ROOT, 'bench', '.corpus', 'runs');
  fs.mkdirSync(runsDir, { recursive: true });

  const report = {
    environment: environment(rssMethod),
    cli: path.relative(ROOT, cliAbs).startsWith('..') ? cliAbs : path.relative(ROOT, cliAbs),
    cliMissing,
    sizes: [],
    targets: [],
  };
  log(`node ${report.environment.node}, nproc ${report.environment.nproc}, peak RSS via ${rssMethod}`);

  for (const n of opts.sizes) {
    const corpus = ensureCorpus(n);
    const files = listCorpus(corpus.dir);
    if (files.length !== n) throw new Error(`${corpus.dir} holds ${files.length} documents, expected ${n}`);
    const entry = { n, corpusDir: path.relative(ROOT, corpus.dir), corpusBytes: corpus.bytes, generatedNow: corpus.generated, cli: null, naive: null };
    const naiveRuns = [];
    const naive = async () => naiveRuns.push(await runNaive({ files, sample: opts.naiveSample, full: opts.naiveFull }));
    if (opts.runCli && !cliMissing) {
      log(`CLI runs (${n} documents${opts.runNaive ? ', the naive baseline after each cold run' : ''}):`);
      entry.cli = await runCliScenarios({
        n, dir: corpus.dir, files, cli: cliAbs, rssMethod, timeoutMs: opts.timeoutS * 1000, repeat: opts.repeat, runsDir, phases: opts.phases,
        afterCold: opts.runNaive ? naive : undefined,
      });
    } else if (opts.runNaive) {
      log(`naive baseline (${n} documents):`);
      for (let i = 0; i < opts.repeat; i++) await naive();
    }
    if (naiveRuns.length) {
      // The median run (by rate) stands for the baseline; each cold run is divided by the
      // naive run that followed it.
      const byRate = [...naiveRuns].sort((a, b) => a.docsPerSec - b.docsPerSec);
      entry.naive = { ...byRate[(byRate.length - 1) >> 1], runs: naiveRuns.length, docsPerSecRuns: naiveRuns.map((r) => r.docsPerSec) };
      entry.coldRatios = entry.cli ? entry.cli.runs.cold.map((r, i) => (r.ok && naiveRuns[i] ? round(n / (r.wallMs / 1000) / naiveRuns[i].docsPerSec, 2) : null)) : null;
      // Not a target: naive CPU ÷ cold CPU, which another load on the machine moves less
      // than wall time (but it does not credit the CLI's parallel workers).
      entry.coldCpuRatios = entry.cli ? entry.cli.runs.cold.map((r, i) => (r.ok && r.cpuMs && naiveRuns[i] ? round(naiveRuns[i].cpuMs / r.cpuMs, 2) : null)) : null;
    }
    report.sizes.push(entry);
  }

  for (const s of report.sizes) {
    const cold = s.cli?.summary.cold;
    const ratio = cold?.ok && s.coldRatios?.length ? median(s.coldRatios) : null;
    report.targets.push({
      name: `cold CLI docs/s ÷ naive docs/s, ${s.n} documents`,
      value: round(ratio, 2),
      target: `≥ ${TARGET_COLD_RATIO}`,
      met: ratio == null ? null : ratio >= TARGET_COLD_RATIO,
      note: [s.coldRatios?.length > 1 ? `median of the paired runs ${s.coldRatios.join(', ')}` : null, s.naive?.extrapolated ? 'naive figure from a sample' : null].filter(Boolean).join('; ') || undefined,
    });
  }
  const big = report.sizes.find((s) => s.n === TARGET_WARM_SIZE);
  const warm = big?.cli?.summary.warm;
  report.targets.push({
    name: `warm CLI wall time, ${TARGET_WARM_SIZE} documents (ms)`,
    value: warm?.ok ? warm.wallMs : null,
    target: `< ${TARGET_WARM_MS}`,
    met: warm?.ok ? warm.wallMs < TARGET_WARM_MS : null,
    note: big ? undefined : `size ${TARGET_WARM_SIZE} not run`,
  });

  report.environment.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printHuman(report);

  const failed = report.sizes.some((s) => s.cli && Object.values(s.cli.summary).some((x) => !x.ok));
  const missed = report.targets.some((t) => t.met === false);
  if (failed || cliMissing || (opts.check && missed)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(2);
});
