import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isActionable, nextActionable, type GraphIndex, type GraphNode } from '@govern/graph';
import { filterNodes } from '../../commands/graph.js';
import { summarize } from '../../render.js';
import { itemNotFound } from '../../errors.js';
import { itemView } from '../../views.js';
import { atLeast, compactNode, page } from '../bounds.js';
import { explainFile } from '@govern/workspace';
import { resolveFile } from '../../commands/explain.js';
import { ExplainInput, ExplainOutput, GraphInput, GraphOutput, ItemInput, ItemOutput, NextInput, NextOutput } from '../schemas.js';
import { defineTool, type ToolContext } from '../tool.js';

const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

interface NodeQuery {
  doc?: string | undefined;
  status?: string[] | undefined;
  kind?: string[] | undefined;
  idPrefix?: string | undefined;
}

/** `govern graph`'s filters (shared with the command) plus the id prefix only the tools have. */
function select(nodes: GraphNode[], q: NodeQuery): GraphNode[] {
  const filtered = filterNodes(nodes, { doc: q.doc, status: q.status, kind: q.kind });
  return q.idPrefix ? filtered.filter((n) => n.id.startsWith(q.idPrefix!)) : filtered;
}

/**
 * `nextActionable` per graph index: the long-lived workspace keeps one index until a
 * file changes, so an agent asking `next` page after page pays for the order once.
 */
const actionable = new WeakMap<object, GraphNode[]>();

/** How many answers {@link nextOf} computed from the previous one (a test sees the path taken). */
export const nextStats = { spliced: 0 };

/** The last answer: its rank, a copy of its nodes (the engine patches the node array in place), its list. */
let previous: { rank: ReadonlyMap<string, number>; nodes: GraphNode[]; list: GraphNode[] } | null = null;

/** Per rank (its dependencies stand with it): who depends on an id, and an id's children (tasks under a workplan). */
const reverse = new WeakMap<ReadonlyMap<string, number>, { dependents: Map<string, string[]>; children: Map<string, string[]> }>();

/**
 * {@link nextActionable} of `index`, computed from the previous answer when the index
 * keeps its rank and node order (the long-lived engine's usual edit: a status, a title,
 * prose): only the nodes that changed (new objects), what depends on them and what those
 * contain are tested again and spliced into the list by rank, instead of testing 71,505
 * nodes (~40 ms at 10,000 documents) after each edit. next-incremental.test.ts compares it
 * with `nextActionable` over random edits.
 */
export function nextOf(index: GraphIndex): GraphNode[] {
  let nodes = actionable.get(index);
  if (nodes) return nodes;
  const rank = index.rank;
  const now = index.graph.nodes;
  const prev = previous;
  const splice = prev && prev.rank === rank && prev.nodes.length === now.length;
  if (splice) nextStats.spliced++;
  nodes = splice ? spliced(index, prev.list, prev.nodes) : nextActionable(index);
  actionable.set(index, nodes);
  previous = { rank, nodes: now.slice(), list: nodes };
  return nodes;
}

/** The previous list with the changed nodes and their dependents (and what those contain) tested again. */
function spliced(index: GraphIndex, list: GraphNode[], before: GraphNode[]): GraphNode[] {
  const now = index.graph.nodes;
  const changed: string[] = [];
  for (let i = 0; i < now.length; i++) {
    if (now[i] === before[i]) continue;
    // Another id at this place: not an edit that keeps the graph's shape.
    if (now[i]!.id !== before[i]!.id) return nextActionable(index);
    changed.push(now[i]!.id);
  }
  if (!changed.length) return list;
  let rev = reverse.get(index.rank);
  if (!rev) {
    const dependents = new Map<string, string[]>();
    const children = new Map<string, string[]>();
    const add = (map: Map<string, string[]>, key: string, id: string) => {
      const at = map.get(key);
      if (at) at.push(id);
      else map.set(key, [id]);
    };
    for (const n of now) {
      for (const d of n.dependsOn) add(dependents, d, n.id);
      if (n.parent) add(children, n.parent, n.id);
    }
    reverse.set(index.rank, (rev = { dependents, children }));
  }
  // A node's answer reads its status and the statuses of what it and its containers depend on.
  const affected = new Set<string>(changed);
  const contained = (id: string) => {
    for (const c of rev.children.get(id) ?? []) {
      if (affected.has(c)) continue;
      affected.add(c);
      contained(c);
    }
  };
  for (const id of changed) {
    for (const d of rev.dependents.get(id) ?? []) {
      affected.add(d);
      contained(d);
    }
  }
  const rank = index.rank;
  const fresh = [...affected]
    .map((id) => index.byId.get(id)!)
    .filter((n) => n && n.kind !== 'workplan' && isActionable(index, n))
    .sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
  const out = list.filter((n) => !affected.has(n.id));
  // Each one placed by a binary search on rank (a few lookups, not one per listed node).
  for (const n of fresh) {
    const r = rank.get(n.id)!;
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rank.get(out[mid]!.id)! < r) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, n);
  }
  return out;
}

/** `graph`, `next`, `item` and `explain`: reading the milestone graph, bounded, and how a document is read. */
export function registerReadTools(server: McpServer, tc: ToolContext): void {
  defineTool(
    server,
    tc,
    'graph',
    {
      title: 'Milestone graph',
      description:
        'Milestones, tasks and workplans of the repository with status and dependencies, filtered and paged (default 50 per page), ' +
        'plus the diagnostics of a severity (errors by default, capped). Use next for what to work on, item for one item in full.',
      inputSchema: GraphInput,
      outputSchema: GraphOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      const ws = await tc.open();
      const p = page(select(ws.index.graph.nodes, args), args.offset, args.limit);
      const diagnostics = atLeast(ws.diagnostics, args.severity);
      return {
        nodes: args.shape === 'full' ? p.items : p.items.map(compactNode),
        total: p.total,
        offset: p.offset,
        nextOffset: p.nextOffset,
        diagnostics: diagnostics.slice(0, args.diagnosticsLimit),
        diagnosticsTotal: diagnostics.length,
        summary: summarize(ws.diagnostics),
      };
    },
  );

  defineTool(
    server,
    tc,
    'next',
    {
      title: 'Next actionable items',
      description:
        'Items that can be worked on now (planned, in progress or partial, every dependency done), in dependency order, then priority, ' +
        'then document order; filtered and paged like graph.',
      inputSchema: NextInput,
      outputSchema: NextOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      const ws = await tc.open();
      const p = page(select(nextOf(ws.index), args), args.offset, args.limit);
      return { nodes: args.shape === 'full' ? p.items : p.items.map(compactNode), total: p.total, offset: p.offset, nextOffset: p.nextOffset };
    },
  );

  defineTool(
    server,
    tc,
    'item',
    {
      title: 'One item',
      description:
        'One item in full (criteria, checks, evidence root), what blocks it, what depends on it, and fileHash: the sha256 of its file, ' +
        "to pass as set_status's expect. Same data as `govern task show --json`.",
      inputSchema: ItemInput,
      outputSchema: ItemOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      const ws = await tc.open();
      const node = ws.index.byId.get(args.id);
      // The same error object `govern task show --json` prints for an unknown id.
      if (!node) throw itemNotFound(args.id);
      return { ...itemView(ws, node) };
    },
  );

  defineTool(
    server,
    tc,
    'explain',
    {
      title: 'How a document is read',
      description:
        'One document as govern reads it: its id and family and why, every item with where its status and dependencies were read, ' +
        'the blocks read, the tables, list lines and headings skipped with why and the profile rule that would read them, and what was ' +
        'looked for when nothing is tracked. Same data as `govern explain --json`.',
      inputSchema: ExplainInput,
      outputSchema: ExplainOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      const ws = await tc.open();
      // Paths are the root's: the server's working directory means nothing to an agent.
      return { ...explainFile(ws, resolveFile({ ...tc.ctx, cwd: ws.root }, ws, args.file)) };
    },
  );
}
