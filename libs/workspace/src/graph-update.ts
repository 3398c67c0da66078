import { stronglyConnected } from '@govern/graph';
import { cmp, type Diagnostic } from '@govern/workplan';
import type { Contribution, NodeRecords } from './fragment.js';

/**
 * Stage 3 of the engine (discover → fragments → graph → output): the graph-level facts
 * of a set of document contributions — which definition of an id wins, which
 * dependencies are unknown, which nodes are on a cycle — and their diagnostics, exactly
 * as @govern/graph's `buildGraph` computes them (engine.test.ts compares the two over
 * random edits).
 *
 * It works on the compact contributions (ids, positions, references), never on parsed
 * documents or graph node objects. {@link GraphState.update} replaces the contributions
 * of changed documents and recomputes cycles only in the part of the graph a change can
 * reach; duplicate and unknown-dependency diagnostics are one pass over plain records.
 * The topological rank is not kept here: only `next` and `status` need it, and they
 * build it with the graph index (see engine.ts).
 */

interface Def {
  file: string;
  /** Index of the node in its document. */
  k: number;
}

/** A node with its position, made only for the few nodes a diagnostic or a cycle names. */
interface Located {
  id: string;
  file: string;
  line: number;
  column: number;
}

/** A document's contribution, with the offset of each node in its flat records. */
interface Doc {
  c: Contribution;
  off: number[];
}

function offsets(nodes: NodeRecords): number[] {
  const off: number[] = [];
  for (let i = 0; i < nodes.length; i += 4 + 3 * (nodes[i + 3] as number)) off.push(i);
  return off;
}

export class GraphState {
  private files: string[] = [];
  private docs = new Map<string, Doc>();
  /** Every definition of an id, in document order: the first one is the graph's node. */
  private defs = new Map<string, Def[]>();
  /** Components of two or more nodes on a cycle: ids sorted in document order, components by their first node. */
  private cycles: string[][] = [];
  private cached: { diagnostics: Diagnostic[]; dropped: Def[]; nodes: number } | null = null;

  /** Builds the state of a whole root. `files` is the discovered order (sorted). */
  static build(files: string[], contributions: Map<string, Contribution>): GraphState {
    const s = new GraphState();
    s.files = files;
    for (const f of files) {
      const c = contributions.get(f);
      if (c) s.add(f, c);
    }
    s.cycles = s.findCycles(s.winnerIds());
    return s;
  }

  /**
   * Restores the state a previous run computed: its contributions and its cycles (the
   * cycles are trusted; they were computed from these contributions).
   */
  static restore(files: string[], contributions: Map<string, Contribution>, cycles: string[][]): GraphState {
    const s = new GraphState();
    s.files = files;
    for (const f of files) {
      const c = contributions.get(f);
      if (c) s.add(f, c);
    }
    s.cycles = cycles.map((c) => [...c]);
    return s;
  }

  /** The cycles, for a later {@link GraphState.restore}. */
  cycleIds(): string[][] {
    return this.cycles;
  }

  contribution(file: string): Contribution | undefined {
    return this.docs.get(file)?.c;
  }

  /**
   * Applies changed documents: `changes` maps a file to its new contribution, or to null
   * when it is gone (or no longer read). `files` is the new discovered order. Cycles are
   * recomputed only over the nodes reachable from what changed (see {@link reachable}).
   */
  update(files: string[], changes: Map<string, Contribution | null>): void {
    this.files = files;
    const touched = new Set<string>();
    for (const [f, next] of changes) {
      const prev = this.docs.get(f);
      if (prev) {
        for (const o of prev.off) touched.add(prev.c.nodes[o] as string);
        this.remove(f, prev);
      }
      if (next) {
        const d = this.add(f, next);
        for (const o of d.off) touched.add(next.nodes[o] as string);
      }
    }
    this.cached = null;
    if (touched.size === 0) return;
    // The nodes whose outgoing edges may differ: the ids whose winning definition may have
    // changed, and every node that references one of them. One scan of the references
    // costs less than keeping a reverse index up to date (and loading it in every process).
    const affected = new Set(touched);
    for (const { c, off } of this.docs.values()) {
      const nodes = c.nodes;
      for (const o of off) {
        const refs = nodes[o + 3] as number;
        for (let j = 0; j < refs; j++) {
          if (touched.has(nodes[o + 4 + 3 * j] as string)) {
            affected.add(nodes[o] as string);
            break;
          }
        }
      }
    }
    this.updateCycles(affected);
  }

  private add(f: string, c: Contribution): Doc {
    const doc = { c, off: offsets(c.nodes) };
    this.docs.set(f, doc);
    doc.off.forEach((o, k) => {
      const id = c.nodes[o] as string;
      const list = this.defs.get(id);
      if (!list) this.defs.set(id, [{ file: f, k }]);
      else {
        list.push({ file: f, k });
        list.sort((a, b) => cmp(a.file, b.file) || a.k - b.k);
      }
    });
    return doc;
  }

  private remove(f: string, doc: Doc): void {
    this.docs.delete(f);
    for (const o of doc.off) {
      const id = doc.c.nodes[o] as string;
      const list = this.defs.get(id)?.filter((d) => d.file !== f);
      if (list?.length) this.defs.set(id, list);
      else this.defs.delete(id);
    }
  }

  private located(file: string, k: number): Located {
    const { c, off } = this.docs.get(file)!;
    const o = off[k]!;
    return { id: c.nodes[o] as string, file, line: c.nodes[o + 1] as number, column: c.nodes[o + 2] as number };
  }

  private winner(id: string): Located | undefined {
    const d = this.defs.get(id)?.[0];
    return d ? this.located(d.file, d.k) : undefined;
  }

  /** The winning node's dependency ids, without repeats, in first-seen order (the graph node's `dependsOn`). */
  private dependsOn(id: string): string[] {
    const d = this.defs.get(id)![0]!;
    const { c, off } = this.docs.get(d.file)!;
    const o = off[d.k]!;
    const out: string[] = [];
    for (let j = 0, refs = c.nodes[o + 3] as number; j < refs; j++) {
      const ref = c.nodes[o + 4 + 3 * j] as string;
      if (!out.includes(ref)) out.push(ref);
    }
    return out;
  }

  /** The graph's node ids in document order (first definitions only). */
  private winnerIds(): string[] {
    const out: string[] = [];
    for (const f of this.files) {
      const doc = this.docs.get(f);
      doc?.off.forEach((o, k) => {
        const id = doc.c.nodes[o] as string;
        const d = this.defs.get(id)![0]!;
        if (d.file === f && d.k === k) out.push(id);
      });
    }
    return out;
  }

  /**
   * A cycle that changed must pass through an affected node, and every node of a cycle
   * through node v is reachable from v. So only the nodes reachable from the affected
   * ones are searched again; every old cycle that meets them is dropped first (and its
   * members searched too, since a broken cycle can leave a smaller one behind). Cycles
   * outside that region keep their nodes and edges, so they stand as they were.
   */
  private updateCycles(affected: Set<string>): void {
    const cycleOf = new Map<string, number>();
    this.cycles.forEach((c, i) => c.forEach((id) => cycleOf.set(id, i)));
    const dropped = new Set<number>();
    const region = new Set<string>();
    let frontier = [...affected];
    while (frontier.length) {
      const next: string[] = [];
      for (const id of frontier) {
        const i = cycleOf.get(id);
        if (i !== undefined && !dropped.has(i)) {
          dropped.add(i);
          next.push(...this.cycles[i]!);
        }
        if (region.has(id) || !this.defs.has(id)) continue;
        region.add(id);
        for (const dep of this.dependsOn(id)) if (!region.has(dep)) next.push(dep);
      }
      frontier = next;
    }
    const kept = this.cycles.filter((_, i) => !dropped.has(i));
    const found = this.findCycles([...region]);
    const first = (c: string[]) => this.winner(c[0]!)!;
    this.cycles = [...kept, ...found].sort((a, b) => compareLocated(first(a), first(b)));
  }

  /** The cycles among `ids` (closed under dependencies): strongly connected components of 2+ nodes, in document order. */
  private findCycles(ids: string[]): string[][] {
    const successors = (id: string) => this.dependsOn(id).filter((x) => this.defs.has(x));
    return stronglyConnected(ids, successors)
      .filter((comp) => comp.length > 1)
      .map((comp) => comp.map((id) => this.winner(id)!).sort(compareLocated).map((l) => l.id));
  }

  /**
   * The graph diagnostics (duplicate ids, unknown dependencies, cycles) in the order
   * `buildGraph` reports them before sorting, the definitions its node list drops
   * (duplicates), and how many nodes it has.
   */
  result(): { diagnostics: Diagnostic[]; dropped: Def[]; nodes: number } {
    if (this.cached) return this.cached;
    const diagnostics: Diagnostic[] = [];
    const dropped: Def[] = [];
    // Winners in node order, as (file, records, offset) in three arrays: no object per node.
    const winnerFiles: string[] = [];
    const winnerNodes: NodeRecords[] = [];
    const winnerAt: number[] = [];
    for (const f of this.files) {
      const doc = this.docs.get(f);
      if (!doc) continue;
      const nodes = doc.c.nodes;
      for (let k = 0; k < doc.off.length; k++) {
        const o = doc.off[k]!;
        const id = nodes[o] as string;
        const d = this.defs.get(id)![0]!;
        if (d.file === f && d.k === k) {
          winnerFiles.push(f);
          winnerNodes.push(nodes);
          winnerAt.push(o);
          continue;
        }
        const prior = this.located(d.file, d.k);
        dropped.push({ file: f, k });
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-id',
          message: `id ${id} is defined twice: here and at ${prior.file}:${prior.line}`,
          file: f,
          line: nodes[o + 1] as number,
          column: nodes[o + 2] as number,
          related: [{ file: prior.file, line: prior.line, column: prior.column, message: `first definition of ${id}` }],
        });
      }
    }
    let norms: string[] | null = null;
    const suggest = (id: string): string | null => {
      norms ??= winnerNodes.map((nodes, w) => normalize(nodes[winnerAt[w]!] as string));
      const target = normalize(id);
      for (let i = 0; i < norms.length; i++) if (norms[i] === target || norms[i]!.endsWith(target)) return winnerNodes[i]![winnerAt[i]!] as string;
      return null;
    };
    for (let w = 0; w < winnerNodes.length; w++) {
      const nodes = winnerNodes[w]!;
      const o = winnerAt[w]!;
      const nodeId = nodes[o] as string;
      const refs = nodes[o + 3] as number;
      for (let j = 0; j < refs; j++) {
        const at = o + 4 + 3 * j;
        const id = nodes[at] as string;
        // Repeats count once (buildGraph deduplicates): skip an id seen earlier in this node's list.
        let repeat = false;
        for (let q = 0; q < j && !repeat; q++) repeat = nodes[o + 4 + 3 * q] === id;
        if (repeat) continue;
        const line = nodes[at + 1] as number;
        const stored = nodes[at + 2] as number;
        // Negative: a reference the parser could not read (fragment.ts), already reported.
        const unreadable = stored < 0;
        const column = Math.abs(stored);
        if (id === nodeId) {
          diagnostics.push({ severity: 'error', code: 'dependency-cycle', message: `dependency cycle: ${nodeId} depends on itself`, file: winnerFiles[w]!, line, column });
          continue;
        }
        if (!this.defs.has(id) && !unreadable) {
          const hint = suggest(id);
          diagnostics.push({
            severity: 'error',
            code: 'unknown-dependency',
            message: `${nodeId} depends on ${id}, which does not exist`,
            file: winnerFiles[w]!,
            line,
            column,
            ...(hint ? { note: `did you mean ${hint}?` } : {}),
          });
        }
      }
    }
    for (const component of this.cycles) {
      const cycle = this.cyclePath(component.map((id) => this.winner(id)!));
      const first = cycle[0]!;
      diagnostics.push({
        severity: 'error',
        code: 'dependency-cycle',
        message: `dependency cycle: ${[...cycle.map((n) => n.id), first.id].join(' → ')}`,
        file: first.file,
        line: first.line,
        column: first.column,
        related: cycle.slice(1).map((n) => ({ file: n.file, line: n.line, column: n.column, message: `${n.id} is on the cycle` })),
      });
    }
    this.cached = { diagnostics, dropped, nodes: winnerNodes.length };
    return this.cached;
  }

  /** As buildGraph's: a cycle through the component's first node, following edges that exist. */
  private cyclePath(component: Located[]): Located[] {
    const inComp = new Set(component.map((n) => n.id));
    const start = component[0]!;
    const prev = new Map<string, Located>();
    const queue: Located[] = [start];
    const seen = new Set<string>([start.id]);
    while (queue.length) {
      const n = queue.shift()!;
      for (const id of this.dependsOn(n.id)) {
        if (!inComp.has(id) || !this.defs.has(id)) continue;
        if (id === start.id) {
          const path: Located[] = [];
          for (let x: Located | undefined = n; x && x.id !== start.id; x = prev.get(x.id)) path.unshift(x);
          return [start, ...path];
        }
        if (!seen.has(id)) {
          seen.add(id);
          const d = this.winner(id)!;
          prev.set(id, n);
          queue.push(d);
        }
      }
    }
    return component;
  }
}

function compareLocated(a: Located, b: Located): number {
  return cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.id, b.id);
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}
