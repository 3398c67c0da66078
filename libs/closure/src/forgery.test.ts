import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkspace } from '@govern/workspace';
import { setStatus, sha256 } from '@govern/write';
import { afterEach, describe, expect, test } from 'vitest';
import { auditWorkspace } from './audit.js';
import { readSnapshot } from './snapshot.js';
import { closeItem, verifyItem } from './close.js';

// Issue 12: a closure that govern close did not produce, or whose proof no longer holds,
// is named by the audit — each forgery a skeptical maintainer tried, in a real git repository.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const git = (root: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' }).trim();

const TRACKER = (s1: string, s2: string) => `# T

| Order | Milestone | Depends On | Status |
|---:|---|---|---|
| 1 | AB-01 One | - | ${s1} |
| 2 | AB-02 Two | - | ${s2} |

## Checks

- AB-01: \`echo nx run x:test\`
- AB-02: \`true\`

## Evidence Roots

- AB-01: \`ops/runtime/ab-01/\`
- AB-02: \`ops/runtime/ab-02/\`
`;

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

/** A repository with AB-01 closed by govern close and committed. */
async function closedRepo(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-forgery-'));
  dirs.push(root);
  write(root, 'trackers/t.md', TRACKER('In Progress', 'Planned'));
  write(root, 'libs/x/package.json', JSON.stringify({ name: 'x' }));
  write(root, 'libs/x/src/a.ts', 'export const a = 1;\n');
  write(root, 'libs/y/package.json', JSON.stringify({ name: 'y' }));
  write(root, '.gitignore', '.govern/\n');
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'start');
  const r = await closeItem({ root, id: 'AB-01', actor: 'closer', via: 'test', cacheDir: null });
  expect(r.failures).toEqual([]);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'close AB-01');
  return root;
}

async function audit(root: string, fresh = false) {
  const ws = await loadWorkspace({ root, cacheDir: null });
  const r = auditWorkspace(ws, { fresh });
  // Read from a snapshot (what `govern audit` reads under the closure lock), the audit says the same.
  expect(auditWorkspace(ws, { fresh }, readSnapshot(ws))).toEqual(r);
  return r.diagnostics.map((d) => [d.severity, d.code, d.message]);
}

/** AB-02 marked Done by hand with a manifest written by hand. */
function forge(root: string, over: Record<string, unknown>): void {
  write(root, 'trackers/t.md', fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8').replace('| AB-02 Two | - | Planned |', '| AB-02 Two | - | Done |'));
  write(root, 'ops/runtime/ab-02/log.txt', '');
  write(
    root,
    'ops/runtime/ab-02/manifest.json',
    JSON.stringify({
      schemaVersion: 1,
      item: 'AB-02',
      createdAt: '2026-12-01T00:00:00Z',
      gitCommit: '0'.repeat(40),
      toolVersion: '0.1.0',
      checks: [{ name: 'true', command: 'true', exitCode: 0, durationMs: 1, startedAt: '2026-12-01T00:00:00Z', outputSha256: sha256(''), outputFile: 'log.txt' }],
      passed: true,
      ...over,
    }),
  );
}

describe('govern audit against forged closures', { timeout: 30_000 }, () => {
  test('a real closure passes: commit in history, bound by its close record, status set by it', async () => {
    const root = await closedRepo();
    expect(await audit(root)).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'ops/runtime/ab-01/manifest.json'), 'utf8'));
    expect([manifest.treeClean, manifest.inputs, manifest.node, typeof manifest.lockfileSha256]).toEqual([true, { projects: ['x'] }, process.version, 'object']);
  });

  test('a hand-written manifest with a commit of zeros and no close record', async () => {
    const root = await closedRepo();
    forge(root, {});
    expect(await audit(root)).toEqual([
      ['error', 'hand-edit-done', 'AB-02 was set Done in the working tree (not committed) by a hand edit, not by `govern close`: no close record in ops/audit/govern-audit.jsonl matches it'],
      ['error', 'evidence-commit-unknown', 'AB-02: ops/runtime/ab-02/manifest.json names commit 000000000000, which is not in this repository'],
      ['error', 'evidence-unbound', 'AB-02: no `close` record in ops/audit/govern-audit.jsonl binds ops/runtime/ab-02/manifest.json: it was not written by `govern close`'],
    ]);
  });

  test('a manifest naming a real commit that is not in HEAD\'s history', async () => {
    const root = await closedRepo();
    const tree = git(root, 'write-tree');
    const stray = git(root, 'commit-tree', tree, '-m', 'stray');
    forge(root, { gitCommit: stray });
    expect((await audit(root)).map((d) => d[1])).toEqual(['hand-edit-done', 'evidence-commit-not-ancestor', 'evidence-unbound']);
  });

  test('a status set back to done by hand after a recorded reopen', async () => {
    const root = await closedRepo();
    await setStatus({ root, id: 'AB-01', status: 'in_progress', actor: 't', via: 'test', cacheDir: null, reason: 'reopened' });
    const file = path.join(root, 'trackers/t.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('| AB-01 One | - | In Progress |', '| AB-01 One | - | Done |'));
    expect(await audit(root)).toEqual([
      ['error', 'status-not-from-close', expect.stringMatching(/^AB-01 is done in its document, but its last recorded status write set it to in_progress \(.*\): it was set back to done by hand$/)],
    ]);
  });

  test('a manifest edited after its close, and an edited audit log', async () => {
    const root = await closedRepo();
    const m = path.join(root, 'ops/runtime/ab-01/manifest.json');
    const original = fs.readFileSync(m, 'utf8');
    fs.writeFileSync(m, original.replace('"toolVersion": "0.0.0"', '"toolVersion": "9.9.9"'));
    expect((await audit(root)).map((d) => d[1])).toEqual(['evidence-manifest-changed']);
    fs.writeFileSync(m, original);
    const log = path.join(root, 'ops/audit/govern-audit.jsonl');
    fs.writeFileSync(log, `{"v":1,"id":"x","at":"2026-01-01T00:00:00Z","action":"set-status","actor":"forger","via":"cli","item":"AB-02","file":null,"from":null,"to":null,"hashBefore":null,"hashAfter":null,"reason":null,"forced":[],"evidence":null}\n${fs.readFileSync(log, 'utf8')}`);
    expect((await audit(root)).slice(0, 1)).toEqual([['error', 'audit-chain-broken', 'audit log line 2 does not follow the line before it (its prev hash differs): records were edited, removed or reordered']]);
  });

  test('evidence goes stale when its inputs change: a warning, an error with --fresh; other projects do not count', async () => {
    const root = await closedRepo();
    write(root, 'libs/y/src/b.ts', 'export const b = 2;\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'unrelated project');
    expect(await audit(root, true)).toEqual([]);
    write(root, 'libs/x/src/a.ts', 'export const a = 2;\n');
    expect(await audit(root)).toEqual([['warning', 'evidence-stale', expect.stringMatching(/^AB-01: its evidence \(commit [0-9a-f]{12}\) is stale: libs\/x\/src\/a\.ts changed since$/)]]);
    expect((await audit(root, true)).map((d) => d[0])).toEqual(['error']);
  });

  test('a closure with uncommitted code is refused unless --allow-dirty, which the manifest records', async () => {
    const root = await closedRepo();
    write(root, 'libs/x/src/a.ts', 'export const a = 3;\n');
    const refused = await closeItem({ root, id: 'AB-02', actor: 'c', via: 'test', cacheDir: null });
    expect(refused.failures.map((f) => [f.code, f.message])).toEqual([
      ['tree-dirty', expect.stringContaining('uncommitted changes outside the documents and evidence: libs/x/src/a.ts;')],
    ]);
    expect(refused.checks).toEqual([]);
    const allowed = await closeItem({ root, id: 'AB-02', actor: 'c', via: 'test', cacheDir: null, allowDirty: true });
    expect(allowed.failures).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, allowed.manifest!), 'utf8'));
    expect([manifest.treeClean, manifest.dirtyPaths]).toEqual([false, ['libs/x/src/a.ts']]);
  });
});

test('re-closing an item that is already done binds the renewed manifest with a new close record', async () => {
  const root = await closedRepo();
  const again = await closeItem({ root, id: 'AB-01', actor: 'closer', via: 'test', cacheDir: null });
  expect([again.passed, again.status?.changed, again.status?.audit?.action]).toEqual([true, false, 'close']);
  expect(await audit(root)).toEqual([]);
}, 30_000);

describe('govern verify', { timeout: 30_000 }, () => {
  test('re-runs the recorded checks now and compares exit codes, writing nothing', async () => {
    const root = await closedRepo();
    const before = git(root, 'status', '--porcelain');
    const ok = await verifyItem({ root, id: 'AB-01', cacheDir: null });
    expect({ ...ok, checks: ok.checks.map((c) => ({ ...c, durationMs: 0 })) }).toEqual({
      item: 'AB-01',
      manifest: 'ops/runtime/ab-01/manifest.json',
      recordedCommit: ok.recordedCommit,
      head: git(root, 'rev-parse', 'HEAD'),
      checks: [{ command: 'echo nx run x:test', recordedExitCode: 0, exitCode: 0, durationMs: 0, same: true }],
      passed: true,
      problems: [],
    });
    const m = path.join(root, 'ops/runtime/ab-01/manifest.json');
    fs.writeFileSync(m, fs.readFileSync(m, 'utf8').replaceAll('echo nx run x:test', 'exit 3'));
    const bad = await verifyItem({ root, id: 'AB-01', cacheDir: null });
    expect([bad.passed, bad.problems]).toEqual([false, ['`exit 3` exited 3 now; the manifest recorded 0']]);
    expect(git(root, 'status', '--porcelain')).toBe(`${before}${before ? '\n' : ''} M ops/runtime/ab-01/manifest.json`.trim());
  });
});
