import { toErrorJSON } from '@govern/errors';
import { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { manifestFor, memoEventsPack, missingPack } from './__fixtures__/packs.js';
import type { AuditStore, Capability, GraphStore } from './capabilities.js';
import { composePacks, definePack, MissingCapabilityError, type Pack } from './pack.js';

// Packs composed into one client, and the explicit diagnostics when a capability
// is not there. The packs are tiny inline plugins; every call goes through the
// registry and the client, never into a pack's internals.

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

const closed: string[] = [];
const graphPack = definePack({
  manifest: { ...manifestFor('graph-only', { description: 'graph snapshots, nowhere' }), capabilities: ['store.graph'] },
  module: null,
  options: z.object({ label: z.string().default('g') }).strict(),
  create: (ctx) => ({
    capabilities: {
      'store.graph': {
        put: async (s) => ({ id: s.id, sha256: '0'.repeat(64), created: true }),
        get: async () => null,
        list: async () => [{ id: `${ctx.options.label}:${ctx.readOnly}`, sha256: '0'.repeat(64), taken_at: ctx.now().toISOString(), node_count: 0 }],
      } satisfies GraphStore,
    },
    close: async () => void closed.push('graph-only'),
  }),
});
const auditPack = definePack({
  manifest: { ...manifestFor('audit-only', { description: 'an audit log and a second graph store' }), capabilities: ['store.audit', 'store.graph'] },
  module: null,
  create: (ctx) => ({
    capabilities: {
      'store.audit': { append: () => Promise.reject(new Error('unused')), read: async () => ({ entries: [], verified: true, problems: [] }) } satisfies AuditStore,
      'store.graph': { put: () => Promise.reject(new Error('unused')), get: async () => null, list: async () => [{ id: `audit-only:${ctx.secrets.TOKEN ?? 'no-secret'}`, sha256: '1'.repeat(64), taken_at: '2026-01-01T00:00:00Z', node_count: 0 }] },
    },
    close: async () => void closed.push('audit-only'),
  }),
});

describe('definePack', () => {
  test('validates the manifest at definition: a bad one is a coded error naming each issue', () => {
    const err = thrown(() => definePack({ manifest: { ...manifestFor('x'), version: 'latest', capabilities: ['store.event', 'time-travel' as Capability] }, module: null, create: () => ({ capabilities: {}, close: async () => {} }) as never }));
    expect(toErrorJSON(err)).toEqual({
      code: 'adapter-manifest-invalid',
      message:
        'the compatibility manifest of x is invalid: version: a semver version (1.2.3); capabilities.1: Invalid option: expected one of "store.graph"|"store.event"|"store.audit"|"statehub"|"github"|"memory"',
      details: {
        failure_reason_code: 'adapter.manifest.invalid',
        policy_reason_code: null,
        issues: [
          { path: 'version', message: 'a semver version (1.2.3)' },
          { path: 'capabilities.1', message: 'Invalid option: expected one of "store.graph"|"store.event"|"store.audit"|"statehub"|"github"|"memory"' },
        ],
      },
    });
  });

  test('a pack is a plugin with a name, a version and its manifest; options are parsed, invalid ones refused as a failure', async () => {
    expect({ name: graphPack.name, version: graphPack.version, capabilities: graphPack.manifest.capabilities, frozen: Object.isFrozen(graphPack) }).toEqual({
      name: 'graph-only',
      version: '1.0.0',
      capabilities: ['store.graph'],
      frozen: true,
    });
    const i = await graphPack.create({ root: '.', readOnly: true, now: () => new Date('2026-05-05T00:00:00Z') });
    expect(await i.capabilities['store.graph'].list()).toEqual([{ id: 'g:true', sha256: '0'.repeat(64), taken_at: '2026-05-05T00:00:00.000Z', node_count: 0 }]);
    const err = await graphPack.create({ root: '.', options: { label: 3 } }).catch((e: unknown) => e);
    expect(toErrorJSON(err)).toEqual({
      code: 'adapter-failure',
      message: 'graph-only: invalid options: label: Invalid input: expected string, received number',
      details: { pack: 'graph-only', failure_reason_code: 'adapter.options.invalid', policy_reason_code: null },
    });
  });
});

describe('composePacks', () => {
  test('one client per capability from the first enabled provider (or the preferred one); each pack gets only its own options and secrets', async () => {
    const adapters = composePacks([graphPack, auditPack, memoEventsPack]);
    expect(adapters.packs.map((p) => [p.name, p.enabled, p.capabilities])).toEqual([
      ['graph-only', true, ['store.graph']],
      ['audit-only', true, ['store.audit', 'store.graph']],
      ['memo-events', true, ['store.event']],
    ]);
    closed.length = 0;
    const client = await adapters.open({ root: '.', options: { 'graph-only': { label: 'mine' } }, secrets: { 'audit-only': { TOKEN: 't0k3n' } } });
    expect(client.providers).toEqual({ 'store.graph': 'graph-only', 'store.event': 'memo-events', 'store.audit': 'audit-only' });
    expect(await client.get('store.graph').list()).toEqual([{ id: 'mine:false', sha256: '0'.repeat(64), taken_at: expect.any(String), node_count: 0 }]);
    expect((await client.get('store.event').append('s', [{ type: 'x.y', at: '2026-01-01T00:00:00Z' }]))[0]).toEqual({ schema: 'govern.event/v1', stream: 's', seq: 1, type: 'x.y', at: '2026-01-01T00:00:00Z', data: {} });
    await client.close();
    await client.close();
    expect(closed).toEqual(['audit-only', 'graph-only']);

    const preferred = await composePacks([graphPack, auditPack], { prefer: { 'store.graph': 'audit-only' } }).open({ root: '.', secrets: { 'audit-only': { TOKEN: 'own' } } });
    expect({ providers: preferred.providers, list: await preferred.get('store.graph').list() }).toEqual({
      providers: { 'store.graph': 'audit-only', 'store.audit': 'audit-only' },
      list: [{ id: 'audit-only:own', sha256: '1'.repeat(64), taken_at: '2026-01-01T00:00:00Z', node_count: 0 }],
    });
    await preferred.close();
  });

  test('a capability no enabled pack provides is a coded diagnostic naming it, the packs considered and their manifests — never an undefined method', async () => {
    const adapters = composePacks([graphPack, auditPack, memoEventsPack], { enabled: (m) => (m.name === 'audit-only' ? 'gate adapter-audit-only is closed (GV-06 not done)' : true) });
    const client = await adapters.open({ root: '.' });
    expect(client.has('store.audit')).toBe(false);
    const err = thrown(() => client.get('store.audit'));
    expect(err).toBeInstanceOf(MissingCapabilityError);
    expect(toErrorJSON(err)).toEqual({
      code: 'adapter-capability-missing',
      message:
        'no enabled adapter pack provides store.audit; packs considered: graph-only 1.0.0 (provides store.graph), audit-only 1.0.0 (provides store.audit, store.graph; not enabled: gate adapter-audit-only is closed (GV-06 not done)), memo-events 1.0.0 (provides store.event)',
      details: {
        failure_reason_code: 'adapter.capability-missing',
        policy_reason_code: null,
        capability: 'store.audit',
        missing: ['store.audit'],
        considered: [
          { name: 'graph-only', version: '1.0.0', enabled: true, reason: null, capabilities: ['store.graph'], manifest: graphPack.manifest },
          { name: 'audit-only', version: '1.0.0', enabled: false, reason: 'gate adapter-audit-only is closed (GV-06 not done)', capabilities: ['store.audit', 'store.graph'], manifest: auditPack.manifest },
          { name: 'memo-events', version: '1.0.0', enabled: true, reason: null, capabilities: ['store.event'], manifest: memoEventsPack.manifest },
        ],
      },
    });
    // A name from configuration that is no capability at all gets the same diagnostic.
    expect(toErrorJSON(thrown(() => client.get('teleport' as Capability))).code).toBe('adapter-capability-missing');
    // The reserved capability: nothing can provide it yet.
    expect(toErrorJSON(thrown(() => client.get('memory'))).message).toMatch(/^no enabled adapter pack provides memory; /);
    await client.close();
  });

  test('require names every missing capability up front, before anything is opened', () => {
    const adapters = composePacks([memoEventsPack]);
    expect(adapters.require(['store.event'])).toBeUndefined();
    expect(toErrorJSON(thrown(() => adapters.require(['store.graph', 'store.event', 'github'])))).toMatchObject({
      code: 'adapter-capability-missing',
      message: 'no enabled adapter pack provides store.graph (nor github); packs considered: memo-events 1.0.0 (provides store.event)',
      details: { capability: 'store.graph', missing: ['store.graph', 'github'] },
    });
    expect(toErrorJSON(thrown(() => composePacks([]).require(['github']))).message).toBe('no enabled adapter pack provides github; packs considered: none');
  });

  test('a pack whose instance lacks a declared capability is refused when opened, and what was opened is closed', async () => {
    closed.length = 0;
    const err = await composePacks([graphPack, missingPack]).open({ root: '.' }).catch((e: unknown) => e);
    expect(toErrorJSON(err)).toEqual({
      code: 'adapter-failure',
      message: 'memo-missing 1.0.0 declares store.event in its manifest but its instance does not provide it',
      details: { pack: 'memo-missing', capability: 'store.event', failure_reason_code: 'adapter.capability-missing', policy_reason_code: null },
    });
    expect(closed).toEqual(['graph-only']);
  });

  test('two packs with one name cannot be composed', () => {
    expect(toErrorJSON(thrown(() => composePacks([memoEventsPack, memoEventsPack] as Pack[]))).message).toBe('two packs are named memo-events: a composition names each pack once');
  });
});
