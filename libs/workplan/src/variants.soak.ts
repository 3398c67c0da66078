import { describe, test } from 'vitest';
import { expectSane, noise, randomBytes } from './__fixtures__/garbage.js';

// The long forms of variants.test.ts's seeded garbage cases (13 s on a loaded 2-core machine).
describe('parseDocument never throws on garbage (soak)', () => {
  test('random bytes without NULs (200 seeds) parse sanely', () => {
    for (let seed = 1000; seed < 1200; seed++) {
      try {
        expectSane(randomBytes(seed, false));
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
  });

  test('random Markdown-ish token soup (500 seeds) parses sanely', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const text = noise(seed);
      try {
        expectSane(text);
        expectSane(`---\n${text}`);
        expectSane(`---\nid: WP-${seed}\ntype: workplan\n---\n${text}`);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}\ninput: ${JSON.stringify(text)}`);
      }
    }
  });
});
