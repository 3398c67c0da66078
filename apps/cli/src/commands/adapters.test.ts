import fs from 'node:fs';
import path from 'node:path';
import { definePack, KIT_CONTRACTS, type AuditStore } from '@govern/adapter-kit';
import { toErrorJSON } from '@govern/errors';
import { describe, expect, test } from 'vitest';
import { CLOSABLE_TRACKER, cli, oneJson, runCaptured, tempRoot } from '../test-support.js';
import { adaptersCheckCommand, openForCaller, type CatalogEntry } from './adapters.js';

// The product's callers through adapter packs, `govern adapters check`, and the
// refusals: a missing capability, an invalid `adapters:` section, a pack that is
// not conformant. Real packs on temporary repositories; the CLI in process.

const SUBCHECKS = ['contract-validity', 'determinism', 'side-effect-policy', 'observability-split', 'spec-as-test'];
const config = (adapters: string) => `include: []\nadapters:\n${adapters}`;
const repo = (adapters: string) => tempRoot({ 'trackers/t.md': CLOSABLE_TRACKER, 'govern.config.yaml': config(adapters) }, 'govern-adapters-');

/** A pack the standard fails: loadable in no other process (no module URL), so determinism across processes cannot be shown. */
const unloadable = definePack({
  manifest: {
    schema: 'govern.adapter-manifest/v1',
    name: 'unloadable',
    package: '@govern/cli',
    version: '0.0.1',
    description: 'an audit store that cannot be loaded in another process',
    capabilities: ['store.audit'],
    durability: 'ephemeral',
    contracts: Object.entries(KIT_CONTRACTS).map(([name, version]) => ({ name, version })),
    ownership: { paths: [], tables: [], remote: [] },
    conformance: ['govern-conformance/1'],
  },
  module: null,
  create: () => ({ capabilities: { 'store.audit': { append: () => Promise.reject(new Error('unused')), read: async () => ({ entries: [], verified: true, problems: [] }) } satisfies AuditStore }, close: async () => {} }),
});

function captured(): { ctx: Parameters<typeof adaptersCheckCommand>[0]; out: () => string } {
  let out = '';
  return { ctx: { cwd: process.cwd(), env: {}, stdout: { write: (s: string | Uint8Array) => ((out += String(s)), true) }, stderr: { write: () => true } }, out: () => out };
}

describe('govern adapters check', () => {
  test('the fake pack passes every subcheck; the report is stored where callers find it', async () => {
    const root = tempRoot({}, 'govern-adapters-');
    const r = await cli(['adapters', 'check', 'fake', '--root', root, '--json']);
    expect(r.code).toBe(0);
    const body = oneJson(r.out) as { standard: string; ok: boolean; packs: { pack: { name: string }; ok: boolean; subchecks: { name: string; ok: boolean; problems: string[] }[]; saved: string }[] };
    expect({ standard: body.standard, ok: body.ok, packs: body.packs.map((p) => ({ name: p.pack.name, ok: p.ok, subchecks: p.subchecks.map((s) => [s.name, s.ok, s.problems]), saved: p.saved })) }).toEqual({
      standard: 'govern-conformance/1',
      ok: true,
      packs: [{ name: 'fake', ok: true, subchecks: SUBCHECKS.map((s) => [s, true, []]), saved: '.govern/adapters/conformance/fake.json' }],
    });
    expect(JSON.parse(fs.readFileSync(path.join(root, '.govern/adapters/conformance/fake.json'), 'utf8')).report.ok).toBe(true);
  });

  test('an unknown pack is a usage error naming the known ones', async () => {
    const r = await cli(['adapters', 'check', 's3', '--root', tempRoot(), '--json']);
    expect(r.code).toBe(2);
    expect(oneJson(r.out)).toEqual({ error: { code: 'usage', message: 'no adapter pack is named s3; known: file-store, duckdb-store, statehub, github, fake', details: { pack: 's3', known: ['file-store', 'duckdb-store', 'statehub', 'github', 'fake'] } } });
  });

  test('a pack that fails a subcheck: exit 1, the failure printed, and callers refuse to load it', async () => {
    const root = repo('  packs: [unloadable]\n  callers:\n    audit-log: [store.audit]\n');
    const catalog: CatalogEntry[] = [{ pack: unloadable }];
    const { ctx, out } = captured();
    expect(await adaptersCheckCommand(ctx, 'unloadable', { root }, catalog)).toBe(1);
    expect(out()).toContain('unloadable 0.0.1  not conformant: not loaded in prescriptive use\n');
    expect(out()).toContain("  FAIL  determinism\n        the run in another process failed: unloadable has no module URL (definePack({ module: import.meta.url })): it cannot be loaded in another process\n");
    expect(out()).toContain('  pass  contract-validity\n');

    const refusal = toErrorJSON(await openForCaller(ctx, root, 'audit-log', { readOnly: true, catalog }).catch((e: unknown) => e));
    expect(refusal).toMatchObject({ code: 'adapter-not-conformant', details: { policy_reason_code: 'adapter.not-conformant', failure_reason_code: null } });
    expect(refusal.message).toContain('determinism failed');
  });
});

describe('callers through packs', () => {
  test('close records through the file store and audit log reads it back; the built-in records are still written', async () => {
    const root = repo('  packs: [file-store]\n  callers:\n    close: [store.audit, store.event]\n    audit-log: [store.audit]\n');
    const env = { GOVERN_ACTOR: 'tester' };
    const closed = await cli(['close', 'AB-01', '--root', root, '--json'], { env });
    expect(closed.code).toBe(0);
    const r = oneJson(closed.out) as { passed: boolean; manifest: string; adapters: unknown };
    expect(r.passed).toBe(true);
    expect(r.adapters).toEqual({ providers: { 'store.audit': 'file-store', 'store.event': 'file-store' }, audit: { seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown }, events: [{ stream: 'AB-01', seq: 1 }] });
    expect(fs.existsSync(path.join(root, 'ops/audit/govern-audit.jsonl'))).toBe(true);
    expect(fs.readdirSync(path.join(root, '.govern/adapters/file-store/audit'))).toEqual(['000000000001.json']);

    const log = await cli(['audit', 'log', '--root', root, '--json']);
    expect(log.code).toBe(0);
    const body = oneJson(log.out) as { records: Record<string, unknown>[]; diagnostics: unknown[]; source: unknown };
    expect(body.source).toEqual({ capability: 'store.audit', pack: 'file-store', verified: true });
    expect(body.diagnostics).toEqual([]);
    expect(body.records.map((e) => ({ actor: e.actor, via: e.via, action: e.action, subject: e.subject, outcome: e.outcome, evidence: e.evidence }))).toEqual([
      { actor: 'tester', via: 'cli', action: 'close', subject: 'AB-01', outcome: 'applied', evidence: [{ kind: 'file', ref: r.manifest, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] },
    ]);
  });

  test('a capability no enabled pack provides: the explicit diagnostic with --json, and nothing is run or written', async () => {
    const root = repo('  packs: [statehub]\n  options:\n    statehub: { url: "http://127.0.0.1:9", repo: r }\n  callers:\n    close: [store.audit]\n');
    const before = fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8');
    const r = await cli(['close', 'AB-01', '--root', root, '--json']);
    expect(r.code).toBe(1);
    const err = (oneJson(r.out) as { error: { code: string; message: string; details: { capability: string; missing: string[]; considered: { name: string; enabled: boolean; reason: string | null; capabilities: string[]; manifest: { name: string } }[] } } }).error;
    expect(err.code).toBe('adapter-capability-missing');
    expect(err.message).toBe(
      'no enabled adapter pack provides store.audit; packs considered: statehub 0.1.0 (provides statehub), ' +
        'file-store 0.1.0 (provides store.graph, store.event, store.audit; not enabled: not listed in govern.config.yaml adapters.packs), ' +
        'duckdb-store 0.1.0 (provides store.graph, store.event, store.audit; not enabled: not listed in govern.config.yaml adapters.packs), ' +
        'github 0.1.0 (provides github; not enabled: not listed in govern.config.yaml adapters.packs), ' +
        'fake 0.1.0 (provides store.graph, store.event, store.audit; not enabled: not listed in govern.config.yaml adapters.packs)',
    );
    expect(err.details.capability).toBe('store.audit');
    expect(err.details.considered.map((p) => [p.name, p.enabled, p.manifest.name])).toEqual([
      ['statehub', true, 'statehub'],
      ['file-store', false, 'file-store'],
      ['duckdb-store', false, 'duckdb-store'],
      ['github', false, 'github'],
      ['fake', false, 'fake'],
    ]);
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(root, 'ops'))).toBe(false);
  });

  test('an invalid adapters section is refused with every problem positioned', async () => {
    const root = repo('  packs: [file-store, s3]\n  callers:\n    close: [github]\n');
    const r = await runCaptured(['close', 'AB-01', '--root', root, '--json']);
    expect(r.code).toBe(1);
    expect(oneJson(r.stdout)).toEqual({
      error: {
        code: 'config-invalid',
        message: 'govern.config.yaml:5:13: adapters.callers.close.0: close does not use github; it uses store.audit, store.event',
        details: { diagnostics: [{ severity: 'error', code: 'config-invalid', message: 'adapters.callers.close.0: close does not use github; it uses store.audit, store.event', file: 'govern.config.yaml', line: 5, column: 13 }] },
      },
    });
  });

  test('a pack whose gate this repository keeps closed is not enabled: the diagnostic says which gate', async () => {
    const root = tempRoot(
      {
        'trackers/t.md': CLOSABLE_TRACKER,
        'govern.config.yaml': 'gates:\n  adapter-file-store:\n    requires: [AB-02]\nadapters:\n  packs: [file-store]\n  callers:\n    audit-log: [store.audit]\n',
      },
      'govern-adapters-',
    );
    const r = await cli(['audit', 'log', '--root', root, '--json']);
    expect(r.code).toBe(1);
    const err = (oneJson(r.out) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('adapter-capability-missing');
    expect(err.message).toMatch(/^no enabled adapter pack provides store\.audit; packs considered: file-store 0\.1\.0 \(provides store\.graph, store\.event, store\.audit; not enabled: gate adapter-file-store is closed: /);
  });
});
