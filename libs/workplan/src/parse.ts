import type { Block } from './blocks.js';
import { DiagnosticSink, compareDiagnostics } from './diagnostics.js';
import { isMilestoneTable, parseTracker } from './families/tracker.js';
import { parseWorkplan, taskHeadingMatch } from './families/workplan.js';
import { hasPlanLists, parsePlan, planHeadingOf } from './families/plan.js';
import { readFrontMatter } from './frontmatter.js';
import { readBlocks } from './body.js';
import { MAX_HEADING_MATCH_LENGTH } from './limits.js';
import type { Family, ParseResult, WorkDocument } from './model.js';
import type { CompiledProfile } from './profile.js';
import { normalizeStatus } from './status.js';

/** Bump when the parse output changes shape, so persistent caches are invalidated. */
export const PARSER_VERSION = 6;

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
}

/**
 * Parses one Markdown document of any family. Never throws: problems in the
 * content, and even a bug of ours, come back as diagnostics.
 */
export function parseDocument(src: SourceFile, profile: CompiledProfile, options: ParseOptions = {}): ParseResult {
  const sink = new DiagnosticSink(src.file);
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
  const data = fm.data;
  const baseName = src.file.split('/').pop()!.replace(/\.(md|markdown)$/i, '');
  const h1 = blocks.find((b): b is Extract<Block, { type: 'heading' }> => b.type === 'heading' && b.depth === 1);
  const fmId = data && (typeof data.id === 'string' || typeof data.id === 'number') ? String(data.id) : null;
  // ccpm task and epic files name themselves in `name:` and have no id: a name that is
  // a single token (`tuic`) is the id, else the file name is (`7`), and the name the title.
  const fmName = typeof data?.name === 'string' && data.name.trim() ? data.name.trim() : null;
  const id = fmId ?? (fmName && /^[\w.-]+$/.test(fmName) ? fmName : baseName);
  const title = typeof data?.title === 'string' ? data.title : fmName ?? (h1 ? h1.text : baseName);
  const family = detectFamily(data, blocks, profile);

  const doc: WorkDocument = {
    file: src.file,
    id,
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
      break;
    }
    case 'workplan': {
      if (!fmId && !fmName) {
        sink.warn('id-missing', `workplan has no front matter id; using "${id}" from the file name`, 1, 1, {
          expected: 'front matter with `id:`',
        });
      }
      doc.items = parseWorkplan(blocks, { docId: id, title, frontMatter: data, positions: fm.positions, itemPositions: fm.itemPositions, itemTexts: fm.itemTexts ?? {}, line: data ? 1 : (h1?.line ?? 1) }, profile, sink);
      break;
    }
    case 'plan':
      doc.items = parsePlan(blocks, id, profile, sink);
      break;
    case 'unknown':
      sink.info('no-governance-content', 'no milestone table, task sections or plan milestones found; nothing to track in this file', h1?.line ?? 1, 1);
      break;
  }
  return doc;
}

/** Family: declared by front matter `type`, else recognized by structure. */
export function detectFamily(data: Record<string, unknown> | null, blocks: Block[], profile: CompiledProfile): Family {
  const declared = typeof data?.type === 'string' ? data.type.toLowerCase() : null;
  if (declared === 'workplan' || declared === 'tracker' || declared === 'plan') return declared;
  if (blocks.some((b) => b.type === 'table' && isMilestoneTable(b, profile))) return 'tracker';
  const isPlanHeading = (b: Block) => b.type === 'heading' && b.depth >= 2 && !taskHeadingMatch(b.text, profile) && planHeadingOf(b, profile) !== null;
  const planHeadings = () => blocks.some(isPlanHeading);
  if (blocks.some((b) => b.type === 'heading' && b.depth >= 2 && taskHeadingMatch(b.text, profile))) {
    // Task headings under phase headings, in a file that is not a workplan by its front
    // matter, are the tasks of a plan (spec-kit `## Phase 1` + `### T001: …`).
    return !data?.id && planHeadings() ? 'plan' : 'workplan';
  }
  // A task file (front matter id, or ccpm's `name`, and a status) is one item, unless its
  // top-level sections are milestones: steps nested in a section (`## Plan` +
  // `### Phase 0: …`, Backlog.md) are its own steps, not milestones.
  const fmItem = data && (data.id !== undefined || typeof data.name === 'string') && data.status !== undefined;
  if (fmItem) {
    let top = 7;
    for (const b of blocks) if (b.type === 'heading' && b.depth >= 2 && b.depth < top) top = b.depth;
    return blocks.some((b) => b.type === 'heading' && b.depth === top && isPlanHeading(b)) ? 'plan' : 'workplan';
  }
  if (planHeadings()) return 'plan';
  if (hasPlanLists(blocks, profile)) return 'plan';
  return 'unknown';
}
