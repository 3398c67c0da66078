import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyncReport } from '@govern/statehub';
import type { RunningStateHub } from '@govern/statehub-server';
import { bundleChild } from '@govern/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveCommand, STATEHUB_PORT } from './commands/statehub.js';
import { runCli } from './program.js';

// govern statehub serve|sync through the CLI: in process against a real server, and
// the bundled CLI (DuckDB kept external, as scripts/build-cli.mjs does) as a process.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-cli-statehub-'));
// The bundle must sit under the repository so that `@duckdb/node-api`, left external,
// resolves from its node_modules; node_modules/.cache is git-ignored.
const bundleDir = path.join(REPO, 'node_modules/.cache', `govern-statehub-cli-test-${process.pid}`);
let hub: RunningStateHub;
// Imported dynamically, as the command does: the CLI loads the StateHub libraries lazily.
let StateHubClient: typeof import('@govern/statehub').StateHubClient;
let DEFAULT_PORT: number;

beforeAll(async () => {
  ({ StateHubClient } = await import('@govern/statehub'));
  const server = await import('@govern/statehub-server');
  DEFAULT_PORT = server.DEFAULT_PORT;
  hub = await server.startStateHub({ db: path.join(tmp, 'hub.duckdb'), port: 0 });
  await bundleChild({ entryPoints: { main: path.join(REPO, 'apps/cli/src/main.ts') }, outdir: bundleDir, splitting: true, chunkNames: 'chunks/[name]-[hash]', external: ['@duckdb/*'] });
}, 120_000);

afterAll(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

let n = 0;
function tempRoot(files: Record<string, string>): string {
  const root = path.join(tmp, `root${++n}`);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    cwd: tmp,
    stdout: { write: (s: string | Uint8Array) => (out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
    stderr: { write: (s: string) => (err += s) },
    env: { GOVERN_ACTOR: 'cli-test', ...env },
  });
  return { code, out, err };
}

const WORKPLAN = [
  '---',
  'id: CL-1',
  'type: workplan',
  'title: CLI plan',
  'status: in_progress',
  '---',
  '',
  '## T01 - First',
  '',
  'id: CL-1-T01',
  'status: planned',
  '',
].join('\n');

const GATED = {
  'govern.config.yaml': 'gates:\n  statehub:\n    requires: [GT-01]\n',
  'trackers/t.md': '| Milestone | Status |\n|---|---|\n| GT-01 Bridge | Planned |\n',
  'workplans/cl.md': WORKPLAN,
};

describe('govern statehub sync', () => {
  test('pushes, writes the ids back, prints the report; a second run is a no-op; exit 0', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    const first = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli', '--json', '--no-cache']);
    expect([first.code, first.err]).toEqual([0, '']);
    const report = JSON.parse(first.out) as SyncReport;
    expect(report.actions.map((a) => [a.side, a.op, a.item])).toEqual([
      ['remote', 'create', 'CL-1'],
      ['remote', 'create', 'CL-1-T01'],
      ['local', 'write-id', 'CL-1'],
      ['local', 'write-id', 'CL-1-T01'],
    ]);
    const [ws, task] = [report.actions[0]!.id, report.actions[1]!.id];
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toBe(
      WORKPLAN.replace('id: CL-1\n', `id: CL-1\nstate_hub_workstream_id: "${ws}"\n`).replace('id: CL-1-T01\n', `id: CL-1-T01\nstate_hub_task_id: "${task}"\n`),
    );
    const again = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli', '--no-color', '--no-cache']);
    expect([again.code, again.out]).toEqual([
      0,
      `statehub sync ${hub.url} as repo cli (push and pull)\n2 items: 0 remote and 0 local changes, 0 conflicts, 0 refused, 0 pending, 0 problems; 2 unchanged\n`,
    ]);
  });

  test('--dry-run prints what would change and changes nothing; a refused pull exits 1', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    const dry = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli-dry', '--dry-run', '--no-color', '--no-cache']);
    expect([dry.code, dry.out]).toEqual([
      0,
      [
        `statehub sync ${hub.url} as repo cli-dry (push and pull) — dry run: nothing changed`,
        '  remote would create   CL-1  workstream',
        '  remote would create   CL-1-T01  task',
        '  local  would write-id CL-1  state_hub_workstream_id (assigned on create) into workplans/cl.md',
        '  local  would write-id CL-1-T01  state_hub_task_id (assigned on create) into workplans/cl.md',
        '2 items: 2 remote and 2 local changes planned, 0 conflicts, 0 refused, 0 pending, 0 problems; 0 unchanged',
        '',
      ].join('\n'),
    ]);
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toBe(WORKPLAN);

    await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli-dry', '--no-cache']);
    const client = new StateHubClient({ url: hub.url });
    const task = (await client.list('task', 'cli-dry'))[0]!;
    await client.setStatus('task', task.id, { status: 'done', ifVersion: task.version });
    const refused = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli-dry', '--no-color', '--no-cache']);
    expect(refused.code).toBe(1);
    expect(refused.out.split('\n').slice(1, 3)).toEqual([
      '  refused  CL-1-T01: StateHub has done; CL-1-T01 can become done only through `govern close CL-1-T01`, which runs its checks and records the evidence [closure-required]',
      '           note: a done status needs evidence: run `govern close CL-1-T01`',
    ]);
  });

  test('a remote in_progress on a locally done task is a conflict (exit 1), and the Markdown stays done', async () => {
    const done = WORKPLAN.replace('status: planned', 'status: done');
    const root = tempRoot({ 'workplans/cl.md': done });
    expect((await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli-reopen', '--no-cache'])).code).toBe(0);
    const before = fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8');
    const client = new StateHubClient({ url: hub.url });
    const task = (await client.list('task', 'cli-reopen'))[0]!;
    await client.setStatus('task', task.id, { status: 'in_progress', ifVersion: task.version });
    const r = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'cli-reopen', '--json', '--no-cache']);
    const report = JSON.parse(r.out) as SyncReport;
    expect([r.code, report.ok, report.actions, report.conflicts.map((c) => [c.item, c.local, c.remote])]).toEqual([1, false, [], [['CL-1-T01', 'done', 'in_progress']]]);
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toBe(before);
  });

  test('usage errors exit 2; an unreachable StateHub exits 1 with { error }', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    expect((await cli(['statehub', 'sync', '--root', root, '--push', '--pull'])).code).toBe(2);
    const badUrl = await cli(['statehub', 'sync', '--root', root, '--url', 'ftp://x']);
    expect([badUrl.code, badUrl.err]).toEqual([2, 'govern: --url ftp://x: not an http(s) URL\n']);
    const noToken = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--token-env', 'NOPE_TOKEN']);
    expect([noToken.code, noToken.err]).toEqual([2, 'govern: --token-env NOPE_TOKEN: the environment variable NOPE_TOKEN is not set\n']);
    // A folder without a name (no repo:, no git remote) would be a usage error first: --repo names it.
    const down = await cli(['statehub', 'sync', '--root', root, '--url', 'http://127.0.0.1:9', '--repo', 'cli-down', '--json', '--no-cache']);
    expect([down.code, JSON.parse(down.out).error.code]).toEqual([1, 'unreachable']);
  });

  test('a URL with credentials is a usage error (exit 2) that never prints the password, from --url or STATEHUB_URL', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    const secret = 'hunter2-Pa55';
    const text = (shown: string, from: string) =>
      `${from}: the StateHub URL ${shown} has credentials in it; they are refused, never sent or printed: pass a bearer token instead (govern statehub sync --token-env, default STATEHUB_TOKEN)`;
    const message = (shown: string, from: string) => `govern: ${text(shown, from)}\n`;
    // With --json the usage error is on stdout too, as redacted as on stderr.
    const json = await cli(['statehub', 'sync', '--root', root, '--url', `http://user:${secret}@127.0.0.1:9`, '--json', '--no-cache']);
    expect([json.code, json.out, json.err]).toEqual([2, `${JSON.stringify({ error: { code: 'usage', message: text('http://***@127.0.0.1:9', '--url'), details: {} } })}\n`, message('http://***@127.0.0.1:9', '--url')]);
    expect(json.err + json.out).not.toContain(secret);
    const runs = [
      [await cli(['statehub', 'sync', '--root', root, '--url', `http://user:${secret}@127.0.0.1:9`, '--no-cache']), 'http://***@127.0.0.1:9', '--url'],
      [await cli(['statehub', 'sync', '--root', root, '--dry-run', '--no-cache'], { STATEHUB_URL: `https://${secret}@hub.example.com/x` }), 'https://***@hub.example.com/x', 'STATEHUB_URL'],
      [await cli(['statehub', 'sync', '--root', root, '--url', `ftp://me:${secret}@x`, '--no-cache']), 'ftp://***@x', '--url'],
      [await cli(['statehub', 'sync', '--root', root, '--url', `http://me:${secret}@bad host`, '--no-cache']), 'http://***@bad host', '--url'],
    ] as const;
    for (const [r, shown, from] of runs) {
      expect([r.code, r.out, r.err]).toEqual([2, '', message(shown, from)]);
      expect(r.err + r.out).not.toContain(secret);
    }
    expect(fs.existsSync(path.join(root, '.govern'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toBe(WORKPLAN);
    const colon = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--repo', 'a:b']);
    expect([colon.code, colon.err]).toEqual([2, 'govern: --repo a:b: a repository name cannot contain ":" (keys are <repo>:<item id>)\n']);
  });

  test('a root whose config declares a statehub gate that is disabled gets the gate explanation, and nothing runs', async () => {
    const root = tempRoot(GATED);
    const r = await cli(['statehub', 'sync', '--root', root, '--url', hub.url, '--json', '--no-cache']);
    expect([r.code, JSON.parse(r.out).error.code, JSON.parse(r.out).error.details.blockedBy.map((b: { id: string }) => b.id)]).toEqual([1, 'gate-disabled', ['GT-01']]);
    const s = await cli(['statehub', 'serve', '--root', root, '--port', '0', '--no-cache']);
    expect([s.code, s.err]).toEqual([
      1,
      'govern: gate statehub is disabled: GT-01 "Bridge" is planned (at trackers/t.md:3:18). It is enabled when GT-01 is done.\n',
    ]);
    expect(fs.readFileSync(path.join(root, 'workplans/cl.md'), 'utf8')).toBe(WORKPLAN);
    expect(fs.existsSync(path.join(root, '.govern/statehub.duckdb'))).toBe(false);
  });
});

describe('govern statehub serve', () => {
  test('in process: listens, answers, stops on request and checkpoints', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    let out = '';
    let err = '';
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const ctx = { cwd: root, stdout: { write: (s: string | Uint8Array) => (out += String(s)) }, stderr: { write: (s: string) => (err += s) }, env: {} };
    const running = serveCommand(ctx, { root, port: 0, json: true, db: 'hub.duckdb' }, stopped);
    while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const info = JSON.parse(out) as { url: string; db: string; auth: boolean };
    expect([info.db, info.auth]).toEqual([path.join(root, 'hub.duckdb'), false]);
    expect((await new StateHubClient({ url: info.url }).health()).ok).toBe(true);
    stop();
    expect(await running).toBe(0);
    expect(err).toContain('govern statehub: GET /health 200');
    expect(err).toContain('govern statehub: stopped; database checkpointed');
    expect(fs.existsSync(path.join(root, 'hub.duckdb.wal'))).toBe(false);
    expect(STATEHUB_PORT).toBe(DEFAULT_PORT);
  });

  test('a non-loopback host without a token is a usage error (exit 2), before anything is opened', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    const r = await cli(['statehub', 'serve', '--root', root, '--host', '0.0.0.0', '--port', '0']);
    expect([r.code, r.err]).toEqual([
      2,
      'govern: refusing to listen on 0.0.0.0 without a token: a non-loopback StateHub needs --token-env (an environment variable holding the bearer token)\n',
    ]);
    expect(fs.existsSync(path.join(root, '.govern/statehub.duckdb'))).toBe(false);
  });

  test('a non-loopback host with a token shorter than 32 bytes is a usage error (exit 2) that does not print the token', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    const r = await cli(['statehub', 'serve', '--root', root, '--host', '0.0.0.0', '--port', '0', '--token-env', 'HUB_T'], { HUB_T: 'tiny-secret' });
    expect([r.code, r.out, r.err]).toEqual([
      2,
      '',
      'govern: refusing to listen on 0.0.0.0 with a 11-byte token: a non-loopback StateHub needs a token of at least 32 bytes (e.g. openssl rand -hex 32)\n',
    ]);
    expect(fs.existsSync(path.join(root, '.govern/statehub.duckdb'))).toBe(false);
  });

  test('the bundled CLI as a process: token from --token-env, 401 without it, one writer per database file, SIGTERM checkpoints and exits 0', async () => {
    const root = tempRoot({ 'workplans/cl.md': WORKPLAN });
    const db = path.join(root, 'served.duckdb');
    const env = { ...process.env, HUB_SECRET: 'process-token' };
    const p = spawn(process.execPath, [path.join(bundleDir, 'main.js'), 'statehub', 'serve', '--root', root, '--port', '0', '--db', db, '--token-env', 'HUB_SECRET', '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const info = JSON.parse(out) as { url: string; auth: boolean };
    expect(info.auth).toBe(true);
    expect((await fetch(`${info.url}/workstreams`)).status).toBe(401);
    expect(await new StateHubClient({ url: info.url, token: 'process-token' }).list('workstream')).toEqual([]);

    // A second server on the same file is refused: DuckDB allows one writing process.
    const second = spawn(process.execPath, [path.join(bundleDir, 'main.js'), 'statehub', 'serve', '--root', root, '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let secondErr = '';
    second.stderr.on('data', (d) => (secondErr += d));
    const secondCode = await new Promise<number | null>((r) => second.on('exit', (code) => r(code)));
    expect([secondCode, secondErr]).toEqual([1, `govern: statehub: ${db} is open in another process (DuckDB allows one writer per file); stop it or use another --db\n`]);

    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).not.toContain('process-token');
    expect(err).toContain('stopped; database checkpointed');
    expect(fs.existsSync(`${db}.wal`)).toBe(false);
  }, 60_000);

  test('in process, a disabled statehub gate with ignoreGate: serves, and the override is the first line on stderr', async () => {
    const root = tempRoot(GATED);
    let out = '';
    let err = '';
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const ctx = { cwd: root, stdout: { write: (s: string | Uint8Array) => (out += String(s)) }, stderr: { write: (s: string) => (err += s) }, env: {} };
    const running = serveCommand(ctx, { root, port: 0, json: true, db: 'hub.duckdb', cache: false, ignoreGate: true }, stopped);
    while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
    expect((await new StateHubClient({ url: (JSON.parse(out) as { url: string }).url }).health()).ok).toBe(true);
    stop();
    expect(await running).toBe(0);
    expect(err.split('\n')[0]).toBe(
      'govern statehub: warning: gate overridden by --ignore-gate: gate statehub is disabled: GT-01 "Bridge" is planned (at trackers/t.md:3:18). It is enabled when GT-01 is done.',
    );
  });

  test('the bundled CLI as a process: a disabled statehub gate refuses to start (exit 1, the milestone named); --ignore-gate serves, logs it, stops on SIGTERM', async () => {
    const root = tempRoot(GATED);
    const db = path.join(root, 'gated.duckdb');
    const serve = (extra: string[]) => {
      const p = spawn(process.execPath, [path.join(bundleDir, 'main.js'), 'statehub', 'serve', '--root', root, '--port', '0', '--db', db, '--no-cache', ...extra], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const io = { out: '', err: '' };
      p.stdout.on('data', (d) => (io.out += d));
      p.stderr.on('data', (d) => (io.err += d));
      // 'close' waits for both streams to end as well as for the exit.
      const closed = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
      return { p, io, closed };
    };
    const refused = serve([]);
    expect([await refused.closed, refused.io.out, refused.io.err]).toEqual([
      1,
      '',
      'govern: gate statehub is disabled: GT-01 "Bridge" is planned (at trackers/t.md:3:18). It is enabled when GT-01 is done.\n',
    ]);
    expect(fs.existsSync(db)).toBe(false);

    const served = serve(['--ignore-gate', '--json']);
    while (!served.io.out.includes('\n')) await new Promise((r) => setTimeout(r, 20));
    expect(served.io.err).toMatch(/^govern statehub: warning: gate overridden by --ignore-gate: gate statehub is disabled: GT-01 "Bridge" is planned \(at trackers\/t.md:3:18\)/);
    expect((JSON.parse(served.io.out) as { db: string }).db).toBe(db);
    served.p.kill('SIGTERM');
    expect(await served.closed).toBe(0);
    expect(served.io.err).toContain('govern statehub: stopped; database checkpointed');
  });
});
