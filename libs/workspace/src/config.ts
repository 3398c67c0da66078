import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import {
  DEFAULT_PROFILE,
  DiagnosticSink,
  ProfileSchema,
  SourceSchema,
  compileProfile,
  mergeProfiles,
  type CompiledProfile,
  type Diagnostic,
  type Profile,
} from '@govern/workplan';

export const CONFIG_FILE = 'govern.config.yaml';

/**
 * A gate's name: it becomes the Nx tag `gate:<name>` and the argument of
 * `assertEnabled`, so it is kept to characters that are safe in both.
 */
export const GateNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a gate name is lower-case letters, digits and "-", starting with a letter');

/** A project root relative to the repository root, `/`-separated, inside the repository. */
const ProjectRootSchema = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\\') && !p.startsWith('/') && !/^[a-zA-Z]:/.test(p) && !p.split('/').includes('..'), {
    message: 'project is a folder relative to the repository root, with "/" separators and no ".."',
  })
  // `./libs/x/` and `libs/x` name the same Nx project root.
  .transform((p) => p.replace(/^(?:\.\/)+/, '').replace(/\/+$/, ''));

/**
 * A gate as written under `gates:` in `govern.config.yaml`: the milestones (any
 * graph item id) that must all be done for a library or capability to be enabled.
 */
export const GateSchema = z.strictObject({
  /** What the gate enables, for people reading `govern gates`. */
  description: z.string().optional(),
  /** Ids of the items that must be `done`. */
  requires: z.array(z.string().min(1)).min(1),
  /** The Nx project root the gate governs (`libs/memory-store`); the Nx plugin tags it. */
  project: ProjectRootSchema.optional(),
});

/** Where each field of a gate is written in `govern.config.yaml`. */
export const GateLocationSchema = z.object({
  name: SourceSchema,
  requires: z.array(SourceSchema),
  description: SourceSchema.optional(),
  project: SourceSchema.optional(),
});
export type GateLocation = z.infer<typeof GateLocationSchema>;

/** A gate as loaded: the fields as written plus the position of each. */
export const LocatedGateSchema = GateSchema.extend({ at: GateLocationSchema });
export type LocatedGate = z.output<typeof LocatedGateSchema>;

/**
 * A repository's name: the `xtrlv2` of a `xtrlv2:CR-02` reference and the prefix of its
 * StateHub keys. It is written the way the first segment of an item id is (letters and
 * digits, single `-`, `_` or `.` between them), so a reference parses as one id.
 */
export const RepoNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/, 'a repository name is letters and digits, separated by single "-", "_" or ".", starting with a letter');

/**
 * Another root whose documents join this root's graph, as written under `repos:`: its
 * path (relative to this root, or absolute), or `{ path, name }` when its own
 * configuration and git remote do not say its name.
 */
export const RepoEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** The other repository's root, relative to this root or absolute. */
    path: z.string().min(1),
    /** Its name, when neither its `repo:` nor its git remote gives it. */
    name: RepoNameSchema.optional(),
  }),
]);

/** A `repos:` entry as loaded: its path and name, and where it is written. */
export const LocatedRepoSchema = z.object({ path: z.string(), name: RepoNameSchema.optional(), at: SourceSchema });
export type LocatedRepo = z.output<typeof LocatedRepoSchema>;

/** Repository configuration as written: `govern.config.yaml` at the root (optional). */
export const ConfigSchema = z
  .object({
    /** This repository's name (see {@link RepoNameSchema}); when absent, its git remote's. */
    repo: RepoNameSchema.optional(),
    /** Other roots whose documents join this root's graph (`govern next`, `graph`, `status`). */
    repos: z
      .array(RepoEntrySchema)
      .nullish()
      .transform((r) => r ?? undefined),
    /** Globs (relative to the root) of documents beyond the default folders. */
    include: z.array(z.string()).default([]),
    /** Globs excluded from discovery. */
    exclude: z.array(z.string()).default([]),
    /** The profile file, relative to the root; the built-in default when absent. */
    profile: z.string().optional(),
    /** Gates by name; an empty `gates:` is the same as none. */
    gates: z
      .record(GateNameSchema, GateSchema)
      .nullish()
      .transform((g) => g ?? undefined),
    /** The adapter packs the product's callers use (docs/adapters.md); validated, with positions, by @govern/adapter-kit. */
    adapters: z.unknown().optional(),
  })
  .strict();

/** Configuration as `loadConfig` returns it: gates carry the positions of their fields. */
export const LoadedConfigSchema = ConfigSchema.extend({
  gates: z.record(GateNameSchema, LocatedGateSchema).optional(),
  repos: z.array(LocatedRepoSchema).optional(),
});
export type Config = z.output<typeof LoadedConfigSchema>;

export const DEFAULT_FOLDERS = ['workplans', 'trackers'];

/** Reads a YAML file into a zod-validated value; problems become positioned diagnostics. */
export function readYamlFile<S extends z.ZodType>(abs: string, rel: string, schema: S, diagnostics: Diagnostic[]): z.output<S> | null {
  return readYaml(abs, rel, schema, diagnostics)?.value ?? null;
}

interface ReadYaml<T> {
  value: T;
  doc: Document;
  lc: LineCounter;
}

/** `readYamlFile`, keeping the YAML document so callers can locate values in it. */
function readYaml<S extends z.ZodType>(abs: string, rel: string, schema: S, diagnostics: Diagnostic[]): ReadYaml<z.output<S>> | null {
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    diagnostics.push({ severity: 'error', code: 'file-unreadable', message: `cannot read ${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, file: rel, line: 1, column: 1 });
    return null;
  }
  const sink = new DiagnosticSink(rel);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    sink.error('yaml-syntax', e.message.split('\n')[0] ?? e.message, p.line, p.col);
  }
  if (doc.errors.length) {
    diagnostics.push(...sink.list);
    return null;
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { value: parsed.data, doc, lc };
  for (const issue of parsed.error.issues) {
    if (issue.code === 'invalid_key') {
      // A bad record key (a gate name) is reported at the key, with the key schema's message.
      const p = lc.linePos(keyRange(doc, issue.path as (string | number)[])?.[0] ?? 0);
      const why = issue.issues.map((i) => i.message).join('; ');
      sink.error('config-invalid', `${issue.path.join('.')}: invalid name: ${why}`, p.line, p.col);
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      const map = issue.path.length ? doc.getIn(issue.path as (string | number)[], true) : doc.contents;
      for (const key of issue.keys) {
        const pair = isMap(map) ? map.items.find((it) => isScalar(it.key) && it.key.value === key) : undefined;
        const r = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        const p = lc.linePos(r?.[0] ?? 0);
        sink.error('config-invalid', `unknown key "${[...issue.path, key].join('.')}"`, p.line, p.col, { expected: `one of the documented keys` });
      }
      continue;
    }
    const node = doc.getIn(issue.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (!node && issue.path.length >= 2) {
      // A missing key inside a named entry (a gate without `requires`): point at the entry's name.
      const parent = issue.path.slice(0, -1) as (string | number)[];
      const p = lc.linePos(keyRange(doc, parent)?.[0] ?? 0);
      sink.error('config-invalid', `${parent.join('.')}: missing key "${String(issue.path[issue.path.length - 1])}" (${issue.message})`, p.line, p.col);
      continue;
    }
    const parentKey = issue.path.length ? doc.getIn(issue.path.slice(0, -1) as (string | number)[], true) : undefined;
    const range = node?.range ?? (parentKey as { range?: [number, number, number] } | undefined)?.range;
    const p = lc.linePos(range?.[0] ?? 0);
    sink.error('config-invalid', `${issue.path.join('.') || '(root)'}: ${issue.message}`, p.line, p.col);
  }
  diagnostics.push(...sink.list);
  return null;
}

type Range = [number, number, number];

/** The range of the key of the pair at `path` (the last segment is the key). */
function keyRange(doc: Document, path: (string | number)[]): Range | undefined {
  const map = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((it) => isScalar(it.key) && it.key.value === path[path.length - 1]);
  return (pair?.key as { range?: Range } | undefined)?.range;
}

/**
 * Adds to each gate the position of its name and of every field, so that gate
 * diagnostics (an unknown milestone, a missing project) point at the exact token.
 */
function locateGates(doc: Document, lc: LineCounter, gates: Record<string, z.output<typeof GateSchema>>): Record<string, LocatedGate> {
  const at = (range: Range | undefined) => {
    const p = lc.linePos(range?.[0] ?? 0);
    return { file: CONFIG_FILE, line: p.line, column: p.col };
  };
  const valueAt = (path: (string | number)[]) => at((doc.getIn(path, true) as { range?: Range } | undefined)?.range);
  const out: Record<string, LocatedGate> = {};
  for (const [name, gate] of Object.entries(gates)) {
    const base = ['gates', name];
    const seq = doc.getIn([...base, 'requires'], true);
    out[name] = {
      ...gate,
      at: {
        name: at(keyRange(doc, base)),
        requires: gate.requires.map((_, i) => (isSeq(seq) ? valueAt([...base, 'requires', i]) : valueAt([...base, 'requires']))),
        ...(gate.description !== undefined ? { description: valueAt([...base, 'description']) } : {}),
        ...(gate.project !== undefined ? { project: valueAt([...base, 'project']) } : {}),
      },
    };
  }
  return out;
}

/** Each `repos:` entry as `{ path, name? }` with the position of its path. */
function locateRepos(doc: Document, lc: LineCounter, repos: z.output<typeof RepoEntrySchema>[]): LocatedRepo[] {
  return repos.map((entry, i) => {
    const node = (doc.getIn(typeof entry === 'string' ? ['repos', i] : ['repos', i, 'path'], true) ?? doc.getIn(['repos', i], true)) as { range?: Range } | undefined;
    const p = lc.linePos(node?.range?.[0] ?? 0);
    const at = { file: CONFIG_FILE, line: p.line, column: p.col };
    return typeof entry === 'string' ? { path: entry, at } : { path: entry.path, ...(entry.name !== undefined ? { name: entry.name } : {}), at };
  });
}

export interface LoadedConfig {
  config: Config;
  profile: CompiledProfile;
  /** Identifies the profile's rules, for cache keys. */
  profileKey: string;
  diagnostics: Diagnostic[];
}

/** Loads `govern.config.yaml` and the profile it names (or `profiles/default.yaml`, or the built-in). */
export function loadConfig(root: string): LoadedConfig {
  const diagnostics: Diagnostic[] = [];
  let config: Config = { include: [], exclude: [] };
  const cfgAbs = path.join(root, CONFIG_FILE);
  const read = fs.existsSync(cfgAbs) ? readYaml(cfgAbs, CONFIG_FILE, ConfigSchema, diagnostics) : null;
  if (read) {
    const { gates, repos, ...rest } = read.value;
    config = gates ? { ...rest, gates: locateGates(read.doc, read.lc, gates) } : rest;
    if (repos) config.repos = locateRepos(read.doc, read.lc, repos);
  }
  let profile: Profile = DEFAULT_PROFILE;
  const profileRel = config.profile ?? (fs.existsSync(path.join(root, 'profiles/default.yaml')) ? 'profiles/default.yaml' : null);
  if (profileRel) {
    const loaded = readYamlFile(path.join(root, profileRel), profileRel, ProfileSchema, diagnostics);
    if (loaded) profile = loaded.extends === 'default' || loaded.extends === 'builtin' ? mergeProfiles(DEFAULT_PROFILE, loaded) : loaded;
    for (const re of [...profile.planHeadings, ...profile.taskHeadings]) {
      try {
        new RegExp(re, 'u');
      } catch (err) {
        diagnostics.push({ severity: 'error', code: 'config-invalid', message: `profile regex ${re}: ${(err as Error).message}`, file: profileRel, line: 1, column: 1 });
        profile = DEFAULT_PROFILE;
      }
    }
  }
  return { config, profile: compileProfile(profile), profileKey: JSON.stringify(profile), diagnostics };
}
