import { describe, expect, it } from 'vitest';
import { UnknownGateError } from '@govern/gates';
import { WriteError } from '@govern/write';
import { itemNotFound } from '../errors.js';
import { errorResult, ToolFailure } from './results.js';

/** The result for `err`, and what was logged. */
function mapped(err: unknown) {
  const logged: string[] = [];
  const result = errorResult(err, (s) => logged.push(s));
  return { result, logged };
}

const asResult = (error: { code: string; message: string; details: Record<string, unknown> }) => ({
  content: [{ type: 'text', text: JSON.stringify({ error }) }],
  structuredContent: { error },
  isError: true,
});

describe('errorResult: the one MCP error mapper', () => {
  it('a GovernError: its code, message and details, structured and as text, isError; nothing logged', () => {
    expect(mapped(new WriteError('conflict', 'changed since read', { file: 'trackers/t.md' }))).toEqual({
      result: asResult({ code: 'conflict', message: 'changed since read', details: { file: 'trackers/t.md' } }),
      logged: [],
    });
    expect(mapped(new UnknownGateError('nope', ['a'])).result).toEqual(
      asResult({ code: 'gate-unknown', message: 'no gate named nope is declared in govern.config.yaml (declared: a)', details: { gate: 'nope', known: ['a'] } }),
    );
    expect(mapped(itemNotFound('AB-404')).result).toEqual(asResult({ code: 'item-not-found', message: 'no item AB-404', details: { item: 'AB-404' } }));
    expect(mapped(new ToolFailure({ code: 'window-too-wide', message: 'narrow it', details: { maxDays: 31 } })).result).toEqual(
      asResult({ code: 'window-too-wide', message: 'narrow it', details: { maxDays: 31 } }),
    );
  });

  it('anything else: internal-error with its message only; the stack goes to the log', () => {
    const { result, logged } = mapped(new TypeError('x is undefined'));
    expect(result).toEqual(asResult({ code: 'internal-error', message: 'x is undefined', details: {} }));
    expect(JSON.stringify(result)).not.toContain(' at ');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^govern mcp: internal error: TypeError: x is undefined\n\s+at /);
  });
});
