import { isMap, isScalar, isSeq } from 'yaml';
import type { Block, ListItem, Located } from '../blocks.js';
import { parseYaml, readFlatYaml, unresolvedAliasOffset } from '../frontmatter.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Criterion, DependencyRef, Item, ItemKind } from '../model.js';
import type { CompiledProfile } from '../profile.js';
import { normalizeStatus } from '../status.js';

/** An id is a token with a letter first and at least one digit: `LM-01`, `K0`, `PMEM-WP-0011-T01`. */
const ID_RE = /^`?([A-Za-z][A-Za-z0-9]*(?:[-_.:/][A-Za-z0-9]+)*)`?(?=[\s,;:)]|$)/;

export function leadingId(text: string): { id: string; rest: string } | null {
  const m = ID_RE.exec(text.trim());
  if (!m || !m[1] || !/\d/.test(m[1])) return null;
  return { id: m[1], rest: text.trim().slice(m[0].length).trim() };
}

const NONE = new Set(['', '-', '—', '–', 'none', 'n/a', 'na', '∅', 'nothing', 'tbd']);

/**
 * `None`, `Nothing (first phase)`, `- (first)`: no dependency. The words before a
 * parenthesis or a dash are what counts.
 */
export function isNoDependency(text: string): boolean {
  const t = text.replace(/[*_`]/g, '').trim().toLowerCase();
  if (NONE.has(t)) return true;
  let cut = t.length;
  for (const sep of ['(', '—', '–', ' - ']) {
    const k = t.indexOf(sep);
    if (k >= 0 && k < cut) cut = k;
  }
  return NONE.has(t.slice(0, cut).trim());
}

/**
 * Splits a dependency list as written in a cell or metadata value
 * (`LM-02, LM-03`, `K0 and K1`) into positioned refs; `-`/`none` mean none.
 */
export function parseDependencyList(
  text: string,
  line: number,
  column: number,
  origin: DependencyRef['origin'],
  sink: DiagnosticSink,
): DependencyRef[] {
  if (isNoDependency(text)) return [];
  const refs: DependencyRef[] = [];
  const re = /[^,;]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (const part of splitAnd(m[0], m.index)) {
      const token = part.text.trim();
      if (NONE.has(token.toLowerCase())) continue;
      const col = column + part.index + (part.text.length - part.text.trimStart().length);
      // A bare number is an id where the document numbers its items (`006` in a ccpm epic).
      const lead = leadingId(token) ?? (/^\d+$/.test(token) && origin === 'front-matter' ? { id: token, rest: '' } : null);
      if (!lead) {
        sink.error('dependency-invalid', `"${token}" is not an item id; the item counts as blocked by it until it names one`, line, col, {
          expected: 'an item id (as in the document\'s id column or headings), or none/-',
          actual: token,
        });
        // Kept, not dropped: an item whose dependency could not be read is not free to start.
        refs.push({ id: token, origin, line, column: col, unreadable: true });
        continue;
      }
      refs.push({ id: lead.id, origin, line, column: col });
    }
  }
  return refs;
}

function splitAnd(text: string, index: number): { text: string; index: number }[] {
  const out: { text: string; index: number }[] = [];
  // Matches start only where a whitespace run starts (see plan.ts splitSegments).
  const re = /(?<!\s)\s+and\s+/gi;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ text: text.slice(last, m.index), index: index + last });
    last = m.index + m[0].length;
  }
  out.push({ text: text.slice(last), index: index + last });
  return out;
}

/** Index of the block after the section that `blocks[i]` (a heading) starts. */
export function sectionEnd(blocks: Block[], i: number): number {
  const h = blocks[i];
  const depth = h?.type === 'heading' ? h.depth : 0;
  let j = i + 1;
  while (j < blocks.length) {
    const b = blocks[j];
    if (b?.type === 'heading' && b.depth <= depth) break;
    j++;
  }
  return j;
}

/** `**Exit criteria (verified):**` → `exit criteria`; null when the text is not a criteria label. */
export function criteriaLabel(text: string, profile: CompiledProfile): string | null {
  const t = stripParenthesized(text.replace(/[*_`]/g, '')).replace(/:\s*$/, '').trim().toLowerCase();
  if (profile.criteriaLabels.has(t)) return t;
  // `**Exit criteria — the MVP gate**`: what follows a dash is commentary on the label.
  const dash = /\s[—–-]\s/.exec(t);
  const head = dash ? t.slice(0, dash.index).trim() : null;
  if (head && profile.criteriaLabels.has(head)) return head;
  return null;
}

/**
 * `text.replace(/\(.*?\)/g, '')` in linear time: the regex rescans to the end of the
 * line from every `(` that has no `)` after it.
 */
function stripParenthesized(text: string): string {
  let out = '';
  let from = 0;
  for (let open = text.indexOf('(', from); open >= 0; open = text.indexOf('(', from)) {
    const close = text.indexOf(')', open + 1);
    if (close < 0) break;
    const nl = /[\n\r\u2028\u2029]/.exec(text.slice(open, close)); // `.` stops at a line terminator
    if (nl) {
      out += text.slice(from, open + nl.index + 1);
      from = open + nl.index + 1;
      continue;
    }
    out += text.slice(from, open);
    from = close + 1;
  }
  return out + text.slice(from);
}

// `Check: \`npm test\`` (one or more backticked commands) and `Verified by: ID, ID` tie a
// criterion to what verifies it. Both may end the bullet's text (a continuation line is
// joined to it with a space) or be a nested bullet of their own. Anchored at the end and
// built from non-overlapping classes, so they run in linear time on any line.
const CHECK_TIE = /(?:^|\s)check:\s*((?:`[^`\n]+`[\s,;]*)+)$/i;
const VERIFIED_BY = /(?:^|\s)\(?verified by:?\s+([A-Za-z][\w.-]*(?:(?:\s*,\s*|\s+and\s+)[A-Za-z][\w.-]*)*)\)?\.?$/i;

interface Tie {
  text: string;
  checks: string[];
  verifiedBy: string[];
}

/** Splits the tie markers off the end of a criterion's text (repeatable, in any order). */
function readTies(text: string): Tie {
  const tie: Tie = { text, checks: [], verifiedBy: [] };
  for (;;) {
    const c = CHECK_TIE.exec(tie.text);
    if (c) {
      tie.checks.unshift(...[...c[1]!.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.trim()));
      tie.text = tie.text.slice(0, c.index).trimEnd();
      continue;
    }
    const v = VERIFIED_BY.exec(tie.text);
    if (v) {
      tie.verifiedBy.unshift(...v[1]!.split(/\s*,\s*|\s+and\s+/).filter(Boolean));
      tie.text = tie.text.slice(0, v.index).trimEnd();
      continue;
    }
    return tie;
  }
}

function criterionOf(i: ListItem, tie: Tie): Criterion {
  const c: Criterion = { text: tie.text, checked: i.checked, line: i.line, column: i.column };
  if (tie.checks.length) c.checks = tie.checks;
  if (tie.verifiedBy.length) c.verifiedBy = tie.verifiedBy;
  return c;
}

/**
 * Items and their nested items, depth first, in document order; iterative, so any depth
 * is fine. A nested bullet that is only a tie (`- Check: \`cmd\``, `- Verified by: ID`)
 * is not a criterion: it is attached to its parent.
 */
export function flattenCriteria(items: ListItem[], out: Criterion[] = [], skip?: Set<ListItem>): Criterion[] {
  const stack: ListItem[] = [];
  for (let k = items.length - 1; k >= 0; k--) stack.push(items[k]!);
  while (stack.length) {
    const i = stack.pop()!;
    // A list line read as an item of its own is not a criterion, nor are its sub-steps.
    if (skip?.has(i)) continue;
    const tie = readTies(i.text);
    const rest: ListItem[] = [];
    for (const child of i.children) {
      const t = child.children.length === 0 && child.checked === null ? readTies(child.text) : null;
      if (t && t.text === '' && (t.checks.length || t.verifiedBy.length)) {
        tie.checks.push(...t.checks);
        tie.verifiedBy.push(...t.verifiedBy);
      } else rest.push(child);
    }
    out.push(criterionOf(i, tie));
    for (let k = rest.length - 1; k >= 0; k--) stack.push(rest[k]!);
  }
  return out;
}

/**
 * Collects exit criteria inside a section: lists that follow a criteria label
 * (a paragraph line or a heading) and every checkbox item anywhere in the section.
 */
export function collectCriteria(blocks: Block[], from: number, to: number, profile: CompiledProfile, skip?: Set<ListItem>): Criterion[] {
  const out: Criterion[] = [];
  const seen = new Set<number>();
  let underLabelHeading = false;
  for (let i = from; i < to; i++) {
    const b = blocks[i]!;
    if (b.type === 'heading') {
      underLabelHeading = criteriaLabel(b.text, profile) !== null;
      continue;
    }
    if (b.type !== 'list') continue;
    const prev = blocks[i - 1];
    const labelled =
      underLabelHeading ||
      (prev?.type === 'paragraph' && criteriaLabel(prev.lines[prev.lines.length - 1]?.text ?? '', profile) !== null);
    const items = flattenCriteria(b.items, [], skip);
    for (const c of items) {
      if ((labelled || c.checked !== null) && !seen.has(c.line)) {
        seen.add(c.line);
        out.push(c);
      }
    }
  }
  return out;
}

export interface StatusRead {
  status: Item['status'];
  statusText: string | null;
  refs: string[];
  statusSource: Item['statusSource'];
}

/** Normalizes a status token and reports a missing or unrecognized one. */
export function readStatus(
  raw: string | null,
  at: { line: number; column: number } | null,
  owner: { id: string; line: number; column: number },
  profile: CompiledProfile,
  sink: DiagnosticSink,
): StatusRead {
  if (raw === null || raw.trim() === '') {
    sink.warn('status-missing', `${owner.id} has no status`, at?.line ?? owner.line, at?.column ?? owner.column, {
      note: 'add a status (for example Planned, In Progress, Done); a missing status is never guessed',
    });
    return { status: null, statusText: raw === null ? null : raw.trim(), refs: [], statusSource: at };
  }
  const text = raw.trim();
  const n = normalizeStatus(text, profile);
  if (n.status === null) {
    sink.warn('status-unrecognized', `${owner.id}: status "${text}" is not recognized`, at?.line ?? owner.line, at?.column ?? owner.column, {
      expected: 'planned | in_progress | partial | blocked | done (or a spelling the profile maps to one)',
      actual: text,
      note: 'add the spelling to a profile in profiles/ to map it',
    });
  }
  return { status: n.status, statusText: text, refs: n.refs, statusSource: at };
}

export function newItem(
  fields: Pick<Item, 'id' | 'kind' | 'localId' | 'title' | 'line' | 'column'> & Partial<Item>,
): Item {
  return {
    status: null,
    statusText: null,
    statusSource: null,
    priority: null,
    order: null,
    dependencies: [],
    criteria: [],
    checks: [],
    evidenceRoot: null,
    packetId: null,
    stateHubId: null,
    refs: [],
    parent: null,
    ...fields,
  };
}

export function kindOf(k: string): ItemKind {
  return k === 'task' ? 'task' : k === 'workplan' ? 'workplan' : 'milestone';
}

export interface MetaValue {
  value: unknown;
  line: number;
  column: number;
  /** For YAML sequences: each entry with its own position. */
  items?: { text: string; line: number; column: number }[];
}

/**
 * Reads `key: value` metadata (plain lines or a fenced yaml block) with the yaml
 * package so every value keeps its position. `firstLine` is the file line of the
 * source's first line and `column` the column its lines start at.
 */
export function readMetadata(
  source: string,
  firstLine: number,
  column: number,
  sink: DiagnosticSink,
): Map<string, MetaValue> | null {
  const flat = readFlatYaml(source);
  if (flat) {
    const out = new Map<string, MetaValue>();
    for (const e of flat) out.set(e.key.toLowerCase(), { value: e.value, line: firstLine + e.line - 1, column: column + e.col - 1 });
    return out;
  }
  const parsed = parseYaml(source);
  if ('tooDeep' in parsed) {
    const { line, col, message } = parsed.tooDeep;
    sink.error('metadata-invalid', `task metadata: ${message}`, firstLine + line - 1, column + col - 1);
    return null;
  }
  const { doc, lines: lc } = parsed;
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const p = lc.linePos(e.pos[0]);
      sink.error('metadata-invalid', `task metadata: ${e.message.split('\n')[0]}`, firstLine + p.line - 1, column + p.col - 1);
    }
    return null;
  }
  const out = new Map<string, MetaValue>();
  if (!isMap(doc.contents)) return out;
  // toJS is called only for what it throws on: an alias that resolves to nothing or expands
  // too far. Without a `*` there is no alias, and building the values would be wasted.
  if (source.includes('*')) {
    try {
      doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      const at = lc.linePos(unresolvedAliasOffset(doc) ?? 0);
      sink.error('metadata-invalid', `task metadata: ${(err as Error).message.split('\n')[0]}`, firstLine + at.line - 1, column + at.col - 1);
      return null;
    }
  }
  for (const pair of doc.contents.items) {
    if (!isScalar(pair.key)) continue;
    const node = pair.value;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const p = range ? lc.linePos(range[0]) : lc.linePos((pair.key as unknown as { range?: [number] }).range?.[0] ?? 0);
    let value: unknown = null;
    let items: MetaValue['items'];
    if (isScalar(node)) value = node.value;
    else if (isSeq(node)) {
      value = node.toJSON();
      items = node.items.flatMap((it) => {
        if (!isScalar(it) || !it.range) return [];
        const ip = lc.linePos(it.range[0]);
        return [{ text: String(it.value), line: firstLine + ip.line - 1, column: column + ip.col - 1 }];
      });
    } else if (node) value = (node as { toJSON(): unknown }).toJSON();
    out.set(String(pair.key.value).toLowerCase(), { value, line: firstLine + p.line - 1, column: column + p.col - 1, ...(items ? { items } : {}) });
  }
  return out;
}

/** Dependency refs from a metadata value: a sequence (each entry at its position) or a list string. */
export function dependencyRefs(v: MetaValue, origin: DependencyRef['origin'], sink: DiagnosticSink): DependencyRef[] {
  if (v.items) return v.items.flatMap((it) => parseDependencyList(it.text, it.line, it.column, origin, sink));
  const text = metaText(v);
  return text ? parseDependencyList(text, v.line, v.column, origin, sink) : [];
}

/** A metadata value as text; lists are joined with `, ` for dependency parsing. */
export function metaText(v: MetaValue | undefined): string | null {
  if (!v || v.value === null || v.value === undefined) return null;
  if (Array.isArray(v.value)) return v.value.map(String).join(', ');
  return String(v.value);
}

/**
 * Inline links as their text (`[orchestrator.md](./orchestrator.md)` → `orchestrator.md`,
 * images too): a cell names a thing, its link only says where the thing lives, and the
 * slug of a whole link doubled the id (`orchestrator-md-orchestrator-md`). Reference links
 * (`[text][ref]`) are left alone: `[P][US1]` after a task id is two markers, not a link.
 */
export function linkText(text: string): string {
  if (!text.includes('](')) return text;
  return text.replace(/!?\[([^[\]\n]*)\]\((?:<[^<>\n]*>|[^()\s]*)(?:\s+"[^"\n]*")?\)/g, '$1');
}

export function stripCode(text: string): string {
  const m = /`([^`]+)`/.exec(text);
  return (m ? m[1]! : text).trim();
}

export type { Located };
