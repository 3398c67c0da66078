import type { GraphNode } from '@govern/graph';
import { exitCodeFor, openWorkspace, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, statusCell, summaryLine, table } from '../render.js';

export interface GraphOptions extends CommonOptions {
  doc?: string;
  status?: string[];
  kind?: string[];
}

/** Nodes matching the filters shared by `graph` and `next`. */
export function filterNodes(nodes: GraphNode[], opts: GraphOptions): GraphNode[] {
  return nodes.filter(
    (n) =>
      (!opts.doc || n.source.file === opts.doc || n.document === opts.doc) &&
      (!opts.status?.length || opts.status.includes(n.status ?? 'unknown')) &&
      (!opts.kind?.length || opts.kind.includes(n.kind)),
  );
}

/** `govern graph`: every node and diagnostic; `--json` is the agents' contract. */
export async function graphCommand(ctx: CommandContext, opts: GraphOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const nodes = filterNodes(ws.index.graph.nodes, opts);
  if (opts.json) {
    writeJson(ctx, { nodes, diagnostics: ws.diagnostics });
    return exitCodeFor(ws);
  }
  const c = colorsFor(ctx, opts);
  let out = '';
  let file = '';
  let rows: string[][] = [];
  const flush = () => {
    out += table(rows, c);
    rows = [];
  };
  for (const n of nodes) {
    if (n.source.file !== file) {
      flush();
      file = n.source.file;
      out += `${c.bold(file)}\n`;
    }
    rows.push([n.id, statusCell(n.status, c), n.title, n.dependsOn.length ? c.dim(`← ${n.dependsOn.join(', ')}`) : '']);
  }
  flush();
  for (const d of ws.diagnostics) out += formatDiagnostic(d, c);
  out += `${nodes.length} nodes; ${summaryLine(ws.diagnostics, c)}\n`;
  ctx.stdout.write(out);
  return exitCodeFor(ws);
}
