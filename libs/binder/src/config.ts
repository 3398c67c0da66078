import { z } from 'zod';
import { FALLBACK_MODES } from './modes.js';

/** The rollout modes (seed 002): shadow derives and records; guided suggests; prescriptive may apply. */
export const ROLLOUT_MODES = ['shadow', 'guided', 'prescriptive'] as const;
/** One of {@link ROLLOUT_MODES}. */
export type RolloutMode = (typeof ROLLOUT_MODES)[number];

/**
 * An accepted wrapper policy as written in `policies.accepted`: `name@major` (digits),
 * or `name` alone for any version. A leading `@` belongs to the name (`@acme/wrap@2`).
 * Undefined when the text is neither.
 */
export function parsePolicyRef(ref: string): { name: string; major: number | null } | undefined {
  const m = /^(@?[^@]+)(?:@([0-9]+))?$/.exec(ref.trim());
  if (!m || m[1]!.trim() === '') return undefined;
  return { name: m[1]!.trim(), major: m[2] === undefined ? null : Number(m[2]) };
}

const ThresholdsSchema = z
  .object({
    /** Least confidence (0..1, see eligibility.ts) a capsule needs. */
    min_confidence: z.number().min(0).max(1).default(0.8),
    /** Least number of supporting envelopes. */
    min_support: z.int().min(1).default(2),
    /** A capsule not seen for longer than this is stale. */
    max_staleness_days: z.number().positive().default(30),
    /** More contradictions than this and a capsule is contradicted, whatever its confidence. */
    max_contradictions: z.int().min(0).default(3),
  })
  .strict();

const PoliciesSchema = z
  .object({
    /** Wrapper policies accepted, as `name@major` or `name`; absent: any; empty: none. */
    accepted: z.array(z.string().max(500).refine((r) => parsePolicyRef(r) !== undefined, 'expected a wrapper policy as "name@major" or "name"')).optional(),
    /** Guard denial codes whose capsules are never eligible. */
    blocked_policy_reason_codes: z.array(z.string().min(1).max(200)).optional(),
  })
  .strict();

/**
 * The `binder:` section of a profile. Strict: an unknown key is reported, not ignored
 * silently. Every field has a default, and the defaults are the safe side: shadow
 * rollout (nothing changes) and strict fallback (only explicit failures and denials mint).
 */
export const BinderConfigSchema = z
  .object({
    rollout: z.enum(ROLLOUT_MODES).default('shadow'),
    fallback: z.enum(FALLBACK_MODES).default('strict'),
    // prefault, not default: zod 4's default returns the value as is, without filling in the inner defaults.
    thresholds: ThresholdsSchema.prefault({}),
    policies: PoliciesSchema.prefault({}),
  })
  .strict();
/** The binder configuration after defaults: every field present except the optional policy lists. */
export type BinderConfig = z.output<typeof BinderConfigSchema>;

/** The configuration of a profile without a `binder:` section. */
export const DEFAULT_BINDER_CONFIG: BinderConfig = BinderConfigSchema.parse({});

/** A problem in the `binder:` section, shaped like the CLI's diagnostics. */
export interface BinderConfigDiagnostic {
  severity: 'error' | 'warning';
  code: 'binder-config-invalid' | 'binder-config-unknown-key';
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Where a path of the section sits in its file, when the caller kept the YAML positions. */
export type Locate = (path: (string | number)[]) => { line: number; column: number } | undefined;

type Path = (string | number)[];

function fieldName(path: Path): string {
  return ['binder', ...path].join('.');
}

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** A copy of `value` without the entry at `path` (so its default applies). */
function without(value: unknown, path: Path): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return undefined;
  const [head, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) {
    if (rest.length === 0) return value.filter((_, i) => i !== head);
    return value.map((v: unknown, i) => (i === head ? without(v, rest) : v));
  }
  const copy: Record<string | number, unknown> = { ...value };
  if (rest.length === 0) delete copy[head];
  else copy[head] = without(copy[head], rest);
  return copy;
}

/**
 * The binder configuration of a profile's `binder:` section. Never throws: an invalid
 * or unknown field is a diagnostic naming it (`binder.thresholds.min_confidence`), and
 * that field alone falls back to its default (an invalid list entry is dropped from its
 * list); the rest of the section still applies. `file` and `locate` place the diagnostics.
 */
export function binderConfig(section: unknown, file?: string, locate?: Locate): { value: BinderConfig; diagnostics: BinderConfigDiagnostic[] } {
  const diagnostics: BinderConfigDiagnostic[] = [];
  const report = (severity: BinderConfigDiagnostic['severity'], code: BinderConfigDiagnostic['code'], path: Path, message: string): void => {
    const at = locate?.(path);
    diagnostics.push({ severity, code, message, ...(file !== undefined ? { file } : {}), ...(at ? { line: at.line, column: at.column } : {}) });
  };
  if (section === undefined || section === null) return { value: structuredClone(DEFAULT_BINDER_CONFIG), diagnostics };
  let input: unknown = section;
  if (typeof input !== 'object' || Array.isArray(input)) {
    report('error', 'binder-config-invalid', [], `binder: expected a mapping of rollout, fallback, thresholds and policies; the defaults are used`);
    return { value: structuredClone(DEFAULT_BINDER_CONFIG), diagnostics };
  }
  // Each round removes the fields zod refused, and every field has a default or is
  // optional, so a round never fails on what it removed; the bound is a backstop.
  for (let round = 0; round < 32; round++) {
    const r = BinderConfigSchema.safeParse(input);
    if (r.success) return { value: r.data, diagnostics: sortDiagnostics(diagnostics) };
    const remove: Path[] = [];
    for (const issue of r.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          report('warning', 'binder-config-unknown-key', [...path, key], `${fieldName([...path, key])}: not a binder setting; ignored`);
          remove.push([...path, key]);
        }
      } else {
        const inList = typeof path.at(-1) === 'number';
        report('error', 'binder-config-invalid', path, `${fieldName(path)}: ${issue.message}; ${inList ? 'this entry is ignored' : 'the default is used'}`);
        remove.push(path);
      }
    }
    // The section itself refused: nothing smaller to drop.
    if (remove.some((p) => p.length === 0)) return { value: structuredClone(DEFAULT_BINDER_CONFIG), diagnostics: sortDiagnostics(diagnostics) };
    // Highest list index first, so removing one entry does not shift the next one to remove.
    remove.sort((a, b) => comparePaths(b, a));
    for (const path of remove) input = without(input, path);
  }
  return { value: structuredClone(DEFAULT_BINDER_CONFIG), diagnostics: sortDiagnostics(diagnostics) };
}

/** By position when known, then by message (which starts with the field): not by zod's internal issue order. */
function sortDiagnostics(ds: BinderConfigDiagnostic[]): BinderConfigDiagnostic[] {
  return ds.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}
