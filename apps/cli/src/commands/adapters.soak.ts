import fs from 'node:fs';
import path from 'node:path';
import { startGitHubReplay } from '@govern/github';
import type { RunningStateHub } from '@govern/statehub-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLOSABLE_TRACKER, cli, oneJson, tempRoot } from '../test-support.js';

// `govern statehub sync` through the StateHub adapter pack, against a real StateHub on
// 127.0.0.1. A soak case: the first routed run checks the pack against the
// conformance standard (three sandboxes, each with its own hub, one in another
// process), which takes longer than a `test` case may.

const TOKEN = 'soak-token-0123456789';
const WORKPLAN = ['---', 'id: CL-1', 'type: workplan', 'title: CLI plan', 'status: in_progress', '---', '', '## T01 - First', '', 'id: CL-1-T01', 'status: planned', ''].join('\n');
let hub: RunningStateHub;

beforeAll(async () => {
  const server = await import('@govern/statehub-server');
  hub = await server.startStateHub({ db: ':memory:', port: 0, token: TOKEN });
});
afterAll(async () => {
  await hub.close();
});

describe('statehub sync through the statehub pack', () => {
  test('the records are created through the pack (its actor on the change feed), ids written back, a second run a no-op', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN, 'govern.config.yaml': 'adapters:\n  packs: [statehub]\n  callers:\n    sync: [statehub]\n' }, 'govern-sync-packs-');
    const env = { STATEHUB_TOKEN: TOKEN };
    const first = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'viapack', '--json', '--no-cache'], { env });
    expect(first.code).toBe(0);
    const report = oneJson(first.out) as { url: string; repo: string; ok: boolean; actions: { op: string; side: string }[] };
    expect({ url: report.url, repo: report.repo, ok: report.ok }).toEqual({ url: hub.url, repo: 'viapack', ok: true });
    expect(report.actions.filter((a) => a.side === 'remote').map((a) => a.op)).toEqual(['create', 'create']);
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toMatch(/state_hub_workstream_id: /);
    expect(fs.existsSync(path.join(root, '.govern/adapters/conformance/statehub.json'))).toBe(true);

    const { StateHubClient } = await import('@govern/statehub');
    const feed = await new StateHubClient({ url: hub.url, token: TOKEN }).changes(0, 100);
    expect(feed.changes.filter((c) => c.repo === 'viapack').map((c) => [c.kind, c.externalKey, c.actor])).toEqual([
      ['workstream', 'viapack:CL-1', 'govern-adapter-statehub'],
      ['task', 'viapack:CL-1-T01', 'govern-adapter-statehub'],
    ]);

    const again = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'viapack', '--json', '--no-cache'], { env });
    expect(again.code).toBe(0);
    expect((oneJson(again.out) as { actions: unknown[] }).actions).toEqual([]);
  });

  test('sync routed to a capability no enabled pack provides is refused before anything is sent', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN, 'govern.config.yaml': 'adapters:\n  packs: [file-store]\n  callers:\n    sync: [statehub]\n' }, 'govern-sync-packs-');
    const r = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'nopack', '--json', '--no-cache'], { env: { STATEHUB_TOKEN: TOKEN } });
    expect(r.code).toBe(1);
    expect((oneJson(r.out) as { error: { code: string; details: { capability: string } } }).error).toMatchObject({ code: 'adapter-capability-missing', details: { capability: 'statehub' } });
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toBe(WORKPLAN);
  });
});

describe('pr open through the github pack', () => {
  test('opens the closure PR on the loopback GitHub through the pack; --json is the capability record with its source', async () => {
    const token = 'ghp_soak_FAKE_TOKEN_0123456789abcdefABCDEF';
    const root = tempRoot({ 'trackers/t.md': CLOSABLE_TRACKER }, 'govern-pr-packs-');
    const home = tempRoot({}, 'govern-pr-packs-home-');
    const env = { GOVERN_ACTOR: 'soak', HOME: home, GH_CONFIG_DIR: path.join(home, 'gh'), GITHUB_TOKEN: token };
    expect((await cli(['close', 'AB-01', '--root', root, '--no-cache'], { env })).code).toBe(0);
    fs.writeFileSync(path.join(root, 'govern.config.yaml'), 'adapters:\n  packs: [github]\n  callers:\n    pr: [github]\n');
    const gh = await startGitHubReplay({ owner: 'acme', repo: 'widgets', token, files: { 'trackers/t.md': CLOSABLE_TRACKER } });
    try {
      const r = await cli(['pr', 'open', 'AB-01', '--repo', 'acme/widgets', '--api-url', gh.url, '--root', root, '--json', '--no-cache'], { env });
      expect(r.code).toBe(0);
      const body = oneJson(r.out) as { item: string; action: string; branch: string; pr: { number: number } | null; source: unknown };
      expect({ item: body.item, action: body.action, branch: body.branch, pr: body.pr?.number, source: body.source }).toEqual({ item: 'AB-01', action: 'opened', branch: 'govern/close/ab-01', pr: 1, source: { capability: 'github', pack: 'github' } });
      expect(gh.pulls.map((p) => p.number)).toEqual([1]);
      expect(r.out).not.toContain(token);
    } finally {
      await gh.close();
    }
  });
});
