import { z } from 'zod';
import type { ServiceOperation } from './context.js';
import { SERVICE_API_VERSION, SERVICE_OPERATIONS } from './operations.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** The refusal envelope of every route, as the kernel (@govern/http-service) sends it. */
export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z
        .looseObject({
          operation: z.string().optional(),
          failure_reason_code: z.string().nullable().optional().describe('why it failed (LM-10); null on a denial'),
          policy_reason_code: z.string().nullable().optional().describe('why a gate, the mode or a review denied it; null on a failure'),
        })
        .describe('gate-disabled: gate, blocked_by; review-required: review_id; invalid-input: issues; operation-unsupported: reason'),
    }),
  })
  .meta({ id: 'Error' });

export const OperationListSchema = z
  .object({
    operations: z.array(
      z.object({
        name: z.string(),
        summary: z.string(),
        effect: z.enum(['read', 'artifact', 'write', 'review']),
        review: z.enum(['never', 'prescriptive', 'always']),
        gate: z.string().nullable(),
        library: z.string(),
        support: z.enum(['local', 'unsupported']),
        reason: z.string().optional(),
        path: z.string(),
      }),
    ),
  })
  .meta({ id: 'OperationList' });

const err = (description: string): JsonObject => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/**
 * The OpenAPI 3.1 document of `govern serve`, generated from `SERVICE_OPERATIONS`
 * and their zod schemas the way StateHub's is (libs/statehub/src/openapi.ts):
 * `z.toJSONSchema` (JSON Schema 2020-12), schemas with a `.meta({ id })` moved to
 * `#/components/schemas/<id>`, request bodies as zod input, answers as output.
 * docs/service-runner-openapi.json is a copy a test keeps in step.
 */
export function buildOpenApi(): JsonObject {
  const components: Record<string, Json> = {};
  convert(ErrorEnvelopeSchema, 'output', components);
  const paths: Record<string, JsonObject> = {
    '/health': {
      get: {
        operationId: 'getHealth',
        summary: 'the health operation, without a token',
        security: [],
        responses: { 200: ok(convert((SERVICE_OPERATIONS[0] as ServiceOperation).output, 'output', components)), 500: err('the root cannot be read') },
      },
    },
    '/openapi.json': {
      get: { operationId: 'getOpenApi', summary: 'this document', security: [], responses: { 200: { description: 'the OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
    '/v1/operations': {
      get: {
        operationId: 'listOperations',
        summary: 'every operation: effect, review rule, gate, library, and whether it has a local runner path',
        responses: { 200: ok(convert(OperationListSchema, 'output', components)), 401: err('missing or wrong bearer token') },
      },
    },
  };
  for (const o of SERVICE_OPERATIONS as readonly ServiceOperation[]) {
    const responses: JsonObject =
      o.support.kind === 'unsupported'
        ? { 501: err(`unsupported: ${o.support.reason}`), 401: err('missing or wrong bearer token') }
        : {
            200: ok(convert(o.output, 'output', components)),
            400: err('invalid-input: the body does not match the input schema (details.issues), or is not JSON'),
            401: err('missing or wrong bearer token'),
            403: err(
              `a denial (policy_reason_code): gate-disabled (the ${['service-runner', o.gate].filter(Boolean).join(' or ')} gate is closed; details.blocked_by)` +
                (o.effect === 'write' ? ', shadow-mode, review-required (details.review_id)' : ''),
            ),
            404: err('an item, document or review that does not exist'),
            409: err('a conflict or a transition the profile forbids'),
            422: err('another coded refusal of the library'),
          };
    paths[`/v1/operations/${o.name}`] = {
      post: {
        operationId: o.name,
        summary: o.summary,
        description: `${o.description}\n\nEffect: ${o.effect}; review: ${o.review}; gate: ${o.gate ?? 'service-runner only'}; library: ${o.library}.` + (o.support.kind === 'unsupported' ? `\n\nUnsupported: ${o.support.reason}` : ''),
        requestBody: { required: false, content: { 'application/json': { schema: convert(o.input, 'input', components) } } },
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'govern service runner',
      version: SERVICE_API_VERSION,
      description:
        "SERVICE_OPERATIONS over HTTP (`govern serve`): POST an operation's input as JSON to /v1/operations/<name>, get its output. " +
        'A server started with a token requires `Authorization: Bearer <token>` on every route but /health and /openapi.json; a non-loopback bind always has one. ' +
        'X-Govern-Actor names the caller in the audit. See docs/service-runner.md.',
    },
    servers: [{ url: 'http://127.0.0.1:4880', description: 'govern serve' }],
    security: [{ bearer: [] }],
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: sortKeys(components) },
  };
}

function ok(schema: Json): JsonObject {
  return { description: 'the output', content: { 'application/json': { schema } } };
}

/** One schema as JSON Schema, its named sub-schemas moved into `components` (a name used for two shapes is an error). */
function convert(schema: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const js = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonObject;
  const defs = (js.$defs ?? {}) as Record<string, Json>;
  delete js.$defs;
  delete js.$schema;
  const id = (js.id ?? null) as string | null;
  for (const [name, def] of Object.entries(defs)) add(name, rewriteRefs(def), io, components);
  const top = rewriteRefs(js);
  if (typeof id === 'string') {
    // A top-level schema with an id: a component of its own, referenced.
    delete (top as JsonObject).id;
    add(id, top, io, components);
    return { $ref: `#/components/schemas/${id}` };
  }
  return top;
}

function add(name: string, def: Json, io: string, components: Record<string, Json>): void {
  const clean = stripIds(def);
  const existing = components[name];
  if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(clean)) {
    throw new Error(`schema ${name} differs between uses (${io}); give one of them its own meta id`);
  }
  components[name] = clean;
}

function stripIds(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripIds);
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'id' || typeof v !== 'string') out[k] = stripIds(v);
    return out;
  }
  return value;
}

function rewriteRefs(value: Json): Json {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : rewriteRefs(v);
    return out;
  }
  return value;
}

function sortKeys(o: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The document as the server serves it and docs/service-runner-openapi.json stores it: 2-space JSON and a newline. */
export function openApiText(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}
