import { EXIT, GovernError, isGovernError, toErrorJSON, type GovernErrorJSON, type GovernErrorOptions } from '@govern/errors';

/**
 * The HTTP status of every error code a govern service answers with: the one place
 * codes meet statuses. A code not listed is a 500 (an unmapped refusal is a bug to
 * see, not a client error to hide).
 */
export const HTTP_STATUS: Readonly<Record<string, number>> = {
  'bad-request': 400,
  'invalid-request': 400,
  'window-invalid': 400,
  'window-too-wide': 400,
  unauthorized: 401,
  'not-found': 404,
  'method-not-allowed': 405,
  'request-timeout': 408,
  'request-aborted': 400,
  'version-conflict': 409,
  'id-taken': 409,
  'id-mismatch': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'precondition-required': 428,
  internal: 500,
  'internal-error': 500,
  unavailable: 503,
};

/** The status of a code ({@link HTTP_STATUS}); 500 for a code not listed. */
export function statusForCode(code: string): number {
  return Object.hasOwn(HTTP_STATUS, code) ? HTTP_STATUS[code]! : 500;
}

export interface HttpErrorOptions extends GovernErrorOptions {
  /** The HTTP status, when it is not the code's own ({@link HTTP_STATUS}). */
  status?: number;
}

/** A refusal answered over HTTP: a `GovernError` with the status it is sent with. */
export class HttpError<C extends string = string> extends GovernError<C> {
  readonly status: number;

  constructor(code: C, message: string, options: HttpErrorOptions = {}) {
    super(code, message, options);
    this.status = options.status ?? statusForCode(code);
  }
}

/** A request body over the limit: 413 `payload-too-large`, `details.max` the limit in bytes. */
export class PayloadTooLargeError extends HttpError<'payload-too-large'> {
  constructor(readonly max: number) {
    super('payload-too-large', `body exceeds ${max} bytes`, { details: { max } });
  }
}

/** The client went away (or the connection failed) before the body was complete. Nobody reads the answer. */
export class RequestAbortedError extends HttpError<'request-aborted'> {
  constructor(cause?: unknown) {
    super('request-aborted', 'the request was aborted before its body was complete', { cause });
  }
}

/** The body did not arrive within the time allowed: 408 `request-timeout`. */
export class RequestTimeoutError extends HttpError<'request-timeout'> {
  constructor(readonly timeoutMs: number) {
    super('request-timeout', `the request body did not arrive within ${timeoutMs} ms`, { details: { timeoutMs } });
  }
}

/**
 * Refusal to listen: a bind reachable from the network without a bearer token, or with
 * one shorter than the minimum. `details` names the host and the token's length, never
 * the token. A usage error (exit 2).
 */
export class UnsafeBindError extends GovernError<'unsafe-bind'> {
  constructor(message: string, details: { host: string; tokenBytes: number | null; minTokenBytes: number }) {
    super('unsafe-bind', message, { details, exitCode: EXIT.usage });
  }
}

/**
 * The status an error is answered with: its own `status` when it carries a valid one
 * (an `HttpError`, or a service's coded error that has one), else its code's
 * ({@link HTTP_STATUS}) for a `GovernError`, else 500.
 */
export function statusOf(err: unknown): number {
  const own = (err as { status?: unknown } | null)?.status;
  if (isGovernError(err) && typeof own === 'number' && Number.isInteger(own) && own >= 400 && own <= 599) return own;
  return isGovernError(err) ? statusForCode(String(err.code)) : 500;
}

/** The error envelope every govern service answers a refusal with: `{ error: { code, message, details } }` (plus `extra` fields beside `error`). */
export interface ErrorEnvelope {
  error: GovernErrorJSON;
  [extra: string]: unknown;
}

/** The envelope of any thrown value: `toErrorJSON` of @govern/errors (a non-`GovernError` is `internal-error` with its message). */
export function errorEnvelope(err: unknown, extra: Record<string, unknown> = {}): ErrorEnvelope {
  const { error: _ignored, ...rest } = extra;
  return { error: toErrorJSON(err), ...rest };
}
