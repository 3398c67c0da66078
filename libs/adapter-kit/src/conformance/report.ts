import { z } from 'zod';

/**
 * The conformance standard (seed 002 K4's `python_standard`, adapted to
 * TypeScript packs): a name with a version, and its subchecks. A pack's manifest
 * names the standards it must pass; a report names the standard it was checked
 * against and the manifest (by hash) it was checked for.
 */
export const STANDARD = 'govern-conformance/1' as const;

/**
 * The subchecks of `govern-conformance/1`, in the order they are reported:
 *
 * - `contract-validity`: the manifest validates and fits this build's contract
 *   versions; every record the pack returns validates against the kit's schema
 *   and survives canonical serialization byte for byte (put, then get, gives the
 *   same canonical JSON);
 * - `determinism`: the same workload on the same inputs gives the same
 *   transcript twice in this process and once in another `node` process;
 * - `side-effect-policy`: run in a sandboxed root, the pack changed only files
 *   its ownership `paths` match, only its `tables`, and wrote only its `remote`
 *   resources;
 * - `observability-split`: every refusal is a coded error whose failures carry
 *   `failure_reason_code` and denials `policy_reason_code`, never both, never a
 *   raw exception, never a secret in it;
 * - `spec-as-test`: the generic suite of every capability the manifest declares
 *   passes, and every capability it does not declare is absent.
 */
export const SUBCHECKS = ['contract-validity', 'determinism', 'side-effect-policy', 'observability-split', 'spec-as-test'] as const;
export type SubcheckName = (typeof SUBCHECKS)[number];

/** One subcheck's verdict. */
export const SubcheckResultSchema = z
  .object({
    name: z.enum(SUBCHECKS),
    ok: z.boolean(),
    /** One sentence per finding; empty when ok. */
    problems: z.array(z.string()),
    /** What was checked (counts, hashes, paths), for the reader. */
    details: z.record(z.string(), z.json()),
  })
  .strict();
export type SubcheckResult = z.infer<typeof SubcheckResultSchema>;

/** What `checkPack` answers (and `govern adapters check --json` will print). */
export const ConformanceReportSchema = z
  .object({
    standard: z.literal(STANDARD),
    pack: z
      .object({
        name: z.string(),
        version: z.string(),
        package: z.string(),
        /** sha256 of the manifest's canonical JSON: a report is valid for this exact manifest only. */
        manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict(),
    /** True when every subcheck of the standard ran and passed. */
    ok: z.boolean(),
    subchecks: z.array(SubcheckResultSchema),
  })
  .strict()
  .describe('a conformance report (govern-conformance/1)');
export type ConformanceReport = z.infer<typeof ConformanceReportSchema>;
