import { adoptDoneItems, type AdoptResult } from '@govern/closure';
import { defaultActor } from '@govern/write';
import { openWorkspace, resolveRoot, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor } from '../render.js';

/** The options of `govern adopt` (besides `--root`, `--json`, `--no-color`). */
export interface AdoptCliOptions extends CommonOptions {
  dryRun?: boolean;
  reason?: string;
}

/**
 * `govern adopt [ids...]`: records the done items that have no evidence as done before
 * govern was adopted (@govern/closure's adoptDoneItems), so that `govern audit` reports
 * them as infos instead of failing on work finished before govern. Exit 0 when every
 * done item without evidence is adopted (or was), 1 when some cannot be (listed).
 */
export async function adoptCommand(ctx: CommandContext, ids: string[], opts: AdoptCliOptions): Promise<number> {
  let r: AdoptResult;
  try {
    r = await adoptDoneItems(resolveRoot(ctx, opts.root), () => openWorkspace(ctx, opts), {
      ...(ids.length ? { ids } : {}),
      ...(opts.reason ? { reason: opts.reason } : {}),
      dryRun: opts.dryRun === true,
      actor: defaultActor(ctx.env),
      via: 'cli',
    });
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
  const code = r.refused.length ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, r);
    return code;
  }
  const c = colorsFor(ctx, opts);
  const verb = r.dryRun ? 'would adopt' : 'adopted';
  let out = '';
  for (const a of r.adopted) out += `  ${c.green(verb)}  ${c.bold(a.id)}  ${c.dim(`${a.file}:${a.line}:${a.column}  ${a.statusText ?? ''}`.trimEnd())}\n`;
  for (const x of r.refused) out += `  ${c.red('refused')}  ${c.bold(x.id)}  ${x.message}\n`;
  const parts = [`${r.adopted.length} ${r.dryRun ? 'would be ' : ''}adopted`];
  if (r.already.length) parts.push(`${r.already.length} adopted before`);
  if (r.refused.length) parts.push(`${r.refused.length} refused`);
  out += `${parts.join(', ')}${r.dryRun ? ' (--dry-run: nothing recorded)' : ''}\n`;
  if (!r.adopted.length && !r.already.length && !r.refused.length) out = 'every done item has evidence from `govern close`: nothing to adopt\n';
  ctx.stdout.write(out);
  return code;
}
