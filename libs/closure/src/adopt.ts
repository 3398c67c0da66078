import fs from 'node:fs';
import path from 'node:path';
import { GovernError } from '@govern/errors';
import { handEdits } from '@govern/history';
import type { Item, WorkDocument } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import { appendAuditRecords, defaultActor, sha256, type AuditRecord, type LockOptions } from '@govern/write';
import { auditDoneItem, context } from './audit.js';
import { withClosureLock } from './closure-lock.js';
import { Git } from './git.js';

/**
 * `govern adopt`: a repository that adopts govern late has items that were done long
 * before, without evidence. The audit would fail on every one of them (51 errors on the
 * first push of one real repository), and closing them means writing checks for finished
 * work. Adopting records each such item in the audit log as done before govern (an
 * `adopt` record, hash-chained like every write): the audit then reports it as an info
 * (`done-adopted`) instead of an error, until a later status write (a `set-status`, a
 * `close`) takes it back under the usual rules.
 *
 * What can be adopted, so that it cannot launder a hand edit: a done item whose audit
 * finds no evidence at all (`evidence-missing`, `evidence-root-missing`,
 * `evidence-manifest-missing`) — not broken or stale evidence, which a closure made —,
 * whose document is committed as it is (no uncommitted or untracked change: git has the
 * claim), and which the audit does not report as moved to done by hand after govern was
 * adopted (`hand-edit-done`: the audit log's first record marks the adoption, and an
 * `adopt` record that is the first of all marks it then).
 */

/** Why an item is not adopted. */
export type AdoptRefusal = 'not-found' | 'not-done' | 'has-evidence' | 'uncommitted' | 'done-after-adoption';

/** An item adopted (or, with `dryRun`, that would be). */
export interface AdoptedItem {
  id: string;
  file: string;
  line: number;
  column: number;
  /** Its status as written (`Done`, `[x]`, `✅`). */
  statusText: string | null;
}

/** An item `govern adopt` leaves alone, and why. */
export interface AdoptRefused {
  id: string;
  reason: AdoptRefusal;
  message: string;
  file: string | null;
  line: number | null;
}

export interface AdoptOptions {
  /** Only these items (each must be adoptable, else nothing is recorded); every adoptable done item when absent. */
  ids?: readonly string[];
  /** Why, for the audit log (default: done before govern was adopted). */
  reason?: string;
  /** Who; default `GOVERN_ACTOR`, else the OS user. */
  actor?: string;
  /** Through what: `cli`, `mcp`, `library` (default `library`). */
  via?: string;
  /** Say what would be adopted; record nothing. */
  dryRun?: boolean;
  /** How long to wait for a closure being published (the closure lock). */
  lock?: LockOptions;
}

export interface AdoptResult {
  dryRun: boolean;
  /** Recorded now (or, with `dryRun`, that would be), in document order. */
  adopted: AdoptedItem[];
  /** Adopted before: their adoption still holds. */
  already: string[];
  /** Done without evidence, but not adoptable (without `ids`), or named and not adoptable (never with a result: see {@link AdoptError}). */
  refused: AdoptRefused[];
}

/** `adopt-refused`: an item named to `govern adopt` cannot be adopted (nothing is recorded); `adopt-needs-git`: outside a git working tree. */
export class AdoptError extends GovernError<'adopt-refused' | 'adopt-needs-git'> {
  constructor(code: 'adopt-refused' | 'adopt-needs-git', message: string, details: Record<string, unknown>) {
    super(code, message, { details });
    this.name = 'AdoptError';
  }
}

/** The audit findings that mean "no evidence was ever made": the only ones adoption answers. */
const NO_EVIDENCE = new Set(['evidence-missing', 'evidence-root-missing', 'evidence-manifest-missing']);

export const DEFAULT_ADOPT_REASON = 'done before govern was adopted';

/**
 * Records the done items that have no evidence as done before govern (see the module
 * comment), under the closure lock: `load` runs inside it, as for the audit. With `ids`,
 * all or nothing: an item that cannot be adopted is an {@link AdoptError} and nothing is
 * recorded. Idempotent: an item whose adoption holds is listed in `already`.
 */
export async function adoptDoneItems(root: string, load: () => Promise<Workspace>, opts: AdoptOptions = {}): Promise<AdoptResult> {
  // A dry run writes nothing, not even the lock's directory (`govern init --dry-run` asks it).
  return opts.dryRun ? adopt(root, load, opts) : withClosureLock(root, () => adopt(root, load, opts), opts.lock);
}

async function adopt(root: string, load: () => Promise<Workspace>, opts: AdoptOptions): Promise<AdoptResult> {
  const git = new Git(root);
  if (git.head() === null) {
    throw new AdoptError('adopt-needs-git', `${root} is not a git repository with a commit: govern adopts only what git has`, { root, note: 'commit the documents first (git init, git add, git commit)' });
  }
  const ws = await load();
  // The audit's own context: the audit log read once, for the evidence and the hand edits.
  // Whether evidence exists, not whether it is fresh: staleness lists every project and diffs per manifest.
  const { ctx } = context(ws, { history: false, staleness: false }, undefined);
  const wanted = opts.ids ? new Set(opts.ids) : null;
  const found = new Map<string, { doc: WorkDocument; item: Item }>();
  for (const doc of ws.documents) for (const item of doc.items) if (!wanted || wanted.has(item.id)) found.set(item.id, { doc, item });

  const adopted: AdoptedItem[] = [];
  const already: string[] = [];
  const refused: AdoptRefused[] = [];
  const refuse = (id: string, reason: AdoptRefusal, message: string, at: { doc: WorkDocument; item: Item } | undefined) =>
    refused.push({ id, reason, message, file: at?.doc.file ?? null, line: at ? (at.item.statusSource?.line ?? at.item.line) : null });
  for (const id of wanted ?? []) if (!found.has(id)) refuse(id, 'not-found', `${id} is not an item of this workspace`, undefined);

  // Hand edits are read only for the documents that hold candidates (a git log each).
  const candidates: { doc: WorkDocument; item: Item }[] = [];
  for (const [id, at] of found) {
    if (at.item.status !== 'done') {
      if (wanted) refuse(id, 'not-done', `${id} is ${at.item.status ?? 'without a status'}, not done: only done items are adopted`, at);
      continue;
    }
    if (ctx.adopted.has(id)) {
      already.push(id);
      continue;
    }
    const findings = auditDoneItem(ctx, at.doc, at.item, new Set());
    if (!findings.some((d) => NO_EVIDENCE.has(d.code))) {
      // Evidence a closure made (passing, stale or broken) is the audit's to judge.
      if (wanted) refuse(id, 'has-evidence', `${id} has evidence from \`govern close\`${findings.length ? ` (the audit says: ${findings[0]!.message})` : ''}: adoption is for work done before govern`, at);
      continue;
    }
    candidates.push(at);
  }
  const files = new Set(candidates.map((c) => c.doc.file));
  const handDone = new Set(handEdits(ws.root, ws, { records: ctx.records, documents: files }).filter((h) => h.diagnostic.code === 'hand-edit-done').map((h) => h.item));
  const dirty = new Map<string, boolean | null>();
  for (const file of files) dirty.set(file, git.hasUncommitted(file));
  for (const at of candidates) {
    const { item, doc } = at;
    if (dirty.get(doc.file) !== false) {
      refuse(item.id, 'uncommitted', `${doc.file} has uncommitted changes: commit it first, so that git holds the claim that ${item.id} is done`, at);
    } else if (handDone.has(item.id)) {
      refuse(item.id, 'done-after-adoption', `${item.id} was set done by a hand edit after govern was adopted: close it with \`govern close ${item.id}\``, at);
    } else {
      adopted.push({ id: item.id, file: doc.file, line: item.statusSource?.line ?? item.line, column: item.statusSource?.column ?? item.column, statusText: item.statusText });
    }
  }
  if (wanted && refused.length) {
    throw new AdoptError('adopt-refused', `${refused.length === 1 ? `${refused[0]!.id} cannot` : `${refused.length} of the ${wanted.size} items named cannot`} be adopted: ${refused.map((r) => r.message).join('; ')}`, {
      refused,
      note: 'nothing was recorded',
    });
  }
  if (!opts.dryRun && adopted.length) await record(ws.root, adopted, opts);
  return { dryRun: opts.dryRun === true, adopted, already, refused };
}

async function record(root: string, items: readonly AdoptedItem[], opts: AdoptOptions): Promise<AuditRecord[]> {
  const hashes = new Map<string, string>();
  const hashOf = (file: string) => {
    let h = hashes.get(file);
    if (h === undefined) hashes.set(file, (h = sha256(fs.readFileSync(path.join(root, file)))));
    return h;
  };
  const actor = opts.actor ?? defaultActor();
  return appendAuditRecords(
    root,
    items.map((i) => ({
      action: 'adopt' as const,
      actor,
      via: opts.via ?? 'library',
      item: i.id,
      file: i.file,
      from: null,
      to: { status: 'done' as const, text: i.statusText },
      hashBefore: hashOf(i.file),
      hashAfter: hashOf(i.file),
      reason: opts.reason ?? DEFAULT_ADOPT_REASON,
      forced: [],
      evidence: null,
    })),
  );
}
