import os from 'node:os';
import path from 'node:path';
import { blockersOf } from '@govern/graph';
import { parseDocument, type Status } from '@govern/workplan';
import { loadWorkspace } from '@govern/workspace';
import { appendAudit, type AuditRecord } from './audit-log.js';
import { commitWrite, readForWrite } from './commit.js';
import type { DocumentWriteOptions } from './document-write.js';
import { sha256 } from './hash.js';
import { planStatusEdit } from './edit.js';
import { WriteError } from './errors.js';
import { lifecycleViolations } from './lifecycle.js';
import { withLock } from './lock.js';

/**
 * What {@link setStatus} takes: the options of every write ({@link DocumentWriteOptions}:
 * root, expect, reason, actor, via, now, lock, workspace — whose dependency statuses are
 * used as read — and cacheDir) but `dryRun`, which a status write does not offer, and the
 * item, its new status and the lifecycle override.
 */
export interface SetStatusOptions extends Omit<DocumentWriteOptions, 'dryRun'> {
  /** Item id as in `govern graph` (`GV-01`, `WP-1-T01`, `kickoff:K0`). */
  id: string;
  status: Status;
  /** Override forceable lifecycle rules (unfinished dependencies, a disallowed transition); recorded. */
  force?: boolean;
  /** Set by `closeItem` only: the manifest that allows a closure-only status. */
  closure?: { evidence: string; evidenceSha256?: string };
  /**
   * Called under the lock after the edit is planned and before the commit checks
   * (instrumentation and the stall tests; a stalled holder must not lose anyone's write).
   * @internal
   */
  beforeCommit?: () => void | Promise<void>;
}

export interface SetStatusResult {
  item: string;
  file: string;
  /** False when the item already had this status: nothing was written or logged. */
  changed: boolean;
  from: { status: Status | null; text: string | null };
  to: { status: Status; text: string };
  hashBefore: string;
  hashAfter: string;
  /** Rules overridden with `force`. */
  forced: string[];
  audit: AuditRecord | null;
}

/**
 * The longest `reason` a status write accepts, in characters. A reason is copied into
 * the audit log, which every later write hashes and `govern audit log` prints; a
 * megabytes-long reason would bloat both for good, so it is refused (`invalid-reason`).
 */
export const MAX_REASON_LENGTH = 2000;

export { sha256 };

export function defaultActor(env: Record<string, string | undefined> = process.env): string {
  if (env.GOVERN_ACTOR) return env.GOVERN_ACTOR;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * Sets one item's status: the library function behind `govern task set-status`
 * and the MCP tool. Under the file's lock it re-reads the file, checks
 * `expect`, re-parses it, applies the profile's lifecycle rules, makes the
 * surgical edit, verifies it reads back as the new status, writes atomically
 * and appends the audit record. Refusals throw {@link WriteError}; nothing is
 * written then.
 */
export async function setStatus(opts: SetStatusOptions): Promise<SetStatusResult> {
  if (opts.reason !== undefined && opts.reason.length > MAX_REASON_LENGTH) {
    throw new WriteError('invalid-reason', `the reason is ${opts.reason.length} characters long; at most ${MAX_REASON_LENGTH} are accepted (it is copied into the audit log)`, {
      length: opts.reason.length,
      max: MAX_REASON_LENGTH,
    });
  }
  const root = path.resolve(opts.root);
  const ws = opts.workspace ?? (await loadWorkspace({ root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) }));
  const node = ws.index.byId.get(opts.id);
  if (!node) {
    const near = ws.index.graph.nodes.filter((n) => n.id.toLowerCase().includes(opts.id.toLowerCase())).slice(0, 5).map((n) => n.id);
    throw new WriteError('item-not-found', `no item ${opts.id} in ${root}${near.length ? `; did you mean ${near.join(', ')}?` : ''}`, {
      item: opts.id,
      suggestions: near,
    });
  }
  const file = node.source.file;
  const abs = path.join(root, file);
  const now = opts.now ?? new Date();
  return withLock(
    root,
    file,
    async (lock) => {
      const { text, hashBefore } = readForWrite(abs, file, opts.expect);
      // The id the workspace gives the document (its path when another file has its name).
      const defaultId = ws.pathIds.get(file);
      const source = (t: string) => ({ file, text: t, ...(defaultId !== undefined ? { defaultId } : {}) });
      const { document } = parseDocument(source(text), ws.profile);
      const item = document?.items.find((i) => i.id === opts.id);
      if (!document || !item) throw new WriteError('item-not-found', `${opts.id} is no longer in ${file}`, { item: opts.id, file });

      const violations = lifecycleViolations(opts.id, item.status, opts.status, blockersOf(ws.index, node), ws.profile, {
        closure: opts.closure !== undefined,
      });
      const refused = violations.find((v) => !v.forceable) ?? (opts.force ? undefined : violations[0]);
      if (refused) {
        throw new WriteError(refused.code, refused.message, {
          ...refused.details,
          violations: violations.map((v) => ({ code: v.code, message: v.message, forceable: v.forceable })),
          ...(refused.forceable ? { note: 'pass --force (recorded in the audit log) to override' } : {}),
        });
      }
      const forced = opts.force ? violations.map((v) => v.message) : [];
      const base = { item: opts.id, file, from: { status: item.status, text: item.statusText }, hashBefore, forced };
      if (item.status === opts.status) {
        return { ...base, changed: false, to: { status: opts.status, text: item.statusText ?? opts.status }, hashAfter: hashBefore, audit: null };
      }

      const edit = planStatusEdit(text, document, item, opts.status, ws.profile, now);
      const check = parseDocument(source(edit.text), ws.profile).document?.items.find((i) => i.id === opts.id);
      if (check?.status !== opts.status) {
        throw new WriteError('status-unwritable', `${opts.id}: the edited file would read back as ${check?.status ?? 'no status'}, not ${opts.status}; nothing written`, {
          item: opts.id,
          file,
        });
      }
      const out = Buffer.from(edit.text, 'utf8');
      const hashAfter = sha256(out);
      await opts.beforeCommit?.();
      // The commit checks, as late as possible and with nothing asynchronous between them
      // and the rename (commit.ts).
      commitWrite(lock, abs, file, hashBefore, out);
      const audit = await appendAudit(
        root,
        {
          at: now,
          action: opts.closure ? 'close' : 'set-status',
          actor: opts.actor ?? defaultActor(),
          via: opts.via ?? 'library',
          item: opts.id,
          file,
          from: base.from,
          to: edit.to,
          hashBefore,
          hashAfter,
          reason: opts.reason ?? null,
          forced,
          evidence: opts.closure?.evidence ?? null,
          ...(opts.closure?.evidenceSha256 ? { evidenceSha256: opts.closure.evidenceSha256 } : {}),
        },
        opts.lock,
      );
      return { ...base, changed: true, to: edit.to, hashAfter, audit };
    },
    opts.lock,
  );
}
