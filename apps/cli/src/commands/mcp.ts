import { resolveRoot, writeJson, type CommandContext } from '../context.js';

export interface McpOptions {
  root?: string;
  cache?: boolean;
  /** Print the tools this server would serve (a Markdown list, or JSON with `--json`) and exit. */
  listTools?: boolean;
  json?: boolean;
}

/**
 * `govern mcp`: an MCP server over stdio for agents, until the client closes
 * stdin (exit 0); with `--list-tools`, the tools it would serve, printed, and exit. Stdout carries only the protocol; the one log line and any
 * internal error go to stderr. A bad `--root` is a usage error before serving.
 */
export async function mcpCommand(ctx: CommandContext, opts: McpOptions): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  // Imported here rather than at the top: in the bundle, the SDK's modules are then
  // initialized only when `govern mcp` runs, not on every other command.
  const { createGovernMcpServer, serveStdio } = await import('../mcp/server.js');
  const log = (s: string) => void ctx.stderr.write(s);
  const mcp = createGovernMcpServer(ctx, { root, cache: opts.cache !== false });
  if (opts.listTools) {
    const { listServedTools, toolsMarkdown } = await import('../mcp/tool-list.js');
    const tools = await listServedTools(mcp);
    if (opts.json) writeJson(ctx, { tools: tools.map((t) => ({ name: t.name, title: t.title ?? null, readOnly: t.annotations?.readOnlyHint === true })) });
    else ctx.stdout.write(`${toolsMarkdown(tools)}\n`);
    return 0;
  }
  log(`govern mcp: serving ${root} over stdio\n`);
  await serveStdio(mcp, log);
  return 0;
}
