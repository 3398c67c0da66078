import matter from 'gray-matter';
import { LineCounter, parseDocument, isMap, isScalar, type Document as YamlDocument } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';

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
  body: string;
  /** Number of file lines before the body's first line. */
  bodyLineOffset: number;
}

export function readFrontMatter(text: string, sink: DiagnosticSink): FrontMatter {
  if (!text.startsWith('---')) return { data: null, positions: {}, body: text, bodyLineOffset: 0 };
  let yamlDoc: YamlDocument | null = null;
  const lineCounter = new LineCounter();
  let file: { matter: string; content: string };
  try {
    file = matter(text, {
      excerpt: false,
      engines: {
        yaml: {
          parse: (source: string) => {
            yamlDoc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
            return {};
          },
        },
      },
    }) as unknown as { matter: string; content: string };
  } catch (err) {
    sink.error('front-matter-invalid', `front matter could not be read: ${(err as Error).message}`, 1, 1);
    return { data: null, positions: {}, body: text, bodyLineOffset: 0 };
  }
  const offsetChars = text.length - file.content.length;
  const bodyLineOffset = countNewlines(text, offsetChars);
  if (!yamlDoc) {
    // `---` on the first line but no closing delimiter: gray-matter treats it as empty.
    return { data: null, positions: {}, body: file.content, bodyLineOffset };
  }
  const doc = yamlDoc as YamlDocument;
  for (const e of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(e.pos[0]);
    const severity = doc.errors.includes(e as never) ? 'error' : 'warning';
    sink.report(severity, 'front-matter-yaml', `front matter YAML: ${firstLine(e.message)}`, pos.line, pos.col);
  }
  if (doc.errors.length) return { data: null, positions: {}, body: file.content, bodyLineOffset };
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) {
    const pos = lineCounter.linePos(contents.range?.[0] ?? 0);
    sink.error('front-matter-invalid', 'front matter must be a YAML mapping of keys to values', pos.line, pos.col);
    return { data: null, positions: {}, body: file.content, bodyLineOffset };
  }
  const positions: FrontMatter['positions'] = {};
  if (contents) {
    for (const pair of contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      const node = pair.value as { range?: [number, number, number] } | null;
      if (key !== null && node?.range) {
        const pos = lineCounter.linePos(node.range[0]);
        positions[key] = { line: pos.line, column: pos.col };
      }
    }
  }
  const data = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  return { data, positions, body: file.content, bodyLineOffset };
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
