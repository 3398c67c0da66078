import type { Block, ListItem, TableBlock } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Claim, DependencyRef, Item, Matrix } from '../model.js';
import { normalizeStatus } from '../status.js';
import type { CompiledProfile } from '../profile.js';
import { MAX_CLAIMED_IDS, MAX_MENTION_ID_LENGTH } from '../limits.js';
import { leadingId, newItem, parseDependencyList, readStatus, stripCode, type Located } from './common.js';

export interface TrackerParts {
  items: Item[];
  claims: Claim[];
  matrices: Matrix[];
  evidenceRoots: Located[];
  packetIds: Located[];
}

const canon = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
const DEPENDS_HEADERS = new Set(['depends on', 'dependencies', 'depends', 'deps', 'blocked by', 'dependency']);

/**
 * True when a table's header names a Milestone and a Status column, and no item column
 * (the profile's `tableColumns.id`: Phase, Task, Story…) comes before the Milestone
 * column: in GSD's `| Phase | Milestone | Plans Complete | Status |` the items are the
 * phases and the Milestone cell only says which release they belong to.
 */
export function isMilestoneTable(t: TableBlock, profile?: CompiledProfile): boolean {
  const h = (t.rows[0]?.cells ?? []).map((c) => canon(c.text));
  if (!h.includes('status')) return false;
  const m = h.findIndex((x) => x === 'milestone' || x === 'milestones');
  if (m < 0) return false;
  if (profile) {
    for (let k = 0; k < m; k++) if (h[k] && h[k] !== 'id' && profile.tableColumns.id.has(h[k]!)) return false;
  }
  return true;
}

/** Parses a tracker: milestone tables, dependency matrices, packet ids and evidence roots. */
export function parseTracker(blocks: Block[], docId: string, profile: CompiledProfile, sink: DiagnosticSink): TrackerParts {
  const items: Item[] = [];
  const matrixTables: { table: TableBlock; title: string | null }[] = [];
  let lastHeading: string | null = null;
  for (const b of blocks) {
    if (b.type === 'heading') lastHeading = b.text;
    if (b.type !== 'table') continue;
    // A loop, not `push(...rows)`: spread arguments overflow the stack past ~120,000 rows.
    if (isMilestoneTable(b, profile)) {
      sink.explain?.table(b, { read: 'milestone-table' });
      for (const item of milestoneRows(b, docId, profile, sink)) items.push(item);
    } else if (looksLikeMatrix(b)) {
      sink.explain?.table(b, { read: 'matrix' });
      matrixTables.push({ table: b, title: lastHeading });
    } else sink.explain?.table(b, { skip: 'in-tracker' });
  }
  const byId = new Map(items.map((i) => [i.id, i]));
  const matrices = matrixTables.map(({ table, title }) => readMatrix(table, title, byId, sink)).filter((m): m is Matrix => m !== null);
  const zeroCells = new Map<string, { line: number; column: number }>();
  for (const { table } of matrixTables) collectZeroCells(table, zeroCells);
  checkDrift(items, matrices, zeroCells, sink);
  const packetEntries = listAfter(blocks, /^packet ids?$/i);
  const evidenceEntries = listAfter(blocks, /^evidence roots?$/i);
  const checkEntries = listAfter(blocks, /^checks?$/i);
  if (packetEntries.length || evidenceEntries.length || checkEntries.length) {
    const index = new MentionIndex(items, sink);
    assignByIdMention(index, packetEntries, 'packetId');
    assignByIdMention(index, evidenceEntries, 'evidenceRoot');
    assignChecks(index, checkEntries);
  }
  const located = (es: ListEntry[]): Located[] => es.map(({ text, line, column }) => ({ text, line, column }));
  const packetIds = located(packetEntries);
  const evidenceRoots = located(evidenceEntries);
  const claims = readClaims(blocks, items, profile, sink);
  return { items, claims, matrices, evidenceRoots, packetIds };
}

const CLAIM_STATUS = /\b(completed|complete|done|finished|closed|planned|in progress|partially complete|partial|blocked)\b/i;
const CLAIM_ID = /\b([A-Za-z][A-Za-z0-9]*-)(\d+)\b(?:\s*(?:\.\.|–|—|to)\s*\1?(\d+)\b)?/g;

/**
 * Status claims in prose, read as a reader reads them: a paragraph is one text however it
 * is wrapped (a sentence may run over several lines), and each list item is one text
 * (nested items too). A text is split into clauses at `;` and sentence ends; a clause
 * naming ids of this tracker — singly, in "and"/"," lists, or as ranges (`LM-01..LM-09`,
 * `LM-01 to LM-09`) — and a status word is a claim, positioned where the clause starts.
 * `govern audit` reports a claim the milestone table contradicts.
 */
function readClaims(blocks: Block[], items: Item[], profile: CompiledProfile, sink: DiagnosticSink): Claim[] {
  const known = new Set(items.map((i) => i.id));
  const ranges = new RangeIndex(items);
  let named = 0;
  const out: Claim[] = [];
  const texts: Located[][] = [];
  for (const b of blocks) {
    if (b.type === 'paragraph') texts.push(b.lines);
    else if (b.type === 'list') {
      // Depth first in document order, with a stack popped from its end: `shift` and
      // `unshift(...children)` were quadratic and overflowed on wide lists.
      const stack: ListItem[] = [];
      for (let k = b.items.length - 1; k >= 0; k--) stack.push(b.items[k]!);
      while (stack.length) {
        const it = stack.pop()!;
        texts.push([it]);
        for (let k = it.children.length - 1; k >= 0; k--) stack.push(it.children[k]!);
      }
    }
  }
  for (const lines of texts) {
    // One text with a map back to each line's position.
    const starts: number[] = [];
    let text = '';
    for (const l of lines) {
      if (text) text += ' ';
      starts.push(text.length);
      text += l.text;
    }
    const at = (k: number) => {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= k) lo = mid;
        else hi = mid - 1;
      }
      return { line: lines[lo]!.line, column: lines[lo]!.column + (k - starts[lo]!) };
    };
    const clauseRe = /[^;]+?(?:[;]|\.(?=\s|$)|$)/g;
    for (let c = clauseRe.exec(text); c && c[0]; c = clauseRe.exec(text)) {
      const clause = c[0];
      const word = CLAIM_STATUS.exec(clause);
      const status = word ? normalizeStatus(word[1]!, profile).status : null;
      if (status) {
        const ids: string[] = [];
        for (const m of clause.matchAll(CLAIM_ID)) {
          const [, prefix, a, b2] = m;
          if (b2 === undefined) {
            if (known.has(`${prefix}${a}`)) ids.push(`${prefix}${a}`);
            continue;
          }
          for (const id of ranges.between(prefix!, Number(a), Number(b2))) ids.push(id);
        }
        if (ids.length && named + ids.length > MAX_CLAIMED_IDS) {
          const pos = at(c.index + (clause.length - clause.trimStart().length));
          sink.warn('claims-too-many', `the status claims of this tracker name more than ${MAX_CLAIMED_IDS} milestones in all; this claim and the ones after it are not checked`, pos.line, pos.column);
          return out;
        }
        named += ids.length;
        if (ids.length) out.push({ ids, status, text: clause.replace(/[;.]$/, '').trim(), ...at(c.index + (clause.length - clause.trimStart().length)) });
      }
      if (clauseRe.lastIndex >= text.length) break;
    }
  }
  return out;
}

function milestoneRows(t: TableBlock, docId: string, profile: CompiledProfile, sink: DiagnosticSink): Item[] {
  const header = (t.rows[0]?.cells ?? []).map((c) => canon(c.text));
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const cMilestone = col('milestone', 'milestones');
  const cId = col('id');
  const cStatus = col('status');
  const cPriority = col('priority');
  const cOrder = col('order', '#', 'no');
  const cDepends = header.findIndex((h) => DEPENDS_HEADERS.has(h));
  const cEvidence = header.findIndex((h) => h.startsWith('evidence'));
  const out: Item[] = [];
  for (const row of t.rows.slice(1)) {
    const cell = (i: number) => (i >= 0 ? row.cells[i] : undefined);
    const mCell = cell(cMilestone);
    if (!mCell) continue;
    const idCell = cell(cId);
    let id: string;
    let title: string;
    if (idCell && idCell.text.trim()) {
      const lead = leadingId(idCell.text);
      id = lead?.id ?? stripCode(idCell.text);
      title = mCell.text.trim();
    } else {
      const lead = leadingId(mCell.text);
      if (!lead) {
        sink.error('id-missing', `milestone "${mCell.text}" does not start with an id`, mCell.line, mCell.column, {
          expected: 'a Milestone cell that starts with an id, e.g. "LM-01 OTel baseline"',
          actual: mCell.text,
        });
        continue;
      }
      id = lead.id;
      title = lead.rest;
    }
    const sCell = cell(cStatus);
    const st = readStatus(sCell?.text ?? null, sCell ? { line: sCell.line, column: sCell.column } : null, { id, line: row.line, column: mCell.column }, profile, sink);
    const dCell = cell(cDepends);
    const dependencies = dCell ? parseDependencyList(dCell.text, dCell.line, dCell.column, 'table', sink) : [];
    const oText = cell(cOrder)?.text.trim();
    const pText = cell(cPriority)?.text.trim();
    const eText = cell(cEvidence)?.text.trim();
    out.push(
      newItem({
        id,
        kind: 'milestone',
        localId: id,
        title,
        line: row.line,
        column: (idCell ?? mCell).column,
        ...st,
        priority: pText ? pText : null,
        order: oText && /^-?\d+(\.\d+)?$/.test(oText) ? Number(oText) : null,
        dependencies,
        evidenceRoot: eText && eText !== '-' ? stripCode(eText) : null,
        parent: docId,
      }),
    );
  }
  return out;
}

const CELL_VALUES = new Set(['0', '1', '', 'x', '-', '✓', '✔', 'y', 'n']);

function looksLikeMatrix(t: TableBlock): boolean {
  const header = t.rows[0]?.cells ?? [];
  if (header.length < 2 || t.rows.length < 2) return false;
  if (/row|\\/i.test(header[0]?.text ?? '')) return true;
  return t.rows.slice(1).every((r) => r.cells.slice(1).every((c) => CELL_VALUES.has(c.text.trim().toLowerCase())));
}

function readMatrix(t: TableBlock, title: string | null, items: Map<string, Item>, sink: DiagnosticSink): Matrix | null {
  const labels: Record<string, string> = {};
  const idOf = (c: Located) => {
    const lead = leadingId(c.text);
    if (lead) labels[lead.id] = c.text.trim();
    return lead?.id ?? null;
  };
  const columns = (t.rows[0]?.cells ?? []).slice(1).map(idOf);
  const rows = t.rows.slice(1).map((r) => (r.cells[0] ? idOf(r.cells[0]) : null));
  const all = [...columns, ...rows].filter((x): x is string => x !== null);
  const known = all.filter((id) => items.has(id));
  const kind: Matrix['kind'] = known.length === 0 ? 'cross-repo' : 'dependency';
  const edges: Matrix['edges'] = [];
  t.rows.slice(1).forEach((r, ri) => {
    const from = rows[ri];
    r.cells.slice(1).forEach((c, ci) => {
      const v = c.text.trim().toLowerCase();
      if (!CELL_VALUES.has(v)) {
        sink.warn('matrix-invalid-cell', `matrix cell "${c.text}" is neither 0 nor 1`, c.line, c.column, { expected: '0 or 1', actual: c.text });
        return;
      }
      const to = columns[ci];
      if (!from || !to || !['1', 'x', '✓', '✔', 'y'].includes(v)) return;
      edges.push({ from, to, line: c.line, column: c.column });
    });
  });
  if (kind === 'dependency') {
    const unknown = new Set(all.filter((id) => !items.has(id)));
    // The first header or row-label cell naming each id, found in one pass (a search
    // per unknown id was quadratic in the matrix's size).
    const firstCell = new Map<string, Located>();
    for (const c of [...(t.rows[0]?.cells ?? []), ...t.rows.slice(1).flatMap((r) => r.cells.slice(0, 1))]) {
      const id = leadingId(c.text)?.id;
      if (id !== undefined && !firstCell.has(id)) firstCell.set(id, c);
    }
    for (const id of unknown) {
      const cell = firstCell.get(id);
      sink.warn('matrix-unknown-id', `dependency matrix names ${id}, which is not a milestone of this tracker; its cells are ignored`, cell?.line ?? t.line, cell?.column ?? 1);
    }
    // Cells naming an ignored id say nothing about the graph: drop them here, once.
    const kept = edges.filter((e) => !unknown.has(e.from) && !unknown.has(e.to));
    edges.length = 0;
    for (const e of kept) edges.push(e);
    for (const e of edges) items.get(e.from)!.dependencies.push({ id: e.to, origin: 'matrix', line: e.line, column: e.column });
  }
  return { kind, title, line: t.line, rows: rows.filter((x): x is string => x !== null), columns: columns.filter((x): x is string => x !== null), labels, edges };
}

function collectZeroCells(t: TableBlock, out: Map<string, { line: number; column: number }>): void {
  const columns = (t.rows[0]?.cells ?? []).slice(1).map((c) => leadingId(c.text)?.id ?? null);
  for (const r of t.rows.slice(1)) {
    const from = r.cells[0] ? leadingId(r.cells[0].text)?.id : undefined;
    r.cells.slice(1).forEach((c, ci) => {
      const to = columns[ci];
      if (from && to && c.text.trim() === '0') out.set(`${from}\u0000${to}`, { line: c.line, column: c.column });
    });
  }
}

/**
 * The milestone table's Depends On and the matrices are two statements of one
 * graph. Where they disagree we keep the union and say so on the line that
 * disagrees; silently picking one would hide a tracker that lies.
 */
function checkDrift(items: Item[], matrices: Matrix[], zeroCells: Map<string, { line: number; column: number }>, sink: DiagnosticSink): void {
  const byId = new Map(items.map((i) => [i.id, i]));
  // Each item's Depends On ids, as a set: one lookup per matrix edge instead of a scan.
  const tableDeps = new Map<Item, Set<string>>();
  const dependsInTable = (item: Item, id: string) => {
    let set = tableDeps.get(item);
    if (!set) tableDeps.set(item, (set = new Set(item.dependencies.filter((d) => d.origin === 'table').map((d) => d.id))));
    return set.has(id);
  };
  for (const m of matrices) {
    if (m.kind !== 'dependency') continue;
    for (const e of m.edges) {
      const item = byId.get(e.from);
      if (!item || dependsInTable(item, e.to)) continue;
      sink.warn(
        'dependency-drift',
        `dependency matrix marks ${e.from} → ${e.to}, but the milestone table's Depends On for ${e.from} does not list ${e.to}; the graph keeps the edge (union of both)`,
        e.line,
        e.column,
        { related: [{ file: sink.file, line: item.line, column: item.column, message: `milestone table row of ${e.from}` }] },
      );
    }
  }
  for (const item of items) {
    for (const d of item.dependencies.filter((x: DependencyRef) => x.origin === 'table')) {
      const zero = zeroCells.get(`${item.id}\u0000${d.id}`);
      if (!zero) continue;
      sink.warn(
        'dependency-drift',
        `milestone table says ${item.id} depends on ${d.id}, but the dependency matrix marks 0; the graph keeps the edge (union of both)`,
        zero.line,
        zero.column,
        { related: [{ file: sink.file, line: d.line, column: d.column, message: `Depends On of ${item.id}` }] },
      );
    }
  }
}

/** A list entry: `text` is its code span when it has one (the value), `raw` the whole entry. */
interface ListEntry extends Located {
  raw: string;
}

/**
 * The lists a label matching `label` introduces: the list right after a paragraph
 * label (`Evidence roots:`), or every list of a heading's section before the next
 * heading, so a sentence of explanation may sit between the heading and its list.
 */
function listAfter(blocks: Block[], label: RegExp): ListEntry[] {
  const out: ListEntry[] = [];
  const take = (list: Block | undefined) => {
    if (list?.type === 'list') for (const it of list.items) out.push({ text: stripCode(it.text), raw: it.text, line: it.line, column: it.column });
  };
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const text =
      b.type === 'heading' ? b.text : b.type === 'paragraph' ? (b.lines[b.lines.length - 1]?.text ?? '') : null;
    if (text === null || !label.test(text.replace(/[*_]/g, '').replace(/:\s*$/, '').trim())) continue;
    if (b.type === 'paragraph') {
      take(blocks[i + 1]);
      continue;
    }
    for (let j = i + 1; j < blocks.length && blocks[j]!.type !== 'heading'; j++) take(blocks[j]);
  }
  return out;
}

/**
 * A `Checks` list names a milestone and a command per entry (`GV-01: \`npm test\``);
 * an entry may name several milestones. The command is the entry's code span.
 */
function assignChecks(index: MentionIndex, entries: ListEntry[]): void {
  for (const e of entries) {
    const code = /`([^`]+)`/.exec(e.raw);
    if (!code) continue;
    const column = e.column + code.index + 1;
    for (const item of index.mentioned(e.raw.slice(0, code.index))) item.checks.push({ command: code[1]!.trim(), line: e.line, column });
  }
}

/** Gives each item the first entry that names it (in the entry's text or, for `LM-01: \`path\``, before the code span). */
function assignByIdMention(index: MentionIndex, values: ListEntry[], field: 'packetId' | 'evidenceRoot'): void {
  const given = new Set<Item>();
  for (const v of values) {
    for (const item of index.mentioned(v.raw)) {
      if (item[field] || given.has(item)) continue;
      item[field] = v.text;
      given.add(item);
    }
  }
}

const ALNUM = /[a-z0-9]/;

interface TrieNode {
  next: Map<string, TrieNode>;
  items: Item[] | null;
}

/**
 * Which items a text mentions: an item's id, case-insensitively, with no letter or
 * digit right before or after it (`ops/runtime/lm-01/` mentions LM-01, `lm-010`
 * does not). The ids are in a trie walked from each place a mention may start, so a
 * text costs at most MAX_MENTION_ID_LENGTH steps per character whatever the number
 * of items (testing every id against every entry was quadratic). Longer ids are
 * not looked for, and each is reported once (`id-too-long`).
 */
class MentionIndex {
  private readonly root: TrieNode = { next: new Map(), items: null };

  constructor(items: Item[], sink: DiagnosticSink) {
    for (const item of items) {
      const id = item.id.toLowerCase();
      if (id.length > MAX_MENTION_ID_LENGTH) {
        sink.info('id-too-long', `${item.id.slice(0, 40)}… is longer than ${MAX_MENTION_ID_LENGTH} characters; Packet IDs, Evidence roots and Checks entries are not matched to it`, item.line, item.column);
        continue;
      }
      let node = this.root;
      for (const ch of id) {
        let child = node.next.get(ch);
        if (!child) node.next.set(ch, (child = { next: new Map(), items: null }));
        node = child;
      }
      (node.items ??= []).push(item);
    }
  }

  /** The items `text` mentions, each once, in no particular order. */
  mentioned(text: string): Set<Item> {
    const hay = text.toLowerCase();
    const found = new Set<Item>();
    for (let s = 0; s <= hay.length; s++) {
      if (s > 0 && ALNUM.test(hay[s - 1]!)) continue;
      let node: TrieNode | undefined = this.root;
      let e = s;
      for (;;) {
        if (node.items && !ALNUM.test(hay.charAt(e))) for (const it of node.items) found.add(it);
        if (e >= hay.length) break;
        // Walk by code point, as the ids were inserted.
        const cp = hay.codePointAt(e)!;
        const ch = String.fromCodePoint(cp);
        node = node.next.get(ch);
        if (!node) break;
        e += ch.length;
      }
    }
    return found;
  }
}

/**
 * The items of each id prefix (`LM-`), sorted by the number after it, so a claimed
 * range (`LM-01..LM-09`) costs a binary search and its hits instead of a pass over
 * every item. The numbers are read as before: `Number` of the rest of the id.
 */
class RangeIndex {
  private readonly byPrefix = new Map<string, { n: number; order: number; id: string }[]>();

  constructor(items: Item[]) {
    items.forEach((item, order) => {
      const dash = item.id.indexOf('-');
      if (dash < 0) return;
      const prefix = item.id.slice(0, dash + 1);
      const n = Number(item.id.slice(dash + 1));
      if (Number.isNaN(n)) return;
      let list = this.byPrefix.get(prefix);
      if (!list) this.byPrefix.set(prefix, (list = []));
      list.push({ n, order, id: item.id });
    });
    for (const list of this.byPrefix.values()) list.sort((x, y) => x.n - y.n || x.order - y.order);
  }

  /** Ids starting with `prefix` whose number is in [lo, hi], in item order. */
  between(prefix: string, lo: number, hi: number): string[] {
    const list = this.byPrefix.get(prefix);
    if (!list) return [];
    let a = 0;
    let b = list.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (list[mid]!.n < lo) a = mid + 1;
      else b = mid;
    }
    const hits: { order: number; id: string }[] = [];
    for (let k = a; k < list.length && list[k]!.n <= hi; k++) hits.push(list[k]!);
    return hits.sort((x, y) => x.order - y.order).map((h) => h.id);
  }
}
