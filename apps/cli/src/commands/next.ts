import { nextActionable } from '@govern/graph';
import { exitCodeFor, openWorkspace, writeJson, type CommandContext } from '../context.js';
import { colorsFor, nodeRow, table } from '../render.js';
import { filterNodes, type GraphOptions } from './graph.js';

export interface NextOptions extends GraphOptions {
  limit?: number;
}

/** `govern next`: actionable items in dependency, priority, document order. */
export async function nextCommand(ctx: CommandContext, opts: NextOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  let nodes = filterNodes(nextActionable(ws.index), opts);
  if (opts.limit !== undefined) nodes = nodes.slice(0, opts.limit);
  if (opts.json) {
    writeJson(ctx, nodes);
    return exitCodeFor(ws);
  }
  const c = colorsFor(ctx, opts);
  ctx.stdout.write(nodes.length ? table(nodes.map((n) => nodeRow(n, c)), c, '') : 'nothing is actionable\n');
  return exitCodeFor(ws);
}
