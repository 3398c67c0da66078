import { SIGNALS, WrapperEnvelopeSchema, type WrapperEnvelope } from '@govern/contracts';

/*
 * A structural pre-check of the wrapper envelope v1 that only says yes when it can
 * prove the envelope valid, and then returns what the contracts' zod schema would
 * return (same fields, same defaults, same key order). Everything else — an unknown or
 * missing field, a bad value, the legacy `reason_code` alias, a `__proto__` key, a lone
 * surrogate, anything not plain JSON — gets `null`, and validate.ts asks zod, which
 * also words the reasons. A property test (fast-envelope.test.ts) checks on generated
 * envelopes, valid and broken, that this never accepts what zod refuses and that the
 * values are identical. Why: the zod parse and the walks around it were most of the
 * binder's cost per envelope (docs/benchmarks-binder.md).
 *
 * The rules below mirror libs/contracts/src/schemas.ts (pinned by contracts.pin.json:
 * a schema change there bumps the pin, and the property test runs against the new
 * schema). The datetime pattern is zod's own, read from the schema.
 */

type Rec = Record<string, unknown>;

const CODE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const SCHEMA_ID = 'govern.wrapper-envelope/v1';
const SIGNAL_SET = new Set<string>(SIGNALS);
const EVIDENCE_KINDS = new Set(['file', 'url', 'span', 'log']);

/** zod's `z.iso.datetime({ offset: true })` pattern, read from the schema (null: never fast, zod decides). */
const DATETIME: RegExp | null = (() => {
  const def = (WrapperEnvelopeSchema.shape.observed_at as unknown as { _zod?: { def?: { pattern?: unknown } } })._zod?.def;
  return def?.pattern instanceof RegExp ? def.pattern : null;
})();

const TOP = new Set(['schema', 'event_id', 'sequence', 'run_id', 'task_id', 'group_id', 'signal', 'anomaly_trigger', 'wrapper_policy', 'task_spec', 'policy_reason_code', 'context', 'evidence', 'observed_at']);
const CONTEXT = new Set(['gates', 'versions', 'env']);
const WP = new Set(['name', 'version']);
const TS = new Set(['scope', 'target', 'action', 'failure_reason_code']);
const TARGET = new Set(['kind', 'id']);
const ACTION = new Set(['kind']);
const EVIDENCE = new Set(['kind', 'ref', 'sha256']);

/** The envelopes this module built: plain, well-formed JSON values (no lone surrogate), safe to hash without the general checks. */
const PROVEN = new WeakSet<object>();

/**
 * Whether `e` came from {@link fastEnvelope}: plain objects of well-formed strings, as
 * built there (keys and fact rows hash it without the general checks; an envelope changed
 * after validation is the changer's to re-validate).
 */
export function isProvenPlain(e: object): boolean {
  return PROVEN.has(e);
}

const isPlain = (v: unknown): v is Rec => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const isArray = (v: unknown): v is unknown[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
/** A string with no lone surrogate (its canonical JSON is JSON.stringify's). */
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();
/** contracts' `text`: 1 to 500 UTF-16 code units. */
const text = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 500 && wellFormed(v);
/** contracts' `code`: a reason code of at most 200 characters. */
const code = (v: unknown): v is string => typeof v === 'string' && v.length <= 200 && CODE.test(v);

/** Whether every enumerable key of `o` is an own key in `allowed` (the required ones are checked by their values). */
function keysWithin(o: Rec, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!Object.hasOwn(o, k) || !allowed.has(k)) return false;
  return true;
}

/** A `z.record(z.string(), z.string())` of plain, well-formed strings, copied; null when not provably one. */
function stringMap(v: unknown): Record<string, string> | null {
  if (!isPlain(v)) return null;
  const out: Record<string, string> = {};
  for (const k in v) {
    if (!Object.hasOwn(v, k) || k === '__proto__' || !wellFormed(k)) return null;
    const x = v[k];
    if (typeof x !== 'string' || !wellFormed(x)) return null;
    out[k] = x;
  }
  return out;
}

/**
 * The envelope zod's `WrapperEnvelopeSchema` would return for `raw`, when `raw` is
 * provably valid (and plain, well-formed JSON); null otherwise — not "invalid", only
 * "not proven here": the caller then asks zod.
 */
export function fastEnvelope(raw: unknown): WrapperEnvelope | null {
  if (DATETIME === null || !isPlain(raw) || !keysWithin(raw, TOP)) return null;
  const { schema, event_id, sequence, run_id, task_id, group_id, signal, anomaly_trigger, wrapper_policy, task_spec, policy_reason_code, context, evidence, observed_at } = raw;
  if (schema !== SCHEMA_ID || !text(event_id) || !text(run_id) || !text(task_id) || !text(group_id)) return null;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0 || Object.is(sequence, -0)) return null;
  if (typeof signal !== 'string' || !SIGNAL_SET.has(signal)) return null;
  const hasTrigger = Object.hasOwn(raw, 'anomaly_trigger');
  if (hasTrigger ? !code(anomaly_trigger) || signal !== 'anomaly' : signal === 'anomaly') return null;
  if (!isPlain(wrapper_policy) || !keysWithin(wrapper_policy, WP) || !text(wrapper_policy.name) || !text(wrapper_policy.version)) return null;
  if (!isPlain(task_spec) || !keysWithin(task_spec, TS) || !text(task_spec.scope) || !code(task_spec.failure_reason_code)) return null;
  const { target, action } = task_spec;
  if (!isPlain(target) || !keysWithin(target, TARGET) || !text(target.kind) || !text(target.id)) return null;
  if (!isPlain(action) || !keysWithin(action, ACTION) || !text(action.kind)) return null;
  // policy_reason_code: absent (null by default), null, or a code; only a denial needs one, and only denials and failures may carry one.
  let policy: string | null = null;
  if (Object.hasOwn(raw, 'policy_reason_code') && policy_reason_code !== null) {
    if (!code(policy_reason_code)) return null;
    policy = policy_reason_code;
  }
  if (signal === 'denial' ? policy === null : policy !== null && signal !== 'failure') return null;
  let ctx: WrapperEnvelope['context'];
  if (!Object.hasOwn(raw, 'context')) ctx = { gates: [], versions: {}, env: {} };
  else {
    if (!isPlain(context) || !keysWithin(context, CONTEXT)) return null;
    const gates: string[] = [];
    if (Object.hasOwn(context, 'gates')) {
      const g = context.gates;
      if (!isArray(g)) return null;
      for (let i = 0; i < g.length; i++) {
        const x = g[i];
        if (!text(x)) return null;
        gates.push(x);
      }
    }
    const versions = Object.hasOwn(context, 'versions') ? stringMap(context.versions) : {};
    const env = Object.hasOwn(context, 'env') ? stringMap(context.env) : {};
    if (!versions || !env) return null;
    ctx = { gates, versions, env };
  }
  if (!isArray(evidence) || evidence.length > 100) return null;
  if ((signal === 'failure' || signal === 'denial') && evidence.length === 0) return null;
  const refs: WrapperEnvelope['evidence'] = [];
  for (let i = 0; i < evidence.length; i++) {
    const r = evidence[i];
    if (!isPlain(r) || !keysWithin(r, EVIDENCE) || typeof r.kind !== 'string' || !EVIDENCE_KINDS.has(r.kind) || !text(r.ref)) return null;
    if (Object.hasOwn(r, 'sha256')) {
      if (typeof r.sha256 !== 'string' || !SHA256.test(r.sha256)) return null;
      refs.push({ kind: r.kind as WrapperEnvelope['evidence'][number]['kind'], ref: r.ref, sha256: r.sha256 });
    } else refs.push({ kind: r.kind as WrapperEnvelope['evidence'][number]['kind'], ref: r.ref });
  }
  if (typeof observed_at !== 'string' || !DATETIME.test(observed_at)) return null;
  // Shape order, as zod writes its output.
  const e = {
    schema: SCHEMA_ID,
    event_id,
    sequence,
    run_id,
    task_id,
    group_id,
    signal: signal as WrapperEnvelope['signal'],
    ...(hasTrigger ? { anomaly_trigger: anomaly_trigger as string } : {}),
    wrapper_policy: { name: wrapper_policy.name, version: wrapper_policy.version },
    task_spec: { scope: task_spec.scope, target: { kind: target.kind, id: target.id }, action: { kind: action.kind }, failure_reason_code: task_spec.failure_reason_code },
    policy_reason_code: policy,
    context: ctx,
    evidence: refs,
    observed_at,
  } satisfies WrapperEnvelope;
  PROVEN.add(e);
  return e;
}
