import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphSnapshot, ParseCache, loadWorkspace } from '@govern/workspace';
import { runCli } from './program.js';
import { BIN, ensureFreshBundle, REPO, tempRoot, WORKER } from './test-support.js';

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/;


beforeAll(ensureFreshBundle, 120_000);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------


interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], opts: { cwd?: string; env?: Record<string, string>; isTTY?: boolean } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    cwd: opts.cwd ?? os.tmpdir(),
    // graph --json writes UTF-8 bytes (Workspace.graphJson), everything else strings.
    stdout: { write: (s: string | Uint8Array) => ((out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true), isTTY: opts.isTTY ?? false },
    stderr: { write: (s: string) => ((err += s), true) },
    env: opts.env ?? {},
  });
  return { code, out, err };
}

function bin(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'GOVERN_NO_CACHE', 'GOVERN_CACHE_DIR', 'GOVERN_PARSER', 'GOVERN_TIMING']) if (!opts.env?.[k]) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: opts.cwd ?? REPO, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Exactly one JSON value on one line, followed by a newline. */
function oneJson(out: string): unknown {
  expect(out.endsWith('\n')).toBe(true);
  expect(out.slice(0, -1)).not.toContain('\n');
  return JSON.parse(out);
}

/** 1-based line/column of `needle` in `text`. */
function pos(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in fixture`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const TRACKER = `# Memory tracker

| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-01 OTel baseline | P0 | - | Done (#27) |
| LM-02 memoryd store | P1 | LM-01 | In Progress |
| LM-03 Memory API | P0 | LM-01 | Planned |
`;

const WORKPLAN = `---
id: WP-01
type: workplan
title: Hardening
status: in progress
---

# WP-01: Hardening

## T01 - Service runner parity

id: WP-01-T01
status: done
priority: high

## T02 - Store migration

id: WP-01-T02
status: finished
priority: medium
depends_on: WP-01-T01

## T03 - Evaluation fixtures

id: WP-01-T03
status: todo
priority: high
depends_on: LM-03
`;

const PLAN = `# Kickoff

### K0: Contract Baseline

Status: Done

### K1: Binder

Status: Someday
Depends on: K0
`;

const OK_FILES = { 'trackers/memory.md': TRACKER, 'workplans/wp-01.md': WORKPLAN, 'workplans/kickoff.md': PLAN };
const BROKEN = `| Milestone | Depends On | Status |
|---|---|---|
| LM-09 Dangling | LM-404 | Planned |
`;
const ERROR_FILES = { ...OK_FILES, 'trackers/broken.md': BROKEN };

const UNRECOGNIZED = {
  severity: 'warning',
  code: 'status-unrecognized',
  message: 'kickoff:K1: status "Someday" is not recognized',
  file: 'workplans/kickoff.md',
  ...pos(PLAN, 'Someday'),
  expected: 'planned | in_progress | partial | blocked | done (or a spelling the profile maps to one)',
  actual: 'Someday',
  note: 'add the spelling to a profile in profiles/ to map it',
};
const DANGLING = {
  severity: 'error',
  code: 'unknown-dependency',
  message: 'LM-09 depends on LM-404, which does not exist',
  file: 'trackers/broken.md',
  ...pos(BROKEN, 'LM-404'),
};

const NODE_KEYS = [
  'id', 'kind', 'title', 'status', 'statusText', 'dependsOn', 'source', 'document', 'localId', 'parent',
  'priority', 'order', 'criteria', 'checks', 'evidenceRoot', 'packetId', 'stateHubId', 'refs',
];

let okRoot: string;
let errorRoot: string;
beforeEach(() => {
  okRoot = tempRoot(OK_FILES);
  errorRoot = tempRoot(ERROR_FILES);
});

// ---------------------------------------------------------------------------
// JSON contract
// ---------------------------------------------------------------------------

describe('graph --json', () => {
  it('prints exactly one JSON object { nodes, diagnostics } matching the contract', async () => {
    const r = await cli(['graph', '--json', '--root', okRoot]);
    expect(r).toMatchObject({ code: 0, err: '' });
    const json = oneJson(r.out) as { nodes: Record<string, unknown>[]; diagnostics: unknown[] };
    expect(Object.keys(json)).toEqual(['nodes', 'diagnostics']);
    expect(json.nodes.map((n) => n.id)).toEqual([
      'LM-01', 'LM-02', 'LM-03', 'kickoff:K0', 'kickoff:K1', 'WP-01', 'WP-01-T01', 'WP-01-T02', 'WP-01-T03',
    ]);
    for (const n of json.nodes) expect(Object.keys(n)).toEqual(NODE_KEYS);
    expect(json.nodes[0]).toEqual({
      id: 'LM-01',
      kind: 'milestone',
      title: 'OTel baseline',
      status: 'done',
      statusText: 'Done (#27)',
      dependsOn: [],
      source: { file: 'trackers/memory.md', ...pos(TRACKER, 'LM-01 OTel') },
      document: 'memory',
      localId: 'LM-01',
      parent: 'memory',
      priority: 'P0',
      order: null,
      criteria: [],
      checks: [],
      evidenceRoot: null,
      packetId: null,
      stateHubId: null,
      refs: ['#27'],
    });
    expect(json.nodes[8]).toEqual({
      id: 'WP-01-T03',
      kind: 'task',
      title: 'Evaluation fixtures',
      status: 'planned',
      statusText: 'todo',
      dependsOn: ['LM-03'],
      source: { file: 'workplans/wp-01.md', ...pos(WORKPLAN, 'T03 - Evaluation') },
      document: 'WP-01',
      localId: 'T03',
      parent: 'WP-01',
      priority: 'high',
      order: null,
      criteria: [],
      checks: [],
      evidenceRoot: null,
      packetId: null,
      stateHubId: null,
      refs: [],
    });
    expect(json.diagnostics).toEqual([UNRECOGNIZED]);
  });

  it('is what the workspace library computes, byte for byte', async () => {
    const ws = await loadWorkspace({ root: okRoot, cacheDir: null });
    const r = await cli(['graph', '--json', '--no-cache', '--root', okRoot]);
    expect(r.out).toBe(`${JSON.stringify({ nodes: ws.index.graph.nodes, diagnostics: ws.diagnostics })}\n`);
  });

  it('exits 1 when there is an error diagnostic and still prints the JSON', async () => {
    const r = await cli(['graph', '--json', '--root', errorRoot]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const json = oneJson(r.out) as { nodes: { id: string }[]; diagnostics: unknown[] };
    expect(json.nodes.map((n) => n.id)).toContain('LM-09');
    expect(json.diagnostics).toEqual([DANGLING, UNRECOGNIZED]);
  });
});

describe('next --json', () => {
  it('prints an array of actionable nodes in order', async () => {
    const r = await cli(['next', '--json', '--root', okRoot]);
    expect(r).toMatchObject({ code: 0, err: '' });
    const json = oneJson(r.out) as Record<string, unknown>[];
    expect(Array.isArray(json)).toBe(true);
    // LM-03 (P0) before LM-02 (P1); WP-01-T03 waits for LM-03; K1 has no recognized status.
    expect(json.map((n) => n.id)).toEqual(['LM-03', 'LM-02']);
    for (const n of json) expect(Object.keys(n)).toEqual(NODE_KEYS);
  });

  it('--limit 1 prints only the first actionable item; --limit 0 prints none', async () => {
    const one = await cli(['next', '--json', '--limit', '1', '--root', okRoot]);
    expect(one.code).toBe(0);
    expect((oneJson(one.out) as { id: string }[]).map((n) => n.id)).toEqual(['LM-03']);
    const none = await cli(['next', '--json', '--limit', '0', '--root', okRoot]);
    expect(oneJson(none.out)).toEqual([]);
  });

  it('rejects a --limit that is not a non-negative integer with exit 2', async () => {
    const r = await cli(['next', '--json', '--limit', 'many', '--root', okRoot]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('--limit');
  });
});

describe('validate --json', () => {
  it('prints a summary with every diagnostic; exit 0 with only warnings', async () => {
    const r = await cli(['validate', '--json', '--root', okRoot]);
    expect(r.code).toBe(0);
    expect(oneJson(r.out)).toEqual({ ok: true, files: 3, errors: 0, warnings: 1, infos: 0, diagnostics: [UNRECOGNIZED] });
  });

  it('exit 1 with an error, ok: false', async () => {
    const r = await cli(['validate', '--json', '--root', errorRoot]);
    expect(r.code).toBe(1);
    expect(oneJson(r.out)).toEqual({ ok: false, files: 4, errors: 1, warnings: 1, infos: 0, diagnostics: [DANGLING, UNRECOGNIZED] });
  });
});

describe('audit', () => {
  const TRACKER = '| Order | Milestone | Depends On | Status |\n|---|---|---|---|\n| 1 | AU-01 One | - | Done |\n| 2 | AU-02 Two | AU-01 | Planned |\n';

  it('exit 1 when a done item has no evidence; the JSON says what and where', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const r = await cli(['audit', '--json', '--root', root]);
    expect(r.code).toBe(1);
    expect(oneJson(r.out)).toEqual({
      ok: false,
      checked: { doneItems: 1, evidenceRoots: 0, claims: 0 },
      errors: 1,
      warnings: 0,
      infos: 0,
      diagnostics: [
        {
          severity: 'error',
          code: 'evidence-missing',
          message: 'AU-01 is Done but declares no evidence root',
          note: 'done requires an evidence root holding a passing manifest, written by `govern close`',
          file: 'trackers/t.md',
          ...pos(TRACKER, 'Done'),
        },
      ],
    });
  });

  it('exit 0 on a repository that claims nothing it cannot prove, and the human form says what was audited', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER.replace('| Done |', '| In Progress |') });
    const r = await cli(['audit', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('audited 0 done items, 0 cited evidence roots, 0 summary claims: 0 errors, 0 warnings, 0 info\n');
  });
});

describe('status --json', () => {
  it('prints documents, next, blocked, summary and diagnostics', async () => {
    const r = await cli(['status', '--json', '--root', okRoot]);
    expect(r.code).toBe(0);
    expect(oneJson(r.out)).toEqual({
      root: okRoot,
      documents: [
        {
          file: 'trackers/memory.md', id: 'memory', family: 'tracker', title: 'Memory tracker', status: null,
          items: ['LM-01', 'LM-02', 'LM-03'], counts: { done: 1, in_progress: 1, planned: 1 },
        },
        {
          file: 'workplans/kickoff.md', id: 'kickoff', family: 'plan', title: 'Kickoff', status: null,
          items: ['kickoff:K0', 'kickoff:K1'], counts: { done: 1, unknown: 1 },
        },
        {
          file: 'workplans/wp-01.md', id: 'WP-01', family: 'workplan', title: 'Hardening', status: 'in_progress',
          items: ['WP-01', 'WP-01-T01', 'WP-01-T02', 'WP-01-T03'], counts: { done: 2, in_progress: 1, planned: 1 },
        },
      ],
      next: ['LM-03', 'LM-02'],
      blocked: [{ id: 'WP-01-T03', blockers: [{ id: 'LM-03', status: 'planned', exists: true }] }],
      summary: { errors: 0, warnings: 1, infos: 0 },
      diagnostics: [UNRECOGNIZED],
    });
  });

  it('lists a missing dependency as a blocker with exists: false, and exits 1', async () => {
    const r = await cli(['status', '--json', '--root', errorRoot]);
    expect(r.code).toBe(1);
    const json = oneJson(r.out) as { blocked: unknown[] };
    expect(json.blocked).toContainEqual({ id: 'LM-09', blockers: [{ id: 'LM-404', status: null, exists: false }] });
  });
});

// ---------------------------------------------------------------------------
// Exit codes and usage errors
// ---------------------------------------------------------------------------

describe('exit codes', () => {
  it('0 with only warnings, for every command, JSON or not', async () => {
    for (const cmd of ['graph', 'next', 'validate', 'status']) {
      expect((await cli([cmd, '--root', okRoot])).code, cmd).toBe(0);
      expect((await cli([cmd, '--json', '--root', okRoot])).code, `${cmd} --json`).toBe(0);
    }
  });

  it('1 with an error diagnostic, for every command', async () => {
    for (const cmd of ['graph', 'next', 'validate', 'status']) {
      const r = await cli([cmd, '--root', errorRoot]);
      expect(r.code, cmd).toBe(1);
      expect(r.out.length, cmd).toBeGreaterThan(0);
    }
  });

  it('1 for an invalid govern.config.yaml, with the positioned diagnostic in the JSON', async () => {
    fs.writeFileSync(path.join(okRoot, 'govern.config.yaml'), 'include: docs/*.md\n');
    const r = await cli(['validate', '--json', '--root', okRoot]);
    expect(r.code).toBe(1);
    expect(oneJson(r.out)).toMatchObject({
      ok: false,
      errors: 1,
      diagnostics: [
        { severity: 'error', code: 'config-invalid', file: 'govern.config.yaml', line: 1, column: 10 },
        UNRECOGNIZED,
      ],
    });
  });

  it('2 for an unknown flag, with the message on stderr and nothing on stdout', async () => {
    const r = await cli(['graph', '--json', '--bogus', '--root', okRoot]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain("unknown option '--bogus'");
  });

  it('2 for an unknown command and for a status value outside the vocabulary', async () => {
    const unknown = await cli(['grpah', '--root', okRoot]);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toBe('');
    const badStatus = await cli(['graph', '--json', '--status', 'finished', '--root', okRoot]);
    expect(badStatus.code).toBe(2);
    expect(badStatus.out).toBe('');
    expect(badStatus.err).toContain('finished');
  });

  it('2 for --root pointing to a missing directory: message on stderr, nothing on stdout', async () => {
    const missing = path.join(okRoot, 'does-not-exist');
    for (const cmd of ['graph', 'next', 'validate', 'status']) {
      const r = await cli([cmd, '--json', '--root', missing]);
      expect(r, cmd).toEqual({ code: 2, out: '', err: `govern: --root ${missing}: not a directory\n` });
    }
  });

  it('2 for --root pointing to a file', async () => {
    const r = await cli(['graph', '--json', '--root', path.join(okRoot, 'trackers/memory.md')]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('not a directory');
  });

  it('resolves a relative --root against the working directory', async () => {
    const r = await cli(['graph', '--json', '--no-cache', '--root', path.basename(okRoot)], { cwd: path.dirname(okRoot) });
    expect(r.code).toBe(0);
    expect(r.out).toBe((await cli(['graph', '--json', '--no-cache', '--root', okRoot])).out);
  });
});

describe('--help', () => {
  it.each(['graph', 'next', 'validate', 'status'])('%s --help exits 0 and documents --json and the exit codes', async (cmd) => {
    const r = await cli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain(`Usage: govern ${cmd}`);
    expect(r.out).toContain('--json');
    expect(r.out).toContain('Exit codes:');
    expect(r.out).toMatch(/^\s+0\s+no error diagnostics$/m);
    expect(r.out).toMatch(/^\s+1\s+at least one error diagnostic/m);
    expect(r.out).toMatch(/^\s+2\s+usage error/m);
  });
});

// ---------------------------------------------------------------------------
// Cache determinism
// ---------------------------------------------------------------------------

describe('determinism across cold and warm runs', () => {
  it('prints byte-identical JSON from a cold run and a warm (cached) run', async () => {
    for (const cmd of ['graph', 'next', 'validate', 'status']) {
      const root = tempRoot(ERROR_FILES);
      const cold = await cli([cmd, '--json', '--root', root]);
      expect(fs.existsSync(path.join(root, '.govern', 'cache'))).toBe(true);
      const warm = await cli([cmd, '--json', '--root', root]);
      expect(warm.out, cmd).toBe(cold.out);
      expect(warm.code).toBe(cold.code);
    }
  });

  it('--no-cache and GOVERN_NO_CACHE=1 write no cache and print the same JSON', async () => {
    const a = await cli(['graph', '--json', '--no-cache', '--root', okRoot]);
    const b = await cli(['graph', '--json', '--root', okRoot], { env: { GOVERN_NO_CACHE: '1' } });
    expect(fs.existsSync(path.join(okRoot, '.govern'))).toBe(false);
    expect(b.out).toBe(a.out);
    const c = await cli(['graph', '--json', '--root', okRoot]);
    expect(c.out).toBe(a.out);
    expect(fs.existsSync(path.join(okRoot, '.govern', 'cache'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Human output
// ---------------------------------------------------------------------------

describe('human output', () => {
  it('has no ANSI escape codes when stdout is not a terminal', async () => {
    for (const cmd of ['graph', 'next', 'validate', 'status']) {
      const r = await cli([cmd, '--root', okRoot]);
      expect(r.out, cmd).not.toMatch(ANSI);
      expect(r.out.length).toBeGreaterThan(0);
    }
  });

  it('is colored with FORCE_COLOR=1 or on a terminal', async () => {
    expect((await cli(['graph', '--root', okRoot], { env: { FORCE_COLOR: '1' } })).out).toMatch(ANSI);
    expect((await cli(['status', '--root', okRoot], { env: { FORCE_COLOR: '1' } })).out).toMatch(ANSI);
    expect((await cli(['graph', '--root', okRoot], { isTTY: true })).out).toMatch(ANSI);
  });

  it('--no-color wins over FORCE_COLOR and a terminal; NO_COLOR disables colors too', async () => {
    expect((await cli(['graph', '--no-color', '--root', okRoot], { env: { FORCE_COLOR: '1' }, isTTY: true })).out).not.toMatch(ANSI);
    expect((await cli(['status', '--no-color', '--root', okRoot], { env: { FORCE_COLOR: '1' } })).out).not.toMatch(ANSI);
    expect((await cli(['graph', '--root', okRoot], { env: { NO_COLOR: '1' }, isTTY: true })).out).not.toMatch(ANSI);
  });

  it('never colors --json output', async () => {
    const plain = await cli(['graph', '--json', '--root', okRoot]);
    const forced = await cli(['graph', '--json', '--root', okRoot], { env: { FORCE_COLOR: '1' }, isTTY: true });
    expect(forced.out).toBe(plain.out);
  });

  it('groups graph output by document: one header per file, its nodes under it', async () => {
    const r = await cli(['graph', '--root', okRoot]);
    const lines = r.out.split('\n');
    const headers = lines.filter((l) => /^\S+\.md$/.test(l));
    expect(headers).toEqual(['trackers/memory.md', 'workplans/kickoff.md', 'workplans/wp-01.md']);
    const section = (file: string) => {
      const start = lines.indexOf(file);
      const next = lines.findIndex((l, i) => i > start && (/^\S+\.md$/.test(l) || /^\S/.test(l)));
      return lines.slice(start + 1, next < 0 ? undefined : next);
    };
    const idsIn = (file: string) => section(file).map((l) => l.trim().split(/\s+/)[0]);
    expect(idsIn('trackers/memory.md')).toEqual(['LM-01', 'LM-02', 'LM-03']);
    expect(idsIn('workplans/kickoff.md')).toEqual(['kickoff:K0', 'kickoff:K1']);
    expect(idsIn('workplans/wp-01.md')).toEqual(['WP-01', 'WP-01-T01', 'WP-01-T02', 'WP-01-T03']);
    expect(r.out).toContain(`workplans/kickoff.md:${UNRECOGNIZED.line}:${UNRECOGNIZED.column}`);
    expect(r.out).toMatch(/9 nodes; 0 errors, 1 warning, 0 info\n$/);
  });

  it('status output has a section per document and the next/blocked lists', async () => {
    const r = await cli(['status', '--root', okRoot]);
    for (const file of Object.keys(OK_FILES)) expect(r.out).toMatch(new RegExp(`^${file.replace('.', '\\.')}  `, 'm'));
    expect(r.out).toContain('Next actionable');
    expect(r.out).toMatch(/WP-01-T03 .*waits on LM-03 \(planned\)/);
  });
});

// ---------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------

describe('filters', () => {
  it('graph --json --doc <file> --status done --kind task', async () => {
    const r = await cli(['graph', '--json', '--doc', 'workplans/wp-01.md', '--status', 'done', '--kind', 'task', '--root', okRoot]);
    expect(r.code).toBe(0);
    const json = oneJson(r.out) as { nodes: { id: string; status: string; kind: string }[]; diagnostics: unknown[] };
    expect(json.nodes.map((n) => [n.id, n.kind, n.status])).toEqual([
      ['WP-01-T01', 'task', 'done'],
      ['WP-01-T02', 'task', 'done'],
    ]);
    // Filters select nodes; the diagnostics are those of the whole root.
    expect(json.diagnostics).toEqual([UNRECOGNIZED]);
  });

  it('--doc also accepts a document id; --status takes several values and "unknown"', async () => {
    const byId = await cli(['graph', '--json', '--doc', 'WP-01', '--kind', 'workplan', '--root', okRoot]);
    expect((oneJson(byId.out) as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(['WP-01']);
    const several = await cli(['graph', '--json', '--status', 'planned', 'unknown', '--root', okRoot]);
    expect((oneJson(several.out) as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(['LM-03', 'kickoff:K1', 'WP-01-T03']);
  });

  it('next --json --kind task and --doc filter the actionable list', async () => {
    const root = tempRoot({ ...OK_FILES, 'trackers/memory.md': TRACKER.replace('| LM-03 Memory API | P0 | LM-01 | Planned |', '| LM-03 Memory API | P0 | LM-01 | Done |') });
    const all = await cli(['next', '--json', '--root', root]);
    expect((oneJson(all.out) as { id: string }[]).map((n) => n.id)).toEqual(['LM-02', 'WP-01-T03']);
    const tasks = await cli(['next', '--json', '--kind', 'task', '--root', root]);
    expect((oneJson(tasks.out) as { id: string }[]).map((n) => n.id)).toEqual(['WP-01-T03']);
    const doc = await cli(['next', '--json', '--doc', 'trackers/memory.md', '--limit', '1', '--root', root]);
    expect((oneJson(doc.out) as { id: string }[]).map((n) => n.id)).toEqual(['LM-02']);
  });
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
    const ws = await loadWorkspace({ root: big, cacheDir: null, workerUrl: new URL(`file://${WORKER}`) });
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
// Warm runs served from the graph snapshot
// ---------------------------------------------------------------------------

describe('graph snapshot (the binary)', () => {
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
    bin(['graph', '--json', '--root', root]); // cold: writes the parse cache and the snapshot
    const cacheDir = path.join(root, '.govern', 'cache');
    expect(fs.readdirSync(cacheDir).sort()).toEqual([GraphSnapshot.fileFor(cacheDir), ParseCache.fileFor(cacheDir)].map((f) => path.basename(f)));
    // graph --json first, so the others find the snapshot and build documents and graph on demand.
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

  it('GOVERN_TIMING=1 names the phases on stderr; a warm run reads the snapshot and builds no graph', () => {
    const root = tempRoot(OK_FILES);
    const cold = bin(['graph', '--json', '--root', root], { env: { GOVERN_TIMING: '1' } });
    const warm = bin(['graph', '--json', '--root', root], { env: { GOVERN_TIMING: '1' } });
    expect(warm.out).toBe(cold.out);
    const phases = (r: Run) => r.err.split('\n').filter(Boolean).map((l) => /^govern timing: (\S+) \d+\.\d ms/.exec(l)?.[1] ?? l);
    expect(phases(cold)).toEqual(['startup', 'config', 'discover', 'cache-open', 'validate', 'results', 'parse', 'cache-save', 'graph', 'serialize', 'snapshot-save', 'write', 'gc', 'total']);
    expect(phases(warm)).toEqual(['startup', 'config', 'discover', 'cache-open', 'validate', 'snapshot', 'cache-save', 'write', 'gc', 'total']);
  });
});
