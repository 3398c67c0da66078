import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/test-budget.mjs, CI's check that every `test` case is under the budget, run as CI
// runs it (a process, over a reports directory) on a fixture project whose cases really run
// again in vitest: what a case takes alone decides, not what it took under load.

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SCRIPT = path.join(REPO, 'scripts/test-budget.mjs');

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/**
 * A fixture repository: project `proj` (vitest globals, no imports, so it runs from the
 * system's temporary directory) and the report `npm test` would have written for it, in
 * which every case but `quick` took 900 ms: over a 400 ms budget.
 */
function fixture(): { root: string; report: string; reportText: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-test-budget-fixture-'));
  roots.push(root);
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('proj/vitest.config.mjs', `export default { test: { globals: true, include: ['src/**/*.test.ts'] } };\n`);
  write(
    'proj/src/a.test.ts',
    [
      `test('fast alone', () => {});`,
      `test('slow alone', async () => { await new Promise((r) => setTimeout(r, 700)); });`,
      `test('fails alone', () => { throw new Error('boom'); });`,
      `test('quick', () => {});`,
      '',
    ].join('\n'),
  );
  const file = path.join(root, 'proj/src/a.test.ts');
  const reportText = JSON.stringify({
    testResults: [
      {
        name: file,
        assertionResults: [
          { title: 'fast alone', fullName: 'fast alone', status: 'passed', duration: 900 },
          { title: 'slow alone', fullName: 'slow alone', status: 'passed', duration: 900 },
          { title: 'fails alone', fullName: 'fails alone', status: 'passed', duration: 900 },
          { title: 'quick', fullName: 'quick', status: 'passed', duration: 10 },
        ],
      },
    ],
  });
  const report = path.join(root, 'reports/vitest/proj.json');
  write('reports/vitest/proj.json', reportText);
  return { root, report, reportText };
}

function budget(root: string, budgetMs: number, ...flags: string[]): { status: number | null; result: unknown } {
  const r = spawnSync(process.execPath, [SCRIPT, '--dir', 'reports/vitest', '--budget-ms', String(budgetMs), '--json', ...flags], {
    cwd: root,
    encoding: 'utf8',
  });
  let result: unknown = r.stdout;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    // Not JSON: the assertion below shows what was printed.
  }
  return { status: r.status, result };
}

describe('scripts/test-budget.mjs', () => {
  it('times a case over the budget again alone: fast alone passes; slow alone and failing alone fail; the reports of npm test stay as they were', () => {
    const { root, report, reportText } = fixture();
    const { status, result } = budget(root, 400);
    const name = (t: string): string => `proj: a.test.ts > ${t}`;
    const file = path.join(root, 'proj/src/a.test.ts');
    expect({ status, result }).toEqual({
      status: 1,
      result: {
        budgetMs: 400,
        cases: 4,
        slowest: { ms: 900, name: name('fast alone') },
        over: [
          { name: name('fast alone'), project: 'proj', file, title: 'fast alone', ms: 900, aloneMs: expect.any(Number), verdict: 'load' },
          { name: name('slow alone'), project: 'proj', file, title: 'slow alone', ms: 900, aloneMs: expect.any(Number), verdict: 'over' },
          { name: name('fails alone'), project: 'proj', file, title: 'fails alone', ms: 900, aloneMs: expect.any(Number), verdict: 'failed-alone', detail: 'failed alone' },
        ],
        failed: 2,
      },
    });
    const over = (result as { over: { aloneMs: number }[] }).over;
    expect(over[0]?.aloneMs).toBeLessThan(400);
    expect(over[1]?.aloneMs).toBeGreaterThanOrEqual(700);
    expect(fs.readFileSync(report, 'utf8')).toBe(reportText);
    expect(fs.readdirSync(path.join(root, 'reports/vitest'))).toEqual(['proj.json']);
  });

  it('--no-retime judges on the recorded durations only; within the budget it exits 0', () => {
    const { root } = fixture();
    const { status, result } = budget(root, 400, '--no-retime');
    expect(status).toBe(1);
    expect(result).toMatchObject({ failed: 3, over: [{ verdict: 'over', aloneMs: null }, { verdict: 'over', aloneMs: null }, { verdict: 'over', aloneMs: null }] });
    expect(budget(root, 1000, '--no-retime')).toMatchObject({ status: 0, result: { failed: 0, over: [] } });
  });
});
