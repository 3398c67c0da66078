import fs from 'node:fs';
import path from 'node:path';
import { compileProfile, DEFAULT_PROFILE, parseDocument } from '@govern/workplan';
import { describe, expect, test } from 'vitest';
import { expectConcurrentWritersLand, useWriterProcs } from './__fixtures__/procs.js';
import { readAuditLog } from './audit-log.js';
import { setStatus, sha256 } from './set-status.js';

// Real processes against a real directory: writers at once (2 × 4 here, 8 × 25 in
// concurrency.soak.ts; the case is expectConcurrentWritersLand in procs.ts), and writers
// killed with SIGKILL (src/__fixtures__/writer.ts, bundled by procs.ts).

const P = compileProfile(DEFAULT_PROFILE);
const procs = useWriterProcs('govern-concurrency-');
const run = (job: unknown) => procs.run(job);
const newRepo = (name: string, files: Record<string, string>) => procs.newRepo(name, files);

describe('concurrent writers', () => {
  test('2 processes × 4 updates on 2 shared files: every update lands exactly once, in the files and in the audit log (8 × 25 in concurrency.soak.ts)', async () => {
    await expectConcurrentWritersLand(procs, { repo: 'two', files: 2, writers: 2, writes: 4 });
  }, 60_000);
});

const TRACKER = [
  '# Tracker',
  '',
  '| Milestone | Status |',
  '|---|---|',
  '| LM-01 One | Planned |',
  '| LM-02 Two | Planned |',
  '| LM-03 Three | Planned |',
  '',
].join('\n');

describe('killed writers', () => {
  test('a writer killed with SIGKILL mid-writes leaves the file old or new, never partial; the next write goes through', async () => {
    const root = newRepo('killed', { 'trackers/t.md': TRACKER });
    const looper = run({ mode: 'loop', root, ids: ['LM-01', 'LM-02', 'LM-03'] });
    const deadline = Date.now() + 30_000;
    while (readAuditLog(root).records.length < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    looper.kill('SIGKILL');
    const exit = await looper.done;
    expect(exit.signal).toBe('SIGKILL');

    const text = fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8');
    const { document, diagnostics } = parseDocument({ file: 'trackers/t.md', text }, P);
    expect(diagnostics).toEqual([]);
    expect(document!.items.every((i) => i.status === 'planned' || i.status === 'blocked')).toBe(true);
    expect(text.replace(/Planned|Blocked/g, 'X')).toBe(TRACKER.replace(/Planned/g, 'X'));
    // Every hash the log says was written is a whole file (or the killed write's, whose record never landed).
    const log = readAuditLog(root);
    const known = new Set([sha256(TRACKER), ...log.records.map((r) => r.hashAfter)]);
    const current = sha256(text);
    expect(known.has(current) || log.records.at(-1)!.hashAfter !== current).toBe(true);

    const next = await setStatus({ root, id: 'LM-03', status: 'in_progress', cacheDir: null, lock: { timeoutMs: 30_000 } });
    expect(next.to.status).toBe('in_progress');
  }, 60_000);

  test('a lock left by a killed holder is taken over as soon as its process is gone, not waited on', async () => {
    const root = newRepo('stale', { 'trackers/t.md': TRACKER });
    const holder = run({ mode: 'hold', root, file: 'trackers/t.md' });
    const deadline = Date.now() + 30_000;
    let out = '';
    holder.stdout!.on('data', (d) => (out += d));
    while (!out.includes('locked') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(out).toBe('locked\n');
    // While the holder lives, a writer with a short timeout gives up with a clear error.
    await expect(setStatus({ root, id: 'LM-01', status: 'blocked', cacheDir: null, lock: { timeoutMs: 300 } })).rejects.toMatchObject({
      code: 'lock-timeout',
    });
    holder.kill('SIGKILL');
    await holder.done;
    const started = Date.now();
    const r = await setStatus({ root, id: 'LM-01', status: 'blocked', cacheDir: null, lock: { timeoutMs: 30_000 } });
    const waited = Date.now() - started;
    expect(r.changed).toBe(true);
    expect(waited).toBeLessThan(15_000);
  }, 60_000);
});
