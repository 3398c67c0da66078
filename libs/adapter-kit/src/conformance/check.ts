import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '@govern/contracts';
import { CAPABILITIES } from '../capabilities.js';
import { AdapterError, POLICY_REASONS } from '../errors.js';
import { matchesAny } from '../glob.js';
import { CompatibilityManifestSchema, contractProblems, manifestHash, resolveOwnership, STANDARDS, type CompatibilityManifest } from '../manifest.js';
import { composePacks, MissingCapabilityError, type Pack } from '../pack.js';
import { RECORD_SCHEMAS } from '../records.js';
import { esbuildChildRunner, type ChildRun, type ChildRunner } from './child.js';
import { STANDARD, SUBCHECKS, type ConformanceReport, type SubcheckName, type SubcheckResult } from './report.js';
import { diffTrees, outsideBoundary, seedForeignFiles, snapshotTree, type TreeChange } from './sandbox.js';
import { SUITES } from './suites.js';
import { runWorkload, type ConformanceInputs, type RunConfig, type RunResult, type Step } from './workload.js';

/** What a pack changed outside its root, as its harness sees it. */
export interface Observation {
  /** DuckDB (or other) tables: name → a digest of their content. */
  tables?: Record<string, string>;
  /** Remote resources written so far, as `<service>:<resource>` (a cumulative log: the run's writes are what it grew by). */
  remote?: string[];
}

/** What a harness sets up in a fresh sandboxed root for one run. */
export interface SandboxSetup {
  /** The pack's options for this sandbox (JSON: they go to the other process too). */
  options?: unknown;
  secrets?: Record<string, string>;
  inputs?: ConformanceInputs;
  /** Strings that differ from sandbox to sandbox (a server's URL): replaced before transcripts are compared. */
  volatile?: string[];
  /** Called before and after the run, with no instance of the pack open. */
  observe?(): Promise<Observation>;
  /** Stops what the sandbox started (servers); the kit removes the root. */
  close?(): Promise<void>;
}

/**
 * How to give a pack an environment: a pack that needs nothing but a root needs
 * no harness; a remote pack's harness starts a real server (a StateHub on
 * 127.0.0.1, the loopback GitHub) per sandbox.
 */
export interface ConformanceHarness {
  /** Sets up the sandbox at `root` (already created and seeded with files no pack owns). */
  sandbox?(root: string): Promise<SandboxSetup> | SandboxSetup;
}

/** How {@link checkPack} runs. */
export interface CheckOptions {
  harness?: ConformanceHarness;
  /** Run only these subchecks (default: all of the standard); the report is `ok` only when all ran and passed. */
  subchecks?: readonly SubcheckName[];
  /** Runs the workload in another process (default: {@link esbuildChildRunner}). */
  childRunner?: ChildRunner;
  /** Limit of the other process (default 20 s). */
  childTimeoutMs?: number;
}

/** The first tick of every run's clock: runs must not depend on the real time. */
const CLOCK_START = '2026-01-01T00:00:00.000Z';

/**
 * Checks a pack against `govern-conformance/1` and reports each subcheck. Runs
 * the workload (runWorkload) in a sandboxed temporary root set up by the harness:
 * once for the contract, side-effect, observability and spec subchecks (with the
 * root's tree and the harness's observation taken before and after), and, for
 * determinism, again in a second fresh sandbox in this process and in a third in
 * another `node` process. Never throws for a pack's fault: every finding is a
 * problem of a subcheck. This is the function a `govern adapters check [PACK]
 * [--json]` wraps.
 */
export async function checkPack(pack: Pack, opts: CheckOptions = {}): Promise<ConformanceReport> {
  const wanted = new Set<SubcheckName>(opts.subchecks ?? SUBCHECKS);
  const parsed = CompatibilityManifestSchema.safeParse(pack.manifest);
  const manifest = parsed.success ? parsed.data : null;
  const results: SubcheckResult[] = [];
  const add = (name: SubcheckName, problems: string[], details: Record<string, unknown>) => {
    if (wanted.has(name)) results.push({ name, ok: problems.length === 0, problems, details: JSON.parse(JSON.stringify(details)) as SubcheckResult['details'] });
  };
  const header = {
    name: String(pack.name),
    version: String(pack.version),
    package: String((pack.manifest as Partial<CompatibilityManifest>)?.package ?? ''),
    manifest_sha256: safeManifestHash(pack.manifest),
  };

  if (!manifest) {
    const issues = parsed.error!.issues.map((i) => `manifest ${i.path.join('.') || '(root)'}: ${i.message}`);
    for (const name of SUBCHECKS) add(name, name === 'contract-validity' ? issues : ['not run: the manifest is invalid'], {});
    return { standard: STANDARD, pack: header, ok: false, subchecks: results };
  }

  // The determinism runs (a second one here, one in another process) are independent of the main run, each in
  // its own sandbox: they start now and run alongside it.
  const others = wanted.has('determinism')
    ? Promise.all([
        sandboxRun(pack, opts.harness, { observe: false }),
        sandboxRun(pack, opts.harness, { observe: false, child: { runner: opts.childRunner ?? esbuildChildRunner, timeoutMs: opts.childTimeoutMs ?? 20_000 } }),
      ])
    : null;
  let main: SandboxResult;
  try {
    main = await sandboxRun(pack, opts.harness, { observe: wanted.has('side-effect-policy') });
  } catch (err) {
    // A harness that cannot set a sandbox up is the caller's problem, not the pack's; the other runs are waited for, not left dangling.
    await others?.catch(() => undefined);
    throw err;
  }

  // ---- contract validity + canonical serialization
  if (wanted.has('contract-validity')) {
    const problems: string[] = [];
    if (pack.name !== manifest.name || pack.version !== manifest.version) problems.push(`the pack is ${pack.name} ${pack.version} but its manifest says ${manifest.name} ${manifest.version}`);
    if (canonicalJson(JSON.parse(canonicalJson(manifest))) !== canonicalJson(manifest)) problems.push('the manifest does not survive canonical serialization');
    problems.push(...contractProblems(manifest));
    if (!manifest.conformance.includes(STANDARD)) problems.push(`the manifest does not require ${STANDARD} (it lists ${manifest.conformance.join(', ')})`);
    problems.push(...main.ownershipProblems);
    let checked = 0;
    for (const r of main.run.records) {
      checked++;
      const schema = RECORD_SCHEMAS[r.schema];
      const v = schema.safeParse(r.value);
      const where = `${r.capability} ${r.op}`;
      if (!v.success) {
        problems.push(`${where}: the ${r.schema} record does not match the kit's schema: ${v.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ')}`);
        continue;
      }
      const text = canonicalJson(r.value);
      if (canonicalJson(v.data) !== text) problems.push(`${where}: the ${r.schema} record is not in its normalized form (parsing it changes its canonical JSON)`);
      if (canonicalJson(JSON.parse(text)) !== text) problems.push(`${where}: the ${r.schema} record does not survive canonical serialization`);
    }
    const asserted = main.run.assertions.filter((a) => a.subcheck === 'contract-validity');
    for (const a of asserted.filter((x) => !x.ok)) problems.push(`${a.capability}: ${a.name}`);
    if (main.run.crash) problems.push(`the run crashed: ${main.run.crash}`);
    add('contract-validity', problems, { manifest_sha256: header.manifest_sha256, contracts: manifest.contracts, records_checked: checked, round_trips: asserted.length });
  }

  // ---- determinism, also across processes
  if (wanted.has('determinism')) {
    const problems: string[] = [];
    const [second, child] = await others!;
    const digest = (t: readonly Step[]) => sha256Text(canonicalJson(t));
    const a = main.run.transcript;
    const b = second.run.transcript;
    const diff = firstDifference(a, b);
    if (diff) problems.push(`two runs in this process differ at step ${diff}`);
    let childDetails: Record<string, unknown> = {};
    if (!child.child?.ok) problems.push(`the run in another process failed: ${child.child?.ok === false ? child.child.problem : 'not run'}`);
    else {
      const d = firstDifference(a, child.child.transcript);
      if (d) problems.push(`the run in another process (pid ${child.child.pid}) differs at step ${d}`);
      if (child.child.pid === process.pid) problems.push('the other run ran in this process');
      if (child.child.crash) problems.push(`the run in another process crashed: ${child.child.crash}`);
      childDetails = { pid_differs: child.child.pid !== process.pid, transcript_sha256: digest(child.child.transcript) };
    }
    if (a.length === 0) problems.push('the workload made no call: nothing was compared');
    add('determinism', problems, { steps: a.length, in_process: [digest(a), digest(b)], other_process: childDetails });
  }

  // ---- side-effect policy
  if (wanted.has('side-effect-policy')) {
    const problems: string[] = [];
    const own = main.ownership;
    for (const c of main.outside) problems.push(`${c.change} ${c.kind} ${c.path}: outside the ownership paths (${own.paths.join(', ') || 'none'})`);
    for (const t of main.tablesOutside) problems.push(`table ${t}: created or changed, not in the ownership tables (${own.tables.join(', ') || 'none'})`);
    for (const r of main.remoteOutside) problems.push(`remote write ${r}: not in the ownership remote resources (${own.remote.join(', ') || 'none'})`);
    if (main.run.crash) problems.push(`the run crashed: ${main.run.crash}`);
    add('side-effect-policy', problems, {
      ownership: own,
      changed_paths: main.changes.map((c) => `${c.change} ${c.path}`),
      tables_changed: main.tablesChanged,
      remote_writes: main.remoteWrites,
    });
  }

  // ---- observability semantics split
  if (wanted.has('observability-split')) {
    const problems: string[] = [];
    const secrets = Object.values(main.secrets).filter((s) => s.length >= 4);
    for (const e of main.run.errors) {
      const where = `${e.capability} ${e.op}`;
      if (e.error.problem) problems.push(`${where}: ${e.error.problem} (${e.error.code})`);
      else if (e.expected !== 'ok' && e.error.kind !== e.expected) problems.push(`${where}: expected a ${e.expected}, got a ${e.error.kind} (${e.error.failure_reason_code ?? e.error.policy_reason_code})`);
      if (secrets.some((s) => e.json.includes(s))) problems.push(`${where}: the error carries a secret`);
    }
    if (secrets.some((s) => main.run.transcript.some((t) => t.outcome.includes(s)))) problems.push('a secret appears in what the pack returned');
    const declared = CAPABILITIES.filter((c) => manifest.capabilities.includes(c) && SUITES[c]);
    for (const c of declared) {
      const seen = main.run.errors.filter((e) => e.capability === c);
      if (!seen.some((e) => e.error.kind === 'failure')) problems.push(`${c}: no failure was observed (the suite provokes one)`);
      if (!seen.some((e) => e.error.kind === 'denial')) problems.push(`${c}: no denial was observed (the suite provokes one)`);
    }
    const count = (k: string) => main.run.errors.filter((e) => e.error.kind === k).length;
    add('observability-split', problems, { failures: count('failure'), denials: count('denial'), improper: main.run.errors.length - count('failure') - count('denial') });
  }

  // ---- spec-as-test
  if (wanted.has('spec-as-test')) {
    const problems: string[] = [];
    for (const c of manifest.capabilities) {
      if (!SUITES[c]) problems.push(`${c}: declared, but the kit has no generic suite for it (reserved)`);
      else if (!main.run.exposed.write.includes(c)) problems.push(`${c}: declared, but the instance does not provide it`);
    }
    const undeclared = CAPABILITIES.filter((c) => !manifest.capabilities.includes(c));
    for (const k of new Set([...main.run.exposed.write, ...main.run.exposed.readOnly])) {
      if (!manifest.capabilities.includes(k as never)) problems.push(`${k}: provided by the instance but not declared in the manifest`);
    }
    // A caller asking the pack for what it does not declare gets the coded diagnostic.
    const alone = composePacks([pack]);
    for (const c of undeclared) {
      try {
        alone.require([c]);
        problems.push(`${c}: not declared, yet a composition resolves it`);
      } catch (err) {
        if (!(err instanceof MissingCapabilityError)) problems.push(`${c}: not declared, and asking for it throws ${String(err)} instead of adapter-capability-missing`);
      }
    }
    const spec = main.run.assertions.filter((a) => a.subcheck === 'spec-as-test');
    for (const a of spec.filter((x) => !x.ok)) problems.push(`${a.capability}: ${a.name}${a.details === undefined ? '' : ` — ${short(a.details)}`}`);
    if (main.run.crash) problems.push(`the run crashed: ${main.run.crash}`);
    add('spec-as-test', problems, { capabilities: manifest.capabilities, undeclared_absent: undeclared, assertions: spec.length, failed: spec.filter((a) => !a.ok).length });
  }

  const ok = results.length === SUBCHECKS.length && results.every((r) => r.ok);
  return { standard: STANDARD, pack: header, ok, subchecks: results };
}

interface SandboxResult {
  run: RunResult;
  child?: ChildRun;
  secrets: Record<string, string>;
  ownership: CompatibilityManifest['ownership'];
  ownershipProblems: string[];
  changes: TreeChange[];
  outside: TreeChange[];
  tablesChanged: string[];
  tablesOutside: string[];
  remoteWrites: string[];
  remoteOutside: string[];
}

/** One run in a fresh sandbox: root created and seeded, harness set up, tree and observation before and after, all torn down. */
async function sandboxRun(pack: Pack, harness: ConformanceHarness | undefined, how: { observe: boolean; child?: { runner: ChildRunner; timeoutMs: number } }): Promise<SandboxResult> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `govern-conformance-${pack.name}-`)));
  let setup: SandboxSetup = {};
  try {
    seedForeignFiles(root);
    setup = (await harness?.sandbox?.(root)) ?? {};
    const { ownership, problems: ownershipProblems } = resolveOwnership(pack.manifest.ownership, setup.options ?? {});
    const config: RunConfig = {
      root,
      options: setup.options ?? {},
      secrets: setup.secrets ?? {},
      inputs: setup.inputs ?? {},
      clockStart: CLOCK_START,
      volatile: [root, ...(setup.volatile ?? [])],
    };
    const treeBefore = how.observe ? snapshotTree(root) : null;
    const obsBefore = how.observe ? ((await setup.observe?.()) ?? {}) : {};
    let run: RunResult;
    let child: ChildRun | undefined;
    if (how.child) {
      child = await how.child.runner(pack, config, { timeoutMs: how.child.timeoutMs });
      run = { transcript: [], assertions: [], records: [], errors: [], exposed: { write: [], readOnly: [] }, crash: null };
    } else run = await runWorkload(pack, config);
    const result: SandboxResult = {
      run,
      ...(child ? { child } : {}),
      secrets: config.secrets,
      ownership,
      ownershipProblems,
      changes: [],
      outside: [],
      tablesChanged: [],
      tablesOutside: [],
      remoteWrites: [],
      remoteOutside: [],
    };
    if (how.observe) {
      result.changes = diffTrees(treeBefore!, snapshotTree(root));
      result.outside = outsideBoundary(result.changes, ownership);
      const obsAfter = (await setup.observe?.()) ?? {};
      const before = obsBefore.tables ?? {};
      const after = obsAfter.tables ?? {};
      result.tablesChanged = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((t) => before[t] !== after[t]).sort();
      // A table that exists after the run and is not the pack's is a finding even if it did not change: the pack's file holds it.
      result.tablesOutside = [...new Set([...result.tablesChanged, ...Object.keys(after)])].filter((t) => !ownership.tables.includes(t)).sort();
      result.remoteWrites = (obsAfter.remote ?? []).slice((obsBefore.remote ?? []).length);
      result.remoteOutside = [...new Set(result.remoteWrites.filter((r) => !matchesAny(r, ownership.remote)))];
    }
    return result;
  } finally {
    await setup.close?.();
    fs.rmSync(root, { recursive: true, force: true });
  }
}


/** The manifest's hash, also for a manifest that is not one (a report still names what it checked). */
function safeManifestHash(manifest: unknown): string {
  try {
    return manifestHash(manifest as CompatibilityManifest);
  } catch {
    return sha256Text(String(manifest));
  }
}

function sha256Text(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function firstDifference(a: readonly Step[], b: readonly Step[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y) return `${i + 1} (one run has ${a.length} steps, the other ${b.length})`;
    if (canonicalJson(x) !== canonicalJson(y)) return `${i + 1} (${x.capability} ${x.op}): ${x.outcome.slice(0, 200)} vs ${y.outcome.slice(0, 200)}`;
  }
  return null;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/**
 * A pack refused for prescriptive use: its conformance report is missing, for
 * another manifest or standard, or not ok. A denial (`adapter.not-conformant`)
 * whose details name the subchecks that failed and their problems.
 */
export class NotConformantError extends AdapterError<'adapter-not-conformant'> {
  constructor(pack: Pack, why: string, failed: readonly SubcheckResult[]) {
    super('adapter-not-conformant', `${pack.name} ${pack.version} is not loaded for prescriptive use: ${why}`, {
      failure_reason_code: null,
      policy_reason_code: POLICY_REASONS.notConformant,
      pack: pack.name,
      version: pack.version,
      failed: failed.map((s) => ({ name: s.name, problems: s.problems })),
    });
  }
}

/**
 * Loads a pack for prescriptive use (seed 002 K4: a tool is conformance-verified
 * before trusted use): given a report, it must be for this standard and this
 * exact manifest (by hash) and be ok; without one, the pack is checked now. A
 * pack that fails is refused with {@link NotConformantError}; one that passes is
 * returned with its report.
 */
export async function loadForPrescriptiveUse(pack: Pack, opts: CheckOptions & { report?: ConformanceReport } = {}): Promise<{ pack: Pack; report: ConformanceReport }> {
  const report = opts.report ?? (await checkPack(pack, { ...opts, subchecks: SUBCHECKS }));
  if (report.standard !== STANDARD || !STANDARDS.includes(report.standard)) throw new NotConformantError(pack, `the report is for ${report.standard}, not ${STANDARD}`, []);
  if (report.pack.manifest_sha256 !== manifestHash(pack.manifest)) throw new NotConformantError(pack, 'the report was made for another manifest (its hash differs): check the pack again', []);
  const failed = report.subchecks.filter((s) => !s.ok);
  const missing = SUBCHECKS.filter((n) => !report.subchecks.some((s) => s.name === n));
  if (!report.ok || failed.length || missing.length) {
    throw new NotConformantError(pack, `${[...failed.map((s) => `${s.name} failed`), ...missing.map((n) => `${n} did not run`)].join(', ') || 'the report is not ok'}`, failed);
  }
  return { pack, report };
}

/**
 * One report from reports of single subchecks of the same pack (each `checkPack`
 * with `subchecks: [name]`): they must name the same standard and manifest hash;
 * a subcheck reported twice keeps the last. The result is `ok` only when every
 * subcheck of the standard is there and passed, like a report of one run.
 */
export function mergeReports(reports: readonly ConformanceReport[]): ConformanceReport {
  if (reports.length === 0) throw new TypeError('mergeReports: no report to merge');
  const first = reports[0]!;
  for (const r of reports) {
    if (r.standard !== first.standard || r.pack.manifest_sha256 !== first.pack.manifest_sha256) {
      throw new TypeError(`mergeReports: ${r.pack.name} (${r.standard}, manifest ${r.pack.manifest_sha256.slice(0, 12)}) is not the pack of the first report (${first.standard}, manifest ${first.pack.manifest_sha256.slice(0, 12)})`);
    }
  }
  const byName = new Map<SubcheckName, SubcheckResult>();
  for (const r of reports) for (const s of r.subchecks) byName.set(s.name, s);
  const subchecks = SUBCHECKS.filter((n) => byName.has(n)).map((n) => byName.get(n)!);
  return { standard: first.standard, pack: first.pack, ok: subchecks.length === SUBCHECKS.length && subchecks.every((s) => s.ok), subchecks };
}
