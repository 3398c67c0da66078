import type { Block } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Item } from '../model.js';
import { MAX_HEADING_MATCH_LENGTH } from '../limits.js';
import type { CompiledProfile } from '../profile.js';
import { normalizeStatus } from '../status.js';
import { collectCriteria, newItem, parseDependencyList, readStatus, sectionEnd, stripCode } from './common.js';

export interface PlanHeading {
  localId: string;
  title: string;
  /** Status written as the heading's last ` — ` segment, e.g. `COMPLETE`. */
  statusText: string | null;
  statusColumn: number | null;
}

/** Matches a plan milestone heading (`### K0: Contract Baseline`, `## PHASE 3 — Memory — COMPLETE`). */
export function planHeadingMatch(text: string, column: number, profile: CompiledProfile): PlanHeading | null {
  // As for task headings: the profile's patterns are not tried on very long text.
  if (text.length > MAX_HEADING_MATCH_LENGTH) return null;
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
        statusColumn = column + restAt + last.index;
        segments.pop();
      }
    }
    const title = segments.length ? rest.slice(0, segments[segments.length - 1]!.index + segments[segments.length - 1]!.text.length).trim() : '';
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
  const re = /[^,;]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[0];
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
 * Parses a plan: milestones or phases as headings. Their ids are local to the
 * document (`K0` exists in many plans), so node ids are qualified as
 * `<document id>:<local id>`; `Depends on:` lines may use the local id.
 */
export function parsePlan(blocks: Block[], docId: string, profile: CompiledProfile, sink: DiagnosticSink): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type !== 'heading' || b.depth < 2) continue;
    const h = planHeadingMatch(b.text, b.column, profile);
    if (!h) continue;
    const end = sectionEnd(blocks, i);
    const id = `${docId}:${h.localId}`;
    const item = newItem({ id, kind: 'milestone', localId: h.localId, title: h.title, line: b.line, column: b.column, parent: docId });
    let statusText = h.statusText;
    let statusAt = h.statusColumn !== null ? { line: b.line, column: h.statusColumn } : null;
    for (let j = i + 1; j < end; j++) {
      const s = blocks[j]!;
      const lines = s.type === 'heading' ? [{ text: s.text, line: s.line, column: s.column }] : s.type === 'paragraph' ? s.lines : [];
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
    Object.assign(item, readStatus(statusText, statusAt, item, profile, sink));
    item.criteria = collectCriteria(blocks, i + 1, end, profile);
    items.push(item);
  }
  // Local references (`Depends on: K0`, `Phase 1`, `1`) resolve within the document first.
  const local = new Map(items.map((it) => [it.localId.toUpperCase(), it.id]));
  const kws = [...new Set(items.map((it) => /^([A-Z]+)-/.exec(it.localId)?.[1]).filter((k): k is string => !!k))];
  for (const it of items) {
    for (const d of it.dependencies) {
      const key = d.id.toUpperCase();
      d.id = local.get(key) ?? kws.map((k) => local.get(`${k}-${key}`)).find((x) => x !== undefined) ?? d.id;
    }
  }
  return items;
}
