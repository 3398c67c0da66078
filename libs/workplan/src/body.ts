import type { Block } from './blocks.js';
import type { DiagnosticSink } from './diagnostics.js';
import { blocksFast, type ScanState } from './fast-blocks.js';
import { guardContainerNesting, MAX_COMPLEX_BLOCK_LINES, MAX_COMPLEX_BLOCK_MARKERS } from './limits.js';
import { blocksFromMarkdown } from './markdown.js';

/**
 * Reads a Markdown body into blocks in time linear in its size.
 *
 * The fast scanner is linear but declines constructs it does not reproduce exactly;
 * remark reads everything but micromark is quadratic in a block's size once it holds
 * containers (every nested container that closes moves all earlier events, and every
 * lazy line rescans the open paragraph): a 4,000-item checklist with sub-items took
 * 7 s. So remark is given one top-level block at a time, never the whole body, and a
 * block that holds containers and is larger than the documented limit is skipped with
 * `block-too-complex` instead of being parsed.
 *
 * A body splits before line S when the blocks read from the lines before S cannot
 * change by what follows. That holds for a non-blank line starting in column 0:
 * - after a blank line: a blank line closes every paragraph and block quote, and a
 *   line in column 0 continues no list item; only a top-level fence or HTML block
 *   (types 1–5) can still be open, or indented code, which micromark keeps open
 *   across blank lines so that S is read as an interruption (`2. x` is no list
 *   then). In those cases the split is refused and the chunk grows;
 * - after a top-level list, when S is an item of that list (same bullet, or same
 *   ordered delimiter): a sibling item always starts, whatever the previous item
 *   holds. The two halves of the list are joined again.
 * Refused splits grow the chunk to at least twice its size, so re-reading stays linear.
 */
export function readBlocks(body: string, lineOffset: number, engine: 'auto' | 'remark', sink: DiagnosticSink): Block[] {
  const lines = body.split('\n');
  const before = sink.list.length;
  const markers = guardContainerNesting(lines, lineOffset, sink);
  const text = sink.list.length === before ? body : lines.join('\n');
  if (engine === 'auto') {
    const whole = blocksFast(text, lineOffset);
    if (whole) return whole;
  }
  return new ChunkReader(text, lines, markers, lineOffset, engine, sink).read();
}

type Split = 'none' | 'blank' | 'sibling';

class ChunkReader {
  private readonly starts: number[];
  private readonly markerSums: number[];
  private readonly splits: Split[];
  private readonly out: Block[] = [];

  constructor(
    private readonly text: string,
    private readonly lines: string[],
    markers: number[],
    private readonly lineOffset: number,
    private readonly engine: 'auto' | 'remark',
    private readonly sink: DiagnosticSink,
  ) {
    const n = lines.length;
    this.starts = new Array<number>(n + 1);
    this.markerSums = new Array<number>(n + 1);
    this.splits = new Array<Split>(n + 1);
    let at = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      this.starts[i] = at;
      this.markerSums[i] = sum;
      at += lines[i]!.length + 1;
      sum += markers[i]!;
      this.splits[i] = i === 0 ? 'none' : splitKind(lines[i - 1]!, lines[i]!);
    }
    this.starts[n] = text.length;
    this.markerSums[n] = sum;
    this.splits[n] = 'none';
  }

  read(): Block[] {
    const n = this.lines.length;
    let s = 0;
    while (s < n) {
      let e = this.nextSplit(s + 1);
      for (;;) {
        const chunk = this.parse(s, e);
        if (chunk === null) {
          this.refuse(s, e);
          break;
        }
        if (e === n || this.canSplit(chunk, e)) {
          this.append(chunk.blocks, s);
          break;
        }
        e = this.nextSplit(s + 2 * (e - s));
      }
      s = e;
    }
    return this.out;
  }

  /** The first split point at or after `from`, or the end. */
  private nextSplit(from: number): number {
    const n = this.lines.length;
    let i = from;
    while (i < n && this.splits[i] === 'none') i++;
    return Math.min(i, n);
  }

  /** Blocks of lines [s, e), or null when only remark could read them and they are over the limit. */
  private parse(s: number, e: number): { blocks: Block[]; openAtEnd: boolean } | null {
    const state: ScanState = { openAtEnd: false };
    let chunk: string | null = null;
    if (this.engine === 'auto') {
      chunk = this.text.slice(this.starts[s], this.starts[e]);
      const fast = blocksFast(chunk, s + this.lineOffset, state);
      if (fast) return { blocks: fast, openAtEnd: state.openAtEnd };
    }
    if (this.overLimit(s, e)) return null;
    chunk ??= this.text.slice(this.starts[s], this.starts[e]);
    const blocks = blocksFromMarkdown(chunk, s + this.lineOffset, state);
    return { blocks, openAtEnd: state.openAtEnd };
  }

  /** Whether lines [s, e) hold containers and are too large for remark (see limits.ts). */
  private overLimit(s: number, e: number): boolean {
    const markers = this.markerSums[e]! - this.markerSums[s]!;
    return markers > 0 && (e - s > MAX_COMPLEX_BLOCK_LINES || markers > MAX_COMPLEX_BLOCK_MARKERS);
  }

  private canSplit(chunk: { blocks: Block[]; openAtEnd: boolean }, e: number): boolean {
    if (this.splits[e] === 'blank') return !chunk.openAtEnd;
    const last = chunk.blocks[chunk.blocks.length - 1];
    return last?.type === 'list' && this.listKind(last) === markerKind(this.lines[e]!);
  }

  /** Appends a chunk's blocks; a list continued across the split is joined into one. */
  private append(blocks: Block[], s: number): void {
    const prev = this.out[this.out.length - 1];
    const first = blocks[0];
    let k = 0;
    if (
      prev?.type === 'list' &&
      first?.type === 'list' &&
      first.line === s + 1 + this.lineOffset &&
      this.splits[s] !== 'none' &&
      this.listKind(prev) === markerKind(this.lines[s]!)
    ) {
      for (const item of first.items) prev.items.push(item);
      k = 1;
    }
    for (; k < blocks.length; k++) this.out.push(blocks[k]!);
  }

  private refuse(s: number, e: number): void {
    const line = s + 1 + this.lineOffset;
    this.sink.error(
      'block-too-complex',
      `lines ${line}–${e + this.lineOffset} are one block of nested lists or block quotes that only the full CommonMark parser reads, and it is larger than ${MAX_COMPLEX_BLOCK_LINES} lines or ${MAX_COMPLEX_BLOCK_MARKERS} list and quote markers; the block is skipped`,
      line,
      1,
      { note: 'split it with a blank line followed by an unindented line, or simplify its nesting' },
    );
    this.out.push({ type: 'other', line });
  }

  private listKind(list: Block & { type: 'list' }): string | null {
    return markerKind(this.lines[list.line - this.lineOffset - 1] ?? '');
  }
}

/** Only spaces and tabs, as CommonMark defines a blank line (`trim` would also take U+00A0 and U+FEFF). */
function isBlank(l: string): boolean {
  return BLANK.test(l);
}
const BLANK = /^[ \t]*$/;

/** Whether the body may split before `line`, given the line before it. */
function splitKind(prev: string, line: string): Split {
  const c = line.charCodeAt(0);
  if (line === '' || c === 32 || c === 9) return 'none';
  if (isBlank(prev)) return 'blank';
  const m = MARKER.exec(line);
  return m && m[3] !== '' && !THEMATIC.test(line) ? 'sibling' : 'none';
}

const MARKER = /^ {0,3}(?:([-*+])|\d{1,9}([.)]))(?:[ \t]+(\S?)|$)/;
const THEMATIC = /^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;

/** `-`, `*`, `+`, `.` or `)`: what decides whether two items belong to one list. */
function markerKind(line: string): string | null {
  const m = MARKER.exec(line);
  if (!m || THEMATIC.test(line)) return null;
  return m[1] ?? m[2] ?? null;
}
