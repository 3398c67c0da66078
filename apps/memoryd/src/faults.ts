/**
 * Fault injection for memoryd's kill test, from the environment:
 * MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS=<ms> prints `{"event":"before-commit"}`
 * on stdout inside a batch's transaction, just before COMMIT, and waits that
 * long (the window in which the test SIGKILLs the process);
 * MEMORYD_FAULT_SKIP_BATCHES=<n> lets the first n batches commit normally.
 * Null when not asked for. Used by whichever thread owns the store.
 */
export function faultBeforeCommit(env: NodeJS.ProcessEnv): (() => Promise<void>) | null {
  const pauseMs = Number(env.MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS ?? 0);
  if (!(pauseMs > 0)) return null;
  let unpaused = Number(env.MEMORYD_FAULT_SKIP_BATCHES ?? 0);
  return async () => {
    if (unpaused-- > 0) return;
    process.stdout.write(`${JSON.stringify({ event: 'before-commit' })}\n`);
    await new Promise((r) => setTimeout(r, pauseMs));
  };
}
