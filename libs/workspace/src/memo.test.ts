import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { discover } from './discover.js';
import { loadWorkspace, type IndexedItem, type ItemIndex } from './index.js';
import { blockedItemsIn } from '@govern/graph';
import { HEAD_COLUMNS, HeadItem, MEMO_VERSION, countStatuses, encodeMemo, encodeSummary, readMemo, readSummary, type Memo } from './memo.js';

// The memo codec on its own: a memo built from a real workspace's index is encoded into
// its three store parts and read back whole; a part that is damaged, short, or for
// another state is refused (null), never read as a wrong index.

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-memo-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(rel: string, text: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

/** A small root with what the memo must carry: nulls, duplicates, unknown and cyclic dependencies, several actionable items, a title that spells the summary's list boundaries. */
function writeRoot(): void {
  write('trackers/a.md', '# Tracker A\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| LM-01 First | LM-02 | Planned |\n| LM-02 Second | LM-01, LM-99 | In progress |\n| LM-03 Third | - | Done |\n| LM-01 Again | - | Blocked |\n');
  write('trackers/b.md', '# Tracker B },{"file": ]},{"id":\n\n| Milestone | Depends On | Status |\n|---|---|---|\n| LM-04 Fourth | LM-03 | Planned |\n| LM-05 Fifth | - | Eventually |\n| LM-06 Sixth | - | Planned |\n');
  write('workplans/wp-1.md', '---\nid: WP-01\ntype: workplan\ntitle: Work 1\nstatus: planned\ndepends_on: [LM-04]\n---\n\n## T01 - Do it\n\nid: WP-01-T01\nstatus: planned\npriority: high\ndepends_on: LM-03\n\n## T02 - Then this\n\nid: WP-01-T02\nstatus: in_progress\n');
  write('workplans/notes.md', '# Notes\n\nNothing here.\n');
}

const FINGERPRINT = 'f'.repeat(64);

/** The memo of a workspace's index, built as the engine builds it (columns by item, documents by file index), and the actionable items' positions. */
function memoOf(index: ItemIndex, files: string[]): { memo: Memo; actionable: number[] } {
  const at = new Map(files.map((f, i) => [f, i]));
  const memo: Memo = { v: MEMO_VERSION, fingerprint: FINGERPRINT, files: files.length, documents: [], docIds: files.map(() => null), at: [], id: [], kind: [], title: [], status: [], priority: [], parent: [], deps: [], refs: [], line: [], column: [], start: [], length: [], rank: [], cyclic: [] };
  for (const d of index.documents) {
    memo.documents.push([at.get(d.file)!, d.id, d.family, d.title, d.status]);
    memo.docIds[at.get(d.file)!] = d.id;
  }
  index.items.forEach((item, i) => {
    memo.at.push(at.get(item.source.file)!);
    memo.id.push(item.id);
    memo.kind.push(item.kind);
    memo.title.push(item.title);
    memo.status.push(item.status);
    memo.priority.push(item.priority);
    memo.parent.push(item.parent);
    memo.deps.push(item.dependsOn.length);
    memo.refs.push(...item.dependsOn);
    memo.line.push(item.source.line);
    memo.column.push(item.source.column);
    memo.start.push(7 * i);
    memo.length.push(5 + i);
    memo.rank.push(index.rule.rank.get(item.id)!);
    if (index.rule.cyclic.has(item.id)) memo.cyclic.push(i);
  });
  const position = new Map(index.items.map((item, i) => [item.id, i]));
  return { memo, actionable: index.actionable().map((item) => position.get(item.id)!) };
}

const itemFields = (n: IndexedItem) => ({ id: n.id, kind: n.kind, title: n.title, status: n.status, priority: n.priority, parent: n.parent, dependsOn: n.dependsOn, source: { ...n.source }, document: n.document });

async function fixture() {
  writeRoot();
  const ws = await loadWorkspace({ root, cacheDir: null });
  const files = discover(root, loadConfig(root).config);
  const index = ws.itemIndex!();
  const { memo, actionable } = memoOf(index, files);
  const parts = encodeMemo(memo, actionable);
  const read = (head: Buffer | null, body: Buffer | null = parts[1], names: Buffer | null = parts[2], links: Buffer | null = parts[3]) =>
    readMemo(head, (i) => [null, body, names, links][i] ?? null, FINGERPRINT, files.length);
  return { index, files, memo, actionable, parts, read };
}

describe('the index memo codec', () => {
  it('reads back what it encoded: the whole memo, and the actionable items from the head alone', async () => {
    const { index, files, memo, actionable, parts, read } = await fixture();
    // The root made what the memo has to carry.
    expect([memo.id.length > 5, memo.cyclic.length > 0, memo.status.includes(null), memo.priority.includes(null), actionable.length > 1]).toEqual([true, true, true, true, true]);
    const stored = read(parts[0])!;
    expect(stored.body()).toEqual(memo);
    expect(stored.head.n).toBe(actionable.length);
    expect([...stored.head.column('pos')]).toEqual(actionable);
    const whole = () => index.items;
    const headItems = actionable.map((_, k) => new HeadItem(stored.head, k, files, whole));
    expect(headItems.map(itemFields)).toEqual(index.actionable().map(itemFields));
    expect(headItems.map((item, k) => [item.k, stored.head.column('start')[k], stored.head.column('length')[k]])).toEqual(actionable.map((i, k) => [k, memo.start[i], memo.length[i]]));
    // Encoding is a function of the memo: the same bytes again.
    expect(encodeMemo(memo, actionable)).toEqual(parts);
  });

  it('refuses a head for another state, a short or damaged head, and a head whose codes are out of range', async () => {
    const { files, parts, read } = await fixture();
    const [head] = parts;
    expect(readMemo(head, () => null, 'e'.repeat(64), files.length)).toBeNull();
    expect(readMemo(head, () => null, FINGERPRINT, files.length + 1)).toBeNull();
    expect(read(null)).toBeNull();
    expect(read(head.subarray(0, 3))).toBeNull();
    expect(read(head.subarray(0, head.length - 1))).toBeNull();
    expect(read(Buffer.concat([head, Buffer.alloc(4)]))).toBeNull();
    const metaLength = head.readUInt32LE(0);
    const damagedMeta = Buffer.from(head);
    damagedMeta[4 + Math.floor(metaLength / 2)] = 0x7b; // `{` inside the meta JSON
    expect(read(damagedMeta)).toBeNull();
    const tooLong = Buffer.from(head);
    tooLong.writeUInt32LE(head.length, 0);
    expect(read(tooLong)).toBeNull();
    const n = read(head)!.head.n;
    const badCode = Buffer.from(head);
    badCode.writeInt32LE(10_000, 4 + metaLength + 4 * n * HEAD_COLUMNS.indexOf('kind'));
    expect(read(badCode)).toBeNull();
    const badPos = Buffer.from(head);
    badPos.writeInt32LE(-1, 4 + metaLength);
    expect(read(badPos)).toBeNull();
  });

  it('refuses a damaged, short or foreign body, names or links when they are read, and a head item then takes its strings from the whole index', async () => {
    const { index, files, memo, parts, read } = await fixture();
    const [head, body, names, links] = parts;
    const other = encodeMemo({ ...memo, fingerprint: 'e'.repeat(64) }, [0]);
    for (const bad of [body.subarray(0, body.length - 1), Buffer.from(body.toString('utf8').replace('"rank":[', '"rank":[0,')), other[1], null]) {
      expect(read(head, bad)!.body()).toBeNull();
    }
    for (const bad of [names.subarray(0, names.length - 1), Buffer.from(names.toString('utf8').replace('"title":[', '"title":["extra",')), other[2], null]) {
      const stored = read(head, body, bad)!;
      expect([stored.head.names(), stored.head.links()?.fingerprint]).toEqual([null, FINGERPRINT]);
      expect(stored.body()).toEqual(memo);
      const item = new HeadItem(stored.head, 0, files, () => index.items);
      expect(itemFields(item)).toEqual(itemFields(index.actionable()[0]!));
    }
    for (const bad of [links.subarray(0, links.length - 1), Buffer.from(links.toString('utf8').replace('"refs":[', '"refs":["extra",')), other[3], null]) {
      const stored = read(head, body, names, bad)!;
      expect([stored.head.links(), stored.head.names()?.fingerprint]).toEqual([null, FINGERPRINT]);
      // Without the links there are no docIds either: the body is not read.
      expect(stored.body()).toBeNull();
      const item = new HeadItem(stored.head, 0, files, () => index.items);
      expect(itemFields(item)).toEqual(itemFields(index.actionable()[0]!));
    }
  });

  it('reads back the summary (documents with their items and counts, blocked items), whole or a range, and refuses one for another state or damaged', async () => {
    const { index } = await fixture();
    const blocked = blockedItemsIn(index.items, index.rule);
    const part = encodeSummary(FINGERPRINT, index.documents, index.items, blocked, index.actionable());
    const summary = readSummary(part, FINGERPRINT)!;
    const documents = index.documents.map((d) => {
      const items = index.items.filter((i) => i.source.file === d.file);
      return { ...d, items: items.map((i) => i.id), counts: countStatuses(items) };
    });
    const blockedSummaries = blocked.map((b) => ({ id: b.node.id, status: b.node.status, blockers: b.blockers }));
    expect(blocked.length).toBeGreaterThan(1);
    expect(countStatuses([{ status: 'planned' }, { status: null }, { status: 'done' }, { status: 'planned' }])).toEqual({ done: 1, planned: 2, unknown: 1 });
    expect(summary.documentList()).toEqual(documents);
    expect(summary.blockedList()).toEqual(blockedSummaries);
    expect([summary.documents, summary.blocked]).toEqual([documents.length, blocked.length]);
    // The lists' bytes are what JSON.stringify writes, and a range parses alone.
    expect(summary.documentsJson.toString('utf8')).toBe(JSON.stringify(documents));
    expect(summary.blockedJson.toString('utf8')).toBe(JSON.stringify(blocked.map((b) => ({ id: b.node.id, blockers: b.blockers }))));
    expect(summary.nextJson.toString('utf8')).toBe(JSON.stringify(index.actionable().map((i) => i.id)));
    expect(summary.documentList(1, 3)).toEqual(documents.slice(1, 3));
    expect(summary.documentList(0, 1000)).toEqual(documents);
    expect(summary.documentList(3, 3)).toEqual([]);
    expect(summary.blockedList(1, 2)).toEqual(blockedSummaries.slice(1, 2));
    // Another state's, short, or with an end outside its list: refused.
    expect(readSummary(part, 'e'.repeat(64))).toBeNull();
    expect(readSummary(part.subarray(0, part.length - 1), FINGERPRINT)).toBeNull();
    expect(readSummary(null, FINGERPRINT)).toBeNull();
    const metaLength = part.readUInt32LE(0);
    const badEnd = Buffer.from(part);
    badEnd.writeInt32LE(summary.documentsJson.length + 5, 4 + metaLength);
    expect(readSummary(badEnd, FINGERPRINT)).toBeNull();
    // An end inside an entry: the range that uses it does not decode.
    const inside = Buffer.from(part);
    inside.writeInt32LE(inside.readInt32LE(4 + metaLength) - 3, 4 + metaLength);
    expect(readSummary(inside, FINGERPRINT)!.documentList(0, 1)).toBeNull();
  });
});
