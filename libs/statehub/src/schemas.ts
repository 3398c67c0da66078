import { StatusSchema } from '@govern/workplan';
import { z } from 'zod';

/**
 * The StateHub API's bodies. These zod schemas are the single source of the
 * server's validation, the client's response checks, the TypeScript types
 * (`z.infer`) and the OpenAPI document (`z.toJSONSchema`, see openapi.ts).
 * Every schema that becomes an OpenAPI component carries `.meta({ id })`.
 */

/** A workstream (a workplan) or a task of one. */
export const RecordKindSchema = z.enum(['workstream', 'task']).meta({ id: 'RecordKind' });
export type RecordKind = z.infer<typeof RecordKindSchema>;

/** The status vocabulary of govern; `null` is an item whose document states no (recognized) status. */
export const HubStatusSchema = StatusSchema.nullable().meta({ id: 'Status', description: 'planned | in_progress | partial | blocked | done, or null when unknown' });
export type HubStatus = z.infer<typeof HubStatusSchema>;

/** Server-assigned ids are UUIDs; an adopted id (one a document already carries) may be any short token. */
export const RecordIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only');

export const RecordSchema = z
  .object({
    id: RecordIdSchema,
    kind: RecordKindSchema,
    /** The client's idempotency key, unique per kind: `<repo>:<item id>` for the bridge. */
    externalKey: z.string(),
    repo: z.string(),
    /** The item's id in its repository (`GV-WP-0002`, `GV-WP-0002-T01`). */
    itemId: z.string(),
    /** The containing workstream (tasks only). */
    workstreamId: z.string().nullable(),
    title: z.string(),
    status: HubStatusSchema,
    priority: z.string().nullable(),
    /** External keys of the records this one waits on (they may not exist yet). */
    dependsOn: z.array(z.string()),
    /** Starts at 1 and grows by one with every change; the optimistic-concurrency token (`ifVersion`, If-Match). */
    version: z.number().int().min(1),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Record', description: 'A workstream or task as StateHub stores it.' });
export type HubRecord = z.infer<typeof RecordSchema>;

const actor = z.string().max(200).optional().describe('who makes the change; recorded in the change feed');

/** `PUT /workstreams/by-key/{key}`: create the workstream if the key is new, else update its structure. */
export const PutWorkstreamSchema = z
  .object({
    repo: z
      .string()
      .min(1)
      .regex(/^[^:]+$/, 'no ":" in a repo name (the key is <repo>:<itemId>, which a ":" would make ambiguous)')
      .describe('the repository; with itemId it makes the key, which must be `<repo>:<itemId>` (422 otherwise)'),
    itemId: z.string().min(1),
    title: z.string(),
    priority: z.string().nullable().default(null),
    dependsOn: z.array(z.string()).default([]),
    status: HubStatusSchema.default(null).describe('the initial status; ignored when the record exists (status changes go through PATCH with ifVersion)'),
    id: RecordIdSchema.optional().describe('adopt this id on creation (a document that already carries one); a record with this key and another id is a 409'),
    ifVersion: z.number().int().min(1).optional().describe('when given, a structural update is made only at this version (409 otherwise)'),
    actor,
  })
  .meta({ id: 'PutWorkstream' });
export type PutWorkstream = z.input<typeof PutWorkstreamSchema>;

/** `PUT /tasks/by-key/{key}`: as for workstreams, plus the containing workstream's key. */
export const PutTaskSchema = PutWorkstreamSchema.extend({
  workstreamKey: z.string().min(1).describe('externalKey of the workstream this task belongs to; it must exist (422 otherwise)'),
}).meta({ id: 'PutTask' });
export type PutTask = z.input<typeof PutTaskSchema>;

export const PutResultSchema = z
  .object({
    record: RecordSchema,
    /** True when this request created the record (201). */
    created: z.boolean(),
    /** True when this request changed the record (its version grew). */
    changed: z.boolean(),
  })
  .meta({ id: 'PutResult' });
export type PutResult = z.infer<typeof PutResultSchema>;

/** `PATCH /workstreams/{id}`, `PATCH /tasks/{id}`: a status change, at a known version. */
export const PatchStatusSchema = z
  .object({
    status: HubStatusSchema,
    ifVersion: z.number().int().min(1).optional().describe('the version the change is based on; or send If-Match; one of them is required (428)'),
    actor,
  })
  .meta({ id: 'PatchStatus' });
export type PatchStatus = z.input<typeof PatchStatusSchema>;

export const PatchResultSchema = z.object({ record: RecordSchema, changed: z.boolean() }).meta({ id: 'PatchResult' });
export type PatchResult = z.infer<typeof PatchResultSchema>;

export const RecordListSchema = z
  .object({
    /** At most `limit`, ordered by externalKey. */
    records: z.array(RecordSchema),
    /** Pass as `after` for the next page: the last externalKey returned; null when this page is the last. */
    next: z.string().nullable(),
  })
  .meta({ id: 'RecordList', description: 'One page of records, ordered by externalKey.' });
export type RecordList = z.infer<typeof RecordListSchema>;

/** One entry of the append-only change feed. */
export const ChangeSchema = z
  .object({
    /** Strictly increasing over the whole feed, starting at 1; `since` takes the last one seen. */
    seq: z.number().int().min(1),
    at: z.string(),
    op: z.enum(['created', 'updated', 'status']).describe('created; updated (structure: title, priority, dependencies); status'),
    kind: RecordKindSchema,
    recordId: z.string(),
    externalKey: z.string(),
    repo: z.string(),
    /** The record's version after the change. */
    version: z.number().int().min(1),
    status: HubStatusSchema,
    /** The status before a `status` change; null otherwise. */
    fromStatus: HubStatusSchema,
    actor: z.string().nullable(),
  })
  .meta({ id: 'Change' });
export type Change = z.infer<typeof ChangeSchema>;

export const ChangePageSchema = z
  .object({
    changes: z.array(ChangeSchema),
    /** Pass as `since` to continue: the last seq returned, or `since` when there was nothing new. */
    next: z.number().int().min(0),
    hasMore: z.boolean(),
  })
  .meta({ id: 'ChangePage' });
export type ChangePage = z.infer<typeof ChangePageSchema>;

export const WaitingOnSchema = z
  .object({
    externalKey: z.string(),
    /** False when no record has this key (yet): it counts as not done. */
    found: z.boolean(),
    status: HubStatusSchema,
  })
  .meta({ id: 'WaitingOn' });

export const NextResultSchema = z
  .object({
    kind: RecordKindSchema,
    /** Actionable records (status planned, in_progress or partial; every dependency done), in order. */
    next: z.array(RecordSchema),
    /** Records not done that wait on something, with what. */
    blocked: z.array(z.object({ record: RecordSchema, waitingOn: z.array(WaitingOnSchema) })),
  })
  .meta({ id: 'NextResult' });
export type NextResult = z.infer<typeof NextResultSchema>;

export const HealthSchema = z
  .object({ ok: z.literal(true), service: z.literal('statehub'), apiVersion: z.string(), schemaVersion: z.number().int() })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof HealthSchema>;

export const ERROR_CODES = [
  'bad-request',
  'unauthorized',
  'not-found',
  'method-not-allowed',
  'version-conflict',
  'id-taken',
  'id-mismatch',
  'precondition-required',
  'payload-too-large',
  'unprocessable',
  'internal',
] as const;

/** Every non-2xx answer. A 409 carries the record as it is now (`current`), so the client can decide without another read. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    current: RecordSchema.optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export type ErrorCode = (typeof ERROR_CODES)[number];
