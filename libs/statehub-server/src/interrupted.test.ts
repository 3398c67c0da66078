import { describe, test } from 'vitest';
import { useInterruptedHub } from './__fixtures__/interrupted.js';

// A sync is a real child process (src/__fixtures__/sync-child.ts, run by the harness in
// src/__fixtures__/interrupted.ts) killed with SIGKILL at every point where it has changed
// something — including right after StateHub committed a create or a status change whose
// answer the child never used — and at arbitrary moments from outside. Running the sync
// again must converge: no duplicate records, no change applied twice, the Markdown byte
// for byte what one uninterrupted sync gives.
//
// One representative kill here; every kill point of the first sync, of a status push
// and pull, and kills from outside at arbitrary moments are in interrupted.soak.ts.

const hub = useInterruptedHub();

describe('a sync killed with SIGKILL and run again converges', () => {
  test('first sync, killed right after its first id write-back (point 16 of 17), converges when run again', async () => {
    await hub.expectFirstSyncKilledAtConverges(16);
  }, 60_000);
});
