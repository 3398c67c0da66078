import { GovernError, type GovernErrorOptions } from '@govern/errors';

/**
 * The kernel's refusals. `locked`: the file is open in another process (or
 * already in this one); `open-failed`: DuckDB could not open it; `closed`: the
 * database was used after `close()`; `schema`: its migrations do not match this
 * build ({@link MigrationError}); `checkpoint`: a service's own ingest
 * checkpoint refusal (the memory store's).
 */
export type DbErrorCode = 'locked' | 'open-failed' | 'closed' | 'schema' | 'checkpoint';

export class DbError extends GovernError<DbErrorCode> {
  constructor(code: DbErrorCode, message: string, options: GovernErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * The class a database throws its refusals as. A service passes its own
 * subclass (the memory store's `StoreError`) so its callers keep seeing the
 * name they switch on; the default is {@link DbError}.
 */
export type DbErrorClass = new (code: DbErrorCode, message: string, options?: GovernErrorOptions) => DbError;

/** Why migrating was refused. */
export type MigrationRefusal = 'checksum-mismatch' | 'newer-schema' | 'unknown-layout';

/**
 * Code `schema`: an applied migration whose recorded sha256 differs from this
 * build's (a released migration was edited), or a database written by a newer
 * build (a version this build does not know). Never retried: the database is
 * left as it is.
 */
export class MigrationError extends DbError {
  declare readonly details: {
    file: string;
    reason: MigrationRefusal;
    version?: number;
    name?: string;
    columns?: string[];
    recorded?: string;
    expected?: string;
    known?: number;
  };
  constructor(message: string, details: MigrationError['details']) {
    super('schema', message, { details });
  }
}
