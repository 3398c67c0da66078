/**
 * Test support (not a test file): garbage inputs for variants.test.ts and
 * variants.soak.ts, and the sanity every parse of them must keep.
 */
import { expect } from 'vitest';
import { ParseResultSchema, type ParseResult } from '../model.js';
import { parse, rng } from './test-utils.js';

const TOKENS = [
  '\n', '\n', '\n', '\r\n', ' ', '  ', '|', '| ', ' |', '|---|', '---', '---\n', '# ', '## ', '### ', '- ', '1. ', '- [x] ', '- [ ] ',
  '```', '```yaml\n', '~~~', '> ', '`', '*', '**', '_', '\\', '[', ']', '(', ')', ':', ', ', 'Status: ', 'status: ', 'id: ', 'depends_on: ',
  'Depends on: ', 'Exit criteria:', 'Acceptance:', 'T01 - ', 'K0: ', 'PHASE 1 — ', ' — COMPLETE', 'LM-01', 'LM-02', 'Done (#27)', 'Planned',
  '| Order | Milestone | Depends On | Status |', '| Row \\ Col | LM-01 | LM-02 |', '0', '1', '2', 'x', '&amp;', '<div>', '\t', '\u00a0',
  '\uFEFF', '\u200b', '🚀', '火', 'e\u0301', '\ud800', '\udc00', '{', '}', '&', '*a', '!!binary', '%YAML', '? ', '<<: *a',
];

export function noise(seed: number): string {
  const r = rng(seed);
  const n = Math.floor(r() * 200);
  let s = '';
  for (let i = 0; i < n; i++) s += TOKENS[Math.floor(r() * TOKENS.length)];
  return s;
}

export function randomBytes(seed: number, withNul: boolean): string {
  const r = rng(seed);
  const bytes = Buffer.alloc(Math.floor(r() * 600) + 1);
  for (let i = 0; i < bytes.length; i++) {
    let b = Math.floor(r() * 256);
    if (!withNul && b === 0) b = 0x7c; // `|`
    bytes[i] = b;
  }
  return bytes.toString(seed % 2 ? 'utf8' : 'latin1');
}

export function expectSane(text: string, file = 'garbage.md'): ParseResult {
  let r: ParseResult | undefined;
  expect(() => {
    r = parse(text, file);
  }).not.toThrow();
  const result = r!;
  // The result has the declared shape, and no input reaches the "bug in govern" safety net.
  expect(ParseResultSchema.safeParse(result).success).toBe(true);
  expect(result.diagnostics.filter((d) => d.code === 'internal-error')).toEqual([]);
  for (const d of result.diagnostics) expect(d.file).toBe(file);
  return result;
}


/** `expectSane` on the random bytes without NUL of seeds [from, to), naming the seed that fails. */
export function expectSaneRandomBytes(from: number, to: number): void {
  for (let seed = from; seed < to; seed++) {
    try {
      expectSane(randomBytes(seed, false));
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}`);
    }
  }
}

/** `expectSane` on the token soup of seeds [from, to], bare and under two kinds of front matter. */
export function expectSaneTokenSoup(from: number, to: number): void {
  for (let seed = from; seed <= to; seed++) {
    const text = noise(seed);
    try {
      expectSane(text);
      expectSane(`---\n${text}`);
      expectSane(`---\nid: WP-${seed}\ntype: workplan\n---\n${text}`);
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}\ninput: ${JSON.stringify(text)}`);
    }
  }
}
