import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LiveWorkspace } from './live.js';

// The long-lived workspace (`govern mcp`, the web view): real temporary repositories,
// files edited on disk between calls, the real watcher.

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const roots: string[] = [];
function tempRoot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-live-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** A workplan whose tasks have the given statuses (a status word of 11 letters or fewer keeps the file's size when swapped for another). */
function plan(id: string, statuses: string[]): string {
  const head = ['---', `id: ${id}`, 'type: workplan', `title: Plan ${id}`, 'status: in_progress', '---', ''];
  const tasks = statuses.flatMap((s, k) => [`## T0${k + 1} - Task ${k + 1}`, '', `id: ${id}-T0${k + 1}`, `status: ${s}`, '']);
  return [...head, ...tasks].join('\n');
}

describe('LiveWorkspace', () => {
  test('loads once, then hands the engine only what changed; an untouched root costs no update', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']), 'workplans/b.md': plan('WP-B', ['planned']) });
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, watch: false });
    closers.push(() => live.close());
    const first = await live.current();
    expect([...first.hashes.keys()]).toEqual(['workplans/a.md', 'workplans/b.md']);
    // Files written a moment ago are racy: hashed, found unchanged, and trusted from then on.
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 150));
    await live.changed();
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: 0 });
    fs.writeFileSync(path.join(root, 'workplans/b.md'), plan('WP-B', ['in_progress']));
    expect(await live.changed()).toEqual({ changed: ['workplans/b.md'], update: { parsed: 1, added: 0, removed: 0, reloaded: false }, hashed: 0 });
    expect((await live.current()).index.byId.get('WP-B-T01')?.status).toBe('in_progress');
  });

  test('the watcher applies an edit between calls, so the next call finds nothing left to do', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, debounceMs: 10 });
    closers.push(() => live.close());
    await live.current();
    fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['in_progress']));
    for (let waited = 0; live.updates === 0 && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(live.updates).toBe(1);
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: expect.any(Number) });
    expect((await live.current()).index.byId.get('WP-A-T01')?.status).toBe('in_progress');
  });

  test.runIf(process.platform === 'linux')('with a trusted watcher a call checks only what the watcher reported, and still serves every edit made before it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`workplans/p${i}.md`] = plan(`WP-${i}`, ['planned']);
    const root = tempRoot(files);
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, sweepMs: 60_000 });
    closers.push(async () => live.close());
    await live.current();
    const sweeps = live.sweeps;
    for (let step = 0; step < 12; step++) {
      const i = (step * 7) % 30;
      const status = step % 2 ? 'done' : 'in_progress';
      fs.writeFileSync(path.join(root, `workplans/p${i}.md`), plan(`WP-${i}`, [status]));
      // No wait: the write returned, then the call.
      const ws = await live.current();
      expect(ws.index.byId.get(`WP-${i}-T01`)?.status, `step ${step}`).toBe(status);
    }
    // No call stat'ed the 30 documents: the watcher's events (and the racy files) were enough.
    expect(live.sweeps).toBe(sweeps);
    // A sweep is due once sweepMs has passed: an event the kernel dropped is seen then.
    const short = new LiveWorkspace({ load: { root, cacheDir: null }, sweepMs: 0 });
    closers.push(async () => short.close());
    await short.current();
    await short.current();
    expect(short.sweeps).toBe(1);
  });

  test('a changed configuration loads everything again', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']), 'docs/x.md': plan('WP-X', ['planned']) });
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, watch: false });
    closers.push(() => live.close());
    expect((await live.current()).index.byId.has('WP-X-T01')).toBe(false);
    fs.writeFileSync(path.join(root, 'govern.config.yaml'), 'include:\n  - "workplans/**/*.md"\n  - "docs/**/*.md"\n');
    const s = await live.changed();
    expect(s.update?.reloaded).toBe(true);
    expect((await live.current()).index.byId.has('WP-X-T01')).toBe(true);
  });

  test('onUpdate hears every update the engine applied, from a call or from the watcher', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const heard: string[][] = [];
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, debounceMs: 10, onUpdate: (s) => heard.push(s.changed) });
    closers.push(() => live.close());
    await live.current();
    expect(heard).toEqual([]);
    fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['in_progress']));
    for (let waited = 0; live.updates === 0 && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['done']));
    await live.changed(['workplans/a.md']);
    expect(heard).toEqual([['workplans/a.md'], ['workplans/a.md']]);
  });
});
