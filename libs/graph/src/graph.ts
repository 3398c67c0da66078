import { dependencyRank, findCycles } from './order.js';
import {
  cmp,
  compareDiagnostics,
  type CompiledProfile,
  type Diagnostic,
  type Item,
  type Status,
  type WorkDocument,
} from '@govern/workplan';

/** A node of the contract agents code against (see docs/cli-contract.md). */
export interface GraphNode {
  id: string;
  kind: Item['kind'];
  title: string;
  status: Status | null;
  statusText: string | null;
  dependsOn: string[];
  source: { file: string; line: number; column: number };
  document: string;
  localId: string;
  parent: string | null;
  priority: string | null;
  order: number | null;
  criteria: Item['criteria'];
  checks: Item['checks'];
  evidenceRoot: string | null;
  packetId: string | null;
  stateHubId: string | null;
  refs: string[];
  /**
   * The repository the node belongs to. Set only in a graph that spans several
   * repositories (`repos:` in govern.config.yaml); there, ids of other repositories'
   * nodes are written `repo:ID`.
   */
  repo?: string;
}

export interface Graph {
  nodes: GraphNode[];
  diagnostics: Diagnostic[];
}

export interface GraphIndex {
  graph: Graph;
  byId: Map<string, GraphNode>;
  /** Topological rank of every node (dependencies first, then priority, then document order). */
  rank: Map<string, number>;
  /** Ids of nodes on a dependency cycle (never actionable). */
  cyclic: Set<string>;
}

/** The codes of the diagnostics buildGraph reports (the parser reports none of them). */
export const GRAPH_DIAGNOSTIC_CODES: ReadonlySet<string> = new Set(['duplicate-id', 'unknown-dependency', 'dependency-cycle']);

export interface BuildGraphOptions {
  /**
   * Says why a dependency no node has is missing, as the `note` of its
   * `unknown-dependency` diagnostic (a graph of several repositories: "no repository
   * named x", "xtrlv2 could not be read"). Undefined keeps the "did you mean" note.
   */
  missingNote?: (id: string) => string | undefined;
}

/**
 * Builds the milestone/task graph from parsed documents. Every problem is a
 * diagnostic; a duplicate id, a dangling dependency or a cycle never stops the
 * rest of the graph from being computed.
 */
export function buildGraph(documents: WorkDocument[], profile: CompiledProfile, options: BuildGraphOptions = {}): GraphIndex {
  const diagnostics: Diagnostic[] = [];
  const docs = [...documents].sort((a, b) => cmp(a.file, b.file));
  const byId = new Map<string, GraphNode>();
  const nodes: GraphNode[] = [];
  const refsOf = new Map<GraphNode, Item['dependencies']>();

  for (const doc of docs) {
    for (const item of doc.items) {
      const node = toNode(doc, item);
      const prior = byId.get(node.id);
      if (prior) {
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-id',
          message: `id ${node.id} is defined twice: here and at ${prior.source.file}:${prior.source.line}`,
          file: node.source.file,
          line: node.source.line,
          column: node.source.column,
          related: [{ ...prior.source, message: `first definition of ${node.id}` }],
        });
        continue;
      }
      byId.set(node.id, node);
      nodes.push(node);
      refsOf.set(node, item.dependencies);
    }
  }

  const cyclic = new Set<string>();
  // Dependencies: union of every source, deduplicated, in first-seen order.
  for (const node of nodes) {
    const seen = new Set<string>();
    for (const ref of refsOf.get(node) ?? []) {
      if (seen.has(ref.id)) continue;
      seen.add(ref.id);
      if (ref.id === node.id) {
        diagnostics.push(diag('error', 'dependency-cycle', `dependency cycle: ${node.id} depends on itself`, node.source.file, ref));
        cyclic.add(node.id);
        node.dependsOn.push(ref.id);
        continue;
      }
      // An unreadable dependency already has its parse error (dependency-invalid); it is
      // kept as an edge to nothing, so the item stays blocked.
      if (!byId.has(ref.id) && !ref.unreadable) {
        const hint = suggest(ref.id, byId);
        const why = options.missingNote?.(ref.id);
        diagnostics.push({
          ...diag('error', 'unknown-dependency', `${node.id} depends on ${ref.id}, which does not exist`, node.source.file, ref),
          ...(why ? { note: why } : hint ? { note: `did you mean ${hint}?` } : {}),
        });
      }
      node.dependsOn.push(ref.id);
    }
  }

  for (const component of findCycles(nodes, byId, compareNodes)) {
    for (const n of component) cyclic.add(n.id);
    const cycle = cyclePath(component, byId);
    const first = cycle[0]!;
    diagnostics.push({
      severity: 'error',
      code: 'dependency-cycle',
      message: `dependency cycle: ${[...cycle.map((n) => n.id), first.id].join(' → ')}`,
      file: first.source.file,
      line: first.source.line,
      column: first.source.column,
      related: cycle.slice(1).map((n) => ({ ...n.source, message: `${n.id} is on the cycle` })),
    });
  }

  // The rule's order (actionable.ts): dependencies first, then priority, then document order.
  const rank = dependencyRank(sortByDocumentOrder(nodes), byId, profile);
  diagnostics.sort(compareDiagnostics);
  return { graph: { nodes, diagnostics }, byId, rank, cyclic };
}

/**
 * A cycle through the component's first node (document order), following
 * dependency edges, so the message's arrows are edges that exist.
 */
function cyclePath(component: GraphNode[], byId: Map<string, GraphNode>): GraphNode[] {
  const inComp = new Set(component);
  const start = component[0]!;
  const prev = new Map<GraphNode, GraphNode>();
  const queue: GraphNode[] = [start];
  const seen = new Set<GraphNode>([start]);
  while (queue.length) {
    const n = queue.shift()!;
    for (const id of n.dependsOn) {
      const d = byId.get(id);
      if (!d || !inComp.has(d)) continue;
      if (d === start) {
        const path: GraphNode[] = [];
        for (let x: GraphNode | undefined = n; x && x !== start; x = prev.get(x)) path.unshift(x);
        return [start, ...path];
      }
      if (!seen.has(d)) {
        seen.add(d);
        prev.set(d, n);
        queue.push(d);
      }
    }
  }
  return component;
}

function toNode(doc: WorkDocument, item: Item): GraphNode {
  return {
    id: item.id,
    kind: item.kind,
    title: item.title,
    status: item.status,
    statusText: item.statusText,
    dependsOn: [],
    source: { file: doc.file, line: item.line, column: item.column },
    document: doc.id,
    localId: item.localId,
    parent: item.parent,
    priority: item.priority,
    order: item.order,
    criteria: item.criteria,
    checks: item.checks,
    evidenceRoot: item.evidenceRoot,
    packetId: item.packetId,
    stateHubId: item.stateHubId,
    refs: item.refs,
  };
}

function diag(severity: Diagnostic['severity'], code: string, message: string, file: string, at: { line: number; column: number }): Diagnostic {
  return { severity, code, message, file, line: at.line, column: at.column };
}

/** Document order: file, line, column, then id. */
export function compareNodes(a: Pick<GraphNode, 'id' | 'source'>, b: Pick<GraphNode, 'id' | 'source'>): number {
  return cmp(a.source.file, b.source.file) || a.source.line - b.source.line || a.source.column - b.source.column || cmp(a.id, b.id);
}

function sortByDocumentOrder(nodes: GraphNode[]): GraphNode[] {
  return [...nodes].sort(compareNodes);
}

/** A close id for "did you mean": same id ignoring case and separators. */
function suggest(id: string, byId: Map<string, GraphNode>): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const target = norm(id);
  for (const k of byId.keys()) if (norm(k) === target || norm(k).endsWith(target)) return k;
  return null;
}
