import { z } from 'zod';
import type { Block, ListBlock, ListItem, TableBlock } from './blocks.js';
import { DiagnosticSink } from './diagnostics.js';
import type { Classification, ExplainRecorder, LineSkip, RoleIndexes, TableDecision } from './explain-notes.js';
import { leadingId, linkText } from './families/common.js';
import { headingMarks, readListLine, readListLines } from './families/lists.js';
import { planHeadingOf, roleColumns } from './families/plan.js';
import { proposalAt } from './families/proposal.js';
import { isMilestoneTable } from './families/tracker.js';
import { taskHeadingMatch } from './families/workplan.js';
import { MAX_HEADING_MATCH_LENGTH } from './limits.js';
import { DependencyRefSchema, DiagnosticSchema, FamilySchema, IdSourceSchema, ItemKindSchema, StatusSchema, type Family, type Item, type WorkDocument } from './model.js';
import { parseWithSink, type ParseOptions, type SourceFile } from './parse.js';
import { canonicalHeader, canonicalPhrase, type CompiledProfile } from './profile.js';
import { normalizeStatus } from './status.js';

// ---------------------------------------------------------------------------------------
// The explanation: what `govern explain FILE --json` prints, declared once.
// ---------------------------------------------------------------------------------------

/** One structure of the document that points at a family (several may: a roadmap holds headings and a table). */
export const FamilySignalSchema = z.object({
  family: FamilySchema.exclude(['unknown']),
  reason: z.string(),
  /** The first block that shows it; null for front matter. */
  line: z.number().int().nullable(),
});

/** An item as the parser read it: where it was, its status and where that came from, its dependencies and where. */
export const ExplainedItemSchema = z.object({
  id: z.string(),
  localId: z.string(),
  kind: ItemKindSchema,
  title: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  /** The block the item was read from. */
  from: z.enum(['front-matter', 'heading', 'table-row', 'list-line', 'other']),
  status: StatusSchema.nullable(),
  statusText: z.string().nullable(),
  /** Where the status was read: a front matter key, task metadata, a `Status:` line, the heading, a table cell, a checkbox, a leading mark. */
  statusFrom: z
    .object({
      via: z.enum(['front-matter', 'metadata', 'status-line', 'heading', 'table-cell', 'checkbox', 'list-mark', 'other']),
      line: z.number().int(),
      column: z.number().int(),
    })
    .nullable(),
  /** `derived`: no status is written; every item under it is done (`statusFrom` is null). Absent otherwise. */
  statusOrigin: z.literal('derived').optional(),
  dependencies: z.array(DependencyRefSchema),
  parent: z.string().nullable(),
});
export type ExplainedItem = z.infer<typeof ExplainedItemSchema>;

/** The header (as written) of each column role of a table; null when the table has none. */
export const TableRolesSchema = z.object({
  id: z.string().nullable(),
  status: z.string().nullable(),
  depends: z.string().nullable(),
  title: z.string().nullable(),
});
export type TableRoles = z.infer<typeof TableRolesSchema>;

/** A block the parser read: a table (and as what), or a list whose lines became items or criteria. */
export const ReadBlockSchema = z.object({
  kind: z.enum(['table', 'list']),
  line: z.number().int(),
  /** `mentions`: list lines naming items read elsewhere (a phase checklist naming the phase headings): they add to those items. */
  as: z.enum(['milestone-table', 'dependency-matrix', 'role-table', 'items', 'criteria', 'mentions']),
  /** What it was read as, in words. */
  reason: z.string(),
  /** Ids of the items it gave or added to (for criteria: the items they belong to). */
  items: z.array(z.string()),
  roles: TableRolesSchema.optional(),
});
export type ReadBlock = z.infer<typeof ReadBlockSchema>;

/** Why a table, list lines or a heading gave no item: the `code` of a Skipped entry (docs/cli-contract.md#explain). */
export const SKIP_CODES = [
  'table-roles-missing',
  'table-no-rows',
  'table-in-tracker',
  'table-in-workplan',
  'table-under-criteria',
  'table-not-read',
  'list-criteria-label',
  'list-ids-only',
  'list-uses-ids',
  'list-non-item-section',
  'list-sub-steps',
  'list-beside-table',
  'list-nested',
  'list-no-status-mark',
  'list-no-ids',
  'list-in-tracker',
  'list-in-workplan',
  'list-not-read',
  'heading-in-tracker',
  'heading-in-workplan',
  'heading-task-in-plan',
  'heading-no-pattern',
  'heading-too-long',
] as const;

/** A table, list lines or a heading that looks like tracking but gave no item, why, and the profile rule that would read it. */
export const SkippedSchema = z.object({
  kind: z.enum(['table', 'list', 'heading']),
  code: z.enum(SKIP_CODES),
  line: z.number().int(),
  /** For lists: every line skipped for this reason (the first is `line`). */
  lines: z.array(z.number().int()),
  /** The header row, the first skipped line or the heading, shortened. */
  text: z.string(),
  reason: z.string(),
  /** Tables: the columns found for each role, and the roles missing (an id, and a status or a depends column). */
  roles: TableRolesSchema.optional(),
  missing: z.array(z.enum(['id', 'status', 'depends'])).optional(),
  /** What would make it read: a profile rule (`add "story" to tableColumns.id`) or a change to the document; null when nothing obvious would. */
  rule: z.string().nullable(),
});
export type Skipped = z.infer<typeof SkippedSchema>;

/** What `explainDocument` answers for one file. */
export const ExplanationSchema = z.object({
  file: z.string(),
  /** Null when the file could not be read as a document at all (its diagnostics say why). */
  document: z
    .object({
      id: z.string(),
      idSource: IdSourceSchema,
      /** Why the id is what it is, in words. */
      idReason: z.string(),
      title: z.string(),
      family: FamilySchema,
      /** Why the document has its family, in words. */
      reason: z.string(),
      /** Every family whose structure the document holds, the chosen one first. */
      families: z.array(FamilySchema),
      signals: z.array(FamilySignalSchema),
    })
    .nullable(),
  items: z.array(ExplainedItemSchema),
  read: z.array(ReadBlockSchema),
  skipped: z.array(SkippedSchema),
  /** Set when the document gave no item: everything the parser looked for. */
  nothingToTrack: z.object({ lookedFor: z.array(z.string()) }).nullable(),
  diagnostics: z.array(DiagnosticSchema),
});
export type Explanation = z.infer<typeof ExplanationSchema>;

// ---------------------------------------------------------------------------------------
// Collecting and explaining
// ---------------------------------------------------------------------------------------

/** The parser's notes for one document (see explain-notes.ts). */
class Recorder implements ExplainRecorder {
  blocks: Block[] = [];
  bodyLine = 1;
  classification: Classification = { family: 'unknown', rule: 'none', line: null };
  readonly tables = new Map<TableBlock, TableDecision>();
  readonly lines = new Map<ListItem, { list: ListBlock; skip: LineSkip }>();

  source(blocks: Block[], bodyLine: number, classification: Classification): void {
    this.blocks = blocks;
    this.bodyLine = bodyLine;
    this.classification = classification;
  }
  table(t: TableBlock, decision: TableDecision): void {
    if (!this.tables.has(t)) this.tables.set(t, decision);
  }
  line(list: ListBlock, li: ListItem, skip: LineSkip): void {
    if (!this.lines.has(li)) this.lines.set(li, { list, skip });
  }
}

/**
 * Parses one document the way `parseDocument` does, with the parser reporting its
 * decisions as it makes them, and explains it: its family and why, every item with
 * where its status and dependencies were read, the blocks read, the tables, list lines
 * and headings that look like tracking but gave no item (why, and the profile rule that
 * would read them), and, when nothing was read, everything that was looked for.
 * Never throws: like the parser, a problem is a diagnostic.
 */
export function explainDocument(src: SourceFile, profile: CompiledProfile, options: ParseOptions = {}): Explanation {
  const recorder = new Recorder();
  const sink = new DiagnosticSink(src.file);
  sink.explain = recorder;
  const { document, diagnostics } = parseWithSink(src, profile, options, sink);
  if (!document) return { file: src.file, document: null, items: [], read: [], skipped: [], nothingToTrack: null, diagnostics };
  return new Explainer(document, recorder, profile).explain(diagnostics);
}

/** What a line of the file is, for saying where an item and its status were read. */
type LineKind =
  | { kind: 'heading' }
  | { kind: 'table'; table: TableBlock }
  | { kind: 'list'; item: ListItem }
  | { kind: 'paragraph' }
  | { kind: 'code' };

class Explainer {
  private readonly byLine = new Map<number, LineKind>();
  private readonly itemAt = new Map<number, Item[]>();
  /** Criterion line → the items it is a criterion of. */
  private readonly criterionOf = new Map<number, string[]>();
  private readonly skipped: Skipped[] = [];
  private readonly read: ReadBlock[] = [];

  constructor(
    private readonly doc: WorkDocument,
    private readonly rec: Recorder,
    private readonly profile: CompiledProfile,
  ) {
    for (const b of rec.blocks) {
      if (b.type === 'heading') this.byLine.set(b.line, { kind: 'heading' });
      else if (b.type === 'paragraph') for (const l of b.lines) this.byLine.set(l.line, { kind: 'paragraph' });
      else if (b.type === 'table') for (const r of b.rows) this.byLine.set(r.line, { kind: 'table', table: b });
      else if (b.type === 'code') {
        const n = b.value.split('\n').length;
        for (let k = b.line; k <= b.valueLine + n; k++) this.byLine.set(k, { kind: 'code' });
      } else if (b.type === 'list') for (const it of walk(b.items)) this.byLine.set(it.line, { kind: 'list', item: it });
    }
    for (const it of doc.items) {
      const list = this.itemAt.get(it.line);
      if (list) list.push(it);
      else this.itemAt.set(it.line, [it]);
      for (const c of it.criteria) {
        const owners = this.criterionOf.get(c.line);
        if (owners) owners.push(it.id);
        else this.criterionOf.set(c.line, [it.id]);
      }
    }
  }

  explain(diagnostics: Explanation['diagnostics']): Explanation {
    const { doc, rec } = this;
    for (const b of rec.blocks) {
      if (b.type === 'table') this.table(b);
      else if (b.type === 'list') this.list(b);
      else if (b.type === 'heading' && b.depth >= 2) this.heading(b);
    }
    const signals = familySignals(doc.frontMatter, rec.blocks, this.profile);
    const families: Family[] = [doc.family];
    for (const s of signals) if (!families.includes(s.family)) families.push(s.family);
    return {
      file: doc.file,
      document: {
        id: doc.id,
        idSource: doc.idSource,
        idReason: idReason(doc),
        title: doc.title,
        family: doc.family,
        reason: familyReason(rec.classification),
        families,
        signals,
      },
      items: doc.items.map((it) => this.item(it)),
      read: this.read,
      skipped: this.skipped.sort((a, b) => a.line - b.line),
      nothingToTrack: doc.items.length ? null : { lookedFor: lookedFor(this.profile) },
      diagnostics,
    };
  }

  private item(it: Item): ExplainedItem {
    const at = this.byLine.get(it.line);
    const from: ExplainedItem['from'] =
      it.line < this.rec.bodyLine
        ? 'front-matter'
        : at?.kind === 'heading'
          ? 'heading'
          : at?.kind === 'table'
            ? 'table-row'
            : at?.kind === 'list'
              ? 'list-line'
              : 'other';
    return {
      id: it.id,
      localId: it.localId,
      kind: it.kind,
      title: it.title,
      line: it.line,
      column: it.column,
      from,
      status: it.status,
      statusText: it.statusText,
      statusFrom: it.statusSource && it.statusText !== null ? { via: this.statusVia(it), ...it.statusSource } : null,
      ...(it.statusOrigin ? { statusOrigin: it.statusOrigin } : {}),
      dependencies: it.dependencies,
      parent: it.parent,
    };
  }

  private statusVia(it: Item): NonNullable<ExplainedItem['statusFrom']>['via'] {
    const line = it.statusSource!.line;
    if (line < this.rec.bodyLine) return 'front-matter';
    const at = this.byLine.get(line);
    switch (at?.kind) {
      case 'heading':
        return 'heading';
      case 'table':
        return 'table-cell';
      case 'code':
        return 'metadata';
      case 'paragraph':
        // A workplan task's `status:` is a line of its metadata; elsewhere it is a `Status:` line.
        return this.doc.family === 'workplan' && it.kind === 'task' ? 'metadata' : 'status-line';
      case 'list':
        if (at.item.checked !== null) return 'checkbox';
        return /^[*_]*status[*_]*\s*:/i.test(at.item.text) ? 'status-line' : 'list-mark';
      default:
        return 'other';
    }
  }

  private table(t: TableBlock): void {
    const decision = this.rec.tables.get(t);
    const roles = tableRoles(t, this.profile);
    const text = shorten(`| ${(t.rows[0]?.cells ?? []).map((c) => c.text).join(' | ')} |`);
    const skip = (code: Skipped['code'], reason: string, rule: string | null, withRoles = true) =>
      this.skipped.push({ kind: 'table', code, line: t.line, lines: [t.line], text, reason, ...(withRoles ? { roles: roles.found, missing: roles.missing } : {}), rule });
    if (decision && 'read' in decision) {
      const ids = this.itemsIn(new Set(t.rows.slice(1).map((r) => r.line)));
      if (decision.read === 'role-table') {
        const found = headerRoles(t, decision.roles);
        this.read.push({ kind: 'table', line: t.line, as: 'role-table', reason: `read by its columns: ${describeRoles(found)}`, items: ids, roles: found });
      } else if (decision.read === 'milestone-table') {
        this.read.push({ kind: 'table', line: t.line, as: 'milestone-table', reason: 'a milestone table (Milestone and Status columns): one milestone per row', items: ids });
      } else {
        this.read.push({ kind: 'table', line: t.line, as: 'dependency-matrix', reason: 'a dependency matrix: a 1 in a row marks a dependency on the column', items: [] });
      }
      return;
    }
    const rolesRule = roles.rule;
    if (decision?.skip === 'under-criteria') {
      skip('table-under-criteria', `under "${decision.under}", a criteria heading: nothing under it is an item`, null, false);
      return;
    }
    if (decision?.skip === 'in-tracker') {
      const c = this.rec.classification;
      const would = roles.missing.length === 0 && roles.rows;
      skip(
        'table-in-tracker',
        `the document is a tracker (${trackerWhy(c)}), which reads only milestone tables and dependency matrices` +
          (would ? `; this table has an id and a ${roles.found.status ? 'status' : 'depends'} column and would be read in a plan` : ''),
        would ? 'declare `type: plan` in the front matter to read it (a plan reads the milestone table too, by its columns)' : rolesRule,
      );
      return;
    }
    if (!roles.rows) {
      skip('table-no-rows', 'the table has a header but no rows', null);
      return;
    }
    if (roles.missing.length) {
      skip('table-roles-missing', `not read by its columns: ${missingText(roles.missing)}`, rolesRule);
      return;
    }
    // Roles found but the parser never looked at the table: the family reads no tables here.
    if (this.doc.family === 'workplan') {
      skip('table-in-workplan', 'the document is a workplan with task sections, whose items are those sections; its tables are not read', 'declare `type: plan` in the front matter to read its tables and checklists instead of task sections');
      return;
    }
    skip('table-not-read', `not read: the document is ${article(this.doc.family)}`, null);
  }

  private list(b: ListBlock): void {
    const items: string[] = [];
    const owners: string[] = [];
    const mentioned: string[] = [];
    const groups = new Map<Skipped['code'], { lines: number[]; text: string; reason: string; rule: string | null }>();
    const add = (code: Skipped['code'], li: ListItem, reason: string, rule: string | null) => {
      const g = groups.get(code);
      if (g) g.lines.push(li.line);
      else groups.set(code, { lines: [li.line], text: shorten(li.text), reason, rule });
    };
    const read = readListLines(b, this.profile);
    // Document order: the note of an item is read before its children's.
    for (const li of walk(b.items)) {
      const here = this.itemAt.get(li.line);
      if (here) {
        for (const it of here) if (!items.includes(it.id)) items.push(it.id);
        continue;
      }
      const crit = this.criterionOf.get(li.line);
      if (crit) {
        for (const id of crit) if (!owners.includes(id)) owners.push(id);
        continue;
      }
      const note = this.rec.lines.get(li);
      if (note?.skip.skip === 'same-item') {
        if (!mentioned.includes(note.skip.of)) mentioned.push(note.skip.of);
        continue;
      }
      if (note) {
        const s = lineSkipText(note.skip);
        add(s.code, li, s.reason, s.rule);
        continue;
      }
      const parsed = read.get(li) ?? null;
      if (parsed && parsed.status !== null) {
        const s = this.unvisitedLine(parsed.id !== null);
        add(s.code, li, s.reason, s.rule);
      } else if (startsWithId(li.text, this.profile)) {
        add('list-no-status-mark', li, 'starts with an id but has no status mark, so it is not an item', 'start the line with a checkbox (`- [ ] T001 …`, `- [x] T001 …`) or a status emoji (✅, 🔄, ⚪)');
      }
    }
    if (items.length) this.read.push({ kind: 'list', line: b.line, as: 'items', reason: `${items.length} list line${items.length === 1 ? '' : 's'} read as items`, items });
    if (owners.length) this.read.push({ kind: 'list', line: b.line, as: 'criteria', reason: `criteria of ${owners.join(', ')}`, items: owners });
    if (mentioned.length) {
      this.read.push({ kind: 'list', line: b.line, as: 'mentions', reason: 'list lines naming items read elsewhere: each gives its item a status when it states none', items: mentioned });
    }
    for (const [code, g] of groups) this.skipped.push({ kind: 'list', code, line: g.lines[0]!, lines: g.lines, text: g.text, reason: g.reason, rule: g.rule });
  }

  /** A status-marked list line the parser never looked at: why, from the family. */
  private unvisitedLine(hasId: boolean): { code: Skipped['code']; reason: string; rule: string | null } {
    const c = this.rec.classification;
    switch (this.doc.family) {
      case 'tracker':
        return { code: 'list-in-tracker', reason: `the document is a tracker (${trackerWhy(c)}): its list lines are not items`, rule: null };
      case 'workplan':
        return c.rule === 'front-matter-item'
          ? { code: 'list-in-workplan', reason: 'the document is one item (front matter with an id and a status): its checklists are its own steps', rule: null }
          : { code: 'list-in-workplan', reason: 'the document is a workplan: its items are its task sections (`## T01 - …`), and checklists in them are their criteria', rule: null };
      case 'unknown':
        return {
          code: 'list-no-ids',
          reason: 'a checklist line without an id: such lines are items only in a plan (a document with milestone headings or id lines)',
          rule: 'give each line an id (`- [ ] T1 …`), put the list under a milestone heading (`## Phase 1: …`), or declare `type: plan` in the front matter',
        };
      default:
        return {
          code: 'list-not-read',
          reason: hasId ? 'nested under a line that is not read as an item' : 'nested under a line that is not an item (a sub-step or a criterion)',
          rule: null,
        };
    }
  }

  private heading(b: Extract<Block, { type: 'heading' }>): void {
    if (this.itemAt.has(b.line)) return;
    const text = shorten(b.text);
    const skip = (code: Skipped['code'], reason: string, rule: string | null) => this.skipped.push({ kind: 'heading', code, line: b.line, lines: [b.line], text, reason, rule });
    if (b.text.length > MAX_HEADING_MATCH_LENGTH) {
      skip('heading-too-long', `longer than ${MAX_HEADING_MATCH_LENGTH} characters: not tried against the heading patterns`, 'shorten the heading');
      return;
    }
    const task = taskHeadingMatch(b.text, this.profile);
    const plan = task ? null : planHeadingOf(b, this.profile);
    const c = this.rec.classification;
    if (task || plan) {
      const what = task ? 'a task heading' : 'a milestone heading';
      if (this.doc.family === 'tracker') {
        skip(
          'heading-in-tracker',
          `${what}, but the document is a tracker (${trackerWhy(c)}), which reads no headings`,
          c.rule === 'declared'
            ? 'remove `type: tracker` from the front matter: a plan reads the headings and the milestone table'
            : 'declare `type: plan` in the front matter: a plan reads the headings and the milestone table',
        );
      } else if (this.doc.family === 'workplan') {
        skip(
          'heading-in-workplan',
          c.rule === 'front-matter-item'
            ? `${what} inside a document that is one item (front matter with an id and a status): a step of it`
            : `${what}, but the document is a workplan: its items are its task sections`,
          null,
        );
      } else if (task) {
        skip('heading-task-in-plan', 'a task heading in a plan without milestone headings: not read', 'add a milestone heading (`## Phase 1: …`) above the tasks');
      }
      return;
    }
    const hint = headingHint(b.text, this.profile);
    if (hint) skip('heading-no-pattern', hint.reason, hint.rule);
  }

  /** Ids of the items read on these lines, or whose status or a dependency was (a progress table naming phase headings). */
  private itemsIn(lines: Set<number>): string[] {
    return this.doc.items
      .filter((it) => lines.has(it.line) || (it.statusSource !== null && lines.has(it.statusSource.line)) || it.dependencies.some((d) => lines.has(d.line)))
      .map((it) => it.id);
  }
}

function* walk(items: ListItem[]): Generator<ListItem> {
  const stack: ListItem[] = [];
  for (let k = items.length - 1; k >= 0; k--) stack.push(items[k]!);
  while (stack.length) {
    const it = stack.pop()!;
    yield it;
    for (let k = it.children.length - 1; k >= 0; k--) stack.push(it.children[k]!);
  }
}

function shorten(text: string, max = 80): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function article(family: Family): string {
  return family === 'unknown' ? 'not a tracker, workplan or plan' : `a ${family}`;
}

function trackerWhy(c: Classification): string {
  return c.rule === 'declared' ? 'front matter `type: tracker`' : `milestone table at line ${c.line}`;
}

function idReason(doc: WorkDocument): string {
  switch (doc.idSource) {
    case 'front-matter':
      return typeof doc.frontMatter?.id === 'string' || typeof doc.frontMatter?.id === 'number' ? 'front matter `id`' : 'front matter `name` (a single token)';
    case 'path':
      return 'its path without the extension: another file of the root has the same name, and the front matter names no id';
    default:
      return 'its file name without the extension: the front matter names no id';
  }
}

function familyReason(c: Classification): string {
  switch (c.rule) {
    case 'declared':
      return `front matter declares \`type: ${c.family}\``;
    case 'milestone-table':
      return `a milestone table (Milestone and Status columns) at line ${c.line}`;
    case 'plan-summary-table':
      return `milestone headings (first at line ${c.line}) beside a milestone table (line ${c.table}): both are read, the table as their summary`;
    case 'plan-task-headings':
      return `task headings under milestone headings (first at line ${c.line}), and the front matter names no id: the tasks of a plan`;
    case 'task-headings':
      return `task headings (\`## T01 - Title\`), first at line ${c.line}`;
    case 'front-matter-plan':
      return `front matter with an id and a status, and its top-level sections are milestone headings (first at line ${c.line})`;
    case 'front-matter-item':
      return 'front matter with an id (or a name) and a status: the document is one item';
    case 'plan-headings':
      return `milestone headings, first at line ${c.line}`;
    case 'proposal':
      return `a design proposal (a KEP): its headings name at least four of the profile's proposals.sections (first at line ${c.line}); the proposal is one item, its graduation stages are its items`;
    case 'plan-lists':
      return `list lines with an id and a status mark, numbered work items with an Acceptance line, or a table with an id column and a status or depends column, first at line ${c.line}`;
    case 'plan-title':
      return `its title is a milestone heading (line ${c.line}): the document is that milestone, and what it holds belongs to it`;
    default:
      return 'none of the structures govern reads (see nothingToTrack)';
  }
}

/** Every structure of the document that points at a family, first occurrence of each kind. */
function familySignals(data: Record<string, unknown> | null, blocks: Block[], profile: CompiledProfile): z.infer<typeof FamilySignalSchema>[] {
  const out: z.infer<typeof FamilySignalSchema>[] = [];
  const declared = typeof data?.type === 'string' ? data.type.toLowerCase() : null;
  if (declared === 'workplan' || declared === 'tracker' || declared === 'plan') out.push({ family: declared, reason: `front matter \`type: ${declared}\``, line: null });
  const first = (pred: (b: Block) => boolean) => blocks.find(pred)?.line ?? null;
  const table = first((b) => b.type === 'table' && isMilestoneTable(b, profile));
  if (table !== null) out.push({ family: 'tracker', reason: 'a milestone table (Milestone and Status columns)', line: table });
  const task = first((b) => b.type === 'heading' && b.depth >= 2 && taskHeadingMatch(b.text, profile) !== null);
  if (task !== null) out.push({ family: 'workplan', reason: 'task headings (`## T01 - Title`)', line: task });
  if (data && (data.id !== undefined || typeof data.name === 'string') && data.status !== undefined) {
    out.push({ family: 'workplan', reason: 'front matter with an id (or a name) and a status', line: null });
  }
  const proposal = proposalAt(blocks, profile);
  if (proposal !== null) out.push({ family: 'plan', reason: "a design proposal's sections (Summary, Motivation, Proposal, Graduation Criteria, …)", line: proposal });
  const heading = first((b) => b.type === 'heading' && b.depth >= 2 && !taskHeadingMatch(b.text, profile) && planHeadingOf(b, profile) !== null);
  if (heading !== null) out.push({ family: 'plan', reason: 'milestone headings (`## Phase 1: Title`, `### K0: Title`)', line: heading });
  const idLine = (it: ListItem) => {
    const l = readListLine(it, profile);
    return l !== null && l.id !== null && l.status !== null;
  };
  const lists = first((b) => b.type === 'list' && [...walk(b.items)].some(idLine));
  if (lists !== null) out.push({ family: 'plan', reason: 'list lines with an id and a status mark (`- [ ] T001 …`)', line: lists });
  const roles = first((b) => b.type === 'table' && roleColumns(b, profile) !== null);
  if (roles !== null) out.push({ family: 'plan', reason: 'a table with an id column and a status or depends column', line: roles });
  return out;
}

/** What the parser looks for, with the profile's own words. */
function lookedFor(profile: CompiledProfile): string[] {
  const few = (set: Set<string>) => {
    const all = [...set];
    return all.length > 6 ? `${all.slice(0, 6).join(', ')}, …` : all.join(', ');
  };
  return [
    'a milestone table: a table with a `Milestone` and a `Status` column (a tracker)',
    'task headings matching the profile\'s taskHeadings (`## T01 - Title`)',
    'milestone headings matching the profile\'s planHeadings (`## Phase 1: Title`, `### K0: Title`, `## M1 - Title`)',
    'list lines with a status mark (`[ ]`, `[x]`, `[~]`, ✅) that start with an id matching the profile\'s listItemIds (`- [ ] T001 …`, `- [x] 1.2 …`)',
    `tables with an id column (tableColumns.id: ${few(profile.tableColumns.id)}) and a status column (tableColumns.status: ${few(profile.tableColumns.status)}) or a depends column (tableColumns.depends: ${few(profile.tableColumns.depends)})`,
    'front matter with `id` (or `name`) and `status`: the document is one item',
    'numbered work items whose bullets hold a criteria label (`1) Close doc drift` + `- Acceptance: …`)',
    "a design proposal: at least four headings named in the profile's proposals.sections (Summary, Motivation, Proposal, Design Details, …)",
  ];
}

function lineSkipText(s: LineSkip): { code: Skipped['code']; reason: string; rule: string | null } {
  switch (s.skip) {
    case 'criteria-label':
      return { code: 'list-criteria-label', reason: `under "${shorten(s.label, 60)}", a criteria label: its lines are criteria, not items`, rule: null };
    case 'ids-only':
      return { code: 'list-ids-only', reason: 'a task file or epic reads only list lines that start with an id', rule: 'start the line with an id (`- [ ] T1 …`)' };
    case 'uses-ids':
      return { code: 'list-uses-ids', reason: `no id, and the document writes ids on its list lines (first at line ${s.at}): lines without one are not items`, rule: 'start the line with an id (`- [ ] T1 …`)' };
    case 'non-item-section':
      return {
        code: 'list-non-item-section',
        reason: `no id, in "${shorten(s.section, 60)}", a section whose checklists are not items (the profile's nonItemSections)`,
        rule: 'start the line with an id (`- [ ] T1 …`)',
      };
    case 'sub-steps':
      return { code: 'list-sub-steps', reason: `no id, right under ${s.of}: one of its sub-steps`, rule: null };
    case 'beside-table':
      return { code: 'list-beside-table', reason: 'no id, in a section whose items a table tracks: a note beside the table, not an item', rule: 'start the line with an id (`- [ ] T1 …`), or move the list to a section of its own' };
    case 'nested':
      return { code: 'list-nested', reason: 'nested under a list line that is not an item', rule: null };
    case 'same-item':
      // Read as a mention (Explainer.list); not a skip.
      return { code: 'list-nested', reason: `names ${s.of}, read elsewhere`, rule: null };
  }
}

/** The header text of each role, from the parser's column indexes. */
function headerRoles(t: TableBlock, r: RoleIndexes): TableRoles {
  const h = (k: number) => (k >= 0 ? (t.rows[0]?.cells[k]?.text.trim() ?? null) : null);
  return { id: h(r.id), status: h(r.status), depends: h(r.depends), title: h(r.title) };
}

function describeRoles(r: TableRoles): string {
  const parts: string[] = [];
  if (r.id) parts.push(`id "${r.id}"`);
  if (r.status) parts.push(`status "${r.status}"`);
  if (r.depends) parts.push(`depends "${r.depends}"`);
  if (r.title) parts.push(`title "${r.title}"`);
  return parts.join(', ');
}

function missingText(missing: ('id' | 'status' | 'depends')[]): string {
  const id = missing.includes('id');
  const other = missing.includes('status');
  if (id && other) return 'no id column, and neither a status nor a depends column';
  if (id) return 'no id column';
  return 'neither a status nor a depends column';
}

/**
 * A table's column roles as `roleColumns` finds them (by the profile's header names), the
 * roles it misses, and which of its columns would fill them: the profile rule to add.
 */
function tableRoles(t: TableBlock, profile: CompiledProfile): { found: TableRoles; missing: ('id' | 'status' | 'depends')[]; rows: boolean; rule: string | null } {
  const cells = t.rows[0]?.cells ?? [];
  const header = cells.map((c) => canonicalHeader(c.text.replace(/[*_`]/g, '')));
  const find = (set: Set<string>) => header.findIndex((h) => set.has(h));
  const id = find(profile.tableColumns.id);
  const status = find(profile.tableColumns.status);
  const depends = find(profile.tableColumns.depends);
  const title = header.findIndex((h, k) => k !== id && profile.tableColumns.title.has(h));
  const found = headerRoles(t, { id, status, depends, title });
  const missing: ('id' | 'status' | 'depends')[] = [];
  if (id < 0) missing.push('id');
  if (status < 0 && depends < 0) missing.push('status', 'depends');
  const body = t.rows.slice(1);
  const rules: string[] = [];
  const taken = new Set([id, status, depends].filter((k) => k >= 0));
  // A cell as the reader would take it in that role: an id or title cell reads a link as
  // its text (`[orchestrator.md](./orchestrator.md)`), a status cell as written.
  const column = (k: number, role: 'id' | 'other') =>
    body.map((r) => (role === 'id' ? linkText(r.cells[k]?.text ?? '') : (r.cells[k]?.text ?? '')).replace(/[*_`]/g, '').trim()).filter((x) => x !== '');
  const mostly = (k: number, role: 'id' | 'other', pred: (cell: string) => boolean) => {
    const values = column(k, role);
    return values.length > 0 && values.filter(pred).length * 2 >= values.length;
  };
  const candidate = (role: 'id' | 'other', pred: (cell: string) => boolean) => {
    for (let k = 0; k < header.length; k++) if (!taken.has(k) && header[k] && mostly(k, role, pred)) return k;
    return -1;
  };
  let idRule: string | null = null;
  if (id < 0) {
    const k = candidate('id', (cell) => startsWithId(cell, profile) || leadingId(stripMark(cell, profile)) !== null);
    if (k >= 0) {
      idRule = `add "${header[k]}" to tableColumns.id`;
      taken.add(k);
    }
  }
  let stateRule: string | null = null;
  if (status < 0 && depends < 0) {
    const s = candidate('other', (cell) => isStatusCell(cell, profile));
    // Only a header that speaks of dependencies: a column of single ids is as often what
    // a row belongs to (a task's Story) as what it waits on.
    const d = s >= 0 ? -1 : candidate('other', (cell) => isIdList(cell));
    const dependsHeader = d >= 0 && /need|block|requir|after|prereq|wait|depend|pred/.test(header[d]!);
    if (s >= 0) stateRule = `add "${header[s]}" to tableColumns.status`;
    else if (dependsHeader) stateRule = `add "${header[d]}" to tableColumns.depends`;
    if (s >= 0 || dependsHeader) taken.add(s >= 0 ? s : d);
  }
  const tracks = status >= 0 || depends >= 0 || stateRule !== null;
  if (id < 0 && !idRule && tracks) {
    // A status table whose rows are named, not numbered (`| Spec | Status | Purpose |`): an
    // id column's cell without an id is the row's title and its slug the id, so the first
    // column whose cells name every row once would do.
    for (let k = 0; k < header.length && !idRule; k++) {
      if (taken.has(k) || !header[k]) continue;
      const values = column(k, 'id');
      if (values.length === body.length && new Set(values.map((v) => v.toLowerCase())).size === values.length) idRule = `add "${header[k]}" to tableColumns.id`;
    }
  }
  // A rule is offered only when it fills every missing role: half a rule leaves the table unread.
  if (idRule) rules.push(idRule);
  if (stateRule) rules.push(stateRule);
  const covered = (id >= 0 || idRule !== null) && tracks;
  return { found, missing, rows: body.length > 0, rule: missing.length && covered ? `in the profile: ${rules.join('; ')}` : null };
}

/** A status mark before a cell's id (`✅ T12`) is not part of the id. */
function stripMark(cell: string, profile: CompiledProfile): string {
  const m = /^(\S+)\s+/.exec(cell);
  return m && !/[\p{L}\p{N}]/u.test(m[1]!) && normalizeStatus(m[1]!, profile).status ? cell.slice(m[0].length) : cell;
}

/**
 * A cell that is a status and nothing more: its leading words (before commentary) are
 * exactly a status spelling of the profile (`Done`, `In Progress (#12)`), or it starts
 * with a status emoji. Looser than normalizeStatus on purpose: `Open issues` in a metrics
 * table is not a status.
 */
function isStatusCell(cell: string, profile: CompiledProfile): boolean {
  const lead = canonicalPhrase(cell.split(/\s*(?:\(|\s[—–-]\s|:|;|,)/u)[0] ?? '');
  if (profile.statusPhrases.some((p) => p.phrase === lead)) return true;
  const sym = /^[^\p{L}\p{N}\s]+/u.exec(cell)?.[0];
  return sym !== undefined && normalizeStatus(sym, profile).status !== null;
}

function isIdList(cell: string): boolean {
  const tokens = cell.split(/\s*(?:,|;|\band\b)\s*/i).filter(Boolean);
  return tokens.length > 0 && tokens.every((t) => /^(?:none|n\/a|-|—)$/i.test(t) || (/^#?[A-Za-z0-9][\w.-]*$/.test(t) && /\d/.test(t)));
}

function startsWithId(text: string, profile: CompiledProfile): boolean {
  const t = text.replace(/^(?:\*\*|__|`)/, '');
  return profile.listItemIds.some((re) => re.exec(t)?.groups?.id !== undefined);
}

const KEYWORD = /^[*_]*([A-Za-z][A-Za-z-]*)\s+(\d[\w.]*)\b/;

/**
 * For a heading that no pattern matched: whether it looks like an item (a keyword and a
 * number, an id before a separator, a status mark), and what would read it. Plain
 * section headings (`## Goal`) say nothing.
 */
function headingHint(text: string, profile: CompiledProfile): { reason: string; rule: string | null } | null {
  const marks = headingMarks(text, profile);
  const kw = KEYWORD.exec(marks.text);
  if (kw) {
    const word = kw[1]!;
    return {
      reason: `"${word} ${kw[2]}" looks like an item, but no planHeadings or taskHeadings pattern of the profile matches the heading`,
      rule: `add a planHeadings pattern for "${word}" to the profile, e.g. ^(?<kw>${word})\\s+(?<id>[0-9][A-Za-z0-9.-]*)\\s*(?:[—–:-]\\s*(?<rest>.*))?$`,
    };
  }
  const lead = leadingId(marks.text);
  if (lead) {
    return {
      reason: `starts with the id ${lead.id}, but no planHeadings or taskHeadings pattern of the profile matches the heading`,
      rule: `write it as \`${lead.id}: Title\` or \`${lead.id} - Title\`, or add a planHeadings pattern for it to the profile`,
    };
  }
  // A code span at the end is more often a name (`x-kubernetes-immutable`) than a status.
  if (marks.statusText !== null && !text.trimEnd().endsWith('`')) {
    return {
      reason: `carries a status (${marks.statusText}) but no id, so it is not read as an item`,
      rule: 'give it an id: `## Phase 1: Title`, `### M1 - Title`',
    };
  }
  return null;
}
