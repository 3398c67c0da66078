import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { z } from 'zod';
import { closeItem } from '@govern/closure';
import { GovernError } from '@govern/errors';
import type { CompiledProfile, Status } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import {
  addDependency,
  addTask,
  defaultActor,
  editAcceptance,
  setStatus,
  type DocumentWriteOptions,
  type DocumentWriteResultSchema,
  type SetStatusResultSchema,
} from '@govern/write';
import { readStatusWord } from '../../commands/task.js';
import { VERSION } from '../../version.js';
import { statusWordProblem } from '../../vocabulary.js';
import {
  AddDependencyInput,
  AddTaskInput,
  CloseInput,
  CloseOutput,
  DocumentWriteOutput,
  EditAcceptanceInput,
  SetStatusInput,
  SetStatusOutput,
} from '../schemas.js';
import { defineTool, type ToolContext, type ToolExtra } from '../tool.js';

/** The status word read as `govern task set-status` reads it; the same sentence refuses the same words. */
function statusOf(raw: string, profile: CompiledProfile): Status {
  const s = readStatusWord(raw, profile);
  if (!s) throw new GovernError('invalid-arguments', statusWordProblem(raw), { details: { status: raw } });
  return s;
}

/** The options every structural write tool passes: the served root's workspace, the agent's expect, dry run and reason, `via: mcp`. */
function writeOptions(tc: ToolContext, ws: Workspace, args: { expect?: string | undefined; dryRun: boolean; reason?: string | undefined }): DocumentWriteOptions {
  return {
    root: ws.root,
    workspace: ws,
    ...(args.expect !== undefined ? { expect: args.expect } : {}),
    ...(args.reason !== undefined ? { reason: args.reason } : {}),
    dryRun: args.dryRun,
    actor: defaultActor(tc.ctx.env),
    via: 'mcp',
  };
}

const STRUCTURE_NOTE =
  ' Only the lines that say it change (hunk shows them), in the style the document already uses; the result is re-read before it is written, under the ' +
  "file's lock, atomically, and audited. Pass item's fileHash as expect; dryRun answers the change without writing. Refusals are { error: { code, message, details } }.";

/**
 * `set_status` and `close`: the library write paths the CLI uses, recorded as `via: mcp`.
 * After each write the long-lived engine is brought up to date (`tc.changed`), so the
 * next read answers from the written files without finding them first.
 */
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
        status: statusOf(args.status, ws.profile),
        workspace: ws,
        ...(args.expect !== undefined ? { expect: args.expect } : {}),
        force: args.force,
        ...(args.reason !== undefined ? { reason: args.reason } : {}),
        actor: defaultActor(tc.ctx.env),
        via: 'mcp',
      });
      // The library's type fits its schema (checked here at compile time; schemas.test.ts checks the fields).
      await tc.changed();
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
      await tc.changed();
      return { ...r };
    },
  );

  const structure = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;
  defineTool(
    server,
    tc,
    'add_task',
    {
      title: 'Add a task to a workplan',
      description:
        "Adds a task section after the workplan's last task (heading, id, status, priority, depends_on, evidence_root, checks, an Acceptance list), " +
        'in the style of that task. Refused: an id already taken (duplicate-id), a dependency no item has (dependency-unknown, unless force), done (closure-required).' +
        STRUCTURE_NOTE,
      inputSchema: AddTaskInput,
      outputSchema: DocumentWriteOutput,
      annotations: structure,
    },
    async (args) => {
      const ws = await tc.open();
      const r = await addTask({
        ...writeOptions(tc, ws, args),
        workplan: args.workplan,
        title: args.title,
        ...(args.id !== undefined ? { id: args.id } : {}),
        ...(args.localId !== undefined ? { localId: args.localId } : {}),
        ...(args.status !== undefined ? { status: statusOf(args.status, ws.profile) } : {}),
        ...(args.priority !== undefined ? { priority: args.priority } : {}),
        ...(args.dependsOn !== undefined ? { dependsOn: args.dependsOn } : {}),
        ...(args.acceptance !== undefined ? { acceptance: args.acceptance } : {}),
        ...(args.checks !== undefined ? { checks: args.checks } : {}),
        ...(args.evidenceRoot !== undefined ? { evidenceRoot: args.evidenceRoot } : {}),
        force: args.force,
      });
      await tc.changed();
      return { ...r } satisfies z.input<typeof DocumentWriteResultSchema>;
    },
  );

  defineTool(
    server,
    tc,
    'edit_acceptance',
    {
      title: "Edit an item's acceptance criteria",
      description:
        "Adds criteria after the last one, removes criteria (with the lines under them) and rewords one-line criteria, by their number in item's node.criteria " +
        '(1-based). A task without criteria gets an Acceptance list. Refused: a number out of range (criterion-not-found), a multi-line bullet (unsupported-form).' +
        STRUCTURE_NOTE,
      inputSchema: EditAcceptanceInput,
      outputSchema: DocumentWriteOutput,
      annotations: structure,
    },
    async (args) => {
      const ws = await tc.open();
      const r = await editAcceptance({
        ...writeOptions(tc, ws, args),
        id: args.id,
        ...(args.add !== undefined ? { add: args.add } : {}),
        ...(args.remove !== undefined ? { remove: args.remove } : {}),
        ...(args.replace !== undefined ? { replace: args.replace } : {}),
      });
      await tc.changed();
      return { ...r };
    },
  );

  defineTool(
    server,
    tc,
    'add_dependency',
    {
      title: 'Add a dependency',
      description:
        "Makes an item depend on another: its depends_on (task metadata or a workplan's front matter) or a tracker's Depends On cell that already names one. " +
        'Already there: changed false, nothing written. Refused: a cycle (dependency-cycle), an unknown item (dependency-unknown, unless force).' +
        STRUCTURE_NOTE,
      inputSchema: AddDependencyInput,
      outputSchema: DocumentWriteOutput,
      annotations: { ...structure, idempotentHint: true },
    },
    async (args) => {
      const ws = await tc.open();
      const r = await addDependency({ ...writeOptions(tc, ws, args), id: args.id, dependsOn: args.dependsOn, force: args.force });
      await tc.changed();
      return { ...r };
    },
  );
}

/**
 * MCP progress notifications for the checks of a close, when the client asked for
 * them. The protocol requires progress to increase with every notification, so each
 * check counts twice: its start (2i + 1) and its end (2i + 2) of 2 × checks; a
 * notification that would not increase (an event repeated) is not sent.
 */
export function progress(extra: Pick<ToolExtra, '_meta' | 'sendNotification'>): Parameters<typeof closeItem>[0]['onCheck'] {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let last = 0;
  return (e) => {
    const value = 2 * e.index + (e.result ? 2 : 1);
    if (value <= last) return;
    last = value;
    const message = e.result ? `${e.command}: exit ${e.result.exitCode}` : `running ${e.command}`;
    // A lost notification must not fail the closure it reports on.
    extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: value, total: 2 * e.total, message } }).catch(() => undefined);
  };
}
