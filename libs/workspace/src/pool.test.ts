import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleChild } from '@govern/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, compileProfile, pathDocumentIds } from '@govern/workplan';
import { readAndParse } from './parse-files.js';
import { parseInWorkers } from './pool.js';

// The real worker entry, bundled as the CLI bundles it (a worker thread cannot load TypeScript).
let dir: string;
let workerUrl: URL;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-pool-'));
  await bundleChild({ entryPoints: [path.join(import.meta.dirname, 'parse-worker.ts')], outfile: path.join(dir, 'parse-worker.mjs') });
  workerUrl = pathToFileURL(path.join(dir, 'parse-worker.mjs'));
}, 30_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function corpus(n: number): { root: string; files: string[] } {
  const root = fs.mkdtempSync(path.join(dir, 'root-'));
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    // Two folders with the same file names: the second one's documents are named by path.
    const rel = `workplans/${i % 2 ? 'a' : 'b'}/plan-${Math.floor(i / 2)}.md`;
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), `# Plan ${i}\n\n## M${i}: Milestone ${i}\n\nStatus: ${i % 3 ? 'Done' : 'Planned'}\n`);
    files.push(rel);
  }
  files.push('workplans/missing.md'); // unreadable: a diagnostic, not a failure
  return { root, files: files.sort() };
}

describe('parseInWorkers', () => {
  it('parses every file once, on this thread and a worker, as this thread alone would', async () => {
    const { root, files } = corpus(150);
    const pathIds = Object.fromEntries(pathDocumentIds(files));
    const done: number[] = [];
    const got = await parseInWorkers(workerUrl, root, DEFAULT_PROFILE, files, 2, { engine: 'auto' }, pathIds, (n) => done.push(n));
    const compiled = compileProfile(DEFAULT_PROFILE);
    const want = files.map((f) => readAndParse(root, f, compiled, { engine: 'auto' }, pathIds[f]));
    expect([...got].sort((a, b) => (a.file < b.file ? -1 : 1))).toEqual(want);
    expect(done.at(-1)).toBe(files.length);
  });

  it('with one participant parses on this thread only', async () => {
    const { root, files } = corpus(5);
    const bad = pathToFileURL(path.join(dir, 'no-such-worker.mjs'));
    const got = await parseInWorkers(bad, root, DEFAULT_PROFILE, files, 1);
    expect(got.map((p) => p.file)).toEqual(files);
  });

  it('rejects when a worker fails', async () => {
    const { root, files } = corpus(40);
    const failing = path.join(dir, 'failing-worker.mjs');
    fs.writeFileSync(failing, "throw new Error('worker broke');\n");
    await expect(parseInWorkers(pathToFileURL(failing), root, DEFAULT_PROFILE, files, 2)).rejects.toThrow('worker broke');
  });
});
