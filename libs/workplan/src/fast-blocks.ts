import type { Block, ListItem, Located } from './blocks.js';

/**
 * A line scanner that produces the same block stream as `blocksFromMarkdown`
 * for the subset of Markdown that governance documents use, about 20x faster.
 *
 * remark's parser stays the reference: whenever this scanner meets a construct
 * whose CommonMark semantics it does not reproduce exactly (lazy block quotes, HTML,
 * setext headings, indented code, tabs in indentation, link definitions,
 * fences inside list items, ambiguous tables), it returns `null` and the caller
 * falls back to remark. A differential test asserts both produce identical
 * blocks on every fixture, seed and generated corpus.
 *
 * Every path is linear in the body's size and none recurses: nested lists are read
 * with an explicit stack, so a list nested 10,000 deep costs what its text costs.
 */
export function blocksFast(body: string, lineOffset: number, state?: ScanState): Block[] | null {
  const lines = body.split('\n');
  // A tab right after a list marker: remark's column arithmetic, not ours.
  for (const l of lines) if (l.includes('\t') && MARKER_TAB.test(l)) return null;
  const out: Block[] = [];
  let i = 0;
  const n = lines.length;
  while (i < n) {
    const raw = lines[i]!;
    if (isBlank(raw)) {
      i++;
      continue;
    }
    const indent = leadingSpaces(raw);
    if (raw.slice(0, indent + 1).includes('\t')) return null;
    if (indent >= 4) return null; // indented code
    const s = raw.slice(indent);
    const lineNo = i + 1 + lineOffset;
    const c = s.charCodeAt(0);
    if (c === 62 /* > */) {
      // A block quote: remark reads it as one `other` block (its content never reaches
      // the family parsers), so only its extent matters. Consecutive `>` lines followed
      // by a blank line or the end are one quote; any other next line might be a lazy
      // continuation of it, and remark decides.
      let j = i + 1;
      while (j < n && QUOTE_LINE.test(lines[j]!)) j++;
      if (j < n && !isBlank(lines[j]!)) return null;
      out.push({ type: 'other', line: lineNo });
      i = j;
      continue;
    }
    if (c === 60 /* < */) return null;
    if (c === 91 /* [ */ && /^\[[^\]]+\]:/.test(s)) return null;
    if (EMPTY_ITEM.test(s)) return null; // `-` or `1.` alone starts an empty item here, not a paragraph
    const fence = FENCE.exec(s);
    if (fence) {
      const end = fenceEnd(lines, i, indent, fence[1]!);
      const info = (fence[2] ?? '').trim();
      if (fence[1]![0] === '`' && info.includes('`')) return null;
      // An unclosed fence runs to the end. micromark does not count a last line that is
      // blank once the fence's indentation is taken off (the empty string after a final
      // newline is the common case; "  ```\n\n " is another).
      const stop = end === n && n > i + 1 && stripIndent(lines[n - 1]!, indent) === '' ? n - 1 : end;
      // remark expands a tab inside the fence's indentation to spaces; leave that to it.
      if (indent > 0) for (let j = i + 1; j < stop; j++) if (/^ *\t/.test(lines[j]!.slice(0, indent))) return null;
      const value = lines
        .slice(i + 1, stop)
        .map((l) => stripIndent(l, indent))
        .join('\n');
      out.push({ type: 'code', line: lineNo, lang: info ? (info.split(/\s+/)[0] ?? null) : null, value, valueLine: lineNo + 1 });
      if (end === n && state) state.openAtEnd = true;
      i = end < n ? end + 1 : n;
      continue;
    }
    const heading = ATX.exec(s);
    if (heading) {
      const depth = heading[1]!.length;
      const text = stripClosingSequence(trimEndBlank(heading[2] ?? '')).trim();
      const col = text === '' ? indent + depth + 2 : indent + (s.length - heading[2]!.length) + 1;
      out.push({ type: 'heading', depth, text, line: lineNo, column: col });
      i++;
      continue;
    }
    if (THEMATIC.test(s)) {
      out.push({ type: 'other', line: lineNo });
      i++;
      continue;
    }
    const marker = listMarker(raw);
    if (marker) {
      if (marker.ordered && indent > 3) return null;
      const res = parseList(lines, i, lineOffset, indent);
      if (!res) return null;
      out.push(res.block);
      i = res.next;
      continue;
    }
    if (i + 1 < n && DELIM_ROW.test(lines[i + 1]!)) {
      // Without a pipe on both lines it may be a setext heading (`| a |` over `---`)
      // or a table whose header has no pipe (`a` over `| - |`): remark decides.
      if (!s.includes('|') || !lines[i + 1]!.includes('|')) return null;
      const t = parseTable(lines, i, lineOffset);
      if (!t) return null;
      out.push(t.block);
      i = t.next;
      continue;
    }
    // Paragraph: runs until a blank line or a line that starts another block.
    const pLines: Located[] = [{ text: s.trimEnd(), line: lineNo, column: indent + 1 }];
    let j = i + 1;
    for (; j < n; j++) {
      const l = lines[j]!;
      if (isBlank(l)) break;
      const ind = leadingSpaces(l);
      const t = l.slice(ind);
      if (l.slice(0, ind + 1).includes('\t')) return null;
      if (ind < 4) {
        if (SETEXT.test(t)) return null;
        if (ATX.test(t) || FENCE.test(t) || THEMATIC.test(t)) break;
        if (t.startsWith('>') || t.startsWith('<')) return null;
        const m = listMarker(l);
        if (m && m.contentNonEmpty && (!m.ordered || m.start === 1)) break;
        if (t.includes('|') && j + 1 < n && DELIM_ROW.test(lines[j + 1]!)) return null;
        if (DELIM_ROW.test(l)) return null; // the line above may be a table header
      }
      pLines.push({ text: t.trimEnd(), line: j + 1 + lineOffset, column: ind + 1 });
    }
    out.push({ type: 'paragraph', line: lineNo, lines: pLines });
    i = j;
  }
  return out;
}

/** What a caller needs to know about where a scan stopped. */
export interface ScanState {
  /**
   * The last block may change how text appended after it is read: a fence or HTML
   * block no line closed, or indented code (see markdown.ts).
   */
  openAtEnd: boolean;
}

const FENCE = /^(`{3,}|~{3,})(.*)$/;
const CODE_AFTER_MARKER = /^ *(?:[-*+]|\d{1,9}[.)]) {5,}\S/;
const QUOTE_LINE = /^ {0,3}>/;
const MARKER_TAB = /^[ \t]*(?:[-*+]|\d{1,9}[.)]) *\t/;
const ATX = /^(#{1,6})(?:[ \t]+(.*))?$/;
const THEMATIC = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const SETEXT = /^(?:=+|-+)[ \t]*$/;
// Blanks go before each `|`, never on both sides of an optional one: the old
// `:?-+:?[ \t]*(?:\|…)*\|?[ \t]*$` split a run of blanks every possible way (quadratic).
const DELIM_ROW = /^ {0,3}\|?[ \t]*:?-+:?(?:[ \t]*\|[ \t]*:?-+:?)*(?:[ \t]*\|)?[ \t]*$/;

/**
 * `s` without trailing spaces and tabs. (`s.replace(/[ \t]+$/, '')` retries the run
 * from each of its characters when something follows it: quadratic in the run.)
 */
function trimEndBlank(s: string): string {
  let e = s.length;
  while (e > 0 && (s.charCodeAt(e - 1) === 32 || s.charCodeAt(e - 1) === 9)) e--;
  return s.slice(0, e);
}

/** An ATX heading's optional closing `#`s (with the blanks before them), as `/(^|[ \t]+)#+$/` removes them, in linear time. */
function stripClosingSequence(s: string): string {
  let h = s.length;
  while (h > 0 && s.charCodeAt(h - 1) === 35) h--;
  if (h === s.length) return s;
  if (h === 0) return '';
  let b = h;
  while (b > 0 && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return b < h ? s.slice(0, b) : s;
}

/** Only spaces and tabs, as CommonMark defines a blank line (`trim` would also take U+00A0 and U+FEFF). */
function isBlank(l: string): boolean {
  return BLANK.test(l);
}
const BLANK = /^[ \t]*$/;
function leadingSpaces(l: string): number {
  let k = 0;
  while (l.charCodeAt(k) === 32) k++;
  return k;
}
function stripIndent(l: string, k: number): string {
  let m = 0;
  while (m < k && l.charCodeAt(m) === 32) m++;
  return l.slice(m);
}

function fenceEnd(lines: string[], start: number, _indent: number, open: string): number {
  const ch = open[0]!;
  for (let j = start + 1; j < lines.length; j++) {
    const l = lines[j]!;
    const ind = leadingSpaces(l);
    if (ind > 3) continue;
    const t = l.slice(ind).trimEnd();
    if (t.length >= open.length && t[0] === ch && [...t].every((x) => x === ch)) return j;
  }
  return lines.length;
}

interface Marker {
  indent: number;
  ordered: boolean;
  bullet: string;
  start: number;
  /** Column offset (0-based) where the item's content starts. */
  contentOffset: number;
  contentNonEmpty: boolean;
}

const BULLET = /^( *)([-*+])( +|$)(.*)$/;
const ORDERED = /^( *)(\d{1,9})([.)])( +|$)(.*)$/;

function listMarker(l: string): Marker | null {
  // Called on nearly every line, and most lines are no list item: the character after
  // the leading spaces rules them out before either regex runs.
  let k = 0;
  while (l.charCodeAt(k) === 32) k++;
  const c = l.charCodeAt(k);
  if (c !== 45 /* - */ && c !== 42 /* * */ && c !== 43 /* + */ && !(c >= 48 && c <= 57)) return null;
  let m = BULLET.exec(l);
  if (m) {
    const spaces = m[3]!.length;
    if (!m[4]) return null;
    if (THEMATIC.test(l.trim())) return null;
    return { indent: m[1]!.length, ordered: false, bullet: m[2]!, start: 0, contentOffset: m[1]!.length + 1 + (spaces > 4 ? 1 : spaces), contentNonEmpty: true };
  }
  m = ORDERED.exec(l);
  if (m) {
    const spaces = m[4]!.length;
    if (!m[5]) return null;
    return {
      indent: m[1]!.length,
      ordered: true,
      bullet: m[3]!,
      start: Number(m[2]),
      contentOffset: m[1]!.length + m[2]!.length + 1 + (spaces > 4 ? 1 : spaces),
      contentNonEmpty: true,
    };
  }
  return null;
}

const EMPTY_ITEM = /^(?:[-*+]|\d{1,9}[.)])[ \t]*$/;
const TASK = /^\[([ xX])\](?:[ \t]+)(?=\S)/;

/** One list being read: its first marker, its items so far and the item being read. */
interface ListFrame {
  start: number;
  baseIndent: number;
  /** The deepest an item of this list may be indented: 3 past the parent item's content (or column 0). */
  maxIndent: number;
  first: Marker;
  items: ListItem[];
  /** The open item, its marker, its paragraph lines so far and state; null between items. */
  item: ListItem | null;
  m: Marker;
  parts: string[];
  paragraphOpen: boolean;
  blank: boolean;
}

/**
 * Parses a list starting at `start` whose markers sit at `baseIndent`. Returns
 * null on anything whose CommonMark reading is not certain.
 *
 * A nested list is read by pushing a frame, not by recursion, so nesting depth is
 * bounded by memory, not by the call stack (10,000 levels overflowed it).
 */
function parseList(lines: string[], start: number, off: number, baseIndent: number): { block: Block & { type: 'list' }; next: number } | null {
  const n = lines.length;
  const open = (at: number, indent: number, maxIndent: number): ListFrame => {
    const first = listMarker(lines[at]!)!;
    return { start: at, baseIndent: indent, maxIndent, first, items: [], item: null, m: first, parts: [], paragraphOpen: false, blank: false };
  };
  const stack: ListFrame[] = [open(start, baseIndent, 3)];
  let i = start;
  let done: ListItem[] | null = null; // the items of a nested list that just ended
  for (;;) {
    const f = stack[stack.length - 1]!;
    let ended = false; // the list of frame f has ended at line i
    if (done) {
      for (const child of done) f.item!.children.push(child);
      f.paragraphOpen = false;
      // The nested list may have ended on blank lines: they separate what follows.
      f.blank = i > 0 && isBlank(lines[i - 1]!);
      done = null;
    } else if (!f.item) {
      // Between items: does line i start the next item of this list?
      const m = i < n ? listMarker(lines[i]!) : null;
      // An item may sit up to 3 columns past the parent item's content (past column 0
      // at the top: `  - a` then `- b` is one list); further in, it is not an item.
      const lowest = stack.length === 1 ? 0 : f.baseIndent;
      if (!m || m.ordered !== f.first.ordered || m.bullet !== f.first.bullet || m.indent < lowest || m.indent > f.maxIndent) ended = true;
      else {
        const raw = lines[i]!;
        let text = raw.slice(m.contentOffset);
        let column = m.contentOffset + 1;
        if (/^\s{4,}/.test(raw.slice(m.contentOffset - 1)) && m.contentOffset - m.indent > 5) return null;
        if (CODE_AFTER_MARKER.test(raw)) return null; // `-     x`: the item starts with indented code
        if (FENCE.test(text) || ATX.test(text) || THEMATIC.test(text) || text.startsWith('>') || text.startsWith('<') || text.startsWith('|')) return null;
        if (listMarker(text) || EMPTY_ITEM.test(text)) return null; // `- - x` or `- *`: nested on one line
        let checked: boolean | null = null;
        const task = TASK.exec(text);
        if (task) {
          checked = task[1] !== ' ';
          // remark-gfm moves the item's start one character past `]`, however many
          // blanks follow (fuzz: `- [ ]  |` is column 7, not 8); a tab among several
          // blanks is left to remark, which counts it in its own way.
          if (task[0].length > 4 && task[0].includes('\t')) return null;
          column += 4;
          text = text.slice(task[0].length);
        } else if (/^\[[ xX]\]\s*$/.test(text)) return null;
        f.item = { text: text.trim(), line: i + 1 + off, column, checked, children: [] };
        f.m = m;
        f.parts = [text.trim()];
        f.paragraphOpen = true;
        f.blank = false;
        i++;
      }
    }
    if (!ended) {
      // Inside item f.item: read the lines that continue it.
      const m = f.m;
      let nested = false;
      while (i < n) {
        const l = lines[i]!;
        if (isBlank(l)) {
          f.blank = true;
          f.paragraphOpen = false;
          i++;
          continue;
        }
        const ind = leadingSpaces(l);
        if (l.slice(0, ind + 1).includes('\t')) return null;
        const t = l.slice(ind);
        if (EMPTY_ITEM.test(t)) return null; // an empty item: CommonMark's rules here are subtle
        if (ind >= m.contentOffset) {
          const sub = listMarker(l);
          if (sub && sub.indent < m.contentOffset + 4) {
            if (f.paragraphOpen && sub.ordered && sub.start !== 1) {
              f.parts.push(t.trimEnd());
              i++;
              continue;
            }
            stack.push(open(i, sub.indent, m.contentOffset + 3));
            nested = true;
            break;
          }
          if (ind >= m.contentOffset + 4 && !f.paragraphOpen) return null; // indented code in item
          if (FENCE.test(t) || t.startsWith('>') || t.startsWith('<') || t.startsWith('|') || SETEXT.test(t) || ATX.test(t) || DELIM_ROW.test(t) || THEMATIC.test(t)) return null;
          // A second paragraph in an item, or text right after a nested list: let remark decide.
          if (!f.paragraphOpen) return null;
          f.parts.push(t.trimEnd());
          i++;
          continue;
        }
        // Less indented than the item's content.
        if (f.blank) break;
        const sib = listMarker(l);
        if (sib) break;
        if (!f.paragraphOpen) break;
        if (ATX.test(t) || FENCE.test(t) || THEMATIC.test(t) || t.startsWith('>') || t.startsWith('<')) break;
        if (ind >= 4) return null; // lazy continuation of a nested item's paragraph, in remark's reading
        if (SETEXT.test(t) || t.includes('|')) return null;
        f.parts.push(t.trimEnd()); // lazy continuation
        i++;
      }
      if (nested) continue;
      // The item ends at line i.
      const item = f.item!;
      item.text = f.parts.map((p) => p.trim()).join(' ');
      const head = f.parts[0]!.trim().length;
      if (f.parts.length > 1 && head > 0 && head < item.text.length) item.head = head;
      f.items.push(item);
      f.item = null;
      if (i >= n) ended = true;
      else if (f.blank) {
        const next = listMarker(lines[i]!);
        const lowest = stack.length === 1 ? 0 : f.baseIndent;
        if (!next || next.indent < lowest || next.indent > f.maxIndent) ended = true;
      }
      if (!ended) continue;
    }
    const block: Block & { type: 'list' } = f.first.ordered
      ? { type: 'list', line: f.start + 1 + off, ordered: true, start: f.first.start, items: f.items }
      : { type: 'list', line: f.start + 1 + off, ordered: false, items: f.items };
    stack.pop();
    if (stack.length === 0) return { block, next: i };
    done = block.items;
  }
}

/**
 * The cells of a table row, each with its 1-based `lineNo`. Built whole (`text`, `column`,
 * `line`, in that key order) rather than spread into a copy per cell: on JIT-cold code the
 * spread was the scanner's costliest line.
 */
export function splitRow(line: string, lineNo: number): Located[] | null {
  const cells: Located[] = [];
  let k = leadingSpaces(line);
  const end = line.trimEnd().length;
  if (line[k] === '|') k++;
  let cellStart = k;
  let last = end;
  if (line[end - 1] === '|' && line[end - 2] !== '\\') last = end - 1;
  for (let p = k; p <= last; p++) {
    if (p === last || (line[p] === '|' && line[p - 1] !== '\\')) {
      const rawCell = line.slice(cellStart, p);
      const lead = rawCell.length - rawCell.trimStart().length;
      const text = rawCell.trim();
      cells.push({ text: text.includes('\\|') ? text.replace(/\\\|/g, '|') : text, column: text === '' ? cellStart + 1 : cellStart + lead + 1, line: lineNo });
      cellStart = p + 1;
    }
  }
  return cells;
}

function parseTable(lines: string[], start: number, off: number): { block: Block & { type: 'table' }; next: number } | null {
  const header = splitRow(lines[start]!, start + 1 + off);
  const delim = splitRow(lines[start + 1]!, start + 2 + off);
  if (!header || !delim || header.length !== delim.length) return null;
  const rows: { line: number; cells: Located[] }[] = [{ line: start + 1 + off, cells: header }];
  let i = start + 2;
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (isBlank(l)) break;
    const ind = leadingSpaces(l);
    const t = l.slice(ind);
    if (ind >= 4 || !t.startsWith('|')) {
      if (ATX.test(t) || FENCE.test(t)) break;
      return null;
    }
    const cells = splitRow(l, i + 1 + off);
    if (!cells || cells.length !== header.length) return null;
    rows.push({ line: i + 1 + off, cells });
  }
  return { block: { type: 'table', line: start + 1 + off, rows }, next: i };
}
