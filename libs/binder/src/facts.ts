import fs from 'node:fs';
import path from 'node:path';
import { DbError, num, openDb, type Db } from '@govern/duckdb';
import { BinderError } from './errors.js';
import type { Binder, IngestResult } from './store.js';

/**
 * Envelopes from the facts memoryd stores: one wrapper envelope per span (a row of
 * the memory store's `task_facts`, layout of its migration 1) that carries wrapper
 * or TaskSpec attributes. memoryd promotes some attributes to columns (run id, item
 * id, reason codes) and keeps the others, as canonical JSON, in `attributes`.
 *
 * | envelope field                 | from the span                                                                                   |
 * |--------------------------------|-------------------------------------------------------------------------------------------------|
 * | `schema`                       | always `govern.wrapper-envelope/v1`                                                             |
 * | `event_id`                     | `<trace_id>/<span_id>`                                                                          |
 * | `run_id`                       | column `run_id` (memoryd reads attribute `govern.run.id`, else `run_id`)                        |
 * | `sequence`                     | attribute `govern.sequence` (integer, or its decimal text); else the span's rank (0, 1, …) among the run's wrapper spans ordered by `start_ns, trace_id, span_id` |
 * | `task_id`                      | column `item_id` (attribute `govern.item.id`, else `task_id`)                                   |
 * | `group_id`                     | attribute `govern.group.id`; else the trace id                                                  |
 * | `signal`                       | attribute `govern.wrapper.signal`; else column `outcome`: failed → failure, denied → denial, ok → success |
 * | `anomaly_trigger`              | attribute `govern.wrapper.anomaly_trigger`                                                      |
 * | `wrapper_policy.name/.version` | attributes `govern.wrapper.policy.name`, `govern.wrapper.policy.version`                        |
 * | `task_spec.scope`              | attribute `govern.taskspec.scope`                                                               |
 * | `task_spec.target.kind/.id`    | attributes `govern.taskspec.target.kind`, `govern.taskspec.target.id`                           |
 * | `task_spec.action.kind`        | attribute `govern.taskspec.action.kind`                                                         |
 * | `task_spec.failure_reason_code`| column `failure_reason_code` (attribute `failure_reason_code`, or its legacy alias `reason_code`); else attribute `govern.taskspec.failure_reason_code` |
 * | `policy_reason_code`           | column `policy_reason_code` (the span's own, else its first guard-denial event's); null if none |
 * | `context.gates`                | attribute `govern.gates`: an array of strings, a JSON array in a string, or a comma-separated list |
 * | `context.versions` / `.env`    | attributes `govern.context.versions` / `govern.context.env`: a map, or a JSON object in a string |
 * | `evidence`                     | the span itself (`{kind: span, ref: <trace_id>/<span_id>}`), then attribute `govern.evidence.refs` (an array of refs, or a JSON array in a string) |
 * | `observed_at`                  | `start_ns`, as ISO 8601 UTC with nanoseconds                                                    |
 *
 * Notes:
 * - A span is a wrapper observation when it has at least one attribute named
 *   `govern.wrapper.*` or `govern.taskspec.*`; other spans (a CLI stage, an HTTP
 *   call) are not envelopes and are counted as `skipped`, not quarantined.
 * - A wrapper span missing a field is not dropped: its envelope lacks that field and
 *   is quarantined with `field-missing` and the field's path (`task_spec.scope`).
 * - A `success` span must name the failure class it contradicts in
 *   `govern.taskspec.failure_reason_code`: memoryd reads the plain `failure_reason_code`
 *   attribute as a failure (the span's outcome becomes `failed`).
 * - Without `govern.sequence` the sequence is a rank at ingest time: a span that
 *   reaches memoryd later with an earlier start shifts the ranks after it, and the
 *   envelopes whose sequence changed are then idempotency conflicts (quarantined, the
 *   stored facts kept). Wrappers should set `govern.sequence`.
 * - The span's own ref is always evidence: a failure or denial is evidence of itself,
 *   in memoryd, so it never lacks evidence refs.
 */
export const MEMORY_ATTRS = {
  sequence: 'govern.sequence',
  group: 'govern.group.id',
  signal: 'govern.wrapper.signal',
  anomalyTrigger: 'govern.wrapper.anomaly_trigger',
  policyName: 'govern.wrapper.policy.name',
  policyVersion: 'govern.wrapper.policy.version',
  scope: 'govern.taskspec.scope',
  targetKind: 'govern.taskspec.target.kind',
  targetId: 'govern.taskspec.target.id',
  actionKind: 'govern.taskspec.action.kind',
  failureReasonCode: 'govern.taskspec.failure_reason_code',
  gates: 'govern.gates',
  versions: 'govern.context.versions',
  env: 'govern.context.env',
  evidence: 'govern.evidence.refs',
} as const;

/** Attribute name prefixes that make a span a wrapper observation. */
export const WRAPPER_PREFIXES = ['govern.wrapper.', 'govern.taskspec.'] as const;

/** The columns of `task_facts` read (memory store migration 1), and the span's rank in its run. */
export interface MemorySpanRow {
  trace_id: string;
  span_id: string;
  start_ns: bigint;
  outcome: string;
  failure_reason_code: string | null;
  policy_reason_code: string | null;
  run_id: string | null;
  item_id: string | null;
  /** Canonical JSON of the span's attributes not promoted to columns. */
  attributes: string;
  /** 0-based rank among the run's wrapper spans by (start_ns, trace_id, span_id). */
  run_rank: number;
}

const OUTCOME_SIGNAL: Record<string, string> = { failed: 'failure', denied: 'denial', ok: 'success' };

/** ISO 8601 UTC with nanoseconds of an epoch time in ns (`2026-02-15T10:00:00.123456789Z`). */
export function isoFromNs(ns: bigint): string {
  const sec = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  const frac = ns - sec * 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, '0')}Z`;
}

/** A value that may be JSON text: parsed if it is a string that parses, else as it is. */
function jsonish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('[') || t.startsWith('{'))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** `govern.gates`: an array, a JSON array in a string, or a comma-separated list (values left as they are: the schema judges them). */
function gatesOf(v: unknown): unknown {
  const j = jsonish(v);
  if (typeof j === 'string') {
    return j
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
  }
  return j;
}

/**
 * The raw envelope of one span (see the table above). Fields the span lacks are
 * left out, so validation names them; values are passed as found, so validation
 * judges them. Pure: the same row gives the same object.
 */
export function envelopeFromSpan(row: MemorySpanRow): Record<string, unknown> {
  const attrs = JSON.parse(row.attributes) as Record<string, unknown>;
  const a = (k: string): unknown => (Object.hasOwn(attrs, k) ? attrs[k] : undefined);
  const put = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== undefined && v !== null) o[k] = v;
  };
  const ref = `${row.trace_id}/${row.span_id}`;

  const seqAttr = a(MEMORY_ATTRS.sequence);
  const sequence = typeof seqAttr === 'string' && /^[0-9]+$/.test(seqAttr.trim()) ? Number(seqAttr.trim()) : (seqAttr ?? row.run_rank);

  const wrapper: Record<string, unknown> = {};
  put(wrapper, 'name', a(MEMORY_ATTRS.policyName));
  put(wrapper, 'version', a(MEMORY_ATTRS.policyVersion));
  const target: Record<string, unknown> = {};
  put(target, 'kind', a(MEMORY_ATTRS.targetKind));
  put(target, 'id', a(MEMORY_ATTRS.targetId));
  const action: Record<string, unknown> = {};
  put(action, 'kind', a(MEMORY_ATTRS.actionKind));
  const taskSpec: Record<string, unknown> = {};
  put(taskSpec, 'scope', a(MEMORY_ATTRS.scope));
  taskSpec.target = target;
  taskSpec.action = action;
  put(taskSpec, 'failure_reason_code', row.failure_reason_code ?? a(MEMORY_ATTRS.failureReasonCode));

  const context: Record<string, unknown> = {};
  put(context, 'gates', a(MEMORY_ATTRS.gates) === undefined ? undefined : gatesOf(a(MEMORY_ATTRS.gates)));
  put(context, 'versions', a(MEMORY_ATTRS.versions) === undefined ? undefined : jsonish(a(MEMORY_ATTRS.versions)));
  put(context, 'env', a(MEMORY_ATTRS.env) === undefined ? undefined : jsonish(a(MEMORY_ATTRS.env)));

  const refs = a(MEMORY_ATTRS.evidence) === undefined ? [] : jsonish(a(MEMORY_ATTRS.evidence));
  const evidence = Array.isArray(refs) ? [{ kind: 'span', ref }, ...(refs as unknown[])] : refs; // not an array: validation says so

  const e: Record<string, unknown> = { schema: 'govern.wrapper-envelope/v1', event_id: ref, sequence };
  put(e, 'run_id', row.run_id);
  put(e, 'task_id', row.item_id);
  e.group_id = a(MEMORY_ATTRS.group) ?? row.trace_id;
  put(e, 'signal', a(MEMORY_ATTRS.signal) ?? OUTCOME_SIGNAL[row.outcome] ?? row.outcome);
  put(e, 'anomaly_trigger', a(MEMORY_ATTRS.anomalyTrigger));
  e.wrapper_policy = wrapper;
  e.task_spec = taskSpec;
  e.policy_reason_code = row.policy_reason_code;
  e.context = context;
  e.evidence = evidence;
  e.observed_at = isoFromNs(row.start_ns);
  return e;
}

/** What {@link ingestMemoryFacts} did: the sums of its batches, and the spans read. */
export interface MemoryIngestResult extends IngestResult {
  /** Spans in the memory store. */
  spans: number;
  /** Spans that are wrapper observations (each became one record). */
  wrapperSpans: number;
  /** Spans that are not (no govern.wrapper.* or govern.taskspec.* attribute). */
  skipped: number;
  /** Ingest calls (transactions) made. */
  batches: number;
}

/** Options of {@link ingestMemoryFacts}. */
export interface MemoryIngestOptions {
  /** Records per ingest call (one transaction each); default 5,000. */
  batchSize?: number;
  /** Default `memoryd:<absolute file>`. */
  source?: string;
}

/** The wrapper spans, ranked within their run, in a temp table of the memory connection. */
const SELECT_WRAPPER_SPANS = `CREATE OR REPLACE TEMP TABLE binder_memory_spans AS
  SELECT row_number() OVER (ORDER BY start_ns, trace_id, span_id) - 1 AS ord,
         trace_id, span_id, start_ns, outcome, failure_reason_code, policy_reason_code, run_id, item_id, attributes,
         row_number() OVER (PARTITION BY run_id ORDER BY start_ns, trace_id, span_id) - 1 AS run_rank
  FROM task_facts
  WHERE len(list_filter(json_keys(attributes), k -> ${WRAPPER_PREFIXES.map((p) => `starts_with(k, '${p}')`).join(' OR ')})) > 0`;

/**
 * Reads a stopped memoryd's database (or a copy of it) read-only and binds an
 * envelope for each wrapper span, in batches of `batchSize` (one transaction each;
 * re-running it is a replay: nothing changes). Refuses with `memory-locked` when the
 * file is open elsewhere (memoryd running on it), `memory-open-failed` when it cannot
 * be opened, `memory-schema` when it has no memory store `task_facts`.
 */
export async function ingestMemoryFacts(binder: Binder, memoryDbFile: string, opts: MemoryIngestOptions = {}): Promise<MemoryIngestResult> {
  const file = path.resolve(memoryDbFile);
  const source = opts.source ?? `memoryd:${file}`;
  const batchSize = opts.batchSize ?? 5000;
  if (!fs.existsSync(file)) throw new BinderError('memory-open-failed', `${file}: no such memory store database`, { details: { file } });
  let db: Db;
  try {
    db = await openDb(file, { settings: { access_mode: 'READ_ONLY' } });
  } catch (err) {
    if (err instanceof DbError && err.code === 'locked') {
      // The kernel says whether another process or this one holds it; the advice is the same.
      throw new BinderError('memory-locked', `${file} is locked: memoryd must not be running on it; stop memoryd, or ingest from a copy of the file`, {
        details: { file, reason: err.message },
        cause: err,
      });
    }
    throw new BinderError('memory-open-failed', `cannot open ${file} read-only: ${(err as Error).message}`, { details: { file }, cause: err });
  }
  try {
    const cols = (await db.all("SELECT column_name FROM information_schema.columns WHERE table_name = 'task_facts'")).map((r) => r.column_name as string);
    const need = ['trace_id', 'span_id', 'start_ns', 'outcome', 'failure_reason_code', 'policy_reason_code', 'run_id', 'item_id', 'attributes'];
    const missing = need.filter((c) => !cols.includes(c));
    if (missing.length) {
      throw new BinderError('memory-schema', `${file} is not a memory store database: task_facts ${cols.length ? `lacks ${missing.join(', ')}` : 'does not exist'}`, { details: { file, missing } });
    }
    const spans = num((await db.all('SELECT count(*) AS n FROM task_facts'))[0]!.n);
    await db.run(SELECT_WRAPPER_SPANS);
    const selected = num((await db.all('SELECT count(*) AS n FROM binder_memory_spans'))[0]!.n);
    const total: MemoryIngestResult = {
      received: 0,
      accepted: 0,
      duplicates: 0,
      quarantined: 0,
      conflicts: 0,
      quarantineIds: [],
      capsules: { created: 0, updated: 0, minted: 0 },
      path: 'bind',
      ingestId: 0,
      spans,
      wrapperSpans: 0,
      skipped: 0,
      batches: 0,
    };
    // known-batch only when every batch was one bound before (a re-run of an unchanged database).
    let bound = false;
    for (let from = 0; from < selected; from += batchSize) {
      const rows = await db.all(
        `SELECT trace_id, span_id, start_ns, outcome, failure_reason_code, policy_reason_code, run_id, item_id, attributes, run_rank
         FROM binder_memory_spans WHERE ord >= $1 AND ord < $2 ORDER BY ord`,
        [from, from + batchSize],
      );
      const records: unknown[] = [];
      for (const r of rows) {
        records.push(
          envelopeFromSpan({
            trace_id: r.trace_id as string,
            span_id: r.span_id as string,
            start_ns: BigInt(r.start_ns as bigint),
            outcome: r.outcome as string,
            failure_reason_code: (r.failure_reason_code as string | null) ?? null,
            policy_reason_code: (r.policy_reason_code as string | null) ?? null,
            run_id: (r.run_id as string | null) ?? null,
            item_id: (r.item_id as string | null) ?? null,
            attributes: r.attributes as string,
            run_rank: num(r.run_rank),
          }),
        );
      }
      const res = await binder.ingest(records, { source });
      total.received += res.received;
      total.accepted += res.accepted;
      total.duplicates += res.duplicates;
      total.quarantined += res.quarantined;
      total.conflicts += res.conflicts;
      total.quarantineIds.push(...res.quarantineIds);
      total.capsules.created += res.capsules.created;
      total.capsules.updated += res.capsules.updated;
      total.capsules.minted += res.capsules.minted;
      if (res.path === 'bind') bound = true;
      total.ingestId = res.ingestId;
      total.batches++;
    }
    if (total.batches > 0 && !bound) total.path = 'known-batch';
    total.wrapperSpans = selected;
    total.skipped = spans - selected;
    return total;
  } finally {
    await db.close().catch(() => undefined);
  }
}
