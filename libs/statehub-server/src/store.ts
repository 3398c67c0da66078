import crypto from 'node:crypto';
import { GovernError } from '@govern/errors';
import type { Change, ChangePage, ErrorCode, HubRecord, HubStatus, PatchResult, PutResult, RecordKind } from '@govern/statehub';
import { num, openDb, type Db, type Param, type Row, type Tx } from './db.js';
import { migrate } from './migrations.js';

/** A refusal the HTTP layer turns into `{ error, current? }` with this status. */
export class StoreError extends GovernError<ErrorCode> {
  constructor(
    code: ErrorCode,
    readonly status: number,
    message: string,
    details: Record<string, unknown> = {},
    readonly current: HubRecord | null = null,
  ) {
    super(code, message, { details });
  }
}

/** The fields of a create-or-update by key, after the schema's defaults. */
export interface PutInput {
  repo: string;
  itemId: string;
  title: string;
  priority: string | null;
  dependsOn: string[];
  status: HubStatus;
  id?: string | undefined;
  ifVersion?: number | undefined;
  actor?: string | undefined;
  workstreamKey?: string | undefined;
}

function toRecord(r: Row): HubRecord {
  return {
    id: r.id as string,
    kind: r.kind as RecordKind,
    externalKey: r.external_key as string,
    repo: r.repo as string,
    itemId: r.item_id as string,
    workstreamId: (r.workstream_id as string | null) ?? null,
    title: r.title as string,
    status: (r.status as HubStatus) ?? null,
    priority: (r.priority as string | null) ?? null,
    dependsOn: JSON.parse(r.depends_on as string) as string[],
    version: num(r.version),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

function toChange(r: Row): Change {
  return {
    seq: num(r.seq),
    at: r.changed_at as string,
    op: r.op as Change['op'],
    kind: r.kind as RecordKind,
    recordId: r.record_id as string,
    externalKey: r.external_key as string,
    repo: r.repo as string,
    version: num(r.version),
    status: (r.status as HubStatus) ?? null,
    fromStatus: (r.from_status as HubStatus) ?? null,
    actor: (r.actor as string | null) ?? null,
  };
}

const SELECT = 'SELECT * FROM records';

/**
 * StateHub's data: records (workstreams and tasks) with versions, and the
 * append-only change feed. Every write is one transaction that changes the
 * record and appends its change, so the feed never misses or invents one.
 */
export class Store {
  private constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  /** Opens (or creates) the database file and brings its schema up to date. */
  static async open(file: string, opts: { now?: () => Date } = {}): Promise<Store> {
    const db = await openDb(file);
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
    return new Store(db, opts.now ?? (() => new Date()));
  }

  get file(): string {
    return this.db.file;
  }

  async list(kind: RecordKind | null, repo?: string): Promise<HubRecord[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (kind) where.push(`kind = $${params.push(kind)}`);
    if (repo !== undefined) where.push(`repo = $${params.push(repo)}`);
    const rows = await this.db.all(`${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY external_key, kind`, params);
    return rows.map(toRecord);
  }

  /**
   * One page of `kind`'s records (of `repo`), ordered by externalKey, after the
   * key `after`: a keyset cursor, so records created or changed between two pages
   * neither repeat nor shift the ones not yet read. `next` is the last key
   * returned when more follow, else null.
   */
  async page(kind: RecordKind, q: { repo?: string | undefined; limit: number; after?: string | undefined }): Promise<{ records: HubRecord[]; next: string | null }> {
    const params: Param[] = [kind];
    const where = ['kind = $1'];
    if (q.repo !== undefined) where.push(`repo = $${params.push(q.repo)}`);
    if (q.after !== undefined) where.push(`external_key > $${params.push(q.after)}`);
    const rows = await this.db.all(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY external_key LIMIT $${params.push(q.limit + 1)}`, params);
    const records = rows.slice(0, q.limit).map(toRecord);
    return { records, next: rows.length > q.limit ? records[records.length - 1]!.externalKey : null };
  }

  async get(kind: RecordKind, id: string): Promise<HubRecord> {
    const rows = await this.db.all(`${SELECT} WHERE kind = $1 AND id = $2`, [kind, id]);
    if (!rows[0]) throw new StoreError('not-found', 404, `no ${kind} with id ${id}`, { id });
    return toRecord(rows[0]);
  }

  /**
   * Creates the record with this key — which must be `<repo>:<itemId>` of the
   * input (422 otherwise) — or updates its structure (title, priority,
   * dependencies, workstream). Status is set only on creation;
   * a request that changes nothing leaves the version alone, so repeating it is
   * harmless: that is what makes a create whose answer was lost safe to resend.
   */
  putByKey(kind: RecordKind, key: string, input: PutInput): Promise<PutResult> {
    // The key is derived, not chosen: were it free, one item could be created again
    // under a second key and have two records.
    const expected = `${input.repo}:${input.itemId}`;
    if (key !== expected) {
      return Promise.reject(new StoreError('unprocessable', 422, `the key ${key} is not the body's <repo>:<itemId>, ${expected}`, { key, expected }));
    }
    return this.db.transaction(async (tx) => {
      const at = this.now().toISOString();
      let workstreamId: string | null = null;
      if (kind === 'task') {
        const ws = (await tx.all(`${SELECT} WHERE kind = 'workstream' AND external_key = $1`, [input.workstreamKey ?? '']))[0];
        if (!ws) throw new StoreError('unprocessable', 422, `no workstream has the key ${input.workstreamKey}; create it first`, { workstreamKey: input.workstreamKey });
        workstreamId = ws.id as string;
      }
      const existingRow = (await tx.all(`${SELECT} WHERE kind = $1 AND external_key = $2`, [kind, key]))[0];
      if (!existingRow) {
        if (input.id !== undefined) {
          const taken = (await tx.all(`${SELECT} WHERE id = $1`, [input.id]))[0];
          if (taken) throw new StoreError('id-taken', 409, `id ${input.id} already belongs to ${taken.kind} ${taken.external_key}`, { id: input.id }, toRecord(taken));
        }
        const id = input.id ?? crypto.randomUUID();
        await tx.run(
          `INSERT INTO records (id, kind, external_key, repo, item_id, workstream_id, title, status, priority, depends_on, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)`,
          [id, kind, key, input.repo, input.itemId, workstreamId, input.title, input.status, input.priority, JSON.stringify(input.dependsOn), at],
        );
        const record = await this.read(tx, id);
        await this.appendChange(tx, at, 'created', record, null, input.actor);
        return { record, created: true, changed: true };
      }
      const existing = toRecord(existingRow);
      if (input.id !== undefined && input.id !== existing.id) {
        throw new StoreError('id-mismatch', 409, `${kind} ${key} has id ${existing.id}, not ${input.id}`, { id: input.id }, existing);
      }
      if (input.ifVersion !== undefined && input.ifVersion !== existing.version) {
        throw new StoreError('version-conflict', 409, `${kind} ${key} is at version ${existing.version}, not ${input.ifVersion}`, { ifVersion: input.ifVersion }, existing);
      }
      const same =
        existing.repo === input.repo &&
        existing.itemId === input.itemId &&
        existing.title === input.title &&
        existing.priority === input.priority &&
        existing.workstreamId === workstreamId &&
        JSON.stringify(existing.dependsOn) === JSON.stringify(input.dependsOn);
      if (same) return { record: existing, created: false, changed: false };
      await tx.run(
        `UPDATE records SET repo = $2, item_id = $3, workstream_id = $4, title = $5, priority = $6, depends_on = $7, version = version + 1, updated_at = $8
         WHERE id = $1`,
        [existing.id, input.repo, input.itemId, workstreamId, input.title, input.priority, JSON.stringify(input.dependsOn), at],
      );
      const record = await this.read(tx, existing.id);
      await this.appendChange(tx, at, 'updated', record, null, input.actor);
      return { record, created: false, changed: true };
    });
  }

  /** Sets a record's status if it is still at `ifVersion` (409 with the current record otherwise). */
  setStatus(kind: RecordKind, id: string, input: { status: HubStatus; ifVersion: number; actor?: string | undefined }): Promise<PatchResult> {
    return this.db.transaction(async (tx) => {
      const row = (await tx.all(`${SELECT} WHERE kind = $1 AND id = $2`, [kind, id]))[0];
      if (!row) throw new StoreError('not-found', 404, `no ${kind} with id ${id}`, { id });
      const existing = toRecord(row);
      if (existing.version !== input.ifVersion) {
        throw new StoreError('version-conflict', 409, `${kind} ${existing.externalKey} is at version ${existing.version}, not ${input.ifVersion}`, { ifVersion: input.ifVersion }, existing);
      }
      if (existing.status === input.status) return { record: existing, changed: false };
      const at = this.now().toISOString();
      await tx.run('UPDATE records SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1', [id, input.status, at]);
      const record = await this.read(tx, id);
      await this.appendChange(tx, at, 'status', record, existing.status, input.actor);
      return { record, changed: true };
    });
  }

  /** Changes after `since`, oldest first. */
  async changes(since: number, limit: number): Promise<ChangePage> {
    const rows = await this.db.all('SELECT * FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2', [since, limit + 1]);
    const changes = rows.slice(0, limit).map(toChange);
    return { changes, next: changes.length ? changes[changes.length - 1]!.seq : since, hasMore: rows.length > limit };
  }

  /** CHECKPOINT and close (see db.ts). */
  close(): Promise<void> {
    return this.db.close();
  }

  private async read(tx: Tx, id: string): Promise<HubRecord> {
    return toRecord((await tx.all(`${SELECT} WHERE id = $1`, [id]))[0]!);
  }

  private async appendChange(tx: Tx, at: string, op: Change['op'], r: HubRecord, fromStatus: HubStatus, actor: string | undefined): Promise<void> {
    const seq = num((await tx.all('SELECT coalesce(max(seq), 0) + 1 AS seq FROM changes'))[0]!.seq);
    await tx.run('INSERT INTO changes VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      seq,
      at,
      op,
      r.kind,
      r.id,
      r.externalKey,
      r.repo,
      r.version,
      r.status,
      fromStatus,
      actor ?? null,
    ]);
  }
}
