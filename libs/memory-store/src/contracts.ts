import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkPinnedSchemas, REASON_FIELDS, schemaArtifactFile, schemaArtifactJson, sha256, writeGeneratedFiles, type PinnedSchemaProblem, type SchemaArtifact } from '@govern/contracts';
import { ApiErrorEnvelopeSchema, AuditRequestSchema, AuditResponseSchema, HealthResponseSchema, RetentionRequestSchema, RetentionResultSchema, UpsertRequestSchema, UpsertResponseSchema, QueryRequestSchema, QueryResponseSchema } from '@govern/memory-contract';
import { EventFactSchema, TaskFactSchema } from './facts.js';

/**
 * The versioned contract schemas (LM-07): the reason semantics, the facts as
 * the API shows them, and every request and answer envelope of the memory
 * API, exported as JSON Schema (zod 4's `z.toJSONSchema`, draft 2020-12) to
 * `libs/memory-store/contracts/<name>.v<version>.json` and pinned by sha256 in
 * `contracts/manifest.json`.
 *
 * A pinned version is immutable. When a schema changes, the contract test
 * fails (`drift`) until its version in {@link CONTRACTS} is raised; then it
 * fails (`unpinned`) until the new version is written and pinned
 * (`npm run contracts -w @govern/memory-store`, Nx `@govern/memory-store:contracts`),
 * which adds files and manifest entries and never rewrites a pinned one. Old
 * versions stay in the directory, checked against their pins, for consumers
 * that still read them. Writing and checking are @govern/contracts' one JSON
 * Schema artifact mechanism (its json-schema.ts); requests are described as a
 * client sends them (`io: 'input'`, defaults optional), answers as they are sent.
 */
export type Contract = SchemaArtifact;

/** A fact as the API and the contracts show it: BIGINT nanoseconds as decimal strings. */
function wire<S extends z.ZodRawShape>(facts: z.ZodObject<S>, what: string) {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(facts.shape)) shape[k] = v instanceof z.ZodBigInt ? z.string().regex(/^-?\d+$/).describe('Unix nanoseconds, exact, as a decimal string') : (v as z.ZodType);
  return z.object(shape).describe(what);
}

/**
 * The reason semantics (seed 002, K0) as the store records them: the four
 * fields every task fact carries. The two reason fields are the ones
 * @govern/contracts' ReasonSemanticsSchema defines (names from its
 * `REASON_FIELDS`); `failure_reason_source` has exactly the contract's
 * `FAILURE_REASON_SOURCES` as values, and `outcome` is the store's own summary.
 * The codes are any text here, wider than the contract's code pattern, because a
 * fact records what a span said. contracts.test.ts proves the fields and values
 * equal and runs the contract's fixtures; reason.test.ts proves the store reads
 * spans as the contract's read side does.
 */
export const ReasonSemanticsSchema = TaskFactSchema.pick({ [REASON_FIELDS.failure]: true, failure_reason_source: true, [REASON_FIELDS.policy]: true, outcome: true } as const).describe(
  'failure_reason_code (why it failed; input alias reason_code) and policy_reason_code (why a guard denied it) are separate and never overwrite each other; a guard denial is never a failure',
);

export const CONTRACTS: readonly Contract[] = [
  { name: 'reason-semantics', version: 1, io: 'output', schema: ReasonSemanticsSchema },
  { name: 'task-fact', version: 1, io: 'output', schema: wire(TaskFactSchema, 'one span as a task fact (table task_facts)') },
  { name: 'event-fact', version: 1, io: 'output', schema: wire(EventFactSchema, 'one span event as an event fact (table event_facts)') },
  { name: 'memory-error', version: 1, io: 'output', schema: ApiErrorEnvelopeSchema },
  // v2: the failure_reason_code filters also accept their legacy name reason_code (LM-10).
  // v3: the span primitives recent_spans and trace_spans (every service's spans, by service and trace).
  { name: 'memory-query-request', version: 3, io: 'input', schema: QueryRequestSchema },
  // v2: the answers of recent_spans and trace_spans.
  { name: 'memory-query-response', version: 2, io: 'output', schema: QueryResponseSchema },
  { name: 'memory-upsert-request', version: 1, io: 'input', schema: UpsertRequestSchema },
  { name: 'memory-upsert-response', version: 1, io: 'output', schema: UpsertResponseSchema },
  { name: 'memory-audit-request', version: 1, io: 'input', schema: AuditRequestSchema },
  { name: 'memory-audit-response', version: 1, io: 'output', schema: AuditResponseSchema },
  { name: 'memory-retention-request', version: 1, io: 'input', schema: RetentionRequestSchema },
  { name: 'memory-retention-response', version: 1, io: 'output', schema: RetentionResultSchema },
  { name: 'memory-health-response', version: 2, io: 'output', schema: HealthResponseSchema },
];

export const ContractManifestSchema = z.object({
  $comment: z.string().optional(),
  contracts: z.array(z.object({ name: z.string(), version: z.int().positive(), file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type ContractManifest = z.infer<typeof ContractManifestSchema>;

export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_COMMENT = 'Pinned contract schemas of @govern/memory-store (docs/memory.md#contracts). A pinned version never changes: raise the version in src/contracts.ts and run `npm run contracts -w @govern/memory-store`.';

export const contractFile = schemaArtifactFile;

/** The artifact's text: the JSON Schema with its id and version, two-space indented, newline-terminated. */
export function contractJson(c: Contract): string {
  return schemaArtifactJson(c, { owner: 'memory-store', extra: { 'x-contract': { name: c.name, version: c.version } } });
}

export type ContractProblem = PinnedSchemaProblem | { code: 'manifest-invalid'; name: string; version: number; message: string };

function readManifest(dir: string): { manifest: ContractManifest; problem: ContractProblem | null } {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return { manifest: { contracts: [] }, problem: null };
  const parsed = ContractManifestSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) return { manifest: { contracts: [] }, problem: { code: 'manifest-invalid', name: MANIFEST_FILE, version: 0, message: `${file}: ${parsed.error.message}` } };
  return { manifest: parsed.data, problem: null };
}

/**
 * Compares the code's contracts with the pins in `dir`: every contract of the
 * code pinned with the sha256 of what the code generates now, every pinned
 * artifact present and unmodified. No problem means no drift.
 */
export function checkContracts(contracts: readonly Contract[], dir: string): ContractProblem[] {
  const { manifest, problem } = readManifest(dir);
  const pinned = checkPinnedSchemas(contracts, manifest.contracts, {
    dir,
    manifestFile: MANIFEST_FILE,
    render: contractJson,
    unpinnedHint: 'run `npm run contracts -w @govern/memory-store`',
    versionSource: 'src/contracts.ts',
  });
  return problem ? [problem, ...pinned] : pinned;
}

/**
 * Writes and pins the contracts the manifest does not have yet. Never rewrites
 * a pinned version: a contract whose version is pinned with another hash is
 * returned as `drift` and left alone.
 */
export function writeContracts(contracts: readonly Contract[], dir: string): { written: string[]; refused: ContractProblem[] } {
  const { manifest, problem } = readManifest(dir);
  if (problem) return { written: [], refused: [problem] };
  const written: string[] = [];
  const refused = checkContracts(contracts, dir).filter((p) => p.code === 'drift');
  for (const c of contracts) {
    if (manifest.contracts.some((p) => p.name === c.name && p.version === c.version)) continue;
    const text = contractJson(c);
    writeGeneratedFiles(dir, { [contractFile(c)]: text });
    manifest.contracts.push({ name: c.name, version: c.version, file: contractFile(c), sha256: sha256(text) });
    written.push(contractFile(c));
  }
  if (written.length) {
    manifest.contracts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
    writeGeneratedFiles(dir, { [MANIFEST_FILE]: `${JSON.stringify({ $comment: MANIFEST_COMMENT, contracts: manifest.contracts }, null, 2)}\n` });
  }
  return { written, refused };
}
