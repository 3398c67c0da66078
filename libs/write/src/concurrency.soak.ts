import { describe, test } from 'vitest';
import { expectConcurrentWritersLand, useWriterProcs } from './__fixtures__/procs.js';

// Soak (GOVERN_SOAK=1, `nx run @govern/write:soak`): 8 real writer processes × 25 updates
// at once on 4 shared files (src/__fixtures__/writer.ts, bundled by procs.ts). The test
// suite runs the same case small (concurrency.test.ts: 2 × 4 on 2 files).

const procs = useWriterProcs('govern-concurrency-');

describe('concurrent writers', () => {
  test('8 processes × 25 updates on 4 shared files: every update lands exactly once, in the files and in the audit log', async () => {
    await expectConcurrentWritersLand(procs, { repo: 'eight', files: 4, writers: 8, writes: 25 });
  }, 120_000);
});
