import { DEFAULT_MAX_COMMITS, statusHistory, type StatusValue, type Transition } from '@govern/history';
import { openWorkspace, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor, formatDiagnostic, table, type Colors } from '../render.js';

export interface HistoryCliOptions extends CommonOptions {
  maxCommits?: number;
}

/**
 * `govern history <id>`: every status the item has had, oldest first: the commits
 * that changed it (date, commit, author, from → to) and whether govern made each
 * change or a hand edit did, uncommitted changes, and govern writes no commit
 * shows; then the item's `govern adopt` records (done before govern was adopted), and
 * whether each still holds. `--json` prints `{ item, file, transitions, adoptions,
 * truncated, diagnostics }`.
 * Exit 1 for an unknown id (with near ids) or an error diagnostic, else 0.
 */
export async function historyCommand(ctx: CommandContext, id: string, opts: HistoryCliOptions): Promise<number> {
  if (opts.maxCommits !== undefined && opts.maxCommits < 1) throw new UsageError('--max-commits: expected at least 1');
  const ws = await openWorkspace(ctx, opts);
  let h;
  try {
    h = await statusHistory(ws.root, id, { workspace: ws, maxCommits: opts.maxCommits ?? DEFAULT_MAX_COMMITS });
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
  const code = h.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, { item: h.item, file: h.file, transitions: h.transitions, adoptions: h.adoptions, truncated: h.truncated, diagnostics: h.diagnostics });
    return code;
  }
  const c = colorsFor(ctx, opts);
  let out = `${c.bold(h.item)}  ${c.dim(h.file)}\n`;
  out += table(h.transitions.map((t) => row(t, c)), c);
  for (const a of h.adoptions) {
    out += `adopted as done before govern on ${when(a.at)} by ${a.actor}${a.reason ? ` (${a.reason})` : ''}: `;
    out += a.inForce ? 'in force, the audit asks no evidence of it\n' : c.dim('ended by a later status write\n');
  }
  for (const d of h.diagnostics) out += formatDiagnostic(d, c);
  const hand = h.transitions.filter((t) => t.via === 'hand-edit').length;
  const n = h.transitions.length;
  out += `${n} change${n === 1 ? '' : 's'}: ${n - hand} through govern, ${hand} by hand edit${hand === 1 ? '' : 's'}`;
  out += h.truncated ? c.yellow(' (history truncated: older commits not read; raise --max-commits)\n') : '\n';
  ctx.stdout.write(out);
  return code;
}

function row(t: Transition, c: Colors): string[] {
  const where = t.commit ? t.commit.slice(0, 7) : t.source === 'working-tree' ? '(working tree)' : '(audit log)';
  const via =
    t.via === 'hand-edit'
      ? c.yellow('hand edit')
      : `govern ${t.audit?.action ?? ''}${t.audit?.match ? c.dim(` (${t.audit.match})`) : t.source === 'audit-log' ? c.dim(' (not in a commit)') : ''}`;
  return [c.dim(when(t.date)), where, t.author ?? '-', `${value(t.from, '(new)')} → ${value(t.to, '(removed)')}`, via];
}

/** A time as the output shows it: `2026-01-01 10:00:00+00:00`, without the T and fractions. */
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+/, '');
const value = (v: StatusValue | null, none: string) => (v === null ? none : (v.text ?? v.status ?? '(no status)'));
