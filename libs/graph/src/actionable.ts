import type { CompiledProfile, Status } from '@govern/workplan';
import { dependencyRank, findCycles } from './order.js';

/**
 * The one "actionable" rule — `govern next` (over the graph of the Markdown) and
 * StateHub's `GET /next` (over the records the bridge pushed) both answer with it:
 *
 * - an item is actionable when its status is planned, in_progress or partial, it is
 *   not on a dependency cycle, and every item it depends on is done — including what
 *   its container (a task's workplan) depends on; a dependency no item has counts as
 *   not done;
 * - order: dependencies first (Kahn), among items whose dependencies are placed the
 *   most urgent priority by the profile's `priorities` (unknown spellings after every
 *   known one, none last), then the caller's order (document order; StateHub's
 *   externalKey).
 */

/** Statuses an item can be started or continued from. */
export const ACTIONABLE_STATUSES: ReadonlySet<Status> = new Set<Status>(['planned', 'in_progress', 'partial']);

/** What the rule reads of an item. `dependsOn` and `parent` are ids of other items. */
export interface RuleItem {
  id: string;
  status: Status | null;
  priority: string | null;
  dependsOn: readonly string[];
  /** The container whose dependencies the item inherits (a task's workplan), or null. */
  parent: string | null;
}

/** The items by id, each one's rank in the rule's order, and the ids on a cycle. */
export interface RuleIndex<T extends RuleItem> {
  byId: ReadonlyMap<string, T>;
  rank: ReadonlyMap<string, number>;
  cyclic: ReadonlySet<string>;
}

export interface Blocker {
  id: string;
  status: Status | null;
  exists: boolean;
  /** Set when the blocker is inherited from a containing workplan rather than the item's own dependency. */
  via?: string;
}

/**
 * Dependencies of an item that are not done, including those inherited from the
 * container that holds it: a task cannot start before its workplan can.
 */
export function blockersOf<T extends RuleItem>(index: Pick<RuleIndex<T>, 'byId'>, node: T): Blocker[] {
  const out: Blocker[] = [];
  const seen = new Set<string>();
  let via: string | undefined;
  for (let n: T | undefined = node; n && !seen.has(n.id); n = n.parent ? index.byId.get(n.parent) : undefined) {
    seen.add(n.id);
    for (const id of n.dependsOn) {
      const dep = index.byId.get(id);
      if (dep?.status === 'done' || out.some((b) => b.id === id)) continue;
      out.push({ id, status: dep?.status ?? null, exists: dep !== undefined, ...(via ? { via } : {}) });
    }
    via = n.parent ?? undefined;
  }
  return out;
}

/** The rule's test of one item against an index (see the top of this file). */
export function isActionable<T extends RuleItem>(index: RuleIndex<T>, node: T): boolean {
  return node.status !== null && ACTIONABLE_STATUSES.has(node.status) && !index.cyclic.has(node.id) && blockersOf(index, node).length === 0;
}

/** Indexes items for the rule: `items` in tie-break order; the first item of an id wins. */
export function ruleIndex<T extends RuleItem>(items: readonly T[], profile: CompiledProfile): RuleIndex<T> {
  const byId = new Map<string, T>();
  for (const n of items) if (!byId.has(n.id)) byId.set(n.id, n);
  const first = [...byId.values()];
  const order = new Map(first.map((n, i) => [n, i]));
  const cyclic = new Set<string>();
  for (const n of first) if (n.dependsOn.includes(n.id)) cyclic.add(n.id);
  for (const component of findCycles(first, byId, (a, b) => order.get(a)! - order.get(b)!)) for (const n of component) cyclic.add(n.id);
  return { byId, rank: dependencyRank(items, byId, profile), cyclic };
}

export interface Actionability<T extends RuleItem> {
  /** Actionable items, in the rule's order. */
  next: T[];
  /** Items neither done nor actionable, in the rule's order, with what each waits on (empty for a `blocked` or status-less item, or one on a cycle whose dependencies are done). */
  waiting: Array<{ item: T; blockers: Blocker[] }>;
}

/**
 * The rule over a set of items (`items` in the caller's tie-break order), with the
 * priorities of `profile`. Pure and deterministic: the same items, in the same order,
 * give the same answer.
 */
export function actionable<T extends RuleItem>(items: readonly T[], profile: CompiledProfile): Actionability<T> {
  const index = ruleIndex(items, profile);
  const rankOf = (n: T) => index.rank.get(n.id)!;
  const sorted = items
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rankOf(a.n) - rankOf(b.n) || a.i - b.i)
    .map((x) => x.n);
  const next: T[] = [];
  const waiting: Actionability<T>['waiting'] = [];
  for (const n of sorted) {
    if (n.status === 'done') continue;
    if (isActionable(index, n)) next.push(n);
    else waiting.push({ item: n, blockers: blockersOf(index, n) });
  }
  return { next, waiting };
}
