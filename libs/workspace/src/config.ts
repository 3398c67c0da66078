import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import {
  DEFAULT_PROFILE,
  DiagnosticSink,
  ProfileSchema,
  compileProfile,
  mergeProfiles,
  type CompiledProfile,
  type Diagnostic,
  type Profile,
} from '@govern/workplan';

export const CONFIG_FILE = 'govern.config.yaml';

/** Repository configuration, `govern.config.yaml` at the root (optional). */
export const ConfigSchema = z
  .object({
    /** Globs (relative to the root) of documents beyond the default folders. */
    include: z.array(z.string()).default([]),
    /** Globs excluded from discovery. */
    exclude: z.array(z.string()).default([]),
    /** The profile file, relative to the root; the built-in default when absent. */
    profile: z.string().optional(),
  })
  .strict();
export type Config = z.output<typeof ConfigSchema>;

export const DEFAULT_FOLDERS = ['workplans', 'trackers'];

/** Reads a YAML file into a zod-validated value; problems become positioned diagnostics. */
export function readYamlFile<S extends z.ZodType>(abs: string, rel: string, schema: S, diagnostics: Diagnostic[]): z.output<S> | null {
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
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
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
    const parentKey = issue.path.length ? doc.getIn(issue.path.slice(0, -1) as (string | number)[], true) : undefined;
    const range = node?.range ?? (parentKey as { range?: [number, number, number] } | undefined)?.range;
    const p = lc.linePos(range?.[0] ?? 0);
    sink.error('config-invalid', `${issue.path.join('.') || '(root)'}: ${issue.message}`, p.line, p.col);
  }
  diagnostics.push(...sink.list);
  return null;
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
  let config: Config = ConfigSchema.parse({});
  const cfgAbs = path.join(root, CONFIG_FILE);
  if (fs.existsSync(cfgAbs)) config = readYamlFile(cfgAbs, CONFIG_FILE, ConfigSchema, diagnostics) ?? config;
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
