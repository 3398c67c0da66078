import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectContiguous, inspect, payload, post, useKilledDaemons } from './testing/kill.js';
import { waitForHealth } from './testing/process.js';

// memoryd as a real child process, killed with SIGKILL mid-batch, then restarted on the
// same files. The kills at random moments under load and the SIGTERM under load are in
// kill.soak.ts.

const { workDir, start } = useKilledDaemons();

describe('a daemon killed mid-batch resumes without loss or duplicates', () => {
  it('SIGKILL inside the transaction of batch 2 (rows appended, checkpoint updated, not committed)', async () => {
    const db = path.join(workDir(), 'memory.duckdb');
    const first = start(db, { MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS: '60000', MEMORYD_FAULT_SKIP_BATCHES: '1' });
    const { url } = (await first.waitFor('listening')) as { url: string };

    expect((await post(url, payload(0, 100))).status).toBe(200);
    await waitForHealth(url, (h) => h.checkpoint.lastSeq === 1); // batch 1 committed
    expect((await post(url, payload(1, 100))).status).toBe(200);
    await first.waitFor('before-commit'); // batch 2 is inside its transaction
    // Acknowledged while batch 2 hangs: durable in the spool only.
    expect((await post(url, payload(2, 100))).status).toBe(200);
    expect((await post(url, payload(3, 100))).status).toBe(200);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const second = start(db);
    const listening = await second.waitFor('listening');
    // The uncommitted batch left nothing behind: the checkpoint is batch 1's, and the spool gives back frames 2..4.
    expect(listening).toMatchObject({ recovered: { frames: 3, droppedBytes: 0 }, checkpoint: { lastSeq: 1, batches: 1, spans: 100 } });
    await waitForHealth(listening.url as string, (h) => h.checkpoint.lastSeq === 4 && h.queued.frames === 0);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    const r = await inspect(db);
    expect(r.counts).toEqual({ rows: 400, keys: 400 });
    expect(r.checkpoint).toMatchObject({ lastSeq: 4, spans: 400 });
    expectContiguous(r.batches, 4);
    // Every batch went straight in: no frame was ingested twice (a re-ingested frame would have
    // needed the dedupe path, or broken the contiguity check).
    expect(r.batches.every((b) => b.path === 'append')).toBe(true);
    expect(r.batches[0]).toEqual({ first: 1, last: 1, path: 'append' });
  }, 90_000);
});
