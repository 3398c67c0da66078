import { WriteError } from '@govern/write';
import { writeJson, type CommandContext, type CommonOptions } from '../context.js';

/**
 * A refused or failed write as the agents' contract renders it: `{ error:
 * { code, message, details } }` on stdout with --json, one line on stderr
 * otherwise; exit 1. Anything else is rethrown (an internal error).
 */
export function reportWriteError(ctx: CommandContext, opts: CommonOptions, err: unknown): number {
  if (!(err instanceof WriteError)) throw err;
  if (opts.json) writeJson(ctx, { error: err.toJSON() });
  else {
    ctx.stderr.write(`govern: ${err.message} [${err.code}]\n`);
    const note = err.details.note;
    if (typeof note === 'string') ctx.stderr.write(`  note: ${note}\n`);
  }
  return 1;
}
