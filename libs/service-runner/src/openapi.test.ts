import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { buildOpenApi, openApiText } from './openapi.js';
import { SERVICE_OPERATIONS } from './operations.js';

// docs/service-runner-openapi.json is generated from SERVICE_OPERATIONS and their zod
// schemas. This test fails when the two drift; regenerate with
//   cd libs/service-runner && GOVERN_WRITE_OPENAPI=1 npx vitest run src/openapi.test.ts
const DOC = fileURLToPath(new URL('../../../docs/service-runner-openapi.json', import.meta.url));

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { required?: string[] }> };
};

describe('OpenAPI document', () => {
  test('docs/service-runner-openapi.json is the document the schemas generate', () => {
    const text = openApiText();
    if (process.env.GOVERN_WRITE_OPENAPI === '1') fs.writeFileSync(DOC, text);
    const stored = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '(missing)';
    expect(stored, 'docs/service-runner-openapi.json is stale: regenerate it (see the comment at the top of this test)').toBe(text);
  });

  test('every operation is one POST route; only /health and /openapi.json skip the token; every $ref resolves', () => {
    const doc = buildOpenApi() as unknown as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, o]) => ({ p, m, id: o.operationId, open: o.security !== undefined })));
    expect(ops.filter((o) => o.p.startsWith('/v1/operations/')).map((o) => `${o.m} ${o.p} ${o.id}`)).toEqual(
      SERVICE_OPERATIONS.map((o) => `post /v1/operations/${o.name} ${o.name}`),
    );
    expect(ops.filter((o) => o.open).map((o) => o.p)).toEqual(['/health', '/openapi.json']);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
  });

  test('request bodies are zod input (defaults optional), answers output (defaults present); unsupported operations answer 501 only', () => {
    const doc = buildOpenApi() as unknown as Doc;
    expect(doc.components.schemas.SetStatusInput!.required).toEqual(['id', 'status']);
    expect(doc.components.schemas.StatusWrite!.required).toEqual(['item', 'file', 'changed', 'from', 'to', 'hash_before', 'hash_after', 'forced']);
    expect(Object.keys(doc.paths['/v1/operations/graph.import']!.post!.responses)).toEqual(['401', '501']);
    expect(Object.keys(doc.paths['/v1/operations/task.set_status']!.post!.responses)).toEqual(['200', '400', '401', '403', '404', '409', '422']);
  });
});
