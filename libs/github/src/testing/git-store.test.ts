import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { GitStore } from './git-store.js';

// The loopback GitHub's object ids are git's own: checked against the git binary.
test('trees and commits hash exactly as git computes them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-gitstore-'));
  try {
    const files: Record<string, string> = { 'a.txt': 'a\n', 'a-b/x.md': 'x\n', 'a/b/c.json': '{}\n', 'z.md': 'z\n' };
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@x.test', GIT_AUTHOR_DATE: '2017-10-10T16:00:00Z', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@x.test', GIT_COMMITTER_DATE: '2017-10-10T16:00:00Z' },
      }).trim();
    git('init', '-q');
    for (const [p, t] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), t);
    }
    git('add', '.');
    const store = new GitStore();
    const tree = store.addTree(new Map(Object.entries(files).map(([p, t]) => [p, { mode: '100644', sha: store.addBlob(Buffer.from(t)) }])));
    expect(tree).toBe(git('write-tree'));
    const commit = store.addCommit({ tree, parents: [], message: 'm\n', author: { name: 'A', email: 'a@x.test', date: '2017-10-10T16:00:00Z' } });
    expect(commit).toBe(git('commit-tree', tree, '-m', 'm'));
    expect(store.listings.get(tree)!.map((e) => `${e.type} ${e.path}`)).toEqual(git('ls-tree', '-r', '-t', '--name-only', tree).split('\n').map((p) => `${p.includes('.') ? 'blob' : 'tree'} ${p}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
