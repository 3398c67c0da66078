import type { Blocker } from '@govern/graph';
import type { CompiledProfile, Status } from '@govern/workplan';
import type { WriteErrorCode } from './errors.js';

export interface Violation {
  code: Extract<WriteErrorCode, 'transition-forbidden' | 'closure-required' | 'dependencies-not-done'>;
  message: string;
  /** `--force` may override it (and the override is recorded); closure never can. */
  forceable: boolean;
  details: Record<string, unknown>;
}

/**
 * The profile's lifecycle rules for moving `id` from `from` to `to`. Returns
 * every rule broken, so one refusal names all of them.
 */
export function lifecycleViolations(
  id: string,
  from: Status | null,
  to: Status,
  blockers: Blocker[],
  profile: CompiledProfile,
  opts: { closure?: boolean } = {},
): Violation[] {
  const rules = profile.profile.lifecycle;
  const out: Violation[] = [];
  if (!opts.closure && (rules.closureRequired ?? []).includes(to)) {
    out.push({
      code: 'closure-required',
      message: `${id} can become ${to} only through \`govern close ${id}\`, which runs its checks and records the evidence`,
      forceable: false,
      details: { item: id, status: to },
    });
  }
  const allowed = from === null ? undefined : rules.transitions?.[from];
  if (from !== null && from !== to && allowed && !allowed.includes(to)) {
    out.push({
      code: 'transition-forbidden',
      message: `${id}: the profile does not allow ${from} → ${to} (from ${from}: ${allowed.join(', ') || 'nothing'})`,
      forceable: true,
      details: { item: id, from, to, allowed },
    });
  }
  if ((rules.dependenciesDoneFor ?? []).includes(to) && blockers.length) {
    const list = blockers.map((b) => `${b.id} (${b.exists ? (b.status ?? 'no status') : 'missing'}${b.via ? `, via ${b.via}` : ''})`).join(', ');
    out.push({
      code: 'dependencies-not-done',
      message: `${id} depends on what is not done: ${list}`,
      forceable: true,
      details: { item: id, blockers },
    });
  }
  return out;
}
