import path from 'node:path';
import type { z } from 'zod';
import { CAPABILITIES, type Capability, type CapabilityMap } from './capabilities.js';
import { AdapterError, adapterFailure, FAILURE_REASONS } from './errors.js';
import type { StoreMaintenance } from './maintenance.js';
import { CompatibilityManifestSchema, type CompatibilityManifest, type StandardName } from './manifest.js';

/** What a caller gives to open a pack. */
export interface PackContextInput {
  /** The directory the pack's ownership `paths` are relative to (a repository root). */
  root: string;
  /** The pack's own options, validated by its options schema (JSON: they cross processes). */
  options?: unknown;
  /** Secrets (tokens) by name: never logged, never in an error, never in a record. */
  secrets?: Readonly<Record<string, string>>;
  /** Deny every write with `adapter.read-only` (a dry run, a reader). */
  readOnly?: boolean;
  /** The clock records are stamped with when the caller gives no time (default: now). */
  now?: () => Date;
}

/** What a pack's `create` receives: the input with defaults, `root` absolute, options parsed. */
export interface PackContext<O = unknown> {
  readonly root: string;
  readonly options: O;
  readonly secrets: Readonly<Record<string, string>>;
  readonly readOnly: boolean;
  readonly now: () => Date;
}

/**
 * The capability objects of an instance, keyed by capability: those of `C` for
 * sure, any other possibly (so that a pack of any capabilities is a `Pack`).
 */
export type CapabilityApis<C extends Capability> = { readonly [K in C]: CapabilityMap[K] } & { readonly [K in Capability]?: CapabilityMap[K] };

/** An open pack: its capabilities, and `close` (flush, release files and connections; idempotent). */
export interface PackInstance<C extends Capability = never> {
  readonly capabilities: CapabilityApis<C>;
  close(): Promise<void>;
}

/**
 * An adapter pack: a small plugin with a version and a compatibility manifest,
 * composed with others by {@link composePacks} the way Octokit composes plugins
 * (`Octokit.plugin(a, b)`): each contributes its capabilities to one client.
 * `Pack` alone is a pack of any capabilities; `Pack<'store.graph'>` one known to
 * provide `store.graph`.
 */
export interface Pack<C extends Capability = never> {
  readonly name: string;
  readonly version: string;
  readonly manifest: CompatibilityManifest;
  /**
   * The URL of the module exporting the pack (its `import.meta.url`): the
   * conformance standard loads the same pack from it in another process to check
   * determinism across processes. Null: not loadable elsewhere (that subcheck fails).
   */
  readonly module: string | null;
  create(ctx: PackContextInput): Promise<PackInstance<C>>;
  /** Store maintenance (schema version, migrations, inspection, repair), for a pack that keeps something at its root. */
  readonly maintenance?: StoreMaintenance;
}

/**
 * A manifest as a pack writes it (a literal, possibly `as const`): the manifest
 * with readonly arrays and the capabilities typed, so that `definePack` knows
 * which capabilities the pack's instance must provide.
 */
export type ManifestInput<C extends Capability> = Readonly<Omit<CompatibilityManifest, 'capabilities' | 'contracts' | 'ownership' | 'conformance'>> & {
  readonly capabilities: readonly C[];
  readonly contracts: readonly { readonly name: string; readonly version: string }[];
  readonly ownership: { readonly paths: readonly string[]; readonly tables: readonly string[]; readonly remote: readonly string[] };
  readonly conformance: readonly StandardName[];
};

/** What {@link definePack} takes. */
export interface PackSpec<C extends Capability, O> {
  manifest: ManifestInput<C>;
  /** `import.meta.url` of the module that exports the pack. */
  module: string | null;
  /** The schema of `options` (default: none accepted but `{}` / undefined). */
  options?: z.ZodType<O>;
  create(ctx: PackContext<O>): PackInstance<C> | Promise<PackInstance<C>>;
  /** Store maintenance, for `govern store migrate|repair` (see maintenance.ts). */
  maintenance?: StoreMaintenance;
}

/**
 * Defines a pack: validates its manifest now (a malformed manifest is a
 * programming error, thrown at import as `adapter-manifest-invalid`), and wraps
 * `create` so that options are parsed (invalid ones are an
 * `adapter.options.invalid` failure) and the context gets its defaults.
 */
export function definePack<const C extends Capability, O = Record<string, never>>(spec: PackSpec<C, O>): Pack<C> {
  const parsed = CompatibilityManifestSchema.safeParse(spec.manifest);
  if (!parsed.success) {
    throw new AdapterError('adapter-manifest-invalid', `the compatibility manifest of ${String((spec.manifest as { name?: unknown }).name)} is invalid: ${issues(parsed.error)}`, {
      failure_reason_code: FAILURE_REASONS.manifestInvalid,
      policy_reason_code: null,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const manifest = parsed.data;
  return Object.freeze({
    name: manifest.name,
    version: manifest.version,
    manifest,
    module: spec.module,
    ...(spec.maintenance ? { maintenance: spec.maintenance } : {}),
    async create(input: PackContextInput): Promise<PackInstance<C>> {
      let options: O = (input.options ?? {}) as O;
      if (spec.options) {
        const o = spec.options.safeParse(input.options ?? {});
        if (!o.success) throw adapterFailure(FAILURE_REASONS.optionsInvalid, `${manifest.name}: invalid options: ${issues(o.error)}`, { pack: manifest.name });
        options = o.data;
      }
      return spec.create({
        root: path.resolve(input.root),
        options,
        secrets: Object.freeze({ ...(input.secrets ?? {}) }),
        readOnly: input.readOnly === true,
        now: input.now ?? (() => new Date()),
      });
    },
  });
}

/** One pack as the composition considered it: enabled or not (and why not), what it provides, its manifest. */
export interface PackStatus {
  name: string;
  version: string;
  enabled: boolean;
  /** Why it is not enabled (a closed gate, refused for prescriptive use); null when enabled. */
  reason: string | null;
  capabilities: Capability[];
  manifest: CompatibilityManifest;
}

/** How {@link composePacks} chooses among packs. */
export interface ComposeOptions {
  /** Whether a pack is enabled: true, or the reason it is not (a closed gate, a config switch). Default: every pack. */
  enabled?: (manifest: CompatibilityManifest) => true | string;
  /** Which pack provides a capability several enabled packs provide (default: the first listed). */
  prefer?: Partial<Record<Capability, string>>;
}

/** How packs are opened together. */
export interface OpenOptions {
  root: string;
  /** Options by pack name. */
  options?: Readonly<Record<string, unknown>>;
  /** Secrets by pack name: a pack sees only its own. */
  secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readOnly?: boolean;
  now?: () => Date;
}

/** The composed client: one object per capability, from the pack that provides it. */
export interface AdapterClient {
  /** The capability's object; throws {@link MissingCapabilityError} when no enabled pack provides it. */
  get<K extends Capability>(capability: K): CapabilityMap[K];
  has(capability: Capability): boolean;
  /** Which pack provides each capability provided. */
  readonly providers: Readonly<Partial<Record<Capability, string>>>;
  /** Closes every pack opened. */
  close(): Promise<void>;
}

/** A registry of packs: which provides what, and a client over them. */
export interface Adapters {
  readonly packs: readonly PackStatus[];
  /** The enabled pack that provides `capability`, or null. */
  provider(capability: Capability): Pack | null;
  /** Throws {@link MissingCapabilityError} for the capabilities no enabled pack provides (all named in one error). */
  require(capabilities: readonly Capability[]): void;
  /** Opens the providers (each pack once) and returns the client. */
  open(opts: OpenOptions): Promise<AdapterClient>;
}

/**
 * A caller needed a capability no enabled pack provides: `adapter-capability-missing`,
 * a failure (`adapter.capability-missing`) whose details name the capability, the
 * capabilities missing with it, and every pack considered with its manifest, and
 * whether and why it was not enabled. The message says the same in one sentence.
 */
export class MissingCapabilityError extends AdapterError<'adapter-capability-missing'> {
  constructor(capability: Capability, missing: readonly Capability[], considered: readonly PackStatus[]) {
    const list = considered.length
      ? considered
          .map((p) => `${p.name} ${p.version} (provides ${p.capabilities.join(', ')}${p.enabled ? '' : `; not enabled: ${p.reason}`})`)
          .join(', ')
      : 'none';
    const also = missing.filter((m) => m !== capability);
    super(
      'adapter-capability-missing',
      `no enabled adapter pack provides ${capability}${also.length ? ` (nor ${also.join(', ')})` : ''}; packs considered: ${list}`,
      { failure_reason_code: FAILURE_REASONS.capabilityMissing, policy_reason_code: null, capability, missing: [...missing], considered: considered.map((p) => ({ ...p })) },
    );
  }
}

/**
 * Composes packs into a registry (in priority order). Unknown capability names
 * asked for at run time, packs that are not enabled, and packs whose instance
 * lacks a capability their manifest declares all end in a coded error, never in
 * `undefined is not a function`.
 */
export function composePacks(packs: readonly Pack[], opts: ComposeOptions = {}): Adapters {
  const names = new Set<string>();
  for (const p of packs) {
    if (names.has(p.name)) throw adapterFailure(FAILURE_REASONS.conflict, `two packs are named ${p.name}: a composition names each pack once`, { pack: p.name });
    names.add(p.name);
  }
  const statuses: PackStatus[] = packs.map((p) => {
    const verdict = opts.enabled ? opts.enabled(p.manifest) : true;
    return { name: p.name, version: p.version, enabled: verdict === true, reason: verdict === true ? null : verdict, capabilities: [...p.manifest.capabilities], manifest: p.manifest };
  });
  const enabled = packs.filter((_, i) => statuses[i]!.enabled);

  const provider = (capability: Capability): Pack | null => {
    const providers = enabled.filter((p) => p.manifest.capabilities.includes(capability));
    const preferred = opts.prefer?.[capability];
    return providers.find((p) => p.name === preferred) ?? providers[0] ?? null;
  };
  const missingError = (capability: Capability, missing: readonly Capability[] = [capability]) => new MissingCapabilityError(capability, missing, statuses);

  return {
    packs: statuses,
    provider,
    require(capabilities) {
      const missing = capabilities.filter((c) => provider(c) === null);
      if (missing.length) throw missingError(missing[0]!, missing);
    },
    async open(o) {
      const chosen = new Map<Capability, Pack>();
      for (const c of CAPABILITIES) {
        const p = provider(c);
        if (p) chosen.set(c, p);
      }
      const instances = new Map<string, PackInstance>();
      const closeAll = async () => {
        for (const i of [...instances.values()].reverse()) await i.close();
      };
      try {
        for (const p of new Set(chosen.values())) {
          const instance = await p.create({
            root: o.root,
            options: o.options?.[p.name],
            secrets: o.secrets?.[p.name] ?? {},
            readOnly: o.readOnly === true,
            ...(o.now ? { now: o.now } : {}),
          });
          instances.set(p.name, instance);
          for (const [c, q] of chosen) {
            if (q === p && !(instance.capabilities as Record<string, unknown>)[c]) {
              throw adapterFailure(FAILURE_REASONS.capabilityMissing, `${p.name} ${p.version} declares ${c} in its manifest but its instance does not provide it`, { pack: p.name, capability: c });
            }
          }
        }
      } catch (err) {
        await closeAll();
        throw err;
      }
      const providers: Partial<Record<Capability, string>> = {};
      for (const [c, p] of chosen) providers[c] = p.name;
      let closed: Promise<void> | null = null;
      return {
        providers,
        has: (capability) => chosen.has(capability),
        get<K extends Capability>(capability: K): CapabilityMap[K] {
          const p = chosen.get(capability);
          if (!p) throw missingError(capability);
          return (instances.get(p.name)!.capabilities as Record<string, unknown>)[capability] as CapabilityMap[K];
        },
        close: () => (closed ??= closeAll()),
      };
    },
  };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
