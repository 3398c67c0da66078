import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HealthResponseSchema } from '@govern/memory-store';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from './alerts.js';
import { parseBytes, parseDuration } from './config.js';
import { startMemoryd } from './daemon.js';
import { numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

// Alert hooks against a real webhook receiver on 127.0.0.1 and a real shell command
// writing a file.

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-alerts-'));
  dirs.push(d);
  return d;
}

/** A webhook receiver: every POSTed JSON body, in order. */
async function webhook(): Promise<{ url: string; events: AlertEvent[]; next(n: number): Promise<AlertEvent[]> }> {
  const events: AlertEvent[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      events.push(JSON.parse(body) as AlertEvent);
      res.writeHead(204).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    async next(n) {
      const deadline = Date.now() + 10_000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} webhook calls, got ${events.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return events.slice(0, n);
    },
  };
}

async function fileLines(file: string, n: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // Complete lines only: the hook command writes a line in two steps (printf, then cat),
    // and a read between them saw half a line (a flaky failure under load).
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
    if (lines.length >= n) return lines;
    if (Date.now() > deadline) throw new Error(`expected ${n} lines in ${file}, got ${lines.length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('alert hooks', () => {
  it('a threshold crossed on the timer fires the webhook and the command once, not on every check', async () => {
    const dir = tempDir();
    const hook = await webhook();
    const out = path.join(dir, 'alerts.log');
    const d = await startMemoryd({
      db: path.join(dir, 'memory.duckdb'),
      port: 0,
      alerts: { databaseBytes: 1, webhook: hook.url, command: `printf '%s %s ' "$MEMORYD_ALERT_NAME" "$MEMORYD_ALERT_STATE" >> '${out}'; cat >> '${out}'`, intervalMs: 50 },
    });
    closers.push(() => d.stop());
    const [event] = await hook.next(1);
    expect(event).toEqual({
      alert: 'database_bytes',
      state: 'firing',
      value: expect.any(Number),
      threshold: 1,
      since: expect.any(String),
      at: event!.since,
      memoryd: { db: d.config.db, url: d.url },
    });
    expect(event!.value).toBeGreaterThan(1);
    const [line] = await fileLines(out, 1);
    expect(line!.startsWith('database_bytes firing {')).toBe(true);
    expect(JSON.parse(line!.slice('database_bytes firing '.length))).toEqual(event);
    // More checks, still over the threshold: no new call.
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.events).toHaveLength(1);
    const health = HealthResponseSchema.parse(await d.health());
    expect(health).toMatchObject({ status: 'alerting', alerts: [{ name: 'database_bytes', state: 'firing', threshold: 1, since: event!.since }] });
  });

  it('queued spans over the threshold fire, and resolve once ingest catches up', async () => {
    const dir = tempDir();
    const hook = await webhook();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const d = await startMemoryd(
      { db: path.join(dir, 'memory.duckdb'), port: 0, alerts: { queuedSpans: 10, ingestLagMs: 60_000, webhook: hook.url, intervalMs: 3_600_000 } },
      { beforeCommit: () => held },
    );
    closers.push(() => d.stop());
    const body = protobufPayload(readableSpans({ attributes: { 'service.name': 'govern' } }, numberedSpans(0, 20)));
    expect((await fetch(`${d.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })).status).toBe(200);
    expect(await d.alerts!.check()).toEqual([
      { name: 'ingest_lag_ms', state: 'ok', value: expect.any(Number), threshold: 60_000, since: null },
      { name: 'queued_spans', state: 'firing', value: 20, threshold: 10, since: expect.any(String) },
    ]);
    expect((await d.health()).ingest).toMatchObject({ lagFrames: 1, lagSpans: 20, lastCommitAt: null });
    release();
    await d.idle();
    expect((await d.alerts!.check()).map((a) => [a.name, a.state, a.value])).toEqual([
      ['ingest_lag_ms', 'ok', 0],
      ['queued_spans', 'ok', 0],
    ]);
    expect((await hook.next(2)).map((e) => [e.alert, e.state, e.value])).toEqual([
      ['queued_spans', 'firing', 20],
      ['queued_spans', 'resolved', 0],
    ]);
    expect(hook.events[1]!.since).toBe(hook.events[0]!.since);
  });

  it('a failing hook is logged and does not stop memoryd', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const d = await startMemoryd(
      { db: path.join(dir, 'memory.duckdb'), port: 0, alerts: { databaseBytes: 1, command: 'exit 3', webhook: 'http://127.0.0.1:9/unreachable', intervalMs: 3_600_000 } },
      { log: (l) => logs.push(l) },
    );
    closers.push(() => d.stop());
    await d.alerts!.check();
    await d.alerts!.stop(); // waits for the hooks
    expect(logs.filter((l) => /alert (command|webhook)/.test(l)).sort()).toEqual(['memoryd: alert command ended with exit 3', expect.stringMatching(/^memoryd: alert webhook failed: /)]);
    expect((await d.health()).status).toBe('alerting');
  });
});

describe('flag values', () => {
  it('durations and sizes', () => {
    expect(['30d', '12h', '15m', '10s', '500ms', '5', 'h'].map(parseDuration)).toEqual([2_592_000_000, 43_200_000, 900_000, 10_000, 500, null, null]);
    expect(['2GiB', '500MB', '1048576', '64 KiB', '3x'].map(parseBytes)).toEqual([2 ** 31, 5e8, 1_048_576, 65_536, null]);
  });
});
