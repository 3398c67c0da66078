import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { diffTrees, FOREIGN_FILES, outsideBoundary, seedForeignFiles, snapshotTree } from './sandbox.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

describe('the side-effect instruments', () => {
  test('a snapshot sees files, directories and links; the diff names each change; the boundary sorts them', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-sandbox-'));
    roots.push(root);
    seedForeignFiles(root);
    const before = snapshotTree(root);
    expect([...before.keys()]).toEqual(['.govern', '.govern/adapters', '.govern/adapters/another-pack', '.govern/adapters/another-pack/data.json', '.govern/config-of-someone-else.yaml', 'README.md']);
    expect(Object.keys(FOREIGN_FILES).every((f) => before.get(f)?.startsWith('file:'))).toBe(true);

    fs.mkdirSync(path.join(root, '.govern/adapters/mine/graph'), { recursive: true });
    fs.writeFileSync(path.join(root, '.govern/adapters/mine/graph/main.json'), '{}');
    fs.writeFileSync(path.join(root, 'README.md'), 'changed');
    fs.rmSync(path.join(root, '.govern/adapters/another-pack'), { recursive: true });
    fs.symlinkSync('/etc', path.join(root, 'escape'));
    fs.mkdirSync(path.join(root, 'stray'));
    const changes = diffTrees(before, snapshotTree(root));
    expect(changes).toEqual([
      { path: '.govern/adapters/another-pack', change: 'removed', kind: 'dir' },
      { path: '.govern/adapters/another-pack/data.json', change: 'removed', kind: 'file' },
      { path: '.govern/adapters/mine', change: 'added', kind: 'dir' },
      { path: '.govern/adapters/mine/graph', change: 'added', kind: 'dir' },
      { path: '.govern/adapters/mine/graph/main.json', change: 'added', kind: 'file' },
      { path: 'README.md', change: 'modified', kind: 'file' },
      { path: 'escape', change: 'added', kind: 'link' },
      { path: 'stray', change: 'added', kind: 'dir' },
    ]);
    expect(outsideBoundary(changes, { paths: ['.govern/adapters/mine/**'], tables: [], remote: [] }).map((c) => c.path)).toEqual([
      '.govern/adapters/another-pack',
      '.govern/adapters/another-pack/data.json',
      'README.md',
      'escape',
      'stray',
    ]);
  });
});
