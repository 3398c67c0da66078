import { OpenApiComponents, openApiDocument, openApiJson, type Json, type JsonObject } from '@govern/http-service';
import { API_VERSION, ROUTES } from './routes.js';

/**
 * The OpenAPI 3.1 document of the StateHub API, generated from the route table
 * and the zod schemas by the kernel's OpenAPI helpers (@govern/http-service:
 * schemas with a `.meta({ id })` become `#/components/schemas/<id>`, request
 * bodies zod *input*, responses *output*). The server serves
 * it at `/openapi.json`; docs/statehub-openapi.json is a copy a test keeps in
 * step.
 */
export function buildOpenApi(): JsonObject {
  const components = new OpenApiComponents();
  const paths: Record<string, JsonObject> = {};
  for (const route of ROUTES) {
    const op: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.auth ? {} : { security: [] }),
    };
    const parameters: Json[] = [...pathParameters(route.path), ...(route.query ? components.parameters(route.query, 'query') : [])];
    if (route.ifMatch) {
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        description: 'the version the change is based on, as `"<version>"` (an ETag) or a bare number; alternative to ifVersion',
        schema: { type: 'string' },
      });
    }
    if (parameters.length) op.parameters = parameters;
    if (route.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: components.schema(route.body, 'input') } } };
    }
    const responses: JsonObject = {};
    for (const [code, r] of Object.entries(route.responses)) {
      responses[code] = {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: components.schema(r.schema, 'output') } } } : {}),
      };
    }
    op.responses = responses;
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method.toLowerCase()]: op };
  }
  return openApiDocument({
    title: 'StateHub',
    version: API_VERSION,
    description:
      'Workstreams and tasks across repositories, with per-record versions for optimistic concurrency and an append-only change feed. ' +
      'A server started with a token requires `Authorization: Bearer <token>` on every route except /health and /openapi.json; ' +
      'a server bound to a non-loopback address always has one, of at least 32 bytes. See docs/statehub.md.',
    server: { url: 'http://127.0.0.1:4870', description: 'the embedded default (`govern statehub serve`)' },
    paths,
    components,
  });
}

function pathParameters(template: string): Json[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1]!,
    in: 'path',
    required: true,
    description: m[1] === 'key' ? 'the externalKey (idempotency key), percent-encoded' : 'the record id',
    schema: { type: 'string' },
  }));
}

/** The document as the server serves it and docs/statehub-openapi.json stores it: 2-space JSON and a newline. */
export function openApiText(): string {
  return openApiJson(buildOpenApi());
}
