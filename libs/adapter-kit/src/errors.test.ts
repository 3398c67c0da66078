import { GovernError } from '@govern/errors';
import { errorSurface } from '@govern/errors/testing';
import { describe, expect, test } from 'vitest';
import { adapterDenial, adapterFailure, classifyError } from './errors.js';

describe('the reason split of adapter errors', () => {
  test('a failure and a denial, as every surface sees them', () => {
    expect(errorSurface(adapterFailure('adapter.conflict', 'run-1 moved on', { stream: 'run-1' }))).toEqual({
      governError: true,
      name: 'AdapterError',
      exit: 1,
      json: { code: 'adapter-failure', message: 'run-1 moved on', details: { stream: 'run-1', failure_reason_code: 'adapter.conflict', policy_reason_code: null } },
      own: { code: 'adapter-failure', message: 'run-1 moved on', details: { stream: 'run-1', failure_reason_code: 'adapter.conflict', policy_reason_code: null } },
    });
    const d = adapterDenial('adapter.read-only', 'read-only', { failure_reason_code: 'sneaked.in' });
    expect({ failure: d.failure_reason_code, policy: d.policy_reason_code }).toEqual({ failure: null, policy: 'adapter.read-only' });
  });

  test('classifyError reads failures, denials, and every way to get the split wrong', () => {
    class Other extends GovernError {}
    const cases = [
      adapterFailure('adapter.conflict', 'x'),
      adapterDenial('adapter.read-only', 'x'),
      new Other('x', 'both', { details: { failure_reason_code: 'a.b', policy_reason_code: 'c.d' } }),
      new Other('x', 'neither'),
      new Other('x', 'bad code', { details: { failure_reason_code: 'has space' } }),
      new TypeError('api.put is not a function'),
      // A govern error from another bundle's copy of @govern/errors.
      Object.assign(new Error('foreign copy'), { [Symbol.for('govern.error')]: true, code: 'adapter-denial', details: { failure_reason_code: null, policy_reason_code: 'adapter.read-only' } }),
    ];
    expect(cases.map((e) => classifyError(e))).toEqual([
      { kind: 'failure', code: 'adapter-failure', failure_reason_code: 'adapter.conflict', policy_reason_code: null, problem: null },
      { kind: 'denial', code: 'adapter-denial', failure_reason_code: null, policy_reason_code: 'adapter.read-only', problem: null },
      { kind: 'mixed', code: 'x', failure_reason_code: 'a.b', policy_reason_code: 'c.d', problem: 'carries both failure_reason_code and policy_reason_code' },
      { kind: 'unsplit', code: 'x', failure_reason_code: null, policy_reason_code: null, problem: 'carries neither failure_reason_code nor policy_reason_code' },
      {
        kind: 'unsplit',
        code: 'x',
        failure_reason_code: null,
        policy_reason_code: null,
        problem: 'its reason codes break the reason-semantics contract: failure_reason_code: a reason code: letters, digits and . _ : / - (no spaces)',
      },
      { kind: 'foreign', code: 'internal-error', failure_reason_code: null, policy_reason_code: null, problem: 'not a coded govern error: TypeError' },
      { kind: 'denial', code: 'adapter-denial', failure_reason_code: null, policy_reason_code: 'adapter.read-only', problem: null },
    ]);
  });
});
