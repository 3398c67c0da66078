import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, removeBundle, spawnDaemon, type DaemonProcess } from './testing/process.js';

// memoryd's command line is gated: where the governed root declares a `memory-store`
// gate, it refuses to start (before opening the database) until the gate is enabled,
// unless --ignore-gate, which it logs on stderr.

let bundle: string;
const dirs: string[] = [];
beforeAll(() => {
  bundle = buildDaemon('gate');
}, 120_000);
afterAll(() => {
  removeBundle(bundle);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempRoot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-gate-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const CONFIG = 'gates:\n  memory-store:\n    requires: [GV-04]\n    project: libs/memory-store\n';
const tracker = (status: string) => `| Milestone | Status |\n|---|---|\n| GV-04 Memory store | ${status} |\n`;
const REFUSAL = 'gate memory-store is disabled: GV-04 "Memory store" is planned (at trackers/t.md:3:24). It is enabled when GV-04 is done.';

/** 'exit' can come before the last of stderr: read it once the stream has ended. */
async function stderrAfterExit(p: DaemonProcess): Promise<string> {
  if (!p.proc.stderr.readableEnded) await new Promise((r) => p.proc.stderr.once('end', r));
  return p.stderr();
}

/** Starts, waits for the listening line, stops with SIGTERM; returns stderr and the exit code. */
async function startAndStop(args: string[]): Promise<{ code: number | null; stderr: string; event: Record<string, unknown> }> {
  const d = spawnDaemon(bundle, args);
  try {
    // waitFor's 30 s hang guard, not a 4 s limit: a start took longer at load 11 (CI, GV-22).
    const event = await d.waitFor('listening');
    d.proc.kill('SIGTERM');
    const { code } = await d.exited;
    return { code, stderr: await stderrAfterExit(d), event };
  } finally {
    d.proc.kill('SIGKILL');
  }
}

describe('memoryd serve and the memory-store gate', () => {
  it('refuses to start while the gate is disabled: exit 1, the blocking milestone named, nothing opened', async () => {
    const root = tempRoot({ 'govern.config.yaml': CONFIG, 'trackers/t.md': tracker('Planned') });
    const db = path.join(root, 'memory.duckdb');
    const d = spawnDaemon(bundle, ['--root', root, '--db', db]);
    expect((await d.exited).code).toBe(1);
    expect(await stderrAfterExit(d)).toBe(`memoryd: refusing to start: ${REFUSAL} (root ${root}; --ignore-gate starts it anyway)\n`);
    expect(d.events).toEqual([]);
    expect(fs.existsSync(db)).toBe(false);
    expect(fs.existsSync(`${db}.spool`)).toBe(false);
  });

  it('--ignore-gate starts it anyway and logs the override with the same explanation', async () => {
    const root = tempRoot({ 'govern.config.yaml': CONFIG, 'trackers/t.md': tracker('Planned') });
    const r = await startAndStop(['--root', root, '--db', path.join(root, 'memory.duckdb'), '--ignore-gate']);
    expect(r.code).toBe(0);
    expect(r.event.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.stderr.split('\n')[0]).toBe(`memoryd: warning: gate overridden by --ignore-gate: ${REFUSAL}`);
  });

  it.each([
    ['the gate is enabled', { 'govern.config.yaml': CONFIG, 'trackers/t.md': tracker('Done') }],
    ['the root declares no memory-store gate', { 'govern.config.yaml': 'gates:\n  other:\n    requires: [GV-04]\n', 'trackers/t.md': tracker('Planned') }],
  ])('starts without a word about gates when %s', async (_, files) => {
    const root = tempRoot(files);
    const r = await startAndStop(['--root', root, '--db', path.join(root, 'memory.duckdb')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('gate');
  });

  it('a govern.config.yaml that cannot be evaluated fails closed; --root must be a directory (usage, exit 2)', async () => {
    const root = tempRoot({ 'govern.config.yaml': 'gates:\n  memory-store:\n    requires: GV-04\n' });
    const broken = spawnDaemon(bundle, ['--root', root, '--db', path.join(root, 'memory.duckdb')]);
    expect((await broken.exited).code).toBe(1);
    expect(await stderrAfterExit(broken)).toMatch(/^memoryd: refusing to start: cannot evaluate gate memory-store: govern.config.yaml is invalid \(govern.config.yaml:3:15: /);
    const missing = spawnDaemon(bundle, ['--root', path.join(root, 'nope')]);
    expect((await missing.exited).code).toBe(2);
    expect(await stderrAfterExit(missing)).toMatch(/^memoryd: --root .*nope: not a directory\n/);
  });
});
