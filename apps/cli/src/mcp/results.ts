import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorBody, GovernError, isGovernError } from '@govern/errors';
import type { ToolError } from './schemas.js';

/**
 * A refusal built from an error object a tool already has (e.g. memoryd's answer):
 * a `GovernError` with that code, message and details.
 */
export class ToolFailure extends GovernError {
  constructor(error: ToolError) {
    super(error.code, error.message, { details: error.details });
    this.name = 'ToolFailure';
  }
}

/** A success: the value as structuredContent and, for clients that read only text, the same JSON as text. */
export function ok(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/**
 * The MCP server's one error mapper: whatever a tool threw (or the SDK refused)
 * becomes a result with isError and `{ error: { code, message, details } }` (the
 * `toErrorJSON` of the value), structured and as text. A `GovernError` carries its
 * own stable code and details; anything else is a bug, answered as `internal-error`
 * with its message, its stack going to `log` (stderr) and never to the agent.
 */
export function errorResult(err: unknown, log: (s: string) => void): CallToolResult {
  if (!isGovernError(err)) log(`govern mcp: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  const value = errorBody(err);
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value, isError: true };
}
