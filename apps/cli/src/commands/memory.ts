import { InvalidArgumentError, type Command } from 'commander';
import { assertEnabledWhereDeclared } from '@govern/gates';
import {
  DEFAULT_MEMORYD_URL,
  MAX_QUERY_LIMIT,
  MEMORYD_TOKEN_ENV,
  MEMORYD_URL_ENV,
  MemoryClient,
  type HealthResponse,
  type QueryRequestInput,
  type QueryResponse,
} from '@govern/memory-contract';
import { resolveRoot, tokenFromEnv, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor, table, type Colors } from '../render.js';

/**
 * `govern memory health|query`: memoryd's health and query primitives from a
 * terminal or a script (govern's failures and denials, and the spans of any
 * service: `query spans --service <name>`, `query trace --trace <id>`) — the same HTTP API (MemoryClient) the MCP memory_*
 * tools call; memoryd alone opens its database. `--json` prints memoryd's
 * answer as it is (the pinned `memory-health-response` / `memory-query-response`
 * contracts) or `{ "error": … }`. Gated like the MCP tools: when the root
 * declares a `memory-store` gate, these run only once it is enabled.
 */

// The contract (@govern/memory-contract: schemas, constants, the HTTP client) carries no
// DuckDB, so it is imported statically; only memoryd loads the engine.

interface MemoryOptions extends CommonOptions {
  url?: string;
  tokenEnv?: string;
}

interface QueryOptions extends MemoryOptions {
  from?: string;
  to?: string;
  limit?: number;
  filter?: string[];
  service?: string;
  trace?: string;
}

/** The primitives, by the short names the command takes (the API's names are accepted too). */
const PRIMITIVES = {
  failures: 'recent_failures_by_taskspec',
  rollup: 'gate_rollup_by_failure_reason_code',
  denials: 'guard_denials_by_policy_reason_code',
  spans: 'recent_spans',
  trace: 'trace_spans',
} as const;

async function client(ctx: CommandContext, opts: MemoryOptions): Promise<MemoryClient> {
  const token = tokenFromEnv(ctx, opts.tokenEnv, MEMORYD_TOKEN_ENV);
  const url = opts.url ?? (ctx.env[MEMORYD_URL_ENV]?.trim() || DEFAULT_MEMORYD_URL);
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url ${url}: expected an http(s) URL`);
  return new MemoryClient({ url, ...(token ? { token } : {}) });
}

/** The gate, then the call; memoryd's refusals (and its absence) exit 1 with their code. */
async function call<T>(ctx: CommandContext, opts: MemoryOptions, fn: (c: MemoryClient) => Promise<T>, render: (value: T, c: Colors) => string): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  await assertEnabledWhereDeclared('memory-store', { root, ...(opts.cache === false ? { cacheDir: null } : {}) });
  const c = colorsFor(ctx, opts);
  const m = await client(ctx, opts);
  let value: T;
  try {
    value = await fn(m);
  } catch (err) {
    return renderRefusal(ctx, opts, err, 'govern memory');
  }
  if (opts.json) writeJson(ctx, value);
  else ctx.stdout.write(render(value, c));
  return 0;
}

export function memoryHealthCommand(ctx: CommandContext, opts: MemoryOptions): Promise<number> {
  return call(ctx, opts, (m) => m.health(), renderHealth);
}

export function memoryQueryCommand(ctx: CommandContext, primitive: string, opts: QueryOptions): Promise<number> {
  const name = (PRIMITIVES as Record<string, string>)[primitive] ?? (Object.values(PRIMITIVES).includes(primitive as never) ? primitive : null);
  if (!name) throw new UsageError(`unknown primitive ${primitive}: use ${Object.keys(PRIMITIVES).join(', ')} (or ${Object.values(PRIMITIVES).join(', ')})`);
  const filters: Record<string, string> = {};
  for (const f of opts.filter ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--filter ${f}: expected key=value (e.g. stage=close)`);
    filters[f.slice(0, eq)] = f.slice(eq + 1);
  }
  // Shorthands of the span primitives' filters (memoryd refuses them on a primitive without the column).
  if (opts.service !== undefined) filters.service_name = opts.service;
  if (opts.trace !== undefined) filters.trace_id = opts.trace.toLowerCase();
  const req = {
    primitive: name,
    window: { ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) },
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    filters,
  } as QueryRequestInput;
  return call(ctx, opts, (m) => m.query(req), renderQuery);
}

function renderHealth(h: HealthResponse, c: Colors): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const lines = [
    `${c.bold('memoryd')} ${h.status === 'ok' ? c.green('ok') : c.red(h.status)}`,
    ...h.degraded.map((d) => `  ${c.red('degraded')}     ${d.message} [${d.code}]`),
    `  ingest       ${h.ingest.lagFrames} frames / ${h.ingest.lagSpans} spans waiting (oldest ${Math.round(h.ingest.lagMs)} ms); last commit ${h.ingest.lastCommitAt ?? '-'}`,
    `  checkpoint   seq ${h.lastCheckpoint.seq}: ${h.checkpoint.spans} spans, ${h.checkpoint.events} events in ${h.checkpoint.batches} batches; database checkpoint ${h.lastCheckpoint.databaseCheckpointAt ?? '-'}`,
    `  database     ${h.database.file} (${mib(h.database.fileBytes)} + WAL ${mib(h.database.walBytes)}; ${mib(h.database.usedBytes)} used)`,
    `  retention    ${h.retention.policy ? JSON.stringify(h.retention.policy) : 'none'}`,
    `  redaction    ${h.redaction.valuesRedacted} values redacted`,
    h.quarantine.frames === 0
      ? `  quarantine   none (${h.quarantine.dir})`
      : `  ${c.red('quarantine')}   ${h.quarantine.frames} frame${h.quarantine.frames === 1 ? '' : 's'} that can never be ingested, in ${h.quarantine.dir}` +
        (h.quarantine.last ? `; last: frame ${h.quarantine.last.seq} at ${h.quarantine.last.at}: ${h.quarantine.last.reason}` : ''),
    ...(h.lastError ? [`  ${c.red('last error')}   ${h.lastError}`] : []),
    ...h.alerts.map((a) => `  ${a.state === 'firing' ? c.red('alert') : 'alert'}        ${a.name} ${a.state} (${a.value} > ${a.threshold})`),
  ];
  return `${lines.join('\n')}\n`;
}

function renderQuery(r: QueryResponse, c: Colors): string {
  const cell = (v: unknown) => (v === null || v === undefined ? c.dim('-') : String(v));
  let header: string[];
  let rows: string[][];
  if (r.primitive === 'recent_failures_by_taskspec') {
    header = ['start', 'command', 'stage', 'item', 'failure_reason_code', 'status_message', 'trace_id/span_id'];
    rows = r.rows.map((x) => [x.start_at, x.command, x.stage, x.item_id, x.failure_reason_code, x.status_message, `${x.trace_id}/${x.span_id}`].map(cell));
  } else if (r.primitive === 'gate_rollup_by_failure_reason_code') {
    header = ['stage', 'failure_reason_code', 'failures', 'first', 'last'];
    rows = r.rows.map((x) => [x.stage, x.failure_reason_code, x.failures, x.first_at, x.last_at].map(cell));
  } else if (r.primitive === 'recent_spans' || r.primitive === 'trace_spans') {
    const ms = (ns: string) => `${(Number(ns) / 1e6).toFixed(1)} ms`;
    header = ['start', 'service', 'name', 'status', 'duration', 'trace_id/span_id', 'parent'];
    rows = r.rows.map((x) => [x.start_at, x.service_name, x.name, x.status_code === 'error' ? c.red(`error${x.status_message ? `: ${x.status_message}` : ''}`) : x.outcome, ms(x.duration_ns), `${x.trace_id}/${x.span_id}`, x.parent_span_id].map(cell));
  } else {
    header = ['policy_reason_code', 'stage', 'denials', 'first', 'last'];
    rows = r.rows.map((x) => [x.policy_reason_code, x.stage, x.denials, x.first_at, x.last_at].map(cell));
  }
  const out = rows.length ? table([header.map((h) => c.dim(h)), ...rows], c) : '';
  return `${out}${c.dim(`${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ` (more matched: raise --limit, at most ${MAX_QUERY_LIMIT}, or narrow the window)` : ''}; window ${r.window.from} to ${r.window.to}`)}\n`;
}

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_QUERY_LIMIT) throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_QUERY_LIMIT}`);
  return n;
}

/** Declares `govern memory health` and `govern memory query` (called from program.ts). */
export function registerMemoryCommands(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  const memory = program.command('memory').description("memoryd's health and query primitives over its HTTP API (see docs/memory.md)");
  const connection = (cmd: Command) =>
    cmd
      .option('--url <url>', `memoryd's URL (default ${MEMORYD_URL_ENV}, else ${DEFAULT_MEMORYD_URL})`)
      .option('--token-env <name>', `environment variable holding memoryd's bearer token (default ${MEMORYD_TOKEN_ENV}, if set)`)
      .addHelpText(
        'after',
        '\nGated: when govern.config.yaml declares a `memory-store` gate, this runs only once the gate is enabled (see `govern gates`).' +
          '\nExit 0 with an answer, 1 when memoryd refuses or cannot be reached ({ "error": { code, message, details } } with --json), 2 on usage.',
      );
  connection(common(memory.command('health').description("memoryd's status (ok, degraded, alerting), ingest lag, checkpoint, database size, retention, alerts and quarantine (--json: memoryd's health answer)")))
    .action(async (o: MemoryOptions) => setExit(await memoryHealthCommand(ctx, o)));
  connection(
    common(
      memory
        .command('query')
        .argument(
          '<primitive>',
          `${Object.keys(PRIMITIVES).join(' | ')}: recent failures by taskspec, failures per gate and failure_reason_code, guard denials per policy_reason_code, ` +
            'recent spans of any service (newest first), the spans of one trace (--trace, in start order)',
        )
        .description('one query primitive over a time window (--json: memoryd\'s query answer)'),
    ),
  )
    .option('--from <time>', 'window start, inclusive: ISO 8601 or Unix nanoseconds (default 7 days before --to)')
    .option('--to <time>', "window end, exclusive (default now, memoryd's clock); the window is at most 31 days")
    .option('--limit <n>', `at most n rows (default 50, at most ${MAX_QUERY_LIMIT})`, limit)
    .option(
      '--filter <key=value...>',
      'exact-match filters: failures take command, stage, document_id, item_id, run_id, failure_reason_code; rollup stage, failure_reason_code; denials stage, policy_reason_code; ' +
        'spans service_name, name, trace_id, outcome; trace trace_id (required), service_name',
    )
    .option('--service <name>', 'spans, trace: only the spans of this service (service.name); same as --filter service_name=<name>')
    .option('--trace <trace_id>', 'trace: the trace to show (32 hex digits); spans: only this trace; same as --filter trace_id=<id>')
    .action(async (primitive: string, o: QueryOptions) => setExit(await memoryQueryCommand(ctx, primitive, o)));
}

