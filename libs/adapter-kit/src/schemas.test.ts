import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SCHEMA_ARTIFACTS, schemaFile, schemaJson } from './schemas.js';

// The checked-in JSON Schema of the kit against what its zod schemas generate now.
// `npm run schemas -w @govern/adapter-kit` (GOVERN_WRITE_SCHEMAS=1) rewrites them first.

const DIR = fileURLToPath(new URL('../schemas/', import.meta.url));

describe('the JSON Schema artifacts', () => {
  test('every artifact on disk is what the code generates, and nothing else is there', () => {
    if (process.env.GOVERN_WRITE_SCHEMAS === '1') {
      fs.mkdirSync(DIR, { recursive: true });
      for (const a of SCHEMA_ARTIFACTS) fs.writeFileSync(path.join(DIR, schemaFile(a)), schemaJson(a));
    }
    const expected = Object.fromEntries(SCHEMA_ARTIFACTS.map((a) => [schemaFile(a), schemaJson(a)]));
    const onDisk = Object.fromEntries(fs.readdirSync(DIR).sort().map((f) => [f, fs.readFileSync(path.join(DIR, f), 'utf8')]));
    expect(onDisk, 'libs/adapter-kit/schemas drifted from the zod schemas: run `npm run schemas -w @govern/adapter-kit`').toEqual(expected);
  });

  test('the manifest schema says what the zod schema says', () => {
    const manifest = JSON.parse(schemaJson(SCHEMA_ARTIFACTS.find((a) => a.name === 'compatibility-manifest')!));
    expect({
      id: manifest.$id,
      required: manifest.required,
      additionalProperties: manifest.additionalProperties,
      capabilities: manifest.properties.capabilities.items.enum,
      ownership: Object.keys(manifest.properties.ownership.properties),
    }).toEqual({
      id: 'urn:govern:adapter-kit:compatibility-manifest:v1',
      required: ['schema', 'name', 'package', 'version', 'description', 'capabilities', 'durability', 'contracts', 'ownership', 'conformance'],
      additionalProperties: false,
      capabilities: ['store.graph', 'store.event', 'store.audit', 'statehub', 'github', 'memory'],
      ownership: ['paths', 'tables', 'remote'],
    });
  });
});
