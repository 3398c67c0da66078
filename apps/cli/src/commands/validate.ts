import { exitCodeFor, openWorkspace, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, summarize, summaryLine } from '../render.js';

/** `govern validate`: every diagnostic; exit 1 on any error. For CI and pre-commit hooks. */
export async function validateCommand(ctx: CommandContext, opts: CommonOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const code = exitCodeFor(ws);
  if (opts.json) {
    writeJson(ctx, { ok: code === 0, files: ws.stats.files, ...summarize(ws.diagnostics), diagnostics: ws.diagnostics });
    return code;
  }
  const c = colorsFor(ctx, opts);
  let out = '';
  for (const d of ws.diagnostics) out += formatDiagnostic(d, c);
  out += `${ws.stats.files} files, ${ws.index.graph.nodes.length} items: ${summaryLine(ws.diagnostics, c)}\n`;
  ctx.stdout.write(out);
  return code;
}
