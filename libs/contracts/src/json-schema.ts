import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one JSON Schema artifact mechanism of the repository: a zod schema written
 * as a checked-in `<name>.v<version>.json` file, and the checks that fail when
 * the file and the code disagree. This package's contracts (artifacts.ts), the
 * memory store's contracts and the adapter kit's schemas (the adapters config
 * among them) are all written and checked by these functions.
 */

/** One artifact: a zod schema with its own integer version, written as `<name>.v<version>.json`. */
export interface SchemaArtifact {
  name: string;
  version: number;
  /**
   * Which side the JSON Schema describes: `input` for what a producer sends
   * (defaults optional), `output` for what a writer stores and a reader receives.
   */
  io: 'input' | 'output';
  schema: z.ZodType;
}

/** Hex sha256 of text or bytes. */
export const sha256 = (text: string | Uint8Array) => crypto.createHash('sha256').update(text).digest('hex');

/** An artifact's file name: `<name>.v<version>.json`. */
export const schemaArtifactFile = (a: Pick<SchemaArtifact, 'name' | 'version'>) => `${a.name}.v${a.version}.json`;

export interface SchemaArtifactJsonOptions {
  /** The owner in the id, `urn:govern:<owner>:<name>:v<version>` (e.g. `contracts`, `memory-store`). */
  owner: string;
  /** Keys placed after `title`, before the schema itself (e.g. `x-contract`). */
  extra?: Record<string, unknown>;
}

/**
 * The artifact's text: draft 2020-12 JSON Schema (zod 4's `z.toJSONSchema`) with
 * its id and title, two-space indented, newline-terminated, so the same code
 * always gives the same bytes (pins and drift checks compare them). What JSON
 * Schema cannot say (refinements) throws rather than being dropped silently.
 */
export function schemaArtifactJson(a: SchemaArtifact, opts: SchemaArtifactJsonOptions): string {
  const json = z.toJSONSchema(a.schema, { target: 'draft-2020-12', io: a.io, unrepresentable: 'throw' }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return `${JSON.stringify({ $schema, $id: `urn:govern:${opts.owner}:${a.name}:v${a.version}`, title: `${a.name} v${a.version}`, ...opts.extra, ...rest }, null, 2)}\n`;
}

/** One pin of a manifest: an artifact version and the sha256 of its file. */
export interface SchemaPin {
  name: string;
  version: number;
  file: string;
  sha256: string;
}

export interface PinnedSchemaProblem {
  code: 'duplicate' | 'artifact-missing' | 'artifact-modified' | 'unpinned' | 'drift';
  name: string;
  version: number;
  message: string;
}

export interface CheckPinnedSchemasOptions {
  /** The directory the pinned files are in. */
  dir: string;
  /** The manifest's name in messages. */
  manifestFile: string;
  /** The artifact's text as the code generates it now. */
  render: (a: SchemaArtifact) => string;
  /** What to do about an unpinned version, as a sentence starting with a verb (`run \`npm run …\``). */
  unpinnedHint: string;
  /** Where to raise a changed artifact's version (`src/registry.ts`). */
  versionSource: string;
}

/**
 * Compares the code's artifacts with the pins of a manifest: every pinned file
 * present and unmodified, every artifact pinned at its version with the sha256
 * of what the code generates now. A pinned version is immutable, so a changed
 * schema is `drift` until its version is raised. No problem means no drift.
 */
export function checkPinnedSchemas(artifacts: readonly SchemaArtifact[], pins: readonly SchemaPin[], opts: CheckPinnedSchemasOptions): PinnedSchemaProblem[] {
  const problems: PinnedSchemaProblem[] = [];
  const byKey = new Map<string, SchemaPin>();
  for (const p of pins) {
    const key = `${p.name}@${p.version}`;
    if (byKey.has(key)) problems.push({ code: 'duplicate', name: p.name, version: p.version, message: `${p.name} v${p.version} is pinned twice in ${opts.manifestFile}` });
    byKey.set(key, p);
    const file = path.join(opts.dir, p.file);
    if (!fs.existsSync(file)) problems.push({ code: 'artifact-missing', name: p.name, version: p.version, message: `${p.file} is pinned but missing` });
    else if (sha256(fs.readFileSync(file)) !== p.sha256) {
      problems.push({ code: 'artifact-modified', name: p.name, version: p.version, message: `${p.file} differs from its pin (sha256 ${p.sha256}); a pinned artifact is never rewritten` });
    }
  }
  const names = new Set<string>();
  for (const a of artifacts) {
    if (names.has(a.name)) problems.push({ code: 'duplicate', name: a.name, version: a.version, message: `${a.name} is declared twice in the code` });
    names.add(a.name);
    const pin = byKey.get(`${a.name}@${a.version}`);
    const now = sha256(opts.render(a));
    if (!pin) problems.push({ code: 'unpinned', name: a.name, version: a.version, message: `${a.name} v${a.version} is not pinned: ${opts.unpinnedHint} to add ${schemaArtifactFile(a)}` });
    else if (pin.sha256 !== now) {
      problems.push({
        code: 'drift',
        name: a.name,
        version: a.version,
        message: `${a.name} v${a.version} changed (pinned ${pin.sha256.slice(0, 12)}…, code ${now.slice(0, 12)}…): a pinned version is immutable; raise its version in ${opts.versionSource}`,
      });
    }
  }
  return problems;
}

/**
 * Writes generated files into `dir` (created if need be), in name order, each
 * exactly the given text: the same input always leaves the same bytes.
 */
export function writeGeneratedFiles(dir: string, files: Readonly<Record<string, string>>): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const names = Object.keys(files).sort();
  for (const f of names) fs.writeFileSync(path.join(dir, f), files[f]!);
  return names;
}

/**
 * What is in `dir` (every file, by name, sorted; a missing directory is empty)
 * beside what should be there, for a drift check that wants nothing else in it.
 */
export function generatedFilesOnDisk(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
}
