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
 * Tarjan's strongly connected components of the graph reachable from `roots`, over any
 * keys (node objects, ids) and a successor function, called once per key. Components are
 * returned in the order Tarjan completes them (a component after every component it
 * reaches), each in pop order; components of one key included. Iterative: deep chains in
 * very large repositories would overflow the call stack.
 */
export function stronglyConnected<K>(roots: Iterable<K>, successors: (key: K) => readonly K[]): K[][] {
  const index = new Map<K, number>();
  const low = new Map<K, number>();
  const onStack = new Set<K>();
  const stack: K[] = [];
  const out: K[][] = [];
  let counter = 0;
  const visit = (key: K, work: { key: K; next: number; succ: readonly K[] }[]) => {
    index.set(key, counter);
    low.set(key, counter++);
    stack.push(key);
    onStack.add(key);
    work.push({ key, next: 0, succ: successors(key) });
  };
  for (const root of roots) {
    if (index.has(root)) continue;
    const work: { key: K; next: number; succ: readonly K[] }[] = [];
    visit(root, work);
    while (work.length) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.succ.length) {
        const next = frame.succ[frame.next++]!;
        if (!index.has(next)) visit(next, work);
        else if (onStack.has(next)) low.set(frame.key, Math.min(low.get(frame.key)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.key, Math.min(low.get(parent.key)!, low.get(frame.key)!));
      if (low.get(frame.key) === index.get(frame.key)) {
        const comp: K[] = [];
        let n: K;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          comp.push(n);
        } while (n !== frame.key);
        out.push(comp);
      }
    }
  }
  return out;
}

/**
 * The dependency cycles among `nodes`: strongly connected components of 2+ items (a
 * dependency `byId` does not know is no edge), each sorted by `compare`, and the cycles
 * by their first item.
 */
export function findCycles<T extends Pick<OrderItem, 'dependsOn'>>(nodes: readonly T[], byId: ReadonlyMap<string, T>, compare: (a: T, b: T) => number): T[][] {
  const successors = (n: T) => n.dependsOn.flatMap((id) => byId.get(id) ?? []);
  return stronglyConnected(nodes, successors)
    .filter((c) => c.length > 1)
    .map((c) => c.sort(compare))
    .sort((a, b) => compare(a[0]!, b[0]!));
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
