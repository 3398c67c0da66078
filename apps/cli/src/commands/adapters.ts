import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import {
  CALLER_CAPABILITIES,
  checkPack,
  childMain,
  composeFromConfig,
  ConformanceReportSchema,
  hasAdaptersSection,
  loadAdaptersConfig,
  loadForPrescriptiveUse,
  manifestHash,
  runChildProcess,
  STANDARD,
  tickingClock,
  type AdapterClient,
  type Caller,
  type Capability,
  type ChildRunner,
  type ConformanceHarness,
  type ConformanceReport,
  type Pack,
} from '@govern/adapter-kit';
import { closeItem } from '@govern/closure';
import { GovernError, isGovernError } from '@govern/errors';
import { assertEnabledWhereDeclared } from '@govern/gates';
import { startGitHubReplay } from '@govern/github';
import type { StateHubError, SyncHub } from '@govern/statehub';
import { writeFileAtomic } from '@govern/workspace';
import { resolveRoot, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor } from '../render.js';
import { VERSION } from '../version.js';

/**
 * Adapter packs in the CLI (docs/adapters.md): `govern adapters check [PACK]`, and
 * the routing of the product's own callers (close, pr, audit log) through the packs
 * `govern.config.yaml`'s `adapters:` section enables. The packs are imported only
 * when a command needs them: a repository without an `adapters:` section never
 * loads one, and its callers keep their built-in paths byte for byte.
 */

/** A pack as the CLI knows it: the pack, and how to give it a sandbox for the conformance standard. */
export interface CatalogEntry {
  pack: Pack;
  harness?: ConformanceHarness;
}

/** Every pack this build ships, in the order `govern adapters check` lists them. */
export async function defaultCatalog(): Promise<CatalogEntry[]> {
  const [file, duck, hub, gh, fake] = await Promise.all([
    import('@govern/adapter-file-store'),
    import('@govern/adapter-duckdb-store'),
    import('@govern/adapter-statehub'),
    import('@govern/adapter-github'),
    import('@govern/adapter-fake'),
  ]);
  return [
    { pack: file.fileStorePack },
    { pack: duck.duckdbStorePack, harness: duckdbHarness(duck.DUCKDB_STORE_FILE) },
    { pack: hub.statehubPack, harness: statehubHarness() },
    { pack: gh.githubPack, harness: githubHarness() },
    { pack: fake.fakePack },
  ];
}

/** The packs with a local store (what `govern store` maintains), imported without the remote ones. */
export async function storeCatalog(): Promise<CatalogEntry[]> {
  const [file, duck] = await Promise.all([import('@govern/adapter-file-store'), import('@govern/adapter-duckdb-store')]);
  return [{ pack: file.fileStorePack }, { pack: duck.duckdbStorePack, harness: duckdbHarness(duck.DUCKDB_STORE_FILE) }];
}

/** Where `govern adapters check` keeps each pack's last report, for callers to load the pack by (relative to the root). */
export const CONFORMANCE_DIR = '.govern/adapters/conformance';

interface StoredReport {
  govern: string;
  report: ConformanceReport;
}

function storedReport(root: string, pack: Pack): ConformanceReport | null {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(root, CONFORMANCE_DIR, `${pack.name}.json`), 'utf8')) as StoredReport;
    // A report binds the manifest (by hash) and the build that ran it: a new govern checks again.
    if (s.govern !== VERSION) return null;
    const report = ConformanceReportSchema.parse(s.report);
    return report.pack.manifest_sha256 === manifestHash(pack.manifest) ? report : null;
  } catch {
    return null;
  }
}

function storeReport(root: string, report: ConformanceReport): string {
  const rel = `${CONFORMANCE_DIR}/${report.pack.name}.json`;
  fs.mkdirSync(path.join(root, CONFORMANCE_DIR), { recursive: true });
  writeFileAtomic(path.join(root, rel), `${JSON.stringify({ govern: VERSION, report } satisfies StoredReport, null, 2)}\n`);
  return rel;
}

export interface AdaptersCheckOptions extends CommonOptions {
  /** Use the stored report when it is for this manifest and build, instead of checking again. */
  cached?: boolean;
}

/**
 * The runner of the determinism subcheck's other process. From a checkout the kit
 * bundles the pack's TypeScript module with esbuild (its default runner); the built
 * CLI (an installed package) has no sources and no esbuild, so it starts itself:
 * `govern adapters __child <pack>` runs the same workload with the pack bundled into it.
 */
function childRunnerFor(pack: Pack): { childRunner?: ChildRunner } {
  // From sources (tests, a checkout run through tsx) the kit's runner applies, and a
  // pack without a module URL is reported by it as such.
  if (import.meta.url.endsWith('.ts') || !pack.module || !process.argv[1]) return {};
  const bin = process.argv[1];
  return { childRunner: (p, config, { timeoutMs }) => runChildProcess([bin, 'adapters', '__child', p.name], { cwd: process.cwd(), pack: p, config, timeoutMs }) };
}

/**
 * `govern adapters check [PACK]`: each pack (or the one named) against
 * `govern-conformance/1`, every subcheck's result printed; the report is kept in
 * `.govern/adapters/conformance/<pack>.json`, which is what the callers load a pack
 * for prescriptive use by. Exit 1 when a pack fails any subcheck.
 */
export async function adaptersCheckCommand(ctx: CommandContext, name: string | undefined, opts: AdaptersCheckOptions, catalog?: readonly CatalogEntry[]): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  const entries = catalog ?? (await defaultCatalog());
  const chosen = name === undefined ? entries : entries.filter((e) => e.pack.name === name);
  if (!chosen.length) throw new UsageError(`no adapter pack is named ${name}; known: ${entries.map((e) => e.pack.name).join(', ')}`, { pack: name, known: entries.map((e) => e.pack.name) });
  const c = colorsFor(ctx, opts);
  const packs: (ConformanceReport & { saved: string })[] = [];
  for (const e of chosen) {
    if (!opts.json) ctx.stderr.write(c.dim(`checking ${e.pack.name} ${e.pack.version} against ${STANDARD}…\n`));
    const report = (opts.cached ? storedReport(root, e.pack) : null) ?? (await checkPack(e.pack, { ...(e.harness ? { harness: e.harness } : {}), ...childRunnerFor(e.pack) }));
    packs.push({ ...report, saved: storeReport(root, report) });
  }
  const ok = packs.every((p) => p.ok);
  if (opts.json) writeJson(ctx, { standard: STANDARD, ok, packs });
  else {
    let out = '';
    for (const p of packs) {
      out += `${c.bold(p.pack.name)} ${p.pack.version}  ${p.ok ? c.green('conformant') : c.red('not conformant: not loaded in prescriptive use')}\n`;
      for (const s of p.subchecks) {
        out += `  ${s.ok ? c.green('pass') : c.red('FAIL')}  ${s.name}\n`;
        for (const problem of s.problems) out += `        ${problem}\n`;
      }
    }
    out += `${packs.filter((p) => p.ok).length} of ${packs.length} pack${packs.length === 1 ? '' : 's'} conformant to ${STANDARD}\n`;
    ctx.stdout.write(out);
  }
  return ok ? 0 : 1;
}

/** A caller routed through packs: the client and which pack provides each capability it uses. */
export interface CallerAdapters {
  caller: Caller;
  /** Each pack's options as opened (the section's, with the command's over them). */
  options: Record<string, unknown>;
  client: AdapterClient;
  capabilities: Capability[];
  providers: Partial<Record<Capability, string>>;
}

export interface CallerOptions {
  readOnly?: boolean;
  /** Options under the section's for a pack (what the command would use itself: sync's URL). */
  defaults?: Record<string, Record<string, unknown>>;
  /** Options merged over the section's for a pack (the github settings `pr open` resolved from flags and the profile). */
  options?: Record<string, Record<string, unknown>>;
  secrets?: Record<string, Record<string, string>>;
  catalog?: readonly CatalogEntry[];
}

/**
 * The packs `caller` reaches storage and remotes through, opened; null when the
 * `adapters:` section does not route it (the built-in path, unchanged). Refusals,
 * all coded: the section is invalid (`config-invalid`, every problem positioned); no
 * enabled pack provides a capability the caller is routed to
 * (`adapter-capability-missing`, naming the capability and every pack considered
 * with its manifest); a pack that is not conformant (`adapter-not-conformant`: it is
 * checked, unless `govern adapters check` stored a passing report for its manifest).
 */
export async function openForCaller(ctx: CommandContext, root: string, caller: Caller, opts: CallerOptions = {}): Promise<CallerAdapters | null> {
  // Read before any pack is imported: without a section nothing else happens.
  if (!hasAdaptersSection(root)) return null;
  const catalog = opts.catalog ?? (await defaultCatalog());
  const { value, diagnostics } = loadAdaptersConfig(root, catalog.map((e) => e.pack.name));
  if (diagnostics.length) {
    const d = diagnostics[0]!;
    throw new GovernError('config-invalid', `${d.file}:${d.line}:${d.column}: ${d.message}${diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : ''}`, { details: { diagnostics } });
  }
  const capabilities = value?.callers[caller] ?? [];
  if (!value || !capabilities.length) return null;

  // A pack whose gate this repository declares and keeps closed is not enabled.
  const reasons = new Map<string, string | null>();
  for (const e of catalog) {
    const gate = e.pack.manifest.gate;
    if (!gate || reasons.has(gate) || !value.packs.includes(e.pack.name)) continue;
    reasons.set(gate, await gateReason(root, gate));
  }
  const adapters = composeFromConfig(
    catalog.map((e) => e.pack),
    value,
    { gateReason: (g) => reasons.get(g) ?? null },
  );
  adapters.require(capabilities);
  const providers: Partial<Record<Capability, string>> = {};
  for (const cap of capabilities) {
    const p = adapters.provider(cap)!;
    providers[cap] = p.name;
  }
  for (const name of new Set(Object.values(providers))) {
    const e = catalog.find((x) => x.pack.name === name)!;
    const report = storedReport(root, e.pack) ?? undefined;
    const loaded = await loadForPrescriptiveUse(e.pack, { ...(report ? { report } : {}), ...(e.harness ? { harness: e.harness } : {}), ...childRunnerFor(e.pack) });
    if (!report) storeReport(root, loaded.report);
  }
  const options: Record<string, unknown> = {};
  for (const name of new Set([...Object.keys(value.options), ...Object.keys(opts.options ?? {}), ...Object.keys(opts.defaults ?? {})])) {
    options[name] = { ...(opts.defaults?.[name] ?? {}), ...(value.options[name] ?? {}), ...(opts.options?.[name] ?? {}) };
  }
  const client = await adapters.open({ root, options, secrets: { statehub: tokenOf(ctx.env.STATEHUB_TOKEN, 'token'), ...(opts.secrets ?? {}) }, readOnly: opts.readOnly === true });
  return { caller, client, capabilities, providers, options };
}

const tokenOf = (v: string | undefined, name: string): Record<string, string> => (v?.trim() ? { [name]: v.trim() } : {});

async function gateReason(root: string, gate: string): Promise<string | null> {
  try {
    await assertEnabledWhereDeclared(gate, { root });
    return null;
  } catch (err) {
    if (isGovernError(err)) return `gate ${gate} is closed: ${err.message.split('\n')[0]}`;
    throw err;
  }
}

/** What a closure recorded through the packs (in `govern close --json` as `adapters`). */
export interface ClosureRecorded {
  providers: Partial<Record<Capability, string>>;
  audit?: { seq: number; hash: string };
  events?: { stream: string; seq: number }[];
}

/**
 * Records a closure (or a failed attempt) through the routed capabilities: an audit
 * entry (`close` applied, or `close-failed` failed with the first failure's code)
 * binding the evidence manifest by sha256, and an event on the item's stream.
 */
export async function recordClosure(
  routed: CallerAdapters,
  root: string,
  r: { item: string; passed: boolean; failures: { code: string; message: string }[]; manifest: string | null; attemptManifest: string | null; status: { from: { text: string | null }; to: { text: string | null } } | null },
  who: { actor: string },
): Promise<ClosureRecorded> {
  const manifest = r.manifest ?? r.attemptManifest;
  const evidence = manifest && fs.existsSync(path.join(root, manifest)) ? [{ kind: 'file' as const, ref: manifest, sha256: crypto.createHash('sha256').update(fs.readFileSync(path.join(root, manifest))).digest('hex') }] : [];
  const data = { passed: r.passed, from: r.status?.from.text ?? null, to: r.status?.to.text ?? null, failures: r.failures.map((f) => f.code) };
  const out: ClosureRecorded = { providers: routed.providers };
  if (routed.capabilities.includes('store.audit')) {
    const e = await routed.client.get('store.audit').append({
      actor: who.actor,
      via: 'cli',
      action: r.passed ? 'close' : 'close-failed',
      subject: r.item,
      outcome: r.passed ? 'applied' : 'failed',
      failure_reason_code: r.passed ? null : `closure.${r.failures[0]?.code ?? 'failed'}`,
      evidence,
      data,
    });
    out.audit = { seq: e.seq, hash: e.hash };
  }
  if (routed.capabilities.includes('store.event')) {
    const events = await routed.client.get('store.event').append(r.item, [{ type: r.passed ? 'item.closed' : 'item.close-failed', data: { ...data, manifest } }]);
    out.events = events.map((e) => ({ stream: e.stream, seq: e.seq }));
  }
  return out;
}

// ------------------------------------------------------------ harnesses

/** DuckDB tables and a digest of their rows, read with the pack closed: what the side-effect subcheck compares. */
function duckdbHarness(file: string): ConformanceHarness {
  return {
    sandbox: (root) => ({
      observe: async () => {
        const abs = path.join(root, file);
        if (!fs.existsSync(abs)) return { tables: {} };
        const { openDb } = await import('@govern/duckdb');
        const db = await openDb(abs, { settings: { access_mode: 'READ_ONLY' } });
        try {
          const tables: Record<string, string> = {};
          for (const { table_name } of await db.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name")) {
            const rows = (await db.all(`SELECT * FROM "${String(table_name)}"`)).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
            tables[String(table_name)] = crypto.createHash('sha256').update(rows.join('\n')).digest('hex');
          }
          return { tables };
        } finally {
          await db.close();
        }
      },
    }),
  };
}

/** A StateHub on 127.0.0.1 per sandbox (in-memory DuckDB), holding one record of another repository the pack must not touch. */
function statehubHarness(): ConformanceHarness {
  const TOKEN = crypto.randomBytes(16).toString('hex');
  return {
    async sandbox() {
      const [{ startStateHub }, { StateHubClient }] = await Promise.all([import('@govern/statehub-server'), import('@govern/statehub')]);
      const hub = await startStateHub({ db: ':memory:', port: 0, token: TOKEN, now: tickingClock('2026-01-01T00:00:00.000Z') });
      const reader = new StateHubClient({ url: hub.url, token: TOKEN });
      await reader.putByKey('workstream', 'elsewhere:WP-7', { repo: 'elsewhere', itemId: 'WP-7', title: 'Not ours', id: 'ws-elsewhere-7' });
      return {
        options: { url: hub.url, repo: 'govern' },
        secrets: { token: TOKEN },
        inputs: { statehub: { repo: 'govern', foreignRepo: 'elsewhere' } },
        volatile: [hub.url],
        observe: async () => ({ remote: (await reader.changes(0, 1000)).changes.map((ch) => `statehub:${ch.repo}:${ch.kind}/${ch.externalKey.slice(ch.repo.length + 1)}`) }),
        close: () => hub.close(),
      };
    },
  };
}

const GH_TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 Parser | - | In Progress |', '', '## Checks', '', '- AB-01: `node -e 0`', '', '## Evidence Roots', '', '- AB-01: `ops/runtime/ab-01/`', ''].join('\n');

/** @govern/github's loopback GitHub per sandbox, over a copy of one repository whose AB-01 was closed for real. */
function githubHarness(): ConformanceHarness {
  const TOKEN = `ghp_${crypto.randomBytes(18).toString('hex')}`;
  let template: Promise<string> | null = null;
  const closed = () =>
    (template ??= (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-gh-check-'));
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      fs.mkdirSync(path.join(dir, 'trackers'));
      fs.writeFileSync(path.join(dir, 'trackers/t.md'), GH_TRACKER);
      const r = await closeItem({ root: dir, id: 'AB-01', actor: 'closer', via: 'library', toolVersion: VERSION, cacheDir: null, now: () => new Date('2026-01-02T03:04:05.000Z') });
      if (!r.passed) throw new GovernError('adapter-harness-failed', `the GitHub harness could not close its fixture item: ${r.failures.map((f) => f.message).join('; ')}`);
      return dir;
    })());
  return {
    async sandbox(root) {
      fs.cpSync(await closed(), root, { recursive: true });
      const gh = await startGitHubReplay({ token: TOKEN, files: { 'README.md': '# hello\n', 'trackers/t.md': GH_TRACKER } });
      const prefix = `/repos/${gh.owner}/${gh.repo}/`;
      return {
        options: { owner: gh.owner, repo: gh.repo, base: 'main', apiUrl: gh.url, labels: ['govern'] },
        secrets: { GITHUB_TOKEN: TOKEN },
        inputs: { github: { item: 'AB-01' } },
        volatile: [gh.url],
        observe: async () => ({
          remote: gh.requests
            .filter((q) => q.method !== 'GET' && typeof q.status === 'number' && q.status < 300)
            .map((q) => {
              const p = decodeURIComponent(q.path.split('?')[0]!);
              const rest = p.startsWith(prefix) ? p.slice(prefix.length) : p;
              if (q.method === 'POST' && rest === 'git/refs') return `github:${gh.owner}/${gh.repo}:${String((JSON.parse(q.body) as { ref: string }).ref)}`;
              return `github:${gh.owner}/${gh.repo}:${rest.replace(/^git\/refs\//, 'refs/')}`;
            }),
        }),
        close: () => gh.close(),
      };
    },
  };
}

/** Declares `govern adapters check` (called from program.ts). */
export function registerAdaptersCommands(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  const adapters = program.command('adapters').description('adapter packs: the conformance standard each must pass before govern uses it (see docs/adapters.md)');
  common(
    adapters
      .command('check')
      .argument('[pack]', 'one pack by name (file-store, duckdb-store, statehub, github, fake); default: every pack')
      .description(`check packs against ${STANDARD}: contract validity, determinism across processes, side-effect policy, observability split, spec-as-test; print each subcheck`),
  )
    .option('--cached', "reuse the stored report (.govern/adapters/conformance/<pack>.json) when it is for this pack's manifest and this govern")
    .addHelpText('after', '\nExit 0 when every pack checked passes every subcheck, 1 when one fails (such a pack is not loaded by close, pr or audit log), 2 on usage.\nThe reports are stored in .govern/adapters/conformance/, where the callers find them.')
    .action(async (pack: string | undefined, o: AdaptersCheckOptions) => {
      try {
        setExit(await adaptersCheckCommand(ctx, pack, o));
      } catch (err) {
        if (isGovernError(err) && err.code === 'usage') throw err;
        setExit(renderRefusal(ctx, o, err));
      }
    });
  // The other process of the determinism subcheck when govern runs from its bundle
  // (see childRunnerFor): the pack and the run's configuration arrive on fd 3.
  adapters
    .command('__child', { hidden: true })
    .argument('<pack>')
    .action(async (name: string) => {
      const entry = (await defaultCatalog()).find((e) => e.pack.name === name);
      if (!entry) throw new UsageError(`no adapter pack is named ${name}`, { pack: name });
      await childMain({ pack: entry.pack });
    });
}

/** The capabilities each caller can be routed to (for help texts and docs). */
export const ROUTABLE = CALLER_CAPABILITIES;

/**
 * `govern audit log` through the pack providing `store.audit`, when the `adapters:`
 * section routes it there: the pack's entries (verified hash chain), oldest first,
 * `--item` matching the entry's subject and `--limit` keeping the newest n; a chain
 * problem is a diagnostic positioned at the entry (`<pack>:store.audit`, line = its
 * position in the log). Null when the audit log is not routed (the built-in path).
 * Refusals (an invalid section, a missing capability, a pack not conformant) are
 * rendered here, with the exit code returned.
 */
export async function auditLogThroughPacks(ctx: CommandContext, root: string, opts: CommonOptions & { item?: string; limit?: number }): Promise<number | null> {
  let routed: CallerAdapters | null;
  try {
    routed = await openForCaller(ctx, root, 'audit-log', { readOnly: true });
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
  if (!routed) return null;
  try {
    const pack = routed.providers['store.audit']!;
    const read = await routed.client.get('store.audit').read();
    let records = read.entries.filter((e) => opts.item === undefined || e.subject === opts.item);
    if (opts.limit !== undefined) records = records.slice(Math.max(0, records.length - opts.limit));
    const diagnostics = read.problems.map((p) => ({ severity: 'error' as const, code: p.code, message: p.message, file: `${pack}:store.audit`, line: p.index + 1, column: 1 }));
    if (opts.json) {
      writeJson(ctx, { records, diagnostics, source: { capability: 'store.audit', pack, verified: read.verified } });
      return 0;
    }
    const c = colorsFor(ctx, opts);
    let out = '';
    for (const e of records) out += `${c.dim(e.at)}  ${e.actor}  ${e.outcome === 'applied' ? e.action : c.red(e.action)}  ${c.bold(e.subject)}  ${e.failure_reason_code ?? e.policy_reason_code ?? ''}\n`;
    for (const d of diagnostics) out += `${d.file}:${d.line}:${d.column}  ${c.red('error')}  ${d.code}  ${d.message}\n`;
    out += `${records.length} record${records.length === 1 ? '' : 's'} (store.audit of ${pack}${read.verified ? ', chain verified' : ''})\n`;
    ctx.stdout.write(out);
    return 0;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  } finally {
    await routed.client.close();
  }
}

/**
 * `govern pr open` through the pack providing `github`, when the `adapters:` section
 * routes it there: the settings resolved from the flags and the profile are the
 * pack's options (over the section's), the token its secret; the answer is the
 * capability's record (`ClosurePrRecord`) plus which pack made it. Null when pr is
 * not routed (the built-in path). Refusals are thrown for the caller to render.
 */
export async function prThroughPacks(ctx: CommandContext, root: string, id: string, opts: CommonOptions & { dryRun?: boolean; force?: boolean }, settings: Record<string, unknown>, token: string | undefined): Promise<number | null> {
  const routed = await openForCaller(ctx, root, 'pr', { readOnly: opts.dryRun === true, options: { github: settings }, secrets: token ? { github: { GITHUB_TOKEN: token } } : {} });
  if (!routed) return null;
  try {
    const pack = routed.providers.github!;
    const r = await routed.client.get('github').openClosurePr({ item: id, dryRun: opts.dryRun === true, force: opts.force === true });
    if (opts.json) writeJson(ctx, { ...r, source: { capability: 'github', pack } });
    else {
      const c = colorsFor(ctx, opts);
      const head = r.dryRun ? c.bold(`dry run: would ${r.action} the pull request`) : r.pr ? `${r.action} #${r.pr.number} ${r.pr.url}` : `${r.action}: no pull request`;
      ctx.stdout.write(`${head}\n${c.dim(`  ${r.branch} → ${r.base} of ${r.repo}; ${r.files.length} files; through the github capability of ${pack}`)}\n`);
    }
    return 0;
  } finally {
    await routed.client.close();
  }
}

/**
 * The StateHub `govern statehub sync` talks to, when the `adapters:` section routes the
 * sync through a pack providing `statehub`: that capability, adapted to what the sync
 * calls (`list`, `putByKey`, `setStatus`), its refusals turned back into the
 * StateHubErrors the sync re-decides on (a version conflict carries the hub's current
 * record). The sync's repository name is the pack's `repo`; the URL the command
 * resolved is its `url` unless the section sets one. Null when sync is not routed. The
 * pack holds no connection, so nothing needs closing after the sync.
 */
export async function syncHubThroughPacks(ctx: CommandContext, root: string, at: { url: string; repo: string; token: string | undefined }): Promise<SyncHub | null> {
  if (!hasAdaptersSection(root)) return null;
  const routed = await openForCaller(ctx, root, 'sync', { defaults: { statehub: { url: at.url } }, options: { statehub: { repo: at.repo } }, secrets: at.token ? { statehub: { token: at.token } } : {} });
  if (!routed) return null;
  const hub = routed.client.get('statehub');
  const { StateHubError: HubError } = await import('@govern/statehub');
  const back = (err: unknown): never => {
    const d = isGovernError(err) ? (err.details as { statehub_code?: string; status?: number | null; current?: unknown }) : {};
    if (isGovernError(err) && d.statehub_code) throw new HubError(d.statehub_code as ConstructorParameters<typeof StateHubError>[0], err.message, d.status ?? null, {}, (d.current ?? null) as ConstructorParameters<typeof StateHubError>[4]);
    throw err;
  };
  const itemOf = (key: string) => key.slice(at.repo.length + 1);
  const url = String((routed.options.statehub as { url?: unknown } | undefined)?.url ?? at.url);
  return {
    url,
    list: ((kind: 'workstream' | 'task') => hub.list(kind).catch(back)) as SyncHub['list'],
    putByKey: ((kind: 'workstream' | 'task', key: string, body: { title: string; priority?: string | null; dependsOn?: string[]; status?: string | null; id?: string; workstreamKey?: string }) =>
      hub
        .put(kind, {
          repo: at.repo,
          itemId: itemOf(key),
          title: body.title,
          priority: body.priority ?? null,
          dependsOn: body.dependsOn ?? [],
          status: body.status ?? null,
          ...(body.id ? { id: body.id } : {}),
          ...(body.workstreamKey ? { workstreamItemId: itemOf(body.workstreamKey) } : {}),
        })
        .catch(back)) as unknown as SyncHub['putByKey'],
    setStatus: ((kind: 'workstream' | 'task', id: string, change: { status: string | null; ifVersion: number }) => hub.setStatus(kind, id, { status: change.status, ifVersion: change.ifVersion }).catch(back)) as unknown as SyncHub['setStatus'],
  };
}
