import { MemoryApiError, NS_PER_MS, type RetentionPolicy, type RetentionRequest, type RetentionResult } from '@govern/memory-store';
import type { MemorydStore } from './store-thread.js';

/**
 * memoryd's retention: the configured policy applied at start and every
 * `intervalMs`, and on request (POST /v1/memory/retention, which may pass its
 * own limits). Runs never overlap; each is audited by the store.
 */
export class RetentionScheduler {
  lastRun: RetentionResult | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionResult> | null = null;

  constructor(
    private readonly store: MemorydStore,
    readonly policy: RetentionPolicy | null,
    readonly intervalMs: number | null,
    private readonly log: (line: string) => void,
  ) {}

  /** Applies the configured policy now and then every interval (the timer does not keep the process alive). */
  start(): void {
    if (!this.policy || !this.intervalMs || this.timer) return;
    const tick = () => void this.run({ dryRun: false }, 'memoryd').catch((err: Error) => this.log(`memoryd: retention failed: ${err.message}`));
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  /** One run: the request's limits, else the configured policy. Waits for a run in progress first. */
  async run(req: Pick<RetentionRequest, 'maxAgeMs' | 'maxBytes' | 'dryRun'>, actor: string): Promise<RetentionResult> {
    const given = { ...(req.maxAgeMs !== undefined ? { maxAgeMs: req.maxAgeMs } : {}), ...(req.maxBytes !== undefined ? { maxBytes: req.maxBytes } : {}) };
    const policy = Object.keys(given).length ? given : this.policy;
    if (!policy) throw new MemoryApiError('invalid-request', 'no retention policy: pass maxAgeMs or maxBytes, or start memoryd with --retain-age/--retain-bytes', {});
    while (this.running) await this.running.catch(() => undefined);
    const run = this.store.retention(policy, { nowNs: BigInt(Date.now()) * NS_PER_MS, actor, dryRun: req.dryRun });
    this.running = run;
    try {
      const r = await run;
      if (r.outcome !== 'dry-run') this.lastRun = r;
      if (r.outcome === 'applied') this.log(`memoryd: retention (${r.reason}) deleted ${r.deleted.task_facts} task facts in ${r.durationMs} ms`);
      return r;
    } finally {
      this.running = null;
    }
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
