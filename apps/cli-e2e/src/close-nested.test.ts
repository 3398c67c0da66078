import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { BIN, ensureFreshBundle, tempRoot } from './support.js';

beforeAll(ensureFreshBundle);

// A check that itself runs `govern close` in the same checkout: the inner closure would wait
// for the checks lock its own caller holds (docs/failure-model.md). The built binary, twice.
describe('govern close inside a closure of the same checkout', { timeout: 30_000 }, () => {
  test('the inner closure is refused at once with checks-lock-nested; the outer one passes', () => {
    const inner = `node ${BIN} close LM-02 --json --no-cache > inner.json; test $? -eq 1`;
    const root = tempRoot({
      'trackers/t.md': [
        '# Tracker',
        '',
        '| Order | Milestone | Depends On | Status |',
        '|---|---|---|---|',
        '| 1 | LM-01 Outer | - | In Progress |',
        '| 2 | LM-02 Inner | - | In Progress |',
        '',
        '## Checks',
        '',
        `- LM-01: \`${inner}\``,
        '- LM-02: `true`',
        '',
        '## Evidence Roots',
        '',
        '- LM-01: `ops/runtime/lm-01/`',
        '- LM-02: `ops/runtime/lm-02/`',
        '',
      ].join('\n'),
    }, 'govern-close-nested-');
    // Well below the 2 h the inner closure would otherwise wait: a hang guard, not a speed target.
    const outer = spawnSync(process.execPath, [BIN, 'close', 'LM-01', '--json', '--no-cache'], { cwd: root, encoding: 'utf8', timeout: 25_000, env: { ...process.env, GOVERN_ACTOR: 'e2e' } });
    expect([outer.status, JSON.parse(outer.stdout).passed]).toEqual([0, true]);
    const refused = JSON.parse(fs.readFileSync(path.join(root, 'inner.json'), 'utf8'));
    expect([refused.item, refused.passed, refused.checks, refused.attemptManifest, refused.failures.map((f: { code: string }) => f.code)]).toEqual([
      'LM-02',
      false,
      [],
      null,
      ['checks-lock-nested'],
    ]);
    expect(refused.failures[0].message).toContain(`held by the closure whose check started this one (pid ${outer.pid})`);
  });
});
