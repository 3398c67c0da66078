import { nextActionable } from '@govern/graph';
import { openWorkspace, writeJson, type CommandContext } from '../context.js';
import { colorsFor, nodeRow, table } from '../render.js';
import { errorsReason, exitCodeOf, resolveDoc, scopeDiagnostics } from '../scope.js';
import { filterNodes, type GraphOptions } from './graph.js';

export type NextOptions = GraphOptions;

/**
 * `govern next`: actionable items in dependency, priority, document order. Its output
 * shows no diagnostics, so when an error diagnostic makes it exit 1 it says so on
 * stderr: how many, in which files, how to see them. With `--doc`, only that document's
 * diagnostics count.
 */
export async function nextCommand(ctx: CommandContext, opts: NextOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts, { repos: true });
  const scope = resolveDoc(ws, opts.doc);
  const { shown } = scopeDiagnostics(ws.diagnostics, scope);
  let nodes = filterNodes(nextActionable(ws.index), { ...opts, ...(scope ? { doc: scope.file } : {}) });
  if (opts.limit !== undefined) nodes = nodes.slice(0, opts.limit);
  if (opts.json) writeJson(ctx, nodes);
  else {
    const c = colorsFor(ctx, opts);
    ctx.stdout.write(nodes.length ? table(nodes.map((n) => nodeRow(n, c)), c, '') : 'nothing is actionable\n');
  }
  const reason = errorsReason(shown, scope);
  if (reason) ctx.stderr.write(`govern: ${reason}\n`);
  return exitCodeOf(shown);
}
