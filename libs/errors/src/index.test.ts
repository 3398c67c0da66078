import { describe, expect, it } from 'vitest';
import { EXIT, GovernError, errorBody, exitCodeOf, isGovernError, toErrorJSON } from './index.js';

class DemoError extends GovernError<'demo-refused' | 'demo-usage'> {}

describe('GovernError', () => {
  it('serializes to code, message and details and names itself after the subclass', () => {
    const err = new DemoError('demo-refused', 'no', { details: { id: 'X-1' } });
    expect({ name: err.name, json: err.toJSON(), exit: err.exitCode, isError: err instanceof Error }).toEqual({
      name: 'DemoError',
      json: { code: 'demo-refused', message: 'no', details: { id: 'X-1' } },
      exit: EXIT.refused,
      isError: true,
    });
  });

  it('is recognised across copies of the module by its registered symbol', () => {
    const foreign = Object.assign(new Error('from another bundle'), {
      [Symbol.for('govern.error')]: true,
      code: 'foreign-code',
      details: { a: 1 },
      exitCode: 2,
    });
    expect(isGovernError(foreign)).toBe(true);
    expect(toErrorJSON(foreign)).toEqual({ code: 'foreign-code', message: 'from another bundle', details: { a: 1 } });
    expect(exitCodeOf(foreign)).toBe(2);
  });

  it('maps anything else to internal-error with exit 3', () => {
    expect(isGovernError(new Error('boom'))).toBe(false);
    expect(toErrorJSON(new TypeError('boom'))).toEqual({ code: 'internal-error', message: 'boom', details: {} });
    expect(toErrorJSON('text')).toEqual({ code: 'internal-error', message: 'text', details: {} });
    expect(exitCodeOf(new Error('boom'))).toBe(EXIT.internal);
    expect(exitCodeOf(new DemoError('demo-usage', 'bad flag', { exitCode: EXIT.usage }))).toBe(2);
  });

  it("uses a subclass's own toJSON (extra details such as an HTTP status)", () => {
    class HttpDemoError extends GovernError<'demo-http'> {
      constructor(readonly status: number) {
        super('demo-http', 'refused', { details: { op: 'get' } });
      }
      override toJSON() {
        return { ...super.toJSON(), details: { ...this.details, status: this.status } };
      }
    }
    expect(toErrorJSON(new HttpDemoError(409))).toEqual({ code: 'demo-http', message: 'refused', details: { op: 'get', status: 409 } });
  });

  it('errorBody wraps any thrown value as { error }', () => {
    expect(errorBody(new DemoError('demo-refused', 'no', { details: { a: 1 } }))).toEqual({ error: { code: 'demo-refused', message: 'no', details: { a: 1 } } });
    expect(errorBody(new RangeError('bug'))).toEqual({ error: { code: 'internal-error', message: 'bug', details: {} } });
  });
});
