import { syncStateHub } from '@govern/statehub';
import { readAuditLog, setStatus } from '@govern/write';
import { describe, expect, test } from 'vitest';
import { expected, FILES, read, useInterruptedHub } from './__fixtures__/interrupted.js';
import { makeRepo } from './__fixtures__/repos.js';

// Soak (GOVERN_SOAK=1, `nx run @govern/statehub-server:soak`): every kill point, ~50 s.
// The sync child and the convergence checks are the ones of interrupted.test.ts
// (src/__fixtures__/interrupted.ts), which keeps one kill point of the first sync in the
// test suite.

const hub = useInterruptedHub();
const { tmp, runChild, records, feed, assertConverged } = hub;

describe('a sync killed with SIGKILL and run again converges', () => {
  test('first sync (creates and id write-back), killed at every point', async () => {
    const probe = makeRepo(tmp, 'probe-create', FILES);
    const full = await runChild({ root: probe, repo: 'probe-create', killAt: null });
    expect([full.code, full.stderr]).toEqual([0, '']);
    // 5 creates (response + step + state each) and 2 files written.
    expect(full.points.length).toBe(17);

    for (let k = 1; k <= full.points.length; k++) await hub.expectFirstSyncKilledAtConverges(k, full.points[k - 1]);
  }, 240_000);

  test('status push and pull, killed at every point', async () => {
    // Converged repositories with a local change (WP-2-T01 → blocked) and a remote one (WP-1-T02 → blocked).
    const prepare = async (repo: string) => {
      const root = makeRepo(tmp, repo, FILES);
      await syncStateHub({ root, client: hub.client, repo, cacheDir: null });
      await setStatus({ root, id: 'WP-2-T01', status: 'blocked', cacheDir: null });
      const t2 = (await records(repo)).find((r) => r.itemId === 'WP-1-T02')!;
      await hub.client.setStatus('task', t2.id, { status: 'blocked', ifVersion: t2.version });
      const wp1 = read(root, 'workplans/WP-1.md');
      const lines = wp1.split('\n');
      const at = lines.indexOf('id: WP-1-T02') + 2;
      expect(lines[at]).toBe('status: planned');
      lines[at] = 'status: blocked';
      return { root, markdown: { 'workplans/WP-1.md': lines.join('\n'), 'workplans/WP-2.md': read(root, 'workplans/WP-2.md') } };
    };
    const probe = await prepare('probe-status');
    const full = await runChild({ root: probe.root, repo: 'probe-status', killAt: null });
    expect([full.code, full.stderr]).toEqual([0, '']);
    expect(full.points.map((p) => p.replace(/^point \d+ /, ''))).toEqual([
      'step local:status:probe-status:WP-1-T02',
      'step state:probe-status:WP-1-T02',
      'response patchTask 200',
      'step remote:status:probe-status:WP-2-T01',
      'step state:probe-status:WP-2-T01',
    ]);

    for (let k = 1; k <= full.points.length; k++) {
      const repo = `status-${k}`;
      const { root, markdown } = await prepare(repo);
      const killed = await runChild({ root, repo, killAt: k });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await syncStateHub({ root, client: hub.client, repo, cacheDir: null });
      expect([resumed.ok, resumed.conflicts], `resumed after ${full.points[k - 1]}`).toEqual([true, []]);
      const recs = await records(repo);
      expect(recs.filter((r) => r.status === 'blocked').map((r) => r.itemId).sort()).toEqual(['WP-1-T02', 'WP-2-T01']);
      // Each status change reached StateHub once, and the Markdown once (one audit record).
      expect((await feed(repo)).filter((c) => c.op === 'status').map((c) => [c.externalKey, c.status])).toEqual([
        [`${repo}:WP-1-T02`, 'blocked'],
        [`${repo}:WP-2-T01`, 'blocked'],
      ]);
      expect(readAuditLog(root).records.filter((r) => r.via === 'statehub' && r.action === 'set-status').map((r) => [r.item, r.to?.status])).toEqual([['WP-1-T02', 'blocked']]);
      await assertConverged(root, repo, markdown);
    }
  }, 240_000);

  test('killed from outside at arbitrary moments (possibly inside a write or a lock)', async () => {
    const seen: number[] = [];
    for (const ms of [3, 40, 90, 150]) {
      const repo = `outside-${ms}`;
      const root = makeRepo(tmp, repo, FILES);
      const killed = await runChild({ root, repo, killAt: null, delayMs: 15 }, ms);
      expect(killed.signal).toBe('SIGKILL');
      seen.push(killed.points.length);
      const resumed = await syncStateHub({ root, client: hub.client, repo, cacheDir: null, lock: { timeoutMs: 30_000 } });
      expect([resumed.ok, resumed.conflicts], `killed after ${killed.points.length} points`).toEqual([true, []]);
      const recs = await records(repo);
      expect((await feed(repo)).filter((c) => c.op === 'created').length).toBe(5);
      await assertConverged(root, repo, {
        'workplans/WP-1.md': expected(FILES['workplans/WP-1.md']!, recs),
        'workplans/WP-2.md': expected(FILES['workplans/WP-2.md']!, recs),
      });
    }
    // The kills landed at different places inside the run, not before or after it.
    expect(seen.every((k) => k >= 1 && k < 17) && new Set(seen).size > 1, `points reached: ${seen.join(', ')}`).toBe(true);
  }, 120_000);
});
