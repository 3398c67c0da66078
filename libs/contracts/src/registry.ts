import { z } from 'zod';
import checkedInManifest from '../schemas/manifest.json' with { type: 'json' };
import { canonicalJson } from './canonical.js';
import { schemaArtifactFile, schemaArtifactJson, sha256, type SchemaArtifact } from './json-schema.js';
import {
  EvidenceRefSchema,
  FingerprintContextSchema,
  GuardEvaluationSchema,
  GuardrailsBundleSchema,
  LineageSchema,
  ReasonSemanticsReadSchema,
  ReasonSemanticsSchema,
  TaskSpecSchema,
  TransitionRecordSchema,
  WrapperEnvelopeSchema,
} from './schemas.js';

/**
 * The version of this package's contract set (semver). It names one manifest:
 * the JSON Schema artifacts in `libs/contracts/schemas/` and the compatibility
 * fixtures in `libs/contracts/fixtures/`, each pinned by sha256. A released
 * version is immutable: any change to the manifest needs a higher version, a
 * CHANGELOG entry and a migration note in docs/contracts.md (see artifacts.ts
 * and pins.ts). Kept equal to package.json's `version` (tested).
 */
export const CONTRACTS_VERSION = '1.0.0';

export const CONTRACTS_PACKAGE = '@govern/contracts';

/**
 * One contract: a zod schema with its own integer version, exported as
 * `<name>.v<version>.json`. Its `io` says which side the JSON Schema describes:
 * `input` for what a producer sends (defaults optional, the legacy alias
 * accepted), `output` for what a writer stores and a reader receives.
 */
export type ContractEntry = SchemaArtifact;

/**
 * The registry: every contract this package owns, at its current version.
 * A contract whose schema changes gets a new version here; its old artifact
 * stays in `schemas/`, pinned, for consumers that still read it.
 */
export const CONTRACTS: readonly ContractEntry[] = [
  { name: 'reason-semantics', version: 1, io: 'output', schema: ReasonSemanticsSchema },
  { name: 'reason-semantics-read', version: 1, io: 'input', schema: ReasonSemanticsReadSchema },
  { name: 'task-spec', version: 1, io: 'input', schema: TaskSpecSchema },
  { name: 'lineage', version: 1, io: 'output', schema: LineageSchema },
  { name: 'evidence-ref', version: 1, io: 'input', schema: EvidenceRefSchema },
  { name: 'fingerprint-context', version: 1, io: 'input', schema: FingerprintContextSchema },
  { name: 'wrapper-envelope', version: 1, io: 'input', schema: WrapperEnvelopeSchema },
  { name: 'guard-evaluation', version: 1, io: 'output', schema: GuardEvaluationSchema },
  { name: 'transition-record', version: 1, io: 'output', schema: TransitionRecordSchema },
  { name: 'guardrails-bundle', version: 1, io: 'input', schema: GuardrailsBundleSchema },
];

/** The registry entry named `name`, or undefined. */
export function contractNamed(name: string): ContractEntry | undefined {
  return CONTRACTS.find((c) => c.name === name);
}

export const contractFile = schemaArtifactFile;

/**
 * The artifact's text (json-schema.ts): the JSON Schema with its id and version.
 * Refinements (a denial needs a policy code, …) are not representable in JSON
 * Schema; they are in the compatibility fixtures instead.
 */
export function contractJson(c: ContractEntry): string {
  return schemaArtifactJson(c, { owner: 'contracts', extra: { 'x-contract': { name: c.name, version: c.version, io: c.io } } });
}

export { sha256 };

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** `libs/contracts/schemas/manifest.json`: what a version of this package is, file by file. */
export const ManifestSchema = z
  .object({
    $comment: z.string().optional(),
    package: z.literal(CONTRACTS_PACKAGE),
    version: z.string().regex(SEMVER, 'a semver version (1.2.3)'),
    contracts: z.array(z.object({ name: z.string(), version: z.int().positive(), io: z.enum(['input', 'output']), file: z.string(), sha256: z.string().regex(HEX64) }).strict()),
    fixtures: z.array(z.object({ file: z.string(), sha256: z.string().regex(HEX64) }).strict()),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

/** The version and hash a consumer pins. */
export interface ContractsPin {
  version: string;
  hash: string;
}

/**
 * The hash of a manifest: sha256 of the canonical JSON (RFC 8785) of everything
 * but `$comment`, so rewording the comment or reformatting the file changes no pin.
 */
export function manifestHash(manifest: Manifest): string {
  const { $comment: _comment, ...pinned } = manifest;
  return sha256(canonicalJson(pinned));
}

/**
 * What a consumer pins: this package's version and the hash of its checked-in
 * manifest (imported as data, so it is the same in a bundle as in a test).
 * The contract test of this package fails when the manifest does not match
 * the code, so the pin always names what the code generates.
 */
export function contractsPin(): ContractsPin {
  return { version: CONTRACTS_VERSION, hash: manifestHash(ManifestSchema.parse(checkedInManifest)) };
}

/** Compares two semver versions: negative, 0 or positive. */
export function compareSemver(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) throw new TypeError(`not a semver version: ${pa ? b : a}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  return 0;
}
