/**
 * The block stream the family parsers read. It is deliberately small: the
 * governance formats only need headings, paragraph lines, tables, lists (with
 * checkbox state) and fenced code. Lines and columns are 1-based file positions.
 */
export interface Located {
  text: string;
  line: number;
  column: number;
}

export interface HeadingBlock {
  type: 'heading';
  depth: number;
  text: string;
  line: number;
  column: number;
}
export interface ParagraphBlock {
  type: 'paragraph';
  lines: Located[];
  line: number;
}
export interface TableBlock {
  type: 'table';
  line: number;
  /** rows[0] is the header row; the delimiter row is not included. */
  rows: { line: number; cells: Located[] }[];
}
export interface ListItem extends Located {
  checked: boolean | null;
  /**
   * When the item's first paragraph goes on past its first line: how many characters of
   * `text` that first line holds (`**Title**` on a line of its own, the description below).
   */
  head?: number;
  children: ListItem[];
}
export interface ListBlock {
  type: 'list';
  line: number;
  ordered: boolean;
  /** An ordered list's first number (`5)` → 5); its items count on from it. Absent for bullet lists. */
  start?: number;
  items: ListItem[];
}
export interface CodeBlock {
  type: 'code';
  line: number;
  lang: string | null;
  value: string;
  /** File line of the first line of `value`. */
  valueLine: number;
}
export interface OtherBlock {
  type: 'other';
  line: number;
}
export type Block = HeadingBlock | ParagraphBlock | TableBlock | ListBlock | CodeBlock | OtherBlock;
