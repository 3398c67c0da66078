/**
 * Support for the end-to-end tests (not a test file): the paths of the built `govern`
 * binary, a freshness guard for it, temporary repositories written inline, and the CLI
 * run in process (through @govern/cli's public entry) for the tests that compare the
 * binary's bytes with the in-process CLI's.
 *
 * The bundle is @govern/cli:build's output (apps/cli/dist), which this project's `test`
 * target depends on, so under Nx it is built (or restored from the cache) first.
 * `ensureFreshBundle` keeps a direct `vitest run` in this folder honest too: it rebuilds
 * when a source is newer than the bundle.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { runCli, type CommandContext } from '@govern/cli';

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
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.soak.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of ['apps/cli/src', ...fs.readdirSync(path.join(REPO, 'libs')).map((l) => `libs/${l}/src`)]) {
    if (fs.existsSync(path.join(REPO, d))) walk(path.join(REPO, d));
  }
  return newest;
}

/**
 * Builds the bundle when it is missing or older than the sources, so the binary a
 * test spawns runs the code in the working tree. For `beforeAll`.
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

/** Start of the spans of {@link memoryOtlpJson}, in ms (2026-02-13T16:26:40Z). */
export const MEMORY_BASE_MS = 1_771_000_000_000;
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/**
 * OTLP/JSON of `n` govern spans one second apart from {@link MEMORY_BASE_MS}
 * (trace and span ids 1…n): every 2nd failed (check-failed), every 3rd denied by
 * a gate (a guard.denied event), items LM-01…LM-03 in turn. Shared by the memory
 * CLI and MCP tests.
 */
export function memoryOtlpJson(n: number): string {
  const BASE = MEMORY_BASE_MS;
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId: hex(i + 1, 32),
    spanId: hex(i + 1, 16),
    name: 'govern.close',
    startTimeUnixNano: String(BigInt(BASE + i * 1000) * 1_000_000n),
    endTimeUnixNano: String(BigInt(BASE + i * 1000 + 5) * 1_000_000n),
    attributes: [
      { key: 'govern.stage', value: { stringValue: 'close' } },
      { key: 'govern.item.id', value: { stringValue: `LM-0${(i % 3) + 1}` } },
      ...(i % 2 === 0 ? [{ key: 'failure_reason_code', value: { stringValue: 'check-failed' } }] : []),
    ],
    events: i % 3 === 0 ? [{ name: 'guard.denied', timeUnixNano: String(BigInt(BASE + i * 1000 + 1) * 1_000_000n), attributes: [{ key: 'policy_reason_code', value: { stringValue: 'gate-disabled' } }] }] : [],
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'govern' } }] }, scopeSpans: [{ scope: { name: 'govern' }, spans }] }] });
}
