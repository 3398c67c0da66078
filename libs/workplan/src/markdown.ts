import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmTable } from 'micromark-extension-gfm-table';
import { gfmTableFromMarkdown } from 'mdast-util-gfm-table';
import { gfmTaskListItem } from 'micromark-extension-gfm-task-list-item';
import { gfmTaskListItemFromMarkdown } from 'mdast-util-gfm-task-list-item';
import type { Block, ListItem, Located } from './blocks.js';
import type { ScanState } from './fast-blocks.js';

/**
 * The only file that runs remark's parser (mdast-util-from-markdown, the engine
 * inside remark-parse) with the two GFM extensions the formats use: tables and
 * task list items.
 *
 * Why not `remark().use(remarkGfm)`: autolink literals, footnotes and
 * strikethrough cost time and mean nothing to a status or a dependency. We also
 * switch off inline constructs (emphasis, links, code spans, ...) because the
 * family parsers read raw source slices of cells, headings and list items, so
 * their text is exactly what the user wrote and can be rewritten byte-for-byte.
 */
const INLINE_OFF = {
  disable: {
    null: [
      'attention', 'autolink', 'characterEscape', 'characterReference', 'codeText', 'hardBreakEscape',
      'htmlText', 'labelEnd', 'labelStartImage', 'labelStartLink',
    ],
  },
};
const OPTIONS = {
  extensions: [gfmTable(), gfmTaskListItem(), INLINE_OFF],
  mdastExtensions: [gfmTableFromMarkdown(), gfmTaskListItemFromMarkdown()],
};

interface Point { line: number; column: number; offset?: number }
interface MdNode {
  type: string;
  children?: MdNode[];
  position?: { start: Point; end: Point };
  depth?: number;
  ordered?: boolean | null;
  start?: number | null;
  checked?: boolean | null;
  lang?: string | null;
  value?: string;
}

/**
 * Parses a Markdown body into blocks. `lineOffset` is added to every line. `state`
 * learns whether the last block may change how text appended after it is read: a
 * fence or HTML block that runs to the end, or indented code.
 *
 * micromark is quadratic in the size of a block holding containers, so callers give
 * it one top-level block at a time (see body.ts), never a whole untrusted file.
 */
export function blocksFromMarkdown(body: string, lineOffset: number, state?: ScanState): Block[] {
  const tree = fromMarkdown(body, OPTIONS as never) as unknown as MdNode;
  const out: Block[] = [];
  const children = tree.children ?? [];
  for (const node of children) out.push(toBlock(node, body, lineOffset));
  const last = children[children.length - 1];
  if (state && last) {
    const runsToEnd = (last.type === 'code' || last.type === 'html') && last.position?.end.offset === body.length;
    // micromark keeps indented code open across the blank lines after it, and the line
    // after them is read as if it interrupted (`2. x` is then no list).
    const indentedCode = last.type === 'code' && !/^ {0,3}[`~]/.test(body.slice(last.position?.start.offset ?? 0, (last.position?.start.offset ?? 0) + 4));
    if (runsToEnd || indentedCode) state.openAtEnd = true;
  }
  return out;
}

function toBlock(node: MdNode, src: string, off: number): Block {
  const line = (node.position?.start.line ?? 1) + off;
  switch (node.type) {
    case 'heading': {
      const inner = innerSlice(node, src);
      return {
        type: 'heading',
        depth: node.depth ?? 1,
        text: inner?.text ?? '',
        line,
        column: inner?.column ?? (node.position?.start.column ?? 1) + (node.depth ?? 1) + 1,
      };
    }
    case 'paragraph':
      return { type: 'paragraph', line, lines: paragraphLines(node, src, off) };
    case 'table':
      return {
        type: 'table',
        line,
        rows: (node.children ?? []).map((row) => ({
          line: (row.position?.start.line ?? 1) + off,
          cells: (row.children ?? []).map((cell) => {
            const inner = innerSlice(cell, src);
            return inner
              ? { text: inner.text.replace(/\\\|/g, '|'), line: inner.line + off, column: inner.column }
              : { text: '', line: (cell.position?.start.line ?? 1) + off, column: (cell.position?.start.column ?? 0) + 1 };
          }),
        })),
      };
    case 'list':
      return node.ordered === true
        ? { type: 'list', line, ordered: true, start: node.start ?? 1, items: listItems(node.children ?? [], src, off) }
        : { type: 'list', line, ordered: false, items: listItems(node.children ?? [], src, off) };
    case 'code': {
      const value = node.value ?? '';
      return { type: 'code', line, lang: node.lang ?? null, value, valueLine: line + 1 };
    }
    default:
      return { type: 'other', line };
  }
}

/**
 * Converts list item nodes, nested items included, without recursion: each item's
 * children are created in order when the item is read, and filled in later from an
 * explicit work list.
 */
function listItems(nodes: MdNode[], src: string, off: number): ListItem[] {
  const top: ListItem[] = [];
  const work: [MdNode, ListItem][] = [];
  const enqueue = (node: MdNode, into: ListItem[]) => {
    const item: ListItem = { text: '', line: 0, column: 0, checked: null, children: [] };
    into.push(item);
    work.push([node, item]);
  };
  for (const node of nodes) enqueue(node, top);
  while (work.length) {
    const [node, item] = work.pop()!;
    let first: Located | null = null;
    let head = 0;
    for (const child of node.children ?? []) {
      if (child.type === 'paragraph' && first === null) {
        const lines = paragraphLines(child, src, off);
        first = { text: lines.map((l) => l.text.trim()).join(' '), line: lines[0]?.line ?? 0, column: lines[0]?.column ?? 1 };
        if (lines.length > 1 && first.line === (node.position?.start.line ?? 0) + off) head = lines[0]!.text.trim().length;
      } else if (child.type === 'list') {
        for (const i of child.children ?? []) enqueue(i, item.children);
      }
    }
    const checked = node.checked ?? null;
    const base: Located = first ?? { text: '', line: (node.position?.start.line ?? 1) + off, column: node.position?.start.column ?? 1 };
    let { text, column } = base;
    // The task-list extension may leave the `[x] ` marker in the paragraph's source range.
    const marker = /^\[[ xX]\][ \t]*/.exec(text);
    if (checked !== null && marker) {
      text = text.slice(marker[0].length);
      column += marker[0].length;
      head -= marker[0].length;
    }
    item.text = text;
    if (head > 0 && head < text.length) item.head = head;
    item.line = base.line;
    item.column = column;
    item.checked = checked;
  }
  return top;
}

function paragraphLines(node: MdNode, src: string, off: number): Located[] {
  const start = node.position?.start;
  const end = node.position?.end;
  if (!start || !end || start.offset === undefined || end.offset === undefined) return [];
  const raw = src.slice(start.offset, end.offset).split('\n');
  // remark-gfm moves a task item's paragraph one character past its checkbox, also when
  // that character is the line ending (`- [x] ` then a continuation line): the offset is
  // then the next line's start while line and column still name the checkbox's line, one
  // column past its end (fuzz seed 286143168). Such a paragraph starts on the next line.
  const wrapped = start.column > 1 && start.offset > 0 && src.charCodeAt(start.offset - 1) === 10 ? 1 : 0;
  return raw.map((text, i) => {
    if (i === 0 && !wrapped) return { text: text.trimEnd(), line: start.line + off, column: start.column };
    const lead = /^[ \t>]*/.exec(text)?.[0].length ?? 0;
    return { text: text.slice(lead).trimEnd(), line: start.line + i + wrapped + off, column: lead + 1 };
  });
}

/** Raw source between a node's first child start and last child end. */
function innerSlice(node: MdNode, src: string): Located | null {
  const kids = node.children ?? [];
  const a = kids[0]?.position?.start;
  const b = kids[kids.length - 1]?.position?.end;
  if (!a || !b || a.offset === undefined || b.offset === undefined) return null;
  return { text: src.slice(a.offset, b.offset).trim(), line: a.line, column: a.column };
}
