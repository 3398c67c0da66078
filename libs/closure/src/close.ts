import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockersOf, type GraphNode } from '@govern/graph';
import { loadWorkspace, writeFileAtomic, type Workspace } from '@govern/workspace';
import { appendAudit, defaultActor, lifecycleViolations, setStatus, sha256, WriteError, type LockOptions, type SetStatusResult } from '@govern/write';
import { resolveEvidenceRoot } from './evidence-path.js';
import { EvidenceManifestSchema, MANIFEST_FILE, type CheckRecord, type EvidenceManifest } from './manifest.js';

export interface CloseOptions {
  root: string;
  id: string;
  /** Per-check time limit (default 10 minutes); a check over it is killed and fails. */
  checkTimeoutMs?: number;
  /** Override unfinished dependencies (recorded); never overrides failing checks. */
  force?: boolean;
  reason?: string;
  actor?: string;
  via?: string;
  toolVersion?: string;
  now?: () => Date;
  env?: Record<string, string | undefined>;
  lock?: LockOptions;
  workspace?: Workspace;
  cacheDir?: string | null;
  /** Called as each check starts and ends (progress for the CLI). */
  onCheck?: (event: { index: number; total: number; command: string; result?: CheckRecord }) => void;
}

export interface CloseFailure {
  code:
    | 'evidence-root-missing'
    | 'evidence-root-outside'
    | 'checks-missing'
    | 'check-failed'
    | 'criteria-unchecked'
    | 'dependencies-not-done'
    | 'children-not-done'
    | 'transition-forbidden'
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

/**
 * `govern close`: runs the item's checks from the repository root, records an
 * evidence manifest for the attempt under `<evidence root>/attempts/<time>/`,
 * and only when every check passed and every checkbox criterion is checked
 * writes `<evidence root>/manifest.json` and sets the status to done through
 * the same write path as `setStatus`. A failure says exactly what failed,
 * leaves the status alone and is still recorded (attempt manifest and audit log).
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
  const pre = preconditions(root, node, ws, opts.force === true);
  result.failures.push(...pre.failures);
  result.evidenceRoot = pre.evidence?.rel ?? null;
  if (result.failures.length || !pre.evidence) return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);

  const stamp = now().toISOString().replace(/:/g, '-');
  const attemptRel = `attempts/${stamp}`;
  const attemptAbs = path.join(pre.evidence.abs, attemptRel);
  fs.mkdirSync(path.join(attemptAbs, 'checks'), { recursive: true });
  for (const [i, check] of node.checks.entries()) {
    opts.onCheck?.({ index: i, total: node.checks.length, command: check.command });
    const outputFile = `${attemptRel}/checks/${String(i + 1).padStart(2, '0')}-${slug(check.command)}.log`;
    const { timedOut, ...record } = await runCheck(root, check.command, path.join(pre.evidence.abs, outputFile), opts.checkTimeoutMs ?? 600_000, opts.env, now);
    const full: CheckRecord = { name: checkName(check.command), command: check.command, ...record, outputFile };
    result.checks.push(full);
    opts.onCheck?.({ index: i, total: node.checks.length, command: check.command, result: full });
    if (full.exitCode !== 0) {
      result.failures.push({
        code: 'check-failed',
        message: `\`${check.command}\` exited ${full.exitCode}${timedOut ? ' (killed: over the time limit)' : ''}; output in ${pre.evidence.rel}/${outputFile}`,
        line: check.line,
      });
    }
  }
  for (const c of node.criteria) {
    if (c.checked === false) result.failures.push({ code: 'criteria-unchecked', message: `exit criterion not checked: ${c.text}`, line: c.line });
  }

  const manifest: EvidenceManifest = EvidenceManifestSchema.parse({
    schemaVersion: 1,
    item: node.id,
    createdAt: now().toISOString(),
    gitCommit: gitCommit(root),
    toolVersion: opts.toolVersion ?? '0.0.0',
    checks: result.checks,
    passed: result.failures.length === 0,
    files: [],
    criteria: node.criteria.map((c) => ({ text: c.text, checked: c.checked })),
    failures: result.failures.map((f) => f.message),
  });
  writeFileAtomic(path.join(attemptAbs, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  result.attemptManifest = `${pre.evidence.rel}/${attemptRel}/${MANIFEST_FILE}`;
  if (!manifest.passed) return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);

  const manifestRel = `${pre.evidence.rel}/${MANIFEST_FILE}`;
  writeFileAtomic(path.join(pre.evidence.abs, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
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
      closure: { evidence: manifestRel },
      ...(opts.lock ? { lock: opts.lock } : {}),
    });
  } catch (err) {
    const message = err instanceof WriteError ? `${err.code}: ${err.message}` : (err as Error).message;
    result.failures.push({ code: 'status-write-failed', message: `checks passed and ${manifestRel} was written, but the status was not set: ${message}` });
    return recordFailure(root, result, { actor, via, reason: opts.reason ?? null, at: now() }, opts.lock);
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
    else evidence = { rel: r.rel, abs: r.abs };
  }
  if (!node.checks.length) {
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

interface RunRecord {
  exitCode: number;
  durationMs: number;
  startedAt: string;
  outputSha256: string;
  timedOut: boolean;
}

/** Runs one check through the shell with stdout and stderr into one log file. */
function runCheck(root: string, command: string, logFile: string, timeoutMs: number, env: CloseOptions['env'], now: () => Date): Promise<RunRecord> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'w');
  const startedAt = now().toISOString();
  const t0 = performance.now();
  return new Promise((resolve) => {
    let timedOut = false;
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: root,
      env: checkEnv(env),
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        // The whole process group: `sh -c` may have started children of its own.
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    const finish = (code: number) => {
      clearTimeout(timer);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      resolve({
        exitCode: code,
        durationMs: Math.round(performance.now() - t0),
        startedAt,
        outputSha256: sha256(fs.readFileSync(logFile)),
        timedOut,
      });
    };
    child.on('error', (err) => {
      fs.writeSync(fd, `govern: could not start the check: ${err.message}\n`);
      finish(127);
    });
    // Killed by a signal: the shell's convention, 128 + the signal's number.
    child.on('exit', (code, signal) => finish(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  });
}

/**
 * The environment of a check: the caller's, plus `GOVERN_CLOSE=1`, with colours
 * off — the output is evidence in a file, and escape codes would make the same
 * result hash differently depending on the terminal `govern close` ran in.
 */
function checkEnv(env: CloseOptions['env']): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ...(env ?? {}), GOVERN_CLOSE: '1', NO_COLOR: '1' };
  delete out.FORCE_COLOR;
  return out;
}

function gitCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
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
