import { z } from 'zod';
import { API_VERSION, ROUTES, type Route } from './routes.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/**
 * The OpenAPI 3.1 document of the StateHub API, generated from the route table
 * and the zod schemas (`z.toJSONSchema`, JSON Schema 2020-12 — the dialect
 * OpenAPI 3.1 uses). Schemas with a `.meta({ id })` become
 * `#/components/schemas/<id>`; request bodies are converted as zod *input*
 * (fields with defaults are optional), responses as *output*. The server serves
 * it at `/openapi.json`; docs/statehub-openapi.json is a copy a test keeps in
 * step.
 */
export function buildOpenApi(): JsonObject {
  const components: Record<string, Json> = {};
  const paths: Record<string, JsonObject> = {};
  for (const route of ROUTES) {
    const op: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.auth ? {} : { security: [] }),
    };
    const parameters: Json[] = [...pathParameters(route.path), ...queryParameters(route, components)];
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
      op.requestBody = { required: true, content: { 'application/json': { schema: convert(route.body, 'input', components) } } };
    }
    const responses: JsonObject = {};
    for (const [code, r] of Object.entries(route.responses)) {
      responses[code] = {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: convert(r.schema, 'output', components) } } } : {}),
      };
    }
    op.responses = responses;
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'StateHub',
      version: API_VERSION,
      description:
        'Workstreams and tasks across repositories, with per-record versions for optimistic concurrency and an append-only change feed. ' +
        'A server started with a token requires `Authorization: Bearer <token>` on every route except /health and /openapi.json; ' +
        'a server bound to a non-loopback address always has one, of at least 32 bytes. See docs/statehub.md.',
    },
    servers: [{ url: 'http://127.0.0.1:4870', description: 'the embedded default (`govern statehub serve`)' }],
    security: [{ bearer: [] }],
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: sortKeys(components) },
  };
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

function queryParameters(route: Route, components: Record<string, Json>): Json[] {
  if (!route.query) return [];
  const schema = convert(route.query, 'input', components) as JsonObject;
  const props = (schema.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

/** One schema as JSON Schema, its named sub-schemas moved into `components`. */
function convert(schema: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const js = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as JsonObject;
  const defs = (js.$defs ?? {}) as Record<string, Json>;
  delete js.$defs;
  delete js.$schema;
  for (const [id, def] of Object.entries(defs)) {
    const fixed = rewriteRefs(def);
    const existing = components[id];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(fixed)) {
      // The same component would read differently as input and as output (a default,
      // say): give one of them its own id rather than publish a wrong schema.
      throw new Error(`schema ${id} differs between request and response use; give the ${io} form its own meta id`);
    }
    components[id] = fixed;
  }
  return rewriteRefs(js);
}

function rewriteRefs(value: Json): Json {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : rewriteRefs(v);
    }
    return out;
  }
  return value;
}

function sortKeys(o: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The document as the server serves it and docs/statehub-openapi.json stores it: 2-space JSON and a newline. */
export function openApiText(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}
