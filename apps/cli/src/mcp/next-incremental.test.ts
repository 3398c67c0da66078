import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NextList, nextActionable, reverseIndex } from '@govern/graph';
import { WorkspaceEngine } from '@govern/workspace';
import { TempRoot, rng, type Rng } from '@govern/workspace/testing';

// The MCP `next` tool answers from its previous answer after an edit that keeps the rank
// (statuses, titles), with @govern/graph's NextList (next-list.test.ts checks it over
// graphs patched by hand). Here, over the engine's own patched indexes: the engine keeps
// the rank object and the node order NextList relies on, so the edits take the
// incremental path, and the answers are still what `nextActionable` answers. NextList takes
// the replaced nodes from the graph's reverse index, which the `item` tool brings up to
// date too (its dependents): so `item`'s reads, and `next` calls skipped, come between.

let tmp: TempRoot;
let root: string;
beforeEach(() => {
  tmp = new TempRoot('govern-next-incremental-');
  root = tmp.path;
});
afterEach(() => {
  tmp.dispose();
});

const write = (rel: string, text: string) => tmp.write(rel, text);

const STATUSES = ['Done', 'Planned', 'In progress', 'Blocked', 'Partial'];
const TASK_STATUSES = ['planned', 'done', 'in_progress', 'partial', 'blocked'];

/** Tracker `t` (ids TR-t-1..6, each depending on the one before and on another tracker's), statuses random. */
function tracker(r: Rng, t: number, deps: string[][]): string {
  const rows = deps.map((d, i) => `| TR-${t}-${i + 1} Item | ${d.length ? d.join(', ') : '-'} | ${r.pick(STATUSES)} |`);
  return `# Tracker ${t}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n${rows.join('\n')}\n`;
}

/** Workplan `w`: it depends on tracker milestones (its tasks inherit them), its tasks on each other. */
function workplan(r: Rng, w: number, deps: string[]): string {
  const tasks = [1, 2, 3].map((i) => `## T0${i} - Task ${i}\n\nid: WP-0${w}-T0${i}\nstatus: ${r.pick(TASK_STATUSES)}\n${i > 1 ? `depends_on: WP-0${w}-T0${i - 1}\n` : ''}`);
  return `---\nid: WP-0${w}\ntype: workplan\ntitle: Work ${w}\nstatus: planned\n${deps.length ? `depends_on: [${deps.join(', ')}]\n` : ''}---\n\n${tasks.join('\n')}`;
}

describe('the MCP next tool after an edit', () => {
  it('answers what nextActionable answers, from its previous answer when the edit keeps the rank', async () => {
    let spliced = 0;
    let listed = 0;
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const trackerDeps = [1, 2, 3].map((t) => Array.from({ length: 6 }, (_, i) => [...(i ? [`TR-${t}-${i}`] : []), ...(r.next() < 0.4 ? [`TR-${r.int(1, 3)}-${r.int(1, 6)}`] : [])]));
      const planDeps = [1, 2].map(() => (r.next() < 0.7 ? [`TR-${r.int(1, 3)}-${r.int(1, 6)}`] : []));
      const files = [...[1, 2, 3].map((t) => `trackers/t${t}.md`), 'workplans/wp-1.md', 'workplans/wp-2.md'];
      const content = (rel: string) => (rel.startsWith('trackers/') ? tracker(r, Number(rel[10]), trackerDeps[Number(rel[10]) - 1]!) : workplan(r, Number(rel[13]), planDeps[Number(rel[13]) - 1]!));
      for (const rel of files) write(rel, content(rel));
      const engine = await WorkspaceEngine.open({ root });
      const next = new NextList();
      expect(next.of(engine.workspace().index), `seed ${seed}`).toEqual(nextActionable(engine.workspace().index));
      for (let step = 0; step < 30; step++) {
        const rel = r.pick(files);
        // Mostly statuses only (the rank stands); now and then a dependency changes (it does not).
        if (r.next() < 0.15) {
          if (rel.startsWith('trackers/')) trackerDeps[Number(rel[10]) - 1]![r.int(0, 5)] = [`TR-${r.int(1, 3)}-${r.int(1, 6)}`];
          else planDeps[Number(rel[13]) - 1] = r.next() < 0.5 ? [] : [`TR-${r.int(1, 3)}-${r.int(1, 6)}`];
        }
        write(rel, content(rel));
        await engine.update([rel]);
        const index = engine.workspace().index;
        if (r.next() < 0.5) reverseIndex(index).dependents(r.pick(index.graph.nodes).id);
        if (r.next() < 0.25 && step < 29) continue;
        const expected = nextActionable(index);
        expect(next.of(index), `seed ${seed} step ${step} (${rel})`).toEqual(expected);
        listed += expected.length;
      }
      spliced += next.stats.spliced;
    }
    // The edits were answered from the previous answer, and there was something to answer.
    expect(spliced).toBeGreaterThan(40);
    expect(listed).toBeGreaterThan(100);
  });
});
