import fs from 'node:fs';
import { composePacks, CompatibilityManifestSchema, type GraphSnapshot } from '@govern/adapter-kit';
import { conformanceSuite } from '@govern/adapter-kit/testing';
import { describe, expect, test } from 'vitest';
import { fakePack } from './index.js';

// The fake is tested like every pack: through its manifest, the capabilities the
// composed client hands out, and the conformance standard.

conformanceSuite(fakePack);

describe('the fake pack', () => {
  test('its manifest: every store capability, ephemeral, owning nothing, at the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(CompatibilityManifestSchema.parse(fakePack.manifest)).toEqual({
      schema: 'govern.adapter-manifest/v1',
      name: 'fake',
      package: pkg.name,
      version: pkg.version,
      description: 'graph snapshots, event streams and the audit chain in memory, per instance: the pack tests swap in for a real store',
      capabilities: ['store.graph', 'store.event', 'store.audit'],
      durability: 'ephemeral',
      contracts: [
        { name: '@govern/contracts', version: '1.0.0' },
        { name: 'govern-adapter-capabilities', version: '1.0.0' },
      ],
      ownership: { paths: [], tables: [], remote: [] },
      conformance: ['govern-conformance/1'],
      gate: 'adapter-fake',
    });
  });

  test('what a caller gets is a copy: mutating it does not change what the store holds', async () => {
    const client = await composePacks([fakePack]).open({ root: '.', now: () => new Date('2026-01-01T00:00:00Z') });
    const graph = client.get('store.graph');
    const snapshot: GraphSnapshot = { schema: 'govern.graph-snapshot/v1', id: 's', taken_at: '2026-01-01T00:00:00Z', source: { repo: 'r', commit: null }, nodes: [] };
    await graph.put(snapshot);
    snapshot.nodes.push({ id: 'late', kind: 'task', title: '', status: null, depends_on: [] });
    const got = (await graph.get('s'))!;
    got.source.repo = 'mutated';
    const events = client.get('store.event');
    const [e] = await events.append('s', [{ type: 'a.b', data: { n: 1 } }]);
    e!.data.n = 2;
    expect({ graph: await graph.get('s'), events: await events.list('s') }).toEqual({
      graph: { schema: 'govern.graph-snapshot/v1', id: 's', taken_at: '2026-01-01T00:00:00Z', source: { repo: 'r', commit: null }, nodes: [] },
      events: [{ schema: 'govern.event/v1', stream: 's', seq: 1, type: 'a.b', at: '2026-01-01T00:00:00.000Z', data: { n: 1 } }],
    });
    await client.close();
  });
});
