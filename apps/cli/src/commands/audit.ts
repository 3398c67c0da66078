import { auditRepository } from '@govern/closure';
import { openWorkspace, resolveRoot, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, summarize, summaryLine } from '../render.js';

/** `govern audit`: is every done claim backed by passing evidence? Exit 1 on any error. CI runs it. */
export async function auditCommand(ctx: CommandContext, opts: CommonOptions & { fresh?: boolean }): Promise<number> {
  // Loaded inside the closure lock: the documents are part of what a closure publishes.
  const { diagnostics, checked } = await auditRepository(resolveRoot(ctx, opts.root), () => openWorkspace(ctx, opts), { fresh: opts.fresh === true });
  const s = summarize(diagnostics);
  const code = s.errors ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, { ok: code === 0, checked, ...s, diagnostics });
    return code;
  }
  const c = colorsFor(ctx, opts);
  let out = '';
  // Items adopted as done before govern: one line for all (dozens in a repository that adopted late); --json lists each.
  const adopted = diagnostics.filter((d) => d.code === 'done-adopted').length;
  for (const d of diagnostics) if (d.code !== 'done-adopted') out += formatDiagnostic(d, c);
  const done = `${checked.doneItems} done items${adopted ? ` (${adopted} adopted as done before govern, without evidence: \`govern audit --json\` lists them)` : ''}`;
  out += `audited ${done}, ${checked.evidenceRoots} cited evidence roots, ${checked.claims} summary claims: ${summaryLine(diagnostics, c)}\n`;
  ctx.stdout.write(out);
  return code;
}
