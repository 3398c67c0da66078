import { z } from 'zod';
import type { Attributes, ResourceSpans } from './model.js';
import { failureReason, isGuardDenial, policyReason, REASON_ATTRS, spanReasons } from './reason.js';
import { canonicalJson, splitResource } from './resource.js';

/**
 * The facts spine: what a span and its events become in the store.
 *
 * - one **task fact** per span (a unit of work: a CLI stage, a task run),
 *   keyed by (trace_id, span_id);
 * - one **event fact** per span event, keyed by (trace_id, span_id,
 *   event_index), with the span's correlation attributes copied in so the
 *   query primitives need no join;
 * - one **resource** per distinct stable resource (`resource_key`).
 *
 * Times are the span's own, in integer nanoseconds; nothing here depends on
 * when or how often a span was received, so replaying a snapshot gives the
 * same rows. Canonical order, for every query that lists facts (ties broken by
 * the key): {@link TASK_FACTS_ORDER}, {@link EVENT_FACTS_ORDER}.
 */
export const TASK_FACTS_ORDER = 'start_ns, trace_id, span_id';
export const EVENT_FACTS_ORDER = 'time_ns, trace_id, span_id, event_index';

/**
 * The correlation attributes read from a span (first name found wins): govern's
 * own names (libs/telemetry), then the envelope names of seed 002 (K1).
 */
export const CORRELATION_ATTRS = {
  runId: ['govern.run.id', 'run_id'],
  command: ['govern.command'],
  stage: ['govern.stage'],
  documentId: ['govern.document.id'],
  itemId: ['govern.item.id', 'task_id'],
} as const;

// The reason semantics (reason.ts), described once here: ReasonSemanticsSchema picks these fields.
const outcome = z
  .enum(['ok', 'failed', 'denied'])
  .describe('failed: a failure reason, or status ERROR without any reason; denied: a policy reason and no failure reason; ok otherwise');
const source = z
  .enum(['failure_reason_code', 'reason_code'])
  .nullable()
  .describe('which attribute supplied failure_reason_code: the canonical name, or its legacy alias reason_code (the canonical name wins when both are present)');
const failureReasonCode = z.string().nullable().describe('why the work failed; never set or changed by a guard denial');
const policyReasonCode = z
  .string()
  .nullable()
  .describe('why a guard denied it: the span\'s own policy_reason_code, else its first guard-denial event\'s (an event named guard.denied or carrying policy_reason_code)');

export const TaskFactSchema = z.object({
  trace_id: z.string(),
  span_id: z.string(),
  parent_span_id: z.string().nullable(),
  name: z.string(),
  kind: z.enum(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']),
  start_ns: z.bigint(),
  end_ns: z.bigint(),
  duration_ns: z.bigint(),
  status_code: z.enum(['unset', 'ok', 'error']),
  status_message: z.string().nullable(),
  outcome,
  failure_reason_code: failureReasonCode,
  failure_reason_source: source,
  policy_reason_code: policyReasonCode,
  run_id: z.string().nullable(),
  command: z.string().nullable(),
  stage: z.string().nullable(),
  document_id: z.string().nullable(),
  item_id: z.string().nullable(),
  service_name: z.string().nullable(),
  scope_name: z.string(),
  scope_version: z.string().nullable(),
  resource_key: z.string(),
  event_count: z.int(),
  /** Canonical JSON of the span's attributes, without those promoted to the columns above (the name each column was read from). */
  attributes: z.string(),
  /** Canonical JSON of the resource's volatile attributes (never part of a key). */
  resource_volatile: z.string(),
});
export type TaskFact = z.infer<typeof TaskFactSchema>;

export const EventFactSchema = z.object({
  trace_id: z.string(),
  span_id: z.string(),
  event_index: z.int(),
  name: z.string(),
  time_ns: z.bigint(),
  is_guard_denial: z.boolean().describe('an event named guard.denied, or one carrying policy_reason_code; never a failure'),
  failure_reason_code: failureReasonCode,
  failure_reason_source: source,
  policy_reason_code: z.string().nullable().describe("the event's own policy_reason_code"),
  run_id: z.string().nullable(),
  item_id: z.string().nullable(),
  stage: z.string().nullable(),
  /** Canonical JSON of the event's attributes, without the reason codes promoted to the columns above. */
  attributes: z.string(),
});
export type EventFact = z.infer<typeof EventFactSchema>;

export const ResourceRowSchema = z.object({
  resource_key: z.string(),
  service_name: z.string().nullable(),
  attributes: z.string(),
});
export type ResourceRow = z.infer<typeof ResourceRowSchema>;

export interface FactBatch {
  tasks: TaskFact[];
  events: EventFact[];
  resources: Map<string, ResourceRow>;
}

export function emptyBatch(): FactBatch {
  return { tasks: [], events: [], resources: new Map() };
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUSES = ['unset', 'ok', 'error'] as const;

/** The first of `names` holding a non-empty string; the name it came from is added to `used`. */
function take(attrs: Attributes, names: readonly string[], used: string[]): string | null {
  for (const n of names) {
    const v = attrs[n];
    if (typeof v === 'string' && v !== '') {
      used.push(n);
      return v;
    }
  }
  return null;
}

/** Adds the facts of decoded spans to `into` (a new batch by default). Pure: same spans, same rows. */
export function toFacts(resourceSpans: readonly ResourceSpans[], into: FactBatch = emptyBatch()): FactBatch {
  for (const rs of resourceSpans) {
    const res = splitResource(rs.resource);
    if (!into.resources.has(res.key)) into.resources.set(res.key, { resource_key: res.key, service_name: res.serviceName, attributes: res.stable });
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const a = span.attributes;
        const reasons = spanReasons(span);
        // Attributes promoted to a column are not repeated in the attributes JSON.
        const used: string[] = [];
        const runId = take(a, CORRELATION_ATTRS.runId, used);
        const itemId = take(a, CORRELATION_ATTRS.itemId, used);
        const stage = take(a, CORRELATION_ATTRS.stage, used);
        const command = take(a, CORRELATION_ATTRS.command, used);
        const documentId = take(a, CORRELATION_ATTRS.documentId, used);
        if (reasons.failureReasonSource) used.push(reasons.failureReasonSource);
        if (policyReason(a) !== null) used.push(REASON_ATTRS.policy);
        into.tasks.push({
          trace_id: span.traceId,
          span_id: span.spanId,
          parent_span_id: span.parentSpanId,
          name: span.name,
          kind: KINDS[span.kind] ?? 'unspecified',
          start_ns: span.startNs,
          end_ns: span.endNs,
          duration_ns: span.endNs - span.startNs,
          status_code: STATUSES[span.statusCode] ?? 'unset',
          status_message: span.statusMessage,
          outcome: reasons.outcome,
          failure_reason_code: reasons.failureReasonCode,
          failure_reason_source: reasons.failureReasonSource,
          policy_reason_code: reasons.policyReasonCode,
          run_id: runId,
          command,
          stage,
          document_id: documentId,
          item_id: itemId,
          service_name: res.serviceName,
          scope_name: ss.scope.name,
          scope_version: ss.scope.version,
          resource_key: res.key,
          event_count: span.events.length,
          attributes: canonicalJson(a, used),
          resource_volatile: res.volatile,
        });
        for (let i = 0; i < span.events.length; i++) {
          const e = span.events[i]!;
          const failure = failureReason(e.attributes);
          const policy = policyReason(e.attributes);
          const promoted = [...(failure.source ? [failure.source] : []), ...(policy !== null ? [REASON_ATTRS.policy] : [])];
          into.events.push({
            trace_id: span.traceId,
            span_id: span.spanId,
            event_index: i,
            name: e.name,
            time_ns: e.timeNs,
            is_guard_denial: isGuardDenial(e),
            failure_reason_code: failure.code,
            failure_reason_source: failure.source,
            policy_reason_code: policy,
            run_id: runId,
            item_id: itemId,
            stage,
            attributes: canonicalJson(e.attributes, promoted),
          });
        }
      }
    }
  }
  return into;
}
