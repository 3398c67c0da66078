import { describe, expect, it } from 'vitest';
import { EXIT, GovernError } from '@govern/errors';
import { errorSurface } from '@govern/errors/testing';
import { GitHubError } from './errors.js';

describe('GitHubError', () => {
  it('is a GovernError (exit 1) that serializes to { code, message, details }', () => {
    const err = new GitHubError('rate-limited', 'GitHub rate limit: rerun after 12:00', { retryAfter: 600 });
    const json = { code: 'rate-limited', message: 'GitHub rate limit: rerun after 12:00', details: { retryAfter: 600 } };
    expect(err).toBeInstanceOf(GovernError);
    expect(errorSurface(err)).toEqual({ governError: true, name: 'GitHubError', exit: EXIT.refused, json, own: json });
    expect(new GitHubError('token-missing', 'no token').toJSON()).toEqual({ code: 'token-missing', message: 'no token', details: {} });
  });
});
