import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePackage, REPO } from './support.js';

// The installable package end to end (issue 17): build it, `npm pack` it, install the
// tarball into a new git repository that holds nothing else, and run there what a user
// runs — through npx, as the README says — with no workspace package in sight. Slow (a
// build, an npm install of DuckDB's native addon): a soak case.

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-package-'));
const repo = path.join(work, 'repo');
let tarball = '';
let version = '';
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

/**
 * A minimal environment: what Node, npm and git need, nothing of this checkout (npm
 * scripts and Nx set npm_config_* and NX_* variables that a user's shell would not have).
 */
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? work,
  TMPDIR: os.tmpdir(),
  GIT_AUTHOR_NAME: 'govern-test',
  GIT_AUTHOR_EMAIL: 'govern-test@example.invalid',
  GIT_COMMITTER_NAME: 'govern-test',
  GIT_COMMITTER_EMAIL: 'govern-test@example.invalid',
  GOVERN_ACTOR: 'package-test',
};

function run(cmd: string, args: string[], cwd = repo) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const npx = (...args: string[]) => run('npx', args);
const git = (...args: string[]) => expect(run('git', args).code).toBe(0);

/** Starts a long-running bin of the package, resolves with its first stdout line (JSON) once it is listening. */
function start(bin: string, args: string[]): Promise<{ child: ChildProcess; ready: Record<string, unknown>; stderr: () => string }> {
  const child = spawn(path.join(repo, 'node_modules/.bin', bin), args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, ready: JSON.parse(out.slice(0, nl)) as Record<string, unknown>, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`${bin} exited ${code} before listening: ${stderr}`)));
  });
}

/** SIGTERM, then the exit code. */
function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

beforeAll(() => {
  const outDir = ensurePackage(path.join(work, 'package'));
  version = (JSON.parse(fs.readFileSync(path.join(outDir, 'package.json'), 'utf8')) as { version: string }).version;
  const packed = run('npm', ['pack', '--json', '--pack-destination', work], outDir);
  expect(packed.code, packed.err).toBe(0);
  tarball = path.join(work, (JSON.parse(packed.out) as [{ filename: string }])[0].filename);

  fs.mkdirSync(repo);
  git('init', '-q');
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  // The npm cache of this machine holds @duckdb/node-api; without its metadata cached
  // too, --offline cannot resolve it, and npm may use the network for what is missing.
  const flags = ['--no-audit', '--no-fund', '--save-dev', tarball];
  let install = run('npm', ['install', '--offline', ...flags]);
  if (install.code !== 0) install = run('npm', ['install', '--prefer-offline', ...flags]);
  expect(install.code, install.err).toBe(0);
}, 600_000);

describe('the package installed from its tarball into an empty repository', () => {
  it('installs only itself and DuckDB: no workspace package', () => {
    const scoped = fs.readdirSync(path.join(repo, 'node_modules/@govern'));
    expect(scoped).toEqual(['govern']);
    expect(fs.readdirSync(path.join(repo, 'node_modules/.bin')).sort()).toEqual(['govern', 'memoryd']);
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(Object.keys(pkg.devDependencies)).toEqual(['@govern/govern']);
  });

  it('npx govern --version, init, status, validate, and close of the starter task with its passing check, then audit', () => {
    expect(npx('govern', '--version')).toEqual({ code: 0, out: `${version}\n`, err: '' });
    const init = npx('govern', 'init', '--json');
    expect(init.code, init.err).toBe(0);
    expect(JSON.parse(init.out)).toMatchObject({ kept: [], updated: ['.gitignore'] });
    git('add', '-A');
    git('commit', '-q', '-m', 'govern init');

    const status = npx('--no', 'govern', 'status');
    expect(status.code, status.err).toBe(0);
    expect(status.out).toContain('WP-0001-T01');
    expect(npx('--no', 'govern', 'validate')).toMatchObject({ code: 0, out: '2 files, 4 items: 0 errors, 0 warnings, 0 info\n' });

    // The starter task's check is `npx --no govern validate`: the installed govern closes
    // an item by running itself.
    const close = npx('--no', 'govern', 'close', 'WP-0001-T01', '--json');
    expect(close.code, close.err).toBe(0);
    expect(JSON.parse(close.out)).toMatchObject({ item: 'WP-0001-T01', passed: true, failures: [], checks: [{ command: 'npx --no govern validate', exitCode: 0 }, { name: 'phase audit', exitCode: 0 }] });
    expect(JSON.parse(npx('--no', 'govern', 'task', 'show', 'WP-0001-T01', '--json').out)).toMatchObject({ node: { status: 'done' } });
    git('add', '-A');
    git('commit', '-q', '-m', 'close WP-0001-T01');
    expect(npx('--no', 'govern', 'audit')).toMatchObject({ code: 0 });
  });

  it('npx govern mcp: initialize and tools/list over stdio', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const client = new Client({ name: 'package-test', version: '0.0.0' });
    await client.connect(new StdioClientTransport({ command: 'npx', args: ['--no', 'govern', 'mcp'], cwd: repo, env: env as Record<string, string>, stderr: 'pipe' }));
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'govern', version });
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['graph', 'next', 'item', 'explain', 'set_status', 'close', 'gates', 'audit', 'audit_log']));
    } finally {
      await client.close();
    }
  });

  it('govern statehub serve: listening, GET /health, a clean stop on SIGTERM', async () => {
    const { child, ready } = await start('govern', ['statehub', 'serve', '--port', '0', '--json']);
    expect(ready).toMatchObject({ host: '127.0.0.1', auth: false });
    const health = await fetch(`${String(ready.url)}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, service: 'statehub' });
    expect(await stop(child)).toBe(0);
  });

  it('memoryd serve: listening, GET /health, a clean stop on SIGTERM', async () => {
    const { child, ready, stderr } = await start('memoryd', ['serve', '--port', '0', '--db', path.join(repo, '.govern/memory/memory.duckdb')]);
    expect(ready).toMatchObject({ event: 'listening', auth: 'none' });
    const health = await fetch(`${String(ready.url)}/health`);
    expect(health.status).toBe(200);
    expect(await stop(child)).toBe(0);
    expect(stderr()).toContain('memoryd: stopped');
  });

  it('the tarball came from this checkout: nothing was read from it at run time', () => {
    // Every command above ran from node_modules; the package names no path of this checkout.
    const installed = path.join(repo, 'node_modules/@govern/govern');
    for (const f of fs.readdirSync(installed, { recursive: true }).map(String)) {
      const abs = path.join(installed, f);
      if (fs.statSync(abs).isFile()) expect(fs.readFileSync(abs, 'utf8').includes(REPO), f).toBe(false);
    }
  });
});
