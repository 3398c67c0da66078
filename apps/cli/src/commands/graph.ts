import { evaluateGates } from '@govern/gates';
import type { GraphNode } from '@govern/graph';
import { UsageError, exitCodeFor, openWorkspace, writeJson, writeJsonBytes, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, statusCell, summarize, summaryLine, table } from '../render.js';
import { renderDot, renderMermaid } from '../render-graph.js';

export interface GraphOptions extends CommonOptions {
  doc?: string;
  status?: string[];
  kind?: string[];
  /** `graph` only: `table` (default), `mermaid` or `dot`. */
  format?: 'table' | 'mermaid' | 'dot';
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
  if (opts.json && opts.format && opts.format !== 'table') throw new UsageError(`--json and --format ${opts.format} are two outputs; choose one`);
  const ws = await openWorkspace(ctx, opts);
  if (opts.json && !opts.doc && !opts.status?.length && !opts.kind?.length) {
    // The whole graph: the workspace's serialized form, which a warm run reads
    // from the cache without building the graph (ws.index is never touched).
    writeJsonBytes(ctx, ws.graphJson());
    return exitCodeFor(ws);
  }
  const nodes = filterNodes(ws.index.graph.nodes, opts);
  if (opts.json) {
    writeJson(ctx, { nodes, diagnostics: ws.diagnostics });
    return exitCodeFor(ws);
  }
  if (opts.format === 'mermaid' || opts.format === 'dot') {
    // With a filter, a gate is drawn only when an item it requires is drawn.
    const filtered = Boolean(opts.doc || opts.status?.length || opts.kind?.length);
    const shown = new Set(nodes.map((n) => n.id));
    const gates = evaluateGates(ws).value.filter((g) => !filtered || g.requires.some((r) => shown.has(r.id)));
    ctx.stdout.write(opts.format === 'mermaid' ? renderMermaid(nodes, gates) : renderDot(nodes, gates));
    // stdout stays a clean diagram; problems are pointed at on stderr.
    const s = summarize(ws.diagnostics);
    if (s.errors) ctx.stderr.write(`govern: ${s.errors} error diagnostic${s.errors === 1 ? '' : 's'}; run govern validate\n`);
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
