import { describe, expect, it } from 'vitest';
import { describeRequirement, explainGate, gateSummary } from './explain.js';
import type { GateState, Requirement } from './model.js';

const req = (over: Partial<Requirement>): Requirement => ({
  id: 'LM-04',
  found: true,
  title: 'Retention',
  status: 'partial',
  statusText: 'Partial',
  done: false,
  file: 'trackers/lm.md',
  line: 12,
  column: 80,
  ...over,
});

describe('explainGate', () => {
  it('names every blocker, its status (as written when that says more) and where it is written', () => {
    const gate: GateState = {
      name: 'memory-api',
      description: null,
      project: null,
      enabled: false,
      requires: [],
      blockedBy: [
        req({}),
        req({ id: 'LM-05', title: 'Reason semantics', status: 'in_progress', statusText: 'In progress — API v2', line: 13 }),
        req({ id: 'LM-06', title: null, status: null, statusText: 'Deferred', line: 14 }),
        req({ id: 'LM-99', found: false, title: null, status: null, statusText: null, file: 'govern.config.yaml', line: 5, column: 16 }),
      ],
      source: { file: 'govern.config.yaml', line: 2, column: 3 },
    };
    expect(explainGate(gate)).toBe(
      'gate memory-api is disabled: LM-04 "Retention" is partial (at trackers/lm.md:12:80); ' +
        'LM-05 "Reason semantics" is in_progress ("In progress — API v2") (at trackers/lm.md:13:80); ' +
        'LM-06 has no recognized status ("Deferred") (at trackers/lm.md:14:80); ' +
        'LM-99 is not defined by any document (required at govern.config.yaml:5:16). ' +
        'It is enabled when LM-04 and LM-05 and LM-06 and LM-99 are done.',
    );
    expect(gateSummary(gate)).toBe('gate memory-api: disabled — waits on LM-04 (partial), LM-05 (in_progress), LM-06 (no status), LM-99 (not defined)');
  });

  it('says an enabled gate is enabled', () => {
    const r = req({ status: 'done', statusText: 'Done (#27)', done: true });
    expect(explainGate({ name: 'g', description: null, project: null, enabled: true, requires: [r], blockedBy: [], source: r })).toBe('gate g is enabled: LM-04 is done.');
    expect(describeRequirement(r)).toBe('LM-04 "Retention" is done ("Done (#27)") (at trackers/lm.md:12:80)');
    const two = { name: 'g', description: null, project: null, enabled: true, requires: [r, { ...r, id: 'LM-05' }], blockedBy: [], source: r };
    expect(gateSummary(two)).toBe('gate g: enabled — LM-04, LM-05 done');
  });
});
