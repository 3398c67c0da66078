import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '@govern/workspace';
import { evaluateGates, isEnabled } from './evaluate.js';
import { gateReport } from './report.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-gates-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const TRACKER = `# Tracker

| Order | Milestone | Scope | Priority | Depends On | Status |
|---:|---|---|---|---|---|
| 1 | GV-01 Read path | x | P0 | - | Done |
| 2 | GV-02 Gates | x | P0 | GV-01 | In Progress |
`;

const CONFIG = `gates:
  reader:
    description: the read path
    requires: [GV-01]
  writer:
    requires:
      - GV-01
      - GV-02
      - GV-09
    project: libs/writer
`;

describe('evaluateGates', () => {
  it('enables a gate whose milestones are all done and names each blocker of a disabled one, with where its status is written', async () => {
    const ws = await loadWorkspace({ root: repo({ 'trackers/t.md': TRACKER, 'govern.config.yaml': CONFIG }), cacheDir: null });
    const done = { id: 'GV-01', found: true, title: 'Read path', status: 'done', statusText: 'Done', done: true, file: 'trackers/t.md', line: 5, column: 38 };
    const inProgress = { id: 'GV-02', found: true, title: 'Gates', status: 'in_progress', statusText: 'In Progress', done: false, file: 'trackers/t.md', line: 6, column: 38 };
    const unknown = { id: 'GV-09', found: false, title: null, status: null, statusText: null, done: false, file: 'govern.config.yaml', line: 9, column: 9 };
    expect(evaluateGates(ws)).toEqual({
      value: [
        {
          name: 'reader',
          description: 'the read path',
          project: null,
          enabled: true,
          requires: [done],
          blockedBy: [],
          source: { file: 'govern.config.yaml', line: 2, column: 3 },
        },
        {
          name: 'writer',
          description: null,
          project: 'libs/writer',
          enabled: false,
          requires: [done, inProgress, unknown],
          blockedBy: [inProgress, unknown],
          source: { file: 'govern.config.yaml', line: 5, column: 3 },
        },
      ],
      diagnostics: [
        {
          severity: 'error',
          code: 'gate-unknown-milestone',
          message: 'gate writer requires GV-09, which no document defines; the gate stays disabled',
          file: 'govern.config.yaml',
          line: 9,
          column: 9,
        },
      ],
    });
    expect([isEnabled(ws, 'reader'), isEnabled(ws, 'writer'), isEnabled(ws, 'nope')]).toEqual([true, false, false]);
  });

  it('points a workplan blocker at its status line, not at its id', async () => {
    const ws = await loadWorkspace({
      root: repo({
        'workplans/wp.md': '---\nid: WP-1\ntype: workplan\ntitle: Work\nstatus: planned\n---\n\n## T01 - First\n\nid: WP-1-T01\nstatus: finished\n',
        'govern.config.yaml': 'gates:\n  work:\n    requires: [WP-1, WP-1-T01]\n',
      }),
      cacheDir: null,
    });
    const [gate] = evaluateGates(ws).value;
    expect(gate?.blockedBy).toEqual([
      { id: 'WP-1', found: true, title: 'Work', status: 'planned', statusText: 'planned', done: false, file: 'workplans/wp.md', line: 5, column: 9 },
    ]);
    expect(gate?.requires[1]).toMatchObject({ id: 'WP-1-T01', done: true, file: 'workplans/wp.md', line: 11, column: 9 });
  });

  it('has no gates and no diagnostics without a gates: key', async () => {
    const ws = await loadWorkspace({ root: repo({ 'trackers/t.md': TRACKER }), cacheDir: null });
    expect(evaluateGates(ws)).toEqual({ value: [], diagnostics: [] });
  });
});

describe('gateReport', () => {
  it('reports a project folder that does not exist yet as info, and one that exists as such', async () => {
    const root = repo({
      'trackers/t.md': TRACKER,
      'govern.config.yaml': 'gates:\n  reader:\n    requires: [GV-01]\n    project: libs/reader\n  writer:\n    requires: [GV-02]\n    project: libs/writer\n',
      'libs/reader/package.json': '{}',
    });
    const report = gateReport(await loadWorkspace({ root, cacheDir: null }));
    expect(report.gates.map((g) => [g.name, g.enabled, g.projectExists])).toEqual([
      ['reader', true, true],
      ['writer', false, false],
    ]);
    expect(report.diagnostics).toEqual([
      { severity: 'info', code: 'gate-project-missing', message: 'gate writer governs libs/writer, which does not exist yet', file: 'govern.config.yaml', line: 7, column: 14 },
    ]);
  });
});
