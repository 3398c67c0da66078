import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { buildOpenApi, openApiText } from './openapi.js';
import { ROUTES } from './routes.js';

// docs/statehub-openapi.json is generated from the zod schemas and the route table.
// This test fails when the two drift; regenerate with
//   cd libs/statehub && GOVERN_WRITE_OPENAPI=1 npx vitest run src/openapi.test.ts
const DOC = fileURLToPath(new URL('../../../docs/statehub-openapi.json', import.meta.url));

describe('OpenAPI document', () => {
  test('docs/statehub-openapi.json is the document the schemas generate', () => {
    const text = openApiText();
    if (process.env.GOVERN_WRITE_OPENAPI === '1') fs.writeFileSync(DOC, text);
    const stored = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '(missing)';
    expect(stored, 'docs/statehub-openapi.json is stale: regenerate it (see the comment at the top of this test)').toBe(text);
  });

  test('every route is documented once, with its security and its components resolvable', () => {
    const doc = buildOpenApi() as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops.map((o) => o.operationId).sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
    expect(ops.filter((o) => o.security).map((o) => o.operationId).sort()).toEqual(['health', 'openapi']);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
    expect(Object.keys(doc.components.schemas)).toEqual([
      'Change',
      'ChangePage',
      'Error',
      'Health',
      'NextResult',
      'PatchResult',
      'PatchStatus',
      'PutResult',
      'PutTask',
      'PutWorkstream',
      'Record',
      'RecordKind',
      'RecordList',
      'Status',
      'WaitingOn',
    ]);
  });

  test('request bodies are zod input (defaults optional), responses output (every field required)', () => {
    const s = buildOpenApi().components as { schemas: Record<string, { required?: string[] }> };
    expect(s.schemas.PutWorkstream!.required).toEqual(['repo', 'itemId', 'title']);
    expect(s.schemas.PutTask!.required).toEqual(['repo', 'itemId', 'title', 'workstreamKey']);
    expect(s.schemas.Record!.required).toHaveLength(13);
  });
});
