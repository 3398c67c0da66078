import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/ci-summary.mjs, the totals at the end of .ci/run, run as CI runs it (a process in
// the repository's root) on reports that a real vitest wrote for a fixture project (vitest
// globals, no imports, so it runs from the system's temporary directory): one file
// with a passing, a failing and a timed-out test, one that throws while it is imported.

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SCRIPT = path.join(REPO, 'scripts/ci-summary.mjs');
const VITEST = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function tempRoot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-ci-summary-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Runs the fixture project `proj` in vitest, its JSON report written where npm test writes one. */
function vitest(root: string, reportDir: string): void {
  const r = spawnSync(process.execPath, [VITEST, 'run', '--root', path.join(root, 'proj'), '--reporter=json', `--outputFile=${path.join(root, reportDir, 'proj.json')}`], {
    cwd: root,
    encoding: 'utf8',
  });
  // vitest itself exits 1 on these failures; the report is what matters.
  expect(fs.existsSync(path.join(root, reportDir, 'proj.json')), r.stderr).toBe(true);
}

function summary(root: string, ...dirs: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...dirs], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts/ci-summary.mjs', () => {
  it('names each failed test with its first message lines, and a file that failed on import, before the totals line', () => {
    const root = tempRoot({
      'proj/vitest.config.mjs': `export default { test: { globals: true, include: ['src/**/*.test.mjs'] } };\n`,
      'proj/src/a.test.mjs': [
        `describe('sums', () => {`,
        `  it('adds', () => { expect(1 + 1).toBe(2); });`,
        `  it('is flaky under load', () => { expect({ ms: 3200 }).toEqual({ ms: 300 }); });`,
        `  it('hangs', async () => { await new Promise((r) => setTimeout(r, 400)); }, 50);`,
        `});`,
        '',
      ].join('\n'),
      'proj/src/b.test.mjs': `throw new Error('cannot load the fixture');\n`,
    });
    vitest(root, 'reports/vitest');
    const r = summary(root);
    expect({ ...r, stdout: r.stdout.split('\n') }).toEqual({
      status: 1,
      stdout: [
        '::: vitest reports: 1, failed test files: 2',
        expect.stringMatching(/^FAILED reports\/vitest\/proj\.json proj\/src\/a\.test\.mjs > sums is flaky under load \(\d+ ms\)$/),
        '    AssertionError: expected { ms: 3200 } to deeply equal { ms: 300 }',
        expect.stringMatching(/^ {4}at proj\/src\/a\.test\.mjs:3:\d+$/),
        expect.stringMatching(/^FAILED reports\/vitest\/proj\.json proj\/src\/a\.test\.mjs > sums hangs \(\d+ ms\)$/),
        '    timed out (vitest reports a timeout as "Error: STACK_TRACE_ERROR", with the stack of the test\'s definition)',
        expect.stringMatching(/^ {4}at proj\/src\/a\.test\.mjs:4:\d+$/),
        'FAILED reports/vitest/proj.json proj/src/b.test.mjs (no test failed: the file itself did)',
        '    cannot load the fixture',
        '1 passed, 2 failed',
        '',
      ],
      stderr: '',
    });
  });

  it('passes with the totals of every report when nothing failed, and exits 2 when there is no report', () => {
    const root = tempRoot({
      'proj/vitest.config.mjs': `export default { test: { globals: true, include: ['src/**/*.test.mjs'] } };\n`,
      'proj/src/a.test.mjs': `it('parses', () => expect(JSON.parse('{"a":[1,2]}')).toEqual({ a: [1, 2] }));\nit('sorts', () => expect(['b', 'a'].sort()).toEqual(['a', 'b']));\n`,
    });
    vitest(root, 'reports/vitest');
    // The soak's report: the same one again (a second vitest run would only cost time).
    fs.mkdirSync(path.join(root, 'reports/vitest-soak'), { recursive: true });
    fs.copyFileSync(path.join(root, 'reports/vitest/proj.json'), path.join(root, 'reports/vitest-soak/proj.json'));
    expect(summary(root)).toEqual({ status: 0, stdout: '::: vitest reports: 2, failed test files: 0\n4 passed, 0 failed\n', stderr: '' });
    expect(summary(root, 'reports/none')).toEqual({ status: 2, stdout: '::: vitest reports: 0, failed test files: 0\n0 passed, 0 failed\n', stderr: '' });
  });

  it('counts a report it cannot read as a failure, by name', () => {
    const root = tempRoot({ 'reports/vitest/broken.json': '{"numPassedTests": 3,' });
    const r = summary(root);
    expect({ ...r, stdout: r.stdout.split('\n') }).toEqual({
      status: 1,
      stdout: ['::: vitest reports: 0, failed test files: 0', expect.stringMatching(/^UNREADABLE reports\/vitest\/broken\.json: .*JSON/), '0 passed, 0 failed', ''],
      stderr: '',
    });
  });
});
