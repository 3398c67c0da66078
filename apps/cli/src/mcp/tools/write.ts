import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { z } from 'zod';
import { closeItem } from '@govern/closure';
import { defaultActor, setStatus, type SetStatusResultSchema } from '@govern/write';
import { VERSION } from '../../version.js';
import { CloseInput, CloseOutput, SetStatusInput, SetStatusOutput } from '../schemas.js';
import { defineTool, type ToolContext, type ToolExtra } from '../tool.js';

/** `set_status` and `close`: the library write paths the CLI uses, recorded as `via: mcp`. */
export function registerWriteTools(server: McpServer, tc: ToolContext): void {
  defineTool(
    server,
    tc,
    'set_status',
    {
      title: 'Set an item status',
      description:
        "Changes only the status token of one item in its Markdown file: locked, atomic, checked against the profile's lifecycle rules " +
        "(dependencies done, allowed transitions; done only through close) and recorded in the audit log. Pass item's fileHash as expect " +
        'so a file changed since you read it is refused (code conflict) instead of overwritten. Refusals come back as { error: { code, message, details } }.',
      inputSchema: SetStatusInput,
      outputSchema: SetStatusOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const ws = await tc.open();
      const r = await setStatus({
        root: ws.root,
        id: args.id,
        status: args.status,
        workspace: ws,
        ...(args.expect !== undefined ? { expect: args.expect } : {}),
        force: args.force,
        ...(args.reason !== undefined ? { reason: args.reason } : {}),
        actor: defaultActor(tc.ctx.env),
        via: 'mcp',
      });
      // The library's type fits its schema (checked here at compile time; schemas.test.ts checks the fields).
      return { ...r } satisfies z.input<typeof SetStatusResultSchema>;
    },
  );

  defineTool(
    server,
    tc,
    'close',
    {
      title: 'Close an item with evidence',
      description:
        "Runs the item's checks from the repository root, records an evidence manifest in its evidence root, and sets it done only if every " +
        'check passed and every criterion is verified (a tied check, a closed item, a ticked box, or signOff). passed: false lists every failure; the status is then unchanged and the attempt ' +
        'is still recorded. Checks may take minutes; progress notifications are sent when the request carries a progressToken.',
      inputSchema: CloseInput,
      outputSchema: CloseOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args, extra) => {
      const ws = await tc.open();
      const r = await closeItem({
        root: ws.root,
        id: args.id,
        workspace: ws,
        ...(args.timeoutSeconds !== undefined ? { checkTimeoutMs: args.timeoutSeconds * 1000 } : {}),
        force: args.force,
        ...(args.signOff !== undefined ? { signOff: args.signOff } : {}),
        ...(args.reason !== undefined ? { reason: args.reason } : {}),
        actor: defaultActor(tc.ctx.env),
        via: 'mcp',
        toolVersion: VERSION,
        env: tc.ctx.env,
        onCheck: progress(extra),
      });
      return { ...r };
    },
  );
}

/** MCP progress notifications for the checks of a close, when the client asked for them. */
function progress(extra: ToolExtra): Parameters<typeof closeItem>[0]['onCheck'] {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  return (e) => {
    const message = e.result ? `${e.command}: exit ${e.result.exitCode}` : `running ${e.command}`;
    // A lost notification must not fail the closure it reports on.
    extra
      .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: e.index + (e.result ? 1 : 0), total: e.total, message } })
      .catch(() => undefined);
  };
}
