import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { CAPABILITIES, type Capability } from './capabilities.js';
import { composePacks, type Adapters, type Pack } from './pack.js';

/**
 * The `adapters:` section of `govern.config.yaml`: which packs the product's own
 * callers (`govern close`, `statehub sync`, `pr open`, `audit log`) reach storage and
 * remotes through. Absent, every caller keeps its built-in path and nothing changes
 * on disk; a caller listed under `callers` reaches the capabilities listed there
 * through the enabled packs, which must pass the conformance standard first.
 */

/** The product's callers that can be routed through packs. */
export const CALLERS = ['close', 'sync', 'pr', 'audit-log'] as const;
export type Caller = (typeof CALLERS)[number];

/** The capabilities each caller knows how to use (a caller with none could not be routed: listing one is refused). */
export const CALLER_CAPABILITIES: Readonly<Record<Caller, readonly Capability[]>> = {
  close: ['store.audit', 'store.event'],
  sync: ['statehub'],
  pr: ['github'],
  'audit-log': ['store.audit'],
};

/** The file the section is read from, relative to the root. */
export const ADAPTERS_CONFIG_FILE = 'govern.config.yaml';

const PackNameSchema = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a pack name is lower-case letters, digits and "-"');
const CapabilitySchema = z.enum(CAPABILITIES);
const callerList = (caller: Caller) =>
  z
    .array(CapabilitySchema)
    .superRefine((caps, ctx) => {
      caps.forEach((c, i) => {
        const uses = CALLER_CAPABILITIES[caller];
        if (!uses.includes(c)) ctx.addIssue({ code: 'custom', path: [i], message: uses.length ? `${caller} does not use ${c}; it uses ${uses.join(', ')}` : `${caller} cannot be routed through packs yet: it uses its built-in client` });
      });
    })
    .optional();

/** The `adapters:` section as written. */
export const AdaptersConfigSchema = z
  .object({
    /** The packs enabled for the callers, in priority order (the first that provides a capability provides it). */
    packs: z.array(PackNameSchema).default([]),
    /** Which enabled pack provides a capability several provide. */
    prefer: z.partialRecord(CapabilitySchema, PackNameSchema).default({}),
    /** Each pack's options (its own schema validates them when it is opened). Secrets never go here: they come from the environment. */
    options: z.record(PackNameSchema, z.record(z.string(), z.json())).default({}),
    /** Which capabilities each caller reaches through the packs; a caller not listed keeps its built-in path. */
    callers: z.object({ close: callerList('close'), sync: callerList('sync'), pr: callerList('pr'), 'audit-log': callerList('audit-log') }).strict().default({}),
  })
  .strict();
export type AdaptersConfig = z.output<typeof AdaptersConfigSchema>;

/** A problem in the section, positioned in the file (the shape of @govern/workplan's diagnostics). */
export interface ConfigDiagnostic {
  severity: 'error' | 'warning';
  code: 'config-invalid' | 'yaml-syntax' | 'adapters-unknown-pack';
  message: string;
  file: string;
  line: number;
  column: number;
}

/**
 * Reads the `adapters:` section of `govern.config.yaml` at `root`: the value (null
 * when the file or the section is absent, or invalid) and its problems, each at the
 * line and column of the token at fault. `known` are the pack names this build has:
 * a name outside them is a problem where it is written.
 */
export function loadAdaptersConfig(root: string, known: readonly string[]): { value: AdaptersConfig | null; diagnostics: ConfigDiagnostic[] } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, ADAPTERS_CONFIG_FILE), 'utf8');
  } catch {
    // No file is no section; an unreadable one is reported by the workspace's own config loading.
    return { value: null, diagnostics: [] };
  }
  return parseAdaptersConfig(text, known);
}

/**
 * Whether `govern.config.yaml` at `root` has an `adapters:` key at the top: the cheap
 * test a caller makes before loading any pack (without one, nothing is routed).
 */
export function hasAdaptersSection(root: string): boolean {
  try {
    return /^adapters\s*:/m.test(fs.readFileSync(path.join(root, ADAPTERS_CONFIG_FILE), 'utf8'));
  } catch {
    return false;
  }
}

/** {@link loadAdaptersConfig} on the file's text. */
export function parseAdaptersConfig(text: string, known: readonly string[], file = ADAPTERS_CONFIG_FILE): { value: AdaptersConfig | null; diagnostics: ConfigDiagnostic[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const diagnostics: ConfigDiagnostic[] = [];
  const at = (offset: number | undefined, code: ConfigDiagnostic['code'], message: string) => {
    const p = lc.linePos(offset ?? 0);
    diagnostics.push({ severity: 'error', code, message, file, line: p.line, column: p.col });
  };
  if (doc.errors.length) {
    for (const e of doc.errors) at(e.pos[0], 'yaml-syntax', e.message.split('\n')[0] ?? e.message);
    return { value: null, diagnostics };
  }
  const raw = (doc.toJS() as Record<string, unknown> | null)?.adapters;
  if (raw === undefined || raw === null) return { value: null, diagnostics };
  const parsed = AdaptersConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = ['adapters', ...(issue.path as (string | number)[])];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) at(keyOffset(doc, [...p, key]), 'config-invalid', `unknown key "${[...p, key].join('.')}"`);
        continue;
      }
      at(valueOffset(doc, p), 'config-invalid', `${p.join('.')}: ${issue.message}`);
    }
    // In the order they are written, whatever order the schema found them in.
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return { value: null, diagnostics };
  }
  const value = parsed.data;
  const names = new Set(known);
  const unknown = (where: (string | number)[], name: string) => at(valueOffset(doc, where), 'adapters-unknown-pack', `${where.join('.')}: no adapter pack is named ${name}; known: ${[...known].join(', ')}`);
  value.packs.forEach((n, i) => names.has(n) || unknown(['adapters', 'packs', i], n));
  for (const [c, n] of Object.entries(value.prefer)) if (n && !names.has(n)) unknown(['adapters', 'prefer', c], n);
  for (const n of Object.keys(value.options)) if (!names.has(n)) at(keyOffset(doc, ['adapters', 'options', n]), 'adapters-unknown-pack', `adapters.options.${n}: no adapter pack is named ${n}; known: ${[...known].join(', ')}`);
  return { value: diagnostics.length ? null : value, diagnostics };
}

type Range = [number, number, number];

/** The offset of the node at `p`, else of the nearest ancestor that exists. */
function valueOffset(doc: Document, p: (string | number)[]): number | undefined {
  for (let n = p.length; n > 0; n--) {
    const node = doc.getIn(p.slice(0, n), true) as { range?: Range } | undefined;
    if (node?.range) return node.range[0];
    const k = keyOffset(doc, p.slice(0, n));
    if (k !== undefined) return k;
  }
  return undefined;
}

/** The offset of the key of the pair at `p`. */
function keyOffset(doc: Document, p: (string | number)[]): number | undefined {
  const map = p.length > 1 ? doc.getIn(p.slice(0, -1), true) : doc.contents;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((it) => isScalar(it.key) && it.key.value === p[p.length - 1]);
  return (pair?.key as { range?: Range } | undefined)?.range?.[0];
}

/**
 * The packs composed as the section says: the enabled ones first, in its order,
 * then every other pack of the catalog (considered, so a missing-capability
 * diagnostic lists it, but not enabled). `gateReason` says why a pack's gate keeps
 * it off (a closed gate of this repository), or null.
 */
export function composeFromConfig(catalog: readonly Pack[], config: AdaptersConfig, opts: { gateReason?: (gate: string) => string | null } = {}): Adapters {
  const byName = new Map(catalog.map((p) => [p.name, p]));
  const listed = config.packs.map((n) => byName.get(n)).filter((p): p is Pack => p !== undefined);
  const rest = catalog.filter((p) => !config.packs.includes(p.name));
  return composePacks([...listed, ...rest], {
    prefer: config.prefer,
    enabled: (m) => {
      if (!config.packs.includes(m.name)) return `not listed in ${ADAPTERS_CONFIG_FILE} adapters.packs`;
      const closed = m.gate && opts.gateReason ? opts.gateReason(m.gate) : null;
      return closed ?? true;
    },
  });
}
