import type { Diagnostic } from '@govern/workplan';
import type { Fragment } from './fragment.js';

/**
 * Stage 4 of the engine (discover → fragments → graph → output): the bytes `govern graph
 * --json` prints, `{"nodes":[...],"diagnostics":[...]}`, spliced from each document's
 * node JSON instead of serializing the graph again. Equal, byte for byte, to
 * `JSON.stringify({ nodes, diagnostics })` over the graph `buildGraph` makes (see
 * engine.test.ts).
 *
 * @param files the documents in discovered order
 * @param fragmentOf a document's fragment (absent for a file that contributes nothing)
 * @param dropped the node indexes each document loses to an earlier definition of the same id
 */
export function spliceGraphJson(
  files: readonly string[],
  fragmentOf: (file: string) => Pick<Fragment, 'json'> & { contribution?: Pick<Fragment['contribution'], 'jsonLengths'> } | undefined,
  dropped: ReadonlyMap<string, ReadonlySet<number>>,
  diagnosticsJson: Buffer,
): Buffer {
  const parts: Buffer[] = [OPEN];
  let first = true;
  const push = (b: Buffer) => {
    if (!b.length) return;
    if (!first) parts.push(COMMA);
    parts.push(b);
    first = false;
  };
  for (const file of files) {
    const f = fragmentOf(file);
    if (!f) continue;
    const drop = dropped.get(file);
    if (!drop?.size) {
      push(f.json);
      continue;
    }
    // A document with a duplicate id: its nodes one by one, without the dropped ones.
    let at = 0;
    f.contribution!.jsonLengths.forEach((len, k) => {
      if (!drop.has(k)) push(f.json.subarray(at, at + len));
      at += len + 1;
    });
  }
  parts.push(MIDDLE, diagnosticsJson, CLOSE);
  return Buffer.concat(parts);
}

/** The printed diagnostics. */
export function diagnosticsJson(diagnostics: Diagnostic[]): Buffer {
  return Buffer.from(JSON.stringify(diagnostics), 'utf8');
}

const OPEN = Buffer.from('{"nodes":[');
const COMMA = Buffer.from(',');
const MIDDLE = Buffer.from('],"diagnostics":');
const CLOSE = Buffer.from('}');
