import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { checkArtifacts, MANIFEST_FILE, manifestText, PACKAGE_DIRS, writeArtifacts, type ArtifactDirs } from './artifacts.js';
import { canonicalJson } from './canonical.js';
import { contractJson, contractsPin, CONTRACTS, CONTRACTS_VERSION, manifestHash, ManifestSchema, sha256, type ContractEntry } from './registry.js';

// The contract test of this package: the code's schemas and the fixture files
// against the pinned artifacts in libs/contracts/schemas. `npm run contracts -w
// @govern/contracts` runs this file with GOVERN_WRITE_CONTRACTS=1, which first
// writes and pins what is not pinned yet (never rewriting a pinned artifact, and
// never changing a released version's manifest), then checks as usual.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
/** Temporary schemas and fixtures directories, with one fixture file. */
function tempDirs(): ArtifactDirs {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'contracts-'));
  dirs.push(d);
  const out = { schemas: path.join(d, 'schemas'), fixtures: path.join(d, 'fixtures') };
  fs.mkdirSync(path.join(out.fixtures, 'v1/valid'), { recursive: true });
  fs.writeFileSync(path.join(out.fixtures, 'v1/valid/demo.json'), '{"a":"x"}\n');
  return out;
}
const readManifest = (d: ArtifactDirs) => JSON.parse(fs.readFileSync(path.join(d.schemas, MANIFEST_FILE), 'utf8'));

describe('the pinned artifacts of this package', () => {
  it('match the code: every contract pinned at its version and hash, every artifact and fixture unmodified, the manifest at CONTRACTS_VERSION', () => {
    if (process.env.GOVERN_WRITE_CONTRACTS === '1') {
      const { written, refused } = writeArtifacts(CONTRACTS, CONTRACTS_VERSION, PACKAGE_DIRS);
      if (written.length) process.stdout.write(`contracts written and pinned: ${written.join(', ')}\n`);
      expect(refused).toEqual([]);
    }
    expect(checkArtifacts(CONTRACTS, CONTRACTS_VERSION, PACKAGE_DIRS)).toEqual([]);
  });

  it('the registry: the contracts seed 002 K0/K1 names, each at its version', () => {
    expect(CONTRACTS.map((c) => `${c.name}@${c.version}:${c.io}`)).toEqual([
      'reason-semantics@1:output',
      'reason-semantics-read@1:input',
      'task-spec@1:input',
      'lineage@1:output',
      'evidence-ref@1:input',
      'fingerprint-context@1:input',
      'wrapper-envelope@1:input',
      'guard-evaluation@1:output',
      'transition-record@1:output',
      'guardrails-bundle@1:input',
    ]);
  });

  it('the version is one: registry, package.json and the checked-in manifest', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(PACKAGE_DIRS.schemas, '../package.json'), 'utf8'));
    const manifest = ManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(PACKAGE_DIRS.schemas, MANIFEST_FILE), 'utf8')));
    expect({ pkg: pkg.version, manifest: manifest.version }).toEqual({ pkg: CONTRACTS_VERSION, manifest: CONTRACTS_VERSION });
  });

  it('the CHANGELOG has an entry for this version naming its manifest hash', () => {
    const changelog = fs.readFileSync(path.resolve(PACKAGE_DIRS.schemas, '../CHANGELOG.md'), 'utf8');
    const { version, hash } = contractsPin();
    const heading = changelog.split('\n').find((l) => l.startsWith(`## ${version} `));
    expect(heading, `libs/contracts/CHANGELOG.md needs "## ${version} (manifest ${hash.slice(0, 12)})"`).toBe(`## ${version} (manifest ${hash.slice(0, 12)})`);
  });

  it('contractsPin: the version and the sha256 of the canonical JSON of the manifest on disk, whatever its formatting and $comment', () => {
    const text = fs.readFileSync(path.join(PACKAGE_DIRS.schemas, MANIFEST_FILE), 'utf8');
    const { $comment: _c, ...pinned } = JSON.parse(text);
    expect(contractsPin()).toEqual({ version: CONTRACTS_VERSION, hash: sha256(canonicalJson(pinned)) });
    // Reformatted, keys in another order, another comment: the same hash.
    const reordered = Object.fromEntries(Object.entries({ ...JSON.parse(text), $comment: 'reworded' }).reverse());
    expect(manifestHash(ManifestSchema.parse(JSON.parse(JSON.stringify(reordered, null, 7))))).toBe(contractsPin().hash);
    // Any pinned byte changes it.
    const changed = { ...pinned, fixtures: pinned.fixtures.slice(1) };
    expect(manifestHash(ManifestSchema.parse(changed))).not.toBe(contractsPin().hash);
  });

  it('the JSON Schema says what the zod schema says: the reason split, the alias as a read-only input, the envelope fields', () => {
    const json = (name: string) => JSON.parse(contractJson(CONTRACTS.find((c) => c.name === name)!));
    expect(json('reason-semantics')).toMatchObject({
      $id: 'urn:govern:contracts:reason-semantics:v1',
      required: ['failure_reason_code', 'policy_reason_code'],
      additionalProperties: false,
    });
    expect(Object.keys(json('reason-semantics').properties)).toEqual(['failure_reason_code', 'policy_reason_code']);
    expect(Object.keys(json('reason-semantics-read').properties)).toEqual(['failure_reason_code', 'reason_code', 'policy_reason_code']);
    expect(json('task-spec').required).toEqual(['scope', 'target', 'action', 'failure_reason_code']);
    expect(json('wrapper-envelope').required).toEqual(['schema', 'event_id', 'sequence', 'run_id', 'task_id', 'group_id', 'signal', 'wrapper_policy', 'task_spec', 'evidence', 'observed_at']);
  });

  it('the repository artifacts are what the code generates (the drift check can fail on them)', () => {
    const spec = CONTRACTS.find((c) => c.name === 'task-spec')!;
    const drifted: ContractEntry = { ...spec, schema: (spec.schema as z.ZodObject).extend({ extra: z.string() }) };
    expect(checkArtifacts([drifted], CONTRACTS_VERSION, PACKAGE_DIRS).map((p) => [p.code, p.name])).toEqual([['drift', 'task-spec']]);
  });
});

describe('the checker and the writer', () => {
  const base: ContractEntry = { name: 'demo', version: 1, io: 'output', schema: z.object({ a: z.string() }) };

  it('pins new versions, refuses to rewrite a pinned one, and reports drift until the version is raised', () => {
    const d = tempDirs();
    expect(checkArtifacts([base], '1.0.0', d).map((p) => p.code)).toEqual(['manifest-missing']);
    expect(writeArtifacts([base], '1.0.0', d)).toEqual({ written: ['demo.v1.json', MANIFEST_FILE], refused: [] });
    expect(checkArtifacts([base], '1.0.0', d)).toEqual([]);
    expect(readManifest(d)).toEqual({
      $comment: expect.stringContaining('A released version never changes'),
      package: '@govern/contracts',
      version: '1.0.0',
      contracts: [{ name: 'demo', version: 1, io: 'output', file: 'demo.v1.json', sha256: sha256(contractJson(base)) }],
      fixtures: [{ file: 'v1/valid/demo.json', sha256: sha256('{"a":"x"}\n') }],
    });
    // Writing again changes nothing.
    expect(writeArtifacts([base], '1.0.0', d)).toEqual({ written: [], refused: [] });
    const pinned = fs.readFileSync(path.join(d.schemas, 'demo.v1.json'), 'utf8');

    // The code changes under the same contract version: drift, and regenerating does not help, even under a new package version.
    const changed: ContractEntry = { ...base, schema: z.object({ a: z.string(), b: z.int() }) };
    expect(checkArtifacts([changed], '1.0.0', d).map((p) => p.code)).toEqual(['drift']);
    expect(writeArtifacts([changed], '1.1.0', d)).toMatchObject({ written: [], refused: [{ code: 'drift', name: 'demo' }] });
    expect(fs.readFileSync(path.join(d.schemas, 'demo.v1.json'), 'utf8')).toBe(pinned);

    // A new contract version under the same package version: refused, nothing written.
    const v2 = { ...changed, version: 2 };
    expect(checkArtifacts([v2], '1.0.0', d).map((p) => p.code)).toEqual(['unpinned']);
    expect(writeArtifacts([v2], '1.0.0', d)).toMatchObject({ written: [], refused: [{ code: 'version-not-raised' }] });
    expect(fs.existsSync(path.join(d.schemas, 'demo.v2.json'))).toBe(false);

    // Under a raised package version it is written; the old artifact stays pinned.
    expect(checkArtifacts([v2], '1.1.0', d).map((p) => p.code)).toEqual(['version-unwritten', 'unpinned']);
    expect(writeArtifacts([v2], '1.1.0', d)).toEqual({ written: ['demo.v2.json', MANIFEST_FILE], refused: [] });
    expect(checkArtifacts([v2], '1.1.0', d)).toEqual([]);
    expect(readManifest(d)).toMatchObject({ version: '1.1.0', contracts: [{ file: 'demo.v1.json' }, { file: 'demo.v2.json' }] });
    // A version is never lowered.
    expect(checkArtifacts([v2], '1.0.9', d).map((p) => p.code)).toEqual(['version-lowered']);
    expect(writeArtifacts([v2], '1.0.9', d)).toMatchObject({ written: [], refused: [{ code: 'version-lowered' }] });
  });

  it('a released fixture is immutable: edited, added or removed, it fails until the version is raised', () => {
    const d = tempDirs();
    writeArtifacts([base], '1.0.0', d);
    const f = path.join(d.fixtures, 'v1/valid/demo.json');
    fs.writeFileSync(f, '{"a":"y"}\n');
    expect(checkArtifacts([base], '1.0.0', d).map((p) => [p.code, p.name])).toEqual([['fixture-modified', 'v1/valid/demo.json']]);
    expect(writeArtifacts([base], '1.0.0', d)).toMatchObject({ written: [], refused: [{ code: 'version-not-raised' }] });
    fs.writeFileSync(path.join(d.fixtures, 'v1/valid/more.json'), '{}\n');
    fs.rmSync(f);
    expect(checkArtifacts([base], '1.0.0', d).map((p) => [p.code, p.name])).toEqual([
      ['fixture-missing', 'v1/valid/demo.json'],
      ['fixture-unpinned', 'v1/valid/more.json'],
    ]);
    expect(writeArtifacts([base], '1.0.1', d)).toEqual({ written: [MANIFEST_FILE], refused: [] });
    expect(checkArtifacts([base], '1.0.1', d)).toEqual([]);
  });

  it('reports an artifact regenerated or edited in place, one missing, and a broken manifest', () => {
    const d = tempDirs();
    writeArtifacts([base], '1.0.0', d);
    fs.writeFileSync(path.join(d.schemas, 'demo.v1.json'), contractJson({ ...base, schema: z.object({ a: z.number() }) }));
    expect(checkArtifacts([base], '1.0.0', d).map((p) => p.code)).toEqual(['artifact-modified']);
    expect(writeArtifacts([base], '1.0.1', d)).toMatchObject({ written: [], refused: [{ code: 'artifact-modified' }] });
    fs.rmSync(path.join(d.schemas, 'demo.v1.json'));
    expect(checkArtifacts([base], '1.0.0', d).map((p) => p.code)).toEqual(['artifact-missing']);
    fs.writeFileSync(path.join(d.schemas, MANIFEST_FILE), '{"package":"@govern/contracts"');
    expect(checkArtifacts([base], '1.0.0', d).map((p) => p.code)).toEqual(['manifest-invalid']);
    expect(writeArtifacts([base], '1.0.1', d)).toMatchObject({ written: [], refused: [{ code: 'manifest-invalid' }] });
  });

  it('the manifest text is sorted and stable', () => {
    const m = { package: '@govern/contracts' as const, version: '1.0.0', contracts: [], fixtures: [{ file: 'v1/b.json', sha256: 'b'.repeat(64) }, { file: 'v1/a.json', sha256: 'a'.repeat(64) }] };
    const text = manifestText(m);
    expect(JSON.parse(text).fixtures.map((f: { file: string }) => f.file)).toEqual(['v1/a.json', 'v1/b.json']);
    expect(manifestText(ManifestSchema.parse(JSON.parse(text)))).toBe(text);
  });
});
