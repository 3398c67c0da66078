import { blockersOf } from '@govern/graph';
import { normalizeStatus, STATUSES, type Status } from '@govern/workplan';
import { withSpan } from '@govern/telemetry';
import { defaultActor, setStatus } from '@govern/write';
import { openWorkspace, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { itemNotFound, renderError, renderRefusal } from '../errors.js';
import { colorsFor, statusCell } from '../render.js';
import { itemView } from '../views.js';

export interface SetStatusCliOptions extends CommonOptions {
  expect?: string;
  force?: boolean;
  reason?: string;
}

/** Accepts the vocabulary (`in_progress`) or any spelling the profile maps (`"In Progress"`, `wip`). */
function parseStatus(raw: string, ws: Awaited<ReturnType<typeof openWorkspace>>): Status {
  if ((STATUSES as readonly string[]).includes(raw)) return raw as Status;
  const n = normalizeStatus(raw, ws.profile).status;
  if (!n) throw new UsageError(`status "${raw}" is not one of ${STATUSES.join(', ')} (nor a spelling the profile maps to one)`);
  return n;
}

/** `govern task set-status <id> <status>`: a surgical, locked, audited status write. */
export async function setStatusCommand(ctx: CommandContext, id: string, rawStatus: string, opts: SetStatusCliOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const status = parseStatus(rawStatus, ws);
  try {
    const r = await withSpan('write', { 'govern.item.id': id }, () => setStatus({
      root: ws.root,
      id,
      status,
      workspace: ws,
      ...(opts.expect ? { expect: opts.expect } : {}),
      force: opts.force === true,
      ...(opts.reason ? { reason: opts.reason } : {}),
      actor: defaultActor(ctx.env),
      via: 'cli',
    }));
    if (opts.json) {
      writeJson(ctx, r);
      return 0;
    }
    const c = colorsFor(ctx, opts);
    const where = `${r.file}`;
    if (!r.changed) ctx.stdout.write(`${c.bold(r.item)} is already ${statusCell(status, c)} (${where}); nothing written\n`);
    else {
      ctx.stdout.write(`${c.bold(r.item)}: ${r.from.text ?? '(none)'} → ${r.to.text}  ${c.dim(where)}\n`);
      for (const f of r.forced) ctx.stdout.write(c.yellow(`  forced: ${f}\n`));
      ctx.stdout.write(c.dim(`  sha256 ${r.hashAfter} (pass as --expect for the next write)\n`));
    }
    return 0;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
}

/** `govern task show <id>`: one item with its criteria, checks, evidence, blockers and its file's hash. */
export async function showCommand(ctx: CommandContext, id: string, opts: CommonOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const node = ws.index.byId.get(id);
  if (!node) return renderError(ctx, itemNotFound(id), opts);
  const blockers = blockersOf(ws.index, node);
  const fileHash = ws.hashes.get(node.source.file) ?? null;
  if (opts.json) {
    writeJson(ctx, itemView(ws, node));
    return 0;
  }
  const c = colorsFor(ctx, opts);
  let out = `${c.bold(node.id)}  ${statusCell(node.status, c)}  ${node.title}\n`;
  out += c.dim(`  ${node.source.file}:${node.source.line}  sha256 ${fileHash ?? '-'}\n`);
  if (node.dependsOn.length) out += `  depends on: ${node.dependsOn.join(', ')}\n`;
  if (blockers.length) out += c.yellow(`  blocked by: ${blockers.map((b) => `${b.id} (${b.status ?? 'unknown'})`).join(', ')}\n`);
  out += `  evidence root: ${node.evidenceRoot ?? c.dim('(none declared)')}\n`;
  out += `  checks:${node.checks.length ? '' : c.dim(' (none declared)')}\n`;
  for (const ch of node.checks) out += `    - ${ch.command}\n`;
  if (node.criteria.length) out += '  criteria:\n';
  for (const cr of node.criteria) out += `    ${cr.checked === null ? '-' : cr.checked ? '[x]' : '[ ]'} ${cr.text}\n`;
  ctx.stdout.write(out);
  return 0;
}
