import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createServiceRunner, serviceToolSpecs, type ServiceRunner } from '@govern/service-runner';
import { VERSION } from '../version.js';
import { defineTool, type ToolContext } from './tool.js';

/**
 * The service runner's operations as MCP tools (`service_graph_query`,
 * `service_lifecycle_apply`, …; `serviceToolSpecs` of @govern/service-runner):
 * each tool's schemas are the operation's zod input and output, and a call is
 * `runner.run(operation, args, { via: 'mcp' })` on one runner over the served
 * root, so it is gated, reviewed and audited exactly as a library or HTTP call.
 * The runner is opened at the first call and keeps the audit in the file-store
 * pack under `<root>/.govern/adapters/file-store/`.
 */
export function registerServiceTools(server: McpServer, tc: ToolContext): { runner(): ServiceRunner } {
  let runner: ServiceRunner | null = null;
  const get = () => (runner ??= createServiceRunner({ root: tc.root, env: tc.ctx.env, toolVersion: VERSION }));
  for (const spec of serviceToolSpecs()) {
    defineTool(
      server,
      tc,
      spec.tool,
      { title: spec.title, description: spec.description, inputSchema: spec.inputSchema, outputSchema: spec.outputSchema, annotations: spec.annotations },
      (args) => get().run(spec.operation, args, { via: 'mcp' }),
    );
  }
  return { runner: get };
}
