/**
 * @govern/adapter-kit — adapter packs and the conformance standard
 * (docs/adapters.md): compatibility manifests (zod, generated JSON Schema), the
 * capabilities and their records, packs as small plugins composed into one
 * client with explicit missing-capability diagnostics, the reason-split errors
 * packs refuse with, and `govern-conformance/1` (`checkPack`,
 * `loadForPrescriptiveUse`). The vitest helper every pack's tests call is in
 * `@govern/adapter-kit/testing`.
 */
export { CAPABILITIES, CAPABILITIES_CONTRACT, CAPABILITIES_VERSION } from './capabilities.js';
export type { AuditStore, Capability, CapabilityMap, EventStore, GitHubCapability, GraphStore, MemoryCapability, StateHubCapability, StateHubKind } from './capabilities.js';
export * from './records.js';
/** Canonical JSON (RFC 8785), the contracts' own: what packs store and hash. */
export { canonicalJson } from '@govern/contracts';
export { AdapterError, adapterDenial, adapterFailure, classifyError, FAILURE_REASONS, POLICY_REASONS } from './errors.js';
export type { AdapterErrorCode, AdapterErrorDetails, ClassifiedError } from './errors.js';
export { CompatibilityManifestSchema, contractProblems, KIT_CONTRACTS, manifestHash, OwnershipSchema, resolveOwnership, STANDARDS } from './manifest.js';
export type { CompatibilityManifest, Ownership, StandardName } from './manifest.js';
export { globToRegExp, matchesAny } from './glob.js';
export { auditEntryHash, sealAuditEntry, verifyAuditChain } from './audit-chain.js';
export { composePacks, definePack, MissingCapabilityError } from './pack.js';
export type { AdapterClient, Adapters, CapabilityApis, ComposeOptions, ManifestInput, OpenOptions, Pack, PackContext, PackContextInput, PackInstance, PackSpec, PackStatus } from './pack.js';
export { STANDARD, SUBCHECKS, ConformanceReportSchema, SubcheckResultSchema } from './conformance/report.js';
export type { ConformanceReport, SubcheckName, SubcheckResult } from './conformance/report.js';
export { checkPack, loadForPrescriptiveUse, mergeReports, NotConformantError } from './conformance/check.js';
export type { CheckOptions, ConformanceHarness, Observation, SandboxSetup } from './conformance/check.js';
export { esbuildChildRunner, prebundle, runChildProcess } from './conformance/child.js';
export { childMain } from './conformance/child-main.js';
export type { ChildRun, ChildRunner } from './conformance/child.js';
export { runWorkload, tickingClock } from './conformance/workload.js';
export type { ConformanceInputs, RunConfig, RunResult, Step } from './conformance/workload.js';
export { SCHEMA_ARTIFACTS, schemaFile, schemaJson } from './schemas.js';
export type { SchemaArtifact } from './schemas.js';
export { canonicalSha256, denyWrites, ensureOwnedDir, pageEvents, parsePage, parseRecord, requireKey, sealEvents, snapshotRef } from './helpers.js';
export { ADAPTERS_CONFIG_FILE, AdaptersConfigSchema, CALLER_CAPABILITIES, CALLERS, composeFromConfig, hasAdaptersSection, loadAdaptersConfig, parseAdaptersConfig } from './config.js';
export type { AdaptersConfig, Caller, ConfigDiagnostic } from './config.js';
export {
  jsonErrorPosition,
  MigrationResultSchema,
  moveToTrash,
  PlannedMigrationSchema,
  RepairResultSchema,
  STORE_PROBLEM_CODES,
  STORE_PROBLEM_KINDS,
  storeDiagnostic,
  StoreDiagnosticSchema,
  StoreMetadataSchema,
  trashDir,
  TrashMoveSchema,
} from './maintenance.js';
export type { MigrationResult, PlannedMigration, RepairResult, StoreDiagnostic, StoreMaintenance, StoreMetadata, StoreProblemKind, TrashMove } from './maintenance.js';
