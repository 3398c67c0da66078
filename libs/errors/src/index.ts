/**
 * The one coded error model of govern. Every library's refusal is a `GovernError`
 * subclass: the CLI renders it with one renderer, MCP maps it with one mapper, the
 * HTTP services put it in one envelope. `isGovernError` recognises an error thrown by
 * another copy of this module (each esbuild bundle carries its own copy), so callers
 * never rely on `instanceof` across bundles.
 */

// A registered symbol survives bundling: Symbol.for returns the same symbol in every copy.
const GOVERN_ERROR = Symbol.for('govern.error');

/** The JSON form of every govern error: stable for `--json`, MCP and HTTP bodies. */
export interface GovernErrorJSON {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * Exit codes of the `govern` CLI (documented in docs/cli-contract.md):
 * 0 success; 1 a refusal or failed check (the command ran and said no);
 * 2 usage error (bad flags or arguments, unknown names); 3 an internal error (a bug:
 * an exception that is not a `GovernError`).
 */
export const EXIT = { ok: 0, refused: 1, usage: 2, internal: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Options every subclass may pass to the base constructor. */
export interface GovernErrorOptions {
  details?: Record<string, unknown>;
  /** Exit code for the CLI; defaults to 1 (refused). */
  exitCode?: ExitCode;
  /** The underlying error, kept for debugging, never serialized. */
  cause?: unknown;
}

/**
 * Base of every coded refusal. `code` is a stable kebab-case string callers switch on;
 * `details` carries machine-readable context (never secrets); `exitCode` is what the CLI
 * exits with.
 */
export class GovernError<C extends string = string> extends Error {
  readonly [GOVERN_ERROR] = true;
  readonly code: C;
  readonly details: Record<string, unknown>;
  readonly exitCode: ExitCode;

  constructor(code: C, message: string, options: GovernErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    this.exitCode = options.exitCode ?? EXIT.refused;
  }

  toJSON(): GovernErrorJSON {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True for any `GovernError`, even one created by another copy of this module. */
export function isGovernError(err: unknown): err is GovernError {
  return typeof err === 'object' && err !== null && (err as { [GOVERN_ERROR]?: unknown })[GOVERN_ERROR] === true;
}

/**
 * The JSON form of any thrown value: a `GovernError` as its `toJSON()` (a subclass may
 * add to `details` there, e.g. an HTTP status), anything else as `internal-error` with
 * its message (no stack: stacks are for `--debug`, not for users).
 */
export function toErrorJSON(err: unknown): GovernErrorJSON {
  if (isGovernError(err)) {
    const own = typeof err.toJSON === 'function' ? (err.toJSON() as Partial<GovernErrorJSON> | null) : null;
    const details = isRecord(own?.details) ? own.details : isRecord(err.details) ? err.details : {};
    return { code: String(own?.code ?? err.code), message: String(own?.message ?? err.message), details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal-error', message, details: {} };
}

/**
 * `{ error: { code, message, details } }`: the body every surface answers a thrown value
 * with (the CLI's `--json`, an MCP tool result's structuredContent, an HTTP error body).
 */
export function errorBody(err: unknown): { error: GovernErrorJSON } {
  return { error: toErrorJSON(err) };
}

/** The CLI exit code for any thrown value (see `EXIT`). */
export function exitCodeOf(err: unknown): ExitCode {
  if (isGovernError(err)) {
    const code = err.exitCode;
    return code === 0 || code === 1 || code === 2 || code === 3 ? code : EXIT.refused;
  }
  return EXIT.internal;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
