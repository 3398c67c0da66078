import matter from 'gray-matter';
import { parseDocument, isAlias, isMap, isPair, isScalar, isSeq, YAMLParseError, type Document as YamlDocument } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import { yamlTooDeep } from './limits.js';

/**
 * The only file that calls gray-matter.
 *
 * Quirks handled here:
 * - gray-matter caches results by input string when called without options and
 *   hands out the same mutable `data` object to later callers; we always pass
 *   options, which bypasses that cache.
 * - gray-matter's default engine (js-yaml) throws on bad YAML and loses positions;
 *   we plug in the `yaml` package so errors come back as positioned diagnostics
 *   and values keep their source ranges.
 * - `file.matter` starts with the remainder of the opening `---` line, so YAML
 *   line N is file line N; the body starts after the closing delimiter line.
 */
export interface FrontMatter {
  data: Record<string, unknown> | null;
  /** Position of each top-level value (for surgical edits and diagnostics). */
  positions: Record<string, { line: number; column: number }>;
  /** Positions of the entries of top-level sequences (`depends_on: [a, b]`). */
  itemPositions: Record<string, { line: number; column: number }[]>;
  /** The entries of top-level sequences as written (`006`, which YAML reads as the number 6). */
  itemTexts?: Record<string, string[]>;
  body: string;
  /** Number of file lines before the body's first line. */
  bodyLineOffset: number;
}

export function readFrontMatter(text: string, sink: DiagnosticSink): FrontMatter {
  if (!text.startsWith('---')) return { data: null, positions: {}, itemPositions: {}, body: text, bodyLineOffset: 0 };
  if (!/\n---[ \t]*(\n|$)/.test(text.slice(3))) {
    sink.error('front-matter-unterminated', 'front matter starts with `---` but has no closing `---` line; the file is read as if it had none', 1, 1);
    return { data: null, positions: {}, itemPositions: {}, body: text, bodyLineOffset: 0 };
  }
  return readFlatFrontMatter(text) ?? readFrontMatterYaml(text, sink);
}

/** readFrontMatter without the fast path: gray-matter and the yaml package (exported for the equivalence test). */
export function readFrontMatterYaml(text: string, sink: DiagnosticSink): FrontMatter {
  let yamlDoc: YamlDocument | null = null;
  let tooDeep: { line: number; col: number; message: string } | null = null;
  let lineCounter = new SourceLines('');
  let file: { matter: string; content: string };
  try {
    file = matter(text, {
      excerpt: false,
      engines: {
        yaml: {
          parse: (source: string) => {
            const parsed = parseYaml(source);
            if ('tooDeep' in parsed) tooDeep = parsed.tooDeep;
            else ({ doc: yamlDoc, lines: lineCounter } = parsed);
            return {};
          },
        },
      },
    }) as unknown as { matter: string; content: string };
  } catch (err) {
    sink.error('front-matter-invalid', `front matter could not be read: ${(err as Error).message}`, 1, 1);
    return { data: null, positions: {}, itemPositions: {}, body: text, bodyLineOffset: 0 };
  }
  const offsetChars = text.length - file.content.length;
  const bodyLineOffset = countNewlines(text, offsetChars);
  if (tooDeep) {
    const { line, col, message } = tooDeep;
    sink.error('front-matter-yaml', `front matter YAML: ${message}; the front matter is not read`, line, col);
    return { data: null, positions: {}, itemPositions: {}, body: file.content, bodyLineOffset };
  }
  if (!yamlDoc) {
    // `---` on the first line but no closing delimiter: gray-matter treats it as empty.
    return { data: null, positions: {}, itemPositions: {}, body: file.content, bodyLineOffset };
  }
  const doc = yamlDoc as YamlDocument;
  // Errors and warnings apart: asking `doc.errors.includes(e)` of each was quadratic in their number.
  for (const [list, severity] of [
    [doc.errors, 'error'],
    [doc.warnings, 'warning'],
  ] as const) {
    for (const e of list) {
      const pos = lineCounter.linePos(e.pos[0]);
      sink.report(severity, 'front-matter-yaml', `front matter YAML: ${firstLine(e.message)}`, pos.line, pos.col);
    }
  }
  if (doc.errors.length) return { data: null, positions: {}, itemPositions: {}, body: file.content, bodyLineOffset };
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) {
    const pos = lineCounter.linePos(contents.range?.[0] ?? 0);
    sink.error('front-matter-invalid', 'front matter must be a YAML mapping of keys to values', pos.line, pos.col);
    return { data: null, positions: {}, itemPositions: {}, body: file.content, bodyLineOffset };
  }
  const positions: FrontMatter['positions'] = {};
  const itemPositions: FrontMatter['itemPositions'] = {};
  const itemTexts: Record<string, string[]> = {};
  if (contents) {
    for (const pair of contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      const node = pair.value as { range?: [number, number, number] } | null;
      if (key !== null && node?.range) {
        const pos = lineCounter.linePos(node.range[0]);
        positions[key] = { line: pos.line, column: pos.col };
      }
      if (key !== null && isSeq(pair.value)) {
        itemPositions[key] = pair.value.items.map((it) => {
          const r = (it as { range?: [number, number, number] }).range;
          const ip = lineCounter.linePos(r?.[0] ?? 0);
          return { line: ip.line, column: ip.col };
        });
        itemTexts[key] = pair.value.items.map((it) => (isScalar(it) && typeof it.source === 'string' ? it.source : String(isScalar(it) ? it.value : '')));
      }
    }
  }
  let data: Record<string, unknown>;
  try {
    data = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  } catch (err) {
    // e.g. an alias to an anchor that is never defined
    const at = lineCounter.linePos(unresolvedAliasOffset(doc) ?? 0);
    sink.error('front-matter-yaml', `front matter YAML: ${firstLine((err as Error).message)}`, at.line, at.col);
    return { data: null, positions: {}, itemPositions: {}, body: file.content, bodyLineOffset };
  }
  return { data, positions, itemPositions, itemTexts, body: file.content, bodyLineOffset };
}

/**
 * The yaml package's parseDocument, kept linear: YAML nested deeper than
 * MAX_YAML_NESTING is not parsed (see limits.ts), and duplicate keys are found here
 * with one set per mapping, because the package's own check compares each key with
 * every earlier one (20,000 keys took 3 s, 40,000 took 11 s). The errors it adds are
 * the ones the package reports with `uniqueKeys: true`, at the same offsets.
 */
export function parseYaml(source: string): { doc: YamlDocument; lines: SourceLines } | { tooDeep: { line: number; col: number; message: string } } {
  const lines = new SourceLines(source);
  const deep = yamlTooDeep(source);
  if (deep) return { tooDeep: { ...lines.linePos(deep.offset), message: deep.message } };
  // logLevel 'error': the package prints warnings (collection keys) to the console otherwise.
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  for (const at of duplicateKeyOffsets(doc)) doc.errors.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
  return { doc, lines };
}

/**
 * Line and column of an offset in YAML source. The yaml package's LineCounter misses
 * the line breaks inside a plain scalar it gives up on, so an error after one was
 * reported lines too early, at a column past the end of its line.
 */
export class SourceLines {
  private readonly starts: number[] = [0];
  constructor(source: string) {
    for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** 1-based line and column, like LineCounter.linePos. */
  linePos(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }
}

/** Start offsets of scalar keys equal (`===`) to an earlier key of the same mapping; iterative. */
function duplicateKeyOffsets(doc: YamlDocument): number[] {
  const out: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && !Number.isNaN(key.value)) {
          if (seen.has(key.value)) out.push(key.range?.[0] ?? 0);
          else seen.add(key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    } else if (isAlias(node)) {
      // an alias refers to a node already visited where it was defined
    }
  }
  return out.sort((a, b) => a - b);
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/**
 * Offset of the first alias whose anchor is not defined before it, if any. One
 * iterative pass in document order (the order of yaml's `visit`): asking each
 * alias's `resolve` rescans the whole document per alias, and 16,000 aliases took
 * two and a half minutes.
 */
export function unresolvedAliasOffset(doc: YamlDocument): number | null {
  const anchors = new Set<string>();
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isAlias(node)) {
      if (!anchors.has(node.source)) return node.range?.[0] ?? null;
      continue;
    }
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (isScalar(node) || isMap(node) || isSeq(node)) {
      if (node.anchor) anchors.add(node.anchor);
      if (!isScalar(node)) for (let k = node.items.length - 1; k >= 0; k--) stack.push(node.items[k]);
    }
  }
  return null;
}

/** One `key: value` line of flat YAML (see readFlatYaml). */
export interface FlatEntry {
  key: string;
  value: string | number | null;
  /** 1-based line and column of the value, as the yaml package reports its range start. */
  line: number;
  col: number;
}

// Words the YAML 1.2 core schema reads as null or a boolean (everything else that starts
// with a letter is a string), and characters a plain or quoted scalar may not hold as is.
const CORE_WORDS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
const FLAT_KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/;

/** Control characters, line separators and non-characters: the yaml package decides about those. */
function hasSpecialChar(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) return true;
  }
  return false;
}

/**
 * The fast path of the cold parse: YAML that is only `key: value` lines with plain,
 * quoted or integer values (most front matter and task metadata) is read without the
 * yaml package, which was a third of a parse worker's time. Anything else — sequences,
 * nesting, comments, blank lines after the first, escapes, anchors, duplicate keys,
 * trailing spaces, `null`/`true`/numbers other than plain digits — returns null and
 * goes to the yaml package, so the result is always the one it gives (the equivalence
 * is tested against it in frontmatter.test.ts).
 */
export function readFlatYaml(source: string): FlatEntry[] | null {
  const out: FlatEntry[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  for (let start = 0; start <= source.length; ) {
    let end = source.indexOf('\n', start);
    if (end < 0) end = source.length;
    lineNo++;
    const line = source.slice(start, end);
    start = end + 1;
    if (line === '' && lineNo === 1) continue; // the rest of front matter's opening `---` line
    const m = FLAT_KEY.exec(line);
    if (!m) return null;
    const key = m[1]!;
    if (seen.has(key) || CORE_WORDS.has(key) || key === '__proto__') return null;
    seen.add(key);
    const raw = m[2];
    if (raw === undefined) {
      // `key:` with nothing after it: null, positioned at the end of the line.
      out.push({ key, value: null, line: lineNo, col: line.length + 1 });
      continue;
    }
    let pad = 0;
    while (raw.charCodeAt(pad) === 32) pad++;
    const v = raw.slice(pad);
    const value = flatScalar(v);
    if (value === undefined) return null;
    out.push({ key, value, line: lineNo, col: key.length + 3 + pad });
  }
  return out.length ? out : null;
}

/** A flat value as the yaml package reads it, or undefined when only the package can say. */
function flatScalar(v: string): string | number | undefined {
  if (v === '' || v.endsWith(' ') || hasSpecialChar(v)) return undefined;
  const c = v.charCodeAt(0);
  if (c === 34 /* " */) return /^"[^"\\]*"$/.test(v) ? v.slice(1, -1) : undefined;
  if (c === 39 /* ' */) return /^'[^']*'$/.test(v) ? v.slice(1, -1) : undefined;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
    if (CORE_WORDS.has(v) || v.includes(': ') || v.endsWith(':') || v.includes(' #')) return undefined;
    return v;
  }
  if (/^[0-9]{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/**
 * Front matter that is flat YAML (see readFlatYaml) and closed by a plain `---` line,
 * read the way gray-matter and the yaml path below read it; null for anything else.
 */
function readFlatFrontMatter(text: string): FrontMatter | null {
  if (!text.startsWith('---\n')) return null;
  // gray-matter: the matter runs from after `---` to the first `\n---`; the body starts
  // after that delimiter and one line break.
  const close = text.indexOf('\n---', 3);
  if (close <= 3) return null;
  const after = close + 4;
  if (after < text.length && text.charCodeAt(after) !== 10) return null;
  const entries = readFlatYaml(text.slice(3, close));
  if (!entries) return null;
  const data: Record<string, unknown> = {};
  const positions: FrontMatter['positions'] = {};
  for (const e of entries) {
    data[e.key] = e.value;
    positions[e.key] = { line: e.line, column: e.col };
  }
  const bodyStart = after < text.length ? after + 1 : after;
  return { data, positions, itemPositions: {}, itemTexts: {}, body: text.slice(bodyStart), bodyLineOffset: countNewlines(text, bodyStart) };
}
