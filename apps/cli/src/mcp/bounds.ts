import type { GraphNode } from '@govern/graph';
import type { Diagnostic, Severity } from '@govern/workplan';

// Everything a tool returns in lists is paged or capped here: a repository with
// thousands of items must not flood an agent's context window.

/** One page of `items`, with the total and the offset of the next page (`null` after the last). */
export function page<T>(items: readonly T[], offset: number, limit: number): { items: T[]; total: number; offset: number; nextOffset: number | null } {
  const end = offset + limit;
  return { items: items.slice(offset, end), total: items.length, offset, nextOffset: end < items.length ? end : null };
}

/** The node fields an agent needs to choose what to look at; `item` gives the rest. */
export function compactNode(n: GraphNode): Pick<GraphNode, 'id' | 'kind' | 'title' | 'status' | 'dependsOn' | 'source'> {
  return { id: n.id, kind: n.kind, title: n.title, status: n.status, dependsOn: n.dependsOn, source: n.source };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Diagnostics of severity `min` or worse, in their order (file, line, column, ...). */
export function atLeast(diagnostics: readonly Diagnostic[], min: Severity): Diagnostic[] {
  return diagnostics.filter((d) => RANK[d.severity] <= RANK[min]);
}
