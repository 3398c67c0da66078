import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainFile, FileExplanationSchema, loadWorkspace, rootCoverage } from '@govern/workspace';
import { cli, OK_FILES, oneJson, tempRoot } from '../test-support.js';

// `govern explain` renders @govern/workspace's explainFile; `validate` reports a root that tracks nothing.

const ROADMAP = `# Roadmap

### Phase 1: Setup ✅ COMPLETE

### Phase 2: Billing

## Summary

| Milestone | Status |
|---|---|
| M1 Launch | Done |
`;

const TASKS = `# Tasks

## Phase 1: Setup

Status: In Progress

- [x] T001 Write it
- [ ] T002 Test it (depends on T001)
`;

const BOARD = `# Board

| Story | Title | Progress |
|---|---|---|
| S-1 | Login | Done |
`;

describe('govern explain', () => {
  it('--json prints the library object for the file, with the id the workspace gives it', async () => {
    const root = tempRoot({ 'workplans/a/tasks.md': TASKS, 'workplans/b/tasks.md': TASKS });
    const r = await cli(['explain', 'workplans/b/tasks.md', '--json', '--root', root]);
    expect([r.code, r.err]).toEqual([0, '']);
    const printed = FileExplanationSchema.strict().parse(oneJson(r.out));
    expect(printed).toEqual(explainFile(await loadWorkspace({ root, cacheDir: null }), 'workplans/b/tasks.md'));
    expect([printed.document?.id, printed.document?.idSource, printed.items.map((i) => [i.id, i.localId, i.statusFrom?.via])]).toEqual([
      'workplans/b/tasks',
      'path',
      [
        ['workplans/b/tasks:PHASE-1', 'PHASE-1', 'status-line'],
        ['workplans/b/tasks:T001', 'T001', 'checkbox'],
        ['workplans/b/tasks:T002', 'T002', 'checkbox'],
      ],
    ]);
  });

  it('renders the family and why, the items, what was read, and the diagnostics: a summary table beside headings reads both', async () => {
    const root = tempRoot({ 'trackers/roadmap.md': ROADMAP });
    const r = await cli(['explain', 'trackers/roadmap.md', '--root', root]);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: [
        'trackers/roadmap.md  (read by govern)',
        '  id       roadmap  — its file name without the extension: the front matter names no id',
        '  family   plan  — milestone headings (first at line 3) beside a milestone table (line 9): both are read, the table as their summary',
        '           also holds tracker structure: a milestone table (Milestone and Status columns) at line 9',
        '',
        'Items (3)',
        '  3:5     roadmap:PHASE-1  milestone from a heading  ✔ done  "✅ COMPLETE" from the heading at 3:20',
        '  5:5     roadmap:PHASE-2  milestone from a heading  ? unknown',
        '  11:3    roadmap:M1  milestone from a table row  ✔ done  "Done" from a table cell at 11:15',
        '',
        'Read',
        '  line 9    table: read by its columns: id "Milestone", status "Status" → roadmap:M1',
        '',
        'Skipped (0)',
        '  nothing that looks like tracking',
        '',
        'Diagnostics',
        'trackers/roadmap.md:5:5  warning  roadmap:PHASE-2 has no status  status-missing',
        '    note: add a status (for example Planned, In Progress, Done); a missing status is never guessed',
        '0 errors, 1 warning, 0 info',
        '',
      ].join('\n'),
    });
  });

  it('a file with nothing to track says what was looked for, and that govern does not discover it', async () => {
    const root = tempRoot({ 'docs/board.md': BOARD });
    const r = await cli(['explain', 'docs/board.md', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('docs/board.md  (not discovered: govern does not read this file; add a glob for it to `include:` in govern.config.yaml)\n');
    expect(r.out).toContain(
      [
        'Skipped (1)',
        '  line 3    table: | Story | Title | Progress |',
        '            not read by its columns: neither a status nor a depends column  table-roles-missing',
        '            → in the profile: add "progress" to tableColumns.status',
        '',
        'Nothing to track. Looked for:',
        '  - a milestone table: a table with a `Milestone` and a `Status` column (a tracker)',
      ].join('\n'),
    );
  });

  it('a place wider than its column is still set apart from what follows (`lines 4, 5list:` before)', async () => {
    const root = tempRoot({ 'docs/roadmap.md': '# Roadmap\n\n## Near Term\n- [ ] Help center\n- [x] GDPR\n' });
    const r = await cli(['explain', 'docs/roadmap.md', '--root', root, '--no-color']);
    expect(r.out.split('\n').filter((l) => l.includes('list: Help center'))).toEqual(['  lines 4, 5 list: Help center']);
  });

  it('finds the file from the working directory, from the root, or by document id; exit 1 when it has an error', async () => {
    // govern.config.yaml marks the root for the run from a subfolder.
    const root = tempRoot({ ...OK_FILES, 'govern.config.yaml': 'include: []\n', 'workplans/bad.md': '---\nid: [unclosed\n---\n# Bad\n' });
    const byCwd = await cli(['explain', 'kickoff.md', '--json'], { cwd: path.join(root, 'workplans') });
    const byRoot = await cli(['explain', 'workplans/kickoff.md', '--json', '--root', root]);
    const byId = await cli(['explain', 'kickoff', '--json', '--root', root]);
    expect((oneJson(byRoot.out) as { file: string }).file).toBe('workplans/kickoff.md');
    expect([byCwd.out, byId.out]).toEqual([byRoot.out, byRoot.out]);
    const bad = await cli(['explain', 'workplans/bad.md', '--json', '--root', root]);
    expect([bad.code, (oneJson(bad.out) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code)]).toEqual([1, ['front-matter-yaml', 'no-governance-content']]);
  });

  it('2 for a file that does not exist or is outside the root: message on stderr, nothing on stdout', async () => {
    const root = tempRoot(OK_FILES);
    expect(await cli(['explain', 'nope.md', '--root', root], { cwd: root })).toEqual({
      code: 2,
      out: '',
      err: `govern: nope.md: no such file (from ${root} or the root ${root}), and no document has that id\n`,
    });
    const outside = tempRoot({ 'x.md': '# X\n' });
    expect(await cli(['explain', path.join(outside, 'x.md'), '--root', root])).toEqual({
      code: 2,
      out: '',
      err: `govern: ${path.join(outside, 'x.md')}: not a file inside the root ${root}\n`,
    });
  });
});

describe('govern validate on a root that tracks nothing', () => {
  it('an empty root is a warning (exit 0), an error with --strict (exit 1)', async () => {
    const root = tempRoot();
    const warn = await cli(['validate', '--root', root]);
    expect([warn.code, warn.out.split('\n')[0]]).toEqual([
      0,
      'govern.config.yaml:1:1  warning  no documents found: govern reads workplans/ and trackers/ (*.md, recursively) and the include globs of govern.config.yaml (none)  root-empty',
    ]);
    const strict = await cli(['validate', '--strict', '--json', '--root', root]);
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect([strict.code, oneJson(strict.out)]).toEqual([1, { ok: false, files: 0, errors: 1, warnings: 0, infos: 0, diagnostics: rootCoverage(ws, true) }]);
  });

  it('documents with nothing to track: root-untracked; a root with items has neither, --strict or not', async () => {
    const root = tempRoot({ 'workplans/board.md': BOARD });
    const r = await cli(['validate', '--strict', '--json', '--root', root]);
    expect([r.code, (oneJson(r.out) as { diagnostics: { code: string; severity: string }[] }).diagnostics.map((d) => [d.code, d.severity])]).toEqual([
      1,
      [
        ['root-untracked', 'error'],
        ['no-governance-content', 'info'],
      ],
    ]);
    const ok = tempRoot(OK_FILES);
    expect((await cli(['validate', '--strict', '--json', '--root', ok])).out).toBe((await cli(['validate', '--json', '--root', ok])).out);
  });

  it('--help documents --strict', async () => {
    expect((await cli(['validate', '--help'])).out).toContain('--strict');
  });
});
