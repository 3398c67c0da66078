/**
 * Test support for the CLI's tests (not a test file, not part of the bundle), also
 * exported as `@govern/cli/testing` for apps/cli-e2e: temporary repositories written
 * inline, the CLI run in process with its output captured, and the fixture documents
 * the in-process and the end-to-end tests share. What only the end-to-end tests need
 * (the bundled binary and its freshness guard) is in apps/cli-e2e/src/support.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import type { CommandContext } from './context.js';
import { runCli } from './program.js';

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
export async function runCaptured(argv: string[], ctx: Partial<Omit<CommandContext, 'stdout' | 'stderr'>> & { isTTY?: boolean; stderrIsTTY?: boolean } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    cwd: ctx.cwd ?? os.tmpdir(),
    env: ctx.env ?? {},
    ...(ctx.workerUrl ? { workerUrl: ctx.workerUrl } : {}),
    // graph --json writes UTF-8 bytes (Workspace.graphJson), everything else strings.
    stdout: { write: (s: string | Uint8Array) => ((stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true), isTTY: ctx.isTTY ?? false },
    stderr: { write: (s: string) => ((stderr += s), true), isTTY: ctx.stderrIsTTY ?? false },
  });
  return { code, stdout, stderr };
}

/** A run of the CLI in process (see {@link cli}). */
export interface Run {
  code: number;
  out: string;
  err: string;
}

/** {@link runCaptured} with the answer as `{ code, out, err }`. */
export async function cli(argv: string[], opts: { cwd?: string; env?: Record<string, string>; isTTY?: boolean; stderrIsTTY?: boolean } = {}): Promise<Run> {
  const r = await runCaptured(argv, opts);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** Exactly one JSON value on one line, followed by a newline. */
export function oneJson(out: string): unknown {
  expect(out.endsWith('\n')).toBe(true);
  expect(out.slice(0, -1)).not.toContain('\n');
  return JSON.parse(out);
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

// ---------------------------------------------------------------------------
// The repositories of the graph, validate and query tests (cli.test.ts here and in
// apps/cli-e2e): a tracker, a workplan and a plan that parse clean (OK_FILES), and the
// same with a dangling dependency (ERROR_FILES).
// ---------------------------------------------------------------------------

export const TRACKER = `# Memory tracker

| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-01 OTel baseline | P0 | - | Done (#27) |
| LM-02 memoryd store | P1 | LM-01 | In Progress |
| LM-03 Memory API | P0 | LM-01 | Planned |
`;

export const WORKPLAN = `---
id: WP-01
type: workplan
title: Hardening
status: in progress
---

# WP-01: Hardening

## T01 - Service runner parity

id: WP-01-T01
status: done
priority: high

## T02 - Store migration

id: WP-01-T02
status: finished
priority: medium
depends_on: WP-01-T01

## T03 - Evaluation fixtures

id: WP-01-T03
status: todo
priority: high
depends_on: LM-03
`;

export const PLAN = `# Kickoff

### K0: Contract Baseline

Status: Done

### K1: Binder

Status: Someday
Depends on: K0
`;

export const OK_FILES = { 'trackers/memory.md': TRACKER, 'workplans/wp-01.md': WORKPLAN, 'workplans/kickoff.md': PLAN };
export const BROKEN = `| Milestone | Depends On | Status |
|---|---|---|
| LM-09 Dangling | LM-404 | Planned |
`;
export const ERROR_FILES = { ...OK_FILES, 'trackers/broken.md': BROKEN };
