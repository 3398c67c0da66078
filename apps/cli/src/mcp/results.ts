import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isGateError } from '@govern/gates';
import { WriteError } from '@govern/write';
import type { ToolError } from './schemas.js';

/** A refusal a tool raises itself (e.g. `item-not-found` on a read), rendered like a WriteError. */
export class ToolFailure extends Error {
  constructor(readonly error: ToolError) {
    super(error.message);
    this.name = 'ToolFailure';
  }
}

/** A success: the value as structuredContent and, for clients that read only text, the same JSON as text. */
export function ok(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A refusal or failure: `{ error: { code, message, details } }`, structured and as text, with isError. */
export function fail(error: ToolError): CallToolResult {
  const value = { error };
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value, isError: true };
}

/**
 * The error object of anything a tool threw. Write refusals and gate errors carry
 * their own stable code and details; anything else is a bug, whose stack goes to
 * `log` (stderr) and never to the agent.
 */
export function toToolError(err: unknown, log: (s: string) => void): ToolError {
  if (err instanceof ToolFailure) return err.error;
  if (err instanceof WriteError) return err.toJSON();
  if (isGateError(err)) return { code: err.code, message: err.message, details: err.details };
  log(`govern mcp: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return { code: 'internal-error', message: err instanceof Error ? err.message : String(err), details: {} };
}
