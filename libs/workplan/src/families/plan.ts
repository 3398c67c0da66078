import type { Block } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Item } from '../model.js';
import { MAX_HEADING_MATCH_LENGTH } from '../limits.js';
import type { CompiledProfile } from '../profile.js';
import { normalizeStatus } from '../status.js';
import type { ListItem, Located, TableBlock } from '../blocks.js';
import { canonicalHeader } from '../profile.js';
import { collectCriteria, criteriaLabel, flattenCriteria, isNoDependency, leadingId, newItem, parseDependencyList, readStatus, sectionEnd, stripCode } from './common.js';
import { headingMarks, isNonItemSection, listLineDetails, proseEdges, readListLine, trailerDependencies, type ListLine } from './lists.js';
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
  for (const re of profile.planHeadings) {
    const m = re.exec(text);
    if (!m?.groups?.id || !/\d/.test(m.groups.id)) continue; // `## Phase Overview` is not a phase
    const localId = m.groups.kw ? `${m.groups.kw.toUpperCase()}-${m.groups.id}` : m.groups.id;
    const rest = m.groups.rest ?? m.groups.title ?? '';
    const restAt = rest ? marks.offset + text.lastIndexOf(rest) : -1;
    const segments = splitSegments(rest);
    let statusText: string | null = null;
    let statusColumn: number | null = null;
    if (segments.length > 1) {
      const last = segments[segments.length - 1]!;
      if (normalizeStatus(last.text, profile).status !== null) {
        statusText = last.text;
        statusColumn = column + restAt + last.index;
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

/**
 * `Depends on:` in a plan may name phases as `Phase 1`, `PHASE-1` or just `1`;
 * keyword forms are folded to the local id form (`PHASE-1`), bare numbers are
 * resolved against the document's headings afterwards.
 */
function planDependencies(text: string, line: number, column: number, sink: DiagnosticSink): Item['dependencies'] {
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
    const kw = /^(phase|milestone|stage)[\s-]+([A-Za-z0-9][\w.-]*)$/i.exec(token);
    if (kw) out.push({ id: `${kw[1]!.toUpperCase()}-${kw[2]}`, origin: 'section', line, column: col });
    else if (/^\d[\w.-]*$/.test(token)) out.push({ id: token, origin: 'section', line, column: col });
    else for (const ref of parseDependencyList(token, line, col, 'section', sink)) out.push(ref);
  }
  return out;
}

// `(?<!\s)` before the trailing `\s*`: the lazy value stops only after a non-blank
// character, so a long run of blanks inside the value is scanned once, not once per
// character of the run (quadratic). On a line without trailing blanks (the caller
// trims them) the value is what it was without the lookbehind.
const STATUS_LINE = /^(?:\*\*|__)?status(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+?)(?<!\s)\s*(?:\*\*|__)?$/i;
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
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type !== 'heading' || b.depth < 2) continue;
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
    // The heading's own part: up to the first nested milestone or task heading.
    let own = i + 1;
    while (own < end) {
      const x = blocks[own]!;
      if (x.type === 'heading' && (planAt.has(own) || taskAt.has(own))) break;
      own++;
    }
    const id = `${docId}:${h.localId}`;
    const item = newItem({ id, kind, localId: h.localId, title: h.title, line: b.line, column: b.column, parent: docId });
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
        const sm = STATUS_LINE.exec(text);
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
  readProseDependencies(blocks, byLocal);
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
function readProseDependencies(blocks: Block[], byLocal: Map<string, Item>): void {
  const texts: Located[] = [];
  for (const b of blocks) {
    if (b.type === 'paragraph') for (const l of b.lines) texts.push(l);
    else if (b.type === 'list') {
      const stack = [...b.items];
      while (stack.length) {
        const it = stack.pop()!;
        texts.push(it);
        for (const c of it.children) stack.push(c);
      }
    }
  }
  for (const t of texts) {
    if (!t.text.includes('→') && !t.text.includes('epends on') && !t.text.includes('EPENDS ON')) continue;
    for (const e of proseEdges(t.text)) {
      const from = byLocal.get(e.from.toUpperCase());
      const to = byLocal.get(e.to.toUpperCase());
      if (!from || !to || from === to || from.dependencies.some((d) => d.id.toUpperCase() === to.localId.toUpperCase() || d.id === to.id)) continue;
      from.dependencies.push({ id: to.localId, origin: 'section', line: t.line, column: t.column + e.column });
    }
  }
}

interface PlanState {
  /** Whether checklists without ids may be items (a plan: yes; a task file or epic: no). */
  idless: boolean;
  items: Item[];
  byLocal: Map<string, Item>;
  headItems: Map<number, { item: Item; stated: boolean; end: number }>;
  consumed: Set<ListItem>;
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
  for (const b of blocks) {
    if (b.type === 'table' && roleColumns(b, profile)) return b.line;
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
  let usesIds = false;
  // The first such line, for `govern explain` (lines are visited out of order).
  let usesIdsAt = Infinity;
  for (const b of blocks) {
    if (b.type !== 'list') continue;
    const stack = [...b.items];
    while (stack.length) {
      const it = stack.pop()!;
      const l = readListLine(it, profile);
      lines.set(it, l);
      if (l?.id && l.status !== null) {
        usesIds = true;
        if (it.line < usesIdsAt) usesIdsAt = it.line;
      }
      for (const c of it.children) stack.push(c);
    }
  }
  const slugs = new Map<string, number>();
  const frames: Frame[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type === 'heading') {
      while (frames.length && frames[frames.length - 1]!.depth >= b.depth) frames.pop();
      const h = st.headItems.get(i);
      frames.push({ depth: b.depth, item: h?.item ?? null, stated: h?.stated ?? false, text: h ? null : b.text, criteria: null, nonItem: null });
      continue;
    }
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
    if (b.type === 'table') {
      if (underCriteria === null) readRoleTable(b, docId, profile, sink, st, ownerFrame?.item ?? null, slugs);
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
    const idlessOk = st.idless && !usesIds && !labelled && !plainOnly && !subSteps;
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
      for (const li of list) {
        const l = lines.get(li);
        const isItem = !!l && l.status !== null && !labelled && (l.id !== null || (idlessOk && (!nested || idlessParent)));
        if (!l || !isItem) {
          if (l && l.status !== null) sink.explain?.line(b, li, why(l));
          if (li.children.length) work.push({ list: li.children, parent, nested: true, idlessParent: false });
          continue;
        }
        consumed.add(li);
        listLineDetails(l);
        const localId = l.id ? (l.kw ? `${l.kw.toUpperCase()}-${l.id}` : l.id) : slugId(l.title, slugs);
        const existing = l.id ? st.byLocal.get(localId.toUpperCase()) : undefined;
        if (existing) {
          sink.explain?.line(b, li, { skip: 'same-item', of: existing.id });
          // The same item twice (a phase in a checklist and as a heading, a task in a preview
          // list and a table): one item; the first status stated wins.
          if (existing.status === null && existing.statusText === null) {
            existing.status = l.status;
            existing.statusText = l.statusText;
            existing.statusSource = { line: li.line, column: l.statusColumn };
          }
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
        if (!st.byLocal.has(localId.toUpperCase())) st.byLocal.set(localId.toUpperCase(), item);
        if (childItems.length) work.push({ list: childItems, parent: item, nested: true, idlessParent: !l.id });
      }
    }
  }
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
export function roleColumns(t: TableBlock, profile: CompiledProfile): Roles | null {
  const header = (t.rows[0]?.cells ?? []).map((c) => canonicalHeader(c.text.replace(/[*_`]/g, '')));
  const find = (set: Set<string>) => header.findIndex((h) => set.has(h));
  const id = find(profile.tableColumns.id);
  const status = find(profile.tableColumns.status);
  const depends = find(profile.tableColumns.depends);
  if (id < 0 || (status < 0 && depends < 0) || t.rows.length < 2) return null;
  const title = header.findIndex((h, k) => k !== id && profile.tableColumns.title.has(h));
  const h = header[id]!;
  const kw = /^(phase|milestone|stage|week|sprint|epic)$/.test(h) ? h.toUpperCase() : null;
  return { id, status, depends, title, kw };
}

function readRoleTable(t: TableBlock, docId: string, profile: CompiledProfile, sink: DiagnosticSink, st: PlanState, owner: Item | null, slugs: Map<string, number>): void {
  const roles = roleColumns(t, profile);
  if (!roles) {
    sink.explain?.table(t, { skip: 'roles' });
    return;
  }
  sink.explain?.table(t, { read: 'role-table', roles });
  for (const row of t.rows.slice(1)) {
    const cell = row.cells[roles.id];
    if (!cell) continue;
    let text = cell.text.replace(/\*\*|__/g, '').trim();
    if (!text || /^(?:total|totals|sum|overall)\b/i.test(text)) continue;
    let status: string | null = null;
    let statusColumn = cell.column;
    // `✅ T12`: a status mark before the id.
    const mark = /^(\S+)\s+/.exec(text);
    if (mark && !/[\p{L}\p{N}]/u.test(mark[1]!) && normalizeStatus(mark[1]!, profile).status) {
      status = mark[1]!;
      text = text.slice(mark[0].length);
    }
    let localId: string;
    let title: string;
    const num = /^(\d+(?:\.\d+)*)\.?\s+(.*)$/.exec(text) ?? /^(\d+(?:\.\d+)*)$/.exec(text);
    if (num && roles.kw) {
      localId = `${roles.kw}-${num[1]}`;
      title = (num[2] ?? '').trim();
    } else {
      const lead = listId(text, profile) ?? leadingId(text);
      if (lead) {
        localId = lead.id;
        title = lead.rest.replace(/^[:.)—–-]\s*/, '').trim();
      } else {
        localId = slugId(text, slugs);
        title = text;
      }
    }
    const tCell = roles.title >= 0 ? row.cells[roles.title] : undefined;
    if (tCell && tCell.text.trim()) title = tCell.text.replace(/\*\*|__/g, '').trim();
    const sCell = roles.status >= 0 ? row.cells[roles.status] : undefined;
    if (sCell && sCell.text.trim()) {
      status = sCell.text.trim();
      statusColumn = sCell.column;
    }
    const dCell = roles.depends >= 0 ? row.cells[roles.depends] : undefined;
    const existing = st.byLocal.get(localId.toUpperCase());
    if (existing) {
      if (existing.status === null && existing.statusText === null && status !== null) {
        const n = normalizeStatus(status, profile);
        existing.status = n.status;
        existing.statusText = status;
        existing.refs = n.refs;
        existing.statusSource = { line: row.line, column: statusColumn };
      }
      if (dCell && existing.dependencies.length === 0) for (const d of tableDependencies(dCell.text, dCell.line, dCell.column, sink)) existing.dependencies.push(d);
      continue;
    }
    const item = newItem({ id: `${docId}:${localId}`, kind: 'task', localId, title: title || localId, line: row.line, column: cell.column, parent: owner?.id ?? docId });
    Object.assign(item, readStatus(status, { line: row.line, column: statusColumn }, item, profile, sink));
    if (dCell) for (const d of tableDependencies(dCell.text, dCell.line, dCell.column, sink)) item.dependencies.push(d);
    st.items.push(item);
    st.byLocal.set(localId.toUpperCase(), item);
  }
}

function listId(text: string, profile: CompiledProfile): { id: string; rest: string } | null {
  for (const re of profile.listItemIds) {
    const m = re.exec(text);
    if (m?.groups?.id && !m.groups.kw) return { id: m.groups.id, rest: text.slice(m[0].length).trim() };
  }
  return null;
}

/**
 * A Depends On cell: ids separated by `,`/`;`/`and`, `None`/`-` for none, and the
 * shorthand `S072-01,02,03` (a bare number after a prefixed id takes its prefix).
 */
function tableDependencies(text: string, line: number, column: number, sink: DiagnosticSink): Item['dependencies'] {
  if (isNoDependency(text)) return [];
  const refs = planDependencies(text.replace(/[*_`]/g, ' '), line, column, sink);
  let prefix: string | null = null;
  for (const r of refs) {
    const m = /^(.*[-_.])\d+$/.exec(r.id);
    if (m) prefix = m[1]!;
    else if (/^\d+$/.test(r.id) && prefix) r.id = `${prefix}${r.id}`;
  }
  return refs;
}
