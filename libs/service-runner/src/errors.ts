import { GovernError, isGovernError } from '@govern/errors';

/**
 * The reason codes the runner itself gives (LM-10 split): a denial carries a
 * `policy_reason_code`, a failure a `failure_reason_code`, never both. A library's
 * refusal keeps its own code as its `failure_reason_code` (`transition-forbidden`,
 * `conflict`, …).
 */
export const SERVICE_POLICY_REASONS = {
  gate: 'gate.disabled',
  reviewRequired: 'review.required',
  selfApproval: 'review.self-approval',
  shadow: 'service.shadow-mode',
} as const;

export const SERVICE_FAILURE_REASONS = {
  unknown: 'service.operation-unknown',
  unsupported: 'service.unsupported',
  inputInvalid: 'service.input-invalid',
  outputInvalid: 'service.output-invalid',
  reviewNotFound: 'review.not-found',
  internal: 'service.internal',
} as const;

/** Which side of the split a refusal is on. */
export type RefusalKind = 'denial' | 'failure';

/**
 * A refusal of an operation: a `GovernError` whose details start with the
 * operation's name and the reason split, and whose `status` is the HTTP status it
 * is answered with (the HTTP layer reads it; the CLI and MCP render the envelope).
 */
export class ServiceError extends GovernError {
  readonly status: number;
  readonly kind: RefusalKind;

  constructor(
    code: string,
    message: string,
    opts: { operation: string; kind: RefusalKind; reason: string; status: number; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(code, message, {
      details: {
        operation: opts.operation,
        failure_reason_code: opts.kind === 'failure' ? opts.reason : null,
        policy_reason_code: opts.kind === 'denial' ? opts.reason : null,
        ...(opts.details ?? {}),
      },
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.status = opts.status;
    this.kind = opts.kind;
  }

  /** The reason code on its side of the split. */
  get reason(): string {
    return String(this.details[this.kind === 'denial' ? 'policy_reason_code' : 'failure_reason_code']);
  }
}

/** HTTP statuses of the library refusals an operation passes on (others are 422 when coded, 500 when not). */
const LIBRARY_STATUS: Readonly<Record<string, number>> = {
  'item-not-found': 404,
  'not-found': 404,
  conflict: 409,
  'transition-forbidden': 409,
  'closure-required': 409,
  'dependencies-not-done': 409,
  'lock-timeout': 503,
  'lock-lost': 503,
  'invalid-reason': 400,
  'invalid-request': 400,
  unauthorized: 401,
  unavailable: 503,
};

/**
 * Library refusals that are the profile's lifecycle rules (a guard), not
 * something going wrong: denials, with `lifecycle.<code>` as `policy_reason_code`.
 */
const LIFECYCLE_DENIALS: ReadonlySet<string> = new Set(['transition-forbidden', 'closure-required', 'dependencies-not-done']);

/** A reason code is letters, digits and `. _ : / -` (the contracts' rule); a library code that is not becomes `service.internal`. */
const REASON_CODE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

/**
 * Any error thrown while an operation ran, as a {@link ServiceError}: a service
 * refusal as it is; a coded library refusal (a `GovernError`) as a failure with its
 * code and details, or as a denial when the library marked it one (the adapter
 * kit's `policy_reason_code`); anything else as `internal` (its message kept, no stack).
 */
export function toServiceError(err: unknown, operation: string): ServiceError {
  if (err instanceof ServiceError) return err;
  if (isGovernError(err)) {
    const d = err.details;
    const policy = typeof d.policy_reason_code === 'string' ? d.policy_reason_code : LIFECYCLE_DENIALS.has(err.code) ? `lifecycle.${err.code}` : null;
    const ownStatus = (err as { status?: unknown }).status;
    const status = typeof ownStatus === 'number' && ownStatus >= 400 && ownStatus <= 599 ? ownStatus : (LIBRARY_STATUS[err.code] ?? (policy ? 403 : 422));
    const failure = typeof d.failure_reason_code === 'string' ? d.failure_reason_code : REASON_CODE.test(err.code) ? err.code : SERVICE_FAILURE_REASONS.internal;
    return new ServiceError(err.code, err.message, {
      operation,
      kind: policy ? 'denial' : 'failure',
      reason: policy ?? failure,
      status,
      details: stripSplit(d),
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ServiceError('internal', `internal error in ${operation}: ${message}`, { operation, kind: 'failure', reason: SERVICE_FAILURE_REASONS.internal, status: 500, cause: err });
}

function stripSplit(d: Record<string, unknown>): Record<string, unknown> {
  const { failure_reason_code: _f, policy_reason_code: _p, operation: _o, ...rest } = d;
  return rest;
}
