/**
 * Property-based fuzzing of the parser (fast-check), small enough for every run of
 * the `test` target; fuzz.soak.ts runs the same properties longer, on bigger inputs
 * and with a new seed each run, plus the pathological sizes of issue 11 part 7.
 *
 * Here the seed is fixed, so `test` stays deterministic; `FUZZ_SEED=<n>` picks
 * another (a failure prints its seed and the shrunk input).
 *
 * (variants.test.ts keeps its seeded random-bytes and token-soup cases: they are
 * cheap, fixed, and cover byte-level garbage these arbitraries do not produce.)
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectSaneResult, markdownBody, markdownDoc } from './__fixtures__/markdown-arbitraries.js';
import { readBlocks } from './body.js';
import { DiagnosticSink } from './diagnostics.js';
import { blocksFromMarkdown } from './markdown.js';
import { parseDocument } from './parse.js';
import { compileProfile, DEFAULT_PROFILE } from './profile.js';

const P = compileProfile(DEFAULT_PROFILE);
const FILE = 'fuzz/doc.md';
/** Per input. These inputs (at most ~100 KB) parse in milliseconds; the bound only catches a super-linear path. */
const PER_INPUT_MS = 1500;
const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_261_106) };

describe('fuzz: parseDocument on generated Markdown', () => {
  test('never throws, never reports internal-error, positions every diagnostic in the file, stays within the time bound', () => {
    fc.assert(
      fc.property(markdownDoc({ maxLines: 40, maxRepeat: 3000, maxRows: 20 }), fc.constantFrom('auto' as const, 'remark' as const), (text, engine) => {
        // CPU time of this process, not wall time: other processes on the machine must not fail it.
        const t0 = process.cpuUsage();
        const r = parseDocument({ file: FILE, text }, P, { engine });
        const used = process.cpuUsage(t0);
        const ms = (used.user + used.system) / 1000;
        expectSaneResult(text, FILE, r);
        expect(ms).toBeLessThan(PER_INPUT_MS);
      }),
      { numRuns: 150, ...seed },
    );
  });

  // Counterexamples the soak's random seeds found (seed 286143168): a task item whose
  // checkbox ends its line, with a continuation line, was placed past that line's end.
  test('counterexamples found by the soak stay sane with both engines', () => {
    for (const text of ['- [ ] a\n  - [x] \n        - a\n## Milestone 3 - a', '## T01 - a\n- [x] \n  more\n- [ ] b\n']) {
      for (const engine of ['auto', 'remark'] as const) expectSaneResult(text, FILE, parseDocument({ file: FILE, text }, P, { engine }));
    }
    const r = parseDocument({ file: FILE, text: '## T01 - a\n- [x] \n  more\n' }, P, { engine: 'remark' });
    expect(r.document?.items.find((i) => i.id.endsWith('T01'))?.criteria).toEqual([{ text: 'more', checked: true, line: 3, column: 3 }]);
  });

  test('both engines give the same result', () => {
    fc.assert(
      fc.property(markdownDoc({ maxLines: 30, maxRepeat: 300, maxRows: 10 }), (text) => {
        expect(parseDocument({ file: FILE, text }, P, { engine: 'remark' })).toEqual(parseDocument({ file: FILE, text }, P));
      }),
      { numRuns: 150, ...seed },
    );
  });

  // The block reader hands remark one top-level block at a time and the fast scanner
  // what it can read; both shortcuts must be invisible.
  test('the block reader gives exactly what remark gives on the whole body', () => {
    fc.assert(
      fc.property(markdownBody({ maxLines: 30, maxRepeat: 0, maxRows: 8 }), (body) => {
        const whole = blocksFromMarkdown(body, 2);
        for (const engine of ['auto', 'remark'] as const) expect(readBlocks(body, 2, engine, new DiagnosticSink('b.md'))).toEqual(whole);
      }),
      { numRuns: 100, ...seed },
    );
  });
});
