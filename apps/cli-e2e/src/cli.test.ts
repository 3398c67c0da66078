import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FragmentStore, loadWorkspace } from '@govern/workspace';
import { BIN, cli, ensureFreshBundle, ERROR_FILES, OK_FILES, oneJson, REPO, tempRoot, WORKER, type Run } from './support.js';

// The bundled binary (node apps/cli/bin/govern.mjs, running apps/cli/dist): the same bytes
// as the in-process CLI, exit codes, the parse cache, worker threads and the graph
// snapshot. Moved from apps/cli/src/cli.test.ts, whose in-process cases stay there; the
// fixture repositories and the in-process runner are its (apps/cli/src/test-support.ts).

beforeAll(ensureFreshBundle, 120_000);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function bin(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'GOVERN_NO_CACHE', 'GOVERN_CACHE_DIR', 'GOVERN_PARSER', 'GOVERN_TIMING']) if (!opts.env?.[k]) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: opts.cwd ?? REPO, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

let okRoot: string;
let errorRoot: string;
beforeEach(() => {
  okRoot = tempRoot(OK_FILES);
  errorRoot = tempRoot(ERROR_FILES);
});

// ---------------------------------------------------------------------------
// The bundled binary
// ---------------------------------------------------------------------------

describe('bundled binary (node apps/cli/bin/govern.mjs)', () => {
  it('graph --json --root <tmp> prints the same bytes as the in-process CLI', async () => {
    const r = bin(['graph', '--json', '--no-cache', '--root', okRoot]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe((await cli(['graph', '--json', '--no-cache', '--root', okRoot])).out);
  });

  it('validate exits 0 with only warnings, 1 with an error, 2 on usage errors', () => {
    expect(bin(['validate', '--root', okRoot]).code).toBe(0);
    const err = bin(['validate', '--json', '--root', errorRoot]);
    expect(err.code).toBe(1);
    expect(oneJson(err.out)).toMatchObject({ ok: false, errors: 1 });
    const flag = bin(['validate', '--bogus', '--root', okRoot]);
    expect(flag.code).toBe(2);
    expect(flag.out).toBe('');
    const missing = bin(['validate', '--root', path.join(okRoot, 'nope')]);
    expect(missing).toEqual({ code: 2, out: '', err: `govern: --root ${path.join(okRoot, 'nope')}: not a directory\n` });
  });

  it('graph --json is byte-identical cold and warm (cache)', () => {
    const cold = bin(['graph', '--json', '--root', errorRoot]);
    expect(cold.code).toBe(1);
    expect(fs.existsSync(path.join(errorRoot, '.govern', 'cache'))).toBe(true);
    const warm = bin(['graph', '--json', '--root', errorRoot]);
    expect(warm).toEqual(cold);
  });

  it('finds the root from the working directory when --root is not given', () => {
    fs.writeFileSync(path.join(okRoot, 'govern.config.yaml'), 'include: []\n');
    const fromSub = bin(['graph', '--json', '--no-cache'], { cwd: path.join(okRoot, 'workplans') });
    const explicit = bin(['graph', '--json', '--no-cache', '--root', okRoot]);
    expect(fromSub.code).toBe(0);
    expect(fromSub.out).toBe(explicit.out);
  });

  it('--help exits 0 and --version prints the version', () => {
    const help = bin(['graph', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--json');
    expect(help.out).toContain('Exit codes:');
    const version = bin(['--version']);
    expect(version).toMatchObject({ code: 0, out: '0.1.0\n' });
  });
});

// ---------------------------------------------------------------------------
// Parallel parse (worker threads in the bundled binary)
// ---------------------------------------------------------------------------

/** A root of many small documents of every family, with cross-document edges and some problems. */
function generatedRoot(count: number): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(3, '0');
    const prev = String(Math.max(0, i - 1)).padStart(3, '0');
    switch (i % 3) {
      case 0:
        files[`trackers/t${n}.md`] = `# Tracker ${n}

| Order | Milestone | Priority | Depends On | Status |
|---|---|---|---|---|
| 1 | GM-${n}1 First of ${n} | P${i % 4} | ${i > 0 ? `GW-${prev}-T01` : '-'} | ${['Done', 'Planned', 'In Progress', 'Blocked'][i % 4]} |
| 2 | GM-${n}2 Second of ${n} | P1 | GM-${n}1${i % 17 === 0 ? ', GM-MISSING-' + n : ''} | ${i % 11 === 0 ? 'Eventually' : 'Planned'} |

| Row | GM-${n}1 | GM-${n}2 |
|---|---|---|
| GM-${n}1 | 0 | 0 |
| GM-${n}2 | ${i % 19 === 0 ? 0 : 1} | 0 |
`;
        break;
      case 1:
        files[`workplans/w${n}/plan.md`] = `---
id: GW-${n}
type: workplan
title: Workplan ${n}
status: ${i % 5 === 0 ? 'finished' : 'in progress'}
---

# GW-${n}: Workplan ${n}

## T01 - Task one of ${n}

id: GW-${n}-T01
status: ${i % 2 === 0 ? 'done' : 'todo'}
priority: ${['high', 'medium', 'low'][i % 3]}
depends_on: GM-${prev}1

Acceptance:

- [x] first check of ${n}
- [ ] second check of ${n}

## T02 - Task two of ${n}

id: ${i % 23 === 1 ? `GM-${prev}2` : `GW-${n}-T02`}
status: planned
depends_on: GW-${n}-T01
`;
        break;
      default:
        files[`workplans/p${n}.md`] = `# Plan ${n}

## PHASE 1 — Setup ${n} — COMPLETE

**Exit criteria:**

- [x] scaffolding
- [ ] docs

## PHASE 2 — Build ${n}

Status: ${i % 7 === 0 ? 'Partial' : 'Planned'}
Depends on: PHASE-1${i % 13 === 0 ? ', PHASE-2' : ''}
`;
    }
  }
  return tempRoot(files);
}

describe('parallel parsing', () => {
  let big: string;
  beforeAll(() => {
    big = generatedRoot(300);
  });

  it('the workspace uses worker threads for a cold parse of a large root', async () => {
    // The default threshold is a few thousand files (below it one thread is faster); 300 must do here.
    const ws = await loadWorkspace({ root: big, cacheDir: null, workerUrl: new URL(`file://${WORKER}`), parallelThreshold: 100 });
    expect(ws.stats.files).toBe(300);
    expect(ws.stats.workers).toBeGreaterThan(0);
    const seq = await loadWorkspace({ root: big, cacheDir: null });
    expect(seq.stats.workers).toBe(0);
    expect(JSON.stringify({ nodes: ws.index.graph.nodes, diagnostics: ws.diagnostics })).toBe(
      JSON.stringify({ nodes: seq.index.graph.nodes, diagnostics: seq.diagnostics }),
    );
  }, 60_000);

  it('the binary (workers, no cache) prints the same graph --json as the in-process CLI (sequential)', async () => {
    const parallel = bin(['graph', '--json', '--no-cache', '--root', big]);
    const sequential = await cli(['graph', '--json', '--no-cache', '--root', big]);
    expect(parallel.err).toBe('');
    expect(parallel.code).toBe(sequential.code);
    expect(parallel.code).toBe(1); // the fixture has dangling deps, duplicate ids, self-dependencies, drift, odd statuses
    const json = JSON.parse(parallel.out) as { nodes: unknown[]; diagnostics: { code: string }[] };
    expect(json.nodes.length).toBeGreaterThan(600);
    expect(new Set(json.diagnostics.map((d) => d.code))).toEqual(
      new Set(['unknown-dependency', 'duplicate-id', 'dependency-cycle', 'status-unrecognized', 'dependency-drift']),
    );
    expect(parallel.out).toBe(sequential.out);
  }, 60_000);

  it('the binary prints the same JSON cold (workers, writing the cache) and warm (from the cache)', () => {
    const cold = bin(['graph', '--json', '--root', big]);
    const warm = bin(['graph', '--json', '--root', big]);
    expect(warm.out).toBe(cold.out);
    expect(warm.code).toBe(cold.code);
    // More than a pipe's buffer: the binary must not exit before stdout has drained.
    expect(Buffer.byteLength(warm.out)).toBeGreaterThan(256 * 1024);
    expect(warm.out.endsWith(']}\n')).toBe(true);
  }, 60_000);

  it('a reader that closes the pipe early ends the binary quietly with the run\'s exit code', async () => {
    bin(['graph', '--json', '--root', big]); // warm the cache: the JSON is written at once
    const child = spawn(process.execPath, [BIN, 'graph', '--json', '--root', big], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
    child.stdout.destroy(); // like `| head -c 100`
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(first.startsWith('{"nodes":[')).toBe(true);
    expect({ code, err }).toEqual({ code: 1, err: '' }); // 1: the fixture has error diagnostics
  }, 60_000);
});

// ---------------------------------------------------------------------------
// Warm runs served from the stored output (the fragment store)
// ---------------------------------------------------------------------------

describe('stored output (the binary)', () => {
  const JSON_RUNS = [
    ['graph', '--json'],
    ['graph', '--json', '--status', 'planned'],
    ['next', '--json'],
    ['status', '--json'],
    ['validate', '--json'],
  ];

  // Two halves of the commands, so that each case spawns the binary about six times and
  // stays under vitest's 5 s on a loaded 2-core machine (eleven spawns did not).
  it.each([[JSON_RUNS.slice(0, 3)], [JSON_RUNS.slice(3)]])('after graph --json wrote it, every command prints what an uncached run prints (%j)', (runs) => {
    const root = tempRoot(ERROR_FILES);
    const uncached = runs.map((argv) => bin([...argv, '--no-cache', '--root', root]));
    expect(uncached.map((r) => r.code)).toEqual(runs.map(() => 1));
    bin(['graph', '--json', '--root', root]); // cold: writes the fragment store with its output
    const cacheDir = path.join(root, '.govern', 'cache');
    expect(fs.readdirSync(cacheDir)).toEqual([path.basename(FragmentStore.fileFor(cacheDir))]);
    // graph --json first, so the others find the stored output and build documents and graph on demand.
    expect(runs.map((argv) => bin([...argv, '--root', root]))).toEqual(uncached);
  });

  it('the reference parser (GOVERN_PARSER=remark) prints the same bytes, cold and warm', () => {
    const root = tempRoot(ERROR_FILES);
    const fast = bin(['graph', '--json', '--no-cache', '--root', root]);
    const env = { GOVERN_PARSER: 'remark' };
    expect(bin(['graph', '--json', '--root', root], { env })).toEqual(fast);
    expect(bin(['graph', '--json', '--root', root], { env })).toEqual(fast);
    expect(bin(['graph', '--json', '--root', root])).toEqual(fast);
    expect(bin(['graph', '--json', '--root', root])).toEqual(fast);
  });

  it('GOVERN_TIMING=1 names the phases on stderr; a warm run reads the stored output and builds no graph', () => {
    const root = tempRoot(OK_FILES);
    const cold = bin(['graph', '--json', '--root', root], { env: { GOVERN_TIMING: '1' } });
    const warm = bin(['graph', '--json', '--root', root], { env: { GOVERN_TIMING: '1' } });
    expect(warm.out).toBe(cold.out);
    const phases = (r: Run) => r.err.split('\n').filter(Boolean).map((l) => /^govern timing: (\S+) \d+\.\d ms/.exec(l)?.[1] ?? l);
    expect(phases(cold)).toEqual(['startup', 'config', 'discover', 'cache-open', 'validate', 'fragments', 'parse', 'graph', 'output', 'cache-save', 'serialize', 'write', 'gc', 'total']);
    expect(phases(warm)).toEqual(['startup', 'config', 'discover', 'cache-open', 'validate', 'stored-output', 'cache-save', 'serialize', 'write', 'gc', 'total']);
  });
});
