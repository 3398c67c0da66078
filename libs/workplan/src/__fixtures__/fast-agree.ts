/**
 * Test support shared by fast-blocks.test.ts and fast-blocks.soak.ts (not a test file):
 * the differential check of the fast block scanner against remark's parser.
 */
import { expect } from 'vitest';
// The benchmark's deterministic corpus generator doubles as a source of realistic documents.
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only use of the benchmark's pure generator
import { makeDocument } from '../../../../bench/generate-corpus.mjs';
import { DiagnosticSink } from '../diagnostics.js';
import { blocksFast } from '../fast-blocks.js';
import { readFrontMatter } from '../frontmatter.js';
import { blocksFromMarkdown } from '../markdown.js';

/**
 * Differential test: the fast scanner must either decline (null) or produce
 * exactly the blocks remark's parser produces. remark is the reference.
 */
export function check(body: string, offset = 0): 'same' | 'fallback' {
  const fast = blocksFast(body, offset);
  if (fast === null) return 'fallback';
  expect(fast).toEqual(blocksFromMarkdown(body, offset));
  return 'same';
}

export function bodyOf(text: string): { body: string; offset: number } {
  const fm = readFrontMatter(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'), new DiagnosticSink('x'));
  return { body: fm.body, offset: fm.bodyLineOffset };
}

/** How many of the first `count` generated benchmark documents take the fast path (each one agreeing with remark). */
export function agreeOnGenerated(count: number): number {
  let same = 0;
  for (let n = 0; n < count; n++) {
    const doc = makeDocument(n) as { text?: string; content?: string } | string;
    const text = typeof doc === 'string' ? doc : (doc.text ?? doc.content ?? '');
    const { body, offset } = bodyOf(text);
    if (check(body, offset) === 'same') same++;
  }
  return same;
}
