/**
 * Test support for the CLI's tests (not a test file, not part of the bundle):
 * a fresh bundle for tests that spawn the binary, temporary repositories
 * written inline, and the CLI run in process with its output captured.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { CommandContext } from './context.js';
import { runCli } from './program.js';

export const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const BIN = path.join(REPO, 'apps/cli/bin/govern.mjs');
export const BUNDLE = path.join(REPO, 'apps/cli/dist/main.js');
export const WORKER = path.join(REPO, 'apps/cli/dist/parse-worker.js');

/** Newest mtime of the sources the bundle is built from. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of ['apps/cli/src', ...fs.readdirSync(path.join(REPO, 'libs')).map((l) => `libs/${l}/src`)]) {
    if (fs.existsSync(path.join(REPO, d))) walk(path.join(REPO, d));
  }
  return newest;
}

/**
 * Builds the bundle when it is missing or older than the sources, so the binary a
 * test spawns runs the same code as the in-process CLI. For `beforeAll`.
 */
export function ensureFreshBundle(): void {
  const stale = !fs.existsSync(BUNDLE) || !fs.existsSync(WORKER) || fs.statSync(BUNDLE).mtimeMs < newestSource();
  if (!stale) return;
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr}`);
}

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/** A temporary directory holding `files` (relative path → text), removed after the file's tests. */
export function tempRoot(files: Record<string, string> = {}, prefix = 'govern-'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in process with `argv`, capturing stdout and stderr. */
export async function runCaptured(argv: string[], ctx: Partial<Omit<CommandContext, 'stdout' | 'stderr'>> & { isTTY?: boolean } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    cwd: ctx.cwd ?? os.tmpdir(),
    env: ctx.env ?? {},
    ...(ctx.workerUrl ? { workerUrl: ctx.workerUrl } : {}),
    stdout: { write: (s: string | Uint8Array) => ((stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true), isTTY: ctx.isTTY ?? false },
    stderr: { write: (s: string) => ((stderr += s), true) },
  });
  return { code, stdout, stderr };
}

/**
 * A tracker two of whose milestones can be closed: AB-01's check passes, AB-02's
 * exits 4; both declare evidence roots. Shared by the write, close and MCP tests.
 */
export const CLOSABLE_TRACKER = [
  '# Tracker',
  '',
  '| Order | Milestone | Depends On | Status |',
  '|---|---|---|---|',
  '| 1 | AB-01 One | - | In Progress |',
  '| 2 | AB-02 Two | AB-01 | Planned |',
  '',
  '## Checks',
  '',
  '- AB-01: `echo checked`',
  '- AB-02: `exit 4`',
  '',
  '## Evidence Roots',
  '',
  '- AB-01: `ops/runtime/ab-01/`',
  '- AB-02: `ops/runtime/ab-02/`',
  '',
].join('\n');
