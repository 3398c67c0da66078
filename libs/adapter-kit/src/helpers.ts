import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '@govern/contracts';
import type { z } from 'zod';
import { adapterDenial, adapterFailure, FAILURE_REASONS, POLICY_REASONS } from './errors.js';
import { EventInputSchema, EventPageSchema, KeySchema, type EventInput, type EventPage, type EventRecord, type GraphSnapshot, type GraphSnapshotRef } from './records.js';

/**
 * What every store pack does the same way, so that packs differ in storage only:
 * refusing writes when read-only, validating keys and records with the reason
 * split, hashing canonical JSON, numbering events. The conformance suites check
 * the behaviour whether a pack uses these or not.
 */

/** sha256 (hex) of a value's canonical JSON (RFC 8785). */
export function canonicalSha256(value: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Denies `what` (`adapter.read-only`) when the pack was opened read-only. */
export function denyWrites(ctx: { readonly readOnly: boolean }, pack: string, what: string): void {
  if (ctx.readOnly) throw adapterDenial(POLICY_REASONS.readOnly, `${pack} is open read-only: ${what} is denied`, { pack, operation: what });
}

/** `value` parsed by `schema`, or an `adapter.record.invalid` failure listing the issues. */
export function parseRecord<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw adapterFailure(FAILURE_REASONS.recordInvalid, `${what} is invalid: ${issues.map((i) => `${i.path || '(record)'}: ${i.message}`).join('; ')}`, { issues });
}

/** A key (snapshot id, stream name), or an `adapter.record.invalid` failure: keys are never paths. */
export function requireKey(key: unknown, what: string): string {
  return parseRecord(KeySchema, key, `${what} ${JSON.stringify(key)}`);
}

/** What `store.graph.list` says of a snapshot. */
export function snapshotRef(s: GraphSnapshot): GraphSnapshotRef {
  return { id: s.id, sha256: canonicalSha256(s), taken_at: s.taken_at, node_count: s.nodes.length };
}

/**
 * The records `events` become after `last` in `stream` (all validated first:
 * one invalid event refuses the batch), after checking `expectedSeq` against
 * `last` (`adapter.conflict` when the stream moved on). `now` stamps events
 * without their own `at`, in order.
 */
export function sealEvents(stream: string, events: readonly EventInput[], last: number, expectedSeq: number | undefined, now: () => Date): EventRecord[] {
  requireKey(stream, 'stream');
  const parsed = events.map((e, i) => parseRecord(EventInputSchema, e, `event ${i + 1} of the batch`));
  if (expectedSeq !== undefined && expectedSeq !== last) {
    throw adapterFailure(FAILURE_REASONS.conflict, `stream ${stream} is at seq ${last}, not ${expectedSeq}: it moved on; read it again`, { stream, seq: last, expectedSeq });
  }
  return parsed.map((e, i) => ({ schema: 'govern.event/v1', stream, seq: last + i + 1, type: e.type, at: e.at ?? now().toISOString(), data: e.data }));
}

/** A page request, validated: non-negative integers, or an `adapter.record.invalid` failure. */
export function parsePage(opts: unknown = {}): EventPage {
  return parseRecord(EventPageSchema, opts ?? {}, 'page (after, limit)');
}

/** Pages a stream's events: after `after` (default 0), at most `limit`. */
export function pageEvents(events: readonly EventRecord[], opts: EventPage = {}): EventRecord[] {
  const page = parsePage(opts);
  const out = events.filter((e) => e.seq > (page.after ?? 0));
  return page.limit === undefined ? out : out.slice(0, page.limit);
}

/**
 * Creates `rel` (a `/`-separated path) under `root` one segment at a time,
 * refusing a symlink on the way (`adapter.outside-boundary`): a pack must not
 * write through a link to somewhere its ownership boundary does not cover, and
 * `mkdir -p` would follow one. Returns the absolute path.
 */
export function ensureOwnedDir(root: string, rel: string, pack: string): string {
  let current = root;
  for (const segment of rel.split('/')) {
    current = path.join(current, segment);
    let st: fs.Stats | null = null;
    try {
      st = fs.lstatSync(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const where = path.relative(root, current);
    if (st?.isSymbolicLink()) {
      throw adapterDenial(POLICY_REASONS.outsideBoundary, `${pack}: ${where} is a symlink; the pack writes only to real directories under its root`, { path: where });
    }
    if (!st) fs.mkdirSync(current);
    else if (!st.isDirectory()) throw adapterFailure(FAILURE_REASONS.corrupt, `${pack}: ${where} is not a directory`, { path: where });
  }
  return current;
}
