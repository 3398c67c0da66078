import { describe, test } from 'vitest';
import { expectSaneRandomBytes, expectSaneTokenSoup } from './__fixtures__/garbage.js';

// The long forms of variants.test.ts's seeded garbage cases (13 s on a loaded 2-core machine).
describe('parseDocument never throws on garbage (soak)', () => {
  test('random bytes without NULs (200 seeds) parse sanely', () => expectSaneRandomBytes(1000, 1200));
  test('random Markdown-ish token soup (500 seeds) parses sanely', () => expectSaneTokenSoup(1, 500));
});
