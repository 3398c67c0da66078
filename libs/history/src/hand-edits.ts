import type { GraphNode } from '@govern/graph';
import { compareDiagnostics, type Diagnostic } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import { AUDIT_LOG, readAuditLog, type AuditRecord } from '@govern/write';
import { DEFAULT_MAX_COMMITS, documentHistory, itemTransitions, type Transition } from './history.js';

export interface HandEditOptions {
  /** Audit records, when the caller has read the log already. */
  records?: AuditRecord[];
  /** Commits read per document at most (newest first); default {@link DEFAULT_MAX_COMMITS}. */
  maxCommits?: number;
  /**
   * Only the items of these documents (paths as in the workspace): only their history is
   * read. A phase audit keeps a few documents of a repository's dozens, and each document
   * costs a `git log`, a `git cat-file` and a parse of every revision.
   */
  documents?: ReadonlySet<string>;
}

/**
 * Status changes the audit log never saw, as diagnostics for `govern audit`:
 *
 * - `hand-edit-done` (error): the item is done, and its latest move to done (in a
 *   commit, or uncommitted in the working tree; an item first written as done counts)
 *   was not matched to a `close` record: a hand edit, or a `set-status` write that
 *   was not a closure.
 * - `hand-edit` (warning): any other change of an item's normalized status that no
 *   audit record matches, and an item first written in a status other than planned
 *   (an item added as in_progress skipped the write that would have recorded its
 *   start). Not reported: status-text-only changes (`Done` → `Done (#27)`), a new
 *   item written as planned or without a status, and an item's removal.
 *
 * Both count only changes made after govern was adopted, that is committed at or
 * after the audit log's earliest record (working-tree changes always count): a
 * repository that adopted govern late is not flooded with its past. With an empty
 * audit log there is nothing to compare with and nothing is reported; outside a
 * git repository neither. Matching a change to a record follows the rule of
 * `itemTransitions` (hash of the file at the commit, hash before, or time window).
 * Cost: per document, one `git log` and one `git cat-file --batch`, reading only
 * the commits since adoption (and the one before them).
 */
export function handEditDiagnostics(root: string, ws: Workspace, opts: HandEditOptions = {}): Diagnostic[] {
  return handEdits(root, ws, opts).map((h) => h.diagnostic);
}

/** One finding of {@link handEdits}: the item it is about, as data, and its diagnostic. */
export interface HandEdit {
  item: string;
  diagnostic: Diagnostic;
}

/**
 * {@link handEditDiagnostics} with the item each diagnostic is about, for callers that act
 * on an item (`govern adopt` refuses an item set done by hand after adoption) and must not
 * read the id back out of a message written for people.
 */
export function handEdits(root: string, ws: Workspace, opts: HandEditOptions = {}): HandEdit[] {
  const records = opts.records ?? readAuditLog(root).records;
  if (!records.length) return [];
  const adopted = Math.min(...records.map((r) => Date.parse(r.at)).filter((t) => !Number.isNaN(t)));
  if (!Number.isFinite(adopted)) return [];
  const byFile = new Map<string, GraphNode[]>();
  for (const node of ws.index.graph.nodes) {
    if (opts.documents && !opts.documents.has(node.source.file)) continue;
    const list = byFile.get(node.source.file) ?? [];
    list.push(node);
    byFile.set(node.source.file, list);
  }
  const out: HandEdit[] = [];
  for (const [file, nodes] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const defaultId = ws.pathIds.get(file);
    const hist = documentHistory(root, file, ws.profile, { maxCommits: opts.maxCommits ?? DEFAULT_MAX_COMMITS, since: adopted, ...(defaultId !== undefined ? { defaultId } : {}) });
    if (!hist.git) return [];
    for (const node of nodes) {
      const transitions = itemTransitions(hist, node.id, records, { unmatched: false });
      // A truncated history's first revision is where reading stopped, not where items were created.
      const cut = hist.truncated ? (hist.revisions[0]?.commit ?? null) : null;
      for (const diagnostic of diagnose(node, transitions.filter((t) => !(t.from === null && cut !== null && t.commit === cut)), adopted)) out.push({ item: node.id, diagnostic });
    }
  }
  return out.sort((a, b) => compareDiagnostics(a.diagnostic, b.diagnostic));
}

function diagnose(node: GraphNode, transitions: Transition[], adopted: number): Diagnostic[] {
  const after = (t: Transition) => t.source === 'working-tree' || (t.committedAt !== null && Date.parse(t.committedAt) >= adopted);
  const at = { file: node.source.file, line: node.source.line, column: node.source.column };
  const out: Diagnostic[] = [];
  let doneMove: Transition | null = null;
  if (node.status === 'done') {
    for (const t of transitions) if (t.to?.status === 'done' && t.from?.status !== 'done') doneMove = t;
  }
  if (doneMove && after(doneMove) && doneMove.audit?.action !== 'close') {
    out.push({
      severity: 'error',
      code: 'hand-edit-done',
      message: `${node.id} was set ${label(doneMove.to)} ${where(doneMove)}${doneMove.audit ? ' by `govern task set-status`' : ' by a hand edit'}, not by \`govern close\`: no close record in ${AUDIT_LOG} matches it`,
      ...at,
      note: `set it back and run \`govern close ${node.id}\`, so its checks run and its evidence manifest is recorded`,
    });
  }
  for (const t of transitions) {
    if (t === doneMove || t.via !== 'hand-edit' || !t.to || !after(t)) continue;
    // A new item written as planned (or without a status) is how items start; written
    // in any other status, it skipped the writes the audit log would have recorded.
    if (t.from ? t.from.status === t.to.status : t.to.status === null || t.to.status === 'planned') continue;
    out.push({
      severity: 'warning',
      code: 'hand-edit',
      message: t.from
        ? `${node.id} went ${label(t.from)} → ${label(t.to)} ${where(t)} by a hand edit; ${AUDIT_LOG} has no record of it`
        : `${node.id} was first written as ${label(t.to)} ${where(t)}, not planned: ${AUDIT_LOG} has no record of how it got there`,
      ...at,
      note: `change statuses with \`govern task set-status\` (done with \`govern close\`), so the change is checked and recorded`,
    });
  }
  return out;
}

const label = (v: Transition['to']) => (v ? (v.text ?? v.status ?? 'no status') : 'absent');
const where = (t: Transition) =>
  t.commit ? `in commit ${t.commit.slice(0, 7)} (${t.author ?? 'unknown'}, ${t.date})` : 'in the working tree (not committed)';
