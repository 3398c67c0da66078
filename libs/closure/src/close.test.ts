import { execFileSync } from 'node:child_process';
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
      ['phase audit', 'govern audit (built in: trackers/t.md)', 0],
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
    expect(r.checks).toEqual([]); // refused before any check ran
  });

  test('each acceptance bullet records how it was verified: a tied check, an item, a checkbox or a sign-off', async () => {
    const wp = (criteria: string[]) =>
      [
        '---',
        'id: WP-3',
        'type: workplan',
        'title: Three',
        'status: in_progress',
        '---',
        '',
        '## T01 - Done before',
        '',
        'id: WP-3-T01',
        'status: in_progress',
        'evidence_root: ops/runtime/wp-3-t01',
        'checks: true',
        '',
        '## T02 - Closing now',
        '',
        'id: WP-3-T02',
        'status: in_progress',
        'evidence_root: ops/runtime/wp-3-t02',
        'checks: echo listed',
        '',
        'Acceptance:',
        '',
        ...criteria,
        '',
      ].join('\n');
    const criteria = [
      '- Runs the tied check',
      '  Check: `echo tied`',
      '- Reuses the listed check',
      '  - Check: `echo listed`',
      '- Covered elsewhere (verified by WP-3-T01)',
      '- [x] Ticked',
      '- Reviewed by a person',
    ];
    const root = repo({ 'workplans/wp.md': wp(criteria) });

    // WP-3-T01 is not done yet, and nobody signed off the plain bullet: both are named.
    const refused = await closeItem({ ...base, root, id: 'WP-3-T02' });
    expect(refused.failures).toEqual([
      { code: 'criteria-unverified', message: '"Covered elsewhere": verified by WP-3-T01, but WP-3-T01 is in_progress', line: 28 },
      {
        code: 'criteria-unverified',
        message:
          '"Reviewed by a person" is not verified: tie it to a check (a `Check: <command>` line under it), name the item whose closure verifies it (`Verified by: ID`), or sign it off with --sign-off <who>',
        line: 30,
      },
    ]);
    expect(refused.checks).toEqual([]); // refused before any check ran

    expect((await closeItem({ ...base, root, id: 'WP-3-T01' })).failures).toEqual([]);
    const r = await closeItem({ ...base, root, id: 'WP-3-T02', signOff: 'Ada Reviewer' });
    expect(r.failures).toEqual([]);
    const manifest = EvidenceManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(root, r.manifest!), 'utf8')));
    expect(manifest.criteria).toEqual([
      { text: 'Runs the tied check', checked: null, verification: { kind: 'check', checks: [2] } },
      { text: 'Reuses the listed check', checked: null, verification: { kind: 'check', checks: [1] } },
      { text: 'Covered elsewhere', checked: null, verification: { kind: 'item', items: [{ id: 'WP-3-T01', evidence: 'ops/runtime/wp-3-t01/manifest.json' }] } },
      { text: 'Ticked', checked: true, verification: { kind: 'checkbox' } },
      { text: 'Reviewed by a person', checked: null, verification: { kind: 'manual', signedOffBy: 'Ada Reviewer' } },
    ]);
    expect(manifest.checks.map((c) => [c.command, c.exitCode])).toEqual([
      ['echo listed', 0],
      ['echo tied', 0],
      ['govern audit (built in: workplans/wp.md)', 0],
    ]);
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

// Issue 11, parts 2, 3 and 5: evidence stays inside the repository, secrets stay out of
// it, and no output is too large to record.
describe('closeItem under hostile use', { timeout: 30_000 }, () => {
  test('an evidence root under a symlinked parent that leads outside is refused before any check runs, though it does not exist yet', async () => {
    const outside = repo({ 'x.txt': 'x' });
    const root = repo({ 'trackers/t.md': tracker({ checks: ['touch ran'], evidence: 'ops/runtime/lm-01/' }) });
    fs.mkdirSync(path.join(root, 'ops'));
    fs.symlinkSync(outside, path.join(root, 'ops/runtime'));
    const r = await closeItem({ ...base, root, id: 'LM-01' });
    expect(r.failures).toEqual([
      { code: 'evidence-root-outside', message: 'LM-01: ops/runtime/lm-01/ passes through a symlink that leads out of the repository (ops/runtime); nothing was run' },
    ]);
    expect([fs.existsSync(path.join(root, 'ran')), fs.readdirSync(outside)]).toEqual([false, ['x.txt']]);
  });

  test('.git/, the repository root and git-ignored folders are refused as evidence roots', async () => {
    for (const [evidence, code] of [
      ['.git/evidence/', 'evidence-root-outside'],
      ['.', 'evidence-root-outside'],
      ['build/evidence/', 'evidence-root-ignored'],
    ] as const) {
      const root = repo({ 'trackers/t.md': tracker({ checks: ['touch ran'], evidence }), '.gitignore': 'build/\n' });
      execFileSync('git', ['init', '-q'], { cwd: root });
      const r = await closeItem({ ...base, root, id: 'LM-01', allowDirty: true });
      expect([evidence, r.failures.map((f) => f.code), fs.existsSync(path.join(root, 'ran'))]).toEqual([evidence, [code], false]);
    }
  });

  test('a check that replaces its evidence folder with a symlink to outside gets no evidence written there', async () => {
    const outside = repo({ 'x.txt': 'x' });
    const root = repo({ 'trackers/t.md': tracker({ checks: [`mkdir -p ops/runtime && ln -s ${outside} ops/runtime/lm-01`] }) });
    const r = await closeItem({ ...base, root, id: 'LM-01' });
    expect(r.failures.map((f) => f.code)).toEqual(['evidence-root-outside']);
    expect(fs.readdirSync(outside)).toEqual(['x.txt']);
  });

  test('checks get only the allowed environment; secrets are passed only when the profile names them, and never reach the log', async () => {
    const GH = `ghp_${'k3Jw'.repeat(9)}`;
    const AWS = 'zQ8k3Lm9Np2Qr5St7Uv0Wx4Yz6Ab1Cd3Ef5Gh7Ij';
    const NPM = 'npm-secret-value-1234';
    const check = 'echo "gh=$GITHUB_TOKEN aws=$AWS_SECRET_ACCESS_KEY npm=$NPM_TOKEN mine=$MY_SETTING other=$OTHER_SETTING path=${PATH:+set}"; cat token.txt; echo "npm again: $NPM_TOKEN"';
    const root = repo({
      'trackers/t.md': tracker({ checks: [check] }),
      'profiles/default.yaml': 'extends: default\nchecks:\n  env: [MY_SETTING]\n  secrets: [NPM_TOKEN]\n',
      'token.txt': `leaked from a file: ${GH}\n`,
    });
    const r = await closeItem({
      ...base,
      root,
      id: 'LM-01',
      env: { GITHUB_TOKEN: GH, AWS_SECRET_ACCESS_KEY: AWS, NPM_TOKEN: NPM, MY_SETTING: 'visible', OTHER_SETTING: 'not passed' },
    });
    expect(r.failures).toEqual([]);
    const log = fs.readFileSync(path.join(root, 'ops/runtime/lm-01', r.checks[0]!.outputFile!), 'utf8');
    expect(log).toBe(
      'gh= aws= npm=[REDACTED:env:NPM_TOKEN] mine=visible other= path=set\nleaked from a file: [REDACTED:github]\nnpm again: [REDACTED:env:NPM_TOKEN]\n',
    );
    expect(r.checks[0]).toMatchObject({ redactions: 3, outputSha256: sha256(log), outputTruncated: false });
    const everything = fs.readdirSync(path.join(root, 'ops'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of everything) {
      const text = fs.readFileSync(path.join(f.parentPath, f.name), 'utf8');
      expect([f.name, [GH, AWS, NPM].filter((s) => text.includes(s))]).toEqual([f.name, []]);
    }
  });

  test('a large output is hashed while streaming and stored as head and tail, with its full size and hash', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: ["head -c 3000000 /dev/zero | tr '\\0' a; echo; echo END"] }) });
    const r = await closeItem({ ...base, root, id: 'LM-01', output: { headBytes: 1000, tailBytes: 1000 } });
    expect(r.failures).toEqual([]);
    const full = `${'a'.repeat(3_000_000)}\nEND\n`;
    const log = fs.readFileSync(path.join(root, 'ops/runtime/lm-01', r.checks[0]!.outputFile!), 'utf8');
    expect(log).toBe(`${'a'.repeat(1000)}\n[govern: 2998005 bytes left out here; the whole output was 3000005 bytes, sha256 ${sha256(full)}]\n${full.slice(-1000)}`);
    expect(r.checks[0]).toMatchObject({ exitCode: 0, outputBytes: 3_000_005, outputTruncated: true, fullOutputSha256: sha256(full), outputSha256: sha256(log) });
    const audit = auditWorkspace(await loadWorkspace({ root, cacheDir: null }));
    expect(audit.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('a check that prints more than the limit is killed and fails cleanly, with a recorded attempt', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: ['yes'] }) });
    const r = await closeItem({ ...base, root, id: 'LM-01', output: { maxOutputBytes: 2_000_000 } });
    expect(r.failures).toEqual([
      { code: 'check-failed', message: `\`yes\` exited 137 (killed: printed more than 2000000 bytes); output in ops/runtime/lm-01/${r.checks[0]!.outputFile}`, line: 10 },
    ]);
    expect(r.checks[0]).toMatchObject({ outputBytes: 2_000_000, outputTruncated: true });
    expect(EvidenceManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(root, r.attemptManifest!), 'utf8'))).passed).toBe(false);
    expect(readAuditLog(root).records.map((x) => [x.action, x.evidence])).toEqual([['close-failed', r.attemptManifest]]);
  });

  test('on timeout the whole tree is killed, including a child that left the process group with setsid', async () => {
    const root = repo({ 'trackers/t.md': tracker({ checks: ["setsid sh -c 'echo $$ > escaped.pid; exec sleep 30' & sleep 30"] }) });
    const r = await closeItem({ ...base, root, id: 'LM-01', checkTimeoutMs: 1000 });
    expect(r.failures.map((f) => f.message)).toEqual([expect.stringContaining('(killed: over the time limit)')]);
    const pid = Number(fs.readFileSync(path.join(root, 'escaped.pid'), 'utf8'));
    // Gone, or a zombie waiting for its new parent (init) to reap it: either way, not running.
    const alive = () => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await new Promise((res) => setTimeout(res, 20));
    expect(alive()).toBe(false);
  });
});
