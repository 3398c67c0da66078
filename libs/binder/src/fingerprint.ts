import { hash } from 'node:crypto';
import { canonicalJson, type TaskSpec, type WrapperEnvelope } from '@govern/contracts';
import { isSecretName } from '@govern/secrets';

/**
 * What a fingerprint is computed from: the TaskSpec, the wrapper policy and the
 * normalized execution context. Lineage (`event_id`, `sequence`, `run_id`), `task_id`,
 * `group_id`, `signal`, `anomaly_trigger`, `policy_reason_code`, `evidence` and
 * `observed_at` are left out on purpose: they say which observation this is, not
 * in which situation the failure happens, and a capsule gathers every observation of
 * one situation.
 */
export interface FingerprintInput {
  task_spec: TaskSpec;
  wrapper_policy: { name: string; version: string };
  /** Trimmed, empty ones dropped, de-duplicated, sorted by UTF-16 code units. */
  gates: string[];
  /** Keys trimmed and lower-cased; values trimmed, a leading `v`/`V` before a digit dropped. */
  versions: Record<string, string>;
  /** Keys trimmed; values verbatim; volatile and secret-named variables left out. */
  env: Record<string, string>;
}

/**
 * Environment variables that name a process, a host, a directory of the moment, a
 * random value or a CI run: different on every run of the same task, so keeping them
 * would give every observation its own fingerprint. Compared upper-cased.
 */
export const VOLATILE_ENV_NAMES: readonly string[] = [
  '_', 'BUILD_ID', 'BUILD_NUMBER', 'CI_JOB_ID', 'CI_PIPELINE_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_RUN_ID',
  'GITHUB_RUN_NUMBER', 'HOST', 'HOSTNAME', 'INVOCATION_ID', 'LINENO', 'OLDPWD', 'PID', 'PPID', 'PWD', 'RANDOM',
  'SECONDS', 'SHLVL', 'SSH_CLIENT', 'SSH_CONNECTION', 'SSH_TTY', 'TEMP', 'TMP', 'TMPDIR', 'WINDOWID', 'XDG_RUNTIME_DIR',
];
const VOLATILE_SET = new Set(VOLATILE_ENV_NAMES);
/** Suffixes of volatile names: `BUILD_TIME`, `START_TIMESTAMP`, `SOURCE_DATE_EPOCH`, `WORKER_PID`, `TEST_SEED`. */
const VOLATILE_SUFFIX = /_(?:TIME|TIMESTAMP|DATE|EPOCH|PID|SEED)$/;

/** Whether an environment variable name is volatile (see {@link VOLATILE_ENV_NAMES}); case-insensitive. */
export function isVolatileEnvName(name: string): boolean {
  const upper = name.trim().toUpperCase();
  return VOLATILE_SET.has(upper) || VOLATILE_SUFFIX.test(upper);
}

/** A version as compared: trimmed, and `v1.2.3` written `1.2.3` (only before a digit, so `vendor` stays). */
export function normalizeVersion(version: string): string {
  const v = version.trim();
  return /^[vV][0-9]/.test(v) ? v.slice(1) : v;
}

/**
 * The map with each key normalized, keys that normalize to nothing dropped. When two
 * keys normalize to the same one (`Node` and `node`), the entry whose original key sorts
 * first by code units wins, so the result never depends on the input's key order.
 */
function normalizeMap(map: Record<string, string>, key: (k: string) => string, value: (v: string) => string, keep: (k: string) => boolean): Record<string, string> {
  // A Map, then Object.fromEntries: a `__proto__` key stays an own data property.
  const out = new Map<string, string>();
  for (const original of Object.keys(map).sort()) {
    const k = key(original);
    if (k === '' || !keep(k) || out.has(k)) continue;
    out.set(k, value(map[original]!));
  }
  return Object.fromEntries(out);
}

/** The normalized fingerprint input of an envelope (see {@link FingerprintInput} for the rules). */
export function fingerprintInput(e: WrapperEnvelope): FingerprintInput {
  const ctx = e.context ?? { gates: [], versions: {}, env: {} };
  const t = e.task_spec;
  return {
    // Rebuilt field by field: an object that skipped validation cannot slip extra fields into the hash.
    task_spec: { scope: t.scope, target: { kind: t.target.kind, id: t.target.id }, action: { kind: t.action.kind }, failure_reason_code: t.failure_reason_code },
    wrapper_policy: { name: e.wrapper_policy.name.trim(), version: normalizeVersion(e.wrapper_policy.version) },
    gates: [...new Set((ctx.gates ?? []).map((g) => g.trim()).filter((g) => g !== ''))].sort(),
    versions: normalizeMap(ctx.versions ?? {}, (k) => k.trim().toLowerCase(), normalizeVersion, () => true),
    env: normalizeMap(ctx.env ?? {}, (k) => k.trim(), (v) => v, (k) => !isVolatileEnvName(k) && !isSecretName(k)),
  };
}

/** sha256 (lower-case hex) of the UTF-8 bytes of `text`. One-shot `crypto.hash`: half the cost of createHash for short inputs. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * The fingerprint hash: sha256 of the RFC 8785 canonical JSON of
 * {@link fingerprintInput}. Stable across processes, key orders and gate orders;
 * pinned by `__fixtures__/fingerprint-vectors.json`.
 */
export function fingerprintHash(e: WrapperEnvelope): string {
  const input = fingerprintInput(e);
  return sha256Hex(canonicalJson(input));
}

