import { nextActionable, type GraphNode } from '@govern/graph';
import type { Workspace } from '@govern/workspace';
import { openWorkspace, writeJson, writeJsonBytes, type CommandContext } from '../context.js';
import { colorsFor, nodeTable } from '../render.js';
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
  return printNext(ctx, opts, await openWorkspace(ctx, opts, { repos: true }));
}

/**
 * `govern next` over a loaded workspace. It reads the workspace's item index when it has
 * one (no graph built, no parse result decoded: a warm run reads only the actionable
 * items the index saved for this state, see `ItemIndex.actionable`), else the graph;
 * both print the same bytes (read-index.test.ts).
 */
export function printNext(ctx: CommandContext, opts: NextOptions, ws: Workspace): number {
  const idx = ws.itemIndex?.();
  // The index's documents only for `--doc`: a warm `next` otherwise reads only its actionable items.
  const scope = resolveDoc(ws, opts.doc, opts.doc === undefined ? undefined : idx?.documents);
  const { shown } = scopeDiagnostics(ws.diagnostics, scope);
  const filter = { ...opts, ...(scope ? { doc: scope.file } : {}) };
  const limit = <T>(list: T[]) => (opts.limit !== undefined ? list.slice(0, opts.limit) : list);
  if (idx) {
    const items = limit(filterNodes(idx.actionable(), filter));
    // The nodes' JSON as the fragments hold it: the same bytes as JSON.stringify of the nodes.
    if (opts.json) writeJsonBytes(ctx, idx.nodesJson(items));
    else writeTable(ctx, opts, items);
  } else {
    const nodes = limit(filterNodes(nextActionable(ws.index), filter));
    if (opts.json) writeJson(ctx, nodes);
    else writeTable(ctx, opts, nodes);
  }
  const reason = errorsReason(shown, scope);
  if (reason) ctx.stderr.write(`govern: ${reason}\n`);
  return exitCodeOf(shown);
}

function writeTable(ctx: CommandContext, opts: NextOptions, nodes: readonly Pick<GraphNode, 'id' | 'status' | 'title' | 'source'>[]): void {
  const c = colorsFor(ctx, opts);
  ctx.stdout.write(nodes.length ? nodeTable(nodes, c) : 'nothing is actionable\n');
}
