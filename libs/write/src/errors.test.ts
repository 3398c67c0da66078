import { describe, expect, it } from 'vitest';
import { EXIT, GovernError } from '@govern/errors';
import { errorSurface } from '@govern/errors/testing';
import { WriteError } from './errors.js';

describe('WriteError', () => {
  it('is a GovernError (exit 1) that serializes to { code, message, details }', () => {
    const err = new WriteError('conflict', 'trackers/t.md changed since it was read', { file: 'trackers/t.md', expected: 'a', actual: 'b' });
    const json = { code: 'conflict', message: 'trackers/t.md changed since it was read', details: { file: 'trackers/t.md', expected: 'a', actual: 'b' } };
    expect(err).toBeInstanceOf(GovernError);
    expect(errorSurface(err)).toEqual({ governError: true, name: 'WriteError', exit: EXIT.refused, json, own: json });
    expect(new WriteError('lock-timeout', 'busy').toJSON()).toEqual({ code: 'lock-timeout', message: 'busy', details: {} });
  });
});
