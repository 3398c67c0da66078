import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SyncReport } from '@govern/statehub';
import type { RunningStateHub } from '@govern/statehub-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './program.js';

// `govern statehub sync` without --repo names the repository by its configuration or
// its git remote, never by its folder: two clones in differently named folders are one
// repository on StateHub, not two sets of records. A real StateHub, real git clones.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-cli-identity-'));
let hub: RunningStateHub;
let StateHubClient: typeof import('@govern/statehub').StateHubClient;

beforeAll(async () => {
  ({ StateHubClient } = await import('@govern/statehub'));
  const server = await import('@govern/statehub-server');
  hub = await server.startStateHub({ db: path.join(tmp, 'hub.duckdb'), port: 0 });
}, 60_000);

afterAll(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const WORKPLAN = ['---', 'id: DM-1', 'type: workplan', 'title: Dome plan', 'status: in_progress', '---', '', '## T01 - First', '', 'id: DM-1-T01', 'status: planned', ''].join('\n');

function clone(folder: string, remote: string | null, files: Record<string, string> = {}): string {
  const root = path.join(tmp, folder);
  for (const [rel, text] of Object.entries({ 'workplans/dm.md': WORKPLAN, ...files })) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  execFileSync('git', ['init', '-q', root], { stdio: 'ignore' });
  if (remote) execFileSync('git', ['-C', root, 'remote', 'add', 'origin', remote], { stdio: 'ignore' });
  return root;
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    cwd: tmp,
    stdout: { write: (s: string | Uint8Array) => (out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
    stderr: { write: (s: string) => (err += s) },
    env: { GOVERN_ACTOR: 'cli-test' },
  });
  return { code, out, err };
}

const keys = async () => {
  const client = new StateHubClient({ url: hub.url });
  return [...(await client.list('workstream')), ...(await client.list('task'))].map((r) => r.externalKey).sort();
};

describe('govern statehub sync: the repository name', () => {
  test('two clones of one remote in differently named folders sync to one set of records, named by the remote', async () => {
    const a = clone('dome-main', 'git@github.com:acme/dome.git');
    const b = clone('scratch copy of dome', 'https://github.com/acme/dome.git');
    const first = await cli(['statehub', 'sync', '--push', '--root', a, '--url', hub.url, '--json', '--no-cache']);
    const second = await cli(['statehub', 'sync', '--push', '--root', b, '--url', hub.url, '--json', '--no-cache']);
    expect([first.code, first.err, second.code, second.err]).toEqual([0, '', 0, '']);
    const [r1, r2] = [JSON.parse(first.out) as SyncReport, JSON.parse(second.out) as SyncReport];
    expect([r1.repo, r2.repo]).toEqual(['dome', 'dome']);
    expect(await keys()).toEqual(['dome:DM-1', 'dome:DM-1-T01']);
    // The second clone adopted the records the first created: the same ids were written back.
    const ids = (root: string) => fs.readFileSync(path.join(root, 'workplans/dm.md'), 'utf8').match(/state_hub_\w+: "[^"]+"/g);
    expect(ids(b)).toEqual(ids(a));
  });

  test('repo: in govern.config.yaml wins over the remote; --repo over both', async () => {
    const c = clone('c', 'git@github.com:acme/dome.git', { 'govern.config.yaml': 'repo: dome-fork\n' });
    const r = await cli(['statehub', 'sync', '--push', '--dry-run', '--root', c, '--url', hub.url, '--json', '--no-cache']);
    expect([r.code, (JSON.parse(r.out) as SyncReport).repo]).toEqual([0, 'dome-fork']);
    const flag = await cli(['statehub', 'sync', '--push', '--dry-run', '--root', c, '--url', hub.url, '--repo', 'other', '--json', '--no-cache']);
    expect([flag.code, (JSON.parse(flag.out) as SyncReport).repo]).toEqual([0, 'other']);
  });

  test('a folder with neither is a usage error (exit 2) that says what to set, and nothing is synced', async () => {
    const d = clone('named-like-a-repo', null);
    const before = await keys();
    const r = await cli(['statehub', 'sync', '--root', d, '--url', hub.url, '--json', '--no-cache']);
    const message =
      "cannot tell this repository's name on StateHub: it has no `repo:` in govern.config.yaml and no git remote (origin, or a single remote) to take a name from; set `repo:` in govern.config.yaml or pass --repo";
    expect([r.code, JSON.parse(r.out), r.err]).toEqual([2, { error: { code: 'usage', message, details: {} } }, `govern: ${message}\n`]);
    expect(await keys()).toEqual(before);
    expect(fs.readFileSync(path.join(d, 'workplans/dm.md'), 'utf8')).toBe(WORKPLAN);
  });
});
