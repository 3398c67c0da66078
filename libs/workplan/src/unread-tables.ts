import type { Block } from './blocks.js';
import type { DiagnosticSink } from './diagnostics.js';
import { splitRow } from './fast-blocks.js';

/** The cells of a pipe-table row, split as the fast block scanner splits them (one splitter). */
const rowCells = (line: string): string[] => (splitRow(line, 0) ?? []).map((c) => c.text);

const DELIMITER_CELL = /^:?-+:?$/;

/** A GFM delimiter row (`|---|:--:|`): every cell dashes with optional colons; its cell count, or 0 when it is not one. */
function delimiterCells(line: string): number {
  if (!line.includes('-')) return 0;
  const cells = rowCells(line);
  return cells.length > 0 && cells.every((c) => DELIMITER_CELL.test(c)) ? cells.length : 0;
}

/**
 * Warns (`table-delimiter-mismatch`) about the lines Markdown reads as plain text although they look
 * like a pipe table: a row followed by a delimiter row with another number of cells.
 *
 * Why: GFM reads a table only when its header row and its delimiter row have the same
 * number of cells; otherwise every line of it is a paragraph. A milestone table with one
 * `---:|` too many in its delimiter row then vanishes without a word: the tracker says
 * "nothing to track" and every gate on its milestones reports them undefined. This says
 * which line and why. Only top-level paragraphs are looked at: a table is read nowhere else.
 */
export function warnUnreadTables(blocks: readonly Block[], sink: DiagnosticSink): void {
  for (const b of blocks) {
    if (b.type !== 'paragraph') continue;
    for (let i = 0; i + 1 < b.lines.length; i++) {
      const header = b.lines[i]!;
      const delimiter = b.lines[i + 1]!;
      if (!header.text.includes('|')) continue;
      const want = delimiterCells(delimiter.text);
      if (!want) continue;
      const have = rowCells(header.text).length;
      if (have === want) continue;
      sink.warn(
        'table-delimiter-mismatch',
        `these lines look like a table, but its header row (line ${header.line}) has ${have} cell${have === 1 ? '' : 's'} and its delimiter row ${want}; Markdown reads a table only when the two have the same number of cells, so none of its rows is read`,
        delimiter.line,
        delimiter.column,
      );
    }
  }
}
