import { spawn } from 'node:child_process';
import { ALERT_NAMES, type AlertName, type AlertState } from '@govern/memory-store';

/**
 * Alert hooks. Every `intervalMs` memoryd samples its ingest lag, queued
 * spans and database size; an alert whose value exceeds its threshold
 * *fires*, and *resolves* when it no longer does. Each transition (not each
 * sample) is told to the hooks:
 *
 * - a **command**, run with `/bin/sh -c` (like a git hook): the alert as JSON
 *   on stdin and in `MEMORYD_ALERT_NAME`, `_STATE` (firing|resolved),
 *   `_VALUE`, `_THRESHOLD`; killed after `timeoutMs`;
 * - a **webhook**: the same JSON POSTed, abandoned after `timeoutMs`.
 *
 * A failing hook is logged (its exit code or HTTP status, never the payload
 * beyond the alert itself, which holds only numbers) and not retried: the next
 * transition is told again. GET /health shows the current states.
 */
export interface AlertHooksConfig {
  thresholds: Partial<Record<AlertName, number>>;
  command?: string;
  webhook?: string;
  intervalMs: number;
  timeoutMs: number;
}

/** What a hook receives. */
export interface AlertEvent {
  alert: AlertName;
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  /** When it started firing (ISO 8601); for `resolved`, when the episode began. */
  since: string;
  at: string;
  memoryd: { db: string; url: string };
}

export type AlertSample = Record<AlertName, number>;

export class AlertMonitor {
  private readonly firing = new Map<AlertName, { since: string }>();
  private readonly last = new Map<AlertName, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly hooks = new Set<Promise<void>>();
  private checking: Promise<AlertState[]> | null = null;

  constructor(
    private readonly cfg: AlertHooksConfig,
    private readonly sample: () => Promise<AlertSample>,
    private readonly origin: AlertEvent['memoryd'],
    private readonly log: (line: string) => void,
  ) {}

  /** Samples every interval (the timer does not keep the process alive). */
  start(): void {
    if (this.timer || !Object.keys(this.cfg.thresholds).length) return;
    this.timer = setInterval(() => void this.check().catch((err: Error) => this.log(`memoryd: alert check failed: ${err.message}`)), this.cfg.intervalMs);
    this.timer.unref();
  }

  /** Samples now and tells the hooks about each transition; returns the states. Concurrent calls share one check. */
  check(): Promise<AlertState[]> {
    return (this.checking ??= this.evaluate().finally(() => (this.checking = null)));
  }

  /** The states as of the last check (configured alerts only). */
  states(): AlertState[] {
    return ALERT_NAMES.filter((n) => this.cfg.thresholds[n] !== undefined).map((name) => {
      const f = this.firing.get(name);
      return { name, state: f ? 'firing' : 'ok', value: this.last.get(name) ?? 0, threshold: this.cfg.thresholds[name]!, since: f?.since ?? null };
    });
  }

  /** Stops sampling and waits for running hooks. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking?.catch(() => undefined);
    await Promise.allSettled([...this.hooks]);
  }

  private async evaluate(): Promise<AlertState[]> {
    const values = await this.sample();
    const now = new Date().toISOString();
    for (const name of ALERT_NAMES) {
      const threshold = this.cfg.thresholds[name];
      if (threshold === undefined) continue;
      const value = values[name];
      this.last.set(name, value);
      const was = this.firing.get(name);
      if (value > threshold && !was) {
        this.firing.set(name, { since: now });
        this.tell({ alert: name, state: 'firing', value, threshold, since: now, at: now, memoryd: this.origin });
      } else if (value <= threshold && was) {
        this.firing.delete(name);
        this.tell({ alert: name, state: 'resolved', value, threshold, since: was.since, at: now, memoryd: this.origin });
      }
    }
    return this.states();
  }

  private tell(event: AlertEvent): void {
    this.log(`memoryd: alert ${event.alert} ${event.state} (value ${event.value}, threshold ${event.threshold})`);
    const track = (p: Promise<void>) => {
      this.hooks.add(p);
      void p.finally(() => this.hooks.delete(p));
    };
    if (this.cfg.command) track(this.runCommand(this.cfg.command, event));
    if (this.cfg.webhook) track(this.postWebhook(this.cfg.webhook, event));
  }

  private runCommand(command: string, event: AlertEvent): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: {
          ...process.env,
          MEMORYD_ALERT_NAME: event.alert,
          MEMORYD_ALERT_STATE: event.state,
          MEMORYD_ALERT_VALUE: String(event.value),
          MEMORYD_ALERT_THRESHOLD: String(event.threshold),
        },
        timeout: this.cfg.timeoutMs,
      });
      child.on('error', (err) => {
        this.log(`memoryd: alert command could not run: ${err.message}`);
        resolve();
      });
      child.on('close', (code, signal) => {
        if (code !== 0) this.log(`memoryd: alert command ended with ${signal ?? `exit ${code}`}`);
        resolve();
      });
      child.stderr.resume();
      child.stdin.on('error', () => undefined); // a command that does not read its input
      child.stdin.end(`${JSON.stringify(event)}\n`);
    });
  }

  private async postWebhook(url: string, event: AlertEvent): Promise<void> {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal: AbortSignal.timeout(this.cfg.timeoutMs) });
      await res.arrayBuffer();
      if (!res.ok) this.log(`memoryd: alert webhook answered ${res.status}`);
    } catch (err) {
      this.log(`memoryd: alert webhook failed: ${(err as Error).message}`);
    }
  }
}
