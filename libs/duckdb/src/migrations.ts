import crypto from 'node:crypto';
import type { Db, Conn } from './db.js';
import { MigrationError } from './errors.js';
import { num } from './node-api.js';

/**
 * Checksummed migrations, one `schema_migrations` shape for every service:
 *
 * ```sql
 * schema_migrations (
 *   version    INTEGER PRIMARY KEY,  -- 1, 2, 3, … in the order applied
 *   name       VARCHAR NOT NULL,     -- the migration's name
 *   sha256     VARCHAR NOT NULL,     -- sha256 of its statements (see checksum)
 *   applied_at VARCHAR               -- ISO 8601; NULL for a row carried over from a layout that did not record it
 * )
 * ```
 *
 * Opening a database applies the missing migrations in order, each with its
 * row in one transaction (DuckDB runs DDL transactionally), so a crash
 * mid-migration leaves the previous version. A database whose applied
 * migration's sha256 differs from this build's (a released migration was
 * edited), or which has a version this build does not know (a newer build
 * wrote it), is refused with {@link MigrationError} and left untouched. Never
 * edit a released migration: add the next one.
 *
 * **Older layouts** (before this kernel) are upgraded in place, in one
 * transaction, before anything else: the memory store's
 * `(version, name, checksum)` keeps its checksums (the same sha256 of the same
 * text) with `applied_at` NULL; StateHub's `(version, name, applied_at)` gets
 * the sha256 of this build's migration of each version (it recorded none,
 * and its migrations were never edited).
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export interface MigrateOptions {
  /** The clock of `applied_at` (default: now, ISO 8601). */
  now?: () => string;
  /** What to upgrade when the database is newer than this build (in the message): `memoryd`, `govern`. */
  upgrade?: string;
}

export interface MigrateResult {
  /** The version before (0 for a new database) and after. */
  from: number;
  to: number;
  /** The versions applied now, in order. */
  applied: number[];
  /** The older layout upgraded to the current shape, if any. */
  legacy: 'checksum' | 'applied_at' | null;
}

/** One row of `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  sha256: string;
  applied_at: string | null;
}

export const SCHEMA_MIGRATIONS_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, applied_at VARCHAR)';

/** sha256 (hex) of a migration's statements joined by `\n;\n`. */
export function checksum(m: Pick<Migration, 'statements'>): string {
  return crypto.createHash('sha256').update(m.statements.join('\n;\n')).digest('hex');
}

/** The rows of `schema_migrations`, by version. */
export async function appliedMigrations(db: Pick<Db, 'all'>): Promise<AppliedMigration[]> {
  const rows = await db.all('SELECT version, name, sha256, applied_at FROM schema_migrations ORDER BY version');
  return rows.map((r) => ({ version: num(r.version), name: r.name as string, sha256: r.sha256 as string, applied_at: (r.applied_at as string | null) ?? null }));
}

/** Brings `db` to the last of `migrations` (ascending versions), upgrading an older `schema_migrations` layout first. */
export async function migrate(db: Db, migrations: readonly Migration[], opts: MigrateOptions = {}): Promise<MigrateResult> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) throw new Error(`migrations must have ascending versions: ${migrations[i - 1]!.version} then ${migrations[i]!.version}`);
  }
  const now = opts.now ?? (() => new Date().toISOString());
  const latest = migrations.at(-1)?.version ?? 0;
  const known = new Map(migrations.map((m) => [m.version, m]));
  const newer = (version: number) =>
    new MigrationError(`${db.file} has schema version ${version}, newer than this build's ${latest}${opts.upgrade ? `; upgrade ${opts.upgrade}` : ''}`, {
      file: db.file,
      reason: 'newer-schema',
      version,
      known: latest,
    });

  const legacy = await db.transaction((tx) => upgradeLayout(tx, db.file, known, newer));
  const rows = await appliedMigrations(db);
  for (const r of rows) {
    const m = known.get(r.version);
    if (!m) throw newer(r.version);
    const expected = checksum(m);
    if (r.sha256 !== expected) {
      throw new MigrationError(`${db.file}: migration ${m.version} (${m.name}) differs from the one applied; released migrations must not change`, {
        file: db.file,
        reason: 'checksum-mismatch',
        version: m.version,
        name: m.name,
        recorded: r.sha256,
        expected,
      });
    }
  }
  const done = new Set(rows.map((r) => r.version));
  const from = rows.reduce((v, r) => Math.max(v, r.version), 0);
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await db.transaction(async (tx) => {
      for (const s of m.statements) await tx.run(s);
      await tx.run('INSERT INTO schema_migrations VALUES ($1, $2, $3, $4)', [m.version, m.name, checksum(m), now()]);
    });
    applied.push(m.version);
  }
  return { from, to: Math.max(from, latest), applied, legacy };
}

/** Creates `schema_migrations`, or rewrites an older layout of it into the current one (inside the caller's transaction). */
async function upgradeLayout(tx: Conn, file: string, known: Map<number, Migration>, newer: (v: number) => MigrationError): Promise<MigrateResult['legacy']> {
  const columns = (await tx.all("SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = 'schema_migrations' ORDER BY ordinal_position")).map(
    (r) => r.column_name as string,
  );
  if (columns.length === 0 || columns.includes('sha256')) {
    await tx.run(SCHEMA_MIGRATIONS_DDL);
    return null;
  }
  const layout = columns.includes('checksum') ? 'checksum' : columns.includes('applied_at') ? 'applied_at' : null;
  if (!layout || !columns.includes('version') || !columns.includes('name')) {
    throw new MigrationError(`${file}: schema_migrations has columns ${columns.join(', ')}, a layout this build does not know`, { file, reason: 'unknown-layout', columns });
  }
  const old = await tx.all(`SELECT version, name, ${layout} AS v FROM schema_migrations ORDER BY version`);
  await tx.run(SCHEMA_MIGRATIONS_DDL.replace('schema_migrations', 'schema_migrations_next'));
  for (const r of old) {
    const version = num(r.version);
    const m = known.get(version);
    if (!m) throw newer(version); // before anything is rewritten: the transaction rolls back
    const sha256 = layout === 'checksum' ? (r.v as string) : checksum(m);
    const appliedAt = layout === 'checksum' ? null : (r.v as string);
    await tx.run('INSERT INTO schema_migrations_next VALUES ($1, $2, $3, $4)', [version, r.name as string, sha256, appliedAt]);
  }
  await tx.run('DROP TABLE schema_migrations');
  await tx.run('ALTER TABLE schema_migrations_next RENAME TO schema_migrations');
  return layout;
}
