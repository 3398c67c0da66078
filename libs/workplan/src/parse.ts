import type { Block } from './blocks.js';
import { DiagnosticSink, compareDiagnostics } from './diagnostics.js';
import type { Classification } from './explain-notes.js';
import { isMilestoneTable, parseTracker } from './families/tracker.js';
import { documentNode, parseWorkplan, taskHeadingMatch } from './families/workplan.js';
import { parsePlan, planHeadingOf, planListsAt, planTitleAt } from './families/plan.js';
import { parseProposal, proposalAt } from './families/proposal.js';
import { readFrontMatter } from './frontmatter.js';
import { readBlocks } from './body.js';
import { fileNameId } from './ids.js';
import { MAX_HEADING_MATCH_LENGTH } from './limits.js';
import type { Family, IdSource, ParseResult, WorkDocument } from './model.js';
import type { CompiledProfile } from './profile.js';
import { normalizeStatus } from './status.js';
import { deriveStatuses } from './derived.js';
import { warnUnreadTables } from './unread-tables.js';

/** Bump when the parse output changes shape, so persistent caches are invalidated. */
export const PARSER_VERSION = 11;

export interface ParseOptions {
  /**
   * `auto` (default): the fast line scanner, falling back to remark's parser, one
   * top-level block at a time, for any construct it does not reproduce exactly;
   * `remark`: always remark, also one top-level block at a time (see body.ts).
   */
  engine?: 'auto' | 'remark';
}

export interface SourceFile {
  /** Path relative to the root, `/`-separated; used in every diagnostic. */
  file: string;
  text: string;
  /**
   * The document's id when its front matter names none. Default: the file name without
   * its extension (`fileNameId`). The workspace passes the path without the extension
   * for a file whose name another file of the root shares (`pathDocumentIds`), so
   * `specs/001-x/tasks.md` and `specs/002-y/tasks.md` do not collide.
   */
  defaultId?: string;
}

/**
 * Parses one Markdown document of any family. Never throws: problems in the
 * content, and even a bug of ours, come back as diagnostics.
 */
export function parseDocument(src: SourceFile, profile: CompiledProfile, options: ParseOptions = {}): ParseResult {
  return parseWithSink(src, profile, options, new DiagnosticSink(src.file));
}

/** `parseDocument` into a given sink: explain.ts attaches its recorder to it first. */
export function parseWithSink(src: SourceFile, profile: CompiledProfile, options: ParseOptions, sink: DiagnosticSink): ParseResult {
  try {
    const document = parseInto(src, profile, sink, options);
    return { document, diagnostics: sink.list.sort(compareDiagnostics) };
  } catch (err) {
    sink.error('internal-error', `the parser failed on this file: ${(err as Error).message}`, 1, 1, {
      note: 'this is a bug in govern; the other files were still read',
    });
    return { document: null, diagnostics: sink.list.sort(compareDiagnostics) };
  }
}

function parseInto(src: SourceFile, profile: CompiledProfile, sink: DiagnosticSink, options: ParseOptions): WorkDocument | null {
  let text = src.text;
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  const lineEnding = text.includes('\r\n') ? 'crlf' : 'lf';
  // Positions are line/column based, so dropping `\r` keeps every position valid.
  if (lineEnding === 'crlf') text = text.replace(/\r\n/g, '\n');
  if (text.includes('\u0000')) {
    sink.error('file-binary', 'file contains NUL bytes; it is not a Markdown text file', 1, 1);
    return null;
  }

  const fm = readFrontMatter(text, sink);
  const blocks = readBlocks(fm.body, fm.bodyLineOffset, options.engine ?? 'auto', sink);
  for (const b of blocks) {
    if (b.type === 'heading' && b.depth >= 2 && b.text.length > MAX_HEADING_MATCH_LENGTH) {
      sink.warn('heading-too-long', `heading is longer than ${MAX_HEADING_MATCH_LENGTH} characters; it is not read as a task or milestone heading`, b.line, b.column);
    }
  }
  warnUnreadTables(blocks, sink);
  const data = fm.data;
  const baseName = fileNameId(src.file);
  const defaultId = src.defaultId ?? baseName;
  const h1 = blocks.find((b): b is Extract<Block, { type: 'heading' }> => b.type === 'heading' && b.depth === 1);
  const fmId = data && (typeof data.id === 'string' || typeof data.id === 'number') ? String(data.id) : null;
  // ccpm task and epic files name themselves in `name:` and have no id: a name that is
  // a single token (`tuic`) is the id, else the file name is (`7`), and the name the title.
  const fmName = typeof data?.name === 'string' && data.name.trim() ? data.name.trim() : null;
  const nameId = fmName && /^[\w.-]+$/.test(fmName) ? fmName : null;
  const id = fmId ?? nameId ?? defaultId;
  const idSource: IdSource = fmId !== null || nameId !== null ? 'front-matter' : defaultId === baseName ? 'file-name' : 'path';
  const title = typeof data?.title === 'string' ? data.title : fmName ?? (h1 ? h1.text : baseName);
  const classification = classifyDocument(data, blocks, profile);
  const family = classification.family;
  sink.explain?.source(blocks, fm.bodyLineOffset + 1, classification);

  const doc: WorkDocument = {
    file: src.file,
    id,
    idSource,
    family,
    title,
    status: null,
    statusText: null,
    frontMatter: data,
    items: [],
    matrices: [],
    evidenceRoots: [],
    packetIds: [],
    claims: [],
    lineEnding,
    bom,
  };
  if (data && data.status !== undefined && data.status !== null) {
    doc.statusText = String(data.status);
    doc.status = normalizeStatus(doc.statusText, profile).status;
  }

  switch (family) {
    case 'tracker': {
      const parts = parseTracker(blocks, id, profile, sink);
      Object.assign(doc, parts);
      if (parts.items.length === 0) sink.warn('tracker-empty', 'tracker has no milestone rows', h1?.line ?? 1, 1);
      // A tracker whose front matter names it and states a status (an epic's board) is an
      // item too, and its milestones are its items.
      if ((fmId !== null || fmName !== null) && data?.status !== undefined && data.status !== null) {
        const node = documentNode({ docId: id, title, frontMatter: data, positions: fm.positions, itemPositions: fm.itemPositions, itemTexts: fm.itemTexts ?? {}, line: 1 }, profile, sink);
        doc.items = [node, ...doc.items];
      }
      break;
    }
    case 'workplan': {
      if (!fmId && !fmName) {
        sink.warn('id-missing', `workplan has no front matter id; using "${id}" from its ${idSource === 'path' ? 'path' : 'file name'}`, 1, 1, {
          expected: 'front matter with `id:`',
        });
      }
      doc.items = parseWorkplan(blocks, { docId: id, title, frontMatter: data, positions: fm.positions, itemPositions: fm.itemPositions, itemTexts: fm.itemTexts ?? {}, line: data ? 1 : (h1?.line ?? 1) }, profile, sink);
      break;
    }
    case 'plan':
      doc.items = classification.rule === 'proposal' ? parseProposal(blocks, id, title, profile, sink) : parsePlan(blocks, id, profile, sink);
      break;
    case 'unknown':
      sink.info('no-governance-content', NOTHING_TO_TRACK, h1?.line ?? 1, 1, { note: 'run `govern explain <file>` to see what was skipped and which profile rule would read it' });
      break;
  }
  deriveStatuses(doc.items, sink);
  return doc;
}

/** The `no-governance-content` message: what the parser looked for and did not find. */
const NOTHING_TO_TRACK =
  'nothing to track: found no milestone table (Milestone and Status columns), task heading (`## T01 - Title`), ' +
  'milestone heading (`## Phase 1: Title`, `### K0: Title`), list line with an id and a status mark (`- [ ] T001 …`), ' +
  'table with an id column and a status or depends column, numbered work item with an `Acceptance:` bullet, ' +
  'design proposal (Summary, Motivation, Proposal, Design Details sections), nor front matter with an id and a status';

/** Family: declared by front matter `type`, else recognized by structure. */
export function detectFamily(data: Record<string, unknown> | null, blocks: Block[], profile: CompiledProfile): Family {
  return classifyDocument(data, blocks, profile).family;
}

/**
 * `detectFamily` with the rule that decided and the line of the block that showed it,
 * for `govern explain`. The rules, in order: front matter `type`; a milestone table
 * (tracker); task headings (workplan, or a plan's tasks under its phases); front matter
 * with an id and a status (one item); milestone headings; id lines or tables by role.
 */
export function classifyDocument(data: Record<string, unknown> | null, blocks: Block[], profile: CompiledProfile): Classification {
  const declared = typeof data?.type === 'string' ? data.type.toLowerCase() : null;
  if (declared === 'workplan' || declared === 'tracker' || declared === 'plan') return { family: declared, rule: 'declared', line: null };
  const isPlanHeading = (b: Block) => b.type === 'heading' && b.depth >= 2 && !taskHeadingMatch(b.text, profile) && planHeadingOf(b, profile) !== null;
  const planHeading = () => blocks.find(isPlanHeading);
  const table = blocks.find((b) => b.type === 'table' && isMilestoneTable(b, profile));
  if (table) {
    // A summary table never hides the headings it summarizes: with milestone headings the
    // document is a plan, which reads both (the table by its columns) and reports drift.
    const heading = planHeading();
    if (heading) return { family: 'plan', rule: 'plan-summary-table', line: heading.line, table: table.line };
    return { family: 'tracker', rule: 'milestone-table', line: table.line };
  }
  const task = blocks.find((b) => b.type === 'heading' && b.depth >= 2 && taskHeadingMatch(b.text, profile));
  if (task) {
    // Task headings under phase headings, in a file that is not a workplan by its front
    // matter, are the tasks of a plan (spec-kit `## Phase 1` + `### T001: …`).
    const phase = !data?.id ? planHeading() : undefined;
    return phase ? { family: 'plan', rule: 'plan-task-headings', line: phase.line } : { family: 'workplan', rule: 'task-headings', line: task.line };
  }
  // A task file (front matter id, or ccpm's `name`, and a status) is one item, unless its
  // top-level sections are milestones: steps nested in a section (`## Plan` +
  // `### Phase 0: …`, Backlog.md) are its own steps, not milestones.
  const fmItem = data && (data.id !== undefined || typeof data.name === 'string') && data.status !== undefined;
  if (fmItem) {
    let top = 7;
    for (const b of blocks) if (b.type === 'heading' && b.depth >= 2 && b.depth < top) top = b.depth;
    const phase = blocks.find((b) => b.type === 'heading' && b.depth === top && isPlanHeading(b));
    return phase ? { family: 'plan', rule: 'front-matter-plan', line: phase.line } : { family: 'workplan', rule: 'front-matter-item', line: null };
  }
  // A design proposal (a KEP) before its headings: `### Phase 1` inside its design is not a milestone of it.
  const proposal = proposalAt(blocks, profile);
  if (proposal !== null) return { family: 'plan', rule: 'proposal', line: proposal };
  const heading = planHeading();
  if (heading) return { family: 'plan', rule: 'plan-headings', line: heading.line };
  const lists = planListsAt(blocks, profile);
  if (lists !== null) return { family: 'plan', rule: 'plan-lists', line: lists };
  // A per-phase plan file (`# Phase 2: Visual properties`, `**Status**: done`): its title is
  // its one milestone, which the plan parser reads (planTitleAt).
  const title = planTitleAt(blocks, profile);
  if (title) return { family: 'plan', rule: 'plan-title', line: blocks[title.index]!.line };
  return { family: 'unknown', rule: 'none', line: null };
}
