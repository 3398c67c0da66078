import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { QueryResponseSchema, type RecentFailureRow, type SpanRow } from '@govern/memory-contract';
import { startMemoryd, type Memoryd, type MemorydHooks } from '@govern/memoryd';
import { afterAll, describe, expect, test } from 'vitest';
import { MEMORY_BASE_MS, memoryOtlpJson, runCaptured, tempRoot } from './support.js';

// `govern memory health|query` against a real memoryd (real DuckDB file) on 127.0.0.1.

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});
async function memoryd(token?: string, beforeStart?: (db: string) => Promise<void>, extra: { degradedLagMs?: number; hooks?: MemorydHooks } = {}): Promise<Memoryd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-memoryd-'));
  await beforeStart?.(path.join(dir, 'memory.duckdb'));
  const config = { db: path.join(dir, 'memory.duckdb'), port: 0, ...(token ? { token } : {}), ...(extra.degradedLagMs ? { degradedLagMs: extra.degradedLagMs } : {}) };
  const d = await startMemoryd(config, extra.hooks);
  closers.push(async () => {
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return d;
}

/**
 * One spool frame, written by hand as the layout in libs/memory-store/src/spool.ts
 * documents it (magic, length, seq, kind, CRC-32, payload): the CLI's tests reach the
 * engine only through a running memoryd.
 */
function spoolFrame(seq: number, kind: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0x4d445331, 0);
  h.writeUInt32LE(payload.length, 4);
  h.writeBigUInt64LE(BigInt(seq), 8);
  h.writeUInt8(kind, 16);
  h.writeUInt32LE(zlib.crc32(payload, zlib.crc32(h.subarray(0, 20))), 20);
  return Buffer.concat([h, payload]);
}

const TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 One | - | In Progress |', ''].join('\n');
const BASE = MEMORY_BASE_MS;
const OTLP = memoryOtlpJson(6);
const FROM = new Date(BASE).toISOString();
const TO = new Date(BASE + 3_600_000).toISOString();

describe('govern memory', () => {
  test('query: each primitive as a table and as memoryd\'s JSON answer; filters and limit', async () => {
    const d = await memoryd();
    expect((await fetch(`${d.url}/v1/traces`, { method: 'POST', body: OTLP, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    await d.idle();
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const env = { GOVERN_MEMORYD_URL: d.url };

    const json = await runCaptured(['memory', 'query', 'failures', '--root', root, '--from', FROM, '--to', TO, '--filter', 'item_id=LM-01', '--json'], { env });
    expect(json.code).toBe(0);
    const answer = QueryResponseSchema.parse(JSON.parse(json.stdout));
    expect(answer.primitive).toBe('recent_failures_by_taskspec');
    expect((answer.rows as RecentFailureRow[]).map((r) => [r.item_id, r.failure_reason_code, r.span_id])).toEqual([['LM-01', 'check-failed', '0000000000000001']]);

    const rollup = await runCaptured(['memory', 'query', 'rollup', '--root', root, '--from', FROM, '--to', TO, '--no-color'], { env });
    expect(rollup.code).toBe(0);
    expect(rollup.stdout).toMatch(/close\s+check-failed\s+3\s/);
    expect(rollup.stdout).toContain('1 row; window 2026-02-13T16:26:40.000Z to 2026-02-13T17:26:40.000Z');

    const denials = await runCaptured(['memory', 'query', 'guard_denials_by_policy_reason_code', '--root', root, '--from', FROM, '--to', TO, '--limit', '1', '--json'], { env });
    expect(JSON.parse(denials.stdout)).toMatchObject({ primitive: 'guard_denials_by_policy_reason_code', limit: 1, rows: [{ policy_reason_code: 'gate-disabled', stage: 'close', denials: 2 }], truncated: false });

    const failures = await runCaptured(['memory', 'query', 'failures', '--root', root, '--from', FROM, '--to', TO, '--limit', '2', '--no-color'], { env });
    expect(failures.stdout.split('\n').filter((l) => l.includes('check-failed'))).toHaveLength(2);
    expect(failures.stdout).toContain('2 rows (more matched: raise --limit');
  });

  test('query spans and trace: a foreign service\'s spans by service, and one trace by id', async () => {
    const d = await memoryd();
    const ns = (ms: number) => String(BigInt(BASE + ms) * 1_000_000n);
    const TRACE = 'ab'.repeat(16);
    // Another service's spans, as its SDK sends them (no govern.* attribute), after govern's.
    const checkout = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeSpans: [
            {
              scope: { name: '@opentelemetry/instrumentation-http' },
              spans: [
                { traceId: TRACE, spanId: '1'.repeat(16), name: 'POST /cart', kind: 2, startTimeUnixNano: ns(10_100), endTimeUnixNano: ns(10_160) },
                { traceId: TRACE, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'SELECT carts', kind: 3, startTimeUnixNano: ns(10_110), endTimeUnixNano: ns(10_150), status: { code: 2, message: 'deadlock' } },
              ],
            },
          ],
        },
      ],
    });
    for (const body of [OTLP, checkout]) expect((await fetch(`${d.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    await d.idle();
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const env = { GOVERN_MEMORYD_URL: d.url };
    const win = ['--from', FROM, '--to', TO];

    const spans = await runCaptured(['memory', 'query', 'spans', '--root', root, ...win, '--service', 'checkout', '--json'], { env });
    expect(spans.code).toBe(0);
    const answer = QueryResponseSchema.parse(JSON.parse(spans.stdout));
    expect((answer.rows as SpanRow[]).map((r) => [r.service_name, r.name, r.kind, r.outcome])).toEqual([
      ['checkout', 'SELECT carts', 'client', 'failed'],
      ['checkout', 'POST /cart', 'server', 'ok'],
    ]);
    const table = await runCaptured(['memory', 'query', 'spans', '--root', root, ...win, '--limit', '3', '--no-color'], { env });
    expect(table.stdout).toMatch(/checkout\s+SELECT carts\s+error: deadlock\s+40\.0 ms/);
    expect(table.stdout).toContain('3 rows (more matched');

    // The trace id as a user pastes it (uppercase), in start order: the parent first.
    const trace = await runCaptured(['memory', 'query', 'trace', '--root', root, ...win, '--trace', TRACE.toUpperCase(), '--json'], { env });
    expect(((JSON.parse(trace.stdout) as { rows: SpanRow[] }).rows).map((r) => [r.name, r.span_id, r.parent_span_id])).toEqual([
      ['POST /cart', '1'.repeat(16), null],
      ['SELECT carts', '2'.repeat(16), '1'.repeat(16)],
    ]);
    const noId = await runCaptured(['memory', 'query', 'trace', '--root', root, '--json'], { env });
    expect([noId.code, JSON.parse(noId.stdout).error.code]).toEqual([1, 'invalid-request']);
    const wrongPrimitive = await runCaptured(['memory', 'query', 'rollup', '--root', root, '--service', 'checkout', '--json'], { env });
    expect([wrongPrimitive.code, JSON.parse(wrongPrimitive.stdout).error.code]).toEqual([1, 'invalid-request']);
  });

  test('health, a token, and the refusals: memoryd\'s code on exit 1, usage on exit 2', async () => {
    const token = 'cli-memory-token';
    const d = await memoryd(token);
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const env = { GOVERN_MEMORYD_URL: d.url, GOVERN_MEMORYD_TOKEN: token };

    const health = await runCaptured(['memory', 'health', '--root', root, '--no-color'], { env });
    expect([health.code, health.stdout.split('\n')[0]]).toEqual([0, 'memoryd ok']);
    expect(JSON.parse((await runCaptured(['memory', 'health', '--root', root, '--json'], { env })).stdout)).toMatchObject({ status: 'ok', checkpoint: { lastSeq: 0 } });

    const noToken = await runCaptured(['memory', 'health', '--root', root, '--json'], { env: { GOVERN_MEMORYD_URL: d.url } });
    expect([noToken.code, JSON.parse(noToken.stdout).error.code]).toEqual([1, 'unauthorized']);
    expect(noToken.stdout + noToken.stderr).not.toContain(token);
    const wide = await runCaptured(['memory', 'query', 'rollup', '--root', root, '--from', '2026-01-01T00:00:00Z', '--to', '2026-03-01T00:00:00Z'], { env });
    expect([wide.code, wide.stderr]).toEqual([1, 'govern memory: the window spans more than 31 days; narrow it or page by time [window-too-wide]\n']);
    const down = await runCaptured(['memory', 'health', '--root', root, '--url', 'http://127.0.0.1:9', '--json'], { env });
    expect([down.code, JSON.parse(down.stdout).error.code]).toEqual([1, 'memoryd-unavailable']);

    for (const argv of [
      ['memory', 'query', 'everything'],
      ['memory', 'query', 'rollup', '--filter', 'stage'],
      ['memory', 'query', 'rollup', '--limit', '501'],
      ['memory', 'health', '--token-env', 'NO_SUCH_TOKEN_VAR'],
      ['memory', 'health', '--url', 'ftp://x'],
    ]) {
      const r = await runCaptured([...argv, '--root', root], { env });
      expect([argv.join(' '), r.code, r.stdout]).toEqual([argv.join(' '), 2, '']);
    }
  });

  test('health shows the quarantine: frames that can never be ingested, with the last one\'s seq and reason', async () => {
    // A spool frame that no longer decodes, recovered at start: quarantined, and ingest moves past it.
    const d = await memoryd(undefined, async (db) => {
      fs.mkdirSync(`${db}.spool`, { recursive: true });
      fs.writeFileSync(path.join(`${db}.spool`, 'spool-0000000000000001.log'), spoolFrame(1, 2, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])));
    });
    await d.idle();
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const env = { GOVERN_MEMORYD_URL: d.url };
    const health = await runCaptured(['memory', 'health', '--root', root, '--no-color'], { env });
    expect(health.code).toBe(0);
    const lines = health.stdout.split('\n');
    expect(lines[0]).toBe('memoryd ok');
    expect(lines.find((l) => l.startsWith('  quarantine'))).toMatch(
      new RegExp(`^  quarantine {3}1 frame that can never be ingested, in ${d.config.spoolDir}/quarantine; last: frame 1 at \\S+: frame 1 does not decode: malformed protobuf: truncated`),
    );
    expect(JSON.parse((await runCaptured(['memory', 'health', '--root', root, '--json'], { env })).stdout)).toMatchObject({ status: 'ok', degraded: [], quarantine: { frames: 1, last: { seq: 1 } } });
  });

  test('health says degraded, and why, while ingest lags', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const d = await memoryd(undefined, undefined, { degradedLagMs: 50, hooks: { beforeCommit: () => gate } });
    expect((await fetch(`${d.url}/v1/traces`, { method: 'POST', body: OTLP, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const health = await runCaptured(['memory', 'health', '--root', root, '--no-color'], { env: { GOVERN_MEMORYD_URL: d.url } });
    release();
    expect(health.code).toBe(0);
    expect(health.stdout.split('\n').slice(0, 2)).toEqual([
      'memoryd degraded',
      expect.stringMatching(/^ {2}degraded {5}the oldest acknowledged payload has waited \d+ ms for its commit \(degraded after 50 ms\) \[ingest-lag\]$/),
    ]);
    await d.idle();
  });

  test('gated where the root declares memory-store: exit 1 with the gate explanation until its milestones are done', async () => {
    const d = await memoryd();
    const root = tempRoot({ 'trackers/t.md': TRACKER, 'govern.config.yaml': 'gates:\n  memory-store:\n    requires: [AB-01]\n    project: libs/memory-store\n' });
    const r = await runCaptured(['memory', 'health', '--root', root, '--json'], { env: { GOVERN_MEMORYD_URL: d.url } });
    expect([r.code, JSON.parse(r.stdout).error.code]).toEqual([1, 'gate-disabled']);
  });
});
