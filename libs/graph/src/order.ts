import { priorityRank, type CompiledProfile } from '@govern/workplan';

/** What ordering needs of an item: its id, what it depends on (ids), its priority as written. */
export interface OrderItem {
  id: string;
  dependsOn: readonly string[];
  priority: string | null;
}

/**
 * Kahn's algorithm with a deterministic tie-break: among items whose dependencies
 * are all placed, the most urgent priority (by the profile) first, then the order of
 * `items` (the caller's tie-break: document order for govern, externalKey for StateHub).
 * A dependency `byId` does not know is ignored; items on cycles (and behind them) are
 * appended in `items` order. Returns each id's rank (0 first).
 */
export function dependencyRank<T extends OrderItem>(items: readonly T[], byId: ReadonlyMap<string, T>, profile: CompiledProfile): Map<string, number> {
  // Integer indexes in tie-break order: the heap compares O(n log n) times, and with
  // precomputed priority ranks each comparison is two array reads (string and Map
  // comparisons here were a third of a 10k-document graph build).
  const index = new Map<T, number>();
  items.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  const prio = items.map((n) => priorityRank(n.priority, profile));
  const indeg = new Int32Array(items.length);
  const dependents: number[][] = items.map(() => []);
  items.forEach((n, i) => {
    for (const id of n.dependsOn) {
      const dep = byId.get(id);
      if (!dep) continue;
      indeg[i]!++;
      dependents[index.get(dep)!]!.push(i);
    }
  });
  const ready = new MinHeap<number>((a, b) => prio[a]! - prio[b]! || a - b);
  for (let i = 0; i < items.length; i++) if (indeg[i] === 0) ready.push(i);
  const rank = new Map<string, number>();
  let placed = 0;
  while (ready.size) {
    const i = ready.pop()!;
    if (!rank.has(items[i]!.id)) rank.set(items[i]!.id, placed);
    placed++;
    for (const m of dependents[i]!) if (--indeg[m]! === 0) ready.push(m);
  }
  for (const n of items) if (!rank.has(n.id)) rank.set(n.id, placed++);
  return rank;
}

/**
 * Tarjan's strongly connected components; each component of 2+ items is a cycle,
 * sorted by `compare`, and the cycles by their first item.
 */
export function findCycles<T extends Pick<OrderItem, 'dependsOn'>>(nodes: readonly T[], byId: ReadonlyMap<string, T>, compare: (a: T, b: T) => number): T[][] {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const out: T[][] = [];
  let counter = 0;
  // Iterative to survive deep chains in very large repositories.
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: T; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const deps = frame.node.dependsOn;
      if (frame.next < deps.length) {
        const dep = byId.get(deps[frame.next++]!);
        if (!dep) continue;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ node: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const comp: T[] = [];
        let n: T;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          comp.push(n);
        } while (n !== frame.node);
        if (comp.length > 1) out.push(comp.sort(compare));
      }
    }
  }
  return out.sort((a, b) => compare(a[0]!, b[0]!));
}

class MinHeap<T> {
  private a: T[] = [];
  constructor(private less: (x: T, y: T) => number) {}
  get size(): number {
    return this.a.length;
  }
  push(v: T): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
