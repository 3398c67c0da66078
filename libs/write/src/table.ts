import type { RawText, TextEdit } from './text.js';

/**
 * Keeps a GFM table's alignment when one cell's text changes length.
 *
 * A table is "aligned" when every row has its pipes at the same columns (the
 * way formatters and editors write them). Only then does the edit touch
 * padding: a shorter token is padded so the next `|` stays put, a longer one
 * first eats the cell's spare padding and, if that is not enough, the whole
 * column is widened by the same amount in every row (spaces, and dashes in the
 * delimiter row). An unaligned table gets the token replaced and nothing else.
 */
export function tableCellEdits(raw: RawText, line: number, tokenStart: number, tokenEnd: number, replacement: string): TextEdit[] {
  const rows = tableRows(raw, line);
  const pipes = rows.map((l) => pipeColumns(raw.line(l)));
  const lineText = raw.line(line);
  const lineStart = raw.lineStart(line);
  const rowPipes = pipeColumns(lineText);
  const col = tokenStart - lineStart;
  const cell = rowPipes.findIndex((p) => p > col);
  const aligned = pipes.every((p) => p.length === rowPipes.length && p.every((c, i) => c === rowPipes[i]));
  const plain: TextEdit[] = [{ start: tokenStart, end: tokenEnd, text: replacement }];
  if (!aligned || cell < 1) return plain;

  const closing = rowPipes[cell]!;
  const delta = replacement.length - (tokenEnd - tokenStart);
  // Spaces between the end of the cell's text and its closing pipe.
  const content = lineText.slice(0, closing).trimEnd();
  const spare = closing - content.length;
  const keep = Math.min(1, spare);
  if (delta <= spare - keep) {
    // Fits: move the difference into (or out of) the padding before the closing pipe.
    const padEdit: TextEdit =
      delta >= 0
        ? { start: lineStart + closing - delta, end: lineStart + closing, text: '' }
        : { start: lineStart + closing, end: lineStart + closing, text: ' '.repeat(-delta) };
    return delta === 0 ? plain : [...plain, padEdit];
  }
  // Does not fit: use all spare padding but one space, widen the column everywhere.
  const extra = delta - (spare - keep);
  const edits: TextEdit[] = [...plain, { start: lineStart + closing - (spare - keep), end: lineStart + closing, text: '' }];
  for (const r of rows) {
    if (r === line) continue;
    const text = raw.line(r);
    const start = raw.lineStart(r);
    const p = pipeColumns(text)[cell]!;
    const prev = pipeColumns(text)[cell - 1]!;
    const inner = text.slice(prev + 1, p);
    // The delimiter row, not a body cell that happens to hold `-` (an empty Depends On).
    if (isDelimiterRow(text)) {
      // Delimiter row: lengthen the dash run, keeping any alignment colons.
      const dash = prev + 1 + inner.indexOf('-');
      edits.push({ start: start + dash, end: start + dash, text: '-'.repeat(extra) });
    } else {
      edits.push({ start: start + p, end: start + p, text: ' '.repeat(extra) });
    }
  }
  return edits;
}

/** A GFM delimiter row: every cell is dashes, with optional alignment colons. */
function isDelimiterRow(text: string): boolean {
  const p = pipeColumns(text);
  const cells = p.slice(1).map((c, i) => text.slice(p[i]! + 1, c));
  return cells.length > 0 && cells.every((c) => /^\s*:?-+:?\s*$/.test(c));
}

/** The 1-based lines of the table around `line`: the run of lines that start with `|`. */
function tableRows(raw: RawText, line: number): number[] {
  const isRow = (l: number) => l >= 1 && l <= raw.lineCount && raw.line(l).trimStart().startsWith('|');
  let first = line;
  while (isRow(first - 1)) first--;
  let last = line;
  while (isRow(last + 1)) last++;
  const out: number[] = [];
  for (let l = first; l <= last; l++) out.push(l);
  return out;
}

/** 0-based columns of the unescaped pipes of a row. */
function pipeColumns(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === '|') out.push(i);
  }
  return out;
}
