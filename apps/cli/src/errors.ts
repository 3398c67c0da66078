import { errorBody, exitCodeOf, GovernError, isGovernError, type ExitCode } from '@govern/errors';
import { isGateError } from '@govern/gates';
import { writeJson, type CommandContext } from './context.js';

/** Where an error goes: `--json` or not, and the prefix of the line on stderr. */
export interface ErrorOutput {
  /** `--json`: the error object on stdout. */
  json?: boolean | undefined;
  /** What starts the line on stderr (default `govern`): `govern memory`, `govern: statehub`. */
  prefix?: string | undefined;
}

/**
 * The CLI's one error renderer (docs/cli-contract.md#exit-codes). Every command and
 * `runCli` print errors through it, so a refusal looks the same whichever command
 * (or library) raised it:
 *
 * - a `GovernError` (a refusal: `WriteError`, `GitHubError`, `StateHubError`,
 *   `HistoryError`, the gate errors, memoryd's…): with `--json`,
 *   `{ "error": { code, message, details } }` on stdout; otherwise one paragraph on
 *   stderr, `<prefix>: <message> [<code>]`, plus `  note: <details.note>` when the
 *   error carries one. Gate errors leave out the `[code]`: their message is the whole
 *   explanation (the same paragraph `govern gates` and memoryd print);
 * - a usage error (code `usage`, exit 2): its message on stderr, `<prefix>: <message>`,
 *   and with `--json` also `{ "error": { "code": "usage", message, details } }` on stdout
 *   (as `runCli` does for commander's own usage errors), so an agent that parses stdout
 *   learns why it got nothing else;
 * - anything else is a bug: `<prefix>: internal error: <stack>` on stderr and, with
 *   `--json`, `{ "error": { "code": "internal-error", message, details: {} } }` on
 *   stdout; exit 3.
 *
 * Returns the exit code, `exitCodeOf(err)`: the error's own (1 refused, 2 usage), 3
 * for an internal error.
 */
export function renderError(ctx: CommandContext, err: unknown, out: ErrorOutput = {}): ExitCode {
  const prefix = out.prefix ?? 'govern';
  if (!isGovernError(err)) {
    if (out.json) writeJson(ctx, errorBody(err));
    ctx.stderr.write(`${prefix}: internal error: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
  } else if (err.code === 'usage') {
    if (out.json) writeJson(ctx, errorBody(err));
    ctx.stderr.write(`${prefix}: ${err.message}\n`);
  } else if (out.json) writeJson(ctx, errorBody(err));
  else ctx.stderr.write(paragraph(err, prefix));
  return exitCodeOf(err);
}

/**
 * For a command's `catch` around its library call: renders a refusal (a `GovernError`)
 * and returns its exit code; anything else is rethrown to `runCli`, which records it on
 * the run span and renders it as an internal error. (A refusal thrown inside a stage
 * span is already recorded on that span, so the command renders it itself.)
 */
export function renderRefusal(ctx: CommandContext, opts: { json?: boolean | undefined }, err: unknown, prefix?: string): number {
  if (!isGovernError(err)) throw err;
  return renderError(ctx, err, { json: opts.json, prefix });
}

/** `item-not-found` for a read (`task show`, the MCP `item` tool); writes throw the `WriteError` of that code. */
export function itemNotFound(id: string): GovernError<'item-not-found'> {
  return new GovernError('item-not-found', `no item ${id}`, { details: { item: id } });
}

function paragraph(err: GovernError, prefix: string): string {
  let text = `${prefix}: ${err.message}${isGateError(err) ? '' : ` [${err.code}]`}\n`;
  const note = err.details.note;
  if (typeof note === 'string') text += `  note: ${note}\n`;
  return text;
}
