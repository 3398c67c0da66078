import fs from 'node:fs';
import { composePacks, CompatibilityManifestSchema, tickingClock, type ConformanceHarness } from '@govern/adapter-kit';
import { conformanceSuite } from '@govern/adapter-kit/testing';
import { toErrorJSON } from '@govern/errors';
import { StateHubClient } from '@govern/statehub';
import { startStateHub, type RunningStateHub } from '@govern/statehub-server';
import { afterAll, describe, expect, test } from 'vitest';
import { statehubPack } from './index.js';

// The StateHub pack against the real StateHub server (libs/statehub-server) on
// 127.0.0.1, an ephemeral port and an in-memory DuckDB per sandbox, with a bearer
// token and a deterministic server clock.

const TOKEN = 'statehub-conformance-token-0123456789abcdef';
const REPO = 'govern';

/** A hub holding one record of another repository, which the pack must neither show nor touch. */
async function hub(): Promise<{ hub: RunningStateHub; reader: StateHubClient }> {
  const h = await startStateHub({ db: ':memory:', port: 0, token: TOKEN, now: tickingClock('2026-01-01T00:00:00.000Z') });
  const reader = new StateHubClient({ url: h.url, token: TOKEN });
  await reader.putByKey('workstream', 'elsewhere:WP-7', { repo: 'elsewhere', itemId: 'WP-7', title: 'Not ours', id: 'ws-elsewhere-7' });
  return { hub: h, reader };
}

const harness: ConformanceHarness = {
  async sandbox() {
    const { hub: h, reader } = await hub();
    return {
      options: { url: h.url, repo: REPO },
      secrets: { token: TOKEN },
      inputs: { statehub: { repo: REPO, foreignRepo: 'elsewhere' } },
      volatile: [h.url],
      // What the hub's change feed says was written: the remote effects the boundary must cover.
      observe: async () => ({ remote: (await reader.changes(0, 1000)).changes.map((c) => `statehub:${c.repo}:${c.kind}/${c.externalKey.slice(c.repo.length + 1)}`) }),
      close: () => h.close(),
    };
  },
};

conformanceSuite(statehubPack, harness);

const hubs: RunningStateHub[] = [];
afterAll(async () => {
  for (const h of hubs) await h.close();
});
async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => toErrorJSON(e),
  );
}

describe('the StateHub pack', () => {
  test("its manifest: the statehub capability, writing the configured repository's records only", () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(CompatibilityManifestSchema.parse(statehubPack.manifest)).toEqual({
      schema: 'govern.adapter-manifest/v1',
      name: 'statehub',
      package: pkg.name,
      version: pkg.version,
      description: "the statehub capability over the StateHub HTTP API (@govern/statehub's client): one repository's workstreams and tasks, status changes at a version, the change feed",
      capabilities: ['statehub'],
      durability: 'persistent',
      contracts: [
        { name: '@govern/contracts', version: '1.0.0' },
        { name: 'govern-adapter-capabilities', version: '1.0.0' },
      ],
      ownership: { paths: [], tables: [], remote: ['statehub:{repo}:workstream/*', 'statehub:{repo}:task/*'] },
      conformance: ['govern-conformance/1'],
      gate: 'adapter-statehub',
    });
  });

  test("a wrong token is the hub's denial, and neither token appears in it; another repository's record reads as absent", async () => {
    const { hub: h } = await hub();
    hubs.push(h);
    const wrong = await composePacks([statehubPack]).open({ root: '.', options: { statehub: { url: h.url, repo: REPO } }, secrets: { statehub: { token: 'not-the-token-0123456789' } } });
    const err = await refusal(wrong.get('statehub').list('task'));
    expect(err).toEqual({
      code: 'adapter-denial',
      message: 'StateHub: list tasks: this StateHub needs Authorization: Bearer <token>',
      details: { operation: 'list tasks', status: 401, statehub_code: 'unauthorized', failure_reason_code: null, policy_reason_code: 'adapter.remote.unauthorized' },
    });
    expect(JSON.stringify(err)).not.toMatch(/not-the-token|statehub-conformance-token/);
    const right = await composePacks([statehubPack]).open({ root: '.', options: { statehub: { url: h.url, repo: REPO } }, secrets: { statehub: { token: TOKEN } } });
    expect(await right.get('statehub').get('workstream', 'ws-elsewhere-7')).toBeNull();
    await Promise.all([wrong.close(), right.close()]);
  });

  test('an unreachable hub and bad options are failures; a URL with a password is refused without repeating it', async () => {
    const { hub: h } = await hub();
    const url = h.url;
    await h.close();
    const gone = await statehubPack.create({ root: '.', options: { url, repo: REPO, timeoutMs: 2000 } });
    expect(await refusal(gone.capabilities.statehub.health())).toMatchObject({
      code: 'adapter-failure',
      details: { operation: 'health', status: null, statehub_code: 'unreachable', failure_reason_code: 'adapter.remote.unreachable', policy_reason_code: null },
    });
    expect(await refusal(statehubPack.create({ root: '.', options: { url, repo: 'a:b' } }))).toEqual({
      code: 'adapter-failure',
      message: 'statehub: invalid options: repo: no ":" in a repo name (keys are <repo>:<itemId>)',
      details: { pack: 'statehub', failure_reason_code: 'adapter.options.invalid', policy_reason_code: null },
    });
    const withPassword = await refusal(statehubPack.create({ root: '.', options: { url: 'http://user:hunter2-secret@127.0.0.1:1', repo: REPO } }));
    expect(withPassword).toMatchObject({ code: 'adapter-failure', details: { statehub_code: 'invalid-url', failure_reason_code: 'adapter.options.invalid' } });
    expect(JSON.stringify(withPassword)).not.toContain('hunter2-secret');
  });
});
