import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '@govern/workspace';
import { BROKEN, cli, ERROR_FILES, OK_FILES, oneJson, PLAN, tempRoot, TRACKER, WORKPLAN } from './test-support.js';

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/;

// The cases that spawn the bundled binary are in apps/cli-e2e/src/cli.test.ts. The fixture
// repositories (OK_FILES, ERROR_FILES) and the in-process runner are in test-support.ts,
// shared with it.

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

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
    const message = "option '--limit <n>' argument 'many' is invalid. expected a non-negative integer";
    expect(await cli(['next', '--limit', 'many', '--root', okRoot])).toEqual({ code: 2, out: '', err: `error: ${message}\n(run with --help for usage)\n` });
    expect(oneJson((await cli(['next', '--json', '--limit', 'many', '--root', okRoot])).out)).toEqual({ error: { code: 'usage', message, details: { reason: 'invalid-argument' } } });
  });
});

describe('a dependency that cannot be read blocks its item (GV-WP-0025-T01)', () => {
  // The shape of GLaDO8/social-connections-tree 4af562f plans/README.md: `Phases 1-3` was
  // not read, the item counted as free, and `govern next` offered it before Phase 3.
  const PHASES = [
    '# Plans Index',
    '',
    '| Phase | Plan | Depends On | Status |',
    '|-------|------|------------|--------|',
    '| 1 | Canvas | — | done |',
    '| 2 | Visual | Phase 1 | done |',
    '| 3 | Chat | Phase 1 | not started |',
    '| 4 | Undo | Phases 1-3 | not started |',
    '| 5 | Polish | after the API review | not started |',
    '',
  ].join('\n');

  it('next offers neither the item behind a range nor the one behind unreadable text; show names the blocker; one diagnostic for it', async () => {
    const root = tempRoot({ 'trackers/phases.md': PHASES });
    const next = await cli(['next', '--json', '--root', root, '--no-cache']);
    expect((oneJson(next.out) as { id: string }[]).map((n) => n.id)).toEqual(['phases:PHASE-3']);
    const shown = await cli(['task', 'show', 'phases:PHASE-5', '--json', '--root', root, '--no-cache']);
    const show = oneJson(shown.out) as { node: { dependsOn: string[] }; blockers: unknown[] };
    expect([show.node.dependsOn, show.blockers]).toEqual([['after the API review'], [{ id: 'after the API review', status: null, exists: false }]]);
    const range = (oneJson((await cli(['task', 'show', 'phases:PHASE-4', '--json', '--root', root, '--no-cache'])).out) as { node: { dependsOn: string[] } }).node.dependsOn;
    expect(range).toEqual(['phases:PHASE-1', 'phases:PHASE-2', 'phases:PHASE-3']);
    const validate = oneJson((await cli(['validate', '--json', '--root', root, '--no-cache'])).out) as { diagnostics: { code: string; line: number; column: number }[] };
    expect(validate.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['dependency-invalid', 9, 16]]);
  });

  it('explain labels a dependency read from a table cell as the table\'s (GV-WP-0026-T03)', async () => {
    const root = tempRoot({ 'trackers/phases.md': PHASES });
    const r = await cli(['explain', 'trackers/phases.md', '--root', root, '--no-color']);
    const deps = r.out.split('\n').filter((l) => l.includes('depends on')).map((l) => l.trim());
    expect(deps).toEqual([
      'depends on phases:PHASE-1 (table, 6:16)',
      'depends on phases:PHASE-1 (table, 7:14)',
      'depends on phases:PHASE-1 (table, 8:14)',
      'depends on phases:PHASE-2 (table, 8:14)',
      'depends on phases:PHASE-3 (table, 8:14)',
      'depends on after the API review (table, 9:16)',
    ]);
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
          note: 'done requires an evidence root holding a passing manifest, written by `govern close`; work done before govern was adopted: `govern adopt`',
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

  it('2 for an unknown flag: the message on stderr, nothing on stdout; with --json the usage error object on stdout', async () => {
    const err = "error: unknown option '--bogus'\n(run with --help for usage)\n";
    expect(await cli(['graph', '--bogus', '--root', okRoot])).toEqual({ code: 2, out: '', err });
    expect(await cli(['graph', '--json', '--bogus', '--root', okRoot])).toEqual({
      code: 2,
      out: '{"error":{"code":"usage","message":"unknown option \'--bogus\'","details":{"reason":"unknown-option"}}}\n',
      err,
    });
  });

  it('2 for an unknown command (with the suggestion), a value outside the choices, a missing argument; { error } with --json', async () => {
    const unknown = await cli(['grpah', '--json', '--root', okRoot]);
    expect({ code: unknown.code, out: oneJson(unknown.out) }).toEqual({
      code: 2,
      out: { error: { code: 'usage', message: "unknown command 'grpah'", details: { reason: 'unknown-command', suggestion: 'graph' } } },
    });
    const badStatus = await cli(['graph', '--json', '--status', 'finished', '--root', okRoot]);
    expect({ code: badStatus.code, out: oneJson(badStatus.out) }).toEqual({
      code: 2,
      out: {
        error: {
          code: 'usage',
          message: "option '--status <status...>' argument 'finished' is invalid. Allowed choices are planned, in_progress, partial, blocked, done, unknown.",
          details: { reason: 'invalid-argument' },
        },
      },
    });
    const missing = await cli(['task', 'show', '--json', '--root', okRoot]);
    expect({ code: missing.code, out: oneJson(missing.out) }).toEqual({
      code: 2,
      out: { error: { code: 'usage', message: "missing required argument 'id'", details: { reason: 'missing-argument' } } },
    });
    expect(await cli(['grpah', '--root', okRoot])).toEqual({ code: 2, out: '', err: "error: unknown command 'grpah'\n(Did you mean graph?)\n(run with --help for usage)\n" });
  });

  it('2 for --root pointing to a missing directory: message on stderr; with --json the usage error object on stdout', async () => {
    const missing = path.join(okRoot, 'does-not-exist');
    for (const cmd of ['graph', 'next', 'validate', 'status']) {
      const message = `--root ${missing}: not a directory`;
      expect(await cli([cmd, '--root', missing]), cmd).toEqual({ code: 2, out: '', err: `govern: ${message}\n` });
      expect(await cli([cmd, '--json', '--root', missing]), cmd).toEqual({ code: 2, out: `${JSON.stringify({ error: { code: 'usage', message, details: {} } })}\n`, err: `govern: ${message}\n` });
    }
  });

  it('2 for --root pointing to a file', async () => {
    const file = path.join(okRoot, 'trackers/memory.md');
    expect(await cli(['graph', '--root', file])).toEqual({ code: 2, out: '', err: `govern: --root ${file}: not a directory\n` });
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
    // --doc narrows the diagnostics to that document's; the others are counted.
    expect(json).toEqual({ nodes: json.nodes, diagnostics: [], omitted: { nodes: 0, diagnostics: 1 } });
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
