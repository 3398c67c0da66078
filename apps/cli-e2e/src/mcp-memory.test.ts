import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startMemoryd, type Memoryd } from '@govern/memoryd';
import { afterAll, describe, expect, test } from 'vitest';
import { createGovernMcpServer } from '@govern/cli';
import { MEMORY_BASE_MS as BASE, memoryOtlpJson as otlpJson, tempRoot } from './support.js';

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

// govern mcp's memory_* tools as an agent sees them: the SDK's client over an in-memory
// transport to the real server, which calls a real memoryd (real DuckDB file) over HTTP
// on 127.0.0.1.

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

const TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 One | - | In Progress |', ''].join('\n');

async function memoryd(token?: string): Promise<Memoryd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-memoryd-'));
  const d = await startMemoryd({ db: path.join(dir, 'memory.duckdb'), port: 0, ...(token ? { token } : {}) });
  closers.push(async () => {
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return d;
}

type Json = Record<string, unknown>;
async function connect(root: string, env: Record<string, string>) {
  const mcp = createGovernMcpServer({ cwd: root, env, stdout: { write: () => true }, stderr: { write: () => true } }, { root, cache: false });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.server.connect(serverSide);
  const client = new Client({ name: 'memory-test', version: '0.0.0' });
  await client.connect(clientSide);
  closers.push(() => client.close());
  return {
    client,
    async call(name: string, args: Json = {}): Promise<{ isError: boolean; value: Json }> {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual(r.structuredContent);
      return { isError: r.isError === true, value: r.structuredContent as Json };
    },
  };
}

const window = { from: new Date(BASE).toISOString(), to: new Date(BASE + 3_600_000).toISOString() };

describe('govern mcp: memory tools', () => {
  test('are listed with their inputs, bounded windows and limits (when GOVERN_MEMORYD_URL is set)', async () => {
    const { client } = await connect(tempRoot({ 'trackers/t.md': TRACKER }), { GOVERN_MEMORYD_URL: 'http://127.0.0.1:9' });
    const { tools } = await client.listTools();
    const memory = tools.filter((t) => t.name.startsWith('memory_'));
    expect(Object.fromEntries(memory.map((t) => [t.name, Object.keys(t.inputSchema.properties ?? {})]))).toEqual({
      memory_recent_failures: ['from', 'to', 'limit', 'cursor', 'command', 'stage', 'document_id', 'item_id', 'run_id', 'failure_reason_code'],
      memory_gate_rollup: ['from', 'to', 'limit', 'cursor', 'stage', 'failure_reason_code'],
      memory_guard_denials: ['from', 'to', 'limit', 'cursor', 'stage', 'policy_reason_code'],
      memory_spans: ['from', 'to', 'limit', 'cursor', 'service_name', 'name', 'trace_id', 'outcome'],
      memory_trace: ['from', 'to', 'limit', 'cursor', 'trace_id', 'service_name'],
      memory_annotate: ['trace_id', 'span_id', 'name', 'value', 'actor'],
      memory_health: [],
      memory_audit: ['from', 'to', 'limit', 'cursor', 'op', 'actor'],
    });
    expect(memory.find((t) => t.name === 'memory_gate_rollup')!.inputSchema.properties!.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    expect(memory.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name)).toEqual(['memory_recent_failures', 'memory_gate_rollup', 'memory_guard_denials', 'memory_spans', 'memory_trace', 'memory_health', 'memory_audit']);
    for (const t of memory) expect(Object.keys(t.outputSchema?.properties ?? {})).toContain('error');
  });

  test('query the primitives, annotate a failure, read health and audit through memoryd', async () => {
    const d = await memoryd();
    const post = await fetch(`${d.url}/v1/traces`, { method: 'POST', body: otlpJson(12), headers: { 'content-type': 'application/json' } });
    expect(post.status).toBe(200);
    await d.idle();
    const s = await connect(tempRoot({ 'trackers/t.md': TRACKER }), { GOVERN_MEMORYD_URL: d.url });

    const failures = await s.call('memory_recent_failures', { ...window, limit: 2, item_id: 'LM-01' });
    expect(failures.isError).toBe(false);
    expect(failures.value).toMatchObject({ primitive: 'recent_failures_by_taskspec', limit: 2, truncated: false, snapshot: { ingestSeq: 1, auditSeq: 0 } });
    const rows = failures.value.rows as Json[];
    expect(rows.map((r) => [r.span_id, r.item_id, r.failure_reason_code])).toEqual([
      [hex(7, 16), 'LM-01', 'check-failed'],
      [hex(1, 16), 'LM-01', 'check-failed'],
    ]);
    expect((await s.call('memory_gate_rollup', window)).value.rows).toEqual([
      { stage: 'close', failure_reason_code: 'check-failed', failures: 6, first_ns: String(BigInt(BASE) * 1_000_000n), first_at: new Date(BASE).toISOString(), last_ns: String(BigInt(BASE + 10_000) * 1_000_000n), last_at: new Date(BASE + 10_000).toISOString() },
    ]);
    expect(((await s.call('memory_guard_denials', window)).value.rows as Json[]).map((r) => [r.policy_reason_code, r.stage, r.denials])).toEqual([['gate-disabled', 'close', 4]]);

    const note = { trace_id: rows[0]!.trace_id, span_id: rows[0]!.span_id, name: 'triage', value: { verdict: 'flaky', by: 'ops@example.com' }, actor: 'agent-1' };
    expect((await s.call('memory_annotate', note)).value).toMatchObject({ outcome: 'created', subjectExists: true, redactions: 1, auditId: 1 });
    expect((await s.call('memory_annotate', note)).value).toMatchObject({ outcome: 'unchanged', auditId: 2 });
    const again = await s.call('memory_recent_failures', { ...window, limit: 1, item_id: 'LM-01' });
    expect((again.value.rows as Json[])[0]!.annotations).toEqual({ triage: { by: '[REDACTED:email]', verdict: 'flaky' } });

    // Every span, whatever its service: by service, and one trace by id (in start order).
    const spans = await s.call('memory_spans', { ...window, limit: 3, service_name: 'govern' });
    expect(spans.value).toMatchObject({ primitive: 'recent_spans', truncated: true });
    expect((spans.value.rows as Json[]).map((r) => [r.service_name, r.name, r.span_id])).toEqual([12, 11, 10].map((i) => ['govern', 'govern.close', hex(i, 16)]));
    expect((await s.call('memory_spans', { ...window, service_name: 'checkout' })).value.rows).toEqual([]);
    const trace = await s.call('memory_trace', { ...window, trace_id: hex(3, 32) });
    expect((trace.value.rows as Json[]).map((r) => [r.trace_id, r.span_id, r.outcome, r.event_count])).toEqual([[hex(3, 32), hex(3, 16), 'failed', 0]]);
    expect(await s.call('memory_trace', { ...window })).toMatchObject({ isError: true, value: { error: { code: 'invalid-arguments' } } });

    expect((await s.call('memory_health')).value).toMatchObject({ status: 'ok', ingest: { lagFrames: 0 }, lastCheckpoint: { seq: 1 }, database: { file: d.config.db } });
    const now = { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    expect(((await s.call('memory_audit', { ...now, op: 'upsert' })).value.rows as Json[]).map((r) => [r.audit_id, r.actor, r.outcome])).toEqual([
      [2, 'agent-1', 'unchanged'],
      [1, 'agent-1', 'created'],
    ]);
  });

  test('paged with cursors: every row once, in the order of one big page, ties at one time included', async () => {
    const d = await memoryd();
    // Spans with shared start times (ties the cursor must split exactly), two traces, and several failure codes.
    const at = (ms: number) => String(BigInt(BASE + ms) * 1_000_000n);
    const spans = Array.from({ length: 9 }, (_, i) => ({
      traceId: hex(i < 5 ? 1 : 2, 32),
      spanId: hex(i + 1, 16),
      name: `op-${i}`,
      startTimeUnixNano: at([0, 0, 0, 1000, 1000, 2000, 2000, 2000, 3000][i]!),
      endTimeUnixNano: at(5000),
      status: i % 2 === 0 ? { code: 2 } : { code: 1 },
      attributes: [
        { key: 'govern.stage', value: { stringValue: 'close' } },
        ...(i % 2 === 0 ? [{ key: 'failure_reason_code', value: { stringValue: `code-${i % 3}` } }] : []),
      ],
    }));
    const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] });
    expect((await fetch(`${d.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    await d.idle();
    const s = await connect(tempRoot({ 'trackers/t.md': TRACKER }), { GOVERN_MEMORYD_URL: d.url });
    // With a cursor the filters may be left out (the cursor carries them); required ones (trace_id) are repeated.
    const walk = async (tool: string, args: Json, key: (r: Json) => string, repeat: Json = {}) => {
      const all = ((await s.call(tool, { ...args, limit: 500 })).value.rows as Json[]).map(key);
      const paged: string[] = [];
      let cursor: unknown;
      for (let n = 0; n < 20; n++) {
        const page = await s.call(tool, { ...(cursor ? { cursor, ...repeat } : args), limit: 2 });
        expect([tool, page.isError, page.value.error]).toEqual([tool, false, undefined]);
        paged.push(...(page.value.rows as Json[]).map(key));
        cursor = page.value.nextCursor;
        if (cursor === null) break;
      }
      return [paged, all] as const;
    };
    const spanKey = (r: Json) => `${r.start_ns}/${r.span_id}`;
    const [spansPaged, spansAll] = await walk('memory_spans', { ...window, service_name: 'shop' }, spanKey);
    expect([spansPaged, spansAll.length]).toEqual([spansAll, 9]);
    const [tracePaged, traceAll] = await walk('memory_trace', { ...window, trace_id: hex(1, 32) }, spanKey, { trace_id: hex(1, 32) });
    expect([tracePaged, traceAll.length]).toEqual([traceAll, 5]);
    const [failPaged, failAll] = await walk('memory_recent_failures', window, (r) => `${r.start_ns}/${r.span_id}`);
    expect([failPaged, failAll.length]).toEqual([failAll, 5]);
    const [rollPaged, rollAll] = await walk('memory_gate_rollup', window, (r) => `${r.stage}/${r.failure_reason_code}/${r.failures}`);
    expect([rollPaged, rollAll.length]).toEqual([rollAll, 3]);
    for (const [k, span] of [1, 3, 5].entries()) {
      expect((await s.call('memory_annotate', { trace_id: hex(1, 32), span_id: hex(span, 16), name: `n${k}`, value: k, actor: 'pager' })).isError).toBe(false);
    }
    const now = { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const [auditPaged, auditAll] = await walk('memory_audit', { ...now, actor: 'pager' }, (r) => String(r.audit_id));
    expect([auditPaged, auditAll]).toEqual([['3', '2', '1'], ['3', '2', '1']]);
    const first = await s.call('memory_spans', { ...window, limit: 2 });
    expect(await s.call('memory_spans', { ...window, service_name: 'other', cursor: first.value.nextCursor })).toMatchObject({
      isError: true,
      value: { error: { code: 'cursor-mismatch', details: { tool: 'memory_spans', arguments: ['service_name'] } } },
    });
    expect(await s.call('memory_trace', { trace_id: hex(1, 32), cursor: first.value.nextCursor })).toMatchObject({ isError: true, value: { error: { code: 'cursor-invalid' } } });
  });

  test('refusals come back as { error } with memoryd\'s code, or memoryd-unavailable', async () => {
    const d = await memoryd();
    const s = await connect(tempRoot({ 'trackers/t.md': TRACKER }), { GOVERN_MEMORYD_URL: d.url });
    expect(await s.call('memory_gate_rollup', { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).toEqual({
      isError: true,
      value: { error: { code: 'window-too-wide', message: 'the window spans more than 31 days; narrow it or page by time', details: { maxMs: 2_678_400_000, spanMs: 5_097_600_000 } } },
    });
    expect(await s.call('memory_gate_rollup', { limit: 501 })).toMatchObject({ isError: true, value: { error: { code: 'invalid-arguments' } } });
    const down = await connect(tempRoot({ 'trackers/t.md': TRACKER }), { GOVERN_MEMORYD_URL: 'http://127.0.0.1:9' });
    expect(await down.call('memory_health')).toMatchObject({ isError: true, value: { error: { code: 'memoryd-unavailable', details: { url: 'http://127.0.0.1:9' } } } });
  });

  test('a memoryd with a token: the tools send GOVERN_MEMORYD_TOKEN; without it they get unauthorized', async () => {
    const token = 'mcp-memoryd-token';
    const d = await memoryd(token);
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const withToken = await connect(root, { GOVERN_MEMORYD_URL: d.url, GOVERN_MEMORYD_TOKEN: token });
    expect(await withToken.call('memory_health')).toMatchObject({ isError: false, value: { status: 'ok' } });
    const without = await connect(root, { GOVERN_MEMORYD_URL: d.url });
    const r = await without.call('memory_health');
    expect(r).toMatchObject({ isError: true, value: { error: { code: 'unauthorized' } } });
    expect(JSON.stringify(r)).not.toContain(token);
  });

  test('a root that declares the memory-store gate answers gate-disabled until its milestones are done', async () => {
    const d = await memoryd();
    const root = tempRoot({ 'trackers/t.md': TRACKER, 'govern.config.yaml': 'gates:\n  memory-store:\n    requires: [AB-01]\n    project: libs/memory-store\n' });
    const s = await connect(root, { GOVERN_MEMORYD_URL: d.url });
    const r = await s.call('memory_health');
    expect(r).toMatchObject({ isError: true, value: { error: { code: 'gate-disabled', details: { gate: 'memory-store', blockedBy: [expect.objectContaining({ id: 'AB-01' })] } } } });
  });
});
