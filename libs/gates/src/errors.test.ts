import { describe, expect, it } from 'vitest';
import { EXIT, GovernError } from '@govern/errors';
import { errorSurface } from '@govern/errors/testing';
import type { Diagnostic } from '@govern/workplan';
import { GateConfigError, GateDisabledError, GateError, UnknownGateError, isGateError } from './errors.js';
import type { GateState } from './model.js';

const BLOCKER = { id: 'GV-04', found: true, title: 'Memory store', status: 'planned' as const, statusText: 'Planned', done: false, file: 'trackers/t.md', line: 4, column: 24 };
const STATE: GateState = {
  name: 'memory-store',
  description: null,
  project: 'libs/memory-store',
  enabled: false,
  requires: [BLOCKER],
  blockedBy: [BLOCKER],
  source: { file: 'govern.config.yaml', line: 2, column: 3 },
};
const DIAGNOSTIC: Diagnostic = { severity: 'error', code: 'config-invalid', message: 'bad', file: 'govern.config.yaml', line: 1, column: 1 };

/** What every surface sees of an error, and the class checks. */
const seen = (err: unknown) => ({ ...errorSurface(err), gateError: isGateError(err), subclass: err instanceof GovernError && err instanceof GateError });

describe('gate errors are GovernErrors', () => {
  it('GateDisabledError: gate-disabled, exit 1, details { gate, blockedBy } with the blockers trimmed', () => {
    const message = 'gate memory-store is disabled: GV-04 "Memory store" is planned (at trackers/t.md:4:24). It is enabled when GV-04 is done.';
    const json = {
      code: 'gate-disabled',
      message,
      details: { gate: 'memory-store', blockedBy: [{ id: 'GV-04', status: 'planned', statusText: 'Planned', file: 'trackers/t.md', line: 4, column: 24 }] },
    };
    expect(seen(new GateDisabledError(STATE))).toEqual({ governError: true, gateError: true, subclass: true, name: 'GateDisabledError', exit: EXIT.refused, json, own: json });
  });

  it('UnknownGateError: gate-unknown, exit 2 (a usage error), details { gate, known }', () => {
    const json = { code: 'gate-unknown', message: 'no gate named nope is declared in govern.config.yaml (declared: a, b)', details: { gate: 'nope', known: ['a', 'b'] } };
    expect(seen(new UnknownGateError('nope', ['a', 'b']))).toEqual({ governError: true, gateError: true, subclass: true, name: 'UnknownGateError', exit: EXIT.usage, json, own: json });
    expect(new UnknownGateError('x', []).message).toBe('no gate named x is declared in govern.config.yaml (it declares no gates)');
  });

  it('GateConfigError: gate-config-invalid, exit 1, details { gate, diagnostics }', () => {
    const json = {
      code: 'gate-config-invalid',
      message: 'cannot evaluate gate reader: govern.config.yaml is invalid (govern.config.yaml:1:1: bad, and 1 more)',
      details: { gate: 'reader', diagnostics: [DIAGNOSTIC, DIAGNOSTIC] },
    };
    expect(seen(new GateConfigError('reader', [DIAGNOSTIC, DIAGNOSTIC]))).toEqual({ governError: true, gateError: true, subclass: true, name: 'GateConfigError', exit: EXIT.refused, json, own: json });
  });

  it('isGateError: a GovernError with a gate code from another bundle, not other GovernErrors', () => {
    const foreign = Object.assign(new Error('gate x is disabled'), { [Symbol.for('govern.error')]: true, code: 'gate-disabled', details: { gate: 'x' }, exitCode: 1 });
    expect([isGateError(foreign), isGateError(new GovernError('conflict', 'no')), isGateError(new Error('gate-disabled')), isGateError(null)]).toEqual([true, false, false, false]);
  });
});
