import { describe, expect, test } from 'vitest';
import { CONTRACTS_VERSION } from '@govern/contracts';
import { manifestFor } from './__fixtures__/packs.js';
import { globToRegExp, literalPrefix, matchesAny } from './glob.js';
import { CompatibilityManifestSchema, contractProblems, KIT_CONTRACTS, manifestHash, resolveOwnership, type CompatibilityManifest } from './manifest.js';

const issues = (v: unknown) => {
  const r = CompatibilityManifestSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the compatibility manifest', () => {
  test('a complete manifest parses to itself', () => {
    const m: CompatibilityManifest = {
      schema: 'govern.adapter-manifest/v1',
      name: 'file-store',
      package: '@govern/adapter-file-store',
      version: '0.1.0',
      description: 'graph, event and audit records as files',
      capabilities: ['store.graph', 'store.event', 'store.audit'],
      durability: 'persistent',
      contracts: [
        { name: '@govern/contracts', version: CONTRACTS_VERSION },
        { name: 'govern-adapter-capabilities', version: '1.0.0' },
      ],
      ownership: { paths: ['.govern/adapters/file-store/**'], tables: [], remote: [] },
      conformance: ['govern-conformance/1'],
      gate: 'adapter-file-store',
    };
    expect(CompatibilityManifestSchema.parse(m)).toEqual(m);
    expect(contractProblems(m)).toEqual([]);
  });

  test('refuses what it cannot vouch for: unknown capabilities and standards, bad versions, escaping paths, repeats, extra keys', () => {
    const base = manifestFor('x');
    expect(
      issues({
        ...base,
        version: '1.0',
        capabilities: ['store.event', 'store.event', 'teleport'],
        ownership: { paths: ['../outside/**', '/abs', 'a\\b', 'ok/**'], tables: ['Bad-Name'], remote: ['no-service'] },
        conformance: ['python_standard'],
        contracts: [],
        extra: true,
      }),
    ).toEqual([
      'version: a semver version (1.2.3)',
      'capabilities.2: Invalid option: expected one of "store.graph"|"store.event"|"store.audit"|"statehub"|"github"|"memory"',
      'contracts: Too small: expected array to have >=1 items',
      'ownership.paths.0: a glob relative to the root (no leading /, no . or .. segment, no backslash)',
      'ownership.paths.1: a glob relative to the root (no leading /, no . or .. segment, no backslash)',
      'ownership.paths.2: a glob relative to the root (no leading /, no . or .. segment, no backslash)',
      'ownership.tables.0: a table name: lowercase letters, digits and _',
      'ownership.remote.0: a remote resource: <service>:<resource glob>',
      'conformance.0: Invalid input: expected "govern-conformance/1"',
      ': Unrecognized key: "extra"',
    ]);
    expect(issues({ ...base, capabilities: ['store.event', 'store.event'] })).toEqual(['capabilities: each capability once']);
  });

  test('contract versions: same major, not newer than this build, every kit contract named, nothing unknown', () => {
    const kit = Object.entries(KIT_CONTRACTS).map(([name, version]) => ({ name, version }));
    expect(contractProblems(manifestFor('x', { contracts: kit }))).toEqual([]);
    expect(contractProblems(manifestFor('x', { contracts: [{ name: '@govern/contracts', version: '0.9.0' }] }))).toEqual([
      `@govern/contracts 0.9.0 is another major than this build's ${CONTRACTS_VERSION}`,
      "the manifest does not name the govern-adapter-capabilities version it implements (this build: 1.0.0)",
    ]);
  });

  test('the hash is the sha256 of the canonical JSON: key order does not change it, content does', () => {
    const m = manifestFor('x');
    const reordered = Object.fromEntries(Object.entries(m).reverse()) as CompatibilityManifest;
    expect(manifestHash(reordered)).toBe(manifestHash(m));
    expect(manifestHash({ ...m, description: 'other' })).not.toBe(manifestHash(m));
    expect(manifestHash(m)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('ownership placeholders are filled from string options, and a missing one is a problem', () => {
    const own = { paths: ['{dir}/**'], tables: [], remote: ['statehub:{repo}:task/*', 'statehub:{repo}:workstream/*'] };
    expect(resolveOwnership(own, { repo: 'govern', dir: 'data' })).toEqual({ ownership: { paths: ['data/**'], tables: [], remote: ['statehub:govern:task/*', 'statehub:govern:workstream/*'] }, problems: [] });
    expect(resolveOwnership(own, { repo: 7 })).toEqual({
      ownership: { paths: ['{dir}/**'], tables: [], remote: ['statehub:{repo}:task/*', 'statehub:{repo}:workstream/*'] },
      problems: ['{dir} in the ownership boundary has no string option dir to fill it', '{repo} in the ownership boundary has no string option repo to fill it'],
    });
  });
});

describe('boundary globs', () => {
  test('** spans segments, * and ? stay inside one, everything else is literal', () => {
    const cases: [string, string, boolean][] = [
      ['.govern/adapters/x/**', '.govern/adapters/x/graph/main.json', true],
      ['.govern/adapters/x/**', '.govern/adapters/x', false],
      ['.govern/adapters/x/**', '.govern/adapters/xy/a', false],
      ['a/**/b.json', 'a/b.json', true],
      ['a/**/b.json', 'a/1/2/b.json', true],
      ['a/*.json', 'a/b.json', true],
      ['a/*.json', 'a/b/c.json', false],
      ['a/?.json', 'a/b.json', true],
      ['a/?.json', 'a/bb.json', false],
      ['a.(b)+', 'a.(b)+', true],
      ['a.(b)+', 'ax(b)+', false],
      ['github:o/r:refs/heads/govern/close/*', 'github:o/r:refs/heads/govern/close/ab-01', true],
      ['github:o/r:refs/heads/govern/close/*', 'github:o/r:refs/heads/main', false],
      ['github:o/r:pulls/**', 'github:o/r:pulls/1/requested_reviewers', true],
    ];
    expect(cases.map(([g, v]) => [g, v, globToRegExp(g).test(v)])).toEqual(cases);
    expect(matchesAny('x/y', [])).toBe(false);
    expect(['.govern/adapters/x/**', 'a/*/b', '**'].map(literalPrefix)).toEqual(['.govern/adapters/x', 'a', '']);
  });
});
