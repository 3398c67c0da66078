import { OpenApiComponents, openApiDocument, openApiJson, type Json, type JsonObject } from '@govern/http-service';
import { z } from 'zod';
import type { ServiceOperation } from './context.js';
import { SERVICE_API_VERSION, SERVICE_OPERATIONS } from './operations.js';

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
 * and their zod schemas by the kernel's OpenAPI helpers, as StateHub's is
 * (@govern/http-service: schemas with a `.meta({ id })` moved to
 * `#/components/schemas/<id>`, request bodies as zod input, answers as output;
 * what JSON Schema cannot express documented as `{}`).
 * docs/service-runner-openapi.json is a copy a test keeps in step.
 */
export function buildOpenApi(): JsonObject {
  const components = new OpenApiComponents({ unrepresentable: 'any' });
  components.schema(ErrorEnvelopeSchema, 'output');
  const paths: Record<string, JsonObject> = {
    '/health': {
      get: {
        operationId: 'getHealth',
        summary: 'the health operation, without a token',
        security: [],
        responses: { 200: ok(components.schema((SERVICE_OPERATIONS[0] as ServiceOperation).output, 'output')), 500: err('the root cannot be read') },
      },
    },
    '/openapi.json': {
      get: { operationId: 'getOpenApi', summary: 'this document', security: [], responses: { 200: { description: 'the OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
    '/v1/operations': {
      get: {
        operationId: 'listOperations',
        summary: 'every operation: effect, review rule, gate, library, and whether it has a local runner path',
        responses: { 200: ok(components.schema(OperationListSchema, 'output')), 401: err('missing or wrong bearer token') },
      },
    },
  };
  for (const o of SERVICE_OPERATIONS as readonly ServiceOperation[]) {
    const responses: JsonObject =
      o.support.kind === 'unsupported'
        ? { 501: err(`unsupported: ${o.support.reason}`), 401: err('missing or wrong bearer token') }
        : {
            200: ok(components.schema(o.output, 'output')),
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
        requestBody: { required: false, content: { 'application/json': { schema: components.schema(o.input, 'input') } } },
        responses,
      },
    };
  }
  return openApiDocument({
    title: 'govern service runner',
    version: SERVICE_API_VERSION,
    description:
      "SERVICE_OPERATIONS over HTTP (`govern serve`): POST an operation's input as JSON to /v1/operations/<name>, get its output. " +
      'A server started with a token requires `Authorization: Bearer <token>` on every route but /health and /openapi.json; a non-loopback bind always has one. ' +
      'X-Govern-Actor names the caller in the audit. See docs/service-runner.md.',
    server: { url: 'http://127.0.0.1:4880', description: 'govern serve' },
    paths,
    components,
  });
}

function ok(schema: Json): JsonObject {
  return { description: 'the output', content: { 'application/json': { schema } } };
}

/** The document as the server serves it and docs/service-runner-openapi.json stores it: 2-space JSON and a newline. */
export function openApiText(): string {
  return openApiJson(buildOpenApi());
}
