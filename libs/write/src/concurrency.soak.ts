import fs from 'node:fs';
import path from 'node:path';
import { compileProfile, DEFAULT_PROFILE, parseDocument } from '@govern/workplan';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writerProcs, type Procs } from './__fixtures__/procs.js';
import { readAuditLog, type AuditRecord } from './audit-log.js';
import { sha256 } from './set-status.js';

// Soak (GOVERN_SOAK=1, `nx run @govern/write:soak`): 8 real writer processes × 25 updates
// at once on 4 shared files (src/__fixtures__/writer.ts, bundled by procs.ts). The test
// suite runs the same shape small (concurrency.test.ts: 2 × 4 on 2 files).

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
  test('8 processes × 25 updates on 4 shared files: every update lands exactly once, in the files and in the audit log', async () => {
    const files = Object.fromEntries([1, 2, 3, 4].map((f) => [`workplans/wp-${f}.md`, workplan(f, 50)]));
    const root = newRepo('eight', files);
    const ids = [1, 2, 3, 4].flatMap((f) => Array.from({ length: 50 }, (_, t) => `WP-${f}-T${String(t + 1).padStart(2, '0')}`));
    const procs = Array.from({ length: 8 }, (_, k) =>
      run({
        mode: 'updates',
        root,
        updates: ids.filter((_, i) => i % 8 === k).map((id, j) => ({ id, status: 'in_progress', reason: `p${k}-u${j}` })),
      }),
    );
    const results = await Promise.all(procs.map((p) => p.done));
    expect(results.map((r) => [r.code, r.stderr])).toEqual(results.map(() => [0, '']));

    // Files: every task moved, nothing else changed but the front matter date.
    for (const [rel, original] of Object.entries(files)) {
      const now = fs.readFileSync(path.join(root, rel), 'utf8');
      const { document, diagnostics } = parseDocument({ file: rel, text: now }, P);
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(document!.items.filter((i) => i.kind === 'task').map((i) => i.status)).toEqual(Array(50).fill('in_progress'));
      expect(now.replace(/updated: \S+/, 'updated: X')).toBe(original.replaceAll('status: planned', 'status: in_progress').replace(/updated: \S+/, 'updated: X'));
    }

    // Audit log: 200 records, each update exactly once; per file, each write starts from the bytes the previous one left.
    const log = readAuditLog(root);
    expect(log.diagnostics).toEqual([]);
    expect(log.records.length).toBe(200);
    expect(new Set(log.records.map((r) => r.item)).size).toBe(200);
    expect(new Set(log.records.map((r) => r.reason)).size).toBe(200);
    const byFile = new Map<string, AuditRecord[]>();
    for (const r of log.records) byFile.set(r.file!, [...(byFile.get(r.file!) ?? []), r]);
    for (const [rel, records] of byFile) {
      expect(records[0]!.hashBefore).toBe(sha256(files[rel]!));
      for (let i = 1; i < records.length; i++) expect(records[i]!.hashBefore).toBe(records[i - 1]!.hashAfter);
      expect(records[records.length - 1]!.hashAfter).toBe(sha256(fs.readFileSync(path.join(root, rel))));
    }
    // No lock or temp file left behind.
    expect(fs.readdirSync(path.join(root, '.govern/locks'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'workplans')).sort()).toEqual(['wp-1.md', 'wp-2.md', 'wp-3.md', 'wp-4.md']);
  }, 120_000);
});
