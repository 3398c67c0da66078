import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockersOf, type GraphNode } from '@govern/graph';
import { loadWorkspace, writeFileAtomic, type Workspace } from '@govern/workspace';
import { appendAudit, AUDIT_LOG, defaultActor, isLockNotTaken, lifecycleViolations, setStatus, sha256, WriteError, type LockHolder, type LockOptions, type SetStatusResult } from '@govern/write';
import { isSecretName, knownSecretsFromEnv, redactSecrets, type KnownSecret } from '@govern/secrets';
import { auditWorkspace } from './audit.js';
import { withChecksLock, withClosureLock } from './closure-lock.js';
import { evidenceRootIgnored, resolveEvidenceRoot } from './evidence-path.js';
import { Git } from './git.js';
import { checkedProjects } from './projects.js';
import { EvidenceManifestSchema, MANIFEST_FILE, type CheckRecord, type CriterionRecord, type EvidenceManifest } from './manifest.js';
import { liveFiles, readSnapshot, type AuditSnapshot, type EvidenceFiles, type ManifestRead } from './snapshot.js';

export interface CloseOptions {
  root: string;
  id: string;
  /** Per-check time limit (default 10 minutes); a check over it is killed and fails. */
  checkTimeoutMs?: number;
  /** Override unfinished dependencies (recorded); never overrides failing checks. */
  force?: boolean;
  /** Close although code has uncommitted changes (recorded in the manifest: `treeClean: false`, `dirtyPaths`). */
  allowDirty?: boolean;
  reason?: string;
  actor?: string;
  via?: string;
  toolVersion?: string;
  now?: () => Date;
  /** The environment checks are chosen from (default `process.env`, with these over it); filtered by the profile's `checks` rules. */
  env?: Record<string, string | undefined>;
  /** Output limits of one check (defaults: {@link DEFAULT_OUTPUT_LIMITS}). */
  output?: Partial<OutputLimits>;
  /** How long to wait for locks: the document's and the audit log's (default 15 s each), and the closure lock before reading for the phase audit and before publishing (default 60 s each). */
  lock?: LockOptions;
  workspace?: Workspace;
  cacheDir?: string | null;
  /**
   * Who signs off the plain acceptance bullets that no check or item verifies
   * (`--sign-off <who>`). Without it such a bullet refuses the closure
   * (`criteria-unverified`); with it each is recorded as `manual` with this name.
   */
  signOff?: string;
  /** Called as each check starts and ends (progress for the CLI). */
  onCheck?: (event: { index: number; total: number; command: string; result?: CheckRecord }) => void;
  /**
   * How long to wait for another closure's checks in this checkout (the checks lock,
   * {@link withChecksLock}) before failing with `checks-lock-timeout` (default 2 h: a
   * batch of closures queues behind one another rather than failing).
   */
  checksLockTimeoutMs?: number;
  /** Called once when another closure's checks are running in this checkout and this one starts waiting for them. */
  onChecksWait?: (holder: LockHolder) => void;
}

export interface CloseFailure {
  code:
    | 'evidence-root-missing'
    | 'evidence-root-outside'
    | 'evidence-root-ignored'
    | 'tree-dirty'
    | 'phase-audit-failed'
    | 'checks-missing'
    | 'check-failed'
    | 'criteria-unchecked'
    | 'criteria-unverified'
    | 'dependencies-not-done'
    | 'children-not-done'
    | 'transition-forbidden'
    | 'checks-lock-timeout'
    | 'checks-lock-nested'
    | 'status-write-failed';
  message: string;
  line?: number;
}

export interface CloseResult {
  item: string;
  file: string;
  passed: boolean;
  failures: CloseFailure[];
  /** Evidence root (relative), when one could be used. */
  evidenceRoot: string | null;
  /** This attempt's manifest (relative to the root); every attempt has one once checks ran. */
  attemptManifest: string | null;
  /** The evidence root's manifest.json, written only when the closure passed. */
  manifest: string | null;
  checks: CheckRecord[];
  status: SetStatusResult | null;
}

/** How long a closure or a verify waits for another's checks in the same checkout by default: 2 h, so a batch queues rather than fails. */
const CHECKS_LOCK_TIMEOUT_MS = 2 * 60 * 60 * 1000;

/**
 * The variable, in a check's environment, that names the closures (and verifies) whose
 * checks lock the check runs under: JSON `[{ "pid", "host", "root" }]`, one entry per
 * level of nesting (it passes through nested checks: `GOVERN_*` is in {@link BASE_CHECK_ENV}).
 *
 * Why: a check that itself runs `govern close` or `govern verify` in the same checkout
 * would wait for the checks lock its own caller holds, until the 2 h limit. With this
 * marker the inner closure sees that the holder it would wait for is its caller and is
 * refused at once (`checks-lock-nested`). The holder's pid must match as well as the root,
 * so a marker that leaked into an unrelated shell never refuses a closure that can wait.
 */
export const CHECKS_HELD_ENV = 'GOVERN_CHECKS_HELD';

interface ChecksHolder {
  pid: number;
  host: string;
  root: string;
}

/** The holders a marker names; a marker that is not the JSON {@link CHECKS_HELD_ENV} writes names none. */
function checksHolders(marker: string | undefined): ChecksHolder[] {
  if (!marker) return [];
  try {
    const v: unknown = JSON.parse(marker);
    if (!Array.isArray(v)) return [];
    return v.filter((h): h is ChecksHolder => typeof h?.pid === 'number' && typeof h?.host === 'string' && typeof h?.root === 'string');
  } catch {
    return [];
  }
}

function realRoot(root: string): string {
  try {
    return fs.realpathSync(root);
  } catch {
    return root;
  }
}

/**
 * Runs `checks` (a closure's or a verify's) holding the checks lock ({@link withChecksLock}),
 * with `env` given {@link CHECKS_HELD_ENV} naming this process and checkout. Returns the
 * lock's error when it was not taken (nothing ran): `checks-lock-nested` at once when the
 * holder is the closure whose check started this one (`source` carries its marker), the
 * lock's own error otherwise; null when the checks ran.
 */
async function underChecksLock(
  root: string,
  source: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
  opts: Pick<CloseOptions, 'checksLockTimeoutMs' | 'onChecksWait'>,
  checks: (env: NodeJS.ProcessEnv) => Promise<void>,
): Promise<{ code: string; message: string } | null> {
  const real = realRoot(root);
  const callers = checksHolders(source[CHECKS_HELD_ENV]);
  const nested = (holder: LockHolder): Error | null =>
    holder !== null && callers.some((c) => c.pid === holder.pid && c.host === holder.host && c.root === real)
      ? new Error(`the checks lock of ${real} is held by the closure whose check started this one (pid ${holder.pid}); waiting would wait for itself`)
      : null;
  // Set from withLock's callback, so kept in an object TypeScript does not narrow to null.
  const nestedRefusal: { error: Error | null } = { error: null };
  let checking = false;
  const marked = { ...env, [CHECKS_HELD_ENV]: JSON.stringify([...callers, { pid: process.pid, host: os.hostname(), root: real }]) };
  try {
    await withChecksLock(
      root,
      () => {
        checking = true;
        return checks(marked);
      },
      {
        timeoutMs: opts.checksLockTimeoutMs ?? CHECKS_LOCK_TIMEOUT_MS,
        onWait: (holder) => {
          nestedRefusal.error = nested(holder);
          // Thrown out of withLock's wait: nothing ran, and it must not wait any longer.
          if (nestedRefusal.error) throw nestedRefusal.error;
          opts.onChecksWait?.(holder);
        },
      },
    );
    return null;
  } catch (err) {
    if (nestedRefusal.error && err === nestedRefusal.error) return { code: 'checks-lock-nested', message: nestedRefusal.error.message };
    // A lock error from inside the checks is not the checks lock's.
    if (checking || !isLockNotTaken(err)) throw err;
    return err;
  }
}

/**
 * `govern close`: runs the item's checks from the repository root, records an
 * evidence manifest for the attempt under `<evidence root>/attempts/<time>/`,
 * and only when every check passed and every checkbox criterion is checked
 * writes `<evidence root>/manifest.json` and sets the status to done through
 * the same write path as `setStatus`. A failure says exactly what failed,
 * leaves the status alone and is still recorded (attempt manifest and audit log).
 * The manifest, the status and the close record are written under the closure lock
 * (closure-lock.ts), which `govern audit` reads under; the checks run outside it (under the
 * checks lock: one closure's checks at a time per checkout), and the built-in phase audit
 * runs on what was read under it (a brief hold, between the two).
 */
export async function closeItem(opts: CloseOptions): Promise<CloseResult> {
  const root = path.resolve(opts.root);
  const now = opts.now ?? (() => new Date());
  const ws = opts.workspace ?? (await loadWorkspace({ root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) }));
  const node = ws.index.byId.get(opts.id);
  if (!node) throw new WriteError('item-not-found', `no item ${opts.id} in ${root}`, { item: opts.id });
  const actor = opts.actor ?? defaultActor(opts.env);
  const via = opts.via ?? 'library';
  const result: CloseResult = {
    item: node.id,
    file: node.source.file,
    passed: false,
    failures: [],
    evidenceRoot: null,
    attemptManifest: null,
    manifest: null,
    checks: [],
    status: null,
  };

  // Preconditions: refused before any check runs, so a long check suite is not wasted.
  const git = new Git(root);
  const pre = preconditions(root, node, ws, opts.force === true);
  const dirty = dirtyCode(git, ws);
  if (dirty.length && !opts.allowDirty) {
    result.failures.push({
      code: 'tree-dirty',
      message: `uncommitted changes outside the documents and evidence: ${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ` (+${dirty.length - 5})` : ''}; the evidence would name a commit that is not what was tested. Commit them, or pass --allow-dirty (recorded in the manifest)`,
    });
  }
  result.failures.push(...pre.failures);
  // Criteria that no check can settle (an unticked box, an open referenced item, a plain
  // bullet nobody signed off) refuse the closure before a long check suite runs. Read
  // without the closure lock: only a refusal comes of it; the criteria recorded are
  // decided again after the checks, from what is read under the lock.
  verifyCriteria(root, ws, node, [], result, opts.signOff, false, liveFiles);
  result.evidenceRoot = pre.evidence?.rel ?? null;
  if (result.failures.length || !pre.evidence) return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);

  const stamp = now().toISOString().replace(/:/g, '-');
  const attemptRel = `attempts/${stamp}`;
  const attemptAbs = path.join(pre.evidence.abs, attemptRel);
  const source = { ...process.env, ...(opts.env ?? {}) };
  const env = checkEnv(source, ws.profile.profile.checks);
  const known = knownSecretsFromEnv(source);
  const limits = { ...DEFAULT_OUTPUT_LIMITS, ...(opts.output ?? {}) };
  const outputs: { file: string; bytes: Buffer }[] = [];
  const commands = closureChecks(node);
  // One closure's checks at a time in this checkout: they build into the working tree and
  // spawn what they built (closure-lock.ts, withChecksLock).
  const evidence = pre.evidence;
  const locked = await underChecksLock(root, source, env, opts, async (env) => {
    for (const [i, check] of commands.entries()) {
      opts.onCheck?.({ index: i, total: commands.length, command: check.command });
      const outputFile = `${attemptRel}/checks/${String(i + 1).padStart(2, '0')}-${slug(check.command)}.log`;
      const { timedOut, overLimit, log, ...record } = await runCheck(root, check.command, opts.checkTimeoutMs ?? 600_000, env, known, limits, now);
      outputs.push({ file: outputFile, bytes: log });
      const full: CheckRecord = { name: checkName(check.command), command: check.command, ...record, outputFile };
      result.checks.push(full);
      opts.onCheck?.({ index: i, total: commands.length, command: check.command, result: full });
      if (full.exitCode !== 0) {
        const why = timedOut ? ' (killed: over the time limit)' : overLimit ? ` (killed: printed more than ${limits.maxOutputBytes} bytes)` : '';
        result.failures.push({
          code: 'check-failed',
          message: `\`${check.command}\` exited ${full.exitCode}${why}; output in ${evidence.rel}/${outputFile}`,
          line: check.line,
        });
      }
    }
  });
  if (locked) {
    result.failures.push(
      locked.code === 'checks-lock-nested'
        ? { code: 'checks-lock-nested', message: `no check ran: ${locked.message}; run it outside the other closure's checks, or in another clone` }
        : {
            code: 'checks-lock-timeout',
            message: `no check ran: ${locked.code === 'lock-timeout' ? 'another closure ran its checks in this checkout for longer than this one waits' : 'the checks lock could not be taken'} (${locked.message})`,
          },
    );
    return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);
  }
  // The checks ran arbitrary commands: the evidence root is resolved again before
  // anything is written into it (a check may have replaced a folder with a symlink).
  const again = [resolveEvidenceRoot(root, pre.evidence.rel), resolveEvidenceRoot(root, `${pre.evidence.rel}/${attemptRel}/checks`)].find((r) => !r.ok);
  if (again && !again.ok) {
    result.failures.push({ code: 'evidence-root-outside', message: `${node.id}: ${again.reason} (after the checks ran); no evidence was written` });
    return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);
  }
  const manifestRel = `${pre.evidence.rel}/${MANIFEST_FILE}`;
  const closureLockOptions: LockOptions = { timeoutMs: 60_000, ...opts.lock };
  const notPublished = (err: WriteError) =>
    result.failures.push({ code: 'status-write-failed', message: `checks passed, but the closure was not published (nothing written to ${manifestRel} or the status): ${err.code}: ${err.message}` });
  // What the phase audit and the criteria verified by other items read of closures (the
  // audit log, the manifests and what they hash) is read under the closure lock, as
  // `govern audit` reads it, so a closure being published meanwhile is seen whole or not
  // at all. Only the reading: the phase audit's git work runs after the lock is released,
  // and the checks above ran before it was taken (they may run `govern audit`). Only the
  // closures they look at are read (the done items of the phase audit's documents and the
  // items the criteria name), not every done item of the repository: others wait for it.
  const scope = phaseScope(ws, node);
  let snapshot: AuditSnapshot | null = null;
  if (!result.failures.length) {
    try {
      snapshot = await withClosureLock(root, () => readSnapshot(ws, { items: scope.items }), closureLockOptions);
    } catch (err) {
      if (!isLockNotTaken(err)) throw err;
      notPublished(err);
    }
  }
  if (snapshot) {
    const phase = phaseAudit(ws, scope.files, snapshot);
    const outputFile = `${attemptRel}/checks/${String(result.checks.length + 1).padStart(2, '0')}-phase-audit.log`;
    const log = Buffer.from(phase.lines.length ? `${phase.lines.join('\n')}\n` : `no error in ${phase.files.join(', ')}\n`);
    outputs.push({ file: outputFile, bytes: log });
    const rec: CheckRecord = {
      name: 'phase audit',
      command: `govern audit (built in: ${phase.files.join(', ')})`,
      exitCode: phase.lines.length ? 1 : 0,
      durationMs: phase.ms,
      startedAt: now().toISOString(),
      outputSha256: sha256(log),
      outputFile,
      outputBytes: log.length,
      outputTruncated: false,
      redactions: 0,
    };
    result.checks.push(rec);
    if (phase.lines.length) {
      result.failures.push({ code: 'phase-audit-failed', message: `the audit of ${node.id}'s documents and dependencies found ${phase.lines.length} error(s); output in ${pre.evidence.rel}/${outputFile}` });
    }
  }
  for (const o of outputs) writeFileAtomic(path.join(pre.evidence.abs, o.file), o.bytes);
  const criteria = verifyCriteria(root, ws, node, commands, result, opts.signOff, true, snapshot?.files ?? liveFiles);

  const manifest: EvidenceManifest = EvidenceManifestSchema.parse({
    schemaVersion: 1,
    item: node.id,
    createdAt: now().toISOString(),
    gitCommit: git.head(),
    treeClean: dirty.length === 0,
    ...(dirty.length ? { dirtyPaths: dirty } : {}),
    lockfileSha256: lockfileHash(root),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    inputs: { projects: checkedProjects(commands.map((c) => c.command)) },
    toolVersion: opts.toolVersion ?? '0.0.0',
    checks: result.checks,
    passed: result.failures.length === 0,
    files: [],
    criteria,
    failures: result.failures.map((f) => f.message),
  });
  writeFileAtomic(path.join(attemptAbs, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  result.attemptManifest = `${pre.evidence.rel}/${attemptRel}/${MANIFEST_FILE}`;
  if (!manifest.passed) return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);

  const manifestBytes = `${JSON.stringify(manifest, null, 2)}\n`;
  const evidenceAbs = pre.evidence.abs;
  // Publishing (manifest, status, close record) under the closure lock, so an audit in
  // another process sees this closure whole or not at all. Only here: the checks above
  // run `govern audit`, which takes the same lock. Outermost lock: setStatus takes the
  // document's lock and the audit-log lock inside it. A closure waits longer than the
  // default 15 s, since an audit of a large repository may hold the lock for seconds and
  // giving up would waste the checks that passed.
  try {
    return await withClosureLock(root, () => publish(root, node, ws, result, evidenceAbs, manifestRel, manifestBytes, { actor, via, now }, opts), closureLockOptions);
  } catch (err) {
    if (!isLockNotTaken(err)) throw err;
    notPublished(err);
    return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);
  }
}

/**
 * Writes the evidence root's manifest and the status write (or, for an item already done,
 * the close record alone) that binds it; run under the closure lock. A manifest no close
 * record binds is what `govern audit` reports as forged: when the status or the close
 * record cannot be written, the previous manifest (a done item's, still bound by its own
 * record) is put back, or the new one removed, before the failure is reported.
 */
async function publish(
  root: string,
  node: GraphNode,
  ws: Workspace,
  result: CloseResult,
  evidenceAbs: string,
  manifestRel: string,
  manifestBytes: string,
  who: { actor: string; via: string; now: () => Date },
  opts: CloseOptions,
): Promise<CloseResult> {
  const { actor, via, now } = who;
  const file = path.join(evidenceAbs, MANIFEST_FILE);
  const previous = fs.existsSync(file) ? fs.readFileSync(file) : null;
  const putBack = () => {
    if (previous) writeFileAtomic(file, previous);
    else fs.rmSync(file, { force: true });
    result.manifest = null;
  };
  writeFileAtomic(file, manifestBytes);
  result.manifest = manifestRel;
  try {
    result.status = await setStatus({
      root,
      id: node.id,
      status: 'done',
      workspace: ws,
      force: opts.force === true,
      reason: opts.reason ?? `closed with evidence ${manifestRel}`,
      actor,
      via,
      now: now(),
      closure: { evidence: manifestRel, evidenceSha256: sha256(manifestBytes) },
      ...(opts.lock ? { lock: opts.lock } : {}),
    });
  } catch (err) {
    putBack();
    const message = err instanceof WriteError ? `${err.code}: ${err.message}` : (err as Error).message;
    result.failures.push({ code: 'status-write-failed', message: `checks passed, but the status was not set (${manifestRel} was put back as it was): ${message}` });
    return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);
  }
  if (!result.status.changed) {
    // Re-closing an item that is already done renews its evidence: the status write has
    // nothing to record, but the new manifest must be bound by a close record all the same.
    try {
      result.status.audit = await appendAudit(
        root,
        {
          at: now(),
          action: 'close',
          actor,
          via,
          item: node.id,
          file: node.source.file,
          from: result.status.from,
          to: result.status.to,
          hashBefore: result.status.hashBefore,
          hashAfter: result.status.hashAfter,
          reason: opts.reason ?? `evidence renewed: ${manifestRel}`,
          forced: [],
          evidence: manifestRel,
          evidenceSha256: sha256(manifestBytes),
        },
        opts.lock,
      );
    } catch (err) {
      putBack();
      throw err;
    }
  }
  result.passed = true;
  return result;
}

function preconditions(root: string, node: GraphNode, ws: Workspace, force: boolean): { failures: CloseFailure[]; evidence: { rel: string; abs: string } | null } {
  const failures: CloseFailure[] = [];
  let evidence: { rel: string; abs: string } | null = null;
  if (!node.evidenceRoot) {
    failures.push({
      code: 'evidence-root-missing',
      message: `${node.id} declares no evidence root; add one (see docs/formats.md: an Evidence Roots list, \`evidence_root:\` or an \`Evidence root:\` line)`,
    });
  } else {
    const r = resolveEvidenceRoot(root, node.evidenceRoot);
    if (!r.ok) failures.push({ code: 'evidence-root-outside', message: `${node.id}: ${r.reason}; nothing was run` });
    else if (evidenceRootIgnored(root, r.rel) === true) {
      failures.push({ code: 'evidence-root-ignored', message: `${node.id}: ${r.rel}/ is ignored by git, so its evidence could never be committed; nothing was run` });
    } else evidence = { rel: r.rel, abs: r.abs };
  }
  if (!closureChecks(node).length) {
    failures.push({ code: 'checks-missing', message: `${node.id} declares no checks; a closure without a check proves nothing (see docs/formats.md)` });
  }
  for (const v of lifecycleViolations(node.id, node.status, 'done', blockersOf(ws.index, node), ws.profile, { closure: true })) {
    if (v.forceable && force) continue;
    failures.push({ code: v.code === 'dependencies-not-done' ? 'dependencies-not-done' : 'transition-forbidden', message: v.message });
  }
  // A workplan is done only when everything it contains is: its tasks close first.
  const open = ws.index.graph.nodes.filter((n) => n.parent === node.id && n.id !== node.id && n.status !== 'done');
  if (open.length) {
    failures.push({
      code: 'children-not-done',
      message: `${node.id} contains items that are not done: ${open.map((n) => `${n.id} (${n.status ?? 'no status'})`).join(', ')}`,
    });
  }
  return { failures, evidence };
}

/** The item's checks, then the commands its criteria name (`Check:`) that it does not list, once each. */
function closureChecks(node: GraphNode): { command: string; line: number }[] {
  const out: { command: string; line: number }[] = node.checks.map((c) => ({ command: c.command, line: c.line }));
  const seen = new Set(out.map((c) => c.command));
  for (const c of node.criteria) {
    for (const command of c.checks ?? []) {
      if (seen.has(command)) continue;
      seen.add(command);
      out.push({ command, line: c.line });
    }
  }
  return out;
}

/**
 * Decides how each criterion is verified (see `CriterionVerificationSchema`) and adds a
 * failure for each that is not: an unticked checkbox, a check that failed, a referenced
 * item that is not done with a passing manifest, or a plain bullet without a sign-off.
 * Before the checks ran (`ran` false) the tied checks are not judged yet.
 */
function verifyCriteria(
  root: string,
  ws: Workspace,
  node: GraphNode,
  commands: { command: string }[],
  result: CloseResult,
  signOff: string | undefined,
  ran: boolean,
  files: EvidenceFiles,
): CriterionRecord[] {
  const out: CriterionRecord[] = [];
  const who = signOff?.trim();
  for (const c of node.criteria) {
    const rec: CriterionRecord = { text: c.text, checked: c.checked };
    const fail = (code: CloseFailure['code'], message: string) => result.failures.push({ code, message, line: c.line });
    if (c.checked === false) {
      fail('criteria-unchecked', `exit criterion not checked: ${c.text}`);
    } else if (c.checks?.length) {
      const positions = c.checks.map((cmd) => commands.findIndex((k) => k.command === cmd) + 1);
      rec.verification = { kind: 'check', checks: positions };
      const failed = ran ? positions.filter((p) => (result.checks[p - 1]?.exitCode ?? 1) !== 0) : [];
      if (failed.length) fail('criteria-unverified', `"${c.text}": its check ${failed.map((p) => `\`${commands[p - 1]!.command}\``).join(', ')} did not pass`);
    } else if (c.verifiedBy?.length) {
      const items: { id: string; evidence: string }[] = [];
      for (const id of c.verifiedBy) {
        const evidence = passingEvidence(root, ws, id, files);
        if (typeof evidence === 'string') items.push({ id, evidence });
        else fail('criteria-unverified', `"${c.text}": verified by ${id}, but ${evidence.why}`);
      }
      if (items.length === c.verifiedBy.length) rec.verification = { kind: 'item', items };
    } else if (c.checked === true) {
      rec.verification = { kind: 'checkbox' };
    } else if (who) {
      rec.verification = { kind: 'manual', signedOffBy: who };
    } else {
      fail(
        'criteria-unverified',
        `"${c.text}" is not verified: tie it to a check (a \`Check: <command>\` line under it), name the item whose closure verifies it (\`Verified by: ID\`), or sign it off with --sign-off <who>`,
      );
    }
    out.push(rec);
  }
  return out;
}

/** The manifest path of `id`'s passing closure, or why there is none; its manifest read through `files`. */
function passingEvidence(root: string, ws: Workspace, id: string, files: EvidenceFiles): string | { why: string } {
  const other = ws.index.byId.get(id);
  if (!other) return { why: `there is no item ${id}` };
  if (other.status !== 'done') return { why: `${id} is ${other.status ?? 'without status'}` };
  if (!other.evidenceRoot) return { why: `${id} declares no evidence root` };
  const r = resolveEvidenceRoot(root, other.evidenceRoot);
  if (!r.ok || !r.exists) return { why: `${id}'s evidence root ${other.evidenceRoot} does not exist` };
  let read: ManifestRead | null;
  try {
    read = files.manifest(path.join(r.abs, MANIFEST_FILE));
  } catch {
    read = null;
  }
  if (!read || !('manifest' in read.parsed)) return { why: `${id} has no valid ${r.rel}/${MANIFEST_FILE}` };
  const m = read.parsed.manifest;
  if (m.item !== id || !m.passed) return { why: `${id}'s manifest records no passing closure` };
  return `${r.rel}/${MANIFEST_FILE}`;
}

async function recordFailure(
  root: string,
  result: CloseResult,
  who: { actor: string; via: string; reason: string | null; at: Date },
  lock: LockOptions | undefined,
): Promise<CloseResult> {
  await appendAudit(
    root,
    {
      at: who.at,
      action: 'close-failed',
      actor: who.actor,
      via: who.via,
      item: result.item,
      file: result.file,
      from: null,
      to: null,
      hashBefore: null,
      hashAfter: null,
      reason: who.reason,
      forced: [],
      evidence: result.attemptManifest,
      failures: result.failures.map((f) => f.message),
    },
    lock,
  );
  return result;
}

export interface VerifyOptions {
  root: string;
  id: string;
  checkTimeoutMs?: number;
  env?: Record<string, string | undefined>;
  workspace?: Workspace;
  cacheDir?: string | null;
  onCheck?: CloseOptions['onCheck'];
  /** As in {@link CloseOptions}: verify runs checks under the same checks lock. */
  checksLockTimeoutMs?: number;
  onChecksWait?: CloseOptions['onChecksWait'];
}

export interface VerifyResult {
  item: string;
  /** The manifest compared with (relative), null when the item has none. */
  manifest: string | null;
  /** Its commit, and HEAD now. */
  recordedCommit: string | null;
  head: string | null;
  checks: { command: string; recordedExitCode: number; exitCode: number; durationMs: number; same: boolean }[];
  /** Every recorded check ran again and exited as recorded (0). */
  passed: boolean;
  problems: string[];
}

/**
 * `govern verify <id>`: runs the checks a closure recorded, now, with the same environment
 * rules, and compares their exit codes with the manifest's. Writes nothing: no evidence,
 * no status, no audit record. Answers "would this closure still pass on HEAD?".
 */
export async function verifyItem(opts: VerifyOptions): Promise<VerifyResult> {
  const root = path.resolve(opts.root);
  const ws = opts.workspace ?? (await loadWorkspace({ root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) }));
  const node = ws.index.byId.get(opts.id);
  if (!node) throw new WriteError('item-not-found', `no item ${opts.id} in ${root}`, { item: opts.id });
  const result: VerifyResult = { item: node.id, manifest: null, recordedCommit: null, head: new Git(root).head(), checks: [], passed: false, problems: [] };
  const ev = node.evidenceRoot ? resolveEvidenceRoot(root, node.evidenceRoot) : null;
  if (!ev || !ev.ok) {
    result.problems.push(`${node.id} has no usable evidence root${ev && !ev.ok ? `: ${ev.reason}` : ''}`);
    return result;
  }
  const rel = `${ev.rel}/${MANIFEST_FILE}`;
  let manifest: EvidenceManifest;
  try {
    manifest = EvidenceManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8')));
  } catch (err) {
    result.problems.push(`${rel} cannot be read as a manifest (${(err as Error).message.split('\n')[0]}); close the item first`);
    return result;
  }
  result.manifest = rel;
  result.recordedCommit = manifest.gitCommit;
  const source = { ...process.env, ...(opts.env ?? {}) };
  const env = checkEnv(source, ws.profile.profile.checks);
  const known = knownSecretsFromEnv(source);
  const recorded = manifest.checks.filter((c) => !c.command.startsWith('govern audit (built in'));
  // The same checks lock as `govern close`: the checks build into the working tree.
  const locked = await underChecksLock(root, source, env, opts, async (env) => {
    for (const [i, c] of recorded.entries()) {
      opts.onCheck?.({ index: i, total: recorded.length, command: c.command });
      const r = await runCheck(root, c.command, opts.checkTimeoutMs ?? 600_000, env, known, DEFAULT_OUTPUT_LIMITS, () => new Date());
      result.checks.push({ command: c.command, recordedExitCode: c.exitCode, exitCode: r.exitCode, durationMs: r.durationMs, same: r.exitCode === c.exitCode });
      opts.onCheck?.({ index: i, total: recorded.length, command: c.command, result: { ...c, exitCode: r.exitCode, durationMs: r.durationMs } });
    }
  });
  if (locked) {
    result.problems.push(`no check ran: the checks lock was not taken (${locked.message})`);
    return result;
  }
  for (const c of result.checks) if (!c.same) result.problems.push(`\`${c.command}\` exited ${c.exitCode} now; the manifest recorded ${c.recordedExitCode}`);
  if (!recorded.length) result.problems.push(`${rel} records no check to run again`);
  result.passed = result.problems.length === 0 && result.checks.every((c) => c.exitCode === 0);
  return result;
}

/** How much of a check's output is kept as evidence, and how much it may print at all. */
export interface OutputLimits {
  /** Bytes kept from the start of the output (default 256 KiB). */
  headBytes: number;
  /** Bytes kept from the end (default 256 KiB). */
  tailBytes: number;
  /** A check that prints more is killed and fails (default 512 MiB). */
  maxOutputBytes: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { headBytes: 256 * 1024, tailBytes: 256 * 1024, maxOutputBytes: 512 * 1024 * 1024 };

interface RunRecord {
  exitCode: number;
  durationMs: number;
  startedAt: string;
  outputSha256: string;
  outputBytes: number;
  outputTruncated: boolean;
  fullOutputSha256?: string;
  redactions: number;
  timedOut: boolean;
  overLimit: boolean;
  /** The log as it is to be stored: redacted, and capped to head and tail. */
  log: Buffer;
}

/** Keeps the first `head` bytes and the last `tail` bytes of a stream in bounded memory. */
class HeadTail {
  private readonly headParts: Buffer[] = [];
  private headLen = 0;
  private tailParts: Buffer[] = [];
  private tailLen = 0;
  total = 0;
  constructor(
    private readonly head: number,
    private readonly tail: number,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.head) {
      const take = Math.min(this.head - this.headLen, chunk.length);
      this.headParts.push(chunk.subarray(0, take));
      this.headLen += take;
      chunk = chunk.subarray(take);
    }
    if (!chunk.length) return;
    this.tailParts.push(Buffer.from(chunk));
    this.tailLen += chunk.length;
    while (this.tailParts.length > 1 && this.tailLen - this.tailParts[0]!.length >= this.tail) this.tailLen -= this.tailParts.shift()!.length;
    if (this.tailParts.length > 8 * 1024) this.tailParts = [Buffer.concat(this.tailParts)];
  }

  /** The kept bytes; `omitted` is how many were dropped between head and tail. */
  result(): { head: Buffer; tail: Buffer; omitted: number } {
    const head = Buffer.concat(this.headParts);
    let tail = Buffer.concat(this.tailParts);
    if (tail.length > this.tail) tail = tail.subarray(tail.length - this.tail);
    return { head, tail, omitted: this.total - head.length - tail.length };
  }
}

/**
 * Runs one check through the shell, stdout and stderr together into one log, hashed as
 * it streams (a check may print gigabytes; nothing is read back). The stored log keeps
 * the first and last bytes only, with a line saying how much was left out and the full
 * output's size and sha256, and is redacted of secrets before it is returned. A check
 * that prints more than `maxOutputBytes` is killed and fails.
 *
 * Every process the check starts carries a marker variable, so on timeout, on the output
 * limit and when the check's shell exits, its whole tree is killed, including processes
 * that left its process group with `setsid`.
 */
async function runCheck(
  root: string,
  command: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
  known: KnownSecret[],
  limits: OutputLimits,
  now: () => Date,
): Promise<RunRecord> {
  const startedAt = now().toISOString();
  const t0 = performance.now();
  const marker = `${MARKER}=${crypto.randomBytes(12).toString('hex')}`;
  const hash = crypto.createHash('sha256');
  const kept = new HeadTail(limits.headBytes, limits.tailBytes);
  let timedOut = false;
  let overLimit = false;
  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: root,
      env: { ...env, [MARKER]: marker.slice(MARKER.length + 1) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const kill = () => killTree(child.pid, marker);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      if (overLimit) return;
      if (kept.total + chunk.length > limits.maxOutputBytes) {
        chunk = chunk.subarray(0, limits.maxOutputBytes - kept.total);
        overLimit = true;
        kill();
      }
      hash.update(chunk);
      kept.push(chunk);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let code: number | null = null;
    let open = 2;
    const done = () => {
      if (code === null || open > 0) return;
      clearTimeout(timer);
      resolve(code);
    };
    for (const s of [child.stdout!, child.stderr!]) {
      s.on('close', () => {
        open--;
        done();
      });
    }
    child.on('error', (err) => {
      const msg = Buffer.from(`govern: could not start the check: ${err.message}\n`);
      hash.update(msg);
      kept.push(msg);
      code = 127;
      open = 0;
      done();
    });
    child.on('exit', (c, signal) => {
      // Killed by a signal: the shell's convention, 128 + the signal's number.
      code = c ?? 128 + (signal ? os.constants.signals[signal] : 0);
      // What the check left running would hold its output pipes open: the check is over.
      kill();
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }, 2000).unref();
      done();
    });
  });
  const { head, tail, omitted } = kept.result();
  const fullSha = hash.digest('hex');
  const note = omitted > 0 ? Buffer.from(`\n[govern: ${omitted} bytes left out here; the whole output was ${kept.total} bytes, sha256 ${fullSha}]\n`) : Buffer.alloc(0);
  const raw = Buffer.concat([head, note, tail]).toString('utf8');
  const { text, findings } = await redactSecrets(raw, { known });
  const log = Buffer.from(text, 'utf8');
  return {
    exitCode: overLimit && exitCode === 0 ? 1 : exitCode,
    durationMs: Math.round(performance.now() - t0),
    startedAt,
    outputSha256: sha256(log),
    outputBytes: kept.total,
    outputTruncated: omitted > 0,
    ...(omitted > 0 ? { fullOutputSha256: fullSha } : {}),
    redactions: findings.length,
    timedOut,
    overLimit,
    log,
  };
}

const MARKER = 'GOVERN_CHECK_RUN';

/**
 * SIGKILLs a check's process group and every process that carries its marker in its
 * environment (found through /proc; a `setsid` child has left the group but not the
 * environment). Processes of other users cannot be read and are not ours.
 */
function killTree(pid: number | undefined, marker: string): void {
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return;
  }
  const needle = Buffer.from(`${marker}\0`);
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = fs.readFileSync(`/proc/${e}/environ`);
    } catch {
      continue;
    }
    if (environ.includes(needle)) {
      try {
        process.kill(Number(e), 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
}

/** The variables every check gets (when set), besides those the profile's `checks.env` adds. */
export const BASE_CHECK_ENV: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'HOSTNAME', 'LANG', 'LANGUAGE', 'LC_*', 'TERM', 'TZ', 'TMPDIR', 'TMP', 'TEMP',
  'CI', 'XDG_*', 'NODE_OPTIONS', 'NODE_ENV', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
  'NX_*', 'npm_config_*', 'GOVERN_*', 'JAVA_HOME', 'GOPATH', 'GOROOT', 'GOCACHE', 'CARGO_HOME', 'RUSTUP_HOME', 'VIRTUAL_ENV', 'PYTHONPATH',
];

/**
 * The environment of a check: {@link BASE_CHECK_ENV} and the variables the profile's `checks.env` names (minus any
 * whose name says it is a secret, unless `checks.secrets` names it exactly), plus
 * `GOVERN_CLOSE=1`, with colours off — the output is evidence in a file, and escape codes
 * would make the same result hash differently depending on the terminal.
 */
export function checkEnv(source: Record<string, string | undefined>, rules: { env?: string[]; secrets?: string[] }): NodeJS.ProcessEnv {
  const allow = [...BASE_CHECK_ENV, ...(rules.env ?? [])].map((p) => (p.endsWith('*') ? { prefix: p.slice(0, -1) } : { name: p }));
  const secrets = new Set(rules.secrets ?? []);
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (secrets.has(name)) {
      out[name] = value;
      continue;
    }
    if (isSecretName(name) || name === MARKER) continue;
    if (allow.some((a) => ('name' in a ? a.name === name : name.startsWith(a.prefix)))) out[name] = value;
  }
  out.GOVERN_CLOSE = '1';
  out.NO_COLOR = '1';
  delete out.FORCE_COLOR;
  return out;
}

/**
 * Uncommitted changes that matter to what a closure proves: everything but the workspace's
 * documents (statuses are written by govern), the audit log, declared evidence roots and
 * `.govern/`. Empty outside a git working tree (nothing to compare with).
 */
function dirtyCode(git: Git, ws: Workspace): string[] {
  const paths = git.dirtyPaths();
  if (!paths) return [];
  const docs = new Set(ws.documents.map((d) => d.file));
  const roots = ws.index.graph.nodes.flatMap((n) => (n.evidenceRoot ? [resolveEvidenceRoot(ws.root, n.evidenceRoot)] : [])).flatMap((r) => (r.ok ? [`${r.rel}/`] : []));
  return paths.filter((p) => !docs.has(p) && p !== AUDIT_LOG && !p.startsWith('.govern/') && !roots.some((r) => p.startsWith(r) || `${p}/` === r));
}

const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'];

function lockfileHash(root: string): string | null {
  for (const f of LOCKFILES) {
    try {
      return sha256(fs.readFileSync(path.join(root, f)));
    } catch {
      // Not this one.
    }
  }
  return null;
}

/**
 * What a closure's phase audit and its criteria verified by other items look at: the
 * documents of the item, of its children and of the items it depends on (`files`), and
 * the items whose closures they read (`items`: every item of those documents, and the
 * items its criteria name in `Verified by:`).
 */
function phaseScope(ws: Workspace, node: GraphNode): { files: string[]; items: Set<string> } {
  const byId = ws.index.byId;
  const related = [node, ...ws.index.graph.nodes.filter((n) => n.parent === node.id), ...node.dependsOn.map((d) => byId.get(d)).filter((n): n is GraphNode => !!n)];
  const inScope = new Set(related.map((n) => n.source.file));
  const files = [...inScope].sort();
  const items = new Set([...ws.documents.filter((d) => inScope.has(d.file)).flatMap((d) => d.items.map((i) => i.id)), ...node.criteria.flatMap((c) => c.verifiedBy ?? [])]);
  return { files, items };
}

/**
 * The audit of what a closure stands on: its own document, the documents of its children
 * and of the items it depends on (`files`, from {@link phaseScope}). Seed 004's "a phase
 * audit has passed", run by every closure as its last check instead of only when someone
 * lists it. What closures published is read from `snapshot` (taken under the closure lock).
 */
function phaseAudit(ws: Workspace, files: string[], snapshot: AuditSnapshot): { files: string[]; lines: string[]; ms: number } {
  const t0 = performance.now();
  const documents = new Set(files);
  const lines = auditWorkspace(ws, { documents }, snapshot)
    .diagnostics.filter((d) => d.severity === 'error' && d.file !== undefined && documents.has(d.file))
    .map((d) => `${d.file}:${d.line}:${d.column} error ${d.code} ${d.message}`);
  return { files, lines, ms: Math.round(performance.now() - t0) };
}

/** `npx nx run binder:test` → `binder:test`; otherwise the command itself, shortened. */
function checkName(command: string): string {
  const nx = /\bnx\s+run\s+(\S+)/.exec(command);
  if (nx) return nx[1]!;
  return command.length > 60 ? `${command.slice(0, 57)}...` : command;
}

function slug(command: string): string {
  return checkName(command).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'check';
}
