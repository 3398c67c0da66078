import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../context.js';
import { loadWorkspace, WorkspaceEngine, type Workspace } from '@govern/workspace';
import { printNext, type NextOptions } from './next.js';
import { printStatus, type StatusOptions } from './status.js';
import { printValidate, type ValidateOptions } from './validate.js';

// `next`, `status` and `validate` read the workspace's item index (no graph built, no
// parse result decoded). Here each prints, over random roots and random edits, exactly
// what it prints when it reads the graph (the same workspace without its index).

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-read-index-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(rel: string, text: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

/** mulberry32: seeded, so a failure replays. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof rng>;

// Few ids, shared by every document: duplicates, unknown and self dependencies and cycles are frequent.
const IDS = ['LM-01', 'LM-02', 'LM-03', 'LM-04', 'LM-05', 'LM-06'];
const STATUSES = ['Done', 'Planned', 'In progress', 'Blocked', 'Partial', 'Eventually'];
const PATHS = ['trackers/a.md', 'trackers/b.md', 'workplans/wp-1.md', 'workplans/wp-2.md', 'workplans/wp-3.md', 'workplans/specs/001-x/tasks.md', 'workplans/notes.md'];

function tracker(r: Rng): string {
  const rows: string[] = [];
  for (let i = r.int(0, 4); i > 0; i--) {
    const deps = Array.from({ length: r.int(0, 2) }, () => (r.next() < 0.1 ? 'LM-99' : r.pick([...IDS, 'WP-01-T01', 'WP-02'])));
    rows.push(`| ${r.pick(IDS)} Row ${r.int(1, 9)} | ${deps.length ? deps.join(', ') : '-'} | ${r.pick(STATUSES)} |`);
  }
  return `# Tracker\n\n| Milestone | Depends On | Status |\n|---|---|---|\n${rows.join('\n')}\n`;
}

function workplan(r: Rng, n: number): string {
  const deps = Array.from({ length: r.int(0, 2) }, () => r.pick(IDS));
  const tasks = Array.from({ length: r.int(1, 3) }, (_, i) => {
    const taskDeps = Array.from({ length: r.int(0, 1) }, () => r.pick([...IDS, `WP-0${n}-T01`]));
    return `## T0${i + 1} - Task ${i + 1}\n\nid: WP-0${n}-T0${i + 1}\nstatus: ${r.pick(['planned', 'done', 'in_progress', 'partial', 'blocked'])}\npriority: ${r.pick(['high', 'medium', 'low', 'urgent-ish'])}\n${taskDeps.length ? `depends_on: ${taskDeps.join(', ')}\n` : ''}`;
  });
  return `---\nid: WP-0${n}\ntype: workplan\ntitle: Work ${n}\nstatus: ${r.pick(['planned', 'in_progress', 'done'])}\n${deps.length ? `depends_on: [${deps.join(', ')}]\n` : ''}---\n\n${tasks.join('\n')}`;
}

function contentFor(r: Rng, rel: string): string {
  if (rel.startsWith('trackers/')) return tracker(r);
  if (rel.includes('/wp-')) return workplan(r, r.int(1, 3));
  if (rel.endsWith('tasks.md')) return `# Tasks\n\n## Phase 1: Setup\n\nStatus: ${r.pick(STATUSES)}\n\n- [ ] T001 Write it\n- [x] T002 Test it (depends on T00${r.int(1, 3)})\n`;
  return r.next() < 0.5 ? '# Notes\n\nNothing here.\n' : tracker(r);
}

interface Printed {
  code: number | string;
  stdout: string;
  stderr: string;
}

function run(ws: Workspace, print: (ctx: Parameters<typeof printNext>[0], ws: Workspace) => number): Printed {
  let stdout = '';
  let stderr = '';
  const ctx = {
    cwd: root,
    env: {},
    stdout: { write: (s: string | Uint8Array) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  try {
    return { code: print(ctx, ws), stdout, stderr };
  } catch (err) {
    if (err instanceof UsageError) return { code: `usage: ${err.message}`, stdout, stderr };
    throw err;
  }
}

/** The same workspace without its index: the commands read the documents and the graph. */
function withoutIndex(ws: Workspace): Workspace {
  const full: Workspace = { ...ws };
  delete full.itemIndex;
  delete full.itemCount;
  return full;
}

/** Every variant of the three commands, each printed from the index and from the graph. */
function expectSameOutputs(ws: Workspace, r: Rng, label: string): number {
  const doc = r.pick([...PATHS, 'WP-01', 'WP-02', 'nothing.md']);
  const nexts: NextOptions[] = [{ json: true }, {}, { json: true, limit: 2 }, { json: true, doc }, { doc, status: ['planned'] }, { json: true, kind: ['task'] }];
  const statuses: StatusOptions[] = [{ json: true }, {}, { all: true }, { json: true, limit: 1 }, { json: true, doc }, { doc }, { json: true, status: ['planned', 'unknown'] }];
  const validates: ValidateOptions[] = [{ json: true }, {}, { strict: true }];
  const full = withoutIndex(ws);
  let compared = 0;
  const compare = (name: string, print: (ctx: Parameters<typeof printNext>[0], ws: Workspace) => number) => {
    expect(run(ws, print), `${label}: ${name}`).toEqual(run(full, print));
    compared++;
  };
  for (const o of nexts) compare(`next ${JSON.stringify(o)}`, (ctx, w) => printNext(ctx, o, w));
  for (const o of statuses) compare(`status ${JSON.stringify(o)}`, (ctx, w) => printStatus(ctx, o, w));
  for (const o of validates) compare(`validate ${JSON.stringify(o)}`, (ctx, w) => printValidate(ctx, o, w));
  return compared;
}

describe('next, status and validate read the item index', () => {
  it('print byte for byte what they print from the graph, over random roots and random edits (fresh loads and a long-lived engine)', async () => {
    let actionable = 0;
    for (const seed of [1, 2]) {
      const r = rng(seed);
      for (const rel of PATHS) if (r.next() < 0.8) write(rel, contentFor(r, rel));
      const engine = await WorkspaceEngine.open({ root });
      for (let step = 0; step < 12; step++) {
        const rel = r.pick(PATHS);
        const exists = fs.existsSync(path.join(root, rel));
        if (exists && r.next() < 0.2) fs.rmSync(path.join(root, rel));
        else write(rel, contentFor(r, rel));
        const label = `seed ${seed} step ${step} (${rel})`;
        // A fresh load (served from the store, patched, or updated) and the engine after an update.
        const fresh = await loadWorkspace({ root });
        expectSameOutputs(fresh, r, `${label}, fresh`);
        await engine.update([rel]);
        expectSameOutputs(engine.workspace(), r, `${label}, engine`);
        const again = await loadWorkspace({ root });
        expect(again.stats.parsed).toBe(0);
        expectSameOutputs(again, r, `${label}, warm`);
        // Once more: the index from the memo `again` saved (a warm `next` reads its head alone).
        const phases: string[] = [];
        const memo = await loadWorkspace({ root, trace: (p) => phases.push(p) });
        expectSameOutputs(memo, r, `${label}, memo`);
        expect(phases.filter((p) => p === 'index' || p === 'index-memo'), label).toEqual(['index-memo', 'index']);
        // And with `--doc` first: the memo's documents read before its actionable items.
        const doc = r.pick([...PATHS, 'WP-01']);
        const docFirst = await loadWorkspace({ root });
        expect(run(docFirst, (ctx, w) => printNext(ctx, { doc }, w)), label).toEqual(run(withoutIndex(docFirst), (ctx, w) => printNext(ctx, { doc }, w)));
        actionable += JSON.parse(run(again, (ctx, w) => printNext(ctx, { json: true }, w)).stdout).length;
      }
    }
    // The roots had something to answer.
    expect(actionable).toBeGreaterThan(20);
  });

  it('a warm run reads the index without decoding a parse result or building the graph', async () => {
    const r = rng(5);
    for (const rel of PATHS) write(rel, contentFor(r, rel));
    await loadWorkspace({ root });
    const phases: string[] = [];
    const ws = await loadWorkspace({ root, trace: (p) => phases.push(p) });
    run(ws, (ctx, w) => printNext(ctx, { json: true }, w));
    run(ws, (ctx, w) => printStatus(ctx, { json: true }, w));
    run(ws, (ctx, w) => printValidate(ctx, {}, w));
    // `materialize` (documents and graph index) never ran; the index once, computed (and kept in the store).
    expect(phases.filter((p) => p === 'materialize' || p === 'index' || p === 'index-memo')).toEqual(['index']);
    // The next warm run reads the index (items, rank, cycles) from the store, and prints the same.
    const again: string[] = [];
    const warm = await loadWorkspace({ root, trace: (p) => again.push(p) });
    expect(run(warm, (ctx, w) => printNext(ctx, { json: true }, w))).toEqual(run(ws, (ctx, w) => printNext(ctx, { json: true }, w)));
    expect(run(warm, (ctx, w) => printStatus(ctx, { json: true }, w))).toEqual(run(withoutIndex(ws), (ctx, w) => printStatus(ctx, { json: true }, w)));
    expect(again.filter((p) => p === 'materialize' || p === 'index' || p === 'index-memo')).toEqual(['index-memo', 'index']);
  });
});
