/** What {@link runService} runs: anything started that can be closed (a node:http service and what it holds). */
export interface RunnableService {
  /** Stops serving and releases what the service holds; called once, after the stop. */
  close(): Promise<void>;
}

export interface RunServiceOptions<S extends RunnableService> {
  /** Binds and starts the service; it cleans up after itself when it throws. */
  start: () => Promise<S>;
  /**
   * Says the service is up (the listening line). Called once the stop signals are
   * handled: a supervisor may stop the service as soon as it reads that line, and
   * that must be the clean stop, not the default kill.
   */
  ready: (service: S) => void | Promise<void>;
  /** Stops the service too when it resolves (in-process callers and tests). */
  stop?: Promise<unknown>;
  /** The signals that stop it; default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
  /**
   * Errors of `start` that mean "cannot serve here" (beside an address in use or not
   * allowed: EADDRINUSE, EACCES), e.g. a database another process holds.
   */
  unavailable?: (err: unknown) => boolean;
}

export type RunServiceResult<S> =
  /** Served until stopped, then closed. `signal`: what stopped it, absent when `stop` did. */
  | { status: 'stopped'; service: S; signal?: NodeJS.Signals }
  /** Could not start (an address in use or not allowed, or `unavailable`): nothing is listening. */
  | { status: 'unavailable'; error: Error };

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** An error of binding a port (in use, or not allowed), which a caller reports rather than crashes on. */
export function isListenFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

/**
 * A long-running service's life: starts it, handles SIGINT/SIGTERM (and `stop`),
 * says it is ready, serves until stopped, then closes it and removes the signal
 * handlers. An error of `start` that means it cannot listen comes back as
 * `unavailable`; any other (an unsafe bind, a bug) is thrown, with nothing left
 * listening. `govern serve` and `govern statehub serve` run through this one
 * function, so both start, refuse and stop the same way.
 */
export async function runService<S extends RunnableService>(opts: RunServiceOptions<S>): Promise<RunServiceResult<S>> {
  let service: S;
  try {
    service = await opts.start();
  } catch (err) {
    if (isListenFailure(err) || opts.unavailable?.(err)) return { status: 'unavailable', error: err as Error };
    throw err;
  }
  const signals = opts.signals ?? DEFAULT_SIGNALS;
  let stoppedBy: NodeJS.Signals | undefined;
  let dispose = () => {};
  const stopped = new Promise<void>((resolve) => {
    const handlers = signals.map((s) => [s, () => ((stoppedBy = s), done())] as const);
    const done = () => {
      dispose();
      resolve();
    };
    dispose = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    for (const [s, h] of handlers) process.once(s, h);
    void opts.stop?.then(done);
  });
  try {
    await opts.ready(service);
    await stopped;
  } finally {
    dispose();
    await service.close();
  }
  return stoppedBy ? { status: 'stopped', service, signal: stoppedBy } : { status: 'stopped', service };
}
