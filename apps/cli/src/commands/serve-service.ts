import { InvalidArgumentError } from 'commander';
import { runService, type RunnableService } from '@govern/http-service';
import { UsageError, type CommandContext } from '../context.js';

/** The `--port <n>` of a service command: 0 to 65535, 0 picking a free port. */
export function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535; 0 picks a free one)');
  return n;
}

export interface ServeServiceOptions<S extends RunnableService> {
  /** The command's name in messages: `serve` (`govern: serve: …`), `statehub`. */
  name: string;
  /** Binds and starts the service; undoes what it opened when it throws. */
  start: () => Promise<S>;
  /** Prints the listening line (and the `--json` line); the stop signals are handled by then. */
  ready: (service: S) => void | Promise<void>;
  /** The line on stderr once the service is closed. */
  stoppedLine: string;
  /** Stops the service when it resolves (in-process callers and tests). */
  stop?: Promise<unknown> | undefined;
  /** A refusal of `start` that is the caller's mistake (a non-loopback bind without a token of 32 bytes): a usage error, exit 2. */
  usage: (err: unknown) => boolean;
  /** Errors of `start` that mean it cannot serve here, beside an address in use or not allowed: exit 1. */
  unavailable?: (err: unknown) => boolean;
}

/**
 * The start-up and stop of the CLI's long-running services (`govern serve`,
 * `govern statehub serve`), around @govern/http-service's `runService`: a usage
 * refusal (unsafe bind) throws a usage error before anything listens (exit 2);
 * an address in use or not allowed prints `govern: <name>: <message>` and exits 1;
 * otherwise it serves until SIGINT/SIGTERM (or `stop`), closes, prints the stopped
 * line and exits 0.
 */
export async function serveService<S extends RunnableService>(ctx: CommandContext, opts: ServeServiceOptions<S>): Promise<number> {
  let result;
  try {
    result = await runService({
      start: opts.start,
      ready: opts.ready,
      ...(opts.stop ? { stop: opts.stop } : {}),
      ...(opts.unavailable ? { unavailable: opts.unavailable } : {}),
    });
  } catch (err) {
    if (opts.usage(err)) throw new UsageError((err as Error).message);
    throw err;
  }
  if (result.status === 'unavailable') {
    ctx.stderr.write(`govern: ${opts.name}: ${result.error.message}\n`);
    return 1;
  }
  ctx.stderr.write(`${opts.stoppedLine}\n`);
  return 0;
}
