import type { Block } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { DependencyRef, Item } from '../model.js';
import { MAX_HEADING_MATCH_LENGTH } from '../limits.js';
import type { CompiledProfile } from '../profile.js';
import { exactStatus, normalizeStatus } from '../status.js';
import type { ListItem, Located, TableBlock } from '../blocks.js';
import { canonicalHeader } from '../profile.js';
import { collectCriteria, criteriaLabel, flattenCriteria, isNoDependency, leadingId, linkText, newItem, parseDependencyList, readStatus, sectionEnd, stripCode } from './common.js';
import { headingMarks, isNonItemSection, listLineDetails, proseEdges, readListLine, readListLines, trailerDependencies, type ListLine, type ProseContext } from './lists.js';
import type { LineSkip } from '../explain-notes.js';
import { taskHeadingMatch } from './workplan.js';

export interface PlanHeading {
  localId: string;
  title: string;
  /** Status written as the heading's last ` — ` segment, e.g. `COMPLETE`. */
  statusText: string | null;
  statusColumn: number | null;
}

const HEADING_CACHE = new WeakMap<object, { profile: CompiledProfile; value: PlanHeading | null }>();

/** `planHeadingMatch` of a heading block, computed once per block and profile (family detection and the parser both ask). */
export function planHeadingOf(b: { text: string; column: number }, profile: CompiledProfile): PlanHeading | null {
  const hit = HEADING_CACHE.get(b);
  if (hit && hit.profile === profile) return hit.value;
  const value = planHeadingMatch(b.text, b.column, profile);
  HEADING_CACHE.set(b, { profile, value });
  return value;
}

/** Matches a plan milestone heading (`### K0: Contract Baseline`, `## PHASE 3 — Memory — COMPLETE`). */
export function planHeadingMatch(text: string, column: number, profile: CompiledProfile): PlanHeading | null {
  // As for task headings: the profile's patterns are not tried on very long text.
  if (text.length > MAX_HEADING_MATCH_LENGTH) return null;
  // Status marks around the title (`[x] `, `✅ `, `… \`done\``, `… ✅ COMPLETE`) are read first.
  const marks = headingMarks(text, profile);
  const full = text;
  text = marks.text;
  // Emphasis around the heading's start (`### **Phase 1: Title** ✅`) is not part of it;
  // `at` maps an index of the text without it back to the heading text.
  let at = (k: number) => marks.offset + k;
  const bold = /^(\*\*|__)/.exec(text);
  const close = bold ? text.indexOf(bold[1]!, 2) : -1;
  if (close > 2) {
    const inner = close - 2;
    text = text.slice(2, close) + text.slice(close + 2);
    at = (k: number) => marks.offset + k + (k < inner ? 2 : 4);
  }
  for (const re of profile.planHeadings) {
    const m = re.exec(text);
    if (!m?.groups?.id || !/\d/.test(m.groups.id)) continue; // `## Phase Overview` is not a phase
    const localId = m.groups.kw ? `${m.groups.kw.toUpperCase()}-${m.groups.id}` : m.groups.id;
    const rest = m.groups.rest ?? m.groups.title ?? '';
    const restAt = rest ? text.lastIndexOf(rest) : -1;
    const segments = splitSegments(rest);
    let statusText: string | null = null;
    let statusColumn: number | null = null;
    if (segments.length > 1) {
      const last = segments[segments.length - 1]!;
      if (normalizeStatus(last.text, profile).status !== null) {
        statusText = last.text;
        statusColumn = column + at(restAt + last.index);
        segments.pop();
      }
    }
    const title = segments.length ? rest.slice(0, segments[segments.length - 1]!.index + segments[segments.length - 1]!.text.length).trim() : '';
    if (statusText === null && marks.statusText !== null) {
      statusText = marks.statusText;
      statusColumn = column + marks.statusOffset;
    }
    void full;
    return { localId, title, statusText, statusColumn };
  }
  return null;
}

function splitSegments(rest: string): { text: string; index: number }[] {
  const out: { text: string; index: number }[] = [];
  // `(?<!\s)`: a match can only start where a whitespace run starts; retrying from
  // inside the run finds nothing new and made long runs quadratic.
  const re = /(?<!\s)(?:\s+[—–]\s+|\s+-\s+)/g;
  let last = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    out.push({ text: rest.slice(last, m.index), index: last });
    last = m.index + m[0].length;
  }
  if (rest.slice(last).trim()) out.push({ text: rest.slice(last).trim(), index: last });
  return out;
}

/** The keyword of a phase reference (`Phase`, `Phases`, `milestone-`): one pattern for single phases and ranges. */
const PHASE_KEYWORD = String.raw`(phase|milestone|stage)s?[\s-]+`;
/** `Phase 2`, `milestone-3a`: a keyword and one local id. */
const SINGLE = new RegExp(String.raw`^${PHASE_KEYWORD}([A-Za-z0-9][\w.-]*)$`, 'i');
/** `Phases 1-3`, `Phase 2–4`: a keyword and a range of numbers, every number of it a dependency. */
const RANGE = new RegExp(String.raw`^${PHASE_KEYWORD}(\d{1,6})\s*(?:-|–|—|to|\.\.)\s*(\d{1,6})$`, 'i');
/** Larger ranges are not expanded (they are read as one unreadable token, an error). */
const MAX_RANGE = 1000;

/**
 * The document's title as an item: an H1 that names one by keyword (`# Epic 10: Language
 * Expansion`, `# Phase 2: …`), under which everything belongs to it. Other titles are not.
 * Its block index and heading, or null. One rule for the parser and the family check.
 */
export function planTitleAt(blocks: Block[], profile: CompiledProfile): { index: number; heading: PlanHeading } | null {
  const index = blocks.findIndex((b) => b.type === 'heading' && b.depth === 1);
  if (index < 0) return null;
  const h1 = blocks[index] as Extract<Block, { type: 'heading' }>;
  const heading = planHeadingOf(h1, profile);
  return heading && /^[A-Z]+-/.test(heading.localId) && !taskHeadingMatch(h1.text, profile) ? { index, heading } : null;
}

/**
 * `Depends on:` in a plan may name phases as `Phase 1`, `PHASE-1` or just `1`;
 * keyword forms are folded to the local id form (`PHASE-1`), bare numbers are
 * resolved against the document's headings afterwards. `origin` says where the text was
 * read: a `Depends on:` line (`section`) or a status table's cell (`table`).
 */
function planDependencies(text: string, line: number, column: number, sink: DiagnosticSink, origin: DependencyRef['origin'] = 'section'): Item['dependencies'] {
  const out: Item['dependencies'] = [];
  if (isNoDependency(text)) return out;
  const re = /[^,;]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let raw = m[0];
    // `Phase 17 (Milestone 2 complete)`: the commentary in parentheses is not an id.
    const paren = raw.indexOf('(');
    if (paren > 0 && raw.slice(0, paren).trim()) raw = raw.slice(0, paren);
    const token = raw.trim();
    if (!token) continue;
    const col = column + m.index + (raw.length - raw.trimStart().length);
    const range = RANGE.exec(token);
    const from = range ? Number(range[2]) : 0;
    const to = range ? Number(range[3]) : 0;
    if (range && from <= to && to - from < MAX_RANGE) {
      for (let k = from; k <= to; k++) out.push({ id: `${range[1]!.toUpperCase()}-${k}`, origin, line, column: col });
      continue;
    }
    const kw = SINGLE.exec(token);
    if (kw) out.push({ id: `${kw[1]!.toUpperCase()}-${kw[2]}`, origin, line, column: col });
    else if (/^\d[\w.-]*$/.test(token)) out.push({ id: token, origin, line, column: col });
    else for (const ref of parseDependencyList(token, line, col, origin, sink)) out.push(ref);
  }
  return out;
}

// `(?<!\s)` before the trailing `\s*`: the lazy value stops only after a non-blank
// character, so a long run of blanks inside the value is scanned once, not once per
// character of the run (quadratic). On a line without trailing blanks (the caller
// trims them) the value is what it was without the lookbehind.
const STATUS_LINE = /^(?:\*\*|__)?status(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+?)(?<!\s)\s*(?:\*\*|__)?$/i;
// `**Completed:** 2026-02-21`, `Shipped: 2024-05`: a label, a colon, a date (and anything after it).
const DATED_LINE = /^(?:\*\*|__)?([A-Za-z][A-Za-z ]{0,20}?)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*\d{4}-\d{2}(?:-\d{2})?\b/;

/** A line whose label is exactly a status spelling and whose value is a date: the label is the status. */
function datedStatus(text: string, profile: CompiledProfile): [string, string] | null {
  const m = DATED_LINE.exec(text);
  return m && exactStatus(m[1]!.trim(), profile) !== null ? [m[0], m[1]!.trim()] : null;
}

const EVIDENCE_LINE = /^(?:\*\*|__)?evidence(?:\s+root)?(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+?)(?<!\s)\s*$/i;
const CHECK_LINE = /^(?:\*\*|__)?checks?(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*?)(?<!\s)\s*$/i;
const DEPENDS_LINE = /^(?:\*\*|__)?depends(?:\s+on)?(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+?)(?<!\s)\s*$/i;

/**
 * Parses a plan: milestones or phases as headings, items written as list lines
 * (`- [x] T001 …`, `- [x] 1.1 …`, `- ✅ Streaming`) and tables read by their columns.
 * Ids are local to the document (`K0` exists in many plans), so node ids are qualified
 * as `<document id>:<local id>`; `Depends on:` lines may use the local id.
 */
export function parsePlan(blocks: Block[], docId: string, profile: CompiledProfile, sink: DiagnosticSink): Item[] {
  const items: Item[] = [];
  const byLocal = new Map<string, Item>();
  const headItems = new Map<number, { item: Item; stated: boolean; end: number }>();
  // Each heading is matched once: milestone heading, task heading, or neither.
  const planAt = new Map<number, PlanHeading>();
  const taskAt = new Map<number, { id: string; title: string }>();
  const title = planTitleAt(blocks, profile);
  if (title) planAt.set(title.index, { ...title.heading });
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type !== 'heading' || b.depth < 2) continue;
    const t = taskHeadingMatch(b.text, profile);
    if (t) taskAt.set(i, t);
    else {
      const p = planHeadingOf(b, profile);
      if (p) planAt.set(i, { ...p });
    }
  }
  const hasIdHeadings = planAt.size > 0;
  // A per-phase file: its title is its only milestone heading (the family check's
  // `plan-title` rule, told here from the same headings).
  const titleOnly = title !== null && planAt.size === 1;
  // The item headings enclosing the current one: a nested milestone or task heading
  // (`## Milestone 4` > `### Phase 5` > `#### T001: …`) belongs to the one above it.
  const enclosing: { depth: number; item: Item }[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type !== 'heading' || (b.depth < 2 && !planAt.has(i))) continue;
    while (enclosing.length && enclosing[enclosing.length - 1]!.depth >= b.depth) enclosing.pop();
    let h = planAt.get(i) ?? null;
    let kind: Item['kind'] = 'milestone';
    if (!h && hasIdHeadings) {
      // A task heading (`### T001: Title`) inside a plan is a task of it.
      const t = taskAt.get(i);
      if (t) {
        h = { localId: t.id, title: t.title, statusText: null, statusColumn: null };
        kind = 'task';
      }
    }
    if (!h) continue;
    const end = sectionEnd(blocks, i);
    // The heading's own part: up to the first nested milestone or task heading. A per-phase
    // file's title (`titleOnly`: no other milestone heading) owns only the lines above
    // its first section: the `Depends on: 1.7` and `Status:` lines of `### 2.1 …` are that
    // section's, which is not an item.
    let own = i + 1;
    while (own < end) {
      const x = blocks[own]!;
      if (x.type === 'heading' && (planAt.has(own) || taskAt.has(own) || (titleOnly && b.depth === 1))) break;
      own++;
    }
    const id = `${docId}:${h.localId}`;
    const item = newItem({ id, kind, localId: h.localId, title: h.title, line: b.line, column: b.column, parent: enclosing[enclosing.length - 1]?.item.id ?? docId });
    enclosing.push({ depth: b.depth, item });
    let statusText = h.statusText;
    let statusAt = h.statusColumn !== null ? { line: b.line, column: h.statusColumn } : null;
    for (let j = i + 1; j < own; j++) {
      const s = blocks[j]!;
      // `- Status: Done` as a bullet of the heading's first list counts like a `Status:` line.
      const lines =
        s.type === 'heading'
          ? [{ text: s.text, line: s.line, column: s.column }]
          : s.type === 'paragraph'
            ? s.lines
            : s.type === 'list'
              ? s.items.filter((it) => it.checked === null && it.children.length === 0)
              : [];
      for (const l of lines) {
        // The line regexes below are linear only without trailing blanks (see them); lines come trimmed, this makes sure.
        const text = l.text.trimEnd();
        // `Status: Done`, or a status as the label of a date (`**Completed:** 2026-02-21`).
        const sm = STATUS_LINE.exec(text) ?? datedStatus(text, profile);
        if (sm?.[1]) {
          const at = { line: l.line, column: l.column + l.text.indexOf(sm[1]) };
          if (statusText === null) {
            statusText = sm[1];
            statusAt = at;
          } else if (normalizeStatus(statusText, profile).status !== normalizeStatus(sm[1], profile).status) {
            sink.warn('status-conflict', `${id}: status "${sm[1]}" here disagrees with "${statusText}"`, at.line, at.column, {
              related: statusAt ? [{ file: sink.file, line: statusAt.line, column: statusAt.column, message: 'first status' }] : [],
            });
          }
        }
        if (s.type === 'list') {
          const dm = DEPENDS_LINE.exec(text);
          if (dm?.[1]) for (const ref of planDependencies(dm[1], l.line, l.column + l.text.indexOf(dm[1]), sink)) item.dependencies.push(ref);
          continue;
        }
        const em = EVIDENCE_LINE.exec(text);
        if (em?.[1]) item.evidenceRoot = stripCode(em[1]);
        const cm = CHECK_LINE.exec(text);
        if (cm) {
          // `Check: \`cmd\`` on one line, or `Checks:` ending a paragraph with the commands in the list after it.
          if (cm[1]) item.checks.push({ command: stripCode(cm[1]), line: l.line, column: l.column + l.text.indexOf(cm[1]) });
          else if (l === lines[lines.length - 1] && blocks[j + 1]?.type === 'list') {
            const list = blocks[j + 1] as Extract<Block, { type: 'list' }>;
            for (const it of list.items) item.checks.push({ command: stripCode(it.text), line: it.line, column: it.column });
          }
        }
        const dm = DEPENDS_LINE.exec(text);
        if (dm?.[1]) for (const ref of planDependencies(dm[1], l.line, l.column + l.text.indexOf(dm[1]), sink)) item.dependencies.push(ref);
      }
    }
    // A heading without a status may get one from a checklist or progress table below; a
    // missing status is reported once those are read.
    if (statusText !== null) Object.assign(item, readStatus(statusText, statusAt, item, profile, sink));
    headItems.set(i, { item, stated: statusText !== null, end: own });
    items.push(item);
    if (!byLocal.has(h.localId.toUpperCase())) byLocal.set(h.localId.toUpperCase(), item);
  }

  const consumed = new Set<ListItem>();
  readListsAndTables(blocks, docId, profile, sink, { items, byLocal, headItems, consumed, idless: true });

  for (const [i, { item, end, stated }] of headItems) {
    item.criteria = collectCriteria(blocks, i + 1, end, profile, consumed);
    if (!stated && item.statusText === null) Object.assign(item, readStatus(null, null, item, profile, sink));
  }
  readProseDependencies(blocks, byLocal, sink);
  items.sort((a, b) => a.line - b.line || a.column - b.column);

  // Local references (`Depends on: K0`, `Phase 1`, `1`) resolve within the document first.
  const local = new Map<string, string>();
  for (const it of items) if (!local.has(it.localId.toUpperCase())) local.set(it.localId.toUpperCase(), it.id);
  const kws = [...new Set(items.map((it) => /^([A-Z]+)-\d/.exec(it.localId)?.[1]).filter((k): k is string => !!k))];
  for (const it of items) {
    for (const d of it.dependencies) {
      const key = d.id.toUpperCase();
      d.id = local.get(key) ?? kws.map((k) => local.get(`${k}-${key}`)).find((x) => x !== undefined) ?? d.id;
    }
  }
  return items;
}

/**
 * The items a document that is not a plan writes as id lines or in tables read by their
 * columns (an epic's task list): id lines only, never id-less checklists.
 */
export function planListItems(blocks: Block[], docId: string, profile: CompiledProfile, sink: DiagnosticSink): Item[] {
  const st: PlanState = { items: [], byLocal: new Map(), headItems: new Map(), consumed: new Set(), idless: false };
  readListsAndTables(blocks, docId, profile, sink, st);
  const local = new Map<string, string>();
  for (const it of st.items) if (!local.has(it.localId.toUpperCase())) local.set(it.localId.toUpperCase(), it.id);
  for (const it of st.items) for (const d of it.dependencies) d.id = local.get(d.id.toUpperCase()) ?? d.id;
  return st.items.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Dependencies a plan states in prose (`**Phase 2**: Depends on Phase 1 completion`,
 * `T005 → T006`), in paragraphs and list lines, between items of the document only.
 */
function readProseDependencies(blocks: Block[], byLocal: Map<string, Item>, sink: DiagnosticSink): void {
  const texts: Located[] = [];
  for (const b of blocks) {
    if (b.type === 'paragraph') for (const l of b.lines) texts.push(l);
    else if (b.type === 'list') {
      // Document order, so that an item's prose dependencies keep the order they are written in.
      const stack = [...b.items].reverse();
      while (stack.length) {
        const it = stack.pop()!;
        texts.push(it);
        for (let k = it.children.length - 1; k >= 0; k--) stack.push(it.children[k]!);
      }
    }
  }
  const ctx = proseContext(byLocal);
  // The dependencies each item already names (a set per item: one lookup per edge, not a scan).
  const named = new Map<Item, Set<string>>();
  const has = (from: Item, to: Item) => {
    let set = named.get(from);
    if (!set) named.set(from, (set = new Set(from.dependencies.map((d) => d.id.toUpperCase()))));
    return set.has(to.localId.toUpperCase()) || set.has(to.id.toUpperCase());
  };
  for (const t of texts) {
    if (!proseHint(t.text)) continue;
    if (ctx.budget <= 0) {
      sink.warn(
        'prose-dependencies-too-many',
        `the dependency sentences of this document name more than ${MAX_PROSE_IDS} ids and edges in all (ranges expanded); this line and the ones after it are not read for dependencies`,
        t.line,
        t.column,
      );
      break;
    }
    for (const e of proseEdges(t.text, ctx)) {
      const from = byLocal.get(e.from.toUpperCase());
      const to = byLocal.get(e.to.toUpperCase());
      if (!from || !to || from === to || has(from, to)) continue;
      from.dependencies.push({ id: to.localId, origin: 'section', line: t.line, column: t.column + e.column });
      named.get(from)!.add(to.localId.toUpperCase());
    }
  }
}

/** Whether a text may state a dependency in prose (`→`, `depend`, `after`, `sequential`): one case-sensitive scan, the cheapest filter. */
const PROSE_HINT = /→|epend|EPEND|fter|FTER|equential|EQUENTIAL/;
function proseHint(t: string): boolean {
  return PROSE_HINT.test(t);
}
/** The longest id range prose may name (`T001-T200`); a longer one is not read as a range. */
const MAX_PROSE_RANGE = 200;
/** The ids and edges all the dependency prose of one document may name (`prose-dependencies-too-many`). */
const MAX_PROSE_IDS = 100_000;

/**
 * What prose dependencies resolve against: ranges (`T001-T003`) over the ids the document
 * has with that prefix and width, and user stories (`US1`) to the milestone whose title
 * names them (`## Phase 3: User Story 1 - …`).
 */
function proseContext(byLocal: Map<string, Item>): ProseContext {
  let stories: Map<string, string> | null = null;
  const ctx: ProseContext = {
    budget: MAX_PROSE_IDS,
    range(from, to) {
      const a = /^(.*?)(\d+)$/.exec(from);
      const b = /^(.*?)(\d+)$/.exec(to);
      if (!a || !b || a[1]!.toUpperCase() !== b[1]!.toUpperCase()) return null;
      const lo = Number(a[2]);
      const hi = Number(b[2]);
      // Only as many ids as the document has, and at most MAX_PROSE_RANGE: `T1-T999999999`
      // costs no more than a short range, however many lines name one.
      if (!(lo < hi) || hi - lo >= Math.min(byLocal.size, MAX_PROSE_RANGE)) return null;
      const out: string[] = [];
      ctx.budget -= hi - lo + 1;
      for (let n = lo; n <= hi; n++) {
        const id = `${a[1]}${String(n).padStart(a[2]!.length, '0')}`;
        if (byLocal.has(id.toUpperCase())) out.push(id);
      }
      return out.length ? out : null;
    },
    story(n) {
      if (!stories) {
        stories = new Map();
        for (const it of byLocal.values()) {
          if (it.kind !== 'milestone') continue;
          const m = /\b(?:user\s+story\s+|US)(\d+)\b/i.exec(it.title);
          if (m && !stories.has(String(Number(m[1])))) stories.set(String(Number(m[1])), it.localId);
        }
      }
      return stories.get(String(Number(n))) ?? null;
    },
  };
  return ctx;
}

interface PlanState {
  /** Whether checklists without ids may be items (a plan: yes; a task file or epic: no). */
  idless: boolean;
  items: Item[];
  byLocal: Map<string, Item>;
  headItems: Map<number, { item: Item; stated: boolean; end: number }>;
  consumed: Set<ListItem>;
  /** What wrote an item first (its status and dependencies there win), for drift messages; absent: a heading. */
  madeBy?: Map<Item, Source>;
  /** Where a status an item did not state itself came from (a list line or table row naming it). */
  statusBy?: Map<Item, Source>;
  /** Items by title (null: several share it), built as `byTitle` needs it. */
  titles?: { map: Map<string, Item | null>; upTo: number };
}

/** Where an item or a statement about it is written. */
type Source = 'heading' | 'list line' | 'table';

const SECTION_OF: Record<Source, string> = { heading: 'its heading section', 'list line': 'its list line', table: 'its table row' };

/**
 * A second statement of an item's status (a list line or table row naming an item read
 * elsewhere): it gives the item its status when it had none; when both state one and they
 * disagree, `status-drift` at the second, naming the first, which is kept. A checkbox says
 * only done or not done, so `[ ]` agrees with any status that is not done.
 */
function restate(st: PlanState, existing: Item, text: string, at: { line: number; column: number }, how: Source, profile: CompiledProfile, sink: DiagnosticSink): void {
  if (existing.status === null && existing.statusText === null) {
    const n = normalizeStatus(text, profile);
    existing.status = n.status;
    existing.statusText = text;
    existing.refs = n.refs;
    existing.statusSource = at;
    (st.statusBy ??= new Map()).set(existing, how);
    return;
  }
  const said = normalizeStatus(text, profile).status;
  const kept = existing.status;
  if (said === null || kept === null || said === kept || existing.statusText === null) return;
  const box = (t: string) => /^\[[ xX]\]$/.test(t.trim());
  if ((box(text) || box(existing.statusText)) && (said === 'done') === (kept === 'done')) return;
  const by = st.statusBy?.get(existing) ?? st.madeBy?.get(existing) ?? 'heading';
  const first = by === 'table' ? 'table row' : by;
  sink.warn(
    'status-drift',
    `${existing.id}: the ${how} says "${text}" (${said}), but its ${first} says "${existing.statusText}" (${kept}); the ${first}'s status is kept`,
    at.line,
    at.column,
    existing.statusSource ? { related: [{ file: sink.file, ...existing.statusSource, message: `status of ${existing.id} in its ${first}` }] } : {},
  );
}

/**
 * Dependencies a table row states for an item read elsewhere: they are its dependencies
 * when it had none; when both list some and they differ, `dependency-drift` for every
 * edge only one of them has, and the item keeps the union (as a tracker's Depends On and
 * its matrix).
 */
function restateDependencies(st: PlanState, existing: Item, refs: Item['dependencies'], sink: DiagnosticSink): void {
  if (!refs.length) return;
  if (!existing.dependencies.length) {
    for (const d of refs) existing.dependencies.push(d);
    return;
  }
  const mine = new Set(existing.dependencies.map((d) => d.id.toUpperCase()));
  const theirs = new Set(refs.map((d) => d.id.toUpperCase()));
  const where = SECTION_OF[st.madeBy?.get(existing) ?? 'heading'];
  const first = existing.dependencies[0]!;
  const table = refs[0]!;
  for (const d of refs) {
    if (mine.has(d.id.toUpperCase())) continue;
    sink.warn('dependency-drift', `the table says ${existing.id} depends on ${d.id}, but ${where} does not list it; the graph keeps the edge (union of both)`, d.line, d.column, {
      related: [{ file: sink.file, line: first.line, column: first.column, message: `dependencies of ${existing.id} in ${where}` }],
    });
  }
  for (const d of existing.dependencies) {
    if (theirs.has(d.id.toUpperCase())) continue;
    sink.warn('dependency-drift', `${where} says ${existing.id} depends on ${d.id}, but the table does not list it; the graph keeps the edge (union of both)`, d.line, d.column, {
      related: [{ file: sink.file, line: table.line, column: table.column, message: `Depends On of ${existing.id} in the table` }],
    });
  }
  for (const d of refs) if (!mine.has(d.id.toUpperCase())) existing.dependencies.push(d);
}

interface Frame {
  depth: number;
  item: Item | null;
  stated: boolean;
  /** The text of a heading that is not an item; what it says is worked out when a list or table needs it. */
  text: string | null;
  /** A criteria heading (`### Exit Criteria`): nothing under it is an item. */
  criteria: boolean | null;
  /** A heading naming a section whose checklists are not items (`## Dependencies`): only id lines are. */
  nonItem: boolean | null;
}

/**
 * The line of the first block holding a list line with an id and a status mark, or a
 * table read by its columns (a plan even without milestone headings); null when none does.
 */
export function planListsAt(blocks: Block[], profile: CompiledProfile): number | null {
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type === 'table' && roleColumns(b, profile)) return b.line;
    if ((b.type === 'paragraph' || (b.type === 'list' && b.ordered)) && numberedItems(blocks, i, profile).length) return b.line;
    if (b.type !== 'list') continue;
    const stack = [...b.items];
    while (stack.length) {
      const it = stack.pop()!;
      const l = readListLine(it, profile);
      if (l?.id && l.status !== null) return b.line;
      for (const c of it.children) stack.push(c);
    }
  }
  return null;
}

function readListsAndTables(blocks: Block[], docId: string, profile: CompiledProfile, sink: DiagnosticSink, st: PlanState): void {
  const consumed = st.consumed;
  // Read every list line once.
  const lines = new Map<ListItem, ListLine | null>();
  // Per section (the blocks after a heading, up to the next heading; -1: before the first):
  // the first list line with an id and a status mark, and whether a table there is read.
  // A line without an id is not an item in a section that writes ids on its lines, nor
  // beside a table that tracks the section's items.
  const usesIdsIn = new Map<number, number>();
  let usesIdsAt = Infinity;
  const tableIn = new Set<number>();
  let section = -1;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type === 'heading') section = i;
    else if (b.type === 'table' && st.idless) {
      const h = section >= 0 && !st.headItems.has(section) ? (blocks[section] as Extract<Block, { type: 'heading' }>).text : null;
      if (tableRoles(b, profile, st, () => (h !== null ? sectionStatus(h, profile) : null))) tableIn.add(section);
    }
    if (b.type !== 'list') continue;
    for (const [it, l] of readListLines(b, profile)) {
      lines.set(it, l);
      if (l?.id && l.status !== null) {
        if (it.line < (usesIdsIn.get(section) ?? Infinity)) usesIdsIn.set(section, it.line);
        if (it.line < usesIdsAt) usesIdsAt = it.line;
      }
    }
  }
  const slugs = new Map<string, number>();
  const frames: Frame[] = [];
  section = -1;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type === 'heading') {
      while (frames.length && frames[frames.length - 1]!.depth >= b.depth) frames.pop();
      const h = st.headItems.get(i);
      frames.push({ depth: b.depth, item: h?.item ?? null, stated: h?.stated ?? false, text: h ? null : b.text, criteria: null, nonItem: null });
      section = i;
      continue;
    }
    const besideTable = tableIn.has(section);
    let ownerFrame: Frame | null = null;
    let nonItem: string | null = null;
    let underCriteria: string | null = null;
    for (let k = frames.length - 1; k >= 0; k--) {
      const f = frames[k]!;
      if (f.text !== null && f.criteria === null) {
        f.criteria = criteriaLabel(f.text, profile) !== null;
        f.nonItem = isNonItemSection(f.text, profile);
      }
      if (f.nonItem) nonItem ??= f.text;
      if (f.criteria) underCriteria ??= f.text;
      if (f.item) {
        ownerFrame = f;
        break;
      }
    }
    const top = frames[frames.length - 1];
    if (st.idless && underCriteria === null && (b.type === 'paragraph' || (b.type === 'list' && b.ordered))) {
      for (const n of numberedItems(blocks, i, profile)) {
        if (st.byLocal.has(n.number)) continue;
        const item = newItem({ id: `${docId}:${n.number}`, kind: 'task', localId: n.number, title: n.title, line: n.line, column: n.column, parent: ownerFrame?.item?.id ?? docId });
        item.criteria = n.criteria.map((c) => ({ text: c.text, checked: null, line: c.line, column: c.column }));
        Object.assign(item, readStatus(null, null, item, profile, sink));
        st.items.push(item);
        st.byLocal.set(n.number, item);
        (st.madeBy ??= new Map()).set(item, 'list line');
      }
    }
    if (b.type === 'table') {
      // Under a heading that names a status (`## ✅ Completed Recently`, `## In Progress`), rows without one have it.
      const named = top && top.item === null && top.text !== null && section >= 0 ? sectionStatus(top.text, profile) : null;
      if (underCriteria === null) readRoleTable(b, docId, profile, sink, st, ownerFrame?.item ?? null, slugs, named);
      else sink.explain?.table(b, { skip: 'under-criteria', under: underCriteria });
      continue;
    }
    if (b.type !== 'list') continue;
    const prev = blocks[i - 1];
    const label = prev?.type === 'paragraph' ? (prev.lines[prev.lines.length - 1]?.text ?? '') : '';
    // Under a criteria label (heading or paragraph) nothing is an item; under a section
    // such as `## Dependencies` only id lines are.
    const labelled = underCriteria !== null || (label !== '' && criteriaLabel(label, profile) !== null);
    const plainOnly = nonItem !== null || (/:\**\s*$/.test(label) && label.length < 60 && isNonItemSection(label, profile));
    // Id-less checklists are items only in a document without ids, and not right under a
    // task heading or a milestone that states its own status (there they are its sub-steps).
    const subSteps = ownerFrame !== null && top === ownerFrame && (ownerFrame.stated || ownerFrame.item?.kind === 'task');
    // A document that writes ids on its list lines reads lines without one only right under
    // a milestone heading that states no status and whose section writes no ids: that
    // checklist is how the milestone is tracked (`### Phase 1` + `- [ ] **NEW**: Design …`).
    const usesIds =
      usesIdsAt !== Infinity && !(ownerFrame !== null && top === ownerFrame && !ownerFrame.stated && ownerFrame.item?.kind === 'milestone' && !usesIdsIn.has(section));
    const idlessOk = st.idless && !usesIds && !besideTable && !labelled && !plainOnly && !subSteps;
    // Why a line with a status mark is not an item, in the order the conditions above are
    // tested; only `govern explain` asks.
    const why = (l: ListLine): LineSkip =>
      labelled
        ? { skip: 'criteria-label', label: underCriteria ?? label }
        : l.id !== null || idlessOk
          ? { skip: 'nested' }
          : !st.idless
            ? { skip: 'ids-only' }
            : usesIds
              ? { skip: 'uses-ids', at: usesIdsAt }
              : besideTable
                ? { skip: 'beside-table' }
                : plainOnly
                ? { skip: 'non-item-section', section: nonItem ?? label }
                : { skip: 'sub-steps', of: ownerFrame!.item!.id };
    // `nested`: under a list line that is not an item; `idlessParent`: under an id-less item
    // (its checkbox children are items too: the list is the plan).
    const work: { list: ListItem[]; parent: Item | null; nested: boolean; idlessParent: boolean }[] = [
      { list: b.items, parent: ownerFrame?.item ?? null, nested: false, idlessParent: false },
    ];
    while (work.length) {
      const { list, parent, nested, idlessParent } = work.pop()!;
      // A list whose lines lead with marks the profile does not know (`✅ …` beside `❌ …`)
      // is a list of findings, not a checklist: its lines without an id are no items.
      const marksKnown = !list.some((li) => lines.get(li)?.status === null && unknownMark(li.text));
      for (const li of list) {
        const l = lines.get(li);
        const isItem = !!l && l.status !== null && !labelled && (l.id !== null || (idlessOk && marksKnown && (!nested || idlessParent) && !PLACEHOLDER.test(l.title.trim())));
        if (!l || !isItem) {
          if (l && l.status !== null) sink.explain?.line(b, li, why(l));
          if (li.children.length) work.push({ list: li.children, parent, nested: true, idlessParent: false });
          continue;
        }
        consumed.add(li);
        listLineDetails(l);
        const localId = l.id ? (l.kw ? `${l.kw.toUpperCase()}-${l.id}` : l.id) : slugId(l.slugTitle, slugs);
        const existing = l.id ? st.byLocal.get(localId.toUpperCase()) : undefined;
        if (existing) {
          sink.explain?.line(b, li, { skip: 'same-item', of: existing.id });
          // The same item twice (a phase in a checklist and as a heading, a task in a preview
          // list and a table): one item; the first status stated wins.
          if (l.statusText !== null) restate(st, existing, l.statusText, { line: li.line, column: l.statusColumn }, 'list line', profile, sink);
          if (l.dependsText && existing.dependencies.length === 0) {
            for (const d of trailerDependencies(l.dependsText, li.line, l.dependsColumn, sink)) existing.dependencies.push(d);
          }
          if (li.children.length) work.push({ list: li.children, parent: existing, nested: true, idlessParent: false });
          continue;
        }
        const item = newItem({
          id: `${docId}:${localId}`,
          kind: 'task',
          localId,
          title: l.title,
          line: li.line,
          column: li.column,
          parent: dottedParent(localId, st.byLocal)?.id ?? parent?.id ?? docId,
          status: l.status,
          statusText: l.statusText,
          statusSource: { line: li.line, column: l.statusColumn },
        });
        if (l.dependsText) for (const d of trailerDependencies(l.dependsText, li.line, l.dependsColumn, sink)) item.dependencies.push(d);
        const steps: ListItem[] = [];
        const childItems: ListItem[] = [];
        for (const c of li.children) {
          const cl = lines.get(c);
          const dm = DEPENDS_CHILD.exec(c.text.replace(/[*_]/g, '').trim());
          if (dm?.[1] && c.children.length === 0) {
            for (const d of planDependencies(dm[1], c.line, c.column + Math.max(0, c.text.indexOf(dm[1])), sink)) item.dependencies.push(d);
            continue;
          }
          if (cl && cl.status !== null && (cl.id || (!l.id && idlessOk))) childItems.push(c);
          else {
            if (cl && cl.status !== null) sink.explain?.line(b, c, { skip: 'sub-steps', of: `${docId}:${localId}` });
            steps.push(c);
          }
        }
        item.criteria = flattenCriteria(steps, [], consumed).filter((c) => c.checked !== null);
        st.items.push(item);
        (st.madeBy ??= new Map()).set(item, 'list line');
        if (!st.byLocal.has(localId.toUpperCase())) st.byLocal.set(localId.toUpperCase(), item);
        if (childItems.length) work.push({ list: childItems, parent: item, nested: true, idlessParent: !l.id });
      }
    }
  }
}

/** Whether a list line leads with a symbol (an emoji such as ❌) rather than a letter, a digit or punctuation. */
function unknownMark(text: string): boolean {
  const cp = text.codePointAt(0);
  return cp !== undefined && cp >= 0x2000 && !/^[\p{L}\p{N}\p{P}]/u.test(text);
}

/** A line that only holds the place of work not yet named (`- [ ] TBD`) is not an item. */
const PLACEHOLDER = /^[*_]*(?:tbd|tba|todo|to be (?:defined|determined)|n\/a|none|\.\.\.|…|\?+)[*_.]*$/i;

interface NumberedItem {
  number: string;
  title: string;
  line: number;
  column: number;
  /** Its detail bullets that start with a criteria label (`Acceptance: …`). */
  criteria: Located[];
}

const NONE_NUMBERED: NumberedItem[] = [];
const NUMBERED_LINE = /^(\d{1,4})[.)][ \t]+(\S.*)$/;

/**
 * Numbered work items (`1) Close doc drift`, `5. Retrieval quality`) of block `i`: a
 * numbered line whose detail bullets hold a criteria label (`- Acceptance: make ci
 * passes`) is tracked work though it has no status mark; numbered steps without one are
 * not. The line is an item of an ordered list (its details: its nested bullets or, for
 * the list's last item, the bullet list right after it) or the last line of a paragraph
 * (`5)` cannot interrupt a paragraph, so `Next\n5) …` is one) followed by a bullet list.
 */
function numberedItems(blocks: Block[], i: number, profile: CompiledProfile): NumberedItem[] {
  const b = blocks[i]!;
  const next = blocks[i + 1];
  // Details follow in a bullet list, or sit under the items: nothing else is a work item.
  if (b.type === 'paragraph' && !(next?.type === 'list' && !next.ordered)) return NONE_NUMBERED;
  const after = next?.type === 'list' && !next.ordered ? next.items : [];
  const out: NumberedItem[] = [];
  if (b.type === 'paragraph') {
    const last = b.lines[b.lines.length - 1];
    const m = last ? NUMBERED_LINE.exec(last.text) : null;
    const criteria = m ? criteriaBullets(after, profile) : [];
    if (m && criteria.length) {
      const title = m[2]!.trim();
      out.push({ number: String(Number(m[1])), title, line: last!.line, column: last!.column + last!.text.indexOf(m[2]!), criteria });
    }
    return out;
  }
  if (b.type !== 'list' || !b.ordered) return out;
  b.items.forEach((it, k) => {
    let criteria = criteriaBullets(it.children, profile);
    if (!criteria.length && k === b.items.length - 1) criteria = criteriaBullets(after, profile);
    if (criteria.length && it.text.trim()) out.push({ number: String((b.start ?? 1) + k), title: it.text.replace(/\*\*|__/g, '').trim(), line: it.line, column: it.column, criteria });
  });
  return out;
}

/** The bullets (not nested ones) that start with a criteria label and a colon: `Acceptance: …`, `**Done when:** …`. */
function criteriaBullets(items: ListItem[], profile: CompiledProfile): Located[] {
  const out: Located[] = [];
  for (const it of items) {
    if (it.checked !== null) continue;
    const colon = it.text.indexOf(':');
    if (colon > 0 && colon <= 40 && criteriaLabel(it.text.slice(0, colon), profile) !== null) out.push(it);
  }
  return out;
}

const DEPENDS_CHILD = /^(?:depends on|depends|dependencies|blocked by)\s*:\s*(.+)$/i;

/** `1.2` belongs to `1`, `1.1.1` to `1.1`, when the document has that item. */
function dottedParent(localId: string, byLocal: Map<string, Item>): Item | undefined {
  const dot = localId.lastIndexOf('.');
  if (dot <= 0 || !/^\d/.test(localId)) return undefined;
  return byLocal.get(localId.slice(0, dot).toUpperCase());
}

/** A local id for an item written without one: its title in lower case with `-` between words, unique in the document. */
function slugId(title: string, slugs: Map<string, number>): string {
  const base = title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '') || 'item';
  const n = (slugs.get(base) ?? 0) + 1;
  slugs.set(base, n);
  return n === 1 ? base : `${base}-${n}`;
}

interface Roles {
  id: number;
  status: number;
  depends: number;
  title: number;
  /** The id column's header when it names a plan keyword (`Phase`, `Stage`): numbers in it are those ids. */
  kw: string | null;
}

/** The columns of a table that tracks items: an id column and a status or dependency column (names from the profile). */
const ROLES_CACHE = new WeakMap<TableBlock, { profile: CompiledProfile; value: Roles | null }>();

export function roleColumns(t: TableBlock, profile: CompiledProfile): Roles | null {
  const hit = ROLES_CACHE.get(t);
  if (hit && hit.profile === profile) return hit.value;
  const value = findRoles(t, profile);
  ROLES_CACHE.set(t, { profile, value });
  return value;
}

function findRoles(t: TableBlock, profile: CompiledProfile): Roles | null {
  const header = (t.rows[0]?.cells ?? []).map((c) => canonicalHeader(c.text.replace(/[*_`]/g, '')));
  const find = (set: Set<string>) => header.findIndex((h) => set.has(h));
  const id = find(profile.tableColumns.id);
  const status = find(profile.tableColumns.status);
  const depends = find(profile.tableColumns.depends);
  if (id < 0 || (status < 0 && depends < 0) || t.rows.length < 2) return null;
  const title = header.findIndex((h, k) => k !== id && profile.tableColumns.title.has(h));
  const h = header[id]!;
  const kw = /^(phase|milestone|stage|week|sprint|epic)$/.test(h) ? h.toUpperCase() : h === 'milestones' ? 'MILESTONE' : null;
  return { id, status, depends, title, kw };
}

function readRoleTable(
  t: TableBlock,
  docId: string,
  profile: CompiledProfile,
  sink: DiagnosticSink,
  st: PlanState,
  owner: Item | null,
  slugs: Map<string, number>,
  named: string | null,
): void {
  const roles = tableRoles(t, profile, st, () => named);
  if (!roles) {
    sink.explain?.table(t, { skip: 'roles' });
    return;
  }
  sink.explain?.table(t, { read: 'role-table', roles });
  // Ids that repeat in the column (`T001: API audit` of one story, `T001: Rate limits` of
  // another) are scoped by another column: none of the column's cells is an id then.
  const cells = rowCells(t, roles, profile);
  const scoped = new Set<string>();
  const unique = new Set<string>();
  for (const c of cells) {
    const id = c && c.lead ? c.lead.id.toUpperCase() : null;
    if (id === null) continue;
    if (unique.has(id)) scoped.add(id);
    unique.add(id);
  }
  t.rows.slice(1).forEach((row, r) => {
    const c = cells[r];
    if (!c) return;
    const cell = c.cell;
    const text = c.text;
    let status: string | null = c.mark;
    let statusColumn = cell.column;
    let localId: string;
    let title: string;
    let slugged = false;
    const num = /^(\d+(?:\.\d+)*)\.?\s+(.*)$/.exec(text) ?? /^(\d+(?:\.\d+)*)$/.exec(text);
    if (num && roles.kw && !scoped.size) {
      localId = `${roles.kw}-${num[1]}`;
      title = (num[2] ?? '').trim();
    } else {
      const lead = scoped.size ? null : c.lead;
      if (lead) {
        localId = lead.id;
        title = lead.rest.replace(/^[:.)—–-]\s*/, '').trim();
      } else {
        localId = slugId(text, slugs);
        title = text;
        slugged = true;
      }
    }
    const tCell = roles.title >= 0 ? row.cells[roles.title] : undefined;
    if (tCell && tCell.text.trim()) title = linkText(tCell.text.replace(/\*\*|__/g, '')).trim();
    const sCell = roles.status >= 0 ? row.cells[roles.status] : undefined;
    if (sCell && sCell.text.trim()) {
      status = sCell.text.trim();
      statusColumn = sCell.column;
    }
    // The section's status is written once, in its heading: no token of the row to point at.
    const fromSection = status === null && named !== null;
    if (fromSection) status = named;
    const dCell = roles.depends >= 0 ? row.cells[roles.depends] : undefined;
    const existing = st.byLocal.get(localId.toUpperCase()) ?? (slugged ? byTitle(st, title) : undefined);
    if (existing) {
      if (status !== null && !fromSection) restate(st, existing, status, { line: row.line, column: statusColumn }, 'table', profile, sink);
      else if (status !== null && existing.status === null && existing.statusText === null) Object.assign(existing, readStatus(status, null, existing, profile, sink));
      if (dCell) restateDependencies(st, existing, tableDependencies(dCell.text, dCell.line, dCell.column, sink), sink);
      return;
    }
    const item = newItem({ id: `${docId}:${localId}`, kind: roles.kw === 'MILESTONE' ? 'milestone' : 'task', localId, title: title || localId, line: row.line, column: cell.column, parent: owner?.id ?? docId });
    Object.assign(item, readStatus(status, fromSection ? null : { line: row.line, column: statusColumn }, item, profile, sink));
    if (dCell) for (const d of tableDependencies(dCell.text, dCell.line, dCell.column, sink)) item.dependencies.push(d);
    st.items.push(item);
    st.byLocal.set(localId.toUpperCase(), item);
    (st.madeBy ??= new Map()).set(item, 'table');
  });
}

interface RowCell {
  cell: Located;
  /** The cell without emphasis and without a leading status mark. */
  text: string;
  /** `✅` of `✅ T12`: a status mark before the id. */
  mark: string | null;
  lead: { id: string; rest: string } | null;
}

/** The id cell of each body row (null: empty, or a totals row), read once. */
function rowCells(t: TableBlock, roles: Roles, profile: CompiledProfile): (RowCell | null)[] {
  return t.rows.slice(1).map((row) => {
    const cell = row.cells[roles.id];
    if (!cell) return null;
    let text = linkText(cell.text.replace(/\*\*|__/g, '')).trim();
    if (!text || /^(?:total|totals|sum|overall)\b/i.test(text)) return null;
    let mark: string | null = null;
    const m = /^(\S+)\s+/.exec(text);
    if (m && !/[\p{L}\p{N}]/u.test(m[1]!) && normalizeStatus(m[1]!, profile).status) {
      mark = m[1]!;
      text = text.slice(m[0].length);
    }
    return { cell, text, mark, lead: listId(text, profile) ?? leadingId(text) };
  });
}

/**
 * The roles of a table a plan reads: `roleColumns` (an id column and a status or depends
 * column), else, in a plan, an id column alone when the section's heading names a status
 * (`## ✅ Completed Recently`: the rows have it) or every row's cell starts with an id
 * (`| Story | Tasks | Effort |` with `s001-…` rows: items without a status).
 */
function tableRoles(t: TableBlock, profile: CompiledProfile, st: PlanState, named: () => string | null): Roles | null {
  const roles = roleColumns(t, profile);
  if (roles || !st.idless || t.rows.length < 2) return roles;
  const header = (t.rows[0]?.cells ?? []).map((c) => canonicalHeader(c.text.replace(/[*_`]/g, '')));
  const id = header.findIndex((h) => profile.tableColumns.id.has(h));
  if (id < 0) return null;
  const title = header.findIndex((h, k) => k !== id && profile.tableColumns.title.has(h));
  const h = header[id]!;
  const kw = /^(phase|milestone|stage|week|sprint|epic)$/.test(h) ? h.toUpperCase() : h === 'milestones' ? 'MILESTONE' : null;
  const only: Roles = { id, status: -1, depends: -1, title, kw };
  if (named() !== null) return only;
  const cells = rowCells(t, only, profile).filter((c): c is RowCell => c !== null);
  return cells.length && cells.every((c) => c.lead !== null && /\d/.test(c.lead.id)) ? only : null;
}

/**
 * The status a heading names when it is nothing but a status: `Done`, `In Progress (2)`,
 * or a status mark and words reading as the same status (`✅ Completed Recently`,
 * `⏳ In Progress`); null for any other heading (`v004 Code Quality 📋`, `Open Questions`).
 */
function sectionStatus(text: string, profile: CompiledProfile): string | null {
  const t = text.replace(/[*_`]/g, '').replace(/\s*\(\d+\)\s*$/, '').trim();
  if (!t || t.length > 40) return null;
  const marks = headingMarks(t, profile);
  if (marks.statusText !== null && marks.statusOffset === 0 && marks.offset > 0) {
    const mark = normalizeStatus(marks.statusText, profile).status;
    return mark !== null && normalizeStatus(marks.text, profile).status === mark ? t : null;
  }
  return exactStatus(t, profile) !== null ? t : null;
}

/** The id a cell starts with by the profile's listItemIds: `T12`, `1.2`, `Phase 1` (as `PHASE-1`). */
function listId(text: string, profile: CompiledProfile): { id: string; rest: string } | null {
  for (const re of profile.listItemIds) {
    const m = re.exec(text);
    if (m?.groups?.id) return { id: m.groups.kw ? `${m.groups.kw.toUpperCase()}-${m.groups.id}` : m.groups.id, rest: text.slice(m[0].length).trim() };
  }
  return null;
}

/** The one item of the document with this title (case, emphasis and punctuation aside); none when several have it. */
function byTitle(st: PlanState, title: string): Item | undefined {
  const key = titleKey(title);
  if (!key) return undefined;
  // Items are only appended while reading, so the index catches up with the new ones.
  const index = (st.titles ??= { map: new Map(), upTo: 0 });
  for (; index.upTo < st.items.length; index.upTo++) {
    const it = st.items[index.upTo]!;
    const k = titleKey(it.title);
    if (k) index.map.set(k, index.map.has(k) ? null : it);
  }
  return index.map.get(key) ?? undefined;
}

function titleKey(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * A Depends On cell: ids separated by `,`/`;`/`and`, `None`/`-` for none, and the
 * shorthand `S072-01,02,03` (a bare number after a prefixed id takes its prefix).
 */
function tableDependencies(text: string, line: number, column: number, sink: DiagnosticSink): Item['dependencies'] {
  if (isNoDependency(text)) return [];
  const refs = planDependencies(text.replace(/[*_`]/g, ' '), line, column, sink, 'table');
  let prefix: string | null = null;
  for (const r of refs) {
    const m = /^(.*[-_.])\d+$/.exec(r.id);
    if (m) prefix = m[1]!;
    else if (/^\d+$/.test(r.id) && prefix) r.id = `${prefix}${r.id}`;
  }
  return refs;
}
