import path from 'node:path';
import { compareDiagnostics, type Diagnostic, type Item, type WorkDocument } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import { AUDIT_LOG, foldAdoption, isLockNotTaken, isStatusWrite, readAuditLog, sha256, WriteError, type AuditRecord, type LockOptions } from '@govern/write';
import { CLOSURE_LOCK, withClosureLock } from './closure-lock.js';
import { evidenceRootIgnored, ignoredEvidenceRoots, resolveEvidenceRoot, type EvidencePath } from './evidence-path.js';
import { handEditDiagnostics } from '@govern/history';
import { Git } from './git.js';
import { checkedProjects, projectsOf, type Projects } from './projects.js';
import { hashedFiles, MANIFEST_FILE, type EvidenceManifest } from './manifest.js';
import { liveFiles, readSnapshot, type AuditSnapshot, type EvidenceFiles, type ManifestRead } from './snapshot.js';

export interface AuditResult {
  /** The workspace's own diagnostics followed by the audit's, sorted. */
  diagnostics: Diagnostic[];
  checked: { doneItems: number; evidenceRoots: number; claims: number };
}

export interface AuditOptions {
  /** Stale evidence is an error (`govern audit --fresh`); otherwise the profile's `audit.stale` (default warning). */
  fresh?: boolean;
  /** Read git history for hand edits (`hand-edit-done`, `hand-edit`); default true. */
  history?: boolean;
}

/** {@link AuditOptions} and the documents to audit: the phase audit of `govern close` looks at a few. */
export interface ScopedAuditOptions extends AuditOptions {
  /**
   * Audit these documents (by `file`) only; every document when absent: their evidence
   * roots, done items and claims, and the hand edits git saw in them (git reads the
   * history of these documents only). The workspace's own diagnostics are reported for
   * every document either way.
   */
  documents?: ReadonlySet<string>;
  /**
   * `false`: no staleness (no project listing, no `git diff` per manifest). `govern adopt`
   * asks only whether an item has evidence, not whether it is fresh.
   */
  staleness?: false;
}

/** What the audit of every done item shares: git, the audit log, the projects. Built once per audit. */
export interface Context {
  root: string;
  git: Git | null;
  closes: Map<string, AuditRecord[]>;
  lastStatus: Map<string, AuditRecord>;
  projects: Projects | null;
  stale: 'off' | 'warning' | 'error';
  docs: Set<string>;
  files: EvidenceFiles;
  records: AuditRecord[];
  /** Each done item's evidence root, resolved once ({@link resolveEvidenceRoot}). */
  roots: Map<Item, EvidencePath>;
  /** Whether git ignores the evidence root `rel` (a resolved root): {@link evidenceRootIgnored}. */
  ignored: (rel: string) => boolean | null;
  /**
   * The `adopt` records still in force, by item: an adoption holds until govern records
   * another status write for the item (a `set-status` or a `close` after it); from then on
   * the item is audited like any other.
   */
  adopted: Map<string, AuditRecord>;
}

export function context(ws: Workspace, opts: ScopedAuditOptions, snapshot: AuditSnapshot | undefined): { ctx: Context; log: Diagnostic[] } {
  const git = new Git(ws.root);
  const log = snapshot?.log ?? readAuditLog(ws.root);
  const closes = new Map<string, AuditRecord[]>();
  const lastStatus = new Map<string, AuditRecord>();
  const adopted = new Map<string, AuditRecord>();
  for (const r of log.records) {
    if (r.action === 'close' && r.evidence) closes.set(r.evidence, [...(closes.get(r.evidence) ?? []), r]);
    if (isStatusWrite(r)) lastStatus.set(r.item, r);
    foldAdoption(adopted, r);
  }
  const stale = opts.staleness === false ? 'off' : opts.fresh ? 'error' : (ws.profile.profile.audit?.stale ?? 'warning');
  // Every done item's evidence root the audit looks at, resolved once (a stat per root),
  // then one `git check-ignore` for all of them (a git process per item took seconds on a
  // repository with a hundred).
  const roots = new Map<Item, EvidencePath>();
  for (const doc of ws.documents) {
    if (opts.documents && !opts.documents.has(doc.file)) continue;
    for (const item of doc.items) if (item.status === 'done' && item.evidenceRoot) roots.set(item, resolveEvidenceRoot(ws.root, item.evidenceRoot));
  }
  const asked = new Set<string>();
  for (const r of roots.values()) if (r.ok) asked.add(r.rel);
  const batch = ignoredEvidenceRoots(ws.root, [...asked]);
  // The batch fails whole when git refuses one path (a symlink on the way, a submodule);
  // asked alone, each root then answers as it always did.
  const ignored = (rel: string): boolean | null => (batch && asked.has(rel) ? batch.has(rel) : evidenceRootIgnored(ws.root, rel));
  return {
    ctx: {
      root: ws.root,
      git: git.head() === null ? null : git,
      closes,
      lastStatus,
      projects: stale === 'off' ? null : projectsOf(ws.root),
      stale,
      docs: new Set(ws.documents.map((d) => d.file)),
      files: snapshot?.files ?? liveFiles,
      records: log.records,
      roots,
      ignored,
      adopted,
    },
    log: log.diagnostics.filter((d) => d.code === 'audit-chain-broken'),
  };
}

/**
 * The truthfulness check: every item that claims done has an evidence root
 * inside the repository holding a manifest whose checks passed and whose
 * recorded outputs still match; every evidence root a tracker cites exists; no
 * prose summary contradicts the items it names.
 *
 * The audit log, the manifests and the files they hash are read from `snapshot` when one
 * is given (see {@link readSnapshot}: what `auditRepository` reads under the closure
 * lock), otherwise from disk; the diagnostics are the same for the same files.
 */
export function auditWorkspace(ws: Workspace, opts: ScopedAuditOptions = {}, snapshot?: AuditSnapshot): AuditResult {
  const { ctx, log } = context(ws, opts, snapshot);
  const out: Diagnostic[] = [...log];
  // Status changes git saw and the audit log did not: a move to done without a closure is an error.
  if (ctx.git && opts.history !== false) out.push(...handEditDiagnostics(ws.root, ws, { records: ctx.records, ...(opts.documents ? { documents: opts.documents } : {}) }));
  const checked = { doneItems: 0, evidenceRoots: 0, claims: 0 };
  const byId = ws.index.byId;
  for (const doc of ws.documents) {
    if (opts.documents && !opts.documents.has(doc.file)) continue;
    const missing = new Set<string>();
    for (const cited of doc.evidenceRoots) {
      checked.evidenceRoots++;
      const r = resolveEvidenceRoot(ws.root, cited.text);
      const at = { file: doc.file, line: cited.line, column: cited.column };
      if (!r.ok) out.push({ severity: 'error', code: 'evidence-root-outside', message: r.reason, ...at });
      else if (!r.exists) {
        // An evidence root named for items that are not done yet is where `govern close`
        // will write; it must be declared before it can exist. Only a claim is checked.
        const owners = doc.items.filter((i) => i.evidenceRoot && resolveEvidenceRoot(ws.root, i.evidenceRoot).rel === r.rel);
        if (owners.length && owners.every((i) => i.status !== 'done' || ctx.adopted.has(i.id))) continue;
        missing.add(r.rel);
        out.push({ severity: 'error', code: 'evidence-root-missing', message: `the tracker cites evidence root ${cited.text}, which does not exist`, ...at });
      }
    }
    for (const item of doc.items) {
      if (item.status !== 'done') continue;
      checked.doneItems++;
      out.push(...auditDoneItem(ctx, doc, item, missing));
    }
    for (const claim of doc.claims) {
      checked.claims++;
      const wrong = claim.ids.map((id) => byId.get(id)).filter((n) => n && n.status !== claim.status);
      if (!wrong.length) continue;
      out.push({
        severity: 'error',
        code: 'summary-contradiction',
        message: `"${claim.text}" says ${claim.status}, but ${wrong.map((n) => `${n!.id} is ${n!.status ?? 'without status'}`).join(', ')}`,
        file: doc.file,
        line: claim.line,
        column: claim.column,
        related: wrong.map((n) => ({ ...n!.source, message: `${n!.id}: ${n!.statusText ?? 'no status'}` })),
      });
    }
  }
  return { diagnostics: [...ws.diagnostics, ...out.sort(compareDiagnostics)].sort(compareDiagnostics), checked };
}

export interface AuditRepositoryOptions extends AuditOptions {
  /** How long to wait for a closure being published (default 15 s, then `lock-timeout`). */
  lock?: LockOptions;
}

/**
 * `govern audit` as the CLI and the MCP `audit` tool run it: loads the workspace with
 * `load` and reads what a closure publishes (the documents, the audit log, every done
 * item's evidence manifest and the files it hashes: {@link readSnapshot}) while holding
 * the closure lock (closure-lock.ts), so that they are read while no `govern close` is
 * between writing a manifest and appending its close record. `load` runs inside the lock
 * because the documents (the statuses) are part of what a closure publishes. The rest of
 * the audit (git history, provenance, staleness: seconds on a large repository) runs on
 * that snapshot after the lock is released, so that closures and other audits do not
 * wait for it.
 *
 * An audit writes nothing, so a checkout where the lock cannot be taken (a read-only
 * clone: the lock directory cannot be created) is audited without it; such a checkout
 * has no `govern close` running in it either. A closure that holds the lock longer than
 * the timeout is reported as `lock-timeout`.
 */
export async function auditRepository(root: string, load: () => Promise<Workspace>, opts: AuditRepositoryOptions = {}): Promise<AuditResult> {
  const { lock, ...audit } = opts;
  let read: { ws: Workspace; snapshot: AuditSnapshot };
  try {
    read = await withClosureLock(
      root,
      async () => {
        const ws = await load();
        return { ws, snapshot: readSnapshot(ws) };
      },
      lock,
    );
  } catch (err) {
    if (!isLockNotTaken(err)) throw err;
    if (err.code === 'io-error') return auditWorkspace(await load(), audit);
    if (err.code === 'lock-timeout') {
      const holder = err.details.holder as { pid?: number; host?: string } | undefined;
      throw new WriteError(
        'lock-timeout',
        `the audit waited ${String(err.details.waitedMs)} ms for a closure being published (the ${CLOSURE_LOCK} lock${holder ? `, held by pid ${holder.pid} on ${holder.host}` : ''}) and gave up`,
        { ...err.details, note: 'run the audit again once that `govern close` has finished; a lock whose holder process has exited is taken over at once' },
      );
    }
    throw err;
  }
  return auditWorkspace(read.ws, audit, read.snapshot);
}

/** What the audit finds for one done item, reported or not (`govern adopt` asks it too). */
export function auditDoneItem(ctx: Context, doc: WorkDocument, item: Item, reported: Set<string>): Diagnostic[] {
  const at = { file: doc.file, line: item.statusSource?.line ?? item.line, column: item.statusSource?.column ?? item.column };
  const err = (code: string, message: string, note?: string): Diagnostic[] => [{ severity: 'error', code, message, ...at, ...(note ? { note } : {}) }];
  const adoption = ctx.adopted.get(item.id);
  if (adoption) {
    // Done before govern was adopted: no evidence is asked of it, and none is claimed.
    const when = adoption.at.slice(0, 10);
    return [
      {
        severity: 'info',
        code: 'done-adopted',
        message: `${item.id} was done before govern was adopted (recorded by \`govern adopt\` on ${when} by ${adoption.actor}); it has no evidence`,
        ...at,
        note: `\`govern close ${item.id}\` gives it evidence`,
      },
    ];
  }
  if (!item.evidenceRoot) {
    return err('evidence-missing', `${item.id} is ${item.statusText ?? 'done'} but declares no evidence root`, 'done requires an evidence root holding a passing manifest, written by `govern close`; work done before govern was adopted: `govern adopt`');
  }
  // Resolved in context() for every done item in scope, this one included.
  const r = ctx.roots.get(item)!;
  if (!r.ok) return err('evidence-root-outside', `${item.id}: ${r.reason}`);
  if (ctx.ignored(r.rel) === true) return err('evidence-root-ignored', `${item.id}: ${r.rel}/ is ignored by git, so its evidence is never committed`);
  if (!r.exists) return reported.has(r.rel) ? [] : err('evidence-root-missing', `${item.id} is done but its evidence root ${item.evidenceRoot} does not exist`);
  const manifestRel = `${r.rel}/${MANIFEST_FILE}`;
  const manifestAbs = path.join(r.abs, MANIFEST_FILE);
  let read: ManifestRead | null;
  try {
    read = ctx.files.manifest(manifestAbs);
  } catch (e) {
    return err('evidence-manifest-invalid', `${item.id}: ${manifestRel} is not valid JSON: ${(e as Error).message}`);
  }
  if (!read) return err('evidence-manifest-missing', `${item.id}: ${manifestRel} does not exist`);
  const { parsed } = read;
  if (!('manifest' in parsed)) {
    return err('evidence-manifest-invalid', `${item.id}: ${manifestRel}${parsed.invalid === 'json' ? ' is not valid JSON:' : ':'} ${parsed.message}`);
  }
  const manifest = parsed.manifest;
  if (manifest.item !== item.id) return err('evidence-manifest-mismatch', `${item.id}: ${manifestRel} is the evidence of ${manifest.item}`);
  const failed = manifest.checks.filter((c) => c.exitCode !== 0);
  if (!manifest.passed || failed.length || manifest.checks.length === 0) {
    const why = failed.length ? failed.map((c) => `${c.name} exited ${c.exitCode}`).join(', ') : manifest.checks.length === 0 ? 'no check ran' : 'the manifest records a failed closure';
    return err('evidence-check-failed', `${item.id}: ${manifestRel}: ${why}`);
  }
  const out: Diagnostic[] = [
    ...provenance(ctx, item, manifest, manifestRel, sha256(read.bytes)).map((x) => ({ ...x, ...at })),
    ...criteriaFindings(item, manifest, manifestRel).map((x) => ({ ...x, ...at })),
  ];
  for (const f of hashedFiles(manifest)) {
    const actual = ctx.files.hash(r.abs, f.path);
    if (actual !== f.sha256) {
      out.push(...err('evidence-output-changed', `${item.id}: ${r.rel}/${f.path} ${actual === null ? 'is missing' : 'no longer matches the hash its manifest recorded'}`));
    }
  }
  return out;
}

type Finding = Omit<Diagnostic, 'file' | 'line' | 'column'>;

/**
 * Whether the manifest's criteria say how each was verified, consistently with its own
 * checks, and whether the document's acceptance is still the one that was verified.
 */
function criteriaFindings(item: Item, manifest: EvidenceManifest, manifestRel: string): Finding[] {
  const out: Finding[] = [];
  const recorded = manifest.criteria ?? [];
  for (const c of recorded) {
    const v = c.verification;
    if (!v) {
      out.push({
        severity: 'warning',
        code: 'evidence-criteria-unrecorded',
        message: `${item.id}: ${manifestRel} does not say how "${c.text}" was verified (written before criteria were tied to checks)`,
        note: 'close the item again to record it',
      });
    } else if (v.kind === 'check') {
      const bad = v.checks.filter((p) => manifest.checks[p - 1]?.exitCode !== 0);
      if (bad.length) {
        out.push({
          severity: 'error',
          code: 'evidence-criteria-unverified',
          message: `${item.id}: ${manifestRel} says "${c.text}" was verified by check ${bad.join(', ')}, which ${bad.length > 1 ? 'are' : 'is'} not a passing check of that manifest`,
        });
      }
    }
  }
  const now = item.criteria.map((c) => c.text);
  const then = recorded.map((c) => c.text);
  if (manifest.criteria && (now.length !== then.length || now.some((t, i) => t !== then[i]))) {
    const added = now.filter((t) => !then.includes(t));
    const removed = then.filter((t) => !now.includes(t));
    out.push({
      severity: 'warning',
      code: 'criteria-changed',
      message: `${item.id}: its acceptance changed after it was closed${added.length ? `; added: ${added.map((t) => `"${t}"`).join(', ')}` : ''}${removed.length ? `; removed: ${removed.map((t) => `"${t}"`).join(', ')}` : ''}${!added.length && !removed.length ? '; reordered' : ''}`,
      note: 'close it again so the evidence covers what the document now asks',
    });
  }
  return out;
}

/**
 * Whether a passing manifest is what `govern close` produced, and is still current: its
 * commit exists and is in HEAD's history, a `close` record in the audit log binds it (and,
 * since GV-08, its sha256), the item's last recorded status write is that close, and the
 * projects its checks cover have not changed since its commit.
 */
function provenance(ctx: Context, item: Item, manifest: EvidenceManifest, manifestRel: string, manifestSha: string): Finding[] {
  const out: Finding[] = [];
  const e = (code: string, message: string, note?: string) => out.push({ severity: 'error', code, message, ...(note ? { note } : {}) });
  const commit = manifest.gitCommit;
  if (ctx.git) {
    if (!commit) e('evidence-commit-missing', `${item.id}: ${manifestRel} names no git commit, so nothing says what it tested`);
    else if (!ctx.git.isCommit(commit)) e('evidence-commit-unknown', `${item.id}: ${manifestRel} names commit ${commit.slice(0, 12)}, which is not in this repository`);
    else if (!ctx.git.isAncestorOfHead(commit)) e('evidence-commit-not-ancestor', `${item.id}: ${manifestRel} names commit ${commit.slice(0, 12)}, which is not in HEAD's history`);
  }
  const binding = (ctx.closes.get(manifestRel) ?? []).filter((r) => r.item === item.id).at(-1);
  if (!binding) {
    e('evidence-unbound', `${item.id}: no \`close\` record in ${AUDIT_LOG} binds ${manifestRel}: it was not written by \`govern close\``, `run \`govern close ${item.id}\``);
  } else if (binding.evidenceSha256 && binding.evidenceSha256 !== manifestSha) {
    e('evidence-manifest-changed', `${item.id}: ${manifestRel} is not the manifest its close record bound (sha256 ${binding.evidenceSha256.slice(0, 12)}…, now ${manifestSha.slice(0, 12)}…)`);
  }
  const last = ctx.lastStatus.get(item.id);
  if (binding && last && last !== binding && last.to?.status !== 'done') {
    e('status-not-from-close', `${item.id} is done in its document, but its last recorded status write set it to ${last.to?.status} (${last.at}): it was set back to done by hand`);
  }
  if (ctx.git && commit && ctx.stale !== 'off' && ctx.git.isCommit(commit)) {
    const changed = (ctx.git.changedSince(commit) ?? []).filter((p) => !ctx.docs.has(p) && !p.startsWith('ops/') && !p.startsWith('.govern/'));
    // Manifests before GV-08 record no inputs: derived from their check commands.
    const inputs = manifest.inputs ? manifest.inputs.projects : checkedProjects(manifest.checks.map((c) => c.command));
    const hit = ctx.projects ? ctx.projects.touched(changed, inputs) : changed;
    if (hit.length) {
      out.push({
        severity: ctx.stale,
        code: 'evidence-stale',
        message: `${item.id}: its evidence (commit ${commit.slice(0, 12)}) is stale: ${hit.slice(0, 4).join(', ')}${hit.length > 4 ? ` and ${hit.length - 4} more` : ''} changed since`,
        note: `re-run \`govern close ${item.id}\` (or \`govern verify ${item.id}\` to compare)`,
      });
    }
  }
  return out;
}
