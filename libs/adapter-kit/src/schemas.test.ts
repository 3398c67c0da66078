import { fileURLToPath } from 'node:url';
import { assertGeneratedFiles } from '@govern/contracts/testing';
import { describe, expect, test } from 'vitest';
import { SCHEMA_ARTIFACTS, schemaFile, schemaJson } from './schemas.js';

// The checked-in JSON Schema of the kit against what its zod schemas generate now.
// `npm run schemas -w @govern/adapter-kit` (GOVERN_WRITE_SCHEMAS=1) rewrites them first.

const DIR = fileURLToPath(new URL('../schemas/', import.meta.url));

describe('the JSON Schema artifacts', () => {
  test('every artifact on disk is what the code generates, and nothing else is there', () => {
    assertGeneratedFiles({
      dir: DIR,
      files: Object.fromEntries(SCHEMA_ARTIFACTS.map((a) => [schemaFile(a), schemaJson(a)])),
      command: 'npm run schemas -w @govern/adapter-kit',
      writeEnv: 'GOVERN_WRITE_SCHEMAS',
    });
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
