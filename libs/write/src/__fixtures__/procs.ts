import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild } from '@govern/testkit';
import { compileProfile, DEFAULT_PROFILE, parseDocument } from '@govern/workplan';
import { afterAll, beforeAll, expect } from 'vitest';
import { readAuditLog, type AuditRecord } from '../audit-log.js';
import { sha256 } from '../set-status.js';

/**
 * Real writer processes for the concurrency, crash and stall tests: the writer
 * (writer.ts beside this file) is bundled with esbuild (bundleChild) so node runs it without a
 * TypeScript loader. Also the concurrent-writers case both concurrency files run.
 */
export interface Procs {
  tmp: string;
  run(job: unknown): Writer;
  newRepo(name: string, files: Record<string, string>): string;
  cleanup(): void;
}

export type Exit = { code: number | null; signal: string | null; stderr: string; stdout: string };
export type Writer = ChildProcess & { done: Promise<Exit> };

export async function writerProcs(prefix: string): Promise<Procs> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const writer = path.join(tmp, 'writer.mjs');
  await bundleChild({ entryPoints: [fileURLToPath(new URL('./writer.ts', import.meta.url))], outfile: writer });
  return {
    tmp,
    run(job) {
      const child = spawn(process.execPath, [writer, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.stdout!.on('data', (d) => (stdout += d));
      const done = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout })));
      return Object.assign(child, { done });
    },
    newRepo(name, files) {
      const root = path.join(tmp, name);
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      }
      return root;
    },
    cleanup() {
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file's top level: bundles the writer in `beforeAll` (as {@link writerProcs})
 * and removes the temporary folder in `afterAll`; the answer may be used from the tests on.
 */
export function useWriterProcs(prefix: string): Procs {
  let procs: Procs;
  beforeAll(async () => {
    procs = await writerProcs(prefix);
  }, 60_000);
  afterAll(() => procs.cleanup());
  return {
    get tmp() {
      return procs.tmp;
    },
    run: (job) => procs.run(job),
    newRepo: (name, files) => procs.newRepo(name, files),
    cleanup: () => procs.cleanup(),
  };
}

/** A workplan WP-<f> with `tasks` planned tasks (WP-<f>-T01…), in YAML blocks. */
export function workplan(f: number, tasks: number): string {
  const out = ['---', `id: WP-${f}`, 'type: workplan', `title: Plan ${f}`, 'status: in_progress', 'updated: 2026-01-01', '---', ''];
  for (let t = 1; t <= tasks; t++) {
    const id = `WP-${f}-T${String(t).padStart(2, '0')}`;
    out.push(`## T${String(t).padStart(2, '0')} - Task ${t}`, '', '```yaml', `id: ${id}`, 'status: planned', 'priority: P2', '```', '');
  }
  return out.join('\n');
}

/**
 * The concurrent-writers case (concurrency.test.ts small, concurrency.soak.ts at size):
 * `writers` processes at once, each with `writes` status updates, spread over the tasks of
 * `files` shared workplans. Every update must land exactly once, in the files and in the
 * audit log, each write starting from the bytes the previous one left, and nothing may be
 * left behind.
 */
export async function expectConcurrentWritersLand(procs: Procs, opts: { repo: string; files: number; writers: number; writes: number }): Promise<void> {
  const { writers, writes } = opts;
  const updates = writers * writes;
  const tasks = updates / opts.files;
  if (!Number.isInteger(tasks)) throw new Error(`${writers} × ${writes} updates do not spread evenly over ${opts.files} files`);
  const P = compileProfile(DEFAULT_PROFILE);
  const numbers = Array.from({ length: opts.files }, (_, i) => i + 1);
  const files = Object.fromEntries(numbers.map((f) => [`workplans/wp-${f}.md`, workplan(f, tasks)]));
  const root = procs.newRepo(opts.repo, files);
  const ids = numbers.flatMap((f) => Array.from({ length: tasks }, (_, t) => `WP-${f}-T${String(t + 1).padStart(2, '0')}`));
  const running = Array.from({ length: writers }, (_, k) =>
    procs.run({
      mode: 'updates',
      root,
      updates: ids.filter((_, i) => i % writers === k).map((id, j) => ({ id, status: 'in_progress', reason: `p${k}-u${j}` })),
    }),
  );
  const results = await Promise.all(running.map((p) => p.done));
  expect(results.map((r) => [r.code, r.stderr])).toEqual(results.map(() => [0, '']));

  // Files: every task moved, nothing else changed but the front matter date.
  for (const [rel, original] of Object.entries(files)) {
    const now = fs.readFileSync(path.join(root, rel), 'utf8');
    const { document, diagnostics } = parseDocument({ file: rel, text: now }, P);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(document!.items.filter((i) => i.kind === 'task').map((i) => i.status)).toEqual(Array(tasks).fill('in_progress'));
    expect(now.replace(/updated: \S+/, 'updated: X')).toBe(original.replaceAll('status: planned', 'status: in_progress').replace(/updated: \S+/, 'updated: X'));
  }

  // Audit log: a record per update, each update exactly once; per file, each write starts from the bytes the previous one left.
  const log = readAuditLog(root);
  expect(log.diagnostics).toEqual([]);
  expect(log.records.length).toBe(updates);
  expect(new Set(log.records.map((r) => r.item)).size).toBe(updates);
  expect(new Set(log.records.map((r) => r.reason)).size).toBe(updates);
  const byFile = new Map<string, AuditRecord[]>();
  for (const r of log.records) byFile.set(r.file!, [...(byFile.get(r.file!) ?? []), r]);
  for (const [rel, records] of byFile) {
    expect(records[0]!.hashBefore).toBe(sha256(files[rel]!));
    for (let i = 1; i < records.length; i++) expect(records[i]!.hashBefore).toBe(records[i - 1]!.hashAfter);
    expect(records[records.length - 1]!.hashAfter).toBe(sha256(fs.readFileSync(path.join(root, rel))));
  }
  // No lock or temp file left behind.
  expect(fs.readdirSync(path.join(root, '.govern/locks'))).toEqual([]);
  expect(fs.readdirSync(path.join(root, 'workplans')).sort()).toEqual(numbers.map((f) => `wp-${f}.md`));
}

/** Waits until `check()` is true, polling every 20 ms; throws after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
