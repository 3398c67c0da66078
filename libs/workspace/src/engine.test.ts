import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildGraph, nextActionable, type GraphIndex } from '@govern/graph';
import { compareDiagnostics, pathDocumentIds, type WorkDocument } from '@govern/workplan';
import { loadConfig } from './config.js';
import { discover } from './discover.js';
import { WorkspaceEngine, loadWorkspace, type IndexedItem, type Workspace } from './index.js';
import { readAndParse } from './parse-files.js';
import { RANDOM_PATHS as PATHS, RANDOM_STATUSES as STATUSES, TempRoot, randomDocument as contentFor, randomEdit, rng } from './testing.js';

let tmp: TempRoot;
let root: string;
beforeEach(() => {
  tmp = new TempRoot('govern-engine-');
  root = tmp.path;
});
afterEach(() => tmp.dispose());

const write = (rel: string, text: string): void => tmp.write(rel, text);

/**
 * What `graph --json` must print, computed the plain way: every file parsed, the graph
 * built whole by @govern/graph, the diagnostics sorted. No cache, no engine.
 */
function coldReference(): { json: string; nodes: number; index: GraphIndex; documents: WorkDocument[] } {
  const { config, profile, diagnostics: configDiagnostics } = loadConfig(root);
  const files = discover(root, config);
  const pathIds = pathDocumentIds(files);
  const results = files.map((f) => readAndParse(root, f, profile, {}, pathIds.get(f)).result);
  const documents = results.flatMap((r) => (r.document ? [r.document] : []));
  const index = buildGraph(documents, profile);
  const diagnostics = [...configDiagnostics, ...results.flatMap((r) => r.diagnostics), ...index.graph.diagnostics].sort(compareDiagnostics);
  return { json: JSON.stringify({ nodes: index.graph.nodes, diagnostics }), nodes: index.graph.nodes.length, index, documents };
}

/**
 * The item index `next`, `status` and `validate` read (no graph, no parse result) says
 * what the cold build's graph says: its items are the graph's nodes (these fields, this
 * order), its documents the documents, its rule's rank and cycles the graph's, and the
 * nodes it hands back (parsed or spliced) the graph's nodes.
 */
/** The workspace's documents and graph index are the cold build's (nodes, lookup, rank, cycles). */
function expectGraphIndexMatches(ws: Workspace, expected: ReturnType<typeof coldReference>, label: string): void {
  const { index, documents } = ws;
  expect(documents, label).toEqual(expected.documents);
  expect(index.graph.nodes, label).toEqual(expected.index.graph.nodes);
  expect(JSON.stringify({ nodes: index.graph.nodes, diagnostics: index.graph.diagnostics }), label).toBe(expected.json);
  expect([...index.byId], label).toEqual([...expected.index.byId]);
  expect(Object.fromEntries(index.rank), label).toEqual(Object.fromEntries(expected.index.rank));
  expect([...index.cyclic].sort(), label).toEqual([...expected.index.cyclic].sort());
}

/** An item's fields as plain data (an index read from the store's memo hands back items whose fields are getters). */
const itemFields = (n: IndexedItem) => ({ id: n.id, kind: n.kind, title: n.title, status: n.status, priority: n.priority, parent: n.parent, dependsOn: n.dependsOn, source: { ...n.source }, document: n.document });

function expectIndexMatches(ws: Workspace, expected: ReturnType<typeof coldReference>, label: string): void {
  const idx = ws.itemIndex!();
  const nodes = expected.index.graph.nodes;
  // First, as a warm `next` reads it (from the memo's head alone when there is one): the graph's `nextActionable`.
  const next = nextActionable(expected.index);
  const actionable = idx.actionable();
  expect(idx.nodesJson(actionable).toString('utf8'), label).toBe(JSON.stringify(next));
  expect(actionable.map(itemFields), label).toEqual(next.map(itemFields));
  expect(idx.nodes(actionable.filter((_, i) => i % 2)), label).toEqual(next.filter((_, i) => i % 2));
  expect(idx.items.map(itemFields), label).toEqual(nodes.map(itemFields));
  expect(idx.documents, label).toEqual(expected.documents.map((d) => ({ file: d.file, id: d.id, family: d.family, title: d.title, status: d.status })));
  expect(Object.fromEntries(idx.rule.rank), label).toEqual(Object.fromEntries(expected.index.rank));
  expect([...idx.rule.cyclic].sort(), label).toEqual([...expected.index.cyclic].sort());
  expect(idx.nodes(idx.items), label).toEqual(nodes);
  expect(idx.nodesJson(idx.items).toString('utf8'), label).toBe(JSON.stringify(nodes));
  expect(idx.nodesJson(idx.items.filter((_, i) => i % 2)).toString('utf8'), label).toBe(JSON.stringify(nodes.filter((_, i) => i % 2)));
  expect(ws.itemCount!(), label).toBe(nodes.length);
}

describe('the engine against a cold build', () => {
  it('after every random edit (change, add, delete, namesake), an updated engine and a fresh load print what a cold build prints; one changed file is one parse', async () => {
    const seen = new Set<string>();
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      for (const rel of PATHS) if (r.next() < 0.7) write(rel, contentFor(r, rel));
      const engine = await WorkspaceEngine.open({ root });
      expect(engine.workspace().graphJson().toString('utf8'), `seed ${seed} start`).toBe(coldReference().json);
      expectGraphIndexMatches(engine.workspace(), coldReference(), `seed ${seed} start`);
      for (let step = 0; step < 25; step++) {
        const { rel, what } = randomEdit(tmp, r, 0.25);
        const label = `seed ${seed} step ${step}: ${what} ${rel}`;
        const expected = coldReference();

        const stats = await engine.update([rel]);
        const ws = engine.workspace();
        expect(ws.graphJson().toString('utf8'), label).toBe(expected.json);
        expectIndexMatches(ws, expected, label);
        // The graph index, patched for the changed file (the engine built it before the edit).
        expectGraphIndexMatches(ws, expected, label);
        expect(ws.hasItems(), label).toBe(expected.nodes > 0);
        if (what === 'change') expect(stats.parsed, label).toBeLessThanOrEqual(1);

        // A fresh process: the store the engine appended to, then one more run with nothing changed.
        const fresh = await loadWorkspace({ root });
        expect(fresh.graphJson().toString('utf8'), label).toBe(expected.json);
        expectIndexMatches(fresh, expected, `${label} (fresh)`);
        // And one more: its index read from the memo the fresh load saved.
        const phases: string[] = [];
        const warm = await loadWorkspace({ root, trace: (phase) => phases.push(phase) });
        expectIndexMatches(warm, expected, `${label} (memo)`);
        expect(phases.includes('index-memo'), label).toBe(true);
        expect(fresh.diagnostics, label).toEqual(ws.diagnostics);
        expect(fresh.stats.parsed, label).toBe(0);
        for (const d of fresh.diagnostics) seen.add(d.code);
        expect(JSON.stringify({ nodes: fresh.index.graph.nodes, diagnostics: fresh.index.graph.diagnostics }), label).toBe(expected.json);
      }
    }
    // The edits made the cases the graph stage updates in place: duplicates, unknown dependencies, cycles.
    expect([...seen].filter((c) => ['duplicate-id', 'unknown-dependency', 'dependency-cycle'].includes(c)).sort()).toEqual(['dependency-cycle', 'duplicate-id', 'unknown-dependency']);
  });

  it('a fresh load after random edits made while no engine ran parses exactly the changed files and prints the cold build', async () => {
    const r = rng(7);
    for (const rel of PATHS) write(rel, contentFor(r, rel));
    await loadWorkspace({ root });
    for (let step = 0; step < 30; step++) {
      const changed = new Set<string>();
      for (let i = r.int(1, 2); i > 0; i--) changed.add(r.pick(PATHS));
      for (const rel of changed) write(rel, contentFor(r, rel) + `\n<!-- edit ${step} -->\n`);
      const expected = coldReference().json;
      const ws = await loadWorkspace({ root });
      const label = `step ${step}: ${[...changed].join(', ')}`;
      // A namesake's appearance re-parses the other file too; no namesake appears here (all paths exist).
      expect(ws.stats.parsed, label).toBe(changed.size);
      expect(ws.graphJson().toString('utf8'), label).toBe(expected);
    }
  });

  it('one changed file: one file parsed, in a fresh load and in an engine update, and the store is appended to, not rewritten', async () => {
    for (let i = 0; i < 20; i++) write(`trackers/t${String(i).padStart(2, '0')}.md`, `# T${i}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-${i} Row | ${i ? `M-${i - 1}` : '-'} | Planned |\n`);
    const engine = await WorkspaceEngine.open({ root });
    expect(engine.workspace().stats).toEqual({ files: 20, parsed: 20, cached: 0, workers: 0 });
    const storeFile = path.join(root, '.govern', 'cache', fs.readdirSync(path.join(root, '.govern', 'cache'))[0]!);
    const before = fs.readFileSync(storeFile);

    write('trackers/t05.md', '# T5\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-5 Row | M-19 | Done |\n');
    const fresh = await loadWorkspace({ root });
    expect(fresh.stats).toEqual({ files: 20, parsed: 1, cached: 19, workers: 0 });
    const after = fs.readFileSync(storeFile);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.subarray(0, before.length - 16 - before.readUInt32LE(before.length - 16))).toEqual(before.subarray(0, before.length - 16 - before.readUInt32LE(before.length - 16)));
    // M-5 → M-19 → … → M-6 → M-5: a cycle through every node from M-5 on.
    expect(fresh.diagnostics.map((d) => d.code)).toEqual(['dependency-cycle']);
    expect(fresh.graphJson().toString('utf8')).toBe(coldReference().json);

    write('trackers/t05.md', '# T5\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-5 Row | M-4 | Done |\n');
    expect(await engine.update(['trackers/t05.md'])).toEqual({ parsed: 1, added: 0, removed: 0, reloaded: false });
    expect(engine.workspace().diagnostics).toEqual([]);
    expect(engine.workspace().graphJson().toString('utf8')).toBe(coldReference().json);
    // A touched file with the same content: hashed, not parsed.
    expect(await engine.update(['trackers/t06.md'])).toEqual({ parsed: 0, added: 0, removed: 0, reloaded: false });
  });

  it('edits that leave the graph structure alone (statuses, titles, prose) patch the stored output: one parse, no graph stage, the cold build printed', async () => {
    const r = rng(11);
    const rows = (statuses: string[], titles: string[]) =>
      `# Tracker\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| LM-01 ${titles[0]} | LM-02 | ${statuses[0]} |\n| LM-02 ${titles[1]} | LM-01, LM-09 | ${statuses[1]} |\n| LM-01 ${titles[2]} | - | ${statuses[2]} |\n`;
    const state = { a: { s: ['Done', 'Planned', 'Blocked'], t: ['Alpha', 'Alpha', 'Alpha'] }, b: { s: ['Planned', 'Done', 'Done'], t: ['Delta', 'Delta', 'Delta'] } };
    write('trackers/a.md', rows(state.a.s, state.a.t));
    write('trackers/b.md', rows(state.b.s, state.b.t).replaceAll('LM-0', 'LM-1'));
    await loadWorkspace({ root });
    const engine = await WorkspaceEngine.open({ root, cacheDir: null });
    const seen = new Set<string>();
    for (let step = 0; step < 25; step++) {
      const which = r.pick(['a', 'b'] as const);
      const x = state[which];
      const before = rows(x.s, x.t);
      while (rows(x.s, x.t) === before) x.s[r.int(0, 2)] = r.pick(STATUSES); // a real change
      // Titles of one length: a longer one would move the dependency cell after it (a moved
      // reference changes the structure's positions, and takes the graph path).
      x.t[r.int(0, 2)] = r.pick(['Alpha', 'Gamma', 'Delta']);
      const text = rows(x.s, x.t);
      write(`trackers/${which}.md`, which === 'b' ? text.replaceAll('LM-0', 'LM-1') : text);
      const phases: string[] = [];
      const ws = await loadWorkspace({ root, trace: (p) => phases.push(p) });
      const reference = coldReference();
      const expected = reference.json;
      expect(ws.graphJson().toString('utf8'), `step ${step}`).toBe(expected);
      expectIndexMatches(ws, reference, `step ${step}, patched`);
      expect([ws.stats.parsed, phases.includes('graph')], `step ${step}`).toEqual([1, false]);
      for (const d of ws.diagnostics) seen.add(d.code);
      // And the next run is served as it is; a long-lived engine agrees.
      expect((await loadWorkspace({ root })).graphJson().toString('utf8')).toBe(expected);
      expect((await engine.update([`trackers/${which}.md`])).parsed).toBe(1);
      expect(engine.workspace().graphJson().toString('utf8'), `engine, step ${step}`).toBe(expected);
      expectIndexMatches(engine.workspace(), reference, `engine, step ${step}`);
      expect(engine.workspace().diagnostics).toEqual(ws.diagnostics);
    }
    // Parse diagnostics of the changed file came and went; graph diagnostics stayed.
    expect([...seen].sort()).toEqual(['dependency-cycle', 'duplicate-id', 'status-unrecognized', 'unknown-dependency']);
  });

  it("updates made with save: 'later' are served at once and reach the store on flush", async () => {
    for (let i = 0; i < 8; i++) write(`trackers/t${i}.md`, `# T${i}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-${i} Row | ${i ? `M-${i - 1}` : '-'} | Planned |\n`);
    const engine = await WorkspaceEngine.open({ root });
    for (const [i, status] of [[2, 'Done'], [5, 'Blocked'], [2, 'In progress']] as const) {
      write(`trackers/t${i}.md`, `# T${i}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-${i} Row | M-${i - 1} | ${status} |\n`);
      expect((await engine.update([`trackers/t${i}.md`], { save: 'later' })).parsed).toBe(1);
      expect(engine.workspace().graphJson().toString('utf8')).toBe(coldReference().json);
    }
    // Not saved yet: another process parses the two changed files again, and prints the same.
    const before = await loadWorkspace({ root, cacheDir: path.join(root, '.govern', 'cache') });
    expect([before.stats.parsed, before.graphJson().toString('utf8')]).toEqual([2, coldReference().json]);
    // That process wrote the store: this engine's unsaved work is dropped (never written over it).
    engine.flush();
    write('trackers/t6.md', '# T6\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-6 Row | M-5 | Done |\n');
    await engine.update(['trackers/t6.md'], { save: 'later' });
    engine.flush();
    const after = await loadWorkspace({ root });
    expect([after.stats.parsed, after.graphJson().toString('utf8')]).toEqual([0, coldReference().json]);
  });

  it('a torn append, or a damaged header it amends, costs a re-parse, never a wrong result', async () => {
    for (let i = 0; i < 6; i++) write(`trackers/t${i}.md`, `# T${i}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-${i} Row | ${i ? `M-${i - 1}` : '-'} | Planned |\n`);
    await loadWorkspace({ root });
    const storeFile = path.join(root, '.govern', 'cache', fs.readdirSync(path.join(root, '.govern', 'cache'))[0]!);
    const full = fs.readFileSync(storeFile);
    write('trackers/t3.md', '# T3\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-3 Row | M-2 | Done |\n');
    const expected = coldReference().json;
    await loadWorkspace({ root }); // appends t3's parts and a delta header
    const appended = fs.readFileSync(storeFile);
    expect(appended.length - full.length).toBeLessThan(full.length);
    const headerLength = full.readUInt32LE(full.length - 16);
    const damagedBase = Buffer.from(appended);
    damagedBase[full.length - 16 - Math.floor(headerLength / 2)]! ^= 0x20; // inside the full header the delta amends
    for (const bad of [appended.subarray(0, appended.length - 1), appended.subarray(0, full.length + 10), damagedBase]) {
      fs.writeFileSync(storeFile, bad);
      const ws = await loadWorkspace({ root });
      expect(ws.graphJson().toString('utf8')).toBe(expected);
      expect(ws.stats.parsed).toBe(6);
      const again = await loadWorkspace({ root });
      expect([again.stats.parsed, again.graphJson().toString('utf8')]).toEqual([0, expected]);
    }
  });

  it('when dead bytes outgrow live ones the store is compacted: smaller, and still serving every document', async () => {
    // 1,500 rows: each change appends about a megabyte of parts (node JSON and parse result).
    const rows = Array.from({ length: 1500 }, (_, i) => `| B-${i + 1} Row ${'x'.repeat(200)} | - | Planned |`).join('\n');
    const big = (n: number) => `# Big\n\n| Milestone | Depends On | Status |\n|---|---|---|\n${rows}\n\nEdit ${n}.\n`;
    write('trackers/big.md', big(0));
    write('trackers/small.md', '# Small\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| S-1 Row | B-1 | Done |\n');
    await loadWorkspace({ root });
    const storeFile = path.join(root, '.govern', 'cache', fs.readdirSync(path.join(root, '.govern', 'cache'))[0]!);
    const sizes: number[] = [fs.statSync(storeFile).size];
    for (let n = 1; n <= 8; n++) {
      write('trackers/big.md', big(n));
      const ws = await loadWorkspace({ root });
      expect(ws.stats.parsed).toBe(1);
      sizes.push(fs.statSync(storeFile).size);
    }
    // It grew with every append, then a save rewrote it whole.
    const shrunk = sizes.findIndex((s, i) => i > 0 && s < sizes[i - 1]!);
    expect(shrunk).toBeGreaterThan(1);
    expect(sizes[shrunk]).toBeLessThan(sizes[0]! * 2);
    const warm = await loadWorkspace({ root });
    expect([warm.stats.parsed, warm.graphJson().toString('utf8')]).toEqual([0, coldReference().json]);
    expect(warm.documents.map((d) => d.file)).toEqual(['trackers/big.md', 'trackers/small.md']);
  });
});

describe('the first status on a state, in an engine whose kept store another process wrote since', () => {
  it('opens the fragment store once: to read the index, its memo parts and append the summary (after another process ran `next`, or re-stat a file with no memo)', async () => {
    write('trackers/a.md', '# A\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| M-1 First | - | Done |\n| M-2 Second | M-1 | Planned |\n| M-3 Third | M-2 | Planned |\n| M-4 Fourth | M-9 | Planned |\n');
    write('trackers/b.md', '# B\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| N-1 Other | M-3 | Planned |\n| N-2 Free | - | In progress |\n');
    /** What `status --json` copies from the summary. */
    const printed = (s: ReturnType<ReturnType<NonNullable<Workspace['itemIndex']>>['summary']>) => ({ documents: s.documentsJson.toString('utf8'), next: s.nextJson.toString('utf8'), blocked: s.blockedJson.toString('utf8') });
    // The summary computed with no store at all: from the fragments, nothing read or saved.
    const expected = printed((await WorkspaceEngine.open({ root, cacheDir: null })).workspace().itemIndex!().summary());
    expect(JSON.parse(expected.blocked).map((b: { id: string }) => b.id)).toEqual(['M-3', 'M-4', 'N-1']);
    const phases: string[] = [];
    const engine = await WorkspaceEngine.open({ root, trace: (phase) => phases.push(phase) });
    /** Descriptors this process holds on the store's directory (Linux: /proc/self/fd). */
    const storeFds = () =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(fs.realpathSync(path.join(root, '.govern', 'cache')));
        } catch {
          return false; // the directory listing's own descriptor, closed since
        }
      }).length;
    /** The first `status` of `engine`: the summary, the store opens and index phases it traced, and the descriptors it left open (the stale store closed for the one opened: none). */
    const firstStatus = () => {
      phases.length = 0;
      const fds = storeFds();
      const summary = printed(engine.workspace().itemIndex!().summary());
      return { summary, phases: phases.filter((p) => p === 'index-store-open' || p === 'index-memo' || p === 'index-summary'), leftOpen: storeFds() - fds };
    };

    // Another process's `next` on the same state saves the memo's four parts (no summary).
    (await loadWorkspace({ root })).itemIndex!().actionable();
    expect(firstStatus()).toEqual({ summary: expected, phases: ['index-store-open', 'index-memo', 'index-summary'], leftOpen: 0 });
    // Appended to the store that one open read: a new process reads it, computes nothing and opens nothing more.
    const later: string[] = [];
    const warm = await loadWorkspace({ root, trace: (phase) => later.push(phase) });
    expect(printed(warm.itemIndex!().summary())).toEqual(expected);
    expect(later.filter((p) => p.startsWith('index'))).toEqual(['index-memo', 'index']);

    // A new state (the engine saves it, no memo), then another process re-stats a file and saves the store.
    write('trackers/b.md', '# B\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| N-1 Other | M-3 | Planned |\n| N-2 Free | - | Done |\n');
    await engine.update(['trackers/b.md']);
    const hour = Date.now() / 1000 - 3600;
    fs.utimesSync(path.join(root, 'trackers/a.md'), hour, hour);
    expect((await loadWorkspace({ root })).stats.parsed).toBe(0);
    const expectedNow = printed((await WorkspaceEngine.open({ root, cacheDir: null })).workspace().itemIndex!().summary());
    expect(firstStatus()).toEqual({ summary: expectedNow, phases: ['index-store-open', 'index-summary'], leftOpen: 0 });

    // A `next` (table and JSON) of such an engine opens it once too, and computes no summary.
    const nextPhases: string[] = [];
    const other = await WorkspaceEngine.open({ root, trace: (phase) => nextPhases.push(phase) });
    fs.utimesSync(path.join(root, 'trackers/b.md'), hour, hour);
    await loadWorkspace({ root });
    nextPhases.length = 0;
    const idx = other.workspace().itemIndex!();
    const actionable = idx.actionable();
    const nextJson = JSON.parse(idx.nodesJson(actionable).toString('utf8')) as { id: string }[];
    expect({ table: actionable.map((n) => `${n.id} ${n.title}`), json: nextJson.map((n) => n.id) }).toEqual({ table: ['M-2 Second'], json: JSON.parse(expectedNow.next) });
    expect(nextPhases.filter((p) => p.startsWith('index-'))).toEqual(['index-store-open', 'index-memo']);
  });
});
