import { blockedItems, nextActionable } from '@govern/graph';
import { exitCodeFor, openWorkspace, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, nodeRow, statusCell, summarize, summaryLine, table } from '../render.js';

/** `govern status`: a readable summary of every document, what is next, what is blocked. */
export async function statusCommand(ctx: CommandContext, opts: CommonOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const { nodes } = ws.index.graph;
  const next = nextActionable(ws.index);
  const blocked = blockedItems(ws.index);
  if (opts.json) {
    writeJson(ctx, {
      root: ws.root,
      documents: ws.documents.map((d) => ({
        file: d.file,
        id: d.id,
        family: d.family,
        title: d.title,
        status: d.status,
        items: d.items.map((i) => i.id),
        counts: countStatuses(nodes.filter((n) => n.source.file === d.file)),
      })),
      next: next.map((n) => n.id),
      blocked: blocked.map((b) => ({ id: b.node.id, blockers: b.blockers })),
      summary: summarize(ws.diagnostics),
      diagnostics: ws.diagnostics,
    });
    return exitCodeFor(ws);
  }
  const c = colorsFor(ctx, opts);
  let out = `${c.bold('govern status')}  ${c.dim(ws.root)}\n\n`;
  for (const d of ws.documents) {
    const items = nodes.filter((n) => n.source.file === d.file);
    const counts = countStatuses(items);
    const tally = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ');
    out += `${c.bold(d.file)}  ${c.dim(`${d.family}: ${d.title}`)}${tally ? c.dim(`  (${tally})`) : ''}\n`;
    out += table(items.map((n) => [n.id, statusCell(n.status, c), n.title]), c);
    out += '\n';
  }
  out += c.bold('Next actionable') + '\n';
  out += next.length ? table(next.map((n) => nodeRow(n, c)), c) : '  nothing is actionable\n';
  out += '\n' + c.bold('Blocked') + '\n';
  out += blocked.length
    ? table(blocked.map((b) => [b.node.id, statusCell(b.node.status, c), `waits on ${b.blockers.map((x) => `${x.id} (${x.exists ? (x.status ?? 'no status') : 'missing'})${x.via ? ` via ${x.via}` : ''}`).join(', ')}`]), c)
    : '  nothing is blocked\n';
  out += '\n' + c.bold('Diagnostics') + '\n';
  for (const d of ws.diagnostics) out += formatDiagnostic(d, c);
  out += `${summaryLine(ws.diagnostics, c)}\n`;
  ctx.stdout.write(out);
  return exitCodeFor(ws);
}

function countStatuses(items: { status: string | null }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i.status ?? 'unknown'] = (out[i.status ?? 'unknown'] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
