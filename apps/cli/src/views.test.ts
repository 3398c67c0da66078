import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockersOf, reverseIndex, type GraphNode } from '@govern/graph';
import { WorkspaceEngine, type Workspace } from '@govern/workspace';
import { TempRoot, rng, type Rng } from '@govern/workspace/testing';
import { itemView, type ItemView } from './views.js';

// `itemView` (the MCP `item` tool, `govern task show --json`) reads its dependents from the
// graph's reverse index, which follows the engine's patched indexes across edits. Here, over
// the engine's own updates: after each edit — a status, or a dependency added or dropped —
// every item's view is what the scan of every node and the file on disk say.

let tmp: TempRoot;
let root: string;
beforeEach(() => {
  tmp = new TempRoot('govern-views-');
  root = tmp.path;
});
afterEach(() => {
  tmp.dispose();
});

const STATUSES = ['Done', 'Planned', 'In progress', 'Blocked', 'Partial'];

/** Tracker `t`: rows TR-t-1..n with the dependencies given, statuses random. */
function tracker(r: Rng, t: number, deps: string[][]): string {
  const rows = deps.map((d, i) => `| TR-${t}-${i + 1} Item | ${d.length ? d.join(', ') : '-'} | ${r.pick(STATUSES)} |`);
  return `# Tracker ${t}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n${rows.join('\n')}\n`;
}

/** Workplan `w`, depending on `deps`, holding tasks T01..T03 (each after the one before). */
function workplan(w: number, deps: string[]): string {
  const tasks = [1, 2, 3].map((i) => `## T0${i} - Task ${i}\n\nid: WP-0${w}-T0${i}\nstatus: planned\n${i > 1 ? `depends_on: WP-0${w}-T0${i - 1}\n` : ''}`);
  return `---\nid: WP-0${w}\ntype: workplan\ntitle: Work ${w}\nstatus: planned\n${deps.length ? `depends_on: [${deps.join(', ')}]\n` : ''}---\n\n${tasks.join('\n')}`;
}

/** The view as the scan of every node and the file's bytes give it (what itemView answered before the reverse index). */
function scanned(ws: Workspace, node: GraphNode): ItemView {
  const bytes = fs.readFileSync(path.join(root, node.source.file));
  return {
    node,
    fileHash: createHash('sha256').update(bytes).digest('hex'),
    blockers: blockersOf(ws.index, node),
    dependents: ws.index.graph.nodes.filter((n) => n.dependsOn.includes(node.id)).map((n) => n.id),
  };
}

describe('itemView over the engine', () => {
  it('sees a dependency an edit adds at once', async () => {
    const r = rng(7);
    tmp.write('trackers/t1.md', tracker(r, 1, [[], ['TR-1-1'], []]));
    tmp.write('workplans/wp-1.md', workplan(1, []));
    const engine = await WorkspaceEngine.open({ root });
    let ws = engine.workspace();
    expect(itemView(ws, ws.index.byId.get('TR-1-3')!).dependents).toEqual([]);
    // The workplan now waits on TR-1-3; then TR-1-2 does too (before it in node order).
    tmp.write('workplans/wp-1.md', workplan(1, ['TR-1-3']));
    await engine.update(['workplans/wp-1.md']);
    ws = engine.workspace();
    expect(itemView(ws, ws.index.byId.get('TR-1-3')!)).toEqual(scanned(ws, ws.index.byId.get('TR-1-3')!));
    expect(itemView(ws, ws.index.byId.get('TR-1-3')!).dependents).toEqual(['WP-01']);
    tmp.write('trackers/t1.md', tracker(r, 1, [[], ['TR-1-1', 'TR-1-3'], []]));
    await engine.update(['trackers/t1.md']);
    ws = engine.workspace();
    expect(itemView(ws, ws.index.byId.get('TR-1-3')!).dependents).toEqual(['TR-1-2', 'WP-01']);
    expect(itemView(ws, ws.index.byId.get('TR-1-1')!).dependents).toEqual(['TR-1-2']);
  });

  it('answers what a scan of every node answers after random edits', async () => {
    let patched = 0;
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const trackerDeps = [1, 2].map((t) => Array.from({ length: 5 }, (_, i) => [...(i ? [`TR-${t}-${i}`] : []), ...(r.next() < 0.4 ? [`TR-${r.int(1, 2)}-${r.int(1, 5)}`] : [])]));
      const planDeps = [1, 2].map(() => (r.next() < 0.6 ? [`TR-${r.int(1, 2)}-${r.int(1, 5)}`] : []));
      const files = ['trackers/t1.md', 'trackers/t2.md', 'workplans/wp-1.md', 'workplans/wp-2.md'];
      const content = (rel: string) => (rel.startsWith('trackers/') ? tracker(r, Number(rel[10]), trackerDeps[Number(rel[10]) - 1]!) : workplan(Number(rel[13]), planDeps[Number(rel[13]) - 1]!));
      for (const rel of files) tmp.write(rel, content(rel));
      const engine = await WorkspaceEngine.open({ root });
      for (let step = 0; step < 20; step++) {
        const rel = r.pick(files);
        // Statuses mostly; now and then a dependency added or replaced.
        if (r.next() < 0.35) {
          const dep = `TR-${r.int(1, 2)}-${r.int(1, 5)}`;
          if (rel.startsWith('trackers/')) trackerDeps[Number(rel[10]) - 1]![r.int(0, 4)]!.push(dep);
          else planDeps[Number(rel[13]) - 1] = r.next() < 0.3 ? [] : [dep];
        }
        tmp.write(rel, content(rel));
        await engine.update([rel]);
        const ws = engine.workspace();
        for (const n of ws.index.graph.nodes) expect(itemView(ws, n), `seed ${seed} step ${step} ${n.id}`).toEqual(scanned(ws, n));
      }
      // The engine patched its index in place, and the reverse index followed the patches.
      patched += reverseIndex(engine.workspace().index).stats.patched;
    }
    expect(patched).toBeGreaterThan(20);
  });
});
