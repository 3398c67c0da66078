import { evaluateGates } from '@govern/gates';
import { compareDiagnostics } from '@govern/workplan';
import { rootCoverage, type Workspace } from '@govern/workspace';
import { openWorkspace, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, summarize, summaryLine } from '../render.js';

export interface ValidateOptions extends CommonOptions {
  /** An empty or untracked root is an error, not a warning. */
  strict?: boolean;
}

/**
 * `govern validate`: every diagnostic of the documents and of the configuration,
 * including gates that name a milestone no document defines, and a root that tracks
 * nothing (`root-empty`, `root-untracked`: warnings, errors with `--strict`); exit 1
 * on any error. For CI and pre-commit hooks.
 */
export async function validateCommand(ctx: CommandContext, opts: ValidateOptions): Promise<number> {
  return printValidate(ctx, opts, await openWorkspace(ctx, opts));
}

/**
 * `govern validate` over a loaded workspace: the diagnostics and the item count, neither
 * of which builds the graph (unless gates are configured: they read it).
 */
export function printValidate(ctx: CommandContext, opts: ValidateOptions, ws: Workspace): number {
  // Gates read the documents and the graph index: without gates neither is built, and a
  // warm `validate --json` reads only the stored diagnostics.
  const gates = Object.keys(ws.config.gates ?? {}).length ? evaluateGates(ws).diagnostics : [];
  const diagnostics = [...ws.diagnostics, ...gates, ...rootCoverage(ws, opts.strict === true)].sort(compareDiagnostics);
  const code = diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, { ok: code === 0, files: ws.stats.files, ...summarize(diagnostics), diagnostics });
    return code;
  }
  const c = colorsFor(ctx, opts);
  let out = '';
  for (const d of diagnostics) out += formatDiagnostic(d, c);
  out += `${ws.stats.files} files, ${ws.itemCount?.() ?? ws.index.graph.nodes.length} items: ${summaryLine(diagnostics, c)}\n`;
  ctx.stdout.write(out);
  return code;
}
