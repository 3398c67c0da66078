import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { assertEnabledWhereDeclared } from '@govern/gates';
import { GovernError } from '@govern/errors';
import { loadConfig } from '@govern/workspace';
import {
  binderConfig,
  ingestMemoryFacts,
  openBinder,
  PRIMITIVES,
  type Binder,
  type BinderConfig,
  type BinderStatus,
  type Capsule,
  type CapsuleFilter,
  type IngestResult,
  type QuarantineEntry,
  type QueryResult,
  type ReplayResult,
  type SuggestResult,
  type Application,
} from '@govern/binder';
import { resolveRoot, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, table, type Colors } from '../render.js';

/**
 * `govern binder …`: the binder's surfaces (seed 002 K1–K3) over its DuckDB file —
 * ingest envelopes (a file, stdin, or a stopped memoryd's database), list the
 * quarantine and replay a fixed record, list capsules with their eligibility,
 * suggest (guided and prescriptive rollout), apply (prescriptive only, audited),
 * and the three query primitives. Every subcommand asserts the `binder` gate when
 * the root declares one, and reads the rollout mode, fallback mode and thresholds
 * from the profile's `binder:` section (an invalid section refuses: fail closed).
 */

/** Where the binder keeps its facts unless `--db` says otherwise. */
export const DEFAULT_BINDER_DB = '.govern/binder/binder.duckdb';

interface BinderOptions extends CommonOptions {
  db?: string;
}
interface FilterOptions extends BinderOptions {
  scope?: string;
  targetKind?: string;
  targetId?: string;
  actionKind?: string;
  failureReasonCode?: string;
  key?: string;
  limit?: number;
}

/** The profile's binder section, validated; errors refuse the command (a broken policy never applies anything). */
function configFor(root: string): { config: BinderConfig; warnings: string[] } {
  const loaded = loadConfig(root);
  const file = loaded.config.profile ?? 'profiles/default.yaml';
  const { value, diagnostics } = binderConfig(loaded.profile.profile.binder, file);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    throw new GovernError('config-invalid', `${file}: the binder section is invalid: ${errors.map((d) => d.message).join('; ')}`, { details: { file, diagnostics } });
  return { config: value, warnings: diagnostics.map((d) => `${d.file ?? file}:${d.line ?? 1}:${d.column ?? 1}: ${d.severity} ${d.code}: ${d.message}`) };
}

/**
 * The gate, the profile, the database at `root`: `fn` runs with the binder open and
 * it is closed afterwards, whatever happens. Shared by the commands and the MCP tools.
 */
export async function withBinderAt<T>(
  root: string,
  opts: { db?: string | undefined; cacheDir?: null; warn: (line: string) => void },
  fn: (b: Binder) => Promise<T>,
): Promise<T> {
  await assertEnabledWhereDeclared('binder', { root, ...(opts.cacheDir === null ? { cacheDir: null } : {}) });
  const { config, warnings } = configFor(root);
  for (const w of warnings) opts.warn(w);
  const binder = await openBinder({ file: path.resolve(root, opts.db ?? DEFAULT_BINDER_DB), config });
  try {
    return await fn(binder);
  } finally {
    await binder.close();
  }
}

function withBinder<T>(ctx: CommandContext, opts: BinderOptions, fn: (b: Binder) => Promise<T>): Promise<T> {
  const root = resolveRoot(ctx, opts.root);
  return withBinderAt(root, { db: opts.db, ...(opts.cache === false ? { cacheDir: null } : {}), warn: (w) => ctx.stderr.write(`${w}\n`) }, fn);
}

/** Reads FILE, or stdin for `-`. */
async function readInput(ctx: CommandContext, file: string): Promise<{ text: string; source: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
  }
  const abs = path.resolve(ctx.cwd, file);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new UsageError(`${file}: no such file`);
  return { text: fs.readFileSync(abs, 'utf8'), source: `file:${file}` };
}

function filterOf(o: FilterOptions): CapsuleFilter {
  return {
    ...(o.key ? { upsert_key: o.key } : {}),
    ...(o.scope ? { scope: o.scope } : {}),
    ...(o.targetKind ? { target_kind: o.targetKind } : {}),
    ...(o.targetId ? { target_id: o.targetId } : {}),
    ...(o.actionKind ? { action_kind: o.actionKind } : {}),
    ...(o.failureReasonCode ? { failure_reason_code: o.failureReasonCode } : {}),
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
  };
}

/** Prints `value` as JSON, or renders it; exit 0 (refusals are thrown and rendered by runCli). */
function out<T>(ctx: CommandContext, opts: CommonOptions, value: T, render: (v: T, c: Colors) => string): number {
  if (opts.json) writeJson(ctx, value);
  else ctx.stdout.write(render(value, colorsFor(ctx, opts)));
  return 0;
}

export async function binderIngestCommand(ctx: CommandContext, file: string | undefined, opts: BinderOptions & { fromMemory?: string }): Promise<number> {
  if ((file === undefined) === (opts.fromMemory === undefined)) throw new UsageError('give one envelope FILE (or - for stdin), or --from-memory <memoryd database>');
  return withBinder(ctx, opts, async (b) => {
    let result: IngestResult;
    if (opts.fromMemory !== undefined) {
      result = await ingestMemoryFacts(b, path.resolve(ctx.cwd, opts.fromMemory));
    } else {
      const { text, source } = await readInput(ctx, file!);
      result = await b.ingestText(text, { source });
    }
    // Quarantine is not a failure of the command: the records are kept, listed and replayable.
    return out(ctx, opts, result, renderIngest);
  });
}

export function binderStatusCommand(ctx: CommandContext, opts: BinderOptions): Promise<number> {
  return withBinder(ctx, opts, async (b) => out(ctx, opts, await b.status(), renderStatus));
}

export function binderQuarantineCommand(ctx: CommandContext, opts: BinderOptions & { all?: boolean; limit?: number }): Promise<number> {
  return withBinder(ctx, opts, async (b) => {
    const entries = await b.quarantine({ ...(opts.limit !== undefined ? { limit: opts.limit } : {}), includeResolved: opts.all === true });
    return out(ctx, opts, { entries }, renderQuarantine);
  });
}

export function binderReplayCommand(ctx: CommandContext, id: string, file: string, opts: BinderOptions): Promise<number> {
  return withBinder(ctx, opts, async (b) => {
    const { text, source } = await readInput(ctx, file);
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${file}: not JSON (${(err as Error).message}); replay takes one fixed record`);
    }
    return out(ctx, opts, await b.replay(id, record, { source }), renderReplay);
  });
}

export function binderCapsulesCommand(ctx: CommandContext, opts: FilterOptions & { eligible?: boolean; all?: boolean }): Promise<number> {
  return withBinder(ctx, opts, async (b) => {
    const filter: CapsuleFilter = { ...filterOf(opts), ...(opts.all ? {} : { minted: true }), ...(opts.eligible ? { eligible: true } : {}) };
    const capsules = await b.capsules(filter);
    return out(ctx, opts, { config: b.config, capsules }, (v, c) => renderCapsules(v.capsules, c));
  });
}

export function binderSuggestCommand(ctx: CommandContext, opts: FilterOptions): Promise<number> {
  return withBinder(ctx, opts, async (b) => out(ctx, opts, await b.suggest(filterOf(opts)), renderSuggest));
}

export function binderApplyCommand(ctx: CommandContext, key: string, opts: BinderOptions & { actor?: string; reason?: string }): Promise<number> {
  if (!opts.reason?.trim()) throw new UsageError('--reason is required: every application is audited');
  const actor = opts.actor?.trim() || ctx.env.GOVERN_ACTOR?.trim() || ctx.env.USER?.trim() || 'unknown';
  return withBinder(ctx, opts, async (b) => out(ctx, opts, await b.apply(key, { actor, reason: opts.reason!.trim() }), renderApplication));
}

export function binderQueryCommand(ctx: CommandContext, primitive: string, opts: BinderOptions & { filter?: string[]; limit?: number }): Promise<number> {
  const name = PRIMITIVE_ALIASES[primitive] ?? primitive;
  const filters: Record<string, string> = {};
  for (const f of opts.filter ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--filter ${f}: expected key=value (e.g. scope=repo:govern)`);
    filters[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return withBinder(ctx, opts, async (b) => out(ctx, opts, await b.query(name, { filters, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) }), renderQuery));
}

/** Short names for the primitives (the full mv_* names are accepted too). */
const PRIMITIVE_ALIASES: Record<string, string> = {
  failures: 'mv_recent_failures_by_taskspec',
  rollup: 'mv_gate_rollup_by_failure_reason_code',
  denials: 'mv_guard_denials_by_policy_reason_code',
};

// ---- rendering -------------------------------------------------------------

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const short = (hash: string) => hash.slice(0, 12);

function renderIngest(r: IngestResult, c: Colors): string {
  let s = `${plural(r.received, 'record')}: ${c.green(`${r.accepted} stored`)}, ${r.duplicates} already stored, `;
  s += r.quarantined ? c.red(`${r.quarantined} quarantined`) : '0 quarantined';
  if (r.conflicts) s += ` (${plural(r.conflicts, 'idempotency conflict')})`;
  s += `\ncapsules: ${r.capsules.created} created, ${r.capsules.updated} updated, ${r.capsules.minted} minted\n`;
  if (r.quarantined) s += `see them with \`govern binder quarantine\`; fix one and \`govern binder replay <id> <file>\`\n`;
  return s;
}

function renderStatus(s: BinderStatus, c: Colors): string {
  const lines = [
    `${c.bold('binder')} ${s.binder_version} (${s.fallback_version}, schema ${s.schema_version}) ${c.dim(s.file)}`,
    `  rollout      ${s.config.rollout}; fallback ${s.config.fallback}`,
    `  facts        ${s.facts} envelopes from ${plural(s.ingests, 'ingest')}; last ${s.last_ingest_at ?? '-'}`,
    `  quarantine   ${s.quarantine.open ? c.red(`${s.quarantine.open} open`) : '0 open'}, ${s.quarantine.resolved} resolved`,
    `  capsules     ${s.capsules.total} (${s.capsules.minted} minted, ${s.capsules.qualified} qualified, ${s.capsules.eligible} eligible)`,
    `  applications ${s.applications}`,
  ];
  return `${lines.join('\n')}\n`;
}

function renderQuarantine(v: { entries: QuarantineEntry[] }, c: Colors): string {
  if (!v.entries.length) return 'quarantine is empty\n';
  let s = '';
  for (const e of v.entries) {
    s += `${c.bold(short(e.quarantine_id))} ${e.resolved_at ? c.green(`resolved ${e.resolved_at}`) : c.red('open')}  ${c.dim(`${e.source} ${e.first_seen_at}`)}\n`;
    for (const r of e.reasons) s += `    ${r.code}${r.path ? ` at ${r.path}` : ''}: ${r.message}\n`;
  }
  return `${s}${plural(v.entries.length, 'record')} (ids: pass the full quarantine_id of --json, or its first 12 characters)\n`;
}

function renderReplay(r: ReplayResult, c: Colors): string {
  return r.stored
    ? `${c.green('stored')} ${short(r.quarantineId)} as ${short(r.idempotencyKey)}; capsules: ${r.capsules.created} created, ${r.capsules.updated} updated\n`
    : `already stored as ${short(r.idempotencyKey)}: nothing changed\n`;
}

function capsuleRows(list: readonly Capsule[], c: Colors): string[][] {
  return list.map((x) => [
    short(x.upsert_key),
    `${x.scope} ${x.target_kind}:${x.target_id} ${x.action_kind}`,
    x.failure_reason_code,
    `${x.counters.support_count}/${x.counters.contradiction_count}`,
    x.eligibility.confidence.toFixed(2),
    x.eligibility.eligible ? c.green('eligible') : c.dim(x.eligibility.reasons.map((r) => r.code).join(',') || '-'),
    x.counters.last_seen_ts,
  ]);
}

function renderCapsules(list: readonly Capsule[], c: Colors): string {
  if (!list.length) return 'no capsules\n';
  return `${table([['key', 'taskspec', 'failure_reason_code', 'support/contra', 'conf', 'eligibility', 'last seen'].map(c.bold), ...capsuleRows(list, c)], c, '')}${plural(list.length, 'capsule')}\n`;
}

function renderSuggest(r: SuggestResult, c: Colors): string {
  if (r.reason === 'mode-shadow') return `rollout is shadow: nothing is suggested (${plural(r.qualified, 'capsule')} would qualify); set binder.rollout in the profile to guided or prescriptive\n`;
  if (!r.suggestions.length) return `no eligible capsules (rollout ${r.rollout}, fallback ${r.fallback})\n`;
  return `${renderCapsules(r.suggestions, c)}${r.applicable ? 'prescriptive: apply one with `govern binder apply <key> --reason …`\n' : 'guided: suggestions only\n'}`;
}

function renderApplication(a: Application, c: Colors): string {
  return `${c.green('applied')} ${short(a.upsert_key)} by ${a.actor} at ${a.applied_at} (confidence ${a.confidence.toFixed(2)}; audit #${a.application_id})\n`;
}

function renderQuery(r: QueryResult, c: Colors): string {
  if (!r.rows.length) return `${r.primitive}: no rows\n`;
  const cols = Object.keys(r.rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? c.dim('-') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `${table([cols.map(c.bold), ...r.rows.map((row) => cols.map((k) => cell(row[k])))], c, '')}${plural(r.rows.length, 'row')}${r.truncated ? ` (more match: raise --limit)` : ''}\n`;
}

// ---- declaration -------------------------------------------------------------

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Declares `govern binder …` (called from program.ts). */
export function registerBinderCommands(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  const binder = program
    .command('binder')
    .description('the binder: wrapper envelopes in (with quarantine), deterministic keys and fingerprints, capsules, suggestions (see docs/binder.md)');
  const db = (cmd: Command) =>
    common(cmd)
      .option('--db <file>', `the binder's DuckDB file (default <root>/${DEFAULT_BINDER_DB})`)
      .addHelpText(
        'after',
        '\nGated: when govern.config.yaml declares a `binder` gate, this runs only once it is enabled (see `govern gates`).' +
          '\nRollout, fallback mode and thresholds come from the profile\'s binder: section (docs/binder.md).' +
          '\nExit 0 with an answer, 1 when refused ({ "error": { code, message, details } } with --json), 2 on usage.',
      );
  const filters = (cmd: Command) =>
    db(cmd)
      .option('--scope <scope>', 'only this TaskSpec scope')
      .option('--target-kind <kind>', 'only this target.kind')
      .option('--target-id <id>', 'only this target.id')
      .option('--action-kind <kind>', 'only this action.kind')
      .option('--failure-reason-code <code>', 'only this failure_reason_code')
      .option('--key <upsert-key>', 'only the capsule with this upsert key')
      .option('--limit <n>', 'at most n capsules', positive);
  const act =
    <A extends unknown[]>(fn: (...a: A) => Promise<number>) =>
    async (...a: A) =>
      setExit(await fn(...a));

  db(binder.command('ingest').argument('[file]', 'envelopes: a JSON array, one JSON object, or JSON Lines; - for stdin').description('validate and bind wrapper envelopes; invalid ones are quarantined, replays change nothing'))
    .option('--from-memory <file>', "read the envelopes from a memoryd database's task facts (a copy, or memoryd stopped: DuckDB allows one process per file)")
    .action(act((file: string | undefined, o: BinderOptions & { fromMemory?: string }) => binderIngestCommand(ctx, file, o)));
  db(binder.command('status').description('counts of facts, quarantine, capsules and applications; the rollout and fallback modes')).action(act((o: BinderOptions) => binderStatusCommand(ctx, o)));
  db(binder.command('quarantine').description('records that were not stored, with coded reasons (which field, what was wrong)'))
    .option('--all', 'include resolved records (replayed after a fix)')
    .option('--limit <n>', 'at most n records', positive)
    .action(act((o: BinderOptions & { all?: boolean; limit?: number }) => binderQuarantineCommand(ctx, o)));
  db(
    binder
      .command('replay')
      .argument('<id>', 'quarantine id (from `govern binder quarantine`)')
      .argument('<file>', 'the fixed record as JSON; - for stdin')
      .description('bind the fixed version of a quarantined record; it is stored exactly once and the record is marked resolved'),
  ).action(act((id: string, file: string, o: BinderOptions) => binderReplayCommand(ctx, id, file, o)));
  filters(binder.command('capsules').description('capsules (one per upsert key) with support, contradictions, last seen and eligibility'))
    .option('--eligible', 'only eligible capsules')
    .option('--all', 'include capsules the fallback mode did not mint')
    .action(act((o: FilterOptions & { eligible?: boolean; all?: boolean }) => binderCapsulesCommand(ctx, o)));
  filters(binder.command('suggest').description('eligible capsules as suggestions (guided and prescriptive rollout; none in shadow)')).action(
    act((o: FilterOptions) => binderSuggestCommand(ctx, o)),
  );
  db(binder.command('apply').argument('<key>', 'upsert key of an eligible capsule').description('apply an eligible capsule (prescriptive rollout only); audited'))
    .option('--reason <text>', 'why (required, recorded)')
    .option('--actor <who>', 'who applies it (default $GOVERN_ACTOR, else $USER)')
    .action(act((key: string, o: BinderOptions & { actor?: string; reason?: string }) => binderApplyCommand(ctx, key, o)));
  db(
    binder
      .command('query')
      .argument('<primitive>', `${Object.keys(PRIMITIVE_ALIASES).join(' | ')} (or ${PRIMITIVES.join(', ')})`)
      .description('one query primitive over the TaskSpec-keyed binder tables; same facts and filters give the same rows in the same order'),
  )
    .option('--filter <key=value...>', 'exact-match filters (from/to: ISO window of observed_at); see docs/binder.md')
    .option('--limit <n>', 'at most n rows (default 100)', positive)
    .action(act((primitive: string, o: BinderOptions & { filter?: string[]; limit?: number }) => binderQueryCommand(ctx, primitive, o)));
}
