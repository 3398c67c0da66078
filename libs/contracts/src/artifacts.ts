import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPinnedSchemas, writeGeneratedFiles } from './json-schema.js';
import { CONTRACTS_PACKAGE, compareSemver, contractFile, contractJson, manifestHash, ManifestSchema, sha256, type ContractEntry, type Manifest } from './registry.js';

/**
 * The checked-in artifacts of this package and their manifest (the approach of
 * @govern/memory-store's contracts.ts, at the level of a whole versioned
 * package): the JSON Schema of every contract in `schemas/<name>.v<N>.json`, the
 * compatibility fixtures in `fixtures/`, and `schemas/manifest.json` pinning each
 * file by sha256 under the package's version.
 *
 * A pinned contract version is immutable: when a schema changes, the contract
 * test fails (`drift`) until its version in the registry is raised; then it
 * fails (`unpinned`) until the new version is written and pinned
 * (`npm run contracts -w @govern/contracts`, Nx `@govern/contracts:contracts`),
 * which adds files and manifest entries and never rewrites a pinned one. A
 * released package version is immutable too: the writer refuses to change the
 * manifest under the version it already names (`version-not-raised`). Old
 * artifacts stay in the directory, checked against their pins, for consumers
 * that still read them.
 *
 * This module reads and writes files; the registry (registry.ts) is pure.
 */

export interface ArtifactDirs {
  /** Holds `<name>.v<N>.json` and manifest.json. */
  schemas: string;
  /** Holds the compatibility fixtures (`v1/index.json`, `v1/valid/*.json`, `v1/invalid/*.json`). */
  fixtures: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** This package's own directories. */
export const PACKAGE_DIRS: ArtifactDirs = { schemas: path.resolve(here, '../schemas'), fixtures: path.resolve(here, '../fixtures') };

export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_COMMENT =
  'Pinned contract schemas and compatibility fixtures of @govern/contracts (docs/contracts.md). A released version never changes: raise CONTRACTS_VERSION (src/registry.ts, package.json), add a CHANGELOG entry, run `npm run contracts -w @govern/contracts`, then add the migration note the pins ask for.';
const WRITE = '`npm run contracts -w @govern/contracts`';

export interface ArtifactProblem {
  code:
    | 'manifest-missing'
    | 'manifest-invalid'
    | 'version-unwritten'
    | 'version-lowered'
    | 'version-not-raised'
    | 'unpinned'
    | 'drift'
    | 'artifact-missing'
    | 'artifact-modified'
    | 'duplicate'
    | 'fixture-unpinned'
    | 'fixture-missing'
    | 'fixture-modified';
  /** A contract name, a fixture file, or manifest.json. */
  name: string;
  message: string;
}

function readManifest(dir: string): { manifest: Manifest | null; problem: ArtifactProblem | null } {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return { manifest: null, problem: { code: 'manifest-missing', name: MANIFEST_FILE, message: `${file} is missing: run ${WRITE}` } };
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return { manifest: null, problem: { code: 'manifest-invalid', name: MANIFEST_FILE, message: `${file}: ${(err as Error).message}` } };
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) return { manifest: null, problem: { code: 'manifest-invalid', name: MANIFEST_FILE, message: `${file}: ${parsed.error.message}` } };
  return { manifest: parsed.data, problem: null };
}

/** Every `.json` file under `dir`, as a `/`-separated path relative to it, sorted. */
function fixtureFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.json')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

const byName = (a: { name: string; version: number }, b: { name: string; version: number }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version);

/**
 * Compares the code (its contracts and version) and the fixture files with the
 * manifest in `dirs.schemas`: every contract pinned at its version with the
 * sha256 of what the code generates now, every pinned artifact present and
 * unmodified, every fixture file pinned and unmodified, the manifest at
 * `version`. No problem means no drift.
 */
export function checkArtifacts(contracts: readonly ContractEntry[], version: string, dirs: ArtifactDirs): ArtifactProblem[] {
  const { manifest, problem } = readManifest(dirs.schemas);
  if (!manifest) return [problem!];
  const problems: ArtifactProblem[] = [];
  if (manifest.version !== version) {
    const lowered = compareSemver(version, manifest.version) < 0;
    problems.push({
      code: lowered ? 'version-lowered' : 'version-unwritten',
      name: MANIFEST_FILE,
      message: lowered
        ? `CONTRACTS_VERSION ${version} is lower than the manifest's ${manifest.version}: a version is never lowered`
        : `CONTRACTS_VERSION is ${version} but the manifest is ${manifest.version}: run ${WRITE} to write ${version}`,
    });
  }
  const pinned = checkPinnedSchemas(contracts, manifest.contracts, {
    dir: dirs.schemas,
    manifestFile: MANIFEST_FILE,
    render: contractJson,
    unpinnedHint: `raise CONTRACTS_VERSION and run ${WRITE}`,
    versionSource: 'src/registry.ts',
  });
  for (const { version: _v, ...p } of pinned) problems.push(p);
  const onDisk = new Map(fixtureFiles(dirs.fixtures).map((f) => [f, sha256(fs.readFileSync(path.join(dirs.fixtures, f)))]));
  for (const f of manifest.fixtures) {
    const sha = onDisk.get(f.file);
    if (sha === undefined) problems.push({ code: 'fixture-missing', name: f.file, message: `fixture ${f.file} is pinned but missing` });
    else if (sha !== f.sha256) problems.push({ code: 'fixture-modified', name: f.file, message: `fixture ${f.file} differs from its pin: a released fixture is immutable; raise CONTRACTS_VERSION and run ${WRITE}` });
  }
  const pinnedFixtures = new Set(manifest.fixtures.map((f) => f.file));
  for (const f of onDisk.keys()) {
    if (!pinnedFixtures.has(f)) problems.push({ code: 'fixture-unpinned', name: f, message: `fixture ${f} is not pinned: raise CONTRACTS_VERSION and run ${WRITE}` });
  }
  return problems;
}

/** The manifest's file text: two-space JSON, entries sorted, newline-terminated. */
export function manifestText(m: Manifest): string {
  const contracts = [...m.contracts].sort(byName);
  const fixtures = [...m.fixtures].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return `${JSON.stringify({ $comment: MANIFEST_COMMENT, package: CONTRACTS_PACKAGE, version: m.version, contracts, fixtures }, null, 2)}\n`;
}

/**
 * Writes and pins what the manifest does not have yet: contract versions not
 * pinned, and the fixture files as they are now, under `version`. Never
 * rewrites a pinned artifact (a contract pinned at its version with another
 * hash is refused as `drift`), and never changes the manifest of a version
 * already written (`version-not-raised`); a refusal writes nothing.
 */
export function writeArtifacts(contracts: readonly ContractEntry[], version: string, dirs: ArtifactDirs): { written: string[]; refused: ArtifactProblem[] } {
  const { manifest: old, problem } = readManifest(dirs.schemas);
  if (problem && problem.code !== 'manifest-missing') return { written: [], refused: [problem] };
  const refused = old ? checkArtifacts(contracts, version, dirs).filter((p) => p.code === 'drift' || p.code === 'artifact-modified' || p.code === 'artifact-missing' || p.code === 'version-lowered' || p.code === 'duplicate') : [];
  if (refused.length) return { written: [], refused };

  const next: Manifest = { package: CONTRACTS_PACKAGE, version, contracts: [...(old?.contracts ?? [])], fixtures: [] };
  const files = new Map<string, string>();
  for (const c of contracts) {
    if (next.contracts.some((p) => p.name === c.name && p.version === c.version)) continue;
    const text = contractJson(c);
    files.set(contractFile(c), text);
    next.contracts.push({ name: c.name, version: c.version, io: c.io, file: contractFile(c), sha256: sha256(text) });
  }
  next.fixtures = fixtureFiles(dirs.fixtures).map((file) => ({ file, sha256: sha256(fs.readFileSync(path.join(dirs.fixtures, file))) }));
  const text = manifestText(next);
  if (old && manifestHash(ManifestSchema.parse(JSON.parse(text))) === manifestHash(old)) return { written: [], refused: [] };
  if (old && old.version === version) {
    return {
      written: [],
      refused: [
        {
          code: 'version-not-raised',
          name: MANIFEST_FILE,
          message: `the manifest of ${version} would change (${[...files.keys()].join(', ') || 'fixtures'}): a released version is immutable; raise CONTRACTS_VERSION in src/registry.ts and package.json and add a CHANGELOG entry`,
        },
      ],
    };
  }
  // The artifacts first, the manifest pinning them last.
  writeGeneratedFiles(dirs.schemas, Object.fromEntries(files));
  writeGeneratedFiles(dirs.schemas, { [MANIFEST_FILE]: text });
  return { written: [...files.keys(), MANIFEST_FILE], refused: [] };
}
