import { describe, expect, test } from 'vitest';
import { find, md, parse } from '../__fixtures__/test-utils.js';

// Where each family declares the checks `govern close` runs (docs/formats.md).

describe('checks', () => {
  test('tracker: a `Checks` list, one command per entry, an entry may name several milestones', () => {
    const text = md(`
# Tracker

| Order | Milestone | Depends On | Status |
|---|---|---|---|
| 1 | LM-01 Telemetry | - | In Progress |
| 2 | LM-02 Store | LM-01 | Planned |
| 3 | LM-10 Other | - | Planned |

## Checks

\`govern close\` runs these; a sentence may sit between the heading and its list.

- LM-01: \`npx nx run telemetry:test\`
- LM-01, LM-02: \`npm run validate\`
- LM-1: \`echo not LM-10 nor LM-01\`
- LM-02 has no command here
`);
    const { document, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    const checks = Object.fromEntries(document!.items.map((i) => [i.id, i.checks]));
    expect(checks).toEqual({
      'LM-01': [
        { command: 'npx nx run telemetry:test', ...find(text, 'npx nx run telemetry:test') },
        { command: 'npm run validate', ...find(text, 'npm run validate') },
      ],
      'LM-02': [{ command: 'npm run validate', ...find(text, 'npm run validate') }],
      'LM-10': [],
    });
  });

  test('workplan: `checks:` in task metadata (list or one string) and in front matter', () => {
    const text = md(`
---
id: WP-1
type: workplan
title: One
status: in_progress
checks:
  - npm test
---

## T01 - List

\`\`\`yaml
id: WP-1-T01
status: planned
checks:
  - npx nx run a:test
  - "npm run lint"
\`\`\`

## T02 - String

id: WP-1-T02
status: planned
check: \`node scripts/verify.mjs\`
`);
    const { document, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    const checks = Object.fromEntries(document!.items.map((i) => [i.id, i.checks]));
    expect(checks).toEqual({
      'WP-1': [{ command: 'npm test', ...find(text, 'npm test', '  - npm test') }],
      'WP-1-T01': [
        { command: 'npx nx run a:test', ...find(text, 'npx nx run a:test') },
        { command: 'npm run lint', ...find(text, '"npm run lint"') },
      ],
      'WP-1-T02': [{ command: 'node scripts/verify.mjs', ...find(text, '`node scripts/verify.mjs`') }],
    });
  });

  test('plan: `Check:` lines and a `Checks:` paragraph followed by a list', () => {
    const text = md(`
# Plan

### K0: Baseline

Status: In Progress
Check: \`npm test\`

### K1: Next

Status: Planned
Checks:

- \`npx nx run k1:test\`
- npm run e2e
`);
    const { document, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    const checks = Object.fromEntries(document!.items.map((i) => [i.id, i.checks]));
    expect(checks).toEqual({
      'doc:K0': [{ command: 'npm test', ...find(text, '`npm test`') }],
      'doc:K1': [
        { command: 'npx nx run k1:test', ...find(text, '`npx nx run k1:test`') },
        { command: 'npm run e2e', ...find(text, 'npm run e2e') },
      ],
    });
  });
});
