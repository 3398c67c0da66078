import path from 'node:path';
import { parseDocument, type Diagnostic, type Item, type WorkDocument } from '@govern/workplan';
import { loadWorkspace, type Workspace } from '@govern/workspace';
import { appendAudit, type AuditRecord } from './audit-log.js';
import { commitWrite, readForWrite } from './commit.js';
import { WriteError } from './errors.js';
import { withLock, type LockOptions } from './lock.js';
import type { DocumentWriteResult, StructureAction } from './structure-result.js';
import { sha256 } from './hash.js';
import { defaultActor, MAX_REASON_LENGTH } from './set-status.js';
import { RawText, applyEdits, type TextEdit } from './text.js';

/** What every structural write (add a task, edit acceptance, add a dependency) takes besides its own inputs; a status write (`SetStatusOptions`) takes the same but `dryRun`. */
export interface DocumentWriteOptions {
  /** Repository root. */
  root: string;
  /** sha256 of the file as the caller read it (`item`'s fileHash); a different current hash is a `conflict`. */
  expect?: string;
  /** Plan, verify and report the change, but write nothing and log nothing. */
  dryRun?: boolean;
  reason?: string;
  /** Who writes; default `GOVERN_ACTOR` or the OS user. */
  actor?: string;
  /** Through what (`cli`, `mcp`, `library`); default `library`. */
  via?: string;
  now?: Date;
  lock?: LockOptions;
  /** An already loaded workspace of `root`. */
  workspace?: Workspace;
  /** Parse cache directory for loading; `null` disables it. */
  cacheDir?: string | null;
}

/** The file as read under the lock, parsed, with helpers a plan needs. */
export interface PlanInput {
  text: string;
  raw: RawText;
  document: WorkDocument;
  diagnostics: Diagnostic[];
  eol: string;
}

/** A planned change: the edits, how to check the result reads as intended, and what the audit record says. */
export interface Plan {
  edits: TextEdit[];
  /** Given the re-parsed result, a sentence saying what reads wrong, or null when it reads as intended. */
  verify(after: WorkDocument, before: WorkDocument): string | null;
  /** The audit record's `key` and `value` (what changed, never free text from the caller). */
  key: string;
  value: string;
  /** Rules overridden with `force`, one sentence each (recorded in the audit log). */
  forced?: string[];
}

/** The plan's answer when nothing needs writing (the dependency is already there). */
export interface Unchanged {
  unchanged: true;
}

/**
 * Whatever every item means to the graph and to `govern close`, positions left out:
 * a structural write must leave this exactly as it was for every item it does not target.
 */
export function meaning(i: Item): string {
  return JSON.stringify([
    i.id,
    i.kind,
    i.localId,
    i.title,
    i.status,
    i.statusText,
    i.priority,
    i.parent,
    i.evidenceRoot,
    i.packetId,
    i.stateHubId,
    i.dependencies.map((d) => d.id),
    i.criteria.map((c) => [c.text, c.checked, c.checks ?? null, c.verifiedBy ?? null]),
    i.checks.map((c) => c.command),
    i.refs,
  ]);
}

/** The same, for one item with the parts a write changes left out. */
export function meaningWithout(i: Item, leave: { dependencies?: boolean; criteria?: boolean }): string {
  return meaning({ ...i, ...(leave.dependencies ? { dependencies: [] } : {}), ...(leave.criteria ? { criteria: [] } : {}) });
}

/** Every item of `before` reads the same in `after` (and in the same order), except `except`. */
export function othersUnchanged(before: WorkDocument, after: WorkDocument, except: string | null): string | null {
  const a = after.items.filter((i) => i.id !== except);
  const b = before.items.filter((i) => i.id !== except);
  if (a.length !== b.length) return `the file would have ${a.length} other items instead of ${b.length}`;
  for (let k = 0; k < a.length; k++) {
    if (meaning(a[k]!) !== meaning(b[k]!)) return `${b[k]!.id} would read differently`;
  }
  return null;
}

/**
 * The errors of `after` beyond those of `before`, by code: a structural edit moves
 * lines, so an error already there may come back at another position (or with its
 * line in the message); only a code seen more often is new.
 */
function newErrors(before: Diagnostic[], after: Diagnostic[]): string[] {
  const counts = new Map<string, number>();
  for (const d of before) if (d.severity === 'error') counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  const out: string[] = [];
  for (const d of after) {
    if (d.severity !== 'error') continue;
    const left = counts.get(d.code) ?? 0;
    if (left > 0) counts.set(d.code, left - 1);
    else out.push(`${d.code}: ${d.message}`);
  }
  return out;
}

/**
 * The one-hunk line diff between two texts: the first changed line, the lines
 * removed and the lines added. A structural edit is local, so the common prefix
 * and suffix hold everything else; `--dry-run` prints it.
 */
export function lineHunk(before: string, after: string): { line: number; removed: string[]; added: string[] } {
  // Lines with their endings, so a change to the last line's ending is a change too.
  const split = (t: string) => t.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const a = split(before);
  const b = split(after);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const strip = (l: string) => l.replace(/\r?\n$/, '');
  return { line: p + 1, removed: a.slice(p, a.length - s).map(strip), added: b.slice(p, b.length - s).map(strip) };
}

/**
 * The write path every structural edit shares with `setStatus`: under the file's
 * lock it re-reads the file, checks `expect`, re-parses it, lets `plan` make the
 * surgical edits, re-parses the result and has the plan verify that it reads as
 * intended (and that no new error appeared), then — unless `dryRun` — checks the
 * lock is still held and the file unchanged, writes atomically and appends the
 * audit record. Refusals throw {@link WriteError}; nothing is written then.
 */
export async function writeDocument(
  ws: Workspace,
  opts: DocumentWriteOptions,
  action: StructureAction,
  target: { item: string; file: string },
  plan: (input: PlanInput) => Plan | Unchanged,
): Promise<DocumentWriteResult> {
  const root = path.resolve(opts.root);
  const { file, item } = target;
  const abs = path.join(root, file);
  const now = opts.now ?? new Date();
  const defaultId = ws.pathIds.get(file);
  const source = (t: string) => ({ file, text: t, ...(defaultId !== undefined ? { defaultId } : {}) });
  const profile = ws.profile;
  return withLock(
    root,
    file,
    async (lock) => {
      const { text, hashBefore } = readForWrite(abs, file, opts.expect);
      const parsed = parseDocument(source(text), profile);
      if (!parsed.document) throw new WriteError('item-not-found', `${file} no longer reads as a document`, { item, file });
      const raw = new RawText(text);
      const eol = parsed.document.lineEnding === 'crlf' ? '\r\n' : '\n';
      const planned = plan({ text, raw, document: parsed.document, diagnostics: parsed.diagnostics, eol });
      const base = { action, item, file, hashBefore, dryRun: opts.dryRun === true };
      const forced = 'unchanged' in planned ? [] : (planned.forced ?? []);
      if ('unchanged' in planned) return { ...base, changed: false, hashAfter: hashBefore, hunk: null, forced, audit: null };

      const out = applyEdits(text, planned.edits);
      const check = parseDocument(source(out), profile);
      const problem = check.document ? planned.verify(check.document, parsed.document) : 'the file would no longer read as a document';
      const added = newErrors(parsed.diagnostics, check.diagnostics);
      if (problem || added.length) {
        throw new WriteError('verify-failed', `${item}: the edited ${file} would not read as intended (${problem ?? added[0]}); nothing written`, {
          item,
          file,
          ...(problem ? { problem } : {}),
          ...(added.length ? { errors: added } : {}),
        });
      }
      const bytes = Buffer.from(out, 'utf8');
      const hashAfter = sha256(bytes);
      const hunk = lineHunk(text, out);
      if (opts.dryRun) return { ...base, changed: true, hashAfter, hunk, forced, audit: null };
      // The commit of setStatus (commit.ts): the lock still ours, the file still the bytes
      // the edit was made from, then the atomic rename.
      commitWrite(lock, abs, file, hashBefore, bytes);
      const audit: AuditRecord = await appendAudit(
        root,
        {
          at: now,
          action,
          actor: opts.actor ?? defaultActor(),
          via: opts.via ?? 'library',
          item,
          file,
          from: null,
          to: null,
          hashBefore,
          hashAfter,
          reason: opts.reason ?? null,
          forced,
          evidence: null,
          key: planned.key,
          value: planned.value,
        },
        opts.lock,
      );
      return { ...base, changed: true, hashAfter, hunk, forced, audit };
    },
    opts.lock,
  );
}

/** Loads the workspace (or takes the caller's) and refuses an over-long reason, as `setStatus` does. */
export async function prepare(opts: DocumentWriteOptions): Promise<Workspace> {
  if (opts.reason !== undefined && opts.reason.length > MAX_REASON_LENGTH) {
    throw new WriteError('invalid-reason', `the reason is ${opts.reason.length} characters long; at most ${MAX_REASON_LENGTH} are accepted (it is copied into the audit log)`, {
      length: opts.reason.length,
      max: MAX_REASON_LENGTH,
    });
  }
  const root = path.resolve(opts.root);
  return opts.workspace ?? (await loadWorkspace({ root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) }));
}

/** The `item-not-found` refusal with near matches, as `setStatus` words it. */
export function notFound(ws: Workspace, id: string): WriteError {
  const near = ws.index.graph.nodes.filter((n) => n.id.toLowerCase().includes(id.toLowerCase())).slice(0, 5).map((n) => n.id);
  return new WriteError('item-not-found', `no item ${id} in ${ws.root}${near.length ? `; did you mean ${near.join(', ')}?` : ''}`, { item: id, suggestions: near });
}
