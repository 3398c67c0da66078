import crypto from 'node:crypto';
import { canonicalJson, compareSemver, CONTRACTS_PACKAGE, CONTRACTS_VERSION } from '@govern/contracts';
import { z } from 'zod';
import { CAPABILITIES, CAPABILITIES_CONTRACT, CAPABILITIES_VERSION } from './capabilities.js';

/** The conformance standards the kit knows (a manifest lists those it must pass). */
export const STANDARDS = ['govern-conformance/1'] as const;
export type StandardName = (typeof STANDARDS)[number];

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** A glob relative to the pack's root: no absolute path, no `..`, no backslash. */
const RelativeGlobSchema = z
  .string()
  .min(1)
  .max(300)
  .refine((g) => !g.startsWith('/') && !g.includes('\\') && !g.split('/').includes('..') && !g.split('/').includes('.'), 'a glob relative to the root (no leading /, no . or .. segment, no backslash)');

/**
 * What a pack may touch, declared up front and checked by the side-effect
 * subcheck (and enforced by the pack at run time):
 *
 * - `paths`: globs relative to the root the pack is opened on (see glob.ts);
 *   the pack may create, change and remove files matching them, nothing else;
 * - `tables`: DuckDB tables the pack may create and change;
 * - `remote`: remote resources it may write, as `<service>:<resource>` globs;
 *   `{name}` is replaced by the string option `name` of the pack's context, so
 *   `statehub:{repo}:task/*` names the configured repository's tasks only.
 *
 * A pack that touches nothing (an in-memory fake) declares three empty lists.
 */
export const OwnershipSchema = z
  .object({
    paths: z.array(RelativeGlobSchema).max(50),
    tables: z.array(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a table name: lowercase letters, digits and _')).max(50),
    remote: z.array(z.string().regex(/^[a-z][a-z0-9-]*:\S+$/, 'a remote resource: <service>:<resource glob>')).max(50),
  })
  .strict();
export type Ownership = z.infer<typeof OwnershipSchema>;

/**
 * A compatibility manifest (v1): what a pack is, what it provides, which contract
 * versions it implements, what it may touch, and which conformance standards it
 * must pass. Validated by the kit when the pack is defined; its JSON Schema is
 * `libs/adapter-kit/schemas/compatibility-manifest.v1.json`.
 */
export const CompatibilityManifestSchema = z
  .object({
    schema: z.literal('govern.adapter-manifest/v1'),
    name: z.string().regex(/^[a-z][a-z0-9-]{0,49}$/, 'a pack name: lowercase letters, digits and -'),
    /** The npm package that ships the pack. */
    package: z.string().regex(/^(@[a-z0-9-]+\/)?[a-z0-9][a-z0-9._-]*$/, 'an npm package name'),
    version: z.string().regex(SEMVER, 'a semver version (1.2.3)'),
    description: z.string().min(1).max(500),
    capabilities: z
      .array(z.enum(CAPABILITIES))
      .min(1)
      .refine((c) => new Set(c).size === c.length, 'each capability once'),
    /** `persistent`: what one instance wrote, the next instance on the same root reads; `ephemeral`: state lives as long as the instance. */
    durability: z.enum(['persistent', 'ephemeral']),
    /** Contract versions implemented: `@govern/contracts` and `govern-adapter-capabilities` at least. */
    contracts: z
      .array(z.object({ name: z.string().min(1), version: z.string().regex(SEMVER, 'a semver version (1.2.3)') }).strict())
      .min(1)
      .refine((c) => new Set(c.map((x) => x.name)).size === c.length, 'each contract once'),
    ownership: OwnershipSchema,
    /** The conformance standards the pack must pass before prescriptive use. */
    conformance: z.array(z.enum(STANDARDS)).min(1),
    /** The gate of govern.config.yaml that enables the pack (a closed gate still runs the pack's tests). */
    gate: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
  })
  .strict()
  .describe('an adapter pack compatibility manifest (govern.adapter-manifest/v1)');
export type CompatibilityManifest = z.infer<typeof CompatibilityManifestSchema>;

/** sha256 of the manifest's canonical JSON: what a conformance report is bound to. */
export function manifestHash(manifest: CompatibilityManifest): string {
  return crypto.createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}

/** The contract versions this build of the kit implements, by name. */
export const KIT_CONTRACTS: Readonly<Record<string, string>> = {
  [CONTRACTS_PACKAGE]: CONTRACTS_VERSION,
  [CAPABILITIES_CONTRACT]: CAPABILITIES_VERSION,
};

/**
 * Why the manifest's contract versions do not fit this build, one sentence each.
 * A contract the kit owns must be named; its major must equal the kit's and its
 * version must not be newer (a pack written against a newer minor may rely on
 * what this build lacks). Names the kit does not know are refused: the kit could
 * not check them.
 */
export function contractProblems(manifest: CompatibilityManifest): string[] {
  const problems: string[] = [];
  const declared = new Map(manifest.contracts.map((c) => [c.name, c.version]));
  for (const [name, version] of Object.entries(KIT_CONTRACTS)) {
    const v = declared.get(name);
    if (v === undefined) problems.push(`the manifest does not name the ${name} version it implements (this build: ${version})`);
    else if (v.split('.')[0] !== version.split('.')[0]) problems.push(`${name} ${v} is another major than this build's ${version}`);
    else if (compareSemver(v, version) > 0) problems.push(`${name} ${v} is newer than this build's ${version}`);
  }
  for (const name of declared.keys()) if (!(name in KIT_CONTRACTS)) problems.push(`${name} is not a contract this build knows (${Object.keys(KIT_CONTRACTS).join(', ')})`);
  return problems;
}

/**
 * The ownership boundary with `{name}` placeholders replaced by the string
 * options of that name; a placeholder without such an option is a problem (the
 * boundary would be unknowable).
 */
export function resolveOwnership(ownership: Ownership, options: unknown): { ownership: Ownership; problems: string[] } {
  const problems: string[] = [];
  const opts = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  const fill = (s: string) =>
    s.replace(PLACEHOLDER, (whole, name: string) => {
      const v = opts[name];
      if (typeof v === 'string' && v.length > 0) return v;
      problems.push(`${whole} in the ownership boundary has no string option ${name} to fill it`);
      return whole;
    });
  return { ownership: { paths: ownership.paths.map(fill), tables: ownership.tables.map(fill), remote: ownership.remote.map(fill) }, problems: [...new Set(problems)] };
}
