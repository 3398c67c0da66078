import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The fixture repository of the tests: a tracker, a workplan, two gates, one evidence manifest, one git commit. */
export const FILES: Record<string, string> = {
  'govern.config.yaml': 'gates:\n  web:\n    description: the web things\n    requires: [LM-03]\n    project: libs/web\n  base:\n    description: the base\n    requires: [LM-01]\n',
  'trackers/tracker.md':
    '# Tracker\n\n| Milestone | Priority | Depends On | Status |\n|---|---|---|---|\n| LM-01 Baseline | P0 | - | Done |\n| LM-02 Store | P1 | LM-01 | In Progress |\n| LM-03 API | P0 | LM-02 | Planned |\n',
  'workplans/wp-01.md': [
    '---',
    'id: WP-01',
    'type: workplan',
    'title: Hardening',
    'status: in_progress',
    '---',
    '',
    '# WP-01: Hardening',
    '',
    '## T01 - Runner',
    '',
    'id: WP-01-T01',
    'status: in_progress',
    'priority: high',
    'checks:',
    '- `npm test`',
    '',
    'Acceptance:',
    '',
    '- [x] the runner starts',
    '- [ ] the runner stops',
    '',
    '## T02 - Reporter',
    '',
    'id: WP-01-T02',
    'status: planned',
    'priority: low',
    'depends_on: WP-01-T01',
    '',
    '## T03 - Logger',
    '',
    'id: WP-01-T03',
    'status: done',
    'evidence_root: ops/runtime/wp-01-t03/',
    '',
    '## T04 - Orphan',
    '',
    'id: WP-01-T04',
    'status: planned',
    'depends_on: WP-99',
    '',
  ].join('\n'),
  'ops/runtime/wp-01-t03/check-1.log': 'all 12 tests passed\n',
};

/** A manifest as `govern close` writes it (schema version 1). */
export function manifest(): string {
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      item: 'WP-01-T03',
      createdAt: '2026-12-01T10:00:00.000Z',
      gitCommit: 'abcdef0123456789abcdef0123456789abcdef01',
      toolVersion: '0.1.0',
      checks: [
        {
          name: 'check-1',
          command: 'npm test',
          exitCode: 0,
          durationMs: 2500,
          startedAt: '2026-12-01T09:59:57.500Z',
          outputSha256: crypto.createHash('sha256').update(FILES['ops/runtime/wp-01-t03/check-1.log']!).digest('hex'),
          outputFile: 'check-1.log',
        },
      ],
      passed: true,
      files: [],
    },
    null,
    2,
  )}\n`;
}

/** Writes the fixture into a new temp directory, commits it, and returns the directory. */
export function makeFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-web-view-'));
  for (const [rel, text] of Object.entries({ ...FILES, 'ops/runtime/wp-01-t03/manifest.json': manifest() })) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.invalid', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.invalid' };
  for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'fixture']]) {
    const r = spawnSync('git', args, { cwd: dir, env });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  }
  return dir;
}
