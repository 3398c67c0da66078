import { describe, expect, it } from 'vitest';
import { completionModel } from './commands/completion.js';
import { commandGroupsFor, createProgram } from './program.js';
import { cli, ERROR_FILES, OK_FILES, oneJson, tempRoot } from './test-support.js';

// The CLI at scale (issue 17): --doc/--status/--limit on status and graph with the
// diagnostics narrowed, the bounded human status, why next exits 1, usage errors as
// JSON, global flags before the command, progress on a terminal, shell completion.

/** A root of `n` trackers, each with a planned item and a blocked one that waits on it. */
function manyTrackers(n: number): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const id = `A${String(i).padStart(2, '0')}`;
    files[`trackers/t${String(i).padStart(2, '0')}.md`] = `# T${i}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| ${id}-01 One | - | Planned |\n| ${id}-02 Two | ${id}-01 | Blocked |\n`;
  }
  return tempRoot(files);
}

const DANGLING = { severity: 'error', code: 'unknown-dependency', message: 'LM-09 depends on LM-404, which does not exist', file: 'trackers/broken.md', line: 3, column: 20 };

describe('status: --doc, --status, --limit and the default bound', () => {
  it('--json is complete without --limit; --limit cuts every list and says what it omitted', async () => {
    const root = manyTrackers(25);
    const all = oneJson((await cli(['status', '--json', '--root', root])).out) as { documents: unknown[]; next: unknown[]; blocked: unknown[] };
    expect([all.documents.length, all.next.length, all.blocked.length, 'omitted' in all]).toEqual([25, 25, 25, false]);
    const cut = await cli(['status', '--json', '--limit', '1', '--root', root]);
    expect({ code: cut.code, json: oneJson(cut.out) }).toEqual({
      code: 0,
      json: {
        root,
        documents: [{ file: 'trackers/t00.md', id: 't00', family: 'tracker', title: 'T0', status: null, items: ['A00-01', 'A00-02'], counts: { blocked: 1, planned: 1 } }],
        next: ['A00-01'],
        blocked: [{ id: 'A00-02', blockers: [{ id: 'A00-01', status: 'planned', exists: true }] }],
        summary: { errors: 0, warnings: 0, infos: 0 },
        diagnostics: [],
        omitted: { documents: 24, next: 24, blocked: 24, diagnostics: 0 },
      },
    });
  });

  it('--doc: that document and its diagnostics only, which decide the exit code; --status: matching items', async () => {
    const root = tempRoot(ERROR_FILES);
    const memory = await cli(['status', '--json', '--doc', 'memory', '--status', 'planned', '--root', root]);
    expect({ code: memory.code, json: oneJson(memory.out) }).toEqual({
      code: 0,
      json: {
        root,
        documents: [{ file: 'trackers/memory.md', id: 'memory', family: 'tracker', title: 'Memory tracker', status: null, items: ['LM-03'], counts: { done: 1, in_progress: 1, planned: 1 } }],
        next: ['LM-03'],
        blocked: [],
        summary: { errors: 0, warnings: 0, infos: 0 },
        diagnostics: [],
        omitted: { documents: 0, next: 0, blocked: 0, diagnostics: 2 },
      },
    });
    const broken = await cli(['status', '--doc', './trackers/broken.md', '--root', root]);
    expect(broken).toEqual({
      code: 1,
      out: [
        `govern status  ${root}`,
        '',
        'trackers/broken.md  tracker: broken  (1 planned)',
        '  LM-09  ○ planned  Dangling',
        '',
        'Next actionable',
        '  nothing is actionable',
        '',
        'Blocked',
        '  LM-09  ○ planned  waits on LM-404 (missing)',
        '',
        'Diagnostics',
        'trackers/broken.md:3:20  error  LM-09 depends on LM-404, which does not exist  unknown-dependency',
        '1 diagnostic of other documents left out (--doc); govern validate lists every one',
        '1 error, 0 warnings, 0 info',
        '',
      ].join('\n'),
      err: '',
    });
  });

  it('a --doc that names no document is a usage error (exit 2), as JSON with --json', async () => {
    const root = tempRoot(OK_FILES);
    const message = '--doc nope.md: no document with that path (relative to the root) or id';
    for (const cmd of ['status', 'graph', 'next']) {
      expect(await cli([cmd, '--doc', 'nope.md', '--root', root]), cmd).toEqual({ code: 2, out: '', err: `govern: ${message}\n` });
      expect(oneJson((await cli([cmd, '--json', '--doc', 'nope.md', '--root', root])).out), cmd).toEqual({ error: { code: 'usage', message, details: { doc: 'nope.md' } } });
    }
  });

  it('human output of a large root: one line per document, lists of 20, each cut saying how to see the rest', async () => {
    const root = manyTrackers(25);
    const r = await cli(['status', '--root', root]);
    const lines = r.out.split('\n');
    expect(lines.filter((l) => /^trackers\/t\d\d\.md {2}tracker: T\d+ {2}\(1 blocked, 1 planned\)$/.test(l))).toHaveLength(25);
    expect(lines.filter((l) => /^ {2}A\d\d-0[12] /.test(l))).toHaveLength(40); // 20 next + 20 blocked, no item tables
    expect(lines.filter((l) => /…|one line each/.test(l))).toEqual([
      '25 documents, one line each (more than 20); --doc <file-or-id> shows one with its items, --all every one',
      '  … 5 more actionable items (the default bound); govern next lists every one',
      '  … 5 more blocked items (the default bound); govern status --all lists every one',
    ]);
    const every = await cli(['status', '--all', '--root', root]);
    expect(every.out.split('\n').filter((l) => /^ {2}A\d\d-0[12] /.test(l))).toHaveLength(100); // 50 item rows, 25 next, 25 blocked
    expect(every.out).not.toContain('…');
    const two = await cli(['status', '--limit', '2', '--root', root]);
    expect(two.out.split('\n').filter((l) => l.includes('…'))).toEqual([
      '  … 23 more documents (--limit 2); govern status --all prints every one, --doc <file-or-id> one in full, --json all as JSON',
      '  … 23 more actionable items (--limit 2); govern next lists every one',
      '  … 23 more blocked items (--limit 2); govern status --all lists every one',
    ]);
    expect((await cli(['status', '--all', '--limit', '2', '--root', root])).code).toBe(2);
  });
});

describe('graph --limit and --doc', () => {
  it('--json: at most n nodes and diagnostics, omitted counts the rest (other documents included)', async () => {
    const root = tempRoot(ERROR_FILES);
    const r = await cli(['graph', '--json', '--limit', '1', '--kind', 'milestone', '--root', root]);
    const json = oneJson(r.out) as { nodes: { id: string }[] };
    expect({ code: r.code, ids: json.nodes.map((n) => n.id), rest: { ...json, nodes: undefined } }).toEqual({
      code: 1,
      ids: ['LM-09'],
      rest: { nodes: undefined, diagnostics: [DANGLING], omitted: { nodes: 5, diagnostics: 1 } },
    });
    const ok = await cli(['graph', '--json', '--doc', 'trackers/memory.md', '--limit', '0', '--root', root]);
    expect({ code: ok.code, json: oneJson(ok.out) }).toEqual({ code: 0, json: { nodes: [], diagnostics: [], omitted: { nodes: 3, diagnostics: 2 } } });
  });

  it('human: the cut and the left-out diagnostics are said, with how to see them', async () => {
    const root = tempRoot(ERROR_FILES);
    expect(await cli(['graph', '--doc', 'broken', '--limit', '0', '--root', root])).toEqual({
      code: 1,
      out: [
        '… 1 more node (--limit 0); a larger --limit, or none, shows them',
        '… 1 more diagnostic (--limit 0); govern validate lists every one',
        '1 diagnostic of other documents left out (--doc); govern validate lists every one',
        '1 node; 1 error, 0 warnings, 0 info',
        '',
      ].join('\n'),
      err: '',
    });
  });
});

describe('next says why it exits 1', () => {
  it('the error diagnostics on stderr (count, files, how to see them); --doc scopes them', async () => {
    const root = tempRoot(ERROR_FILES);
    const out = 'LM-03  ○ planned      Memory API     trackers/memory.md:7\nLM-02  ● in_progress  memoryd store  trackers/memory.md:6\n';
    expect(await cli(['next', '--root', root])).toEqual({ code: 1, out, err: 'govern: exit 1: 1 error diagnostic in trackers/broken.md (1); govern validate shows them\n' });
    expect(await cli(['next', '--doc', 'memory', '--root', root])).toEqual({ code: 0, out, err: '' });
    const json = await cli(['next', '--json', '--doc', 'broken', '--root', root]);
    expect({ ...json, out: oneJson(json.out) }).toEqual({ code: 1, out: [], err: 'govern: exit 1: 1 error diagnostic in trackers/broken.md (1); govern graph --doc trackers/broken.md shows them\n' });
  });
});

describe('global flags before the command', () => {
  it('govern --root X --json status is govern status --root X --json, for subcommands and --root= too', async () => {
    const root = tempRoot(OK_FILES);
    expect(await cli(['--root', root, '--json', 'status'])).toEqual(await cli(['status', '--root', root, '--json']));
    expect(await cli([`--root=${root}`, '--no-cache', '--json', 'task', 'show', 'LM-02'])).toEqual(await cli(['task', 'show', 'LM-02', '--json', '--root', root]));
    expect(await cli(['--json', '--root', root, 'graph', '--status', 'done'])).toEqual(await cli(['graph', '--status', 'done', '--json', '--root', root]));
    const typo = await cli(['--json', 'stauts']);
    expect({ code: typo.code, out: oneJson(typo.out) }).toEqual({ code: 2, out: { error: { code: 'usage', message: "unknown command 'stauts'", details: { reason: 'unknown-command', suggestion: 'status' } } } });
  });
});

describe('progress on a terminal', () => {
  const CLEAR = '\r\x1b[2K';
  it('drawn on stderr only when stderr is a terminal and the load ran past the delay, then erased; stdout untouched', async () => {
    const root = tempRoot(OK_FILES);
    const quiet = await cli(['graph', '--json', '--no-cache', '--root', root]);
    const tty = await cli(['graph', '--json', '--no-cache', '--root', root], { stderrIsTTY: true, env: { GOVERN_PROGRESS_AFTER_MS: '0' } });
    expect(tty.out).toBe(quiet.out);
    // The first update is drawn at once; later ones at most every 100 ms (so a slow machine may draw more).
    expect(tty.err.startsWith(`${CLEAR}govern: parsing 1/3 documents…`)).toBe(true);
    expect(tty.err.endsWith(CLEAR)).toBe(true);
    for (const frame of tty.err.split(CLEAR).filter(Boolean)) expect(frame).toMatch(/^govern: (parsing [1-3]\/3 documents|building the graph of 3 documents)…$/);
    // Not a terminal, or a load quicker than the default second: nothing.
    expect((await cli(['graph', '--json', '--no-cache', '--root', root], { env: { GOVERN_PROGRESS_AFTER_MS: '0' } })).err).toBe('');
    expect((await cli(['graph', '--json', '--no-cache', '--root', root], { stderrIsTTY: true })).err).toBe('');
  });
});

describe('govern completion bash|zsh|fish', () => {
  it('every command, subcommand, option and choice of the program is in each script', async () => {
    const ctx = { cwd: '/', env: {}, stdout: { write: () => true }, stderr: { write: () => true } };
    const inline = createProgram(ctx, () => undefined);
    const model = completionModel(createProgram(ctx, () => undefined, await commandGroupsFor([], inline)));
    expect(model.map((c) => c.path.join(' '))).toContain('binder ingest');
    const scripts = Object.fromEntries(await Promise.all(['bash', 'zsh', 'fish'].map(async (sh) => [sh, await cli(['completion', sh])] as const)));
    for (const [sh, r] of Object.entries(scripts)) expect({ sh, code: r.code, err: r.err }).toEqual({ sh, code: 0, err: '' });
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const c of model) {
      const path = c.path.join(' ');
      // bash: the words offered after the command path.
      const words = new RegExp(`^ {4}'${esc(path)}'\\) words='([^']*)' ;;$`, 'm').exec(scripts.bash!.out)?.[1]?.split(' ');
      // zsh: the command's function; fish: its lines.
      const fn = new RegExp(`^${esc(['_govern', ...c.path].join('_'))}\\(\\) \\{\\n([\\s\\S]*?)\\n\\}$`, 'm').exec(scripts.zsh!.out)?.[1] ?? '';
      const fish = scripts.fish!.out.split('\n').filter((l) => l.startsWith(`complete -c govern -n '__govern_at "${path}"' `));
      for (const s of c.subcommands) {
        expect(words, `bash ${path} ${s.name}`).toContain(s.name);
        expect(fn, `zsh ${path} ${s.name}`).toContain(`'${s.name}:`);
        expect(fish.some((l) => l.includes(` -a '${s.name}' `)), `fish ${path} ${s.name}`).toBe(true);
      }
      for (const o of c.options) {
        expect(words, `bash ${path} ${o.long}`).toContain(o.long);
        expect(fn, `zsh ${path} ${o.long}`).toContain(`${o.long}[`);
        expect(fish.some((l) => l.includes(` -l ${o.long.slice(2)} `) || l.includes(` -l ${o.long.slice(2)}\n`)), `fish ${path} ${o.long}`).toBe(true);
        for (const choice of o.choices ?? []) {
          expect(scripts.bash!.out, `bash ${path} ${o.long} ${choice}`).toMatch(new RegExp(`'${esc(path)}:${esc(o.long)}'\\) COMPREPLY=\\(\\$\\(compgen -W '[^']*\\b${esc(choice)}\\b`));
          expect(fn, `zsh ${path} ${o.long} ${choice}`).toMatch(new RegExp(`${esc(o.long)}\\[[^\\]]*\\]:[^:]*:\\([^)]*\\b${esc(choice)}\\b`));
          expect(fish.some((l) => l.includes(` -l ${o.long.slice(2)} -x -a '`) && l.includes(choice)), `fish ${path} ${o.long} ${choice}`).toBe(true);
        }
      }
      for (const choice of c.arguments.flatMap((a) => a.choices ?? [])) {
        expect(words, `bash ${path} ${choice}`).toContain(choice);
        expect(fn, `zsh ${path} ${choice}`).toMatch(new RegExp(`'\\d+:[^:]+:\\([^)]*\\b${esc(choice)}\\b`));
        expect(fish.some((l) => l.includes(` -a '`) && l.includes(choice)), `fish ${path} ${choice}`).toBe(true);
      }
    }
  });

  it('an unknown shell is a usage error listing the shells', async () => {
    expect(await cli(['completion', 'powershell'])).toEqual({
      code: 2,
      out: '',
      err: "error: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n(run with --help for usage)\n",
    });
  });
});
