import { z } from 'zod';
import type { ServiceOperation } from './context.js';
import { SERVICE_OPERATIONS } from './operations.js';

/** An operation as an MCP tool: what `registerTool` needs, without the SDK. */
export interface ServiceToolSpec {
  /** `service_` + the operation's name with dots as underscores (`service_graph_query`). */
  tool: string;
  operation: string;
  title: string;
  description: string;
  inputSchema: z.ZodObject;
  outputSchema: z.ZodObject;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
}

/** The MCP tool name of an operation. */
export function toolName(operation: string): string {
  return `service_${operation.replace(/\./g, '_')}`;
}

/**
 * Every operation of `SERVICE_OPERATIONS` as an MCP tool spec, over the same
 * zod schemas: the MCP server registers these and calls `runner.run` with
 * `via: 'mcp'`, so a tool call is the same function as a library call or an HTTP
 * request, gated, reviewed and audited alike.
 */
export function serviceToolSpecs(): ServiceToolSpec[] {
  return (SERVICE_OPERATIONS as readonly ServiceOperation[]).map((o) => ({
    tool: toolName(o.name),
    operation: o.name,
    title: o.summary,
    description:
      `${o.description} (service runner operation ${o.name}; effect ${o.effect}; review ${o.review}` +
      `${o.gate ? `; gate ${o.gate}` : ''}). Refusals are { error: { code, message, details } } with details.policy_reason_code for a denial, details.failure_reason_code for a failure.` +
      (o.support.kind === 'unsupported' ? ` Unsupported: ${o.support.reason}` : ''),
    // New objects over the same shapes: without the OpenAPI component id, so the tool's
    // JSON Schema is the object itself (MCP wants `type: object` at the top), not a $ref.
    inputSchema: z.strictObject(o.input.shape),
    outputSchema: z.object(o.output.shape),
    annotations: { readOnlyHint: o.effect === 'read', destructiveHint: false, idempotentHint: o.effect === 'read' || o.effect === 'artifact', openWorldHint: o.gate === 'memory-store' },
  }));
}
