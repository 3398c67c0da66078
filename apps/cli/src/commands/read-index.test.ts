import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../context.js';
import { FragmentStore, loadWorkspace, WorkspaceEngine, type Workspace } from '@govern/workspace';
import pc from 'picocolors';
import {
  RANDOM_PATHS as PATHS,
  RANDOM_STATUSES,
  TempRoot,
  appendStoreHeader,
  randomDocument,
  randomEdit,
  readStoreFile,
  rng,
  writeRandomRoot,
  type Rng,
} from '@govern/workspace/testing';
import { nodeRow, nodeTable, table } from '../render.js';
import { printNext, type NextOptions } from './next.js';
import { FULL_DOCUMENTS, SUMMARY_DOCUMENTS, printStatus, type StatusOptions } from './status.js';
import { printValidate, type ValidateOptions } from './validate.js';

// `next`, `status` and `validate` read the workspace's item index (no graph built, no
// parse result decoded). Here each prints, over random roots and random edits, exactly
// what it prints when it reads the graph (the same workspace without its index).

let tmp: TempRoot;
let root: string;
beforeEach(() => {
  tmp = new TempRoot('govern-read-index-');
  root = tmp.path;
});
afterEach(() => tmp.dispose());

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
      writeRandomRoot(tmp, r, 0.8);
      const engine = await WorkspaceEngine.open({ root });
      for (let step = 0; step < 12; step++) {
        const { rel } = randomEdit(tmp, r, 0.2);
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
    writeRandomRoot(tmp, r, 1);
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

describe('the status summary: computed and stored by status alone', () => {
  const storeFile = () => FragmentStore.fileFor(path.join(root, '.govern', 'cache'));
  /** The memo's parts as the store file's last header places them: [offset, length, crc32] each. */
  const memoParts = (): [at: number, length: number, crc: number][] => {
    const flat = readStoreFile(storeFile()).header.memo ?? [];
    return Array.from({ length: flat.length / 3 }, (_, i) => [flat[3 * i]!, flat[3 * i + 1]!, flat[3 * i + 2]!]);
  };
  /** A fresh load (a CLI run) and how many times it computed the summary. */
  const load = async () => {
    const phases: string[] = [];
    const ws = await loadWorkspace({ root, trace: (p) => phases.push(p) });
    return { ws, summaries: () => phases.filter((p) => p === 'index-summary').length };
  };
  const expectNextAsGraph = (ws: Workspace, label: string) => {
    for (const o of [{ json: true }, {}]) expect(run(ws, (ctx, w) => printNext(ctx, o, w)), `${label}: next ${JSON.stringify(o)}`).toEqual(run(withoutIndex(ws), (ctx, w) => printNext(ctx, o, w)));
  };
  const expectStatusAsGraph = (ws: Workspace, label: string) => {
    for (const o of [{ json: true }, {}]) expect(run(ws, (ctx, w) => printStatus(ctx, o, w)), `${label}: status ${JSON.stringify(o)}`).toEqual(run(withoutIndex(ws), (ctx, w) => printStatus(ctx, o, w)));
  };
  /** A prose line added to a document: a new state, whatever else the step does. */
  const touch = (r: Rng) => fs.appendFileSync(path.join(root, r.pick(PATHS.filter((rel) => tmp.exists(rel)))), `\nProse ${r.int(0, 1e9)}.\n`);

  it('next and validate after a change neither compute nor store it; the first status computes it and appends it alone; later ones read it', async () => {
    const r = rng(11);
    writeRandomRoot(tmp, r, 1);
    await loadWorkspace({ root });
    for (let step = 0; step < 4; step++) {
      // A prose edit (the patch path), and on odd steps a random one too (the full path, often).
      touch(r);
      if (step % 2) randomEdit(tmp, r, 0);
      const label = `step ${step}`;
      const reader = await load();
      expectNextAsGraph(reader.ws, label);
      expect(run(reader.ws, (ctx, w) => printValidate(ctx, {}, w)), label).toEqual(run(withoutIndex(reader.ws), (ctx, w) => printValidate(ctx, {}, w)));
      expect(reader.summaries(), label).toBe(0);
      // The memo `next` stored: head, body, names, links; no summary.
      const memo = memoParts();
      expect(memo.length, label).toBe(4);
      const before = fs.readFileSync(storeFile());

      const first = await load();
      expectStatusAsGraph(first.ws, label);
      expect(first.summaries(), label).toBe(1);
      // Appended after what was there, which is left as it was; the other four parts where they were, not written again.
      const after = fs.readFileSync(storeFile());
      expect(after.subarray(0, before.length).equals(before), label).toBe(true);
      const parts = memoParts();
      expect(parts.slice(0, 4), label).toEqual(memo);
      expect(parts.length, label).toBe(5);
      expect(parts[4]![0], label).toBeGreaterThanOrEqual(before.length);
      for (const [at, length] of memo) expect(after.indexOf(before.subarray(at, at + length), before.length), label).toBe(-1);

      const later = await load();
      expectStatusAsGraph(later.ws, label);
      expectNextAsGraph(later.ws, label);
      expect(later.summaries(), label).toBe(0);
      expect(fs.readFileSync(storeFile()).equals(after), label).toBe(true);
    }
  });

  it('a summary part of another state, torn or damaged reads as none: status computes it again, prints the same, and stores it', async () => {
    const r = rng(12);
    writeRandomRoot(tmp, r, 1);
    const statusStores = async (label: string) => {
      const first = await load();
      expectStatusAsGraph(first.ws, label);
      expect(first.summaries(), label).toBe(1);
      const later = await load();
      expectStatusAsGraph(later.ws, label);
      expect(later.summaries(), label).toBe(0);
    };
    /** The stored summary part's bytes. */
    const summaryPart = (): Buffer => {
      const [at, length] = memoParts()[4]!;
      return fs.readFileSync(storeFile()).subarray(at, at + length);
    };
    /** `part` as the memo's summary: appended with a header that points at it (checksum right), as a run that saved it would. */
    const storeAsSummary = (part: Buffer) => {
      const file = storeFile();
      const { header } = readStoreFile(file);
      const at = fs.statSync(file).size;
      fs.appendFileSync(file, part);
      appendStoreHeader(file, { ...header, memo: [...header.memo!.slice(0, 12), at, part.length, zlib.crc32(part)] });
    };
    await statusStores('first state');
    const other = summaryPart();
    touch(r);
    expectNextAsGraph((await load()).ws, 'second state');
    expect(memoParts().length).toBe(4);

    storeAsSummary(other);
    await statusStores('the first state\'s summary');
    const valid = summaryPart();
    expect(valid.equals(other)).toBe(false);

    storeAsSummary(valid.subarray(0, valid.length >> 1));
    await statusStores('torn: its first half');
    expect(summaryPart()).toEqual(valid);

    // A byte flipped in the part where it is: its checksum fails.
    const [at, length] = memoParts()[4]!;
    const bytes = fs.readFileSync(storeFile());
    const flip = at + (length >> 1);
    bytes[flip] = bytes[flip]! ^ 0xff;
    fs.writeFileSync(storeFile(), bytes);
    await statusStores('damaged');
    expect(summaryPart()).toEqual(valid);
  });
});

describe('the whole-root outputs a warm run copies', () => {
  it('status over more documents than it prints in full (its summary from the memo) prints what it prints from the graph, before and after an edit', async () => {
    const r = rng(9);
    // More than SUMMARY_DOCUMENTS: the human output's "more documents" line; a root of few ids, so many blocked items.
    const files = Array.from({ length: SUMMARY_DOCUMENTS + 12 }, (_, i) => `trackers/t${String(i).padStart(3, '0')}.md`);
    // Trackers of their own ids (T<file>-<row>), each depending on others' now and then: many actionable and blocked items.
    const tracker = (f: number) => {
      const rows = Array.from({ length: r.int(1, 4) }, (_, j) => {
        const deps = Array.from({ length: r.int(0, 2) }, () => (r.next() < 0.1 ? 'T999-9' : `T${r.int(0, files.length - 1)}-${r.int(1, 4)}`));
        return `| T${f}-${j + 1} Row ${r.int(1, 9)} | ${deps.length ? deps.join(', ') : '-'} | ${r.pick(RANDOM_STATUSES)} |`;
      });
      return `# Tracker ${f}\n\n| Milestone | Depends On | Status |\n|---|---|---|\n${rows.join('\n')}\n`;
    };
    files.forEach((rel, f) => tmp.write(rel, r.next() < 0.1 ? randomDocument(r, rel) : tracker(f)));
    const statuses: StatusOptions[] = [{}, { json: true }, { all: true }, { limit: 3 }, { json: true, limit: 2 }, { json: true, status: ['planned'] }];
    const compare = (ws: Workspace, label: string) => {
      for (const o of statuses) expect(run(ws, (ctx, w) => printStatus(ctx, o, w)), `${label}: status ${JSON.stringify(o)}`).toEqual(run(withoutIndex(ws), (ctx, w) => printStatus(ctx, o, w)));
      expect(run(ws, (ctx, w) => printNext(ctx, {}, w)), `${label}: next`).toEqual(run(withoutIndex(ws), (ctx, w) => printNext(ctx, {}, w)));
    };
    const engine = await WorkspaceEngine.open({ root });
    for (let step = 0; step < 3; step++) {
      const phases: string[] = [];
      (await loadWorkspace({ root })).itemIndex!(); // computes the index and saves its memo
      const warm = await loadWorkspace({ root, trace: (p) => phases.push(p) });
      compare(warm, `step ${step}, memo`);
      expect(phases.includes('index-memo')).toBe(true);
      const f = r.int(0, files.length - 1);
      tmp.write(files[f]!, tracker(f));
      await engine.update([files[f]!]);
      compare(engine.workspace(), `step ${step}, engine`);
    }
    // The root made the bounded outputs: more documents than shown, more blocked and actionable items than listed.
    const human = run(await loadWorkspace({ root }), (ctx, w) => printStatus(ctx, {}, w)).stdout;
    expect([files.length > FULL_DOCUMENTS, /more documents/.test(human), /more blocked items/.test(human), /more actionable items/.test(human)]).toEqual([true, true, true, true]);
  });

  it('the next table built in one pass is the table of its rows, with and without colors, whatever the cells hold', () => {
    const r = rng(3);
    const titles = ['Plain title', 'Ünïcödé tïtle', '中文标题', 'emoji 🚀 here', `with ${pc.createColors(true).red('ansi')} inside`, '', 'x'.repeat(60), 'trailing space '];
    const statuses = ['done', 'in_progress', 'partial', 'blocked', 'planned', null] as const;
    for (let round = 0; round < 20; round++) {
      const nodes = Array.from({ length: r.int(1, 40) }, (_, i) => ({
        id: r.pick(['A-1', 'LONG-ID-0000001', 'Ж-2', `T${i}`]),
        status: r.pick(statuses),
        title: r.pick(titles),
        source: { file: r.pick(['a.md', 'dir/ü.md', 'specs/001-x/tasks.md']), line: r.int(1, 99999), column: 1 },
      }));
      for (const enabled of [false, true]) {
        const c = pc.createColors(enabled);
        expect(nodeTable(nodes, c), `round ${round}, colors ${enabled}`).toBe(table(nodes.map((n) => nodeRow(n, c)), c, ''));
      }
    }
  });
});

