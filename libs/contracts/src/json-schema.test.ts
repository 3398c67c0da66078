import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkPinnedSchemas, schemaArtifactFile, schemaArtifactJson, sha256, writeGeneratedFiles, type SchemaArtifact } from './json-schema.js';
import { assertGeneratedFiles } from './testing.js';

// The one JSON Schema artifact mechanism (contracts, memory store, adapter kit):
// the text it writes, the pinned check and the drift test of a generated directory.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.GOVERN_TEST_WRITE;
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'json-schema-'));
  dirs.push(d);
  return d;
}

const demo: SchemaArtifact = { name: 'demo', version: 2, io: 'input', schema: z.object({ a: z.string(), n: z.int().default(1) }) };

describe('schemaArtifactJson', () => {
  it('is the draft 2020-12 schema with its id, title and extra keys first, two-space indented, newline-terminated', () => {
    const text = schemaArtifactJson(demo, { owner: 'demo-owner', extra: { 'x-contract': { name: 'demo', version: 2 } } });
    expect(text).toBe(
      `${JSON.stringify(
        {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          $id: 'urn:govern:demo-owner:demo:v2',
          title: 'demo v2',
          'x-contract': { name: 'demo', version: 2 },
          type: 'object',
          properties: { a: { type: 'string' }, n: { default: 1, type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 } },
          required: ['a'],
        },
        null,
        2,
      )}\n`,
    );
    expect(schemaArtifactFile(demo)).toBe('demo.v2.json');
  });

  it('as output, a field with a default is required and no other key is allowed; what JSON Schema cannot say throws', () => {
    const out = JSON.parse(schemaArtifactJson({ ...demo, io: 'output' }, { owner: 'o' }));
    expect({ required: out.required, additionalProperties: out.additionalProperties }).toEqual({ required: ['a', 'n'], additionalProperties: false });
    expect(() => schemaArtifactJson({ ...demo, schema: z.object({ at: z.date() }) }, { owner: 'o' })).toThrow();
  });
});

describe('checkPinnedSchemas', () => {
  const opts = (dir: string) => ({ dir, manifestFile: 'manifest.json', render: (a: SchemaArtifact) => schemaArtifactJson(a, { owner: 'o' }), unpinnedHint: 'run `make schemas`', versionSource: 'src/demo.ts' });

  it('pinned and unmodified: nothing; unpinned, changed, edited, missing and duplicated: one problem each', () => {
    const dir = tempDir();
    const text = schemaArtifactJson(demo, { owner: 'o' });
    writeGeneratedFiles(dir, { 'demo.v2.json': text });
    const pin = { name: 'demo', version: 2, file: 'demo.v2.json', sha256: sha256(text) };
    expect(checkPinnedSchemas([demo], [pin], opts(dir))).toEqual([]);
    expect(checkPinnedSchemas([demo], [], opts(dir))).toEqual([{ code: 'unpinned', name: 'demo', version: 2, message: 'demo v2 is not pinned: run `make schemas` to add demo.v2.json' }]);
    const changed = { ...demo, schema: z.object({ a: z.number() }) };
    expect(checkPinnedSchemas([changed], [pin], opts(dir)).map((p) => [p.code, p.message.endsWith('raise its version in src/demo.ts')])).toEqual([['drift', true]]);
    expect(checkPinnedSchemas([demo, demo], [pin, pin], opts(dir)).map((p) => p.code)).toEqual(['duplicate', 'duplicate']);
    fs.writeFileSync(path.join(dir, 'demo.v2.json'), `${text} `);
    expect(checkPinnedSchemas([demo], [pin], opts(dir)).map((p) => p.code)).toEqual(['artifact-modified']);
    fs.rmSync(path.join(dir, 'demo.v2.json'));
    expect(checkPinnedSchemas([demo], [pin], opts(dir)).map((p) => p.code)).toEqual(['artifact-missing']);
  });
});

describe('assertGeneratedFiles', () => {
  const files = { 'b.v1.json': '{"b":1}\n', 'a.v1.json': '{"a":1}\n' };

  it('passes when the directory holds exactly the generated files, and fails naming the command when one is stale, missing or extra', () => {
    const dir = tempDir();
    writeGeneratedFiles(dir, files);
    const check = { dir, files, command: 'npm run schemas -w demo', writeEnv: 'GOVERN_TEST_WRITE' };
    expect(() => assertGeneratedFiles(check)).not.toThrow();
    for (const [what, change] of [
      ['stale', () => fs.writeFileSync(path.join(dir, 'a.v1.json'), '{"a":2}\n')],
      ['missing', () => fs.rmSync(path.join(dir, 'b.v1.json'))],
      ['extra', () => fs.writeFileSync(path.join(dir, 'c.v1.json'), '{}\n')],
    ] as const) {
      writeGeneratedFiles(dir, files);
      fs.rmSync(path.join(dir, 'c.v1.json'), { force: true });
      change();
      expect(() => assertGeneratedFiles(check), what).toThrow(`drifted from the code: run \`npm run schemas -w demo\``);
    }
  });

  it('with its environment variable set, rewrites the directory first (the regenerate command), byte for byte', () => {
    const dir = path.join(tempDir(), 'schemas');
    process.env.GOVERN_TEST_WRITE = '1';
    assertGeneratedFiles({ dir, files, command: 'x', writeEnv: 'GOVERN_TEST_WRITE' });
    expect(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')])).toEqual([
      ['a.v1.json', '{"a":1}\n'],
      ['b.v1.json', '{"b":1}\n'],
    ]);
  });
});
