import { z } from 'zod';

/** The file every evidence root holds: what `govern close` ran and what came of it. */
export const MANIFEST_FILE = 'manifest.json';

export const CheckRecordSchema = z.object({
  /** A name for the check, e.g. `binder:test`. */
  name: z.string(),
  command: z.string(),
  exitCode: z.number().int(),
  durationMs: z.number().nonnegative(),
  startedAt: z.string(),
  /** sha256 of the output as stored in `outputFile` (redacted, and capped when `outputTruncated`). */
  outputSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bytes the check printed in all (stdout and stderr together). */
  outputBytes: z.number().int().nonnegative().optional(),
  /** True when only the head and tail of the output are stored. */
  outputTruncated: z.boolean().optional(),
  /** sha256 of the whole output as printed, when it was truncated. */
  fullOutputSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Secrets replaced by `[REDACTED:<rule>]` in the stored output. */
  redactions: z.number().int().nonnegative().optional(),
  /** The output as kept in the evidence root (relative to it), when it is kept. */
  outputFile: z.string().optional(),
});
export type CheckRecord = z.infer<typeof CheckRecordSchema>;

/**
 * How one exit criterion was verified at close:
 * - `check`: by the checks of this closure at these 1-based positions in `checks`
 *   (a `Check:` line under the bullet);
 * - `item`: by the closures of other items (`Verified by: ID`), each with its manifest;
 * - `checkbox`: ticked `- [x]` in the document by whoever edited it;
 * - `manual`: a plain bullet nobody tied to a check, signed off at close by the person
 *   named (`govern close --sign-off <who>`), recorded in the manifest and the audit log.
 */
export const CriterionVerificationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('check'), checks: z.array(z.number().int().min(1)).min(1) }),
  z.object({ kind: z.literal('item'), items: z.array(z.object({ id: z.string(), evidence: z.string() })).min(1) }),
  z.object({ kind: z.literal('checkbox') }),
  z.object({ kind: z.literal('manual'), signedOffBy: z.string().min(1) }),
]);
export type CriterionVerification = z.infer<typeof CriterionVerificationSchema>;

export const CriterionRecordSchema = z.object({
  text: z.string(),
  checked: z.boolean().nullable(),
  verification: CriterionVerificationSchema.optional(),
});
export type CriterionRecord = z.infer<typeof CriterionRecordSchema>;

/**
 * The evidence manifest (version 1). The zod schema is the source of truth; the
 * JSON Schema is derived from it with `z.toJSONSchema(EvidenceManifestSchema)`.
 */
export const EvidenceManifestSchema = z.object({
  schemaVersion: z.literal(1),
  /** The id of the milestone or task this evidence closes. */
  item: z.string(),
  createdAt: z.string(),
  gitCommit: z.string().nullable(),
  /** False when the closure ran with uncommitted code (`--allow-dirty`); then `dirtyPaths` lists it. Absent before GV-08. */
  treeClean: z.boolean().optional(),
  dirtyPaths: z.array(z.string()).optional(),
  /** sha256 of the lockfile (package-lock.json, pnpm-lock.yaml, …) the checks ran with. */
  lockfileSha256: z.string().nullable().optional(),
  /** `process.version` and `<platform>-<arch>` of the closing run. */
  node: z.string().optional(),
  platform: z.string().optional(),
  /** What the checks cover: the Nx projects they ran, or null for the whole repository (freshness compares these). */
  inputs: z.object({ projects: z.array(z.string()).nullable() }).optional(),
  toolVersion: z.string(),
  checks: z.array(CheckRecordSchema),
  /** True only when every check exited 0 and every checkbox criterion was checked. */
  passed: z.boolean(),
  /** Further files of the evidence root with their hashes. */
  files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).default([]),
  /**
   * The item's exit criteria / acceptance as they stood (`checked: null` for plain
   * bullets), each with how it was verified. `verification` is absent in manifests
   * written before GV-08 T07.
   */
  criteria: z.array(CriterionRecordSchema).optional(),
  /** Why the attempt failed, one sentence each (empty when it passed). */
  failures: z.array(z.string()).optional(),
});
export type EvidenceManifest = z.infer<typeof EvidenceManifestSchema>;

/**
 * The files of its evidence root that a manifest records with their sha256: each check's
 * stored output (`outputFile`), then its further `files`, in that order. The audit
 * compares these with the files on disk, and the snapshot reads exactly these.
 */
export function hashedFiles(manifest: EvidenceManifest): { path: string; sha256: string }[] {
  return [...manifest.checks.flatMap((c) => (c.outputFile ? [{ path: c.outputFile, sha256: c.outputSha256 }] : [])), ...manifest.files];
}

/**
 * A manifest's bytes parsed: the manifest, or why they are not one: `json` (JSON.parse's
 * message) or `schema` (the first issue, `<path>: <message>`, `(root)` for the top).
 */
export type ManifestParse = { manifest: EvidenceManifest } | { invalid: 'json' | 'schema'; message: string };

/** Parses a manifest's bytes (JSON, then {@link EvidenceManifestSchema}); never throws. */
export function parseManifest(bytes: Buffer): ManifestParse {
  try {
    const parsed = EvidenceManifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    if (parsed.success) return { manifest: parsed.data };
    const i = parsed.error.issues[0]!;
    return { invalid: 'schema', message: `${i.path.join('.') || '(root)'}: ${i.message}` };
  } catch (e) {
    return { invalid: 'json', message: (e as Error).message };
  }
}
