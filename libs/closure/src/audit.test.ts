import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadWorkspace } from '@govern/workspace';
import { appendAudit } from '@govern/write';
import { auditWorkspace } from './audit.js';
import { liveFiles, readSnapshot } from './snapshot.js';
import { evidenceRootIgnored, ignoredEvidenceRoots, resolveEvidenceRoot } from './evidence-path.js';
import { gitShim, REAL_GIT } from './test-support.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-audit-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}
const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

function manifest(item: string, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1,
    item,
    createdAt: '2026-11-21T00:00:00Z',
    gitCommit: null,
    toolVersion: '0.1.0',
    checks: [{ name: 'test', command: 'npm test', exitCode: 0, durationMs: 12, startedAt: '2026-11-21T00:00:00Z', outputSha256: sha('ok\n'), outputFile: 'test.log' }],
    passed: true,
    ...over,
  });
}

const TRACKER = (status2: string, extra = '') => `# T

| Order | Milestone | Scope | Priority | Depends On | Status |
|---:|---|---|---|---|---|
| 1 | AB-01 One | s | P0 | - | Done (#1) |
| 2 | AB-02 Two | s | P0 | AB-01 | ${status2} |
| 3 | AB-03 Three | s | P1 | AB-02 | Planned |

AB-01..AB-02 completed on 2026-02-15; AB-03 is planned.

Evidence roots:

- \`ops/runtime/ab-01/\`
- \`ops/runtime/ab-02/\`
${extra}`;

/** A `close` record for every manifest under ops/runtime/, as `govern close` writes it (the tests above are about the evidence itself). */
async function bindManifests(): Promise<void> {
  const dir = path.join(root, 'ops/runtime');
  if (!fs.existsSync(dir)) return;
  for (const d of fs.readdirSync(dir)) {
    const rel = `ops/runtime/${d}/manifest.json`;
    let m: { item?: string };
    try {
      m = JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'));
    } catch {
      continue;
    }
    const item = m.item!;
    await appendAudit(root, { action: 'close', actor: 't', via: 'test', item, file: null, from: null, to: { status: 'done', text: 'Done' }, hashBefore: null, hashAfter: null, reason: null, forced: [], evidence: rel, evidenceSha256: sha(fs.readFileSync(path.join(root, rel), 'utf8')) });
  }
}

async function audit(opts: { bind?: boolean; fresh?: boolean } = {}) {
  if (opts.bind !== false) await bindManifests();
  const ws = await loadWorkspace({ root, cacheDir: null });
  const live = auditWorkspace(ws, { fresh: opts.fresh === true });
  // Read from a snapshot (what `govern audit` reads under the closure lock), the audit says the same.
  expect(auditWorkspace(ws, { fresh: opts.fresh === true }, readSnapshot(ws))).toEqual(live);
  return live;
}
const codes = (r: { diagnostics: { code: string }[] }) => r.diagnostics.map((d) => d.code);

describe('govern audit', () => {
  it('passes when every done item has a passing manifest whose recorded outputs match', async () => {
    write('trackers/t.md', TRACKER('Done'));
    for (const id of ['AB-01', 'AB-02']) {
      write(`ops/runtime/${id.toLowerCase()}/manifest.json`, manifest(id));
      write(`ops/runtime/${id.toLowerCase()}/test.log`, 'ok\n');
    }
    expect(await audit()).toEqual({ diagnostics: [], checked: { doneItems: 2, evidenceRoots: 2, claims: 2 } });
  });

  it('a cited evidence root of an item that is not done yet is where close will write: not reported', async () => {
    write('trackers/t.md', TRACKER('In Progress').replace('AB-01..AB-02 completed', 'AB-01 completed'));
    write('ops/runtime/ab-01/manifest.json', manifest('AB-01'));
    write('ops/runtime/ab-01/test.log', 'ok\n');
    expect(await audit()).toEqual({ diagnostics: [], checked: { doneItems: 1, evidenceRoots: 2, claims: 2 } });
  });

  it('reports a cited evidence root that does not exist once, at the list entry', async () => {
    write('trackers/t.md', TRACKER('Done'));
    write('ops/runtime/ab-01/manifest.json', manifest('AB-01'));
    write('ops/runtime/ab-01/test.log', 'ok\n');
    const r = await audit();
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'evidence-root-missing',
        message: 'the tracker cites evidence root ops/runtime/ab-02/, which does not exist',
        file: 'trackers/t.md',
        line: 14,
        column: 3,
      },
    ]);
  });

  it('reports a summary that contradicts the table, naming the item and its status', async () => {
    write('trackers/t.md', TRACKER('Partial'));
    write('ops/runtime/ab-01/manifest.json', manifest('AB-01'));
    write('ops/runtime/ab-01/test.log', 'ok\n');
    fs.mkdirSync(path.join(root, 'ops/runtime/ab-02'), { recursive: true });
    const r = await audit();
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'summary-contradiction',
        message: '"AB-01..AB-02 completed on 2026-02-15" says done, but AB-02 is partial',
        file: 'trackers/t.md',
        line: 9,
        column: 1,
        related: [{ file: 'trackers/t.md', line: 6, column: 7, message: 'AB-02: Partial' }],
      },
    ]);
  });

  it('names a manifest whose criteria claim a check that did not pass, one that does not say how, and acceptance changed after the closure', async () => {
    write('trackers/t.md', TRACKER('Done'));
    write('workplans/wp.md', '---\nid: WP-9\ntype: workplan\ntitle: W\nstatus: in_progress\n---\n\n## T01 - One\n\nid: WP-9-T01\nstatus: done\nevidence_root: ops/runtime/wp-9-t01/\n\nAcceptance:\n\n- AB-01 ships\n- AB-01 is documented\n');
    const checks = [{ name: 'test', command: 'npm test', exitCode: 0, durationMs: 12, startedAt: '2026-11-21T00:00:00Z', outputSha256: sha('ok\n'), outputFile: 'test.log' }];
    write('ops/runtime/ab-01/manifest.json', manifest('AB-01'));
    write(
      'ops/runtime/wp-9-t01/manifest.json',
      manifest('WP-9-T01', { checks, criteria: [{ text: 'AB-01 ships', checked: null, verification: { kind: 'check', checks: [2] } }, { text: 'AB-01 was reviewed', checked: null }] }),
    );
    write('ops/runtime/ab-02/manifest.json', manifest('AB-02'));
    for (const d of ['ab-01', 'ab-02', 'wp-9-t01']) write(`ops/runtime/${d}/test.log`, 'ok\n');
    const r = await audit();
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.message])).toEqual([
      ['error', 'evidence-criteria-unverified', 'WP-9-T01: ops/runtime/wp-9-t01/manifest.json says "AB-01 ships" was verified by check 2, which is not a passing check of that manifest'],
      ['warning', 'criteria-changed', 'WP-9-T01: its acceptance changed after it was closed; added: "AB-01 is documented"; removed: "AB-01 was reviewed"'],
      ['warning', 'evidence-criteria-unrecorded', 'WP-9-T01: ops/runtime/wp-9-t01/manifest.json does not say how "AB-01 was reviewed" was verified (written before criteria were tied to checks)'],
    ]);
  });

  it('reports each way evidence of a done item can fail', async () => {
    write(
      'workplans/wp.md',
      `---
id: WP-1
type: workplan
title: W
status: in_progress
---

## T01 - No root

id: WP-1-T01
status: done

## T02 - Root missing

id: WP-1-T02
status: done
evidence_root: ops/runtime/t02/

## T03 - No manifest

id: WP-1-T03
status: done
evidence_root: ops/runtime/t03/

## T04 - Invalid manifest

id: WP-1-T04
status: done
evidence_root: ops/runtime/t04/

## T05 - Someone else's manifest

id: WP-1-T05
status: done
evidence_root: ops/runtime/t05/

## T06 - Failed check

id: WP-1-T06
status: done
evidence_root: ops/runtime/t06/

## T07 - Output changed since

id: WP-1-T07
status: done
evidence_root: ops/runtime/t07/

## T08 - Outside the repository

id: WP-1-T08
status: done
evidence_root: ../elsewhere/

## T09 - Not done, no evidence needed

id: WP-1-T09
status: planned
evidence_root: ops/runtime/t09/
`,
    );
    fs.mkdirSync(path.join(root, 'ops/runtime/t03'), { recursive: true });
    write('ops/runtime/t04/manifest.json', '{"schemaVersion": 1,');
    write('ops/runtime/t05/manifest.json', manifest('WP-1-T99'));
    write('ops/runtime/t06/manifest.json', manifest('WP-1-T06', { passed: false, checks: [{ name: 'lint', command: 'npm run lint', exitCode: 2, durationMs: 1, startedAt: 'x', outputSha256: sha('') }] }));
    write('ops/runtime/t07/manifest.json', manifest('WP-1-T07'));
    write('ops/runtime/t07/test.log', 'edited after closure\n');
    const r = await audit();
    expect(r.diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([
      ['evidence-missing', 11, 'WP-1-T01 is done but declares no evidence root'],
      ['evidence-root-missing', 16, 'WP-1-T02 is done but its evidence root ops/runtime/t02/ does not exist'],
      ['evidence-manifest-missing', 22, 'WP-1-T03: ops/runtime/t03/manifest.json does not exist'],
      ['evidence-manifest-invalid', 28, expect.stringMatching(/^WP-1-T04: ops\/runtime\/t04\/manifest.json is not valid JSON/)],
      ['evidence-manifest-mismatch', 34, 'WP-1-T05: ops/runtime/t05/manifest.json is the evidence of WP-1-T99'],
      ['evidence-check-failed', 40, 'WP-1-T06: ops/runtime/t06/manifest.json: lint exited 2'],
      ['evidence-output-changed', 46, 'WP-1-T07: ops/runtime/t07/test.log no longer matches the hash its manifest recorded'],
      ['evidence-root-outside', 52, 'WP-1-T08: ../elsewhere/ leaves the repository'],
    ]);
    expect(r.checked).toEqual({ doneItems: 8, evidenceRoots: 0, claims: 0 });
  });

  it('says why a manifest is not one: the JSON error, the first schema issue (at its path, or the root), or the error reading it', async () => {
    const task = (n: number) => `## T0${n} - Task\n\nid: WP-1-T0${n}\nstatus: done\nevidence_root: ops/runtime/t0${n}/\n`;
    write('workplans/wp.md', `---\nid: WP-1\ntype: workplan\ntitle: One\nstatus: in_progress\n---\n\n${[1, 2, 3, 4].map(task).join('\n')}`);
    write('ops/runtime/t01/manifest.json', '{"schemaVersion": 1,');
    write('ops/runtime/t02/manifest.json', manifest('WP-1-T02', { checks: [{ name: 'test' }] }));
    write('ops/runtime/t03/manifest.json', '[]');
    fs.mkdirSync(path.join(root, 'ops/runtime/t04/manifest.json'), { recursive: true });
    const notJson = (() => {
      try {
        return JSON.parse('{"schemaVersion": 1,') as never;
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect((await audit({ bind: false })).diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['evidence-manifest-invalid', `WP-1-T01: ops/runtime/t01/manifest.json is not valid JSON: ${notJson}`],
      ['evidence-manifest-invalid', 'WP-1-T02: ops/runtime/t02/manifest.json: checks.0.command: Invalid input: expected string, received undefined'],
      ['evidence-manifest-invalid', 'WP-1-T03: ops/runtime/t03/manifest.json: (root): Invalid input: expected object, received array'],
      ['evidence-manifest-invalid', 'WP-1-T04: ops/runtime/t04/manifest.json is not valid JSON: EISDIR: illegal operation on a directory, read'],
    ]);
  });

  it('from a snapshot, parses no manifest again: the audit uses the parse the snapshot made under the lock', async () => {
    write('trackers/t.md', TRACKER('Done (#2)'));
    write('ops/runtime/ab-01/manifest.json', manifest('AB-01'));
    write('ops/runtime/ab-01/test.log', 'ok\n');
    write('ops/runtime/ab-02/manifest.json', manifest('AB-02'));
    write('ops/runtime/ab-02/test.log', 'ok\n');
    await bindManifests();
    const ws = await loadWorkspace({ root, cacheDir: null });
    const snapshot = readSnapshot(ws);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(auditWorkspace(ws, {}, snapshot)).toEqual({ diagnostics: [], checked: { doneItems: 2, evidenceRoots: 2, claims: 2 } });
      expect(parse.mock.calls.filter(([text]) => String(text).includes('"schemaVersion"'))).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });

  it('a snapshot scoped to some items reads only their evidence: the rest is read from disk when asked for', async () => {
    write('trackers/t.md', TRACKER('Done (#2)'));
    for (const id of ['ab-01', 'ab-02']) {
      write(`ops/runtime/${id}/manifest.json`, manifest(id.toUpperCase()));
      write(`ops/runtime/${id}/test.log`, 'ok\n');
    }
    const ws = await loadWorkspace({ root, cacheDir: null });
    const snapshot = readSnapshot(ws, { items: new Set(['AB-01']) });
    // Both change after the snapshot: the one it read keeps what it read, the other is read now.
    for (const id of ['ab-01', 'ab-02']) {
      write(`ops/runtime/${id}/manifest.json`, manifest('AB-09'));
      write(`ops/runtime/${id}/test.log`, 'changed\n');
    }
    const seen = (id: string) => {
      const abs = path.join(root, `ops/runtime/${id}`);
      const m = snapshot.files.manifest(path.join(abs, 'manifest.json'));
      return [m && 'manifest' in m.parsed ? m.parsed.manifest.item : null, snapshot.files.hash(abs, 'test.log')];
    };
    expect([seen('ab-01'), seen('ab-02')]).toEqual([
      ['AB-01', sha('ok\n')],
      ['AB-09', sha('changed\n')],
    ]);
    expect(liveFiles.manifest(path.join(root, 'ops/runtime/ab-01/manifest.json'))?.bytes.toString()).toBe(manifest('AB-09'));
  });

  it('keeps the workspace diagnostics, so a broken document also fails the audit', async () => {
    write('trackers/t.md', '| Order | Milestone | Depends On | Status |\n|---|---|---|---|\n| 1 | AB-01 x | AB-09 | Planned |\n');
    expect(codes(await audit())).toEqual(['unknown-dependency']);
  });
});

describe('resolveEvidenceRoot', () => {
  it('refuses absolute paths, climbing out, the root itself, .git/ and any existing part that is a symlink leading out', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-outside-'));
    try {
      fs.mkdirSync(path.join(root, 'ops'), { recursive: true });
      fs.mkdirSync(path.join(root, '.git'), { recursive: true });
      fs.symlinkSync(outside, path.join(root, 'ops/link'));
      fs.symlinkSync(root, path.join(root, 'ops/self'));
      fs.symlinkSync(path.join(root, '.git'), path.join(root, 'ops/git'));
      const r = (p: string) => resolveEvidenceRoot(root, p);
      expect(r('/etc/')).toEqual({ ok: false, rel: '/etc/', reason: 'an evidence root must be a relative path inside the repository' });
      expect(r('ops/../../x')).toMatchObject({ ok: false, reason: 'ops/../../x leaves the repository' });
      expect(r('ops/link/')).toMatchObject({ ok: false, reason: 'ops/link/ passes through a symlink that leads out of the repository (ops/link)' });
      // The evidence root does not exist yet, but a parent of it leads out: refused all the same.
      expect(r('ops/link/lm-01/')).toMatchObject({ ok: false, reason: 'ops/link/lm-01/ passes through a symlink that leads out of the repository (ops/link)' });
      expect(r('.')).toMatchObject({ ok: false, reason: '. is the repository root itself; evidence needs a folder of its own (e.g. ops/runtime/<item>/)' });
      expect(r('ops/..')).toMatchObject({ ok: false, rel: '.' });
      expect(r('ops/self/')).toMatchObject({ ok: false, reason: 'ops/self/ is a symlink to the repository root' });
      expect(r('.git/evidence/')).toMatchObject({ ok: false, reason: '.git/evidence/ is inside .git/, which is never committed' });
      expect(r('ops/git/x/')).toMatchObject({ ok: false, reason: 'ops/git/x/ leads into .git/, which is never committed' });
      expect(r('ops/')).toEqual({ ok: true, rel: 'ops', abs: path.join(root, 'ops'), exists: true });
      expect(r('ops/none/')).toEqual({ ok: true, rel: 'ops/none', abs: path.join(root, 'ops/none'), exists: false });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('evidenceRootIgnored asks git: ignored folders are true, others false, outside a git tree null', () => {
    expect(evidenceRootIgnored(root, 'ops/runtime/x')).toBe(null);
    execFileSync('git', ['init', '-q'], { cwd: root });
    fs.writeFileSync(path.join(root, '.gitignore'), 'build/\n*.log\nops/runtime/ignored-*\n');
    expect(['build/x', 'ops/runtime/ignored-1', 'ops/runtime/lm-01'].map((p) => evidenceRootIgnored(root, p))).toEqual([true, true, false]);
  });
});

describe('whether git ignores evidence roots, asked once per audit', () => {
  // A `git` first on PATH that logs each command line (test-support.ts). The closure
  // library spawns git with the PATH of the moment, so the shim is on PATH only while `fn` runs.
  function gitRuns(fn: () => void): string[] {
    const shim = gitShim();
    try {
      fn();
      return shim.read();
    } finally {
      shim.restore();
    }
  }
  const sh = (...args: string[]) => execFileSync(REAL_GIT, args, { cwd: root, encoding: 'utf8' });
  /** A tracker of done items AB-01..AB-<n>, each citing `roots[i]` in its Evidence cell, every root holding a manifest. */
  function doneItems(roots: string[]): void {
    const rows = roots.map((r, i) => `| ${i + 1} | AB-0${i + 1} Item | - | Done | \`${r}\` |`);
    write('trackers/t.md', `# T\n\n| Order | Milestone | Depends On | Status | Evidence |\n|---:|---|---|---|---|\n${rows.join('\n')}\n`);
    roots.forEach((r, i) => {
      write(`${r}manifest.json`, manifest(`AB-0${i + 1}`));
      write(`${r}test.log`, 'ok\n');
    });
  }
  const ignoredAt = (r: { diagnostics: { code: string; message: string }[] }) =>
    r.diagnostics.filter((d) => d.code === 'evidence-root-ignored').map((d) => d.message);

  it('an audit of N done items runs git check-ignore once, and reports the ignored folders and manifests', async () => {
    doneItems(['ops/runtime/ab-01/', 'ops/runtime/ab-02/', 'build/ab-03/', 'ops/runtime/ab-04/', 'ops/runtime/ab 05/']);
    write('.gitignore', 'build/\nops/runtime/ab-04/manifest.json\n');
    sh('init', '-q');
    await bindManifests();
    const ws = await loadWorkspace({ root, cacheDir: null });
    let r!: ReturnType<typeof auditWorkspace>;
    const runs = gitRuns(() => (r = auditWorkspace(ws, { history: false })));
    expect(r.checked.doneItems).toBe(5);
    expect(runs.filter((l) => l.startsWith('check-ignore'))).toEqual(['check-ignore --stdin -z']);
    expect(ignoredAt(r)).toEqual([
      'AB-03: build/ab-03/ is ignored by git, so its evidence is never committed',
      'AB-04: ops/runtime/ab-04/ is ignored by git, so its evidence is never committed',
    ]);
  });

  it('a root git refuses (reached through a symlink) fails the one run: each root is then asked alone, as before', async () => {
    doneItems(['ops/runtime/ab-01/', 'build/ab-02/']);
    fs.symlinkSync('runtime', path.join(root, 'ops/linked'));
    write('trackers/t.md', fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8') + '| 3 | AB-03 Item | - | Done | `ops/linked/ab-01/` |\n');
    write('.gitignore', 'build/\n');
    sh('init', '-q');
    const ws = await loadWorkspace({ root, cacheDir: null });
    let r!: ReturnType<typeof auditWorkspace>;
    const runs = gitRuns(() => (r = auditWorkspace(ws, { history: false })));
    expect(runs.filter((l) => l.startsWith('check-ignore')).length).toBe(4);
    expect(ignoredAt(r)).toEqual(['AB-02: build/ab-02/ is ignored by git, so its evidence is never committed']);
  });

  it('ignoredEvidenceRoots: the roots whose folder or manifest git ignores; outside a git tree null', () => {
    const rels = ['build/x', 'ops/runtime/ignored-1', 'ops/runtime/lm-01', 'ops/runtime/manifest only', 'ops/with space', 'ops/runtime/lm-01'];
    expect(ignoredEvidenceRoots(root, rels)).toBe(null);
    sh('init', '-q');
    expect(ignoredEvidenceRoots(root, rels)).toEqual(new Set());
    write('.gitignore', 'build/\nops/runtime/ignored-*\nops/runtime/manifest only/manifest.json\nops/with space/\n');
    expect(ignoredEvidenceRoots(root, rels)).toEqual(new Set(['build/x', 'ops/runtime/ignored-1', 'ops/runtime/manifest only', 'ops/with space']));
    // The same answers, root by root.
    expect(rels.map((p) => evidenceRootIgnored(root, p))).toEqual([true, true, false, true, true, false]);
    expect(ignoredEvidenceRoots(root, [])).toEqual(new Set());
  });
});

describe('claims read as a reader reads them', () => {
  it('a sentence wrapped over lines, "and" lists, ranges and list items: every contradiction, at the clause', async () => {
    write(
      'trackers/t.md',
      TRACKER('Done', `
AB-01 and AB-02 are
planned, whatever the table says.

- AB-02 to AB-03 are blocked.
- Nothing here names an id; done.
`),
    );
    for (const id of ['AB-01', 'AB-02']) {
      write(`ops/runtime/${id.toLowerCase()}/manifest.json`, manifest(id));
      write(`ops/runtime/${id.toLowerCase()}/test.log`, 'ok\n');
    }
    const r = await audit();
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['summary-contradiction', 16, 1, '"AB-01 and AB-02 are planned, whatever the table says" says planned, but AB-01 is done, AB-02 is done'],
      ['summary-contradiction', 19, 3, '"AB-02 to AB-03 are blocked" says blocked, but AB-02 is done, AB-03 is planned'],
    ]);
    expect(r.checked.claims).toBe(4);
  });
});
