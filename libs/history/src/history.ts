import fs from 'node:fs';
import path from 'node:path';
import { GovernError } from '@govern/errors';
import { parseDocument, type CompiledProfile, type Diagnostic, type Status } from '@govern/workplan';
import { loadWorkspace, type Workspace } from '@govern/workspace';
import { foldAdoption, isStatusWrite, readAuditLog, sha256, type AuditRecord } from '@govern/write';
import { fileLog, readBlobs } from './git.js';

/**
 * How many commits of a document `statusHistory` reads by default (the newest
 * ones). Each is one blob read and one parse; a longer history is cut there and
 * the result says `truncated: true`.
 */
export const DEFAULT_MAX_COMMITS = 500;

export interface StatusValue {
  status: Status | null;
  text: string | null;
}

/** The audit record a transition was matched to, and by which rule. */
export interface AuditMatch {
  id: string;
  action: AuditRecord['action'];
  actor: string;
  at: string;
  reason: string | null;
  /**
   * `hash-after`: the record's `hashAfter` is the sha256 of the file at the commit;
   * `hash-before`: its `hashBefore` is the sha256 of the file at the previous revision;
   * `time`: its time is within the commit's window; `null`: not matched to a commit
   * (an entry of its own, `source: "audit-log"`).
   */
  match: 'hash-after' | 'hash-before' | 'time' | null;
}

/** One change of an item's status (or of its status text), oldest first in a history. */
export interface Transition {
  /** `null`: the item was not in the document before (created, or the oldest revision read). */
  from: StatusValue | null;
  /** `null`: the item is no longer in the document. */
  to: StatusValue | null;
  /** `git`: a commit; `working-tree`: uncommitted changes; `audit-log`: a govern write no commit shows. */
  source: 'git' | 'working-tree' | 'audit-log';
  /** Full sha of the commit; `null` for the working tree and audit-log entries. */
  commit: string | null;
  /** The document's path (relative to the root) at that revision. */
  file: string;
  /** Commit author; the record's actor for audit-log entries; `null` for the working tree. */
  author: string | null;
  email: string | null;
  /** Author date of the commit; the file's mtime for the working tree; the record's time for audit-log entries. */
  date: string;
  /** Committer date (the matching window uses it); `null` unless `source` is `git`. */
  committedAt: string | null;
  /** `govern` when an audit record matches the change, else `hand-edit`. */
  via: 'govern' | 'hand-edit';
  audit: AuditMatch | null;
}

export interface StatusHistory {
  item: string;
  /** The item's document now, relative to the root. */
  file: string;
  transitions: Transition[];
  /**
   * `govern adopt` records of the item (done before govern was adopted), oldest first: an
   * adoption is in force until govern records a status write of the item after it.
   */
  adoptions: Adoption[];
  /** More commits touched the document than `maxCommits`; the oldest were not read. */
  truncated: boolean;
  diagnostics: Diagnostic[];
}

/** An `adopt` record of an item, and whether it still holds (the audit then asks no evidence of the item). */
export interface Adoption {
  id: string;
  actor: string;
  at: string;
  reason: string | null;
  inForce: boolean;
}

/** The item's `adopt` records, in log order, each marked with whether it is in force by the audit's rule ({@link foldAdoption}). */
export function itemAdoptions(records: readonly AuditRecord[], id: string): Adoption[] {
  const adopts: AuditRecord[] = [];
  const inForce = new Map<string, AuditRecord>();
  for (const r of records) {
    if (r.item !== id) continue;
    foldAdoption(inForce, r);
    if (r.action === 'adopt') adopts.push(r);
  }
  const holding = inForce.get(id);
  return adopts.map((r) => ({ id: r.id, actor: r.actor, at: r.at, reason: r.reason, inForce: r === holding }));
}

export interface HistoryOptions {
  /** An already loaded workspace of the root (its profile parses every revision). */
  workspace?: Workspace;
  /** Read at most this many commits of the document (newest first); default {@link DEFAULT_MAX_COMMITS}. */
  maxCommits?: number;
  /** Audit records, when the caller has read the log already. */
  records?: AuditRecord[];
  /** Parse cache directory when the workspace is loaded here; `null` disables it. */
  cacheDir?: string | null;
}

/** An item the history cannot be read for (a `GovernError`, exit 1); `details` has the id and near ids. */
export class HistoryError extends GovernError<'item-not-found'> {
  constructor(code: 'item-not-found', message: string, details: Record<string, unknown>) {
    super(code, message, { details });
    this.name = 'HistoryError';
  }
}

/** One state of a document: a commit, or the working tree. */
export interface DocumentRevision {
  commit: string | null;
  file: string;
  author: string | null;
  email: string | null;
  date: string;
  committedAt: string | null;
  /** sha256 of the file's bytes; `null` when the file does not exist at this revision. */
  hash: string | null;
  /** Status of every item the revision's parse found, by id. */
  items: Map<string, StatusValue>;
}

export interface DocumentHistory {
  file: string;
  /** False when the root is not in a git repository (or git failed): only the working tree is read. */
  git: boolean;
  /** Oldest first; the working tree last when it differs from the newest commit. */
  revisions: DocumentRevision[];
  /** More commits than `maxCommits` (not counting those left out by `since`): the first revision is not the document's first. */
  truncated: boolean;
  diagnostics: Diagnostic[];
}

export interface DocumentHistoryOptions {
  maxCommits?: number;
  /**
   * Only commits made at or after this time matter: older ones are not read,
   * except the newest of them, which is the baseline the first later commit is
   * compared with. (`handEditDiagnostics` passes the audit log's first record.)
   */
  since?: number;
  /**
   * The document id the workspace gives the file when its front matter names none
   * (`Workspace.pathIds`: its path when another file has its name), so each revision's
   * items have the graph's ids.
   */
  defaultId?: string;
}

/**
 * Every revision of one document: one `git log --follow --first-parent` for the
 * commits, one `git cat-file --batch` for their contents, a parse of each with the
 * workspace's profile, and the working tree when it differs from the last commit.
 */
export function documentHistory(root: string, file: string, profile: CompiledProfile, opts: DocumentHistoryOptions = {}): DocumentHistory {
  const max = opts.maxCommits ?? DEFAULT_MAX_COMMITS;
  const diagnostics: Diagnostic[] = [];
  const parse = (rel: string, buf: Buffer): Map<string, StatusValue> => {
    const { document } = parseDocument({ file: rel, text: buf.toString('utf8'), ...(opts.defaultId !== undefined ? { defaultId: opts.defaultId } : {}) }, profile);
    return new Map((document?.items ?? []).map((i) => [i.id, { status: i.status, text: i.statusText }]));
  };
  let working: Buffer | null = null;
  let mtime = new Date();
  try {
    working = fs.readFileSync(path.join(root, file));
    mtime = fs.statSync(path.join(root, file)).mtime;
  } catch {
    working = null;
  }
  const workingRevision = (): DocumentRevision => ({
    commit: null,
    file,
    author: null,
    email: null,
    date: mtime.toISOString(),
    committedAt: null,
    hash: working ? sha256(working) : null,
    items: working ? parse(file, working) : new Map(),
  });

  const log = max > 0 ? fileLog(root, file, max) : ({ ok: true, commits: [], truncated: true } as const);
  if (!log.ok) {
    diagnostics.push({
      severity: 'warning',
      code: 'history-no-git',
      message: `no git history for ${file}: ${log.reason}; only the audit log and the working tree are read`,
      file,
      line: 1,
      column: 1,
    });
    return { file, git: false, revisions: [workingRevision()], truncated: false, diagnostics };
  }
  let commits = log.commits;
  let truncated = log.truncated;
  if (opts.since !== undefined) {
    const firstOld = commits.findIndex((c) => Date.parse(c.committedAt) < opts.since!);
    if (firstOld >= 0) {
      commits = commits.slice(0, firstOld + 1);
      truncated = false;
    }
  }
  // Paths from git are relative to the top level; the root may be a folder inside it.
  // The newest commit has the file at its current path, which gives the prefix.
  const newest = commits[0]?.gitPath ?? file;
  const prefix = newest.endsWith(file) && (newest.length === file.length || newest[newest.length - file.length - 1] === '/') ? newest.slice(0, newest.length - file.length) : '';
  const relOf = (gitPath: string) => (prefix && gitPath.startsWith(prefix) ? gitPath.slice(prefix.length) : gitPath);

  const oldestFirst = [...commits].reverse();
  const revisions: DocumentRevision[] = oldestFirst.map((c) => ({
    commit: c.commit,
    file: relOf(c.gitPath),
    author: c.author,
    email: c.email,
    date: c.date,
    committedAt: c.committedAt,
    hash: null,
    items: new Map(),
  }));
  const wanted = oldestFirst.map((c, i) => ({ c, i })).filter(({ c }) => !c.deleted);
  const read = readBlobs(
    root,
    wanted.map(({ c }) => ({ commit: c.commit, gitPath: c.gitPath })),
    working?.length ?? 64 * 1024,
    (k, blob) => {
      if (!blob) return;
      const rev = revisions[wanted[k]!.i]!;
      rev.hash = sha256(blob);
      rev.items = parse(rev.file, blob);
    },
  );
  if (!read.ok) {
    diagnostics.push({ severity: 'warning', code: 'history-no-git', message: `cannot read the revisions of ${file}: ${read.reason}`, file, line: 1, column: 1 });
    return { file, git: false, revisions: [workingRevision()], truncated: false, diagnostics };
  }
  const last = revisions[revisions.length - 1];
  const wt = workingRevision();
  if (!last || last.hash !== wt.hash) revisions.push(wt);
  if (truncated) {
    diagnostics.push({
      severity: 'info',
      code: 'history-truncated',
      message: `only the newest ${max} commits that touched ${file} were read; older statuses are not listed (raise --max-commits)`,
      file,
      line: 1,
      column: 1,
    });
  }
  return { file, git: true, revisions, truncated, diagnostics };
}

const same = (a: StatusValue | undefined, b: StatusValue | undefined) => (a === undefined || b === undefined ? a === b : a.status === b.status && a.text === b.text);
const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

/** Audit records that change an item's status (`set-status`, `close`), oldest first. */
export function statusRecords(records: AuditRecord[], id: string): AuditRecord[] {
  return records.filter((r) => r.item === id && isStatusWrite(r)).sort((a, b) => ms(a.at) - ms(b.at));
}

/**
 * The item's transitions in a document's history, each matched against the
 * item's audit records (see {@link matchRecord} for the rule). Records no
 * transition matched are returned as `audit-log` entries, in time order among
 * the others. `unmatched: false` leaves them out (the diagnostics do not need them).
 */
export function itemTransitions(hist: DocumentHistory, id: string, records: AuditRecord[], opts: { unmatched?: boolean } = {}): Transition[] {
  const mine = statusRecords(records, id);
  const used = new Set<string>();
  const out: Transition[] = [];
  let prev: DocumentRevision | null = null;
  let prevState: StatusValue | undefined;
  for (const rev of hist.revisions) {
    const state = rev.items.get(id);
    if (!same(prevState, state)) {
      const from = prevState ?? null;
      const to = state ?? null;
      const audit = to && to.status !== null && (from === null || from.status !== to.status) ? matchRecord(mine, used, to.status, prev, rev) : null;
      out.push({
        from,
        to,
        source: rev.commit ? 'git' : 'working-tree',
        commit: rev.commit,
        file: rev.file,
        author: rev.author,
        email: rev.email,
        date: rev.date,
        committedAt: rev.committedAt,
        via: audit ? 'govern' : 'hand-edit',
        audit,
      });
    }
    prev = rev;
    prevState = state;
  }
  if (opts.unmatched === false) return out;
  // A truncated history starts at its oldest commit read: records older than it are
  // outside what is listed, not missing from git.
  const first = hist.revisions[0];
  const floor = hist.truncated && first?.committedAt ? ms(first.committedAt) : -Infinity;
  const extra = mine.filter((r) => !used.has(r.id) && ms(r.at) >= floor).map((r) => auditEntry(r, hist.file));
  return mergeByTime(out, extra);
}

/** An audit record as an entry of its own: a govern write no commit shows. */
export function auditEntry(r: AuditRecord, file: string): Transition {
  return {
    from: r.from,
    to: r.to,
    source: 'audit-log',
    commit: null,
    file: r.file ?? file,
    author: r.actor,
    email: null,
    date: r.at,
    committedAt: null,
    via: 'govern',
    audit: { id: r.id, action: r.action, actor: r.actor, at: r.at, reason: r.reason, match: null },
  };
}

/** Inserts `extra` (sorted by time) before the first entry committed after it; the working tree stays last. */
function mergeByTime(list: Transition[], extra: Transition[]): Transition[] {
  if (!extra.length) return list;
  const key = (t: Transition) => (t.source === 'working-tree' ? Infinity : t.source === 'git' ? ms(t.committedAt) : ms(t.date));
  const out: Transition[] = [];
  let j = 0;
  for (const t of list) {
    while (j < extra.length && ms(extra[j]!.date) < key(t)) out.push(extra[j++]!);
    out.push(t);
  }
  while (j < extra.length) out.push(extra[j++]!);
  return out;
}

/**
 * The matching rule. A transition of the item to status S, between revision P
 * (the previous one read) and revision C, came through govern when an audit record
 * not matched to an earlier transition has the same item and `to.status` S and:
 *
 * 1. `hash-after`: its `hashAfter` is the sha256 of the file at C (the commit holds
 *    exactly the bytes govern wrote), else
 * 2. `hash-before`: its `hashBefore` is the sha256 of the file at P (govern wrote
 *    from the committed bytes; more edits came before the commit), else
 * 3. `time`: its time is in C's window, from P's committer date (whole second) to
 *    C's committer date plus one second (their resolution); for the working tree,
 *    any time after P's committer date. The latest such record wins.
 *
 * Transitions are matched oldest first and a record matches at most once, so a
 * record at the edge of two windows goes to the older commit. An item's first
 * appearance matches too (an item added, then started with `set-status` before the
 * commit); a change of the status text alone, and a removal, never do.
 */
function matchRecord(records: AuditRecord[], used: Set<string>, to: Status, prev: DocumentRevision | null, rev: DocumentRevision): AuditMatch | null {
  const free = records.filter((r) => !used.has(r.id) && r.to?.status === to);
  let hit: AuditRecord | undefined;
  let match: AuditMatch['match'] = null;
  if (rev.hash !== null && (hit = free.find((r) => r.hashAfter === rev.hash))) match = 'hash-after';
  else if (prev?.hash && (hit = free.find((r) => r.hashBefore === prev.hash))) match = 'hash-before';
  else {
    const lo = prev?.committedAt ? Math.floor(ms(prev.committedAt) / 1000) * 1000 : -Infinity;
    const hi = rev.committedAt ? ms(rev.committedAt) + 1000 : Infinity;
    hit = free.filter((r) => ms(r.at) >= lo && ms(r.at) < hi).pop();
    if (hit) match = 'time';
  }
  if (!hit) return null;
  used.add(hit.id);
  return { id: hit.id, action: hit.action, actor: hit.actor, at: hit.at, reason: hit.reason, match };
}

/** Ids close to `id` (case and punctuation ignored), closest first: one edit away, containing it or contained in it, two edits away. */
export function nearIds(id: string, ids: Iterable<string>, limit = 5): string[] {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const target = norm(id);
  const scored: { id: string; score: number }[] = [];
  for (const k of ids) {
    const n = norm(k);
    const d = editDistance(n, target);
    const score = d <= 1 ? d : target && (n.includes(target) || target.includes(n)) ? 2 : d === 2 ? 3 : -1;
    if (score >= 0) scored.push({ id: k, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit)
    .map((s) => s.id);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Every status the item has had, oldest first: each commit that changed its
 * status or status text (following renames of its document along the first-parent
 * chain), uncommitted changes in the working tree as a last entry, and the audit
 * records of govern writes no commit shows (`source: "audit-log"`). Each change
 * says whether govern made it (`via`; the matching rule is on {@link matchRecord}).
 * Outside a git repository: the audit records only, with a `history-no-git`
 * warning. An unknown id throws {@link HistoryError} (`item-not-found`) with near ids.
 */
export async function statusHistory(root: string, id: string, opts: HistoryOptions = {}): Promise<StatusHistory> {
  const ws = opts.workspace ?? (await loadWorkspace({ root: path.resolve(root), ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) }));
  const node = ws.index.byId.get(id);
  if (!node) {
    const suggestions = nearIds(id, ws.index.byId.keys());
    throw new HistoryError('item-not-found', `no item ${id} in ${ws.root}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ''}`, {
      item: id,
      suggestions,
    });
  }
  const file = node.source.file;
  let records = opts.records;
  const diagnostics: Diagnostic[] = [];
  if (!records) {
    const log = readAuditLog(ws.root);
    records = log.records;
    diagnostics.push(...log.diagnostics);
  }
  const defaultId = ws.pathIds.get(file);
  const hist = documentHistory(ws.root, file, ws.profile, { maxCommits: opts.maxCommits ?? DEFAULT_MAX_COMMITS, ...(defaultId !== undefined ? { defaultId } : {}) });
  diagnostics.push(...hist.diagnostics);
  const transitions = hist.git ? itemTransitions(hist, id, records) : statusRecords(records, id).map((r) => auditEntry(r, file));
  return { item: id, file, transitions, adoptions: itemAdoptions(records, id), truncated: hist.truncated, diagnostics };
}
