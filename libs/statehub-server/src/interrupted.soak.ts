import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSyncState, StateHubClient, syncStateHub, type HubRecord } from '@govern/statehub';
import { readAuditLog, setStatus } from '@govern/write';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeRepo, twoWorkplans } from './__fixtures__/repos.js';
import { startStateHub, type RunningStateHub } from './server.js';

// A sync is a real child process (src/__fixtures__/sync-child.ts, bundled with
// esbuild) killed with SIGKILL at every point where it has changed something —
// including right after StateHub committed a create or a status change whose
// answer the child never used — and at arbitrary moments from outside. Running
// the sync again must converge: no duplicate records, no change applied twice,
// the Markdown byte for byte what one uninterrupted sync gives.
//
// Soak (GOVERN_SOAK=1, `nx run @govern/statehub-server:soak`): every kill point, ~50 s.
// interrupted.test.ts keeps one kill point of the first sync in the test suite.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statehub-kill-'));
let child: string;
let hub: RunningStateHub;
let client: StateHubClient;

beforeAll(async () => {
  child = path.join(tmp, 'sync-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./__fixtures__/sync-child.ts', import.meta.url))],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  hub = await startStateHub({ db: path.join(tmp, 'hub.duckdb'), port: 0 });
  client = new StateHubClient({ url: hub.url });
}, 60_000);

afterAll(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  points: string[];
  stderr: string;
}

/** Runs the child; with `killAfterMs`, the parent SIGKILLs it that long after its first point (start-up takes varying time). */
function runChild(job: { root: string; repo: string; killAt: number | null; delayMs?: number }, killAfterMs?: number): Promise<Exit> {
  const p = spawn(process.execPath, [child, JSON.stringify({ ...job, url: hub.url })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  let timer: NodeJS.Timeout | null = null;
  p.stdout.on('data', (d) => {
    out += d;
    if (killAfterMs !== undefined && timer === null && out.includes('point ')) timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
  });
  p.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    p.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, points: out.split('\n').filter((l) => l.startsWith('point ')), stderr });
    }),
  );
}

const FILES = twoWorkplans();
const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

async function records(repo: string): Promise<HubRecord[]> {
  return [...(await client.list('workstream', repo)), ...(await client.list('task', repo))];
}

async function feed(repo: string) {
  const all = [];
  for (let since = 0; ; ) {
    const page = await client.changes(since, 1000);
    all.push(...page.changes.filter((c) => c.repo === repo));
    if (!page.hasMore) return all;
    since = page.next;
  }
}

/** The Markdown one uninterrupted sync gives: an id line after each id: line. */
function expected(text: string, recs: HubRecord[]): string {
  let out = text;
  for (const r of recs) {
    const anchor = `id: ${r.itemId}\n`;
    out = out.replace(anchor, `${anchor}${r.kind === 'task' ? 'state_hub_task_id' : 'state_hub_workstream_id'}: "${r.id}"\n`);
  }
  return out;
}

/** The checks after the resumed sync: converged, nothing duplicated, nothing left to do. */
async function assertConverged(root: string, repo: string, markdown: Record<string, string>) {
  const recs = await records(repo);
  expect(recs.map((r) => r.itemId).sort()).toEqual(['WP-1', 'WP-1-T01', 'WP-1-T02', 'WP-2', 'WP-2-T01']);
  for (const [rel, text] of Object.entries(markdown)) expect(read(root, rel), rel).toBe(text);
  const state = readSyncState(root).state.hubs[hub.url]!.items;
  expect(Object.values(state).map((s) => [s.item, s.id, s.status, s.version]).sort()).toEqual(recs.map((r) => [r.itemId, r.id, r.status, r.version]).sort());
  const again = await syncStateHub({ root, client, repo, cacheDir: null });
  expect([again.actions, again.conflicts, again.refused, again.problems, again.unchanged]).toEqual([[], [], [], [], 5]);
  expect(fs.readdirSync(path.join(root, 'workplans')).sort()).toEqual(['WP-1.md', 'WP-2.md']);
}

describe('a sync killed with SIGKILL and run again converges', () => {
  test('first sync (creates and id write-back), killed at every point', async () => {
    const probe = makeRepo(tmp, 'probe-create', FILES);
    const full = await runChild({ root: probe, repo: 'probe-create', killAt: null });
    expect([full.code, full.stderr]).toEqual([0, '']);
    // 5 creates (response + step + state each) and 2 files written.
    expect(full.points.length).toBe(17);

    for (let k = 1; k <= full.points.length; k++) {
      const repo = `create-${k}`;
      const root = makeRepo(tmp, repo, FILES);
      const killed = await runChild({ root, repo, killAt: k });
      expect([killed.signal, killed.points.length], `killed at ${full.points[k - 1]}`).toEqual(['SIGKILL', k]);
      const resumed = await syncStateHub({ root, client, repo, cacheDir: null });
      expect([resumed.ok, resumed.conflicts], `resumed after ${full.points[k - 1]}`).toEqual([true, []]);
      const recs = await records(repo);
      // Each create happened exactly once, whichever run made it.
      expect((await feed(repo)).map((c) => c.op)).toEqual(['created', 'created', 'created', 'created', 'created']);
      // Each id write-back is audited exactly once too: a rerun finds the id already there.
      expect(readAuditLog(root).records.filter((r) => r.action === 'write-id').map((r) => r.item).sort()).toEqual(['WP-1', 'WP-1-T01', 'WP-1-T02', 'WP-2', 'WP-2-T01']);
      await assertConverged(root, repo, {
        'workplans/WP-1.md': expected(FILES['workplans/WP-1.md']!, recs),
        'workplans/WP-2.md': expected(FILES['workplans/WP-2.md']!, recs),
      });
    }
  }, 240_000);

  test('status push and pull, killed at every point', async () => {
    // Converged repositories with a local change (WP-2-T01 → blocked) and a remote one (WP-1-T02 → blocked).
    const prepare = async (repo: string) => {
      const root = makeRepo(tmp, repo, FILES);
      await syncStateHub({ root, client, repo, cacheDir: null });
      await setStatus({ root, id: 'WP-2-T01', status: 'blocked', cacheDir: null });
      const t2 = (await records(repo)).find((r) => r.itemId === 'WP-1-T02')!;
      await client.setStatus('task', t2.id, { status: 'blocked', ifVersion: t2.version });
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
      const resumed = await syncStateHub({ root, client, repo, cacheDir: null });
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
      const resumed = await syncStateHub({ root, client, repo, cacheDir: null, lock: { timeoutMs: 30_000 } });
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
