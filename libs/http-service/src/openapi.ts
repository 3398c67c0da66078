import { z } from 'zod';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface OpenApiComponentsOptions {
  /**
   * What to do with a zod type JSON Schema cannot express (zod 4's `unrepresentable`):
   * `throw` (the default) refuses to publish it, `any` documents it as `{}`.
   */
  unrepresentable?: 'throw' | 'any';
}

/**
 * The schemas of an OpenAPI 3.1 document, built from zod: `z.toJSONSchema`
 * (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses), every schema with a
 * `.meta({ id })` moved to `#/components/schemas/<id>` and referenced from
 * where it is used. Request bodies and parameters are converted as zod
 * *input* (fields with defaults are optional), responses as *output*.
 */
export class OpenApiComponents {
  private readonly schemas: Record<string, Json> = {};

  constructor(private readonly opts: OpenApiComponentsOptions = {}) {}

  /** One schema as JSON Schema; its named sub-schemas (and itself, when it has an id) become components. */
  schema(schema: z.ZodType, io: 'input' | 'output'): Json {
    const js = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: this.opts.unrepresentable ?? 'throw' }) as JsonObject;
    const defs = (js.$defs ?? {}) as Record<string, Json>;
    delete js.$defs;
    delete js.$schema;
    const id = js.id;
    for (const [name, def] of Object.entries(defs)) this.add(name, rewriteRefs(def), io);
    const top = rewriteRefs(js) as JsonObject;
    if (typeof id === 'string') {
      delete top.id;
      this.add(id, top, io);
      return { $ref: `#/components/schemas/${id}` };
    }
    return top;
  }

  /** The properties of an object schema (a query string) as OpenAPI parameters, `in` the given place. */
  parameters(schema: z.ZodType, where: 'query' | 'header' | 'path'): Json[] {
    const js = this.schema(schema, 'input') as JsonObject;
    const props = (js.properties ?? {}) as Record<string, JsonObject>;
    const required = new Set((js.required ?? []) as string[]);
    return Object.entries(props).map(([name, s]) => {
      const { description, ...rest } = s;
      return { name, in: where, required: required.has(name), ...(description ? { description } : {}), schema: rest };
    });
  }

  /** Every component so far, sorted by id (the document's bytes do not depend on the order routes are declared in). */
  sorted(): Record<string, Json> {
    return Object.fromEntries(Object.entries(this.schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private add(name: string, def: Json, io: string): void {
    const clean = stripIds(def);
    const existing = this.schemas[name];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(clean)) {
      // The same component would read differently as input and as output (a default,
      // say): give one of them its own id rather than publish a wrong schema.
      throw new Error(`schema ${name} differs between uses (${io}); give one of them its own meta id`);
    }
    this.schemas[name] = clean;
  }
}

/** zod writes a nested schema's meta id as an `id` keyword; a component is named by its key instead. */
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

export interface OpenApiDocumentOptions {
  title: string;
  version: string;
  description: string;
  /** The default server (`http://127.0.0.1:<port>`) and what it is. */
  server: { url: string; description: string };
  paths: Record<string, JsonObject>;
  components: OpenApiComponents;
}

/**
 * An OpenAPI 3.1 document of a govern service: bearer authentication on every
 * route (a route opts out with `security: []`), the components sorted.
 */
export function openApiDocument(opts: OpenApiDocumentOptions): JsonObject {
  return {
    openapi: '3.1.0',
    info: { title: opts.title, version: opts.version, description: opts.description },
    servers: [opts.server],
    security: [{ bearer: [] }],
    paths: opts.paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: opts.components.sorted() },
  };
}

/** A document as a service serves it and docs/ stores it: two-space JSON and a newline. */
export function openApiJson(doc: JsonObject): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
