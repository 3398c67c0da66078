/**
 * An envelope's fact row in the parts the binder stages (its own values, its situation,
 * its kind), and the JSON helpers they need, apart from the store's SQL.
 */
import { createHash } from 'node:crypto';
import type { WrapperEnvelope } from '@govern/contracts';
import { fingerprintHash } from './fingerprint.js';
import { isProvenPlain } from './fast-envelope.js';
import { idempotencyHashOfPlain, idempotencyKey, upsertKey } from './keys.js';
import { derive } from './modes.js';

/** Deeper than this, a quarantined record's value is stored as `"[TOO-DEEP]"` (the walks below are recursive). */
export const MAX_STORED_DEPTH = 256;

/**
 * RFC 8785 canonical JSON of a plain JSON value, for the store's own columns (context,
 * evidence, quarantined records). For well-formed JSON values it is byte for byte
 * contracts' `canonicalJson` (a test compares them on generated values), at a fraction
 * of its cost: keys sorted by UTF-16 code units (JS's default sort), strings and
 * numbers as `JSON.stringify` writes them (the forms RFC 8785 prescribes). Unlike it,
 * this never throws, because a quarantined record must be stored whatever it holds:
 * a lone surrogate is written escaped (`\ud800`), `undefined` and functions are left out
 * of objects (null in arrays) as JSON.stringify does, a non-finite number is null, a
 * bigint its decimal text as a string, `toJSON` is honoured, a cycle is
 * `"[Circular]"` and a value nested deeper than 256 levels `"[TOO-DEEP]"`. Callers that need RFC 8785 exactly check {@link isWellFormedJson} first.
 */
export function canonicalText(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown, inArray: boolean, depth = 0): string | undefined => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'number':
        return Number.isFinite(v) ? JSON.stringify(v) : 'null';
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return JSON.stringify(v.toString());
      case 'undefined':
      case 'function':
      case 'symbol':
        return inArray ? 'null' : undefined;
    }
    const o = v as { toJSON?: () => unknown };
    if (typeof o.toJSON === 'function') return walk(o.toJSON(), inArray, depth);
    if (seen.has(o)) return '"[Circular]"';
    if (depth >= MAX_STORED_DEPTH) return '"[TOO-DEEP]"';
    seen.add(o);
    let out: string;
    if (Array.isArray(o)) {
      out = `[${o.map((x) => walk(x, true, depth + 1)).join(',')}]`;
    } else {
      const rec = o as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(rec).sort()) {
        const s = walk(rec[k], false, depth + 1);
        if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
      }
      out = `{${parts.join(',')}}`;
    }
    seen.delete(o);
    return out;
  };
  return walk(value, false) ?? 'null';
}


/**
 * No lone surrogate in `s`: `!/\p{Cs}/u.test(s)` (contracts' LONE_SURROGATE), answered by
 * the engine's `isWellFormed` (Node 20), which is constant time for one-byte strings.
 */
const wellFormedString = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Whether `value` is plain JSON: null, booleans, finite numbers, well-formed strings,
 * dense arrays and plain objects (prototype Object or null) of such values, no cycles.
 * For these, `JSON.stringify` is one-to-one (the batch digest relies on it) and
 * {@link canonicalText} is RFC 8785.
 */
export function isWellFormedJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
      return wellFormedString(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isWellFormedJson(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const rec = value as Record<string, unknown>;
  for (const k in rec) {
    if (!Object.hasOwn(rec, k) || !wellFormedString(k) || !isWellFormedJson(rec[k], depth + 1)) return false;
  }
  return true;
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * What an envelope's situation (TaskSpec, wrapper policy, context) determines: computed
 * once per situation, and staged once per ingest call (the `binder_stage_sit` table), not
 * once per row. `cols` are the situation's fact columns in {@link SITUATION_COLUMNS} order.
 */
export interface Situation {
  cols: [string, string, string, string, string, string, string, string, string, string];
  /** A situation found by {@link provenSituation}: the envelope it was computed from, and the next one of the same target id. */
  of?: WrapperEnvelope;
  next?: Situation;
}

/**
 * A cache of {@link Situation}s for one batch. The fingerprint reads only the TaskSpec,
 * the wrapper policy and the context (fingerprint.ts), and the upsert key only the
 * TaskSpec and the fingerprint, so envelopes of one situation (the same task, run after
 * run) share them. Keyed by the JSON text of the three, which is one-to-one on
 * validated envelopes (plain strings and maps); a different key order is only a miss.
 */
export type SituationCache = Map<string, Situation>;

/** The fact columns a {@link Situation} determines, staged once per situation (`binder_stage_sit`). */
export const SITUATION_COLUMNS = [
  'wrapper_policy_name', 'wrapper_policy_version', 'scope', 'target_kind', 'target_id', 'action_kind', 'failure_reason_code', 'context', 'fingerprint_hash', 'upsert_key',
] as const;

/**
 * The fact columns the schema, signal and anomaly trigger determine (the derivations
 * under each mode depend on nothing else), staged once per kind (`binder_stage_der`).
 * `cols` in {@link KIND_COLUMNS} order.
 */
export interface Kind {
  cols: [string, string, string | null, string, boolean, string, boolean, string, boolean];
}
export const KIND_COLUMNS = [
  ['envelope_schema', 'VARCHAR'], ['signal', 'VARCHAR'], ['anomaly_trigger', 'VARCHAR'],
  ['strict_derivation', 'VARCHAR'], ['strict_minting', 'BOOLEAN'], ['hybrid_derivation', 'VARCHAR'], ['hybrid_minting', 'BOOLEAN'], ['lenient_derivation', 'VARCHAR'], ['lenient_minting', 'BOOLEAN'],
] as const;

/** The {@link Kind} of each schema, signal and trigger: they depend on nothing else. */
const KINDS = new Map<string, Kind>();
export function kindOf(e: WrapperEnvelope): Kind {
  const key = e.anomaly_trigger === undefined ? `${e.schema}\u0000${e.signal}` : `${e.schema}\u0000${e.signal}\u0000${e.anomaly_trigger}`;
  let k = KINDS.get(key);
  if (!k) {
    const s = derive(e, 'strict');
    const h = derive(e, 'hybrid');
    const l = derive(e, 'lenient');
    k = { cols: [e.schema, e.signal, e.anomaly_trigger ?? null, s.derivation, s.minting, h.derivation, h.minting, l.derivation, l.minting] };
    // Triggers are free text: keep the cache small whatever comes in.
    if (KINDS.size > 10_000) KINDS.clear();
    KINDS.set(key, k);
  }
  return k;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ`: for a time zod accepted (a real date), `new Date(t).toISOString()` gives `t` back. */
const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The fact columns that differ row by row, staged per row (`binder_stage`): the idempotency key first. */
export const ROW_COLUMNS = [
  ['idempotency_key', 'VARCHAR'], ['run_id', 'VARCHAR'], ['task_id', 'VARCHAR'], ['group_id', 'VARCHAR'], ['event_id', 'VARCHAR'], ['sequence', 'BIGINT'],
  ['policy_reason_code', 'VARCHAR'], ['evidence', 'VARCHAR'], ['observed_at', 'VARCHAR'], ['observed_ts', 'VARCHAR'],
] as const;
export type RowValues = [string, string, string, string, string, number, string | null, string, string, string];

/**
 * An envelope's fact row in three parts: its own values ({@link ROW_COLUMNS}), its
 * situation and its kind. The binder stages the parts (the situation and kind once per
 * call) and DuckDB joins them back into the fact row; {@link factValues} joins them here.
 */
export interface StagedFact {
  values: RowValues;
  sit: Situation;
  kind: Kind;
}

function situationOf(e: WrapperEnvelope): Situation {
  const t = e.task_spec;
  const fp = fingerprintHash(e);
  const uk = upsertKey(e, fp).hash;
  const context = canonicalText(e.context);
  return { cols: [e.wrapper_policy.name, e.wrapper_policy.version, t.scope, t.target.kind, t.target.id, t.action.kind, t.failure_reason_code, context, fp, uk] };
}

/** Situations kept per target id by {@link provenSituation}; an older one beyond these is forgotten (computed again if it recurs). */
const PROVEN_PER_TARGET = 4;

/** Same strings in the same order. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Same keys in the same order, same values. */
function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]!] !== b[kb[i]!]) return false;
  return true;
}

/**
 * Whether two envelopes fast-envelope.ts built have the same TaskSpec, wrapper policy and
 * context. It built these objects itself, keys in a fixed order (the maps' keys in their
 * input order, as it copied them), of strings only, so this is exactly
 * `JSON.stringify([task_spec, wrapper_policy, context])` being equal, without the text.
 */
function sameSituation(a: WrapperEnvelope, b: WrapperEnvelope): boolean {
  const t = a.task_spec;
  const u = b.task_spec;
  if (t.target.id !== u.target.id || t.scope !== u.scope || t.target.kind !== u.target.kind || t.action.kind !== u.action.kind || t.failure_reason_code !== u.failure_reason_code) return false;
  if (a.wrapper_policy.name !== b.wrapper_policy.name || a.wrapper_policy.version !== b.wrapper_policy.version) return false;
  const c = a.context;
  const d = b.context;
  if (!c || !d || !c.gates || !d.gates || !c.versions || !d.versions || !c.env || !d.env) return c === d;
  return sameList(c.gates, d.gates) && sameMap(c.versions, d.versions) && sameMap(c.env, d.env);
}

/**
 * The situation of an envelope fast-envelope.ts built, found by comparing its fields with
 * those of the envelopes cached under its target id (cache key `\u0000` + target id, which
 * no JSON text key of {@link stagedFact} starts with): the JSON text key cost more than
 * the rest of the envelope's keys (docs/benchmarks-binder.md, round 9).
 */
function provenSituation(e: WrapperEnvelope, cache: SituationCache): Situation {
  const key = `\u0000${e.task_spec.target.id}`;
  const head = cache.get(key);
  let n = 0;
  let last: Situation | undefined;
  for (let s = head; s; s = s.next) {
    if (sameSituation(s.of!, e)) return s;
    n++;
    if (n === PROVEN_PER_TARGET - 1) last = s;
  }
  const sit = situationOf(e);
  sit.of = e;
  sit.next = head;
  if (last) last.next = undefined;
  cache.set(key, sit);
  return sit;
}

export function stagedFact(e: WrapperEnvelope, cache?: SituationCache): StagedFact {
  // An envelope fast-envelope.ts built holds only well-formed strings, and its evidence
  // refs have their keys in sorted order (kind, ref, sha256): JSON.stringify writes
  // exactly the canonical text there (keys.test.ts and store.test.ts compare them).
  const plain = isProvenPlain(e);
  let sit: Situation | undefined;
  if (cache && plain) sit = provenSituation(e, cache);
  else {
    const memo = cache ? JSON.stringify([e.task_spec, e.wrapper_policy, e.context]) : '';
    sit = cache?.get(memo);
    if (!sit) {
      sit = situationOf(e);
      cache?.set(memo, sit);
    }
  }
  return {
    values: [
      plain ? idempotencyHashOfPlain(e) : idempotencyKey(e).hash,
      e.run_id,
      e.task_id,
      e.group_id,
      e.event_id,
      e.sequence,
      e.policy_reason_code ?? null,
      plain ? JSON.stringify(e.evidence) : canonicalText(e.evidence),
      e.observed_at,
      plain && ISO_UTC_MS.test(e.observed_at) ? e.observed_at : new Date(e.observed_at).toISOString(),
    ],
    sit,
    kind: kindOf(e),
  };
}

/** The quarantine reason of a valid envelope holding a lone surrogate (it has no canonical form). */
export const NOT_CANONICAL = {
  code: 'not-canonical',
  path: '',
  message: 'a string holds a lone UTF-16 surrogate: it has no canonical JSON form and cannot be stored unchanged',
} as const;
