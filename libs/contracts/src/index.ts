/**
 * @govern/contracts — the one owner of the reason-semantics, TaskSpec, wrapper
 * envelope and guard/transition contracts (seed 002 K0; docs/contracts.md):
 * versioned zod schemas and their registry, canonical JSON, and the pin
 * consumers check, and the one JSON Schema artifact mechanism every package
 * with checked-in schemas uses (json-schema.ts). Fixtures and pin checks for consumers' tests are in
 * `@govern/contracts/testing`.
 */
export * from './schemas.js';
export { canonicalJson, LONE_SURROGATE } from './canonical.js';
export { CONTRACTS, CONTRACTS_PACKAGE, CONTRACTS_VERSION, compareSemver, contractFile, contractJson, contractNamed, contractsPin, manifestHash, ManifestSchema, sha256 } from './registry.js';
export type { ContractEntry, ContractsPin, Manifest } from './registry.js';
export { checkPinnedSchemas, generatedFilesOnDisk, schemaArtifactFile, schemaArtifactJson, writeGeneratedFiles } from './json-schema.js';
export type { CheckPinnedSchemasOptions, PinnedSchemaProblem, SchemaArtifact, SchemaArtifactJsonOptions, SchemaPin } from './json-schema.js';
export { checkPin, MIGRATION_NOTES_HEADING, migrationNotesFor, PinSchema, pinText } from './pins.js';
export type { Pin, PinProblem } from './pins.js';
