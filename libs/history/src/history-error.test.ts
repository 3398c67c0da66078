import { describe, expect, it } from 'vitest';
import { EXIT, GovernError } from '@govern/errors';
import { errorSurface } from '@govern/errors/testing';
import { HistoryError } from './history.js';

describe('HistoryError', () => {
  it('is a GovernError (exit 1) that serializes to { code, message, details }', () => {
    const err = new HistoryError('item-not-found', 'no item ab-1 in /r; did you mean AB-01?', { item: 'ab-1', suggestions: ['AB-01'] });
    const json = { code: 'item-not-found', message: 'no item ab-1 in /r; did you mean AB-01?', details: { item: 'ab-1', suggestions: ['AB-01'] } };
    expect(err).toBeInstanceOf(GovernError);
    expect(errorSurface(err)).toEqual({ governError: true, name: 'HistoryError', exit: EXIT.refused, json, own: json });
  });
});
