/**
 * The raw text of a file, indexed the way the parser counts positions: the
 * parser drops a UTF-8 BOM and turns CRLF into LF before it counts, so a
 * (line, column) maps back to a raw offset by skipping the BOM and ignoring
 * each line's `\r`. Edits are made on the raw text, so every other byte,
 * including the BOM and the line endings, stays as it was.
 */
export class RawText {
  readonly bomLength: number;
  /** Raw offset where each line (0-based) starts. */
  private readonly starts: number[];

  constructor(readonly text: string) {
    this.bomLength = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    this.starts = [this.bomLength];
    for (let i = text.indexOf('\n', this.bomLength); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Raw offset of a 1-based parser position. */
  offset(line: number, column: number): number {
    const start = this.starts[line - 1];
    if (start === undefined) throw new RangeError(`line ${line} is past the end of the file`);
    return start + column - 1;
  }

  /** The content of a 1-based line, without its `\n` or `\r\n`. */
  line(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) throw new RangeError(`line ${line} is past the end of the file`);
    const next = this.starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, this.text[end - 1] === '\r' && next !== undefined ? end - 1 : end);
  }

  lineStart(line: number): number {
    return this.offset(line, 1);
  }

  /** The 1-based line holding a raw offset. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** A replacement of raw `[start, end)` by `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits; they may come in any order. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}
