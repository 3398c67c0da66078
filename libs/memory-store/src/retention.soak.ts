import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firstRetentionBySize, tempDbFiles } from './__fixtures__/retention.js';
import { toFacts } from './facts.js';
import { counts, SEC, size, spans, T0 } from './testing.js';

// The retention case at size (~20 s): 60,000 facts, runs until under the limit, six
// ingest-and-retain cycles. GOVERN_SOAK=1 (`npx nx run @govern/memory-store:soak`);
// retention.test.ts keeps a small case of the same policy.

const dbFile = tempDbFiles('retention-soak-');

describe('retention by size, at size', () => {
  it('brings used bytes under maxBytes, oldest first; a retention cycle stops the file from growing', async () => {
    const file = dbFile();
    const N = 60_000;
    // By size: half the data. The first run removes the proportional share; runs until under the limit.
    const { store, full, fileFull, maxBytes, first } = await firstRetentionBySize(file, N);
    expect(first).toMatchObject({ outcome: 'applied', reason: 'size', bytes: { usedBefore: full.usedBytes, fileBefore: fileFull } });
    expect(first.deleted.task_facts).toBe(N - Math.floor((N * maxBytes * 0.8) / full.usedBytes)); // keeps the newest rows × 0.8 × max / used
    expect(first.bytes.usedAfter).toBeLessThan(full.usedBytes);
    expect(first.bytes.fileAfter).toBe(fs.statSync(file).size); // measured after the CHECKPOINT emptied the WAL
    let runs = 1;
    for (let used = first.bytes.usedAfter; used > maxBytes && runs < 4; runs++) used = (await store.retention({ maxBytes }, { nowNs: T0, actor: 'test' })).bytes.usedAfter;
    expect((await store.stats()).usedBytes).toBeLessThanOrEqual(maxBytes);
    const kept = (await counts(store))!.tasks as number;
    expect(kept).toBeGreaterThan(N * 0.1);
    expect(kept).toBeLessThan(N * 0.5);
    // The newest facts are the ones kept.
    expect(await store.all('SELECT max(start_ns) AS last FROM task_facts')).toEqual([{ last: T0 + BigInt(N - 1) * SEC }]);

    // Steady state: ingest as much again and retain, six times. Freed blocks are reused
    // (and the file is truncated when they are at its end), so it stays within what the
    // first two cycles needed — measured: it alternates between ~5.3 and ~7.6 MB — where
    // without retention it would grow by the size of each ingest.
    const sizes: number[] = [];
    for (let cycle = 1; cycle <= 6; cycle++) {
      await store.commit(toFacts(spans(cycle * N, N)), { firstSeq: cycle + 1, lastSeq: cycle + 1 });
      await store.retention({ maxAgeMs: Number(BigInt(kept) * SEC / 1_000_000n) }, { nowNs: T0 + BigInt((cycle + 1) * N) * SEC, actor: 'test' });
      sizes.push(size(file));
    }
    expect(Math.max(...sizes.slice(2))).toBeLessThanOrEqual(Math.max(...sizes.slice(0, 2)) * 1.1);
    expect(sizes.at(-1)).toBeLessThan(fileFull * 2);
    await store.close();
  }, 120_000);

});
