import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Store maintenance (seed 003 PMEM-WP-0011 T02, GV-WP-0012-T03): what a store pack
 * declares about the layout of what it keeps, and how a store written by another
 * build or damaged by a crash or a hand edit is inspected, migrated and repaired.
 * A pack offers it as `maintenance` (optional: remote packs keep nothing locally);
 * `govern store migrate` and `govern store repair` run it for every store pack.
 */

/** What a store problem is: the four kinds repair tells apart. */
export const STORE_PROBLEM_KINDS = ['corruption', 'missing-reference', 'orphaned-path', 'pending-migration'] as const;
export type StoreProblemKind = (typeof STORE_PROBLEM_KINDS)[number];

/** The diagnostic code of each kind. */
export const STORE_PROBLEM_CODES = {
  corruption: 'store-corrupt',
  'missing-reference': 'store-missing-reference',
  'orphaned-path': 'store-orphaned-path',
  'pending-migration': 'store-migration-pending',
} as const satisfies Record<StoreProblemKind, string>;

/**
 * One problem of a store, positioned: a file (relative to the root, `/`-separated)
 * with a line and column when the problem is inside it, or a database file with
 * the table and the row's key. `repair` says what `govern store repair --apply`
 * does about it: move it to the trash, nothing (run `govern store migrate`, or
 * only a person can tell what is missing).
 */
export const StoreDiagnosticSchema = z
  .object({
    severity: z.enum(['error', 'warning']),
    code: z.enum(Object.values(STORE_PROBLEM_CODES) as [string, ...string[]]),
    kind: z.enum(STORE_PROBLEM_KINDS),
    pack: z.string(),
    message: z.string(),
    file: z.string(),
    line: z.int().min(1).nullable(),
    column: z.int().min(1).nullable(),
    table: z.string().nullable(),
    /** The row's key in `table` (`seq 3`, `id main`, `stream s seq 2`). */
    row: z.string().nullable(),
    repair: z.enum(['move-to-trash', 'migrate', 'none']),
  })
  .strict();
export type StoreDiagnostic = z.infer<typeof StoreDiagnosticSchema>;

/** A migration between two schema versions of a store. */
export const PlannedMigrationSchema = z.object({ version: z.int().min(1), name: z.string() }).strict();
export type PlannedMigration = z.infer<typeof PlannedMigrationSchema>;

/**
 * A store's metadata as maintenance reads it: the schema version on disk (0: none
 * recorded, or no store at all when `exists` is false), this build's, and the
 * migrations that would bring the one to the other, in order.
 */
export const StoreMetadataSchema = z
  .object({
    pack: z.string(),
    exists: z.boolean(),
    /** Where the version is recorded (`.govern/adapters/file-store/meta.json`, `…/store.duckdb#schema_migrations`). */
    recordedIn: z.string(),
    version: z.int().min(0),
    target: z.int().min(0),
    planned: z.array(PlannedMigrationSchema),
  })
  .strict();
export type StoreMetadata = z.infer<typeof StoreMetadataSchema>;

/** What a migration did (or, with `dryRun`, would do). */
export const MigrationResultSchema = StoreMetadataSchema.extend({ dryRun: z.boolean(), applied: z.array(PlannedMigrationSchema) }).strict();
export type MigrationResult = z.infer<typeof MigrationResultSchema>;

/** One thing repair moved (or would move) to the trash, relative to the root. */
export const TrashMoveSchema = z.object({ from: z.string(), to: z.string(), what: z.string() }).strict();
export type TrashMove = z.infer<typeof TrashMoveSchema>;

/**
 * What repair found and did: every problem, positioned; with `apply`, what was
 * moved where. Nothing is ever deleted: a file is renamed into the trash, a row
 * is written there as JSON before it is removed from its table.
 */
export const RepairResultSchema = z
  .object({
    pack: z.string(),
    applied: z.boolean(),
    diagnostics: z.array(StoreDiagnosticSchema),
    moved: z.array(TrashMoveSchema),
    /** The trash directory of this run (relative to the root) when something was moved; else null. */
    trash: z.string().nullable(),
  })
  .strict();
export type RepairResult = z.infer<typeof RepairResultSchema>;

/** What a store pack offers maintenance: all at a repository root, with no instance of the pack open. */
export interface StoreMaintenance {
  /** The schema version on disk, this build's, and the migrations planned between them. */
  metadata(root: string): Promise<StoreMetadata>;
  /** Every problem, positioned; reads only. */
  inspect(root: string): Promise<StoreDiagnostic[]>;
  /** Applies the planned migrations (atomically each), or with `dryRun` only says which. */
  migrate(root: string, opts: { dryRun: boolean }): Promise<MigrationResult>;
  /** Inspects; with `apply`, moves what is corrupt or orphaned into `trash` (relative to the root). */
  repair(root: string, opts: { apply: boolean; trash: string }): Promise<RepairResult>;
}

/** Where repair puts what it takes out of a store: `.govern/trash/<time>/` (no `:` in the name, so it is a valid path everywhere). */
export function trashDir(now: Date = new Date()): string {
  return `.govern/trash/${now.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Moves `rel` (relative to `root`) to the same relative place under `trash`, creating
 * directories, with one rename (atomic on one file system), then fsyncs both
 * directories so the move survives a crash. Returns the new relative path.
 */
export function moveToTrash(root: string, rel: string, trash: string): string {
  const to = path.posix.join(trash, rel);
  const absTo = path.join(root, to);
  fs.mkdirSync(path.dirname(absTo), { recursive: true });
  fs.renameSync(path.join(root, rel), absTo);
  for (const d of new Set([path.dirname(path.join(root, rel)), path.dirname(absTo)])) fsyncDir(d);
  return to;
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // The source directory may be gone (its last entry moved out and removed): nothing to sync.
  }
}

/**
 * The 1-based line and column where `text` stops being JSON. V8's messages do not
 * always say (Node 20: "Unexpected token 'o', …"), so the text is scanned here: a
 * strict JSON grammar walk that returns the offset of the first character it
 * cannot accept (the end of the text when it ends too early).
 */
export function jsonErrorPosition(text: string, _err?: unknown): { line: number; column: number } {
  const offset = jsonErrorOffset(text);
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

function jsonErrorOffset(t: string): number {
  let i = 0;
  const ws = () => {
    while (i < t.length && ' \t\n\r'.includes(t[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string) => {
    for (const ch of word) {
      if (t[i] !== ch) fail();
      i++;
    }
  };
  const str = () => {
    i++;
    while (i < t.length && t[i] !== '"') {
      if (t[i]! < ' ') fail();
      if (t[i] === '\\') {
        i++;
        if (t[i] === 'u') {
          for (let k = 0; k < 4; k++) if (!/[0-9a-fA-F]/.test(t[++i] ?? '')) fail();
        } else if (!'"\\/bfnrt'.includes(t[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= t.length) fail();
    i++;
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(t.slice(i));
    if (!m || !m[0] || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = t[i];
    if (c === '{') {
      i++;
      ws();
      if (t[i] === '}') return void i++;
      for (;;) {
        ws();
        if (t[i] !== '"') fail();
        str();
        ws();
        if (t[i] !== ':') fail();
        i++;
        value();
        ws();
        if (t[i] === ',') i++;
        else if (t[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (t[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (t[i] === ',') i++;
        else if (t[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return str();
    if (c === 't') return lit('true');
    if (c === 'f') return lit('false');
    if (c === 'n') return lit('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    fail();
  };
  try {
    value();
    ws();
    if (i < t.length) fail();
    return t.length;
  } catch (at) {
    return Math.min(typeof at === 'number' ? at : 0, t.length);
  }
}

/** A store diagnostic with the defaults filled in. */
export function storeDiagnostic(d: Omit<StoreDiagnostic, 'code' | 'severity' | 'line' | 'column' | 'table' | 'row' | 'repair'> & Partial<StoreDiagnostic>): StoreDiagnostic {
  const repair = d.repair ?? (d.kind === 'pending-migration' ? 'migrate' : d.kind === 'missing-reference' ? 'none' : 'move-to-trash');
  return {
    severity: d.severity ?? (d.kind === 'orphaned-path' ? 'warning' : 'error'),
    code: STORE_PROBLEM_CODES[d.kind],
    kind: d.kind,
    pack: d.pack,
    message: d.message,
    file: d.file,
    line: d.line ?? null,
    column: d.column ?? null,
    table: d.table ?? null,
    row: d.row ?? null,
    repair,
  };
}
