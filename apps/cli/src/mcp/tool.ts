import type { McpServer, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { NextList } from '@govern/graph';
import type { Workspace } from '@govern/workspace';
import type { CommandContext } from '../context.js';
import { errorResult, ok } from './results.js';

/** What every tool gets: the context the commands use, and the workspace as the files are now. */
export interface ToolContext {
  /** The CLI's context with stdout redirected to stderr: stdout belongs to the protocol. */
  ctx: CommandContext;
  /** The repository root (absolute), resolved once when the server starts. */
  root: string;
  /**
   * The workspace as the files are now: loaded on the first call, then kept by a
   * long-lived engine that applies what changed since the last call (live.ts).
   */
  open(): Promise<Workspace>;
  /** After a write: brings the engine up to date (the files written, relative to the root or absolute, when known). */
  changed(files?: readonly string[]): Promise<unknown>;
  /**
   * The `next` tool's answer per graph index, computed from the previous one after an
   * edit (@govern/graph `NextList`): one per server, as its workspace is.
   */
  next: NextList;
  /** Writes a line to stderr. */
  log(s: string): void;
  /** The tool calls running now; the server waits for them before it exits. */
  running: Set<Promise<unknown>>;
}

/** The request's extras as the SDK passes them to a tool (cancellation signal, progress token, notifications). */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A tool's declaration: input and output zod objects, descriptions, hints for the client. */
export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
}

/**
 * Registers a tool whose body returns the success value or throws: the value
 * becomes structuredContent plus the same JSON as text, and whatever was thrown
 * becomes `{ error: { code, message, details } }` with isError, never a stack.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  server: McpServer,
  tc: ToolContext,
  name: string,
  spec: ToolSpec<I, O>,
  run: (args: z.output<I>, extra: ToolExtra) => Promise<Record<string, unknown>>,
): void {
  const callback = async (args: z.output<I>, extra: ToolExtra): Promise<CallToolResult> => {
    const call = run(args, extra);
    tc.running.add(call);
    try {
      return ok(await call);
    } catch (err) {
      return errorResult(err, tc.log);
    } finally {
      tc.running.delete(call);
    }
  };
  // The SDK parses args with the input schema, so they are z.output<I>; its ToolCallback<I>
  // says the same through a conditional type TypeScript cannot resolve for a generic I.
  // Unknown keys are refused (the SDK validates with this schema and lists it with
  // additionalProperties: false): an agent's typo must not silently mean "no filter".
  server.registerTool(name, { ...spec, inputSchema: spec.inputSchema.strict() as unknown as I }, callback as unknown as ToolCallback<I>);
}
