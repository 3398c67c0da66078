import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileProfile, DEFAULT_PROFILE } from '@govern/workplan';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPlanningDocuments, MAX_FILES_LOOKED_AT } from './index.js';

// What `govern init` includes: the documents outside workplans/ and trackers/ that hold items.

const PROFILE = compileProfile(DEFAULT_PROFILE);
const TRACKER = '| Milestone | Status |\n|---|---|\n| RM-01 Parser | Planned |\n';
const NAMED_TABLE = '| Spec | Status |\n|---|---|\n| API | Draft |\n| UI | Complete |\n';
const CHECKLIST = '# Notes\n\n- [x] fast\n- [ ] small\n';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-find-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

describe('findPlanningDocuments', () => {
  it('in git: tracked and untracked files, not ignored ones; a table a rule reads is a hint anywhere, a checklist only in a file named for planning', () => {
    write({
      'ROADMAP.md': TRACKER,
      'docs/new-plan.md': TRACKER.replace('RM-01', 'NP-01'), // untracked, not ignored
      'build-notes/x.md': TRACKER.replace('RM-01', 'IG-01'), // ignored
      '.gitignore': 'build-notes/\n',
      'trackers/t.md': TRACKER.replace('RM-01', 'TR-01'), // read by default already
      'docs/specs.md': NAMED_TABLE,
      'README.md': CHECKLIST,
      'TODO.md': CHECKLIST,
      'docs/fixtures/plan.md': TRACKER.replace('RM-01', 'FX-01'),
    });
    execFileSync('git', ['init', '-q'], { cwd: root });
    execFileSync('git', ['add', 'ROADMAP.md', '.gitignore'], { cwd: root });
    expect(findPlanningDocuments(root, PROFILE)).toEqual({
      tracked: [
        { file: 'ROADMAP.md', items: 1 },
        { file: 'docs/new-plan.md', items: 1 },
      ],
      hinted: [
        { file: 'TODO.md', rules: [expect.stringContaining('declare `type: plan`')] },
        { file: 'docs/specs.md', rules: ['in the profile: add "spec" to tableColumns.id'] },
      ],
      lookedAt: 5,
      notRead: 0,
      source: 'git',
    });
  });

  it('outside git: a walk; a file over 1 MB is counted, not read', () => {
    write({ 'plans/a.md': TRACKER, 'plans/big.md': `${TRACKER}\n${'x'.repeat(1024 * 1024)}\n`, 'dist/plan.md': TRACKER });
    expect(findPlanningDocuments(root, PROFILE)).toEqual({ tracked: [{ file: 'plans/a.md', items: 1 }], hinted: [], lookedAt: 2, notRead: 1, source: 'walk' });
    expect(MAX_FILES_LOOKED_AT).toBe(2000);
  });
});
