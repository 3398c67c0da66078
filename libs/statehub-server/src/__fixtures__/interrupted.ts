import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSyncState, StateHubClient, syncStateHub, type HubRecord } from '@govern/statehub';
import { readAuditLog } from '@govern/write';
import { bundleChild } from '@govern/testkit';
import { afterAll, beforeAll, expect } from 'vitest';
import { startStateHub, type RunningStateHub } from '../server.js';
import { makeRepo, twoWorkplans } from './repos.js';

/**
 * The harness of the interruption tests (interrupted.test.ts, interrupted.soak.ts): a
 * StateHub on a temporary DuckDB file, and the sync child (sync-child.ts beside this
 * file, bundled with esbuild so node runs it without a TypeScript loader) that a test
 * kills with SIGKILL at a numbered point or from outside.
 */

/** How the child ended, and the points it printed before. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  points: string[];
  stderr: string;
}

export interface ChildJob {
  root: string;
  repo: string;
  killAt: number | null;
  delayMs?: number;
}

export interface InterruptedHub {
  /** The temporary folder holding the repositories, the bundled child and the hub's file. */
  readonly tmp: string;
  /** A client of the running hub (from `beforeAll` on). */
  readonly client: StateHubClient;
  /** Runs the child; with `killAfterMs`, the parent SIGKILLs it that long after its first point (start-up takes varying time). */
  runChild(job: ChildJob, killAfterMs?: number): Promise<Exit>;
  /** The hub's workstreams and tasks of `repo`. */
  records(repo: string): Promise<HubRecord[]>;
  /** The hub's change feed, `repo`'s changes only. */
  feed(repo: string): ReturnType<typeof feedOf>;
  /** The checks after the resumed sync: converged, nothing duplicated, nothing left to do. */
  assertConverged(root: string, repo: string, markdown: Record<string, string>): Promise<void>;
  /**
   * The first sync of FILES (repository `create-<k>`) killed at its point `k` (`point`: its
   * label, for the messages), then run again in process: it converges, each create and
   * each id write-back happened once.
   */
  expectFirstSyncKilledAtConverges(k: number, point?: string): Promise<void>;
}

/** The two workplans every interruption case syncs. */
export const FILES = twoWorkplans();
export const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

/** The Markdown one uninterrupted sync gives: an id line after each id: line. */
export function expected(text: string, recs: HubRecord[]): string {
  let out = text;
  for (const r of recs) {
    const anchor = `id: ${r.itemId}\n`;
    out = out.replace(anchor, `${anchor}${r.kind === 'task' ? 'state_hub_task_id' : 'state_hub_workstream_id'}: "${r.id}"\n`);
  }
  return out;
}

async function feedOf(client: StateHubClient, repo: string) {
  const all = [];
  for (let since = 0; ; ) {
    const page = await client.changes(since, 1000);
    all.push(...page.changes.filter((c) => c.repo === repo));
    if (!page.hasMore) return all;
    since = page.next;
  }
}

/**
 * For a test file's top level: bundles the child and starts the hub in `beforeAll`,
 * closes the hub and removes the temporary folder in `afterAll`.
 */
export function useInterruptedHub(): InterruptedHub {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statehub-kill-'));
  let child: string;
  let hub: RunningStateHub;
  let client: StateHubClient;

  beforeAll(async () => {
    child = path.join(tmp, 'sync-child.mjs');
    await bundleChild({ entryPoints: [fileURLToPath(new URL('./sync-child.ts', import.meta.url))], outfile: child });
    hub = await startStateHub({ db: path.join(tmp, 'hub.duckdb'), port: 0 });
    client = new StateHubClient({ url: hub.url });
  }, 60_000);

  afterAll(async () => {
    await hub.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const records = async (repo: string): Promise<HubRecord[]> => [...(await client.list('workstream', repo)), ...(await client.list('task', repo))];
  const feed = (repo: string) => feedOf(client, repo);

  const runChild = (job: ChildJob, killAfterMs?: number): Promise<Exit> => {
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
  };

  const assertConverged = async (root: string, repo: string, markdown: Record<string, string>): Promise<void> => {
    const recs = await records(repo);
    expect(recs.map((r) => r.itemId).sort()).toEqual(['WP-1', 'WP-1-T01', 'WP-1-T02', 'WP-2', 'WP-2-T01']);
    for (const [rel, text] of Object.entries(markdown)) expect(read(root, rel), rel).toBe(text);
    const state = readSyncState(root).state.hubs[hub.url]!.items;
    expect(Object.values(state).map((s) => [s.item, s.id, s.status, s.version]).sort()).toEqual(recs.map((r) => [r.itemId, r.id, r.status, r.version]).sort());
    const again = await syncStateHub({ root, client, repo, cacheDir: null });
    expect([again.actions, again.conflicts, again.refused, again.problems, again.unchanged]).toEqual([[], [], [], [], 5]);
    expect(fs.readdirSync(path.join(root, 'workplans')).sort()).toEqual(['WP-1.md', 'WP-2.md']);
  };

  const expectFirstSyncKilledAtConverges = async (k: number, point?: string): Promise<void> => {
    const repo = `create-${k}`;
    const root = makeRepo(tmp, repo, FILES);
    const killed = await runChild({ root, repo, killAt: k });
    const at = point ?? killed.points.at(-1);
    expect([killed.signal, killed.points.length], `killed at ${at}`).toEqual(['SIGKILL', k]);
    const resumed = await syncStateHub({ root, client, repo, cacheDir: null });
    expect([resumed.ok, resumed.conflicts], `resumed after ${at}`).toEqual([true, []]);
    const recs = await records(repo);
    // Each create happened exactly once, whichever run made it.
    expect((await feed(repo)).map((c) => c.op)).toEqual(['created', 'created', 'created', 'created', 'created']);
    // Each id write-back is audited exactly once too: a rerun finds the id already there.
    expect(readAuditLog(root).records.filter((r) => r.action === 'write-id').map((r) => r.item).sort()).toEqual(['WP-1', 'WP-1-T01', 'WP-1-T02', 'WP-2', 'WP-2-T01']);
    await assertConverged(root, repo, {
      'workplans/WP-1.md': expected(FILES['workplans/WP-1.md']!, recs),
      'workplans/WP-2.md': expected(FILES['workplans/WP-2.md']!, recs),
    });
  };

  return {
    tmp,
    get client() {
      return client;
    },
    runChild,
    records,
    feed,
    assertConverged,
    expectFirstSyncKilledAtConverges,
  };
}
