import type { Block, TableBlock } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Claim, DependencyRef, Item, Matrix } from '../model.js';
import { normalizeStatus } from '../status.js';
import type { CompiledProfile } from '../profile.js';
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

/** True when a table's header names a Milestone and a Status column. */
export function isMilestoneTable(t: TableBlock): boolean {
  const h = (t.rows[0]?.cells ?? []).map((c) => canon(c.text));
  return h.includes('status') && (h.includes('milestone') || h.includes('milestones'));
}

/** Parses a tracker: milestone tables, dependency matrices, packet ids and evidence roots. */
export function parseTracker(blocks: Block[], docId: string, profile: CompiledProfile, sink: DiagnosticSink): TrackerParts {
  const items: Item[] = [];
  const matrixTables: { table: TableBlock; title: string | null }[] = [];
  let lastHeading: string | null = null;
  for (const b of blocks) {
    if (b.type === 'heading') lastHeading = b.text;
    if (b.type !== 'table') continue;
    if (isMilestoneTable(b)) items.push(...milestoneRows(b, docId, profile, sink));
    else if (looksLikeMatrix(b)) matrixTables.push({ table: b, title: lastHeading });
  }
  const byId = new Map(items.map((i) => [i.id, i]));
  const matrices = matrixTables.map(({ table, title }) => readMatrix(table, title, byId, sink)).filter((m): m is Matrix => m !== null);
  const zeroCells = new Map<string, { line: number; column: number }>();
  for (const { table } of matrixTables) collectZeroCells(table, zeroCells);
  checkDrift(items, matrices, zeroCells, sink);
  const packetEntries = listAfter(blocks, /^packet ids?$/i);
  const evidenceEntries = listAfter(blocks, /^evidence roots?$/i);
  assignByIdMention(items, packetEntries, 'packetId');
  assignByIdMention(items, evidenceEntries, 'evidenceRoot');
  assignChecks(items, listAfter(blocks, /^checks?$/i));
  const located = (es: ListEntry[]): Located[] => es.map(({ text, line, column }) => ({ text, line, column }));
  const packetIds = located(packetEntries);
  const evidenceRoots = located(evidenceEntries);
  const claims = readClaims(blocks, items, profile);
  return { items, claims, matrices, evidenceRoots, packetIds };
}

const CLAIM_STATUS = /\b(completed|complete|done|finished|closed|planned|in progress|partially complete|partial|blocked)\b/i;
const CLAIM_ID = /\b([A-Za-z][A-Za-z0-9]*-)(\d+)\b(?:\s*(?:\.\.|–|—|to)\s*\1?(\d+)\b)?/g;

/**
 * Status claims in prose: a clause (split at `;` and sentence ends) naming ids
 * of this tracker, singly or as ranges (`LM-01..LM-09`), and a status word.
 * `govern audit` reports a claim the milestone table contradicts.
 */
function readClaims(blocks: Block[], items: Item[], profile: CompiledProfile): Claim[] {
  const known = new Set(items.map((i) => i.id));
  const out: Claim[] = [];
  for (const b of blocks) {
    if (b.type !== 'paragraph') continue;
    for (const l of b.lines) {
      const clauseRe = /[^;]+?(?:[;]|\.(?=\s|$)|$)/g;
      for (let c = clauseRe.exec(l.text); c && c[0]; c = clauseRe.exec(l.text)) {
        const clause = c[0];
        const word = CLAIM_STATUS.exec(clause);
        const status = word ? normalizeStatus(word[1]!, profile).status : null;
        if (!status) continue;
        const ids: string[] = [];
        for (const m of clause.matchAll(CLAIM_ID)) {
          const [, prefix, a, b2] = m;
          if (b2 === undefined) {
            if (known.has(`${prefix}${a}`)) ids.push(`${prefix}${a}`);
            continue;
          }
          const lo = Number(a);
          const hi = Number(b2);
          for (const it of items) {
            const n = it.id.startsWith(prefix!) ? Number(it.id.slice(prefix!.length)) : NaN;
            if (n >= lo && n <= hi) ids.push(it.id);
          }
        }
        if (ids.length) out.push({ ids, status, text: clause.replace(/[;.]$/, '').trim(), line: l.line, column: l.column + c.index + (clause.length - clause.trimStart().length) });
        if (clauseRe.lastIndex >= l.text.length) break;
      }
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
    for (const id of unknown) {
      const cell = [t.rows[0]?.cells ?? [], ...t.rows.slice(1).map((r) => r.cells.slice(0, 1))].flat().find((c) => leadingId(c.text)?.id === id);
      sink.warn('matrix-unknown-id', `dependency matrix names ${id}, which is not a milestone of this tracker; its cells are ignored`, cell?.line ?? t.line, cell?.column ?? 1);
    }
    // Cells naming an ignored id say nothing about the graph: drop them here, once.
    const kept = edges.filter((e) => !unknown.has(e.from) && !unknown.has(e.to));
    edges.splice(0, edges.length, ...kept);
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
  for (const m of matrices) {
    if (m.kind !== 'dependency') continue;
    for (const e of m.edges) {
      const item = byId.get(e.from);
      if (!item || item.dependencies.some((d) => d.origin === 'table' && d.id === e.to)) continue;
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
function assignChecks(items: Item[], entries: ListEntry[]): void {
  for (const e of entries) {
    const code = /`([^`]+)`/.exec(e.raw);
    if (!code) continue;
    const column = e.column + code.index + 1;
    for (const item of items) if (mentions(e.raw.slice(0, code.index), item.id)) item.checks.push({ command: code[1]!.trim(), line: e.line, column });
  }
}

function mentions(text: string, id: string): boolean {
  const hay = text.toLowerCase();
  const needle = id.toLowerCase();
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    if (!/[a-z0-9]/.test(hay.charAt(at + needle.length)) && !/[a-z0-9]/.test(hay.charAt(at - 1))) return true;
  }
  return false;
}

/** Gives each item the first entry that names it (in the entry's text or, for `LM-01: \`path\``, before the code span). */
function assignByIdMention(items: Item[], values: ListEntry[], field: 'packetId' | 'evidenceRoot'): void {
  for (const item of items) {
    if (item[field]) continue;
    const hit = values.find((v) => mentions(v.raw, item.id));
    if (hit) item[field] = hit.text;
  }
}
