import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadWorkspace } from '@govern/workspace';
import { appendAudit } from '@govern/write';
import { gitShim, REAL_GIT, type GitShim } from './test-support.js';

// A `git` first on PATH that logs each command line (test-support.ts). @govern/history
// captures the environment (PATH included) when it is first imported, so the audit is
// imported again after PATH names the shim (beforeAll).
const dirs: string[] = [];
let shim: GitShim;
let audit: typeof import('./audit.js');
let git: typeof import('./git.js');
beforeAll(async () => {
  shim = gitShim();
  vi.resetModules();
  audit = await import('./audit.js');
  git = await import('./git.js');
});
afterAll(() => {
  shim.restore();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The git command lines run by `fn`, as the shim logged them. */
function gitRuns(fn: () => void): string[] {
  shim.clear();
  fn();
  return shim.read();
}

function repo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-audit-scope-'));
  dirs.push(root);
  return root;
}
const sh = (root: string, ...args: string[]) =>
  execFileSync(REAL_GIT, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' }).trim();
const tracker = (a: string, b: string, s1: string) => `# ${a}

| Order | Milestone | Depends On | Status |
|---:|---|---|---|
| 1 | ${a}-01 One | - | ${s1} |
| 2 | ${a}-02 Two | - | Planned |
| 3 | ${b} | - | Planned |
`;

describe('an audit scoped to some documents (the phase audit of govern close)', () => {
  it('reads the git history of those documents only, and reports what the whole audit reports for them', async () => {
    const root = repo();
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    write('trackers/a.md', tracker('AB', 'AB-03 Three', 'Planned'));
    write('trackers/b.md', tracker('CD', 'CD-03 Three', 'Planned'));
    sh(root, 'init', '-q');
    sh(root, 'add', '-A');
    sh(root, 'commit', '-qm', 'start');
    // The audit log's first record is the adoption: hand edits after it are reported.
    await appendAudit(root, { action: 'set-status', actor: 't', via: 'test', item: 'AB-02', file: 'trackers/a.md', from: { status: 'planned', text: 'Planned' }, to: { status: 'planned', text: 'Planned' }, hashBefore: null, hashAfter: null, reason: null, forced: [], evidence: null });
    // Both documents set an item done by hand.
    write('trackers/a.md', tracker('AB', 'AB-03 Three', 'Done'));
    write('trackers/b.md', tracker('CD', 'CD-03 Three', 'Done'));
    const ws = await loadWorkspace({ root, cacheDir: null });

    let whole!: ReturnType<typeof audit.auditWorkspace>;
    const wholeRuns = gitRuns(() => (whole = audit.auditWorkspace(ws)));
    let scoped!: ReturnType<typeof audit.auditWorkspace>;
    const scopedRuns = gitRuns(() => (scoped = audit.auditWorkspace(ws, { documents: new Set(['trackers/a.md']) })));

    const found = (file: string) => [
      { severity: 'error', code: 'hand-edit-done', file, line: 5, column: 7 },
      { severity: 'error', code: 'evidence-missing', file, line: 5, column: 23 },
    ];
    const brief = (r: typeof whole) => r.diagnostics.map((d) => ({ severity: d.severity, code: d.code, file: d.file, line: d.line, column: d.column }));
    expect(brief(whole)).toEqual([...found('trackers/a.md'), ...found('trackers/b.md')]);
    expect({ diagnostics: scoped.diagnostics, checked: scoped.checked }).toEqual({
      diagnostics: whole.diagnostics.filter((d) => d.file === 'trackers/a.md'),
      checked: { doneItems: 1, evidenceRoots: 0, claims: 0 },
    });
    // The whole audit reads both histories; the scoped one never names the other document.
    const naming = (runs: string[], file: string) => runs.filter((r) => r.split(' ').includes(file)).length;
    expect([naming(wholeRuns, 'trackers/a.md'), naming(wholeRuns, 'trackers/b.md')]).toEqual([1, 1]);
    expect([naming(scopedRuns, 'trackers/a.md'), naming(scopedRuns, 'trackers/b.md')]).toEqual([1, 0]);
  });

  it('staleness lists the untracked files once per audit, not once per recorded commit', () => {
    const root = repo();
    fs.writeFileSync(path.join(root, 'a.txt'), '1\n');
    sh(root, 'init', '-q');
    sh(root, 'add', '-A');
    sh(root, 'commit', '-qm', 'one');
    const c1 = sh(root, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(root, 'b.txt'), '2\n');
    sh(root, 'add', '-A');
    sh(root, 'commit', '-qm', 'two');
    const c2 = sh(root, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(root, 'a.txt'), 'changed\n');
    fs.writeFileSync(path.join(root, 'new.txt'), 'untracked\n');
    const g = new git.Git(root);
    let changed: (string[] | null)[] = [];
    const runs = gitRuns(() => (changed = [g.changedSince(c1), g.changedSince(c2), g.changedSince(c1)]));
    expect(changed).toEqual([['a.txt', 'b.txt', 'new.txt'], ['a.txt', 'new.txt'], ['a.txt', 'b.txt', 'new.txt']]);
    expect(runs).toEqual([`diff --name-only --no-renames ${c1} --`, 'ls-files --others --exclude-standard', `diff --name-only --no-renames ${c2} --`]);
  });
});
