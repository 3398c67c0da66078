import os from 'node:os';
import type { Blocked, Blocker } from '@govern/graph';
import type { Family, Item, Status } from '@govern/workplan';
import type { IndexedDocument, IndexedItem } from './engine.js';

/**
 * The index memo: what `govern next`, `status` and `validate` read instead of the graph
 * (docs/benchmarks.md, "A warm `next` reads only the actionable items"). A run that
 * computes the index of one state of the root (engine.ts `indexFromFragments`) encodes it
 * into four store parts ({@link encodeMemo}), and the first `status` over it adds the
 * summary ({@link SUMMARY_PART}); a later run over the same state reads them
 * back ({@link readMemo}) instead of decoding every document's contribution. This module
 * is the codec alone: which store, which state (the fingerprint) and when to read or
 * write are the engine's.
 */

/** The memo format; a stored memo of another version is computed again. */
export const MEMO_VERSION = 4;

/**
 * The store part of the summary ({@link encodeSummary}), after the four of
 * {@link encodeMemo}. Added later, by the first `status` over the state (the engine's
 * `summaryOf`): a memo without it, or with one of another state, reads as having none.
 */
export const SUMMARY_PART = 4;

/** Items by column: each with its file (index into the discovered files), fields, dependencies (`deps[i]` of them, in `refs`), position, and where its JSON is in its document's node JSON. */
export interface MemoItems {
  at: number[];
  id: string[];
  kind: Item['kind'][];
  title: string[];
  status: (Status | null)[];
  priority: (string | null)[];
  parent: (string | null)[];
  deps: number[];
  refs: string[];
  line: number[];
  column: number[];
  start: number[];
  length: number[];
}

/**
 * The index commands read, by column, as a run computed it for one state of the root (see
 * `WorkspaceEngine.itemIndex`): items in graph order, their rank, the cyclic items by
 * position, the documents, each file's document id.
 */
export interface Memo extends MemoItems {
  v: number;
  fingerprint: string;
  files: number;
  documents: [file: number, id: string, family: Family, title: string, status: Status | null][];
  docIds: (string | null)[];
  rank: number[];
  cyclic: number[];
}

/** The head's integer columns, per actionable item: its position in the memo's items, then as {@link MemoItems} (kinds, statuses, priorities as string codes). */
export const HEAD_COLUMNS = ['pos', 'at', 'kind', 'status', 'priority', 'deps', 'line', 'column', 'start', 'length'] as const;
export type HeadColumn = (typeof HEAD_COLUMNS)[number];
const COLUMN_INDEX = Object.fromEntries(HEAD_COLUMNS.map((name, i) => [name, i])) as Record<HeadColumn, number>;

/** The head's JSON part: which state it is for, and how to read the rest. */
export interface HeadMeta {
  v: number;
  fingerprint: string;
  files: number;
  /** The memo's item count (`pos` is below it), the actionable items', their references'. */
  items: number;
  n: number;
  refs: number;
  /** What the coded columns' values (-1: null) stand for. */
  strings: string[];
}

/** The actionable items' names (the memo's third part): per item its id and title, what a `next` table shows. */
export interface HeadNames {
  /** The state's (the head's, the body's): a part read again later is checked against it. */
  fingerprint: string;
  id: string[];
  title: string[];
}

/** The actionable items' links (the memo's fourth part): each file's document id, per item its parent and references. */
export interface HeadLinks {
  fingerprint: string;
  docIds: (string | null)[];
  parent: (string | null)[];
  refs: string[];
}

/**
 * What a warm `next` reads of the memo: the actionable items, in order, as integer
 * columns (read without a parse, nor an object per value), and two string parts parsed
 * only when one of their strings is asked for: the names (ids, titles: a `next` table)
 * and the links (parents, references, document ids). `next --json` asks for none: it
 * prints the node JSON.
 */
export class MemoHeadView {
  private namesRead: HeadNames | null | undefined = undefined;
  private linksRead: HeadLinks | null | undefined = undefined;

  constructor(
    readonly n: number,
    private readonly columns: Int32Array[],
    readonly strings: string[],
    readonly refStart: Int32Array,
    private readonly readPart: (i: 2 | 3) => Buffer | null,
    private readonly files: number,
    private readonly fingerprint: string,
  ) {}

  column(name: HeadColumn): Int32Array {
    return this.columns[COLUMN_INDEX[name]]!;
  }

  code(name: 'kind' | 'status' | 'priority', k: number): string | null {
    const c = this.column(name)[k]!;
    return c < 0 ? null : this.strings[c]!;
  }

  /** The names part, parsed and checked on first use; null when it does not decode. */
  names(): HeadNames | null {
    if (this.namesRead === undefined) {
      const t = this.parse<HeadNames>(2);
      this.namesRead = t && [t.id, t.title].every((c) => Array.isArray(c) && c.length === this.n) ? t : null;
    }
    return this.namesRead;
  }

  /** The links part, parsed and checked on first use; null when it does not decode. */
  links(): HeadLinks | null {
    if (this.linksRead === undefined) {
      const t = this.parse<HeadLinks>(3);
      const n = this.n;
      const ok =
        t !== null &&
        Array.isArray(t.docIds) &&
        t.docIds.length === this.files &&
        Array.isArray(t.parent) &&
        t.parent.length === n &&
        Array.isArray(t.refs) &&
        t.refs.length === (n ? this.refStart[n - 1]! + this.column('deps')[n - 1]! : 0);
      this.linksRead = ok ? t : null;
    }
    return this.linksRead;
  }

  /** Part `i` as JSON if it is this state's; else null. */
  private parse<T extends { fingerprint: string }>(i: 2 | 3): T | null {
    try {
      const part = this.readPart(i);
      const t = part ? (JSON.parse(part.toString('utf8')) as T) : null;
      return t !== null && typeof t === 'object' && t.fingerprint === this.fingerprint ? t : null;
    } catch {
      return null;
    }
  }
}

/** An actionable item read from the memo's head: its fields decoded when read. */
export class HeadItem implements IndexedItem {
  constructor(
    readonly head: MemoHeadView,
    readonly k: number,
    private readonly files: string[],
    private readonly whole: () => IndexedItem[],
  ) {}

  /** The same item of the whole index: where the strings come from should the head's names or links not decode. */
  private full(): IndexedItem {
    return this.whole()[this.head.column('pos')[this.k]!]!;
  }

  get file(): string {
    return this.files[this.head.column('at')[this.k]!]!;
  }

  get id(): string {
    const t = this.head.names();
    return t ? t.id[this.k]! : this.full().id;
  }

  get kind(): Item['kind'] {
    return this.head.code('kind', this.k) as Item['kind'];
  }

  get title(): string {
    const t = this.head.names();
    return t ? t.title[this.k]! : this.full().title;
  }

  get status(): Status | null {
    return this.head.code('status', this.k) as Status | null;
  }

  get priority(): string | null {
    return this.head.code('priority', this.k);
  }

  get parent(): string | null {
    const t = this.head.links();
    return t ? t.parent[this.k]! : this.full().parent;
  }

  get dependsOn(): string[] {
    const t = this.head.links();
    const r = this.head.refStart[this.k]!;
    return t ? t.refs.slice(r, r + this.head.column('deps')[this.k]!) : this.full().dependsOn;
  }

  get source(): { file: string; line: number; column: number } {
    return { file: this.file, line: this.head.column('line')[this.k]!, column: this.head.column('column')[this.k]! };
  }

  get document(): string {
    const t = this.head.links();
    return t ? t.docIds[this.head.column('at')[this.k]!]! : this.full().document;
  }
}

/** A stored memo: its head, its body (the whole {@link Memo}, the second part) decoded on demand, null if it does not decode. */
export interface StoredMemo {
  head: MemoHeadView;
  body(): Memo | null;
  /** The summary ({@link SUMMARY_PART}, see {@link encodeSummary}), read when first asked for; null if absent, another state's, or it does not decode. */
  summary(): IndexSummary | null;
}

/**
 * The memo's first four store parts (the fifth, added by `status` alone, is the summary: {@link encodeSummary}).
 * The head: its meta JSON's length (u32 LE), the meta JSON ({@link HeadMeta}), the
 * integer columns ({@link HEAD_COLUMNS}, i32 LE, each `n` long). The body: the memo's
 * JSON without `docIds`. The names ({@link HeadNames}) and the links ({@link HeadLinks},
 * which have the `docIds`). A warm `next --json` reads only the head; a `next` table the
 * names too.
 */
export function encodeMemo(memo: Memo, actionable: readonly number[]): [head: Buffer, body: Buffer, names: Buffer, links: Buffer] {
  const strings: string[] = [];
  const codes = new Map<string, number>();
  const code = (value: string | null): number => {
    if (value === null) return -1;
    let c = codes.get(value);
    if (c === undefined) codes.set(value, (c = strings.push(value) - 1));
    return c;
  };
  const refStart: number[] = [];
  for (let i = 0, r = 0; i < memo.id.length; i++) {
    refStart.push(r);
    r += memo.deps[i]!;
  }
  const n = actionable.length;
  const ints = Buffer.alloc(4 * n * HEAD_COLUMNS.length);
  const names: HeadNames = { fingerprint: memo.fingerprint, id: [], title: [] };
  const links: HeadLinks = { fingerprint: memo.fingerprint, docIds: memo.docIds, parent: [], refs: [] };
  actionable.forEach((i, k) => {
    const row = [i, memo.at[i]!, code(memo.kind[i]!), code(memo.status[i]!), code(memo.priority[i]!), memo.deps[i]!, memo.line[i]!, memo.column[i]!, memo.start[i]!, memo.length[i]!];
    row.forEach((value, c) => ints.writeInt32LE(value, 4 * (c * n + k)));
    names.id.push(memo.id[i]!);
    names.title.push(memo.title[i]!);
    links.parent.push(memo.parent[i]!);
    for (let j = 0; j < memo.deps[i]!; j++) links.refs.push(memo.refs[refStart[i]! + j]!);
  });
  const meta: HeadMeta = { v: memo.v, fingerprint: memo.fingerprint, files: memo.files, items: memo.id.length, n, refs: links.refs.length, strings };
  const metaJson = Buffer.from(JSON.stringify(meta), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(metaJson.length, 0);
  const head = Buffer.concat([length, metaJson, ints]);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
  return [head, json({ ...memo, docIds: undefined }), json(names), json(links)];
}

/** Whether `m` holds `MemoItems` columns of one length, consistent references and file indexes below `files`. */
function itemsValid(m: MemoItems, files: number): boolean {
  const n = m.id?.length;
  const columns = [m.id, m.at, m.kind, m.title, m.status, m.priority, m.parent, m.deps, m.line, m.column, m.start, m.length];
  if (!columns.every((c) => Array.isArray(c) && c.length === n) || !Array.isArray(m.refs)) return false;
  return m.deps.reduce((a, b) => a + b, 0) === m.refs.length && m.at.every((fi) => Number.isInteger(fi) && fi >= 0 && fi < files);
}

/** The head's integer columns, if each value is in its range; else null. */
function headColumns(part: Buffer, offset: number, meta: HeadMeta): { columns: Int32Array[]; refStart: Int32Array } | null {
  const { n } = meta;
  // Checked: what indexes something. `start` and `length` are checked where they are used.
  const limit: Partial<Record<HeadColumn, [number, number]>> = {
    pos: [0, meta.items],
    at: [0, meta.files],
    kind: [-1, meta.strings.length],
    status: [-1, meta.strings.length],
    priority: [-1, meta.strings.length],
    deps: [0, 2 ** 31],
  };
  // One aligned copy of the columns, viewed as i32 (the stored order, little-endian, is the platform's nearly everywhere).
  const bytes = new Uint8Array(4 * n * HEAD_COLUMNS.length);
  bytes.set(part.subarray(offset, offset + bytes.length));
  if (os.endianness() !== 'LE') for (let o = 0; o < bytes.length; o += 4) bytes.subarray(o, o + 4).reverse();
  const all = new Int32Array(bytes.buffer);
  const columns: Int32Array[] = [];
  for (const [c, name] of HEAD_COLUMNS.entries()) {
    const column = all.subarray(c * n, (c + 1) * n);
    const range = limit[name];
    if (range) for (let k = 0; k < n; k++) if (column[k]! < range[0] || column[k]! >= range[1]) return null;
    columns.push(column);
  }
  const deps = columns[HEAD_COLUMNS.indexOf('deps')]!;
  const refStart = new Int32Array(n);
  let r = 0;
  for (let k = 0; k < n; k++) {
    refStart[k] = r;
    r += deps[k]!;
  }
  return r === meta.refs ? { columns, refStart } : null;
}

/**
 * The memo from its stored head (`part`), if it is one for this fingerprint and this many
 * files with consistent columns; else null (computed again). The names and links
 * (parts 2 and 3) are parsed when one of their strings is first read, the body (part 1)
 * and the summary ({@link SUMMARY_PART}) read and checked when first asked for: a warm `next --json`
 * reads only the head's columns.
 */
export function readMemo(part: Buffer | null, readPart: (i: number) => Buffer | null, fingerprint: string, files: number): StoredMemo | null {
  if (!part || part.length < 4) return null;
  try {
    const metaEnd = 4 + part.readUInt32LE(0);
    if (metaEnd > part.length) return null;
    const meta = JSON.parse(part.toString('utf8', 4, metaEnd)) as HeadMeta;
    if (meta.v !== MEMO_VERSION || meta.fingerprint !== fingerprint || meta.files !== files) return null;
    if (![meta.items, meta.n, meta.refs].every((x) => Number.isInteger(x) && x >= 0) || !Array.isArray(meta.strings) || !meta.strings.every((x) => typeof x === 'string')) return null;
    if (metaEnd + 4 * meta.n * HEAD_COLUMNS.length !== part.length) return null;
    const ints = headColumns(part, metaEnd, meta);
    if (!ints) return null;
    const head = new MemoHeadView(meta.n, ints.columns, meta.strings, ints.refStart, readPart, files, fingerprint);
    const body = (): Memo | null => {
      try {
        const docIds = head.links()?.docIds;
        const bodyPart = docIds ? readPart(1) : null;
        if (!docIds || !bodyPart) return null;
        const m = JSON.parse(bodyPart.toString('utf8')) as Memo;
        m.docIds = docIds;
        if (m.v !== MEMO_VERSION || m.fingerprint !== fingerprint || m.files !== files || !Array.isArray(m.documents) || !itemsValid(m, files)) return null;
        if (m.id.length !== meta.items || !Array.isArray(m.rank) || m.rank.length !== m.id.length || !Array.isArray(m.cyclic)) return null;
        if (!m.cyclic.every((i) => Number.isInteger(i) && i >= 0 && i < m.id.length) || !m.documents.every((d) => Number.isInteger(d[0]) && d[0] >= 0 && d[0] < files)) return null;
        return m;
      } catch {
        return null;
      }
    };
    let summary: IndexSummary | null | undefined;
    return { head, body, summary: () => (summary !== undefined ? summary : (summary = readSummary(readPart(SUMMARY_PART), fingerprint))) };
  } catch {
    return null;
  }
}

/** Where each item's JSON is in its document's node JSON (`start`, `length` by position). */
export class Slices {
  readonly position = new Map<IndexedItem, number>();
  readonly start: number[] = [];
  readonly length: number[] = [];

  add(item: IndexedItem, start: number, length: number): void {
    this.position.set(item, this.start.length);
    this.start.push(start);
    this.length.push(length);
  }
}

/** `[`, `,`, `]`: the bytes a spliced JSON array of node JSON slices is joined with. */
export const OPEN_BYTE = 0x5b;
export const COMMA_BYTE = 0x2c;
export const CLOSE_BYTE = 0x5d;

/**
 * A document as `govern status --json` prints it: its fields, its items' ids (graph
 * order) and how many of its items have each status (`unknown` for none), keys sorted.
 */
export interface DocumentSummary {
  file: string;
  id: string;
  family: Family;
  title: string;
  status: Status | null;
  items: string[];
  counts: Record<string, number>;
}

/** A blocked item (@govern/graph `blockedItemsIn`, rank order): its id, status and what it waits on. */
export interface BlockedSummary {
  id: string;
  status: Status | null;
  blockers: Blocker[];
}

/**
 * What `govern status` prints of the whole root, saved for a state so that a warm
 * `status` reads neither the items nor the rule (the memo's body): the documents with
 * their items and counts, the blocked items. The lists are kept as the JSON `status
 * --json` prints (`JSON.stringify` of them), so that its unnarrowed output is a copy;
 * the human output parses only the entries it shows.
 */
export interface IndexSummary {
  /** How many documents, and blocked items. */
  documents: number;
  blocked: number;
  /** `JSON.stringify(DocumentSummary[])`, UTF-8. */
  documentsJson: Buffer;
  /** `JSON.stringify` of `{ id, blockers }` per blocked item, UTF-8. */
  blockedJson: Buffer;
  /** `JSON.stringify` of the actionable items' ids (`nextActionableIn(items, rule)`, in order), UTF-8. */
  nextJson: Buffer;
  /** The documents from `start` to `end` (exclusive, clamped), parsed from {@link documentsJson}; null if they do not decode. */
  documentList(start?: number, end?: number): DocumentSummary[] | null;
  /** The blocked items from `start` to `end`, parsed from {@link blockedJson}, with their statuses; null if they do not decode. */
  blockedList(start?: number, end?: number): BlockedSummary[] | null;
}

/** The summary part's meta JSON: which state, the counts, the byte lengths of the two lists' JSON. */
interface SummaryMeta {
  v: number;
  fingerprint: string;
  documents: number;
  blocked: number;
  documentsBytes: number;
  blockedBytes: number;
  nextBytes: number;
  /** Per blocked item, its status (the JSON output does not carry it; the human output shows it). */
  blockedStatus: (Status | null)[];
}

/** Per status (`unknown` for none) how many of `items` have it, keys sorted: a document's `counts`. */
export function countStatuses(items: readonly { status: string | null }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i.status ?? 'unknown'] = (out[i.status ?? 'unknown'] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * `JSON.stringify(values)` as UTF-8 (`[` the elements' JSON joined by commas `]`), and
 * where each element's JSON ends in it. `boundary` is what stands between two elements'
 * JSON and nowhere else (`},{"file":` between documents: outside a string only, since a
 * `"` inside one is escaped); its comma is the separator. One stringify and a byte search,
 * not a stringify per element (10,000 documents: ~70 ms less on the run that saves it).
 */
function jsonArray(values: readonly unknown[], boundary: string): { json: Buffer; ends: number[] } {
  const json = Buffer.from(JSON.stringify(values), 'utf8');
  const ends: number[] = [];
  const close = boundary.indexOf(',');
  for (let i = 1, at = 0; i < values.length; i++) {
    at = json.indexOf(boundary, at, 'utf8');
    if (at < 0) break;
    ends.push(at + close);
    at += close + 1;
  }
  if (values.length) ends.push(json.length - 1);
  if (ends.length === values.length) return { json, ends };
  // Not found where expected (never, for the lists below): each element stringified alone.
  const parts = values.map((v) => JSON.stringify(v));
  ends.length = 0;
  let at = 1;
  for (const p of parts) {
    at += Buffer.byteLength(p, 'utf8');
    ends.push(at);
    at += 1; // the comma
  }
  return { json, ends };
}

/**
 * The summary of an index as the memo's fifth part: its meta JSON's length (u32 LE), the
 * meta JSON, where each document's and each blocked item's JSON ends in its list (i32 LE,
 * `documents` then `blocked` of them), the documents' JSON, the blocked items' JSON, the
 * actionable items' ids' JSON. `blocked` is `blockedItemsIn(items, rule)`, `actionable`
 * `nextActionableIn(items, rule)`.
 */
export function encodeSummary(
  fingerprint: string,
  documents: readonly IndexedDocument[],
  items: readonly IndexedItem[],
  blocked: readonly Blocked<IndexedItem>[],
  actionable: readonly IndexedItem[],
): Buffer {
  const byFile = new Map<string, IndexedItem[]>();
  for (const n of items) {
    const list = byFile.get(n.source.file);
    if (list) list.push(n);
    else byFile.set(n.source.file, [n]);
  }
  const docs: DocumentSummary[] = documents.map((d) => {
    const all = byFile.get(d.file) ?? [];
    return { file: d.file, id: d.id, family: d.family, title: d.title, status: d.status, items: all.map((i) => i.id), counts: countStatuses(all) };
  });
  // A document's JSON ends with its counts' `}` and its own; a blocked item's with its blockers' `]` and its own (a blocker's `}` never follows a `]`).
  const d = jsonArray(docs, '},{"file":');
  const b = jsonArray(blocked.map((x) => ({ id: x.node.id, blockers: x.blockers })), ']},{"id":');
  const next = Buffer.from(JSON.stringify(actionable.map((x) => x.id)), 'utf8');
  const meta: SummaryMeta = { v: MEMO_VERSION, fingerprint, documents: docs.length, blocked: blocked.length, documentsBytes: d.json.length, blockedBytes: b.json.length, nextBytes: next.length, blockedStatus: blocked.map((x) => x.node.status) };
  const metaJson = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.alloc(4 + metaJson.length + 4 * (d.ends.length + b.ends.length));
  head.writeUInt32LE(metaJson.length, 0);
  metaJson.copy(head, 4);
  [...d.ends, ...b.ends].forEach((end, i) => head.writeInt32LE(end, 4 + metaJson.length + 4 * i));
  return Buffer.concat([head, d.json, b.json, next]);
}

/**
 * The summary from its part, if it is one for this fingerprint whose lengths add up; else
 * null. The lists' entries are parsed when asked for: a range that does not decode is
 * null then.
 */
export function readSummary(part: Buffer | null, fingerprint: string): IndexSummary | null {
  if (!part || part.length < 4) return null;
  try {
    const metaEnd = 4 + part.readUInt32LE(0);
    if (metaEnd > part.length) return null;
    const meta = JSON.parse(part.toString('utf8', 4, metaEnd)) as SummaryMeta;
    if (meta.v !== MEMO_VERSION || meta.fingerprint !== fingerprint) return null;
    if (![meta.documents, meta.blocked, meta.documentsBytes, meta.blockedBytes, meta.nextBytes].every((x) => Number.isInteger(x) && x >= 0)) return null;
    if (!Array.isArray(meta.blockedStatus) || meta.blockedStatus.length !== meta.blocked) return null;
    const listsAt = metaEnd + 4 * (meta.documents + meta.blocked);
    if (listsAt + meta.documentsBytes + meta.blockedBytes + meta.nextBytes !== part.length) return null;
    const ends = (at: number, n: number, bytes: number): Int32Array | null => {
      const out = new Int32Array(n);
      for (let i = 0, last = 1; i < n; i++) {
        const end = part.readInt32LE(at + 4 * i);
        if (end < last || end > bytes - 1) return null;
        out[i] = last = end;
      }
      return out;
    };
    const documentsJson = part.subarray(listsAt, listsAt + meta.documentsBytes);
    const blockedJson = part.subarray(listsAt + meta.documentsBytes, listsAt + meta.documentsBytes + meta.blockedBytes);
    const nextJson = part.subarray(listsAt + meta.documentsBytes + meta.blockedBytes);
    const documentEnds = ends(metaEnd, meta.documents, meta.documentsBytes);
    const blockedEnds = ends(metaEnd + 4 * meta.documents, meta.blocked, meta.blockedBytes);
    if (!documentEnds || !blockedEnds) return null;
    return {
      documents: meta.documents,
      blocked: meta.blocked,
      documentsJson,
      blockedJson,
      nextJson,
      documentList(start = 0, end = meta.documents) {
        const list = parseRange<DocumentSummary>(documentsJson, documentEnds, start, end);
        return list && list.every((d) => Array.isArray(d?.items) && typeof d.counts === 'object') ? list : null;
      },
      blockedList(start = 0, end = meta.blocked) {
        const list = parseRange<{ id: string; blockers: Blocker[] }>(blockedJson, blockedEnds, start, end);
        return list && list.every((b) => Array.isArray(b?.blockers)) ? list.map((b, i) => ({ id: b.id, status: meta.blockedStatus[start + i]!, blockers: b.blockers })) : null;
      },
    };
  } catch {
    return null;
  }
}

/** Entries `start` to `end` (clamped) of a JSON array whose entries end at `ends` (each followed by `,` or the closing `]`); null if they do not decode. */
function parseRange<T>(json: Buffer, ends: Int32Array, start: number, end: number): T[] | null {
  const s = Math.max(0, Math.min(start, ends.length));
  const e = Math.max(s, Math.min(end, ends.length));
  if (s === e) return [];
  const from = s === 0 ? 1 : ends[s - 1]! + 1;
  try {
    const list = JSON.parse(`[${json.toString('utf8', from, ends[e - 1]!)}]`) as T[];
    return Array.isArray(list) && list.length === e - s ? list : null;
  } catch {
    return null;
  }
}
