import { describe, expect, it } from 'vitest';
import { agreeOnGenerated } from './__fixtures__/fast-agree.js';

// The long form of fast-blocks.test.ts's generated-document case (18 s on a loaded 2-core machine).
describe('fast scanner vs remark (soak)', () => {
  it('agrees with remark on 600 generated documents of all three families', () => {
    // The generated formats are the common case: nearly all must take the fast path.
    expect(agreeOnGenerated(600)).toBeGreaterThan(590);
  });
});
