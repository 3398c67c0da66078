import { schemaArtifactFile, schemaArtifactJson, type SchemaArtifact } from '@govern/contracts';
import type { z } from 'zod';
import { AdaptersConfigSchema } from './config.js';
import { ConformanceReportSchema } from './conformance/report.js';
import { MigrationResultSchema, RepairResultSchema, StoreDiagnosticSchema } from './maintenance.js';
import { CompatibilityManifestSchema } from './manifest.js';
import { AuditInputSchema, EventInputSchema, RECORD_SCHEMAS } from './records.js';

/**
 * One JSON Schema artifact of the kit, `libs/adapter-kit/schemas/<name>.v<version>.json`:
 * `io: 'input'` for what a caller sends (defaults optional), `output` for what a
 * pack returns or stores. Written and checked by @govern/contracts' one artifact
 * mechanism.
 */
export type { SchemaArtifact };

/**
 * The kit's JSON Schema artifacts, generated from its zod schemas and checked in
 * (schemas.test.ts fails when one drifts; `npm run schemas -w @govern/adapter-kit`
 * rewrites them): the compatibility manifest, the conformance report, the
 * capability records and the two append inputs.
 */
export const SCHEMA_ARTIFACTS: readonly SchemaArtifact[] = [
  { name: 'compatibility-manifest', version: 1, io: 'input', schema: CompatibilityManifestSchema },
  { name: 'conformance-report', version: 1, io: 'output', schema: ConformanceReportSchema },
  { name: 'event-input', version: 1, io: 'input', schema: EventInputSchema },
  { name: 'audit-input', version: 1, io: 'input', schema: AuditInputSchema },
  { name: 'adapters-config', version: 1, io: 'input', schema: AdaptersConfigSchema },
  { name: 'store-diagnostic', version: 1, io: 'output', schema: StoreDiagnosticSchema },
  { name: 'store-migration-result', version: 1, io: 'output', schema: MigrationResultSchema },
  { name: 'store-repair-result', version: 1, io: 'output', schema: RepairResultSchema },
  ...Object.entries(RECORD_SCHEMAS).map(([name, schema]) => ({ name, version: 1, io: 'output' as const, schema: schema as z.ZodType })),
];

/** An artifact's file name in `libs/adapter-kit/schemas/`. */
export const schemaFile = schemaArtifactFile;

/**
 * The artifact's text: draft 2020-12 JSON Schema with its id, two-space
 * indented, newline-terminated. Refinements (a denied audit entry needs a policy
 * code, node ids are unique) are not representable in JSON Schema; the zod
 * schemas enforce them.
 */
export function schemaJson(a: SchemaArtifact): string {
  return schemaArtifactJson(a, { owner: 'adapter-kit' });
}
