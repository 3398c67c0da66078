import { canonicalJson, type WrapperEnvelope } from '@govern/contracts';
import { sha256Hex } from './fingerprint.js';
import { BINDER_VERSION } from './version.js';

/**
 * The binder idempotency key (seed 002 K2): one binding per run, task, group and
 * binder version. Replaying an envelope of the same tuple binds nothing new.
 */
export interface IdempotencyKey {
  run_id: string;
  task_id: string;
  group_id: string;
  binder_version: string;
}

/** The derived upsert key (seed 002 K2): one capsule per TaskSpec, fingerprint and binder version. */
export interface UpsertKey {
  scope: string;
  target_kind: string;
  target_id: string;
  action_kind: string;
  failure_reason_code: string;
  fingerprint_hash: string;
  binder_version: string;
}

/**
 * The tuple's values as a JSON array in the key's field order, canonical JSON, sha256.
 * An array rather than a joined string: no separator can occur inside a value and make
 * two tuples collide (`a|b`,`c` against `a`,`b|c`).
 */
function tupleHash(values: string[]): string {
  return sha256Hex(canonicalJson(values));
}


/** The idempotency key of an envelope and its hash (hex sha256 of `[run_id, task_id, group_id, binder_version]`). */
export function idempotencyKey(e: WrapperEnvelope): { tuple: IdempotencyKey; hash: string } {
  const tuple: IdempotencyKey = { run_id: e.run_id, task_id: e.task_id, group_id: e.group_id, binder_version: BINDER_VERSION };
  return { tuple, hash: tupleHash([tuple.run_id, tuple.task_id, tuple.group_id, tuple.binder_version]) };
}

/**
 * {@link idempotencyKey}'s hash for an envelope whose strings are known well-formed (no
 * lone surrogate; fast-envelope.ts proves it): RFC 8785 of an array of well-formed
 * strings is what JSON.stringify writes, so the general canonicalizer is skipped. Same
 * bytes, same hash (keys.test.ts checks both on generated tuples).
 */
export function idempotencyHashOfPlain(e: Pick<WrapperEnvelope, 'run_id' | 'task_id' | 'group_id'>): string {
  return sha256Hex(JSON.stringify([e.run_id, e.task_id, e.group_id, BINDER_VERSION]));
}

/**
 * The upsert key of an envelope given its fingerprint hash, and the key's hash (hex
 * sha256 of the seven values in the order of {@link UpsertKey}). The TaskSpec values are
 * taken verbatim: they are identifiers the planner wrote, not free text to normalize.
 */
export function upsertKey(e: WrapperEnvelope, fingerprint_hash: string): { tuple: UpsertKey; hash: string } {
  const t = e.task_spec;
  const tuple: UpsertKey = {
    scope: t.scope,
    target_kind: t.target.kind,
    target_id: t.target.id,
    action_kind: t.action.kind,
    failure_reason_code: t.failure_reason_code,
    fingerprint_hash,
    binder_version: BINDER_VERSION,
  };
  const values = [tuple.scope, tuple.target_kind, tuple.target_id, tuple.action_kind, tuple.failure_reason_code, tuple.fingerprint_hash, tuple.binder_version];
  return { tuple, hash: tupleHash(values) };
}
