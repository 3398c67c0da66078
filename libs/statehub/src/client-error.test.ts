import { describe, expect, it } from 'vitest';
import { EXIT, GovernError, toErrorJSON } from '@govern/errors';
import { errorSurface } from '@govern/errors/testing';
import { StateHubError } from './client.js';
import type { HubRecord } from './schemas.js';

describe('StateHubError', () => {
  it('is a GovernError (exit 1) whose JSON adds the HTTP status to details', () => {
    const err = new StateHubError('unreachable', 'StateHub at http://127.0.0.1:1 did not answer GET /health: refused', null, { operation: 'health' });
    const json = { code: 'unreachable', message: 'StateHub at http://127.0.0.1:1 did not answer GET /health: refused', details: { operation: 'health', status: null } };
    expect(err).toBeInstanceOf(GovernError);
    expect(err.details).toEqual({ operation: 'health' });
    expect(errorSurface(err)).toEqual({ governError: true, name: 'StateHubError', exit: EXIT.refused, json, own: json });
  });

  it('a version conflict carries the record as it is now', () => {
    const current = { key: 'r:AB-1', version: 3 } as unknown as HubRecord;
    const err = new StateHubError('version-conflict', 'stale', 409, { operation: 'patchTaskStatus' }, current);
    expect(toErrorJSON(err)).toEqual({ code: 'version-conflict', message: 'stale', details: { operation: 'patchTaskStatus', status: 409, current } });
  });
});
