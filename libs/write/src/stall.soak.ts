import fs from 'node:fs';
import path from 'node:path';
import { compileProfile, DEFAULT_PROFILE, parseDocument } from '@govern/workplan';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until, writerProcs, type Procs } from './__fixtures__/procs.js';
import { readAuditLog } from './audit-log.js';
import { sha256 } from './set-status.js';

// Stalled holders (issue 11, part 1). Before GV-07 the lock was judged stale by its
// mtime: a holder paused for over 5 s had its lock taken over, the second writer
// committed, and when the first resumed it "succeeded" too and overwrote that change.
// A write that exits 0 must be in the file, whatever the timing of stalls.

const P = compileProfile(DEFAULT_PROFILE);
let procs: Procs;
beforeAll(async () => {
  procs = await writerProcs('govern-stall-');
}, 60_000);
afterAll(() => procs.cleanup());

function tracker(rows: number): string {
  const out = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|'];
  for (let i = 1; i <= rows; i++) out.push(`| ${i} | LM-${String(i).padStart(6, '0')} Item ${i} | - | Planned |`);
  return `${out.join('\n')}\n`;
}

/** Every record's hashBefore is the previous record's hashAfter (per file), starting at the original bytes and ending at the file. */
function expectUnbrokenChain(root: string, rel: string, original: string): void {
  const log = readAuditLog(root);
  expect(log.diagnostics).toEqual([]);
  const records = log.records.filter((r) => r.file === rel);
  expect(records[0]!.hashBefore).toBe(sha256(original));
  for (let i = 1; i < records.length; i++) expect(records[i]!.hashBefore).toBe(records[i - 1]!.hashAfter);
  expect(records.at(-1)!.hashAfter).toBe(sha256(fs.readFileSync(path.join(root, rel))));
}

describe('stalled holders', () => {
  test('a holder paused with SIGSTOP for 8 s keeps its lock; the second writer waits, and both changes land', async () => {
    const text = tracker(3);
    const root = procs.newRepo('sigstop', { 'trackers/t.md': text });
    const ready = path.join(root, 'ready');
    const go = path.join(root, 'go');
    const first = procs.run({ mode: 'one', root, id: 'LM-000001', status: 'blocked', ready, go });
    await until(() => fs.existsSync(ready), 30_000, 'the first writer to reach its commit');
    first.kill('SIGSTOP');
    const second = procs.run({ mode: 'one', root, id: 'LM-000002', status: 'in_progress', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 8000)); // past the 5 s stale threshold of the old lock
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(text); // the second has not written
    first.kill('SIGCONT');
    fs.writeFileSync(go, '');
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const { document } = parseDocument({ file: 'trackers/t.md', text: fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8') }, P);
    expect(document!.items.map((i) => [i.id, i.status])).toEqual([
      ['LM-000001', 'blocked'],
      ['LM-000002', 'in_progress'],
      ['LM-000003', 'planned'],
    ]);
    expectUnbrokenChain(root, 'trackers/t.md', text);
    expect(readAuditLog(root).records.length).toBe(2);
  }, 120_000);

  test('a holder paused past the other writer\'s timeout: the other fails with lock-timeout, never "succeeds" into a lost change', async () => {
    const text = tracker(3);
    const root = procs.newRepo('sigstop-timeout', { 'trackers/t.md': text });
    const ready = path.join(root, 'ready');
    const go = path.join(root, 'go');
    const first = procs.run({ mode: 'one', root, id: 'LM-000001', status: 'blocked', ready, go });
    await until(() => fs.existsSync(ready), 30_000, 'the first writer to reach its commit');
    first.kill('SIGSTOP');
    const second = await procs.run({ mode: 'one', root, id: 'LM-000002', status: 'in_progress', timeoutMs: 7000 }).done;
    expect([second.code, JSON.parse(second.stdout).code]).toEqual([1, 'lock-timeout']);
    first.kill('SIGCONT');
    fs.writeFileSync(go, '');
    expect((await first.done).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(text.replace('| 1 | LM-000001 Item 1 | - | Planned |', '| 1 | LM-000001 Item 1 | - | Blocked |'));
    expectUnbrokenChain(root, 'trackers/t.md', text);
  }, 120_000);

  test('6 writers on a 5.8 MB tracker (120,000 rows, slow to parse): every write that exits 0 is in the file, the audit chain is unbroken', async () => {
    const text = tracker(120_000);
    expect(text.length).toBeGreaterThan(5_000_000);
    const root = procs.newRepo('large', { 'trackers/t.md': text });
    const ids = [1, 20_000, 40_000, 60_000, 80_000, 119_999].map((i) => `LM-${String(i).padStart(6, '0')}`);
    const results = await Promise.all(ids.map((id) => procs.run({ mode: 'one', root, id, status: 'in_progress', timeoutMs: 240_000 }).done));
    const now = fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8');
    const { document } = parseDocument({ file: 'trackers/t.md', text: now }, P);
    const status = new Map(document!.items.map((i) => [i.id, i.status]));
    const succeeded = ids.filter((_, k) => results[k]!.code === 0);
    for (const id of succeeded) expect([id, status.get(id)]).toEqual([id, 'in_progress']);
    // The ones that did not exit 0 said why, and their change is not in the file.
    for (const [k, id] of ids.entries()) if (results[k]!.code !== 0) expect([id, status.get(id), JSON.parse(results[k]!.stdout).code]).toEqual([id, 'planned', 'lock-timeout']);
    expect(succeeded.length).toBe(ids.length); // with a 240 s timeout all six get their turn
    expectUnbrokenChain(root, 'trackers/t.md', text);
    expect(readAuditLog(root).records.length).toBe(succeeded.length);
  }, 480_000);
});
