import { evaluateGates } from '@govern/gates';
import type { GraphNode } from '@govern/graph';
import { UsageError, openWorkspace, writeJson, writeJsonBytes, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, statusCell, summaryLine, table } from '../render.js';
import { renderDot, renderMermaid } from '../render-graph.js';
import { count, elsewhereLine, errorsReason, exitCodeOf, resolveDoc, scopeDiagnostics } from '../scope.js';

export interface GraphOptions extends CommonOptions {
  doc?: string;
  status?: string[];
  kind?: string[];
  /** `graph` only: `table` (default), `mermaid` or `dot`. */
  format?: 'table' | 'mermaid' | 'dot';
  /** At most this many nodes (and diagnostics). */
  limit?: number;
}

/** Nodes matching the filters shared by `graph` and `next`. */
export function filterNodes<T extends Pick<GraphNode, 'source' | 'document' | 'status' | 'kind'>>(nodes: readonly T[], opts: GraphOptions): T[] {
  return nodes.filter(
    (n) =>
      (!opts.doc || n.source.file === opts.doc || n.document === opts.doc) &&
      (!opts.status?.length || opts.status.includes(n.status ?? 'unknown')) &&
      (!opts.kind?.length || opts.kind.includes(n.kind)),
  );
}

/**
 * `govern graph`: every node and diagnostic; `--json` is the agents' contract. With
 * `--doc` only that document's nodes and diagnostics (and its errors decide the exit
 * code); `--status`/`--kind` select nodes; `--limit` bounds nodes and diagnostics. A
 * narrowed JSON answer says what it left out in `omitted`.
 */
export async function graphCommand(ctx: CommandContext, opts: GraphOptions): Promise<number> {
  if (opts.json && opts.format && opts.format !== 'table') throw new UsageError(`--json and --format ${opts.format} are two outputs; choose one`);
  const ws = await openWorkspace(ctx, opts, { repos: true });
  const narrowed = Boolean(opts.doc || opts.status?.length || opts.kind?.length || opts.limit !== undefined);
  if (opts.json && !narrowed) {
    // The whole graph: the workspace's serialized form, which a warm run reads
    // from the cache without building the graph (ws.index is never touched).
    writeJsonBytes(ctx, ws.graphJson());
    return exitCodeOf(ws.diagnostics);
  }
  const scope = resolveDoc(ws, opts.doc);
  const { shown: inScope, elsewhere } = scopeDiagnostics(ws.diagnostics, scope);
  const code = exitCodeOf(inScope);
  const matching = filterNodes(ws.index.graph.nodes, { ...opts, ...(scope ? { doc: scope.file } : {}) });
  const nodes = opts.limit !== undefined ? matching.slice(0, opts.limit) : matching;
  const diagnostics = opts.limit !== undefined ? inScope.slice(0, opts.limit) : inScope;
  if (opts.json) {
    writeJson(ctx, { nodes, diagnostics, omitted: { nodes: matching.length - nodes.length, diagnostics: elsewhere + inScope.length - diagnostics.length } });
    return code;
  }
  if (opts.format === 'mermaid' || opts.format === 'dot') {
    // With a filter, a gate is drawn only when an item it requires is drawn.
    const shown = new Set(nodes.map((n) => n.id));
    const gates = evaluateGates(ws).value.filter((g) => !narrowed || g.requires.some((r) => shown.has(r.id)));
    ctx.stdout.write(opts.format === 'mermaid' ? renderMermaid(nodes, gates) : renderDot(nodes, gates));
    // stdout stays a clean diagram; problems are pointed at on stderr.
    const reason = errorsReason(inScope, scope);
    if (reason) ctx.stderr.write(`govern: ${reason}\n`);
    return code;
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
  for (const d of diagnostics) out += formatDiagnostic(d, c);
  if (nodes.length < matching.length) out += c.dim(`… ${count(matching.length - nodes.length, 'more node')} (--limit ${opts.limit}); a larger --limit, or none, shows them\n`);
  if (diagnostics.length < inScope.length) out += c.dim(`… ${count(inScope.length - diagnostics.length, 'more diagnostic')} (--limit ${opts.limit}); govern validate lists every one\n`);
  if (elsewhere) out += c.dim(`${elsewhereLine(elsewhere)}\n`);
  out += `${count(matching.length, 'node')}; ${summaryLine(inScope, c)}\n`;
  ctx.stdout.write(out);
  return code;
}
