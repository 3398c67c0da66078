import type { DiagnosticSink } from './diagnostics.js';

/**
 * The parser's explicit limits (issue 11 part 7). Each one caps a construct whose
 * cost grows faster than its size in a dependency we cannot change (micromark,
 * yaml) or in a user-supplied regular expression; past the limit the construct is
 * skipped with a positioned diagnostic, so a hostile or broken file costs linear
 * time and never reaches `internal-error`. docs/formats.md lists them with their
 * codes; limits.test.ts pins the numbers.
 */

/**
 * Block quote and list markers (`>`, `-`, `*`, `+`, `1.`) opening one line. micromark
 * costs the square of this per line (and more for each nested list it closes);
 * CommonMark sets no limit, markdown-it stops at 100 too. Code: `nesting-too-deep`.
 */
export const MAX_CONTAINER_MARKERS_PER_LINE = 100;

/**
 * Lines (and, separately, container markers) in one top-level block that only remark
 * can read and that holds block quotes or list items. micromark's container handling
 * is quadratic in that size (it moves every earlier event when a nested container
 * closes, and rescans the open paragraph on each lazy line). Code: `block-too-complex`.
 */
export const MAX_COMPLEX_BLOCK_LINES = 1000;
export const MAX_COMPLEX_BLOCK_MARKERS = 1000;

/**
 * Characters of a heading tried against the profile's task and plan heading patterns.
 * The patterns are the user's regular expressions (the default ones backtrack
 * quadratically on a long run of digits); no real id heading comes near this.
 * Code: `heading-too-long`.
 */
export const MAX_HEADING_MATCH_LENGTH = 1000;

/**
 * Nesting of YAML flow collections (`[`, `{`) and of indentation in front matter and
 * task metadata. The yaml package composes recursively and stringifies collection
 * keys once per level: 500 nested `{` took a minute and 1,000 overflowed the stack.
 * Codes: `front-matter-yaml`, `metadata-invalid`.
 */
export const MAX_YAML_NESTING = 32;

/**
 * Characters of a milestone id that Packet IDs, Evidence roots and Checks entries are
 * searched for. The search walks a trie of the ids from each place a mention may
 * start, so this bounds its steps per character. Code: `id-too-long` (info).
 */
export const MAX_MENTION_ID_LENGTH = 100;

/**
 * Milestones named by all the prose status claims of one tracker, ranges expanded
 * (`LM-01..LM-40` names 40). Claims are output, so without a bound a few lines of
 * wide ranges over a large table grew as the product of the two. Code: `claims-too-many`.
 */
export const MAX_CLAIMED_IDS = 100_000;

const SPACE = 32;
const TAB = 9;

/**
 * Counts the block quote and list markers that open `line` and blanks every line
 * with more than MAX_CONTAINER_MARKERS_PER_LINE, reporting `nesting-too-deep` at the
 * first marker past the limit. The blanked line keeps its place, so every other
 * position is unchanged. Returns the marker count of each line, which the block
 * reader uses to bound what it hands to remark.
 *
 * The count is an over-estimate of the containers a line opens or continues (a
 * marker inside indented code counts too), never an under-estimate, except that a
 * thematic break (`- - -`) ends the count as it ends the container prefix.
 */
export function guardContainerNesting(lines: string[], lineOffset: number, sink: DiagnosticSink): number[] {
  const counts = new Array<number>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const { count, overAt } = containerMarkers(lines[i]!);
    if (overAt < 0) {
      counts[i] = count;
      continue;
    }
    sink.error(
      'nesting-too-deep',
      `more than ${MAX_CONTAINER_MARKERS_PER_LINE} block quote and list markers open this line; the line is skipped`,
      i + 1 + lineOffset,
      overAt + 1,
      { expected: `at most ${MAX_CONTAINER_MARKERS_PER_LINE} nested lists and block quotes on one line` },
    );
    lines[i] = '';
    counts[i] = 0;
  }
  return counts;
}

/** Markers at the start of `line`; `overAt` is the index of the first past the limit, or -1. */
function containerMarkers(line: string): { count: number; overAt: number } {
  let count = 0;
  let p = 0;
  let thematic: Uint8Array | null = null;
  for (;;) {
    while (line.charCodeAt(p) === SPACE || line.charCodeAt(p) === TAB) p++;
    const c = line.charCodeAt(p);
    let next = -1;
    if (c === 62 /* > */) next = p + 1;
    else if (c === 45 /* - */ || c === 42 /* * */ || c === 43 /* + */) {
      if (isGapOrEnd(line, p + 1)) {
        // Computed once per line: testing the rest of the line at every marker is
        // the very quadratic scan this guard exists to avoid.
        thematic ??= thematicSuffixes(line);
        if (thematic[p] === 1) break;
        next = p + 1;
      }
    } else if (c >= 48 && c <= 57) {
      let q = p;
      while (q < line.length && q - p < 10 && line.charCodeAt(q) >= 48 && line.charCodeAt(q) <= 57) q++;
      const d = line.charCodeAt(q);
      if (q - p <= 9 && (d === 46 /* . */ || d === 41 /* ) */) && isGapOrEnd(line, q + 1)) next = q + 1;
    }
    if (next < 0) break;
    count++;
    if (count > MAX_CONTAINER_MARKERS_PER_LINE) return { count, overAt: p };
    p = next;
  }
  return { count, overAt: -1 };
}

function isGapOrEnd(line: string, k: number): boolean {
  const c = line.charCodeAt(k);
  return k >= line.length || c === SPACE || c === TAB;
}

/** `out[i] === 1` when `line.slice(i)` is a thematic break (three or more of one of `-*_`, spaces and tabs only). */
function thematicSuffixes(line: string): Uint8Array {
  const out = new Uint8Array(line.length + 1);
  let kind = 0; // 0: none seen yet, -1: mixed, else the char code
  let n = 0;
  for (let i = line.length - 1; i >= 0; i--) {
    const c = line.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      // spaces do not change the suffix's kind
    } else if ((c === 45 || c === 42 || c === 95) && (kind === 0 || kind === c)) {
      kind = c;
      n++;
    } else kind = -1;
    out[i] = kind > 0 && n >= 3 ? 1 : 0;
  }
  return out;
}

/**
 * Where YAML `source` nests deeper than MAX_YAML_NESTING, or null. Flow nesting counts
 * unclosed `[` and `{` (brackets inside quoted strings count too: an over-estimate);
 * block nesting counts the indentations open above a line plus the `- `/`? `
 * indicators that start it. Linear; the caller reports the offset.
 */
export function yamlTooDeep(source: string): { offset: number; message: string } | null {
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === SPACE) {
        indent++;
        continue;
      }
      lineStart = false;
      if (c !== 35 /* # */ && c !== 13) {
        while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        // `- - - x` and `? - ? x` nest on one line: each indicator is one more level.
        let depth = indents.length;
        let k = i;
        for (;;) {
          const d = source.charCodeAt(k);
          if ((d === 45 /* - */ || d === 63) /* ? */ && (source.charCodeAt(k + 1) === SPACE || source.charCodeAt(k + 1) === TAB)) {
            depth++;
            if (depth > MAX_YAML_NESTING) break;
            k += 2;
            while (source.charCodeAt(k) === SPACE || source.charCodeAt(k) === TAB) k++;
          } else break;
        }
        if (depth > MAX_YAML_NESTING) {
          return { offset: k, message: `YAML is nested more than ${MAX_YAML_NESTING} levels deep` };
        }
      }
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      flow++;
      if (flow > MAX_YAML_NESTING) return { offset: i, message: `YAML flow collections (\`[\`, \`{\`) are nested more than ${MAX_YAML_NESTING} deep` };
    } else if ((c === 93 /* ] */ || c === 125) /* } */ && flow > 0) flow--;
  }
  return null;
}
