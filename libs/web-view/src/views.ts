import { gateReport, type GateReport } from '@govern/gates';
import { blockersOf, type GraphNode } from '@govern/graph';
import { STATUSES, StatusSchema, type Diagnostic, type Status } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import { z } from 'zod';

/**
 * The JSON the pages read, computed from one workspace snapshot. Pure: the server
 * (server.ts) adds what needs I/O (evidence, history, file text).
 */

/** Above this many items the graph view draws one node per document (milestones stay single). */
export const AGGREGATE_AT = 300;

/** The filters of the graph and board views, as the query string carries them. */
export const ViewFilterSchema = z.object({
  doc: z.string().optional(),
  status: z.enum([...STATUSES, 'none']).optional(),
  prefix: z.string().optional(),
  /** `auto` aggregates above {@link AGGREGATE_AT} items; `items` never does; `documents` always. */
  mode: z.enum(['auto', 'items', 'documents']).default('auto'),
});
export type ViewFilter = z.infer<typeof ViewFilterSchema>;

export const GraphViewNodeSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** An item's kind, `document` (aggregated), `gate` (a boundary) or `project` (inside a gate's boundary). */
  kind: z.string(),
  status: StatusSchema.nullable(),
  document: z.string(),
  /** Items a document node stands for (1 for an item, 0 for a gate or a project). */
  count: z.number().int().min(0),
  /** Per status, for a document node. */
  counts: z.partialRecord(z.enum([...STATUSES, 'none']), z.number().int()).optional(),
  /** The compound node drawn around this one: a project's gate boundary. */
  parent: z.string().optional(),
});
export type GraphViewNode = z.infer<typeof GraphViewNodeSchema>;

export const GraphViewEdgeSchema = z.object({
  source: z.string(),
  target: z.string(),
  /** `depends`: source depends on target; `part-of`: source is inside target; `gate`: source is required by the gate boundary target. */
  kind: z.enum(['depends', 'part-of', 'gate']),
});
export type GraphViewEdge = z.infer<typeof GraphViewEdgeSchema>;

export const GraphViewGateSchema = z.object({
  /** The boundary's node id, `gate:<name>`. */
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  project: z.string().nullable(),
  /** The node id of the project inside the boundary, `project:<gate>:<path>`; null without a project. */
  projectNode: z.string().nullable(),
  requires: z.array(z.string()),
  /** The requirements not done yet, in the order written. */
  blockedBy: z.array(z.string()),
  /** Whether the boundary is in `nodes`: only when one of its requirements is drawn (a filter may hide them all). */
  drawn: z.boolean(),
});
export type GraphViewGate = z.infer<typeof GraphViewGateSchema>;

/** The JSON of `GET /ui/api/graph` (plus its `version`). */
export const GraphViewSchema = z.object({
  mode: z.enum(['items', 'documents']),
  total: z.number().int(),
  shown: z.number().int(),
  nodes: z.array(GraphViewNodeSchema),
  edges: z.array(GraphViewEdgeSchema),
  gates: z.array(GraphViewGateSchema),
  documents: z.array(z.string()),
});
export type GraphView = z.infer<typeof GraphViewSchema>;

/** A gate's state in words: never color alone. */
function gateStateText(g: { enabled: boolean; blockedBy: readonly string[] }): string {
  return g.enabled ? 'enabled' : g.blockedBy.length ? `disabled — blocked by ${g.blockedBy.join(', ')}` : 'disabled';
}

function matches(n: GraphNode, f: ViewFilter): boolean {
  if (f.doc && n.document !== f.doc) return false;
  if (f.status && (n.status ?? 'none') !== f.status) return false;
  if (f.prefix && !n.id.toLowerCase().startsWith(f.prefix.toLowerCase())) return false;
  return true;
}

/** The items of the graph a filter keeps, in graph order. */
export function filteredNodes(ws: Workspace, f: ViewFilter): GraphNode[] {
  return ws.index.graph.nodes.filter((n) => matches(n, f));
}

/** Several statuses rolled into one: done only when all are, blocked when any is, planned when none started. */
function rollUp(counts: Partial<Record<Status | 'none', number>>, total: number): Status | null {
  if ((counts.done ?? 0) === total) return 'done';
  if (counts.blocked) return 'blocked';
  if (counts.in_progress || counts.partial || counts.done) return 'in_progress';
  if (counts.planned) return 'planned';
  return null;
}

/**
 * The graph view: items with their dependency and containment edges, or, above
 * {@link AGGREGATE_AT} items (or with `mode: documents`), one node per document
 * beside each milestone, with an edge wherever any item of one depends on any of
 * the other. Each gate is a boundary around the project it enables (`parent` of the
 * project's node), fed by an edge from each required item drawn (or its document's node).
 */
export function graphView(ws: Workspace, f: ViewFilter, gates: GateReport[]): GraphView {
  const all = ws.index.graph.nodes;
  const kept = all.filter((n) => matches(n, f));
  const aggregate = f.mode === 'documents' || (f.mode === 'auto' && kept.length > AGGREGATE_AT);
  const documents = [...new Set(all.map((n) => n.document))].sort();
  const nodes: GraphViewNode[] = [];
  const edges: GraphView['edges'] = [];
  const seenEdge = new Set<string>();
  const edge = (source: string, target: string, kind: GraphView['edges'][number]['kind']) => {
    const k = `${source}\u0000${target}\u0000${kind}`;
    if (source === target || seenEdge.has(k)) return;
    seenEdge.add(k);
    edges.push({ source, target, kind });
  };
  // Where each kept item is drawn: itself, or its document's node.
  const drawnAs = new Map<string, string>();
  if (!aggregate) {
    for (const n of kept) {
      nodes.push({ id: n.id, label: `${n.id} ${n.title}`, kind: n.kind, status: n.status, document: n.document, count: 1 });
      drawnAs.set(n.id, n.id);
    }
  } else {
    const byDoc = new Map<string, GraphNode[]>();
    for (const n of kept) {
      if (n.kind === 'milestone') {
        nodes.push({ id: n.id, label: `${n.id} ${n.title}`, kind: n.kind, status: n.status, document: n.document, count: 1 });
        drawnAs.set(n.id, n.id);
        continue;
      }
      const list = byDoc.get(n.document) ?? [];
      list.push(n);
      byDoc.set(n.document, list);
    }
    for (const [doc, list] of byDoc) {
      const id = `doc:${doc}`;
      const counts: Partial<Record<Status | 'none', number>> = {};
      for (const n of list) counts[n.status ?? 'none'] = (counts[n.status ?? 'none'] ?? 0) + 1;
      const head = list.find((n) => n.parent === null) ?? list[0]!;
      nodes.push({ id, label: `${head.id} ${head.title} (${list.length} items)`, kind: 'document', status: rollUp(counts, list.length), document: doc, count: list.length, counts });
      for (const n of list) drawnAs.set(n.id, id);
    }
  }
  for (const n of kept) {
    const from = drawnAs.get(n.id)!;
    for (const d of n.dependsOn) {
      const to = drawnAs.get(d);
      if (to) edge(from, to, 'depends');
    }
    // Containment doubles the edges of a large drawing for little: only small ones get it.
    if (!aggregate && kept.length <= AGGREGATE_AT && n.parent && drawnAs.has(n.parent)) edge(n.id, n.parent, 'part-of');
  }
  // Each gate is a boundary (a compound node) around the project it enables, fed by the
  // milestones it requires. A project under two gates is drawn once inside each.
  const gateList: GraphViewGate[] = [];
  for (const g of gates) {
    const id = `gate:${g.name}`;
    const requires = g.requires.map((r) => r.id);
    const blockedBy = g.blockedBy.map((r) => r.id);
    const feeding = requires.map((r) => drawnAs.get(r)).filter((x): x is string => x !== undefined);
    const projectNode = g.project ? `project:${g.name}:${g.project}` : null;
    gateList.push({ id, name: g.name, enabled: g.enabled, project: g.project, projectNode, requires, blockedBy, drawn: feeding.length > 0 });
    if (!feeding.length) continue;
    const status: Status = g.enabled ? 'done' : 'blocked';
    nodes.push({ id, label: `gate ${g.name}: ${gateStateText({ enabled: g.enabled, blockedBy })}${g.project ? '' : ' (no project)'}`, kind: 'gate', status, document: '', count: 0 });
    if (projectNode) nodes.push({ id: projectNode, label: g.project!, kind: 'project', status, document: '', count: 0, parent: id });
    for (const r of feeding) edge(r, id, 'gate');
  }
  return { mode: aggregate ? 'documents' : 'items', total: all.length, shown: kept.length, nodes, edges, gates: gateList, documents };
}

/**
 * The longest chain of unfinished dependencies that ends at `id` (dependencies
 * first, `id` last): what must close, in order, before it can. Cycles are cut.
 */
export function criticalPath(ws: Workspace, id: string): string[] {
  const byId = ws.index.byId;
  const memo = new Map<string, string[]>();
  const visiting = new Set<string>();
  const walk = (nid: string): string[] => {
    const hit = memo.get(nid);
    if (hit) return hit;
    if (visiting.has(nid)) return [];
    visiting.add(nid);
    const n = byId.get(nid);
    let best: string[] = [];
    for (const d of n?.dependsOn ?? []) {
      const dep = byId.get(d);
      if (!dep || dep.status === 'done') continue;
      const p = walk(d);
      if (p.length > best.length) best = p;
    }
    visiting.delete(nid);
    const out = [...best, nid];
    memo.set(nid, out);
    return out;
  };
  return byId.has(id) ? walk(id) : [];
}

export interface BoardCard {
  id: string;
  title: string;
  kind: string;
  priority: string | null;
  status: Status | null;
  statusText: string | null;
  document: string;
  file: string;
  /** sha256 of the file as this snapshot read it: sent back as `expect` with a move. */
  hash: string | null;
  blockers: string[];
}

export interface BoardView {
  columns: Array<{ status: Status | 'none'; cards: BoardCard[] }>;
  total: number;
  documents: string[];
}

/** The board: a column per status of the vocabulary (and one for items without a status). */
export function boardView(ws: Workspace, f: ViewFilter): BoardView {
  const kept = filteredNodes(ws, f);
  const columns: BoardView['columns'] = [...STATUSES, 'none' as const].map((status) => ({ status, cards: [] }));
  const col = new Map(columns.map((c) => [c.status, c]));
  for (const n of kept) {
    col.get(n.status ?? 'none')!.cards.push({
      id: n.id,
      title: n.title,
      kind: n.kind,
      priority: n.priority,
      status: n.status,
      statusText: n.statusText,
      document: n.document,
      file: n.source.file,
      hash: ws.hashes.get(n.source.file) ?? null,
      blockers: blockersOf(ws.index, n).map((b) => b.id),
    });
  }
  return { columns: columns.filter((c) => c.status !== 'none' || c.cards.length), total: kept.length, documents: [...new Set(ws.index.graph.nodes.map((n) => n.document))].sort() };
}

export interface GatesView {
  gates: Array<GateReport & { chains: Array<{ id: string; path: string[] }> }>;
  diagnostics: Diagnostic[];
}

/** Each gate, enabled or not, and for every milestone blocking it the chain of unfinished work behind that milestone. */
export function gatesView(ws: Workspace): GatesView {
  const { gates, diagnostics } = gateReport(ws);
  return { gates: gates.map((g) => ({ ...g, chains: g.blockedBy.map((r) => ({ id: r.id, path: criticalPath(ws, r.id) })) })), diagnostics };
}

export interface DriftView {
  files: Array<{ file: string; diagnostics: Diagnostic[] }>;
  counts: { error: number; warning: number; info: number };
}

/** Every diagnostic of the workspace and its gates, grouped by file in path order. */
export function driftView(ws: Workspace, gateDiagnostics: readonly Diagnostic[]): DriftView {
  const byFile = new Map<string, Diagnostic[]>();
  const counts = { error: 0, warning: 0, info: 0 };
  const seen = new Set<string>();
  for (const d of [...ws.diagnostics, ...gateDiagnostics]) {
    const k = `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const list = byFile.get(d.file) ?? [];
    list.push(d);
    byFile.set(d.file, list);
    if (d.severity in counts) counts[d.severity as keyof typeof counts]++;
  }
  const files = [...byFile.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, diagnostics]) => ({ file, diagnostics: diagnostics.sort((a, b) => a.line - b.line || a.column - b.column) }));
  return { files, counts };
}
