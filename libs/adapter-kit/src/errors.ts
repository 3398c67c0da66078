import { ReasonSemanticsSchema } from '@govern/contracts';
import { GovernError, isGovernError, toErrorJSON, type GovernErrorJSON } from '@govern/errors';

/**
 * The refusals of adapter packs and of the kit, with the reason split of seed 002
 * (LM-10) on every one of them: a **failure** (something went wrong: a conflict,
 * a corrupt record, an unreachable remote) carries `failure_reason_code` and a
 * null `policy_reason_code`; a **denial** (a policy said no: read-only, outside
 * the ownership boundary, unauthorized, not conformant) carries
 * `policy_reason_code` and a null `failure_reason_code`. Never both, never
 * neither: the observability subcheck of the conformance standard refuses a pack
 * whose refusals mix them or lack them, and a raw `TypeError` escaping a pack is
 * a finding, not a refusal.
 *
 * The codes below are the kit's vocabulary; a pack may add its own
 * (`<pack>.<what>`, the same character rules).
 */
export const FAILURE_REASONS = {
  /** A record or an input its schema rejects. */
  recordInvalid: 'adapter.record.invalid',
  /** The pack's options (the `options` of its context) are invalid. */
  optionsInvalid: 'adapter.options.invalid',
  /** A write lost against another: an expected sequence, an immutable id, a version. */
  conflict: 'adapter.conflict',
  /** Stored bytes that do not parse or do not match their schema or hash. */
  corrupt: 'adapter.store.corrupt',
  /** The store could not be read or written (an I/O or database error). */
  storeIo: 'adapter.store.io',
  /** The store's schema is older or newer than this build's migrations. */
  schema: 'adapter.store.schema',
  /** The thing named does not exist (where absence is not an answer, e.g. a status change). */
  notFound: 'adapter.not-found',
  /** The remote did not answer (network, timeout). */
  remoteUnreachable: 'adapter.remote.unreachable',
  /** The remote answered with something the API schema rejects. */
  remoteBadResponse: 'adapter.remote.bad-response',
  /** The remote refused the request as invalid, or failed (4xx/5xx other than auth). */
  remoteRejected: 'adapter.remote.rejected',
  /** The remote's rate limit stopped the request. */
  remoteRateLimited: 'adapter.remote.rate-limited',
  /** A secret the pack needs (a token) was not given. */
  secretMissing: 'adapter.secret.missing',
  /** A compatibility manifest its schema rejects. */
  manifestInvalid: 'adapter.manifest.invalid',
  /** No enabled pack provides the capability a caller needs. */
  capabilityMissing: 'adapter.capability-missing',
} as const;

/** The kit's denial codes (`policy_reason_code`). */
export const POLICY_REASONS = {
  /** The pack was opened read-only (`readOnly`, a dry run): every write is denied. */
  readOnly: 'adapter.read-only',
  /** The write would touch something outside the pack's declared ownership boundary. */
  outsideBoundary: 'adapter.outside-boundary',
  /** The remote refused the credentials or their permissions (401/403). */
  unauthorized: 'adapter.remote.unauthorized',
  /** A guard of the remote capability refused (a secret in the payload, an insecure URL, a foreign branch). */
  guard: 'adapter.guard',
  /** The pack did not pass the conformance standard: refused for prescriptive use. */
  notConformant: 'adapter.not-conformant',
} as const;

/** The codes of the kit's errors: callers switch on these; the reason codes say why. */
export type AdapterErrorCode = 'adapter-failure' | 'adapter-denial' | 'adapter-capability-missing' | 'adapter-manifest-invalid' | 'adapter-not-conformant';

/** The details every adapter error carries: the reason split, then whatever context the pack adds (never a secret). */
export interface AdapterErrorDetails extends Record<string, unknown> {
  failure_reason_code: string | null;
  policy_reason_code: string | null;
}

/**
 * A pack's or the kit's refusal, as a `GovernError` (exit 1) whose details start
 * with the reason split. Build one with {@link adapterFailure} or
 * {@link adapterDenial}, which keep the split right by construction.
 */
export class AdapterError<C extends AdapterErrorCode = AdapterErrorCode> extends GovernError<C> {
  declare readonly details: AdapterErrorDetails;
  constructor(code: C, message: string, details: AdapterErrorDetails, cause?: unknown) {
    super(code, message, { details, ...(cause === undefined ? {} : { cause }) });
  }

  get failure_reason_code(): string | null {
    return this.details.failure_reason_code;
  }

  get policy_reason_code(): string | null {
    return this.details.policy_reason_code;
  }
}

/** A failure: `failure_reason_code` set, `policy_reason_code` null. */
export function adapterFailure(reason: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): AdapterError<'adapter-failure'> {
  return new AdapterError('adapter-failure', message, { ...details, failure_reason_code: reason, policy_reason_code: null }, cause);
}

/** A denial: `policy_reason_code` set, `failure_reason_code` null. */
export function adapterDenial(reason: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): AdapterError<'adapter-denial'> {
  return new AdapterError('adapter-denial', message, { ...details, failure_reason_code: null, policy_reason_code: reason }, cause);
}

/** How a thrown value reads under the reason split. */
export interface ClassifiedError {
  /** `failure` or `denial` when the split is right; `mixed` (both codes), `unsplit` (a govern error with neither) or `foreign` (not a govern error). */
  kind: 'failure' | 'denial' | 'mixed' | 'unsplit' | 'foreign';
  code: string;
  failure_reason_code: string | null;
  policy_reason_code: string | null;
  /** Why it is not a proper failure or denial (null when it is). */
  problem: string | null;
}

/**
 * Reads a thrown value's reason split, from its JSON form (so an error from
 * another bundle's copy of this module reads the same). The codes must satisfy
 * the contracts' `reason-semantics` schema.
 */
export function classifyError(err: unknown): ClassifiedError {
  const json: GovernErrorJSON = toErrorJSON(err);
  if (!isGovernError(err)) {
    return { kind: 'foreign', code: json.code, failure_reason_code: null, policy_reason_code: null, problem: `not a coded govern error: ${err instanceof Error ? err.name : typeof err}` };
  }
  const split = ReasonSemanticsSchema.safeParse({
    failure_reason_code: json.details.failure_reason_code ?? null,
    policy_reason_code: json.details.policy_reason_code ?? null,
  });
  if (!split.success) {
    return { kind: 'unsplit', code: json.code, failure_reason_code: null, policy_reason_code: null, problem: `its reason codes break the reason-semantics contract: ${split.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const { failure_reason_code: failure, policy_reason_code: policy } = split.data;
  if (failure !== null && policy !== null) return { kind: 'mixed', code: json.code, failure_reason_code: failure, policy_reason_code: policy, problem: 'carries both failure_reason_code and policy_reason_code' };
  if (failure === null && policy === null) return { kind: 'unsplit', code: json.code, failure_reason_code: null, policy_reason_code: null, problem: 'carries neither failure_reason_code nor policy_reason_code' };
  return { kind: failure !== null ? 'failure' : 'denial', code: json.code, failure_reason_code: failure, policy_reason_code: policy, problem: null };
}
