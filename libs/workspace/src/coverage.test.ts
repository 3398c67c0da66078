import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainFile, FileExplanationSchema, loadWorkspace, rootCoverage } from './index.js';

// `validate`'s check that a root tracks something, and `explain`'s view of one file of a root.

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-coverage-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

const load = () => loadWorkspace({ root, cacheDir: null });
const PLAN = '# Plan\n\n## Phase 1: Setup\n\nStatus: Done\n';

describe('rootCoverage', () => {
  it('no documents: root-empty, a warning, or an error when strict; it names where govern looked', async () => {
    const ws = await load();
    const empty = {
      code: 'root-empty',
      message: 'no documents found: govern reads workplans/ and trackers/ (*.md, recursively) and the include globs of govern.config.yaml (none)',
      file: 'govern.config.yaml',
      line: 1,
      column: 1,
      note: 'create govern.config.yaml with an `include:` glob for your planning documents',
    };
    expect(rootCoverage(ws, false)).toEqual([{ severity: 'warning', ...empty }]);
    expect(rootCoverage(ws, true)).toEqual([{ severity: 'error', ...empty }]);
  });

  it('names the include globs of the configuration', async () => {
    write('govern.config.yaml', 'include:\n  - "specs/**/*.md"\n');
    expect((await load()).diagnostics).toEqual([]);
    expect(rootCoverage(await load(), false)).toEqual([
      {
        severity: 'warning',
        code: 'root-empty',
        message: 'no documents found: govern reads workplans/ and trackers/ (*.md, recursively) and the include globs of govern.config.yaml (`specs/**/*.md`)',
        file: 'govern.config.yaml',
        line: 1,
        column: 1,
        note: 'add an `include:` glob for your planning documents',
      },
    ]);
  });

  it('documents with nothing to track: root-untracked, naming each document', async () => {
    write('workplans/notes.md', '# Notes\n\nProse only.\n');
    write('trackers/empty.md', '# Tracker\n\n| Milestone | Status |\n|---|---|\n');
    expect(rootCoverage(await load(), true)).toEqual([
      {
        severity: 'error',
        code: 'root-untracked',
        message: '2 documents found, none with anything to track: no milestone, task or workplan in any',
        file: 'govern.config.yaml',
        line: 1,
        column: 1,
        note: 'run `govern explain <file>` to see what each file holds and which profile rule would read it',
        related: [
          { file: 'trackers/empty.md', line: 1, column: 1, message: 'a tracker without items' },
          { file: 'workplans/notes.md', line: 1, column: 1, message: 'nothing to track' },
        ],
      },
    ]);
  });

  it('a root with an item is covered', async () => {
    write('workplans/plan.md', PLAN);
    write('workplans/notes.md', '# Notes\n');
    expect(rootCoverage(await load(), true)).toEqual([]);
  });
});

describe('explainFile', () => {
  it('explains a file with the id the workspace gives it, and says it is discovered', async () => {
    write('workplans/a/plan.md', PLAN);
    write('workplans/b/plan.md', PLAN);
    const e = explainFile(await load(), 'workplans/a/plan.md');
    expect(FileExplanationSchema.strict().parse(e)).toEqual(e);
    expect([e.discovered, e.document?.id, e.document?.idSource, e.document?.idReason, e.items.map((i) => i.id)]).toEqual([
      true,
      'workplans/a/plan',
      'path',
      'its path without the extension: another file of the root has the same name, and the front matter names no id',
      ['workplans/a/plan:PHASE-1'],
    ]);
  });

  it('a file outside discovery is explained, and marked as not discovered', async () => {
    write('docs/plan.md', PLAN);
    const e = explainFile(await load(), 'docs/plan.md');
    expect([e.discovered, e.document?.id, e.items.map((i) => i.id)]).toEqual([false, 'plan', ['plan:PHASE-1']]);
  });

  it('a file that cannot be read is a diagnostic, not an exception', async () => {
    expect(explainFile(await load(), 'workplans/missing.md')).toEqual({
      file: 'workplans/missing.md',
      document: null,
      items: [],
      read: [],
      skipped: [],
      nothingToTrack: null,
      diagnostics: [{ severity: 'error', code: 'file-unreadable', message: 'cannot read file: ENOENT', file: 'workplans/missing.md', line: 1, column: 1 }],
      discovered: false,
    });
  });
});
