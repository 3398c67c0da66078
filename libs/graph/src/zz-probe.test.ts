import { test } from 'vitest';
import { parseDocument, compileProfile, DEFAULT_PROFILE } from '@govern/workplan';
import { buildGraph, nextActionable, blockedItems } from './index.js';
const P = compileProfile(DEFAULT_PROFILE);
const tracker = `# Tracker

| Order | Milestone | Scope | Priority | Depends On | Status |
|---|---|---|---|---|---|
| 1 | LM-01 Baseline | base | P0 | - | Done (#27) |
| 2 | LM-02 Store | store | P1 | LM-01 | In Progress |
| 3 | LM-03 API | api | P0 | LM-01, LM-02 | Planned |

## Dependency matrix

| Row depends on column | LM-01 | LM-02 | LM-03 |
|---|---|---|---|
| LM-01 | 0 | 0 | 0 |
| LM-02 | 1 | 0 | 0 |
| LM-03 | 1 | 0 | 0 |
`;
const workplan = `---
id: WP-01
type: workplan
title: Hardening
status: in progress
---

# WP-01: Hardening

## T01 - First task

id: WP-01-T01
status: done
priority: high
depends_on: LM-01

Acceptance:

- it works

## T02 - Second task

id: WP-01-T02
status: todo
priority: medium
depends_on: WP-01-T01, LM-03
`;
const plan = `# Kickoff

### K0: Contract Baseline

Status: Done

### K1: Binder — Planned

Depends on: K0

- [x] one
- [ ] two
`;
test('probe', () => {
  const docs = [
    parseDocument({ file: 'trackers/t.md', text: tracker }, P),
    parseDocument({ file: 'workplans/wp.md', text: workplan }, P),
    parseDocument({ file: 'workplans/plan.md', text: plan }, P),
  ];
  for (const d of docs) console.log(JSON.stringify(d.diagnostics), JSON.stringify(d.document?.items.map(i => [i.id, i.dependencies]), null, 0));
  const g = buildGraph(docs.map(d => d.document!), P);
  console.log(JSON.stringify(g.graph, null, 1));
  console.log(JSON.stringify([...g.rank]));
  console.log(nextActionable(g).map(n => n.id), JSON.stringify(blockedItems(g).map(b => [b.node.id, b.blockers])));
});
