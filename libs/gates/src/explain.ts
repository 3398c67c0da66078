import type { GateState, Requirement } from './model.js';

/** `GV-04 "Memory store" is planned (Planned, at trackers/t.md:16:136)`: one blocker, in words. */
export function describeRequirement(r: Requirement): string {
  const where = `${r.file}:${r.line}:${r.column}`;
  if (!r.found) return `${r.id} is not defined by any document (required at ${where})`;
  const title = r.title ? ` "${r.title}"` : '';
  if (r.status === null) return `${r.id}${title} has no recognized status${r.statusText ? ` ("${r.statusText}")` : ''} (at ${where})`;
  return `${r.id}${title} is ${r.status}${asWritten(r.status, r.statusText)} (at ${where})`;
}

/** The status as written, when it says more than the normalized word (`"Done (#27)"`, not `"Planned"`). */
function asWritten(status: string, text: string | null): string {
  if (!text || text.trim().toLowerCase().replace(/[\s-]+/g, '_') === status) return '';
  return ` ("${text}")`;
}

/**
 * Why a gate is disabled, in one paragraph that names each blocking milestone, its
 * status and where that status is written. For an enabled gate, says so.
 */
export function explainGate(g: GateState): string {
  if (g.enabled) return `gate ${g.name} is enabled: ${g.requires.map((r) => r.id).join(', ')} ${g.requires.length === 1 ? 'is' : 'are'} done.`;
  const ids = g.blockedBy.map((r) => r.id);
  return (
    `gate ${g.name} is disabled: ${g.blockedBy.map(describeRequirement).join('; ')}. ` +
    `It is enabled when ${ids.join(' and ')} ${ids.length === 1 ? 'is' : 'are'} done.`
  );
}

/**
 * The gate's state in one short line, the same wherever it is shown (`govern gates`,
 * the `gate` target the Nx plugin adds, which `nx show project` prints in a
 * terminal): `gate binder: disabled — waits on GV-05 (planned)`, or
 * `gate statehub: enabled — GV-03 done`. {@link explainGate} says where each status is written.
 */
export function gateSummary(g: GateState): string {
  if (g.enabled) return `gate ${g.name}: enabled — ${g.requires.map((r) => r.id).join(', ')} done`;
  return `gate ${g.name}: disabled — waits on ${g.blockedBy.map((r) => `${r.id} (${!r.found ? 'not defined' : (r.status ?? 'no status')})`).join(', ')}`;
}
