import type { Command } from 'commander';
import { STORE_PROBLEM_KINDS, trashDir, type MigrationResult, type Pack, type RepairResult, type StoreDiagnostic } from '@govern/adapter-kit';
import { isGovernError } from '@govern/errors';
import { resolveRoot, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor, type Colors } from '../render.js';
import { storeCatalog, type CatalogEntry } from './adapters.js';

/**
 * `govern store migrate|repair`: the local stores of the adapter packs (the file
 * store, the DuckDB store) at the root, through each pack's maintenance
 * (docs/adapters.md#store-migration-and-repair).
 */

export interface StoreOptions extends CommonOptions {
  pack?: string;
}

async function storePacks(ctx: CommandContext, opts: StoreOptions, catalog?: readonly CatalogEntry[]): Promise<Pack[]> {
  const all = (catalog ?? (await storeCatalog())).map((e) => e.pack).filter((p) => p.maintenance);
  if (opts.pack === undefined) return all;
  const one = all.filter((p) => p.name === opts.pack);
  if (!one.length) throw new UsageError(`--pack ${opts.pack}: no pack with a local store is named so; known: ${all.map((p) => p.name).join(', ')}`, { pack: opts.pack, known: all.map((p) => p.name) });
  return one;
}

/** `govern store migrate [--dry-run]`: each store's schema version, the planned migrations, applied unless --dry-run. */
export async function storeMigrateCommand(ctx: CommandContext, opts: StoreOptions & { dryRun?: boolean }, catalog?: readonly CatalogEntry[]): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  const packs = await storePacks(ctx, opts, catalog);
  const dryRun = opts.dryRun === true;
  const stores: MigrationResult[] = [];
  for (const p of packs) stores.push(await p.maintenance!.migrate(root, { dryRun }));
  if (opts.json) {
    writeJson(ctx, { dryRun, stores });
    return 0;
  }
  const c = colorsFor(ctx, opts);
  let out = dryRun ? `${c.bold('dry run: nothing was changed')}\n` : '';
  for (const s of stores) {
    if (!s.exists) {
      out += `${c.bold(s.pack)}  no store at this root\n`;
      continue;
    }
    const applied = s.applied.map((m) => `${m.version} (${m.name})`).join(', ');
    const planned = s.planned.map((m) => `${m.version} (${m.name})`).join(', ');
    out += `${c.bold(s.pack)}  schema version ${s.version} of ${s.target} (${s.recordedIn})`;
    out += applied ? `; ${c.green('applied')} ${applied}` : '';
    out += planned ? `; ${dryRun ? 'would apply' : c.yellow('still planned')} ${planned}` : applied ? '' : '; up to date';
    out += '\n';
  }
  ctx.stdout.write(out);
  return 0;
}

/**
 * `govern store repair [--apply]`: every problem of each store, positioned, by kind
 * (corruption, missing reference, orphaned path, pending migration). Without
 * --apply nothing changes; with it, what is corrupt or orphaned is moved (never
 * deleted) to `.govern/trash/<time>/`. Exit 1 when an error remains.
 */
export async function storeRepairCommand(ctx: CommandContext, opts: StoreOptions & { apply?: boolean }, catalog?: readonly CatalogEntry[], now: Date = new Date()): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  const packs = await storePacks(ctx, opts, catalog);
  const apply = opts.apply === true;
  const trash = trashDir(now);
  const stores: RepairResult[] = [];
  for (const p of packs) stores.push(await p.maintenance!.repair(root, { apply, trash }));
  const diagnostics = stores.flatMap((s) => s.diagnostics);
  const remaining = apply ? (await Promise.all(packs.map((p) => p.maintenance!.inspect(root)))).flat() : diagnostics;
  const moved = stores.flatMap((s) => s.moved);
  const counts = Object.fromEntries(STORE_PROBLEM_KINDS.map((k) => [k, diagnostics.filter((d) => d.kind === k).length]));
  const code = remaining.some((d) => d.severity === 'error') ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, { applied: apply, trash: moved.length ? trash : null, counts, diagnostics, moved, remaining });
    return code;
  }
  const c = colorsFor(ctx, opts);
  let out = '';
  for (const d of diagnostics) out += line(c, d);
  if (!diagnostics.length) out += `${c.green('no problems')} in ${packs.map((p) => p.name).join(', ')}\n`;
  else out += `${STORE_PROBLEM_KINDS.map((k) => `${counts[k]} ${k}`).join(', ')}\n`;
  if (apply) {
    for (const m of moved) out += `  moved ${m.from} → ${m.to}\n`;
    if (moved.length) out += `${c.bold(`moved ${moved.length} path${moved.length === 1 ? '' : 's'} to ${trash}/`)} (nothing was deleted: move them back to undo)\n`;
    if (remaining.length) out += `${remaining.length} problem${remaining.length === 1 ? '' : 's'} left (a missing reference or a migration is not repaired by moving: see govern store migrate)\n`;
  } else if (diagnostics.some((d) => d.repair === 'move-to-trash')) out += c.dim('nothing was changed: --apply moves what is corrupt or orphaned to .govern/trash/<time>/\n');
  ctx.stdout.write(out);
  return code;
}

function line(c: Colors, d: StoreDiagnostic): string {
  const where = d.table ? `${d.file}#${d.table}${d.row ? `[${d.row}]` : ''}` : d.line ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
  const sev = d.severity === 'error' ? c.red(d.severity) : c.yellow(d.severity);
  return `${where}  ${sev}  ${d.code}  ${d.message}\n`;
}

/** Declares `govern store migrate` and `govern store repair` (called from program.ts). */
export function registerStoreCommands(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  const store = program.command('store').description("the adapter packs' local stores (file store, DuckDB store): schema versions, migrations, repair (see docs/adapters.md)");
  const run = (fn: () => Promise<number>, o: CommonOptions) =>
    fn().then(setExit, (err: unknown) => {
      if (isGovernError(err) && err.code === 'usage') throw err;
      setExit(renderRefusal(ctx, o, err));
    });
  common(store.command('migrate').description("bring each store to this build's schema version: the migrations its metadata plans, each applied atomically"))
    .option('--dry-run', 'print the schema versions and the planned migrations; change nothing')
    .option('--pack <name>', 'only this pack\'s store (file-store, duckdb-store)')
    .addHelpText('after', '\nExit 0 when done (or planned with --dry-run), 1 when a store refused (locked, newer than this build), 2 on usage.')
    .action((o: StoreOptions & { dryRun?: boolean }) => run(() => storeMigrateCommand(ctx, o), o));
  common(store.command('repair').description('report every problem of each store, positioned: corruption, missing references, orphaned paths, pending migrations'))
    .option('--apply', 'move what is corrupt or orphaned to .govern/trash/<time>/ (never deleted; the run says where)')
    .option('--pack <name>', 'only this pack\'s store (file-store, duckdb-store)')
    .addHelpText('after', '\nWithout --apply nothing changes. Exit 0 when no error remains, 1 when one does (with --apply: after the moves), 2 on usage.')
    .action((o: StoreOptions & { apply?: boolean }) => run(() => storeRepairCommand(ctx, o), o));
}
