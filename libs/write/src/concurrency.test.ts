import fs from 'node:fs';
import path from 'node:path';
import { compileProfile, DEFAULT_PROFILE, parseDocument } from '@govern/workplan';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writerProcs, type Procs } from './__fixtures__/procs.js';
import { readAuditLog, type AuditRecord } from './audit-log.js';
import { setStatus, sha256 } from './set-status.js';

// Real processes against a real directory: writers at once (2 × 4 here, 8 × 25 in
// concurrency.soak.ts), and
// writers killed with SIGKILL (src/__fixtures__/writer.ts, bundled by procs.ts).

const P = compileProfile(DEFAULT_PROFILE);
let procs: Procs;

beforeAll(async () => {
  procs = await writerProcs('govern-concurrency-');
}, 60_000);

afterAll(() => procs.cleanup());

const run = (job: unknown) => procs.run(job);
const newRepo = (name: string, files: Record<string, string>) => procs.newRepo(name, files);

function workplan(f: number, tasks: number): string {
  const out = ['---', `id: WP-${f}`, 'type: workplan', `title: Plan ${f}`, 'status: in_progress', 'updated: 2026-01-01', '---', ''];
  for (let t = 1; t <= tasks; t++) {
    const id = `WP-${f}-T${String(t).padStart(2, '0')}`;
    out.push(`## T${String(t).padStart(2, '0')} - Task ${t}`, '', '```yaml', `id: ${id}`, 'status: planned', 'priority: P2', '```', '');
  }
  return out.join('\n');
}

describe('concurrent writers', () => {
  test('2 processes × 4 updates on 2 shared files: every update lands exactly once, in the files and in the audit log (8 × 25 in concurrency.soak.ts)', async () => {
    const files = Object.fromEntries([1, 2].map((f) => [`workplans/wp-${f}.md`, workplan(f, 4)]));
    const root = newRepo('two', files);
    const ids = [1, 2].flatMap((f) => Array.from({ length: 4 }, (_, t) => `WP-${f}-T${String(t + 1).padStart(2, '0')}`));
    const procs = Array.from({ length: 2 }, (_, k) =>
      run({
        mode: 'updates',
        root,
        updates: ids.filter((_, i) => i % 2 === k).map((id, j) => ({ id, status: 'in_progress', reason: `p${k}-u${j}` })),
      }),
    );
    const results = await Promise.all(procs.map((p) => p.done));
    expect(results.map((r) => [r.code, r.stderr])).toEqual(results.map(() => [0, '']));

    // Files: every task moved, nothing else changed but the front matter date.
    for (const [rel, original] of Object.entries(files)) {
      const now = fs.readFileSync(path.join(root, rel), 'utf8');
      const { document, diagnostics } = parseDocument({ file: rel, text: now }, P);
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(document!.items.filter((i) => i.kind === 'task').map((i) => i.status)).toEqual(Array(4).fill('in_progress'));
      expect(now.replace(/updated: \S+/, 'updated: X')).toBe(original.replaceAll('status: planned', 'status: in_progress').replace(/updated: \S+/, 'updated: X'));
    }

    // Audit log: 8 records, each update exactly once; per file, each write starts from the bytes the previous one left.
    const log = readAuditLog(root);
    expect(log.diagnostics).toEqual([]);
    expect(log.records.length).toBe(8);
    expect(new Set(log.records.map((r) => r.item)).size).toBe(8);
    expect(new Set(log.records.map((r) => r.reason)).size).toBe(8);
    const byFile = new Map<string, AuditRecord[]>();
    for (const r of log.records) byFile.set(r.file!, [...(byFile.get(r.file!) ?? []), r]);
    for (const [rel, records] of byFile) {
      expect(records[0]!.hashBefore).toBe(sha256(files[rel]!));
      for (let i = 1; i < records.length; i++) expect(records[i]!.hashBefore).toBe(records[i - 1]!.hashAfter);
      expect(records[records.length - 1]!.hashAfter).toBe(sha256(fs.readFileSync(path.join(root, rel))));
    }
    // No lock or temp file left behind.
    expect(fs.readdirSync(path.join(root, '.govern/locks'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'workplans')).sort()).toEqual(['wp-1.md', 'wp-2.md']);
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
