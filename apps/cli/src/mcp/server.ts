import type { Readable, Writable } from 'node:stream';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { workspaceLoadOptions, type CommandContext } from '../context.js';
import { VERSION } from '../version.js';
import { GovernError } from '@govern/errors';
import { MEMORYD_URL_ENV } from '@govern/memory-contract';
import { NextList } from '@govern/graph';
import { LiveWorkspace } from '@govern/workspace';
import { errorResult } from './results.js';
import { LineTransport } from './stdio.js';
import type { ToolContext } from './tool.js';
import { registerMemoryTools } from './tools/memory.js';
import { registerBinderTools } from './tools/binder.js';
import { registerReadTools } from './tools/read.js';
import { registerReportTools } from './tools/report.js';
import { registerWriteTools } from './tools/write.js';
// service-runner hook (GV-WP-0012-T04): the SERVICE_OPERATIONS tools, see service-tools.ts.
import { registerServiceTools } from './service-tools.js';

/** Where the server reads: the repository root (absolute) and whether the parse cache is used. */
export interface GovernMcpOptions {
  root: string;
  /** `false` (`--no-cache`): never read or write `<root>/.govern/cache`. */
  cache: boolean;
  /** Watch the document folders between calls (default true); each call checks what changed either way. */
  watch?: boolean;
}

const INSTRUCTIONS = `govern reads the repository's Markdown workplans and trackers into a milestone graph.
Read with next (what to work on), graph (filtered, paged) and item (one item in full, with fileHash); explain says how one document is read and why something in it is not tracked.
Write with set_status (pass item's fileHash as expect) and close (runs the item's checks; the only way to done). Change a plan with add_task, edit_acceptance and add_dependency (expect and dryRun too): never edit the Markdown by hand.
gates says which libraries the milestones enable; audit checks done claims against evidence; audit_log lists every write.
binder_* tools read the binder (.govern/binder/binder.duckdb): status, capsules with eligibility, suggestions per rollout mode, quarantine, query primitives.
Lists are paged: pass nextOffset as offset, or nextCursor as cursor (audit_log, memory_*). Refusals are { error: { code, message, details } } with isError.`;

/** What the instructions say about memoryd, served or not. */
const MEMORY_SERVED =
  'memory_* tools read memoryd (GOVERN_MEMORYD_URL, GOVERN_MEMORYD_TOKEN): recent failures, gate rollup, guard denials, spans of any service and one trace (bounded time windows), annotations, health, audit.';
const MEMORY_NOT_SERVED = 'memory_* tools (memoryd) are not served: GOVERN_MEMORYD_URL is not set in the environment govern mcp was started with.';

/** Whether memoryd is configured for this server: the memory_* tools are listed only then. */
export function memorydConfigured(env: Record<string, string | undefined>): boolean {
  return Boolean(env[MEMORYD_URL_ENV]?.trim());
}

/** The server and a way to wait for the tool calls it is running. */
export interface GovernMcp {
  server: McpServer;
  /** Resolves when no tool call is running (a close may run checks for minutes). */
  idle(): Promise<void>;
  /** Stops watching the files (the server itself is closed by its transport). */
  close(): void;
}

/**
 * The MCP server over the same library functions the CLI commands call. The
 * workspace is loaded on the first tool call and kept by one long-lived engine;
 * each later call first applies the files changed since (watched, and verified by
 * a stat of every document per call), so the answers follow the files as they are
 * now, edited by hand, by the CLI or by another agent, at the cost of what changed.
 */
export function createGovernMcpServer(ctx: CommandContext, opts: GovernMcpOptions): GovernMcp {
  const log = (s: string) => void ctx.stderr.write(s);
  // Library code never prints, but a stray write to the context's stdout would
  // corrupt the JSON-RPC stream: send it to stderr instead.
  const quiet: CommandContext = { ...ctx, stdout: { write: (s: string | Uint8Array) => log(typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), isTTY: false } };
  const running = new Set<Promise<unknown>>();
  const live = new LiveWorkspace({
    load: workspaceLoadOptions(quiet, opts.root, opts.cache === false || ctx.env.GOVERN_NO_CACHE === '1'),
    ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
    name: 'govern mcp',
    log,
  });
  const tc: ToolContext = { ctx: quiet, root: opts.root, open: () => live.current(), changed: (files) => live.changed(files), next: new NextList(), log, running };
  const memory = memorydConfigured(ctx.env);
  const server = new McpServer({ name: 'govern', version: VERSION }, { instructions: `${INSTRUCTIONS}\n${memory ? MEMORY_SERVED : MEMORY_NOT_SERVED}` });
  registerReadTools(server, tc);
  registerWriteTools(server, tc);
  registerReportTools(server, tc);
  // Listed only when memoryd is configured: a tool that can only answer memoryd-unavailable is noise to an agent.
  if (memory) registerMemoryTools(server, tc);
  registerBinderTools(server, tc);
  registerServiceTools(server, tc); // service-runner hook (GV-WP-0012-T04)
  structureSdkErrors(server, log);
  const idle = async () => {
    while (running.size) await Promise.allSettled([...running]);
  };
  return { server, idle, close: () => live.close() };
}

/**
 * The SDK answers a call it refuses before any tool runs (arguments that fail the
 * input schema, an unknown tool name) with a plain-text error result, which its
 * private `createToolError` builds. Replacing that on this instance gives those
 * refusals the same `{ error: { code, message, details } }` shape as every other
 * error. If a later SDK renames the method, the SDK's plain text comes back (the
 * MCP tests check the structured form, so the upgrade would show it).
 */
function structureSdkErrors(server: McpServer, log: (s: string) => void): void {
  const target = server as unknown as { createToolError?: (message: string) => CallToolResult };
  if (typeof target.createToolError !== 'function') return;
  target.createToolError = (message: string) => {
    const code = /Input validation error/.test(message) ? 'invalid-arguments' : /Tool .* not found/.test(message) ? 'tool-not-found' : 'internal-error';
    return errorResult(new GovernError(code, message.replace(/^MCP error -?\d+: /, '')), log);
  };
}

/**
 * Serves over stdio until the client closes stdin. The transport is our own
 * {@link LineTransport}: an oversized or malformed line is answered with a
 * JSON-RPC error and the session goes on (the SDK's closes on the first line over
 * its buffer limit). It does not watch for the end of its input, so that is done
 * here: a client that goes away ends the process, after the tool calls already received have finished
 * (a client may write its requests and close stdin at once; and a close that is
 * running checks should still record its result).
 */
export async function serveStdio(mcp: GovernMcp, log: (s: string) => void, stdin: Readable = process.stdin, stdout: Writable = process.stdout): Promise<void> {
  const { server } = mcp;
  const transport = new LineTransport(stdin, stdout);
  transport.onerror = (err) => log(`govern mcp: ${err.message}\n`);
  // A client that went away before its answer was written is not a crash.
  const onStdoutError = (err: Error) => log(`govern mcp: cannot write to the client: ${err.message}\n`);
  stdout.on('error', onStdoutError);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  await server.connect(transport);
  // Requests read with the last chunk start within the microtasks that follow, and an
  // answer is written within those that follow its tool call: a macrotask later each
  // has happened (stdout on a pipe is written synchronously).
  const later = (fn: () => unknown) => setImmediate(() => void fn());
  const end = () => later(() => mcp.idle().then(() => later(() => server.close())));
  stdin.once('end', end);
  await closed;
  mcp.close();
  stdin.off('end', end);
  stdout.off('error', onStdoutError);
}
