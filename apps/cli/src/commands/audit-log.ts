import { hasAdaptersSection } from '@govern/adapter-kit';
import { readAuditLog } from '@govern/write';
import { resolveRoot, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, table } from '../render.js';
import { selectAuditRecords } from '../views.js';

export interface AuditLogOptions extends CommonOptions {
  item?: string;
  limit?: number;
}

/** `govern audit log`: the append-only record of every write, oldest first (`--limit` keeps the newest n). */
export async function auditLogCommand(ctx: CommandContext, opts: AuditLogOptions): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  // When govern.config.yaml routes the audit log through a pack, its store.audit is read instead.
  const routed = hasAdaptersSection(root) ? await (await import('./adapters.js')).auditLogThroughPacks(ctx, root, opts) : null;
  if (routed !== null) return routed;
  const { records, diagnostics } = readAuditLog(root);
  const shown = selectAuditRecords(records, opts);
  if (opts.json) {
    writeJson(ctx, { records: shown, diagnostics });
    return 0;
  }
  const c = colorsFor(ctx, opts);
  const rows = shown.map((r) => [
    c.dim(r.at),
    r.actor,
    r.action === 'close-failed' ? c.red(r.action) : r.action,
    c.bold(r.item),
    r.key !== undefined && r.value !== undefined ? `${r.key} = ${r.value}` : r.from || r.to ? `${r.from?.text ?? '-'} → ${r.to?.text ?? '-'}` : (r.failures ?? []).join('; '),
    [r.reason ?? '', r.forced.length ? c.yellow(`forced: ${r.forced.join('; ')}`) : ''].filter(Boolean).join(' '),
  ]);
  let out = table(rows, c);
  for (const d of diagnostics) out += formatDiagnostic(d, c);
  out += `${shown.length} record${shown.length === 1 ? '' : 's'}\n`;
  ctx.stdout.write(out);
  return 0;
}
