import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GraphNode } from '@govern/graph';
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
  // No filter: the list itself (page slices it), not a copy made by testing 71,505 nodes (~5 ms at 10,000 documents).
  if (!q.doc && !q.status?.length && !q.kind?.length && !q.idPrefix) return nodes;
  const filtered = filterNodes(nodes, { doc: q.doc, status: q.status, kind: q.kind });
  return q.idPrefix ? filtered.filter((n) => n.id.startsWith(q.idPrefix!)) : filtered;
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
      const p = page(select(tc.next.of(ws.index), args), args.offset, args.limit);
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
