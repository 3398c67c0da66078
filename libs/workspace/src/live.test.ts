import crypto from 'node:crypto';
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
    const live = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, watch: false });
    closers.push(() => live.close());
    const first = await live.current();
    expect([...first.hashes.keys()]).toEqual(['workplans/a.md', 'workplans/b.md']);
    // Files written a moment ago are racy: hashed, found unchanged, and trusted from then on.
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 150));
    await live.changed();
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: 0 });
    const held = await live.current();
    fs.writeFileSync(path.join(root, 'workplans/b.md'), plan('WP-B', ['in_progress']));
    expect(await live.changed()).toEqual({ changed: ['workplans/b.md'], update: { parsed: 1, added: 0, removed: 0, reloaded: false }, hashed: 0 });
    expect((await live.current()).index.byId.get('WP-B-T01')?.status).toBe('in_progress');
    // A workspace's hashes are its own state's, even when first read after a later update.
    const sha = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
    expect([held.hashes.get('workplans/b.md'), (await live.current()).hashes.get('workplans/b.md')]).toEqual([sha(plan('WP-B', ['planned'])), sha(plan('WP-B', ['in_progress']))]);
  });

  test('the watcher applies an edit between calls, so the next call finds nothing left to do', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const live = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, debounceMs: 10 });
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
    const live = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, sweepMs: 60_000 });
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
    // The hashes (what a write's `expect` is checked against) are the files' as they are now, in the files' order.
    const sha = (rel: string) => crypto.createHash('sha256').update(fs.readFileSync(path.join(root, rel))).digest('hex');
    expect([...(await live.current()).hashes]).toEqual(Object.keys(files).sort().map((rel) => [rel, sha(rel)]));
    // A sweep is due once sweepMs has passed: an event the kernel dropped is seen then.
    const short = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, sweepMs: 0 });
    closers.push(async () => short.close());
    await short.current();
    await short.current();
    expect(short.sweeps).toBe(1);
  });

  test.runIf(process.platform === 'linux')('with a trusted watcher, folders that appear or go after the start are followed without a sweep', async () => {
    // No trackers/ at the start: it is watched once the root's watcher reports it.
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const live = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, sweepMs: 60_000 });
    closers.push(() => live.close());
    await live.current();
    const sweeps = live.sweeps;
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    const status = async (id: string) => (await live.current()).index.byId.get(id)?.status;
    // Past the racy window, and checked once: from then on a file is not hashed per call,
    // so only a watch event can reveal its next edit (no sweep is due).
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 150));
      await live.current();
    };
    // A new top-level document folder, and a folder nested two deep in a watched one
    // (no document in between: the folders' mtimes the call checks cannot reveal it).
    write('trackers/t.md', plan('WP-T', ['planned']));
    write('workplans/deep/er/b.md', plan('WP-B', ['planned']));
    expect([await status('WP-T-T01'), await status('WP-B-T01')]).toEqual(['planned', 'planned']);
    // Then edited with no wait: the new folders' watchers report it.
    for (const [step, s] of ['in_progress', 'done'].entries()) {
      await settle();
      write('trackers/t.md', plan('WP-T', [s]));
      expect(await status('WP-T-T01'), `step ${step}`).toBe(s);
      await settle();
      write('workplans/deep/er/b.md', plan('WP-B', [s]));
      expect(await status('WP-B-T01'), `step ${step}`).toBe(s);
    }
    // A folder that goes takes its documents with it; one made again in its place is watched again.
    fs.rmSync(path.join(root, 'workplans/deep'), { recursive: true });
    expect(await status('WP-B-T01')).toBeUndefined();
    write('workplans/deep/er/b.md', plan('WP-B', ['planned']));
    expect(await status('WP-B-T01')).toBe('planned');
    await settle();
    write('workplans/deep/er/b.md', plan('WP-B', ['done']));
    expect(await status('WP-B-T01')).toBe('done');
    expect(live.sweeps).toBe(sweeps);
  });

  test('a changed configuration loads everything again', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']), 'docs/x.md': plan('WP-X', ['planned']) });
    const live = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, watch: false });
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
    const live = new LiveWorkspace({ name: 'live test', load: { root, cacheDir: null }, debounceMs: 10, onUpdate: (s) => heard.push(s.changed) });
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
