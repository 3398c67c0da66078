import { GovernError } from '@govern/errors';

// Opaque page cursors for the tools whose lists are not stable under an offset: the
// audit log grows at its end while an agent reads it newest first, and memoryd's
// answers are windows of a store that keeps ingesting. A cursor says where the next
// page starts in terms that do not move (a record's position and id, a fact's time and
// key) and carries the filters it was made for, so a cursor passed with other filters
// is refused rather than silently answering another question.

/** What a cursor holds: the tool it belongs to, the filters it was made for, and the tool's own position. */
export interface Cursor<P> {
  tool: string;
  filters: Record<string, unknown>;
  at: P;
}

/** The filters present (undefined ones dropped, keys sorted), so `{a: 1}` and `{a: 1, b: undefined}` agree. */
function canonical(filters: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(filters)
      .filter((k) => filters[k] !== undefined)
      .sort()
      .map((k) => [k, filters[k]]),
  );
}

export function encodeCursor<P>(tool: string, filters: Record<string, unknown>, at: P): string {
  return Buffer.from(JSON.stringify({ v: 1, tool, filters: canonical(filters), at }), 'utf8').toString('base64url');
}

/**
 * Reads a cursor back for `tool` and checks it was made for the same filters: the
 * call's filters must be the cursor's, or absent (the cursor's then apply). Returns
 * the cursor's position and the filters to use. Refuses a cursor that is not one
 * (`cursor-invalid`) or was made for other filters (`cursor-mismatch`).
 */
export function decodeCursor<P>(tool: string, cursor: string, filters: Record<string, unknown>): { at: P; filters: Record<string, unknown> } {
  let parsed: { v?: unknown; tool?: unknown; filters?: unknown; at?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = {};
  }
  if (parsed?.v !== 1 || parsed.tool !== tool || typeof parsed.filters !== 'object' || parsed.filters === null || parsed.at === undefined) {
    throw new GovernError('cursor-invalid', `not a cursor of ${tool}: pass the nextCursor of a previous ${tool} answer unchanged`, { details: { tool } });
  }
  const theirs = parsed.filters as Record<string, unknown>;
  const given = canonical(filters);
  const differ = Object.keys(given).filter((k) => JSON.stringify(given[k]) !== JSON.stringify(theirs[k]));
  if (differ.length) {
    throw new GovernError('cursor-mismatch', `the cursor was made for other arguments (${differ.join(', ')}); repeat the first call's arguments with it, or leave them out`, {
      details: { tool, arguments: differ },
    });
  }
  return { at: parsed.at as P, filters: { ...theirs } };
}
