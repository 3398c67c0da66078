import { canonicalSha256, composePacks, type AdapterClient, type AuditInput, type Pack } from '@govern/adapter-kit';
import { fakePack } from '@govern/adapter-fake';
import { fileStorePack } from '@govern/adapter-file-store';
import { assertEnabledWhereDeclared, GateDisabledError, isGateError } from '@govern/gates';
import { DEFAULT_MEMORYD_URL, MEMORYD_TOKEN_ENV, MEMORYD_URL_ENV, MemoryClient } from '@govern/memory-contract';
import { loadWorkspace, type Workspace } from '@govern/workspace';
import { defaultActor } from '@govern/write';
import type { z } from 'zod';
import type { OperationContext, RetentionPolicy, ServiceMode, ServiceOperation, Surface } from './context.js';
import { SERVICE_FAILURE_REASONS, SERVICE_POLICY_REASONS, ServiceError, toServiceError } from './errors.js';
import { operationNamed, SERVICE_API_VERSION, SERVICE_OPERATIONS } from './operations.js';
import { DEFAULT_RETENTION } from './retention.js';
import { ReviewLedger, type Review } from './review.js';
import type { ReviewApproveInput } from './schemas.js';

/** The gate of the service runner itself (govern.config.yaml), checked by every operation but `health`. */
export const SERVICE_GATE = 'service-runner';

/** The store packs the runner can keep its audit and review ledger in. */
export const STORE_PACKS = { 'file-store': fileStorePack, fake: fakePack } as const satisfies Record<string, Pack>;
export type StoreName = keyof typeof STORE_PACKS;

export interface ServiceRunnerOptions {
  /** The repository root (absolute). */
  root: string;
  /** Rollout mode of the writes (seed 002): shadow denies them, guided applies them, prescriptive needs a review for each. Default guided. */
  mode?: ServiceMode;
  /** The pack holding the audit and the review ledger; default `file-store` (under `.govern/adapters/file-store/`). */
  store?: StoreName;
  retention?: Partial<RetentionPolicy>;
  /** The clock of audit entries, reviews and status writes (default: the wall clock). */
  now?: () => Date;
  /** Who calls when a call names nobody; default `GOVERN_ACTOR`, else the OS user. */
  actor?: string;
  /** The environment (memoryd URL and token, the checks of task.close); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Parse cache directory; `null` disables it; default `<root>/.govern/cache`. */
  cacheDir?: string | null;
  /** Recorded in closure manifests. */
  toolVersion?: string;
  /** memoryd's URL and token; default from GOVERN_MEMORYD_URL / GOVERN_MEMORYD_TOKEN. */
  memory?: { url?: string; token?: string };
  /** The binder database, relative to the root; default `.govern/binder/binder.duckdb`. */
  binderDb?: string;
}

/** Who calls and through what: recorded in the audit. */
export interface CallOptions {
  via?: Surface;
  actor?: string;
}

export interface ServiceRunner {
  readonly root: string;
  readonly mode: ServiceMode;
  readonly store: StoreName;
  /**
   * Runs an operation: validates the input, checks gates, mode and review, runs
   * the local path, validates the output, records the audit entry. Resolves with
   * the output; rejects with a {@link ServiceError} (never a raw exception).
   */
  run(name: string, input: unknown, call?: CallOptions): Promise<Record<string, unknown>>;
  /** Closes the store pack. Idempotent. */
  close(): Promise<void>;
}

const TABLE = SERVICE_OPERATIONS as readonly ServiceOperation[];
const GATE_NAMES = [SERVICE_GATE, ...new Set(TABLE.map((o) => o.gate).filter((g): g is string => g !== null))];
const COUNTS = {
  total: TABLE.length,
  implemented: TABLE.filter((o) => o.support.kind === 'local').length,
  unsupported: TABLE.filter((o) => o.support.kind === 'unsupported').length,
};

/**
 * A service runner over one repository: `SERVICE_OPERATIONS` with their local
 * paths, the gates, the review ledger and the audit. The HTTP server and the MCP
 * tools call `run` of one of these; so can any library caller.
 */
export function createServiceRunner(opts: ServiceRunnerOptions): ServiceRunner {
  const root = opts.root;
  const mode = opts.mode ?? 'guided';
  const store = opts.store ?? 'file-store';
  if (!Object.hasOwn(STORE_PACKS, store)) throw new ServiceError('invalid-options', `unknown store ${store} (one of ${Object.keys(STORE_PACKS).join(', ')})`, { operation: '(runner)', kind: 'failure', reason: SERVICE_FAILURE_REASONS.inputInvalid, status: 400 });
  const env = opts.env ?? process.env;
  const now = opts.now ?? (() => new Date());
  const retention: RetentionPolicy = { ...DEFAULT_RETENTION, ...(opts.retention ?? {}) };
  const packs = composePacks(Object.values(STORE_PACKS), { enabled: (m) => (m.name === store ? true : `the runner keeps its audit in ${store}`) });
  let client: Promise<AdapterClient> | null = null;
  const adapters = () => (client ??= packs.open({ root, now }));
  let memory: MemoryClient | null = null;
  const memoryClient = () => {
    const token = opts.memory?.token ?? env[MEMORYD_TOKEN_ENV]?.trim();
    return (memory ??= new MemoryClient({ url: opts.memory?.url ?? (env[MEMORYD_URL_ENV]?.trim() || DEFAULT_MEMORYD_URL), ...(token ? { token } : {}) }));
  };
  const ledger = async () => new ReviewLedger((await adapters()).get('store.event'));

  async function audit(entry: Omit<AuditInput, 'at'>): Promise<void> {
    await (await adapters()).get('store.audit').append({ ...entry, at: now().toISOString() });
  }

  async function checkGate(gate: string, operation: string): Promise<void> {
    try {
      await assertEnabledWhereDeclared(gate, { root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) });
    } catch (err) {
      if (err instanceof GateDisabledError || (isGateError(err) && err.code === 'gate-disabled')) {
        const blockedBy = (err.details.blockedBy ?? []) as Array<{ id: string; status: string | null; file: string; line: number }>;
        throw new ServiceError('gate-disabled', `${operation}: ${err.message}`, {
          operation,
          kind: 'denial',
          reason: SERVICE_POLICY_REASONS.gate,
          status: 403,
          details: { gate, blocked_by: blockedBy.map((b) => ({ id: b.id, status: b.status, file: b.file, line: b.line })) },
          cause: err,
        });
      }
      throw err;
    }
  }

  async function approve(input: z.output<typeof ReviewApproveInput>): Promise<Review> {
    const l = await ledger();
    const r = await l.get(input.review_id);
    if (!r) throw new ServiceError('review-not-found', `no review ${input.review_id}`, { operation: 'review.approve', kind: 'failure', reason: SERVICE_FAILURE_REASONS.reviewNotFound, status: 404, details: { review_id: input.review_id } });
    if (r.state === 'consumed') {
      throw new ServiceError('review-consumed', `review ${r.review_id} was already used by its ${r.operation} call; the next call needs a new review`, { operation: 'review.approve', kind: 'failure', reason: 'review.consumed', status: 409, details: { review_id: r.review_id } });
    }
    if (input.reviewer === r.requested_by) {
      throw new ServiceError('review-self-approval', `${input.reviewer} requested review ${r.review_id} and cannot approve it`, { operation: 'review.approve', kind: 'denial', reason: SERVICE_POLICY_REASONS.selfApproval, status: 403, details: { review_id: r.review_id, reviewer: input.reviewer } });
    }
    return l.approve(r.review_id, input.reviewer, input.note);
  }

  return {
    root,
    mode,
    store,
    async run(name, rawInput, call = {}) {
      const op = operationNamed(name);
      if (!op) {
        throw new ServiceError('operation-unknown', `no operation ${name}: one of ${TABLE.map((o) => o.name).join(', ')}`, { operation: name, kind: 'failure', reason: SERVICE_FAILURE_REASONS.unknown, status: 404, details: { known: TABLE.map((o) => o.name) } });
      }
      const actor = call.actor ?? opts.actor ?? defaultActor(env);
      const via = call.via ?? 'library';
      let subject = op.name;
      let data: Record<string, z.core.util.JSONType> = { input_sha256: canonicalSha256(rawInput ?? {}) };
      try {
        const parsed = op.input.safeParse(rawInput ?? {});
        if (!parsed.success) {
          throw new ServiceError('invalid-input', `${op.name}: the input does not match its schema`, {
            operation: op.name,
            kind: 'failure',
            reason: SERVICE_FAILURE_REASONS.inputInvalid,
            status: 400,
            details: { issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) },
          });
        }
        const input = parsed.data;
        subject = op.subject(input).slice(0, 500) || op.name;
        data = { input_sha256: canonicalSha256(input) };
        if (op.support.kind === 'unsupported') {
          throw new ServiceError('operation-unsupported', `${op.name} is not supported: ${op.support.reason}`, {
            operation: op.name,
            kind: 'failure',
            reason: SERVICE_FAILURE_REASONS.unsupported,
            status: 501,
            details: { reason: op.support.reason },
          });
        }
        if (op.name !== 'health') for (const gate of [SERVICE_GATE, ...(op.gate ? [op.gate] : [])]) await checkGate(gate, op.name);
        if (op.effect === 'write' && mode === 'shadow') {
          throw new ServiceError('shadow-mode', `${op.name} writes, and this runner is in shadow mode: nothing is written`, { operation: op.name, kind: 'denial', reason: SERVICE_POLICY_REASONS.shadow, status: 403, details: { mode } });
        }
        let review: Review | null = null;
        if (op.review === 'always' || (op.review === 'prescriptive' && mode === 'prescriptive')) {
          const l = await ledger();
          const { review: r } = await l.requestFor(op.name, subject, input, actor);
          data.review_id = r.review_id;
          if (r.state !== 'approved') {
            throw new ServiceError('review-required', `${op.name} on ${subject} needs an approved review: ask a reviewer to call review.approve with review_id ${r.review_id}, then call again with the same input`, {
              operation: op.name,
              kind: 'denial',
              reason: SERVICE_POLICY_REASONS.reviewRequired,
              status: 403,
              details: { review_id: r.review_id, review_state: r.state, requested_by: r.requested_by },
            });
          }
          // The approval is spent before the write runs: two identical calls racing on one
          // approval cannot both write (the loser's append conflicts).
          await l.consume(r.review_id, (await l.load()).seq);
          review = r;
          data.approved_by = r.approved_by;
        }
        let output: unknown;
        if (op.name === 'review.approve') {
          const r = await approve(input as z.output<typeof ReviewApproveInput>);
          data = { ...data, review_id: r.review_id, reviewer: r.approved_by, reviewed_operation: r.operation, reviewed_subject: r.subject };
          output = r;
        } else {
          let ws: Promise<Workspace> | null = null;
          const ctx: OperationContext = {
            root,
            now,
            actor,
            via,
            mode,
            env,
            cacheDir: opts.cacheDir,
            toolVersion: opts.toolVersion ?? SERVICE_API_VERSION,
            retention,
            adapters,
            storeName: store,
            workspace: () => (ws ??= loadWorkspace({ root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) })),
            memory: memoryClient,
            binderDb: opts.binderDb ?? '.govern/binder/binder.duckdb',
            review,
            operations: COUNTS,
            gateNames: GATE_NAMES,
          };
          output = await op.support.run(input, ctx);
        }
        const checked = op.output.safeParse(output);
        if (!checked.success) {
          throw new ServiceError('invalid-output', `${op.name} answered something its output schema rejects (a bug in the runner)`, {
            operation: op.name,
            kind: 'failure',
            reason: SERVICE_FAILURE_REASONS.outputInvalid,
            status: 500,
            details: { issues: checked.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) },
          });
        }
        if (op.effect !== 'read') {
          const failure = failureOf(op.name, checked.data);
          await audit({
            actor,
            via,
            action: op.name,
            subject,
            outcome: failure ? 'failed' : 'applied',
            failure_reason_code: failure,
            data: { ...data, ...summary(op.name, checked.data) },
          });
        }
        return checked.data as Record<string, unknown>;
      } catch (err) {
        const e = toServiceError(err, op.name);
        const extra: Record<string, z.core.util.JSONType> = { error_code: e.code };
        if (typeof e.details.gate === 'string') {
          extra.gate = e.details.gate;
          extra.blocked_by = ((e.details.blocked_by ?? []) as Array<{ id: string }>).map((b) => b.id);
        }
        await audit({
          actor,
          via,
          action: op.name,
          subject,
          outcome: e.kind === 'denial' ? 'denied' : 'failed',
          failure_reason_code: e.kind === 'failure' ? e.reason : null,
          policy_reason_code: e.kind === 'denial' ? e.reason : null,
          data: { ...data, ...extra },
        });
        throw e;
      }
    },
    async close() {
      if (client) await (await client).close();
    },
  };
}

/**
 * An operation that answered but did not do what it was asked (a closure whose
 * checks failed): its audit entry is `failed`, with the first failure's code.
 */
function failureOf(name: string, out: unknown): string | null {
  if (name !== 'task.close') return null;
  const o = out as { passed: boolean; failures: Array<{ code: string }> };
  return o.passed ? null : `close.${o.failures[0]?.code ?? 'failed'}`;
}

/** What an applied entry keeps of the output: enough to trace it, nothing large. */
function summary(name: string, out: unknown): Record<string, z.core.util.JSONType> {
  const o = out as Record<string, unknown>;
  if (name === 'package.compile') return { bundle_id: o.bundle_id as string, created: o.created as boolean };
  if (name === 'task.set_status') return { changed: o.changed as boolean, to: (o.to as { status: string }).status, hash_after: o.hash_after as string };
  if (name === 'lifecycle.apply') return { to: ((o.write as { to: { status: string } }).to.status), hash_after: (o.write as { hash_after: string }).hash_after };
  if (name === 'task.close') return { passed: o.passed as boolean, manifest: (o.manifest as string | null) ?? null };
  return {};
}

/**
 * Runs one operation against `ctx.root` with a runner opened for the call and
 * closed after it: the library path, for a caller that makes one call.
 */
export async function runOperation(name: string, input: unknown, ctx: ServiceRunnerOptions & CallOptions): Promise<Record<string, unknown>> {
  const { via, actor, ...opts } = ctx;
  const runner = createServiceRunner(opts);
  try {
    return await runner.run(name, input, { ...(via ? { via } : {}), ...(actor ? { actor } : {}) });
  } finally {
    await runner.close();
  }
}
