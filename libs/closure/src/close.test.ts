import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkspace } from '@govern/workspace';
import { readAuditLog, sha256 } from '@govern/write';
import { afterEach, describe, expect, test } from 'vitest';
import { auditWorkspace } from './audit.js';
import { closeItem } from './close.js';
import { EvidenceManifestSchema } from './manifest.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-close-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

function tracker(opts: { status?: string; checks?: string[]; evidence?: string; criteria?: string[] } = {}): string {
  return [
    '# Tracker',
    '',
    '| Order | Milestone | Depends On | Status |',
    '|---|---|---|---|',
    `| 1 | LM-01 Telemetry | - | ${opts.status ?? 'In Progress'} |`,
    '| 2 | LM-02 Store | LM-01 | Planned |',
    '',
    '## Checks',
    '',
    ...(opts.checks ?? []).map((c) => `- LM-01: \`${c}\``),
    '- LM-02: `true`',
    '',
    '## Evidence Roots',
    '',
    `- LM-01: \`${opts.evidence ?? 'ops/runtime/lm-01/'}\``,
    '- LM-02: `ops/runtime/lm-02/`',
    '',
    ...(opts.criteria?.length ? ['## Exit Criteria', '', ...opts.criteria, ''] : []),
  ].join('\n');
}

let tick = 0;
const clock = () => new Date(Date.UTC(2026, 10, 21, 12, 0, tick++));
const base = { actor: 'tester', via: 'test', toolVersion: '9.9.9', cacheDir: null, now: clock } as const;

// Checks are real processes; on a loaded 2-core machine a test can take seconds.
describe('closeItem', { timeout: 30_000 }, () => {
  test('passing checks: attempt and root manifests written, status set to done, audit passes', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: ['node -e "console.log(42)"', 'echo second'] }) });
    // Colours are off in checks even when the caller forces them (the log is evidence).
    const r = await closeItem({ ...base, root, id: 'LM-01', env: { FORCE_COLOR: '1' } });
    expect(r.failures).toEqual([]);
    expect(r.passed).toBe(true);
    expect(r.manifest).toBe('ops/runtime/lm-01/manifest.json');
    expect(r.status?.to).toEqual({ status: 'done', text: 'Done' });
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(
      tracker({ checks: ['node -e "console.log(42)"', 'echo second'], status: 'Done' }),
    );

    const manifest = EvidenceManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(root, r.manifest!), 'utf8')));
    expect(manifest.checks.map((c) => [c.name, c.command, c.exitCode])).toEqual([
      ['node -e "console.log(42)"', 'node -e "console.log(42)"', 0],
      ['echo second', 'echo second', 0],
    ]);
    const log0 = fs.readFileSync(path.join(root, 'ops/runtime/lm-01', manifest.checks[0]!.outputFile!));
    expect(log0.toString()).toBe('42\n');
    expect(manifest.checks[0]!.outputSha256).toBe(sha256(log0));
    expect([manifest.item, manifest.passed, manifest.toolVersion, manifest.gitCommit]).toEqual(['LM-01', true, '9.9.9', null]);
    expect(fs.readFileSync(path.join(root, r.attemptManifest!), 'utf8')).toBe(fs.readFileSync(path.join(root, r.manifest!), 'utf8'));

    const audit = auditWorkspace(await loadWorkspace({ root, cacheDir: null }));
    expect(audit.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(readAuditLog(root).records.map((x) => [x.action, x.item, x.to?.status, x.evidence])).toEqual([
      ['close', 'LM-01', 'done', 'ops/runtime/lm-01/manifest.json'],
    ]);

    // Evidence that changes afterwards is caught by the audit.
    fs.appendFileSync(path.join(root, 'ops/runtime/lm-01', manifest.checks[1]!.outputFile!), 'tampered\n');
    const after = auditWorkspace(await loadWorkspace({ root, cacheDir: null }));
    expect(after.diagnostics.map((d) => d.code)).toContain('evidence-output-changed');
  });

  test('a failing check: says which and where, leaves the status, records the attempt', async () => {
    const text = tracker({ checks: ['echo fine', 'echo broken >&2; exit 3'] });
    const root = repo({ 'trackers/t.md': text });
    const r = await closeItem({ ...base, root, id: 'LM-01' });
    expect(r.passed).toBe(false);
    expect(r.failures).toEqual([
      {
        code: 'check-failed',
        message: `\`echo broken >&2; exit 3\` exited 3; output in ops/runtime/lm-01/${r.checks[1]!.outputFile}`,
        line: 11,
      },
    ]);
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(text);
    expect(fs.existsSync(path.join(root, 'ops/runtime/lm-01/manifest.json'))).toBe(false);
    const attempt = EvidenceManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(root, r.attemptManifest!), 'utf8')));
    expect([attempt.passed, attempt.checks.map((c) => c.exitCode), attempt.failures]).toEqual([false, [0, 3], [r.failures[0]!.message]]);
    expect(fs.readFileSync(path.join(root, 'ops/runtime/lm-01', r.checks[1]!.outputFile!), 'utf8')).toBe('broken\n');
    expect(readAuditLog(root).records.map((x) => [x.action, x.item, x.evidence, x.failures])).toEqual([
      ['close-failed', 'LM-01', r.attemptManifest, [r.failures[0]!.message]],
    ]);
  });

  test('an evidence root that leaves the repository is refused before anything runs', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: ['touch ran'], evidence: '../outside/' }) });
    const r = await closeItem({ ...base, root, id: 'LM-01' });
    expect(r.failures).toEqual([{ code: 'evidence-root-outside', message: 'LM-01: ../outside/ leaves the repository; nothing was run' }]);
    expect(fs.existsSync(path.join(root, 'ran'))).toBe(false);
    expect(fs.existsSync(path.join(root, '../outside'))).toBe(false);
  });

  test('a symlinked evidence root that leads out of the repository is refused', async () => {
    const outside = repo({ 'x.txt': 'x' });
    const root = repo({ 'trackers/t.md': tracker({ checks: ['true'], evidence: 'ops/link/' }) });
    fs.mkdirSync(path.join(root, 'ops'));
    fs.symlinkSync(outside, path.join(root, 'ops/link'));
    const r = await closeItem({ ...base, root, id: 'LM-01' });
    expect(r.failures.map((f) => f.code)).toEqual(['evidence-root-outside']);
    expect(fs.readdirSync(outside)).toEqual(['x.txt']);
  });

  test('no checks, unfinished dependencies: every precondition is named at once', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: [] }).replace('- LM-02: `true`', '') });
    const r = await closeItem({ ...base, root, id: 'LM-02' });
    expect(r.failures).toEqual([
      { code: 'checks-missing', message: 'LM-02 declares no checks; a closure without a check proves nothing (see docs/formats.md)' },
      { code: 'dependencies-not-done', message: 'LM-02 depends on what is not done: LM-01 (in_progress)' },
    ]);
  });

  test('an unchecked exit-criteria checkbox blocks the closure even when the checks pass', async () => {
    const root = repo({
      'workplans/wp.md': [
        '---',
        'id: WP-1',
        'type: workplan',
        'title: One',
        'status: in_progress',
        '---',
        '',
        '## T01 - Task',
        '',
        'id: WP-1-T01',
        'status: in_progress',
        'evidence_root: ops/runtime/wp-1-t01',
        'checks: true',
        '',
        'Acceptance:',
        '',
        '- [x] written',
        '- [ ] reviewed',
        '',
      ].join('\n'),
    });
    const r = await closeItem({ ...base, root, id: 'WP-1-T01' });
    expect(r.failures).toEqual([{ code: 'criteria-unchecked', message: 'exit criterion not checked: reviewed', line: 18 }]);
    expect(r.checks.map((c) => c.exitCode)).toEqual([0]);
  });

  test('a workplan closes only after every task it contains is done', async () => {
    const root = repo({
      'workplans/wp.md': [
        '---',
        'id: WP-2',
        'type: workplan',
        'title: Two',
        'status: in_progress',
        'evidence_root: ops/runtime/wp-2',
        'checks: [true]',
        '---',
        '',
        '## T01 - Done task',
        '',
        'id: WP-2-T01',
        'status: done',
        '',
        '## T02 - Open task',
        '',
        'id: WP-2-T02',
        'status: in_progress',
        '',
      ].join('\n'),
    });
    const r = await closeItem({ ...base, root, id: 'WP-2' });
    expect(r.failures).toEqual([{ code: 'children-not-done', message: 'WP-2 contains items that are not done: WP-2-T02 (in_progress)' }]);
    expect(r.checks).toEqual([]);
  });

  test('a check over its time limit is killed and fails', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: ['sleep 5'] }) });
    const t0 = Date.now();
    const r = await closeItem({ ...base, root, id: 'LM-01', checkTimeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.failures.map((f) => f.message)).toEqual([expect.stringContaining('(killed: over the time limit)')]);
  });
});
