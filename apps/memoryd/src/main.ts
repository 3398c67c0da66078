import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, workerData } from 'node:worker_threads';
import { MemorydConfigError, parseBytes, parseDuration, type MemorydConfigInput } from './config.js';

/** The default environment variable of the bearer token (`--token-env` names another). */
const TOKEN_ENV = 'MEMORYD_TOKEN';
import { startMemoryd } from './daemon.js';
import { runStoreWorker } from './store-worker.js';

/**
 * The daemon's command line (bundled to dist/memoryd.mjs by scripts/build.mjs):
 *
 *   node apps/memoryd/dist/memoryd.mjs serve [--db FILE] [--spool DIR] [--host H] [--port N]
 *
 * Prints one JSON line on stdout when listening (`{"event":"listening","url":…}`),
 * logs on stderr, stops cleanly on SIGTERM/SIGINT (queued payloads committed,
 * database checkpointed). Exit 0 after a clean stop, 1 when it cannot start
 * (e.g. the database is open in another process, or the `memory-store` gate is
 * closed), 2 on a usage error (a non-loopback --host without a token of at least
 * 32 bytes included).
 *
 * Gated: when the governed root (--root, else the nearest folder up from the working
 * directory holding govern.config.yaml or .git) declares a `memory-store` gate, memoryd
 * starts only once it is enabled — before opening the database or listening — and
 * otherwise exits 1 naming the blocking milestones. `--ignore-gate` starts it anyway
 * and logs that on stderr. A root that declares no such gate is not governed by one.
 *
 * The store runs in a worker thread started from this same bundle (store-thread.ts).
 *
 * Test hook (faults.ts): MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS=<ms> prints
 * `{"event":"before-commit"}` inside a batch's transaction, just before
 * COMMIT, and waits that long — the window in which the kill test SIGKILLs it.
 * MEMORYD_FAULT_SKIP_BATCHES=<n> lets the first n batches commit normally.
 */
const USAGE = `usage: memoryd serve [--db FILE] [--spool DIR] [--host HOST] [--port N] [options]

  --root DIR                the repository whose govern.config.yaml may gate memoryd (default: the
                            nearest folder up from here holding govern.config.yaml or .git)
  --ignore-gate             start even though the memory-store gate is disabled (logged on stderr)
  --db FILE                 the DuckDB file (default .govern/memory/memory.duckdb)
  --spool DIR               the spool of received payloads (default <db>.spool)
  --host HOST               listen address (default 127.0.0.1); anything but loopback needs a token
                            of at least 32 bytes (openssl rand -hex 32 makes one)
  --port N                  listen port (default 4318, the OTLP/HTTP port; 0 for any free port)
  --token-env NAME          the environment variable holding the bearer token every request must
                            carry (default MEMORYD_TOKEN, if set); exporters send it with
                            OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20<token>
  --max-batch-spans N       spans per ingest transaction at most (default 20000)
  --max-queued-spans N      uncommitted spans above which requests get 503 (default 200000)
  --degraded-lag DURATION   /health says degraded while the oldest acknowledged payload has waited
                            longer than this for its commit (default 60s; also while the queue is full)
  --log-batches             one line per committed batch on stderr (spans, events, milliseconds)

  --redact-key KEY          an attribute key whose values are always redacted (repeatable;
                            added to the defaults: process.command_args, …authorization, …)
  --retain-age DURATION     delete task facts older than this (30d, 12h, 90m)
  --retain-bytes SIZE       delete the oldest task facts while the data exceeds this (2GiB, 500MB)
  --retention-interval DURATION   how often retention runs (default 1h; also at start)
  --alert-ingest-lag DURATION     alert when the oldest uncommitted payload is older than this
  --alert-queued-spans N    alert when more spans than this wait for their commit
  --alert-db-bytes SIZE     alert when the database file and its WAL exceed this
  --alert-command CMD       run with /bin/sh -c when an alert fires or resolves (JSON on stdin)
  --alert-webhook URL       POST the alert as JSON when it fires or resolves
  --alert-interval DURATION how often alerts are checked (default 10s)
`;

/** The policy flags as config (undefined when none of a group is given). Throws on a malformed value. */
function policyConfig(v: Record<string, string | string[] | boolean | undefined>): Pick<MemorydConfigInput, 'redactKeys' | 'retention' | 'alerts' | 'degradedLagMs'> {
  const str = (name: string) => v[name] as string | undefined;
  const parse = (name: string, fn: (s: string) => number | null, what: string) => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const n = fn(raw);
    if (n === null || n <= 0) throw new Error(`--${name} ${raw}: expected ${what}`);
    return n;
  };
  const duration = (name: string) => parse(name, parseDuration, 'a duration such as 30d, 12h, 15m, 10s or 500ms');
  const bytes = (name: string) => parse(name, parseBytes, 'a size such as 2GiB, 500MB or 1048576');
  const count = (name: string) => parse(name, (s) => (/^\d+$/.test(s) ? Number(s) : null), 'a positive integer');
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
  const retention = defined({ maxAgeMs: duration('retain-age'), maxBytes: bytes('retain-bytes'), intervalMs: duration('retention-interval') });
  const alerts = defined({
    ingestLagMs: duration('alert-ingest-lag'),
    queuedSpans: count('alert-queued-spans'),
    databaseBytes: bytes('alert-db-bytes'),
    command: str('alert-command'),
    webhook: str('alert-webhook'),
    intervalMs: duration('alert-interval'),
  });
  const degradedLagMs = duration('degraded-lag');
  return {
    redactKeys: (v['redact-key'] as string[] | undefined) ?? [],
    ...(degradedLagMs !== undefined ? { degradedLagMs } : {}),
    ...(Object.keys(retention).length ? { retention } : {}),
    ...(Object.keys(alerts).length ? { alerts } : {}),
  };
}

/** The gate memoryd is governed by, where the root's govern.config.yaml declares it. */
const GATE = 'memory-store';

/** `--root`, else the nearest folder up from the working directory holding govern.config.yaml or .git (else the working directory), as the govern CLI resolves it. */
function governedRoot(root: string | undefined): string {
  if (root !== undefined) return path.resolve(root);
  const cwd = process.cwd();
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'govern.config.yaml')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/**
 * The gate check, before anything is opened: `true` to go on. A closed gate (or a
 * govern.config.yaml that cannot be evaluated: fail closed) prints the explanation and
 * stops memoryd, unless `ignore`, which logs the override and goes on. The gates library
 * is loaded here only (the bundle is also the store worker's script, which never needs it).
 */
async function checkGate(root: string, ignore: boolean): Promise<boolean> {
  const { assertEnabledWhereDeclared, isGateError } = await import('@govern/gates');
  try {
    await assertEnabledWhereDeclared(GATE, { root });
    return true;
  } catch (err) {
    if (!isGateError(err)) throw err;
    if (ignore) {
      process.stderr.write(`memoryd: warning: gate overridden by --ignore-gate: ${err.message}\n`);
      return true;
    }
    process.stderr.write(`memoryd: refusing to start: ${err.message} (root ${root}; --ignore-gate starts it anyway)\n`);
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        'ignore-gate': { type: 'boolean' },
        db: { type: 'string' },
        spool: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'token-env': { type: 'string' },
        'max-batch-spans': { type: 'string' },
        'max-queued-spans': { type: 'string' },
        'degraded-lag': { type: 'string' },
        'log-batches': { type: 'boolean' },
        'redact-key': { type: 'string', multiple: true },
        'retain-age': { type: 'string' },
        'retain-bytes': { type: 'string' },
        'retention-interval': { type: 'string' },
        'alert-ingest-lag': { type: 'string' },
        'alert-queued-spans': { type: 'string' },
        'alert-db-bytes': { type: 'string' },
        'alert-command': { type: 'string' },
        'alert-webhook': { type: 'string' },
        'alert-interval': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`memoryd: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} ${v}: expected a non-negative integer`);
    return n;
  };
  let policy;
  try {
    policy = policyConfig(values);
  } catch (err) {
    process.stderr.write(`memoryd: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  // The token comes from the environment, never from an argument (process lists show arguments).
  const tokenEnv = values['token-env'] ?? TOKEN_ENV;
  const token = process.env[tokenEnv]?.trim() || undefined;
  if (values['token-env'] !== undefined && !token) {
    process.stderr.write(`memoryd: --token-env ${tokenEnv}: the environment variable ${tokenEnv} is not set\n${USAGE}`);
    return 2;
  }
  const root = governedRoot(values.root);
  if (values.root !== undefined && !fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`memoryd: --root ${values.root}: not a directory\n${USAGE}`);
    return 2;
  }
  try {
    if (!(await checkGate(root, values['ignore-gate'] === true))) return 1;
  } catch (err) {
    process.stderr.write(`memoryd: cannot start: cannot evaluate the ${GATE} gate of ${root}: ${(err as Error).message}\n`);
    return 1;
  }
  let daemon;
  try {
    const port = int(values.port, 'port');
    const maxBatchSpans = int(values['max-batch-spans'], 'max-batch-spans');
    const maxQueuedSpans = int(values['max-queued-spans'], 'max-queued-spans');
    daemon = await startMemoryd(
      {
        db: values.db ?? '.govern/memory/memory.duckdb',
        ...(values.spool ? { spoolDir: values.spool } : {}),
        ...(values.host ? { host: values.host } : {}),
        ...(token ? { token } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(maxBatchSpans ? { maxBatchSpans } : {}),
        ...(maxQueuedSpans ? { maxQueuedSpans } : {}),
        ...policy,
      },
      {
        log: (line) => void process.stderr.write(`${line}\n`),
        ...(values['log-batches'] ? { onCommit: (r) => void process.stderr.write(`memoryd: batch ${r.batchId} ${r.path}: ${r.spansInserted}/${r.spansReceived} spans, ${r.eventsInserted} events in ${r.ms.toFixed(1)} ms\n`) } : {}),
        // This bundle is also the store worker's script (see the end of this file); the
        // worker reads the fault-injection variables itself (faults.ts).
        storeWorker: fileURLToPath(import.meta.url),
        onFatal: (err) => {
          process.stderr.write(`memoryd: ${err.message}; exiting (acknowledged payloads are in the spool)\n`);
          process.exit(1);
        },
      },
    );
  } catch (err) {
    if (err instanceof MemorydConfigError) {
      process.stderr.write(`memoryd: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`memoryd: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  // The signal handlers go in before the listening line: a supervisor may stop memoryd
  // as soon as it reads it, and that must be the clean stop, not the default kill.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const s = daemon.status();
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: daemon.url, auth: token ? 'bearer' : 'none', db: daemon.config.db, spool: daemon.config.spoolDir, recovered: s.recovered, checkpoint: s.checkpoint })}\n`);
  await stopped;
  await daemon.stop();
  process.stderr.write(`memoryd: stopped; checkpoint ${daemon.store.checkpoint().lastSeq}\n`);
  return 0;
}

if (isMainThread) process.exitCode = await main(process.argv.slice(2));
else if ((workerData as Record<string, unknown> | null)?.memorydStoreWorker) runStoreWorker();
