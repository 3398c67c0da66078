import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGovernMcpServer } from '@govern/cli';
import { BIN, ensureFreshBundle, runCaptured, tempRoot } from './support.js';

// `govern binder …` and the binder_* MCP tools on temporary repositories with a real
// DuckDB file under <root>/.govern/binder: ingest with quarantine, replay after a fix,
// capsules, suggestions per rollout mode, an audited application, the query primitives,
// and the gate.

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});
beforeAll(() => ensureFreshBundle());

const TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 One | - | In Progress |', ''].join('\n');

type Json = Record<string, unknown>;
/** A valid wrapper envelope v1; `over` replaces top-level fields. */
function envelope(n: number, over: Json = {}): Json {
  return {
    schema: 'govern.wrapper-envelope/v1',
    event_id: `ev-${n}`,
    sequence: n,
    run_id: `run-${n}`,
    task_id: 'AB-01',
    group_id: 'g-1',
    signal: 'failure',
    wrapper_policy: { name: 'govern-close', version: '1.0.0' },
    task_spec: { scope: 'repo:demo', target: { kind: 'milestone', id: 'AB-01' }, action: { kind: 'close' }, failure_reason_code: 'check-failed' },
    policy_reason_code: null,
    context: { gates: ['binder'], versions: { node: 'v20.19.0' }, env: {} },
    evidence: [{ kind: 'log', ref: `ops/runtime/ab-01/check-${n}.log` }],
    observed_at: `2026-12-0${1 + (n % 5)}T10:00:00Z`,
    ...over,
  };
}
const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const NOW_PROFILE = (rollout: string) => ['extends: default', 'name: demo', 'binder:', `  rollout: ${rollout}`, '  thresholds:', '    min_support: 2', '    max_staleness_days: 100000', ''].join('\n');

async function binder(root: string, ...args: string[]) {
  const r = await runCaptured(['binder', ...args, '--root', root, '--json'], { cwd: root });
  return { code: r.code, value: r.stdout ? (JSON.parse(r.stdout) as Json) : null, stderr: r.stderr };
}

describe('govern binder', () => {
  test('ingest quarantines what is invalid, replay stores the fix exactly once, capsules and suggestions follow the rollout mode', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER, 'govern.config.yaml': 'profile: profiles/demo.yaml\n', 'profiles/demo.yaml': NOW_PROFILE('shadow') });
    const broken = envelope(3, { task_spec: { scope: 'repo:demo', target: { kind: 'milestone' }, action: { kind: 'close' }, failure_reason_code: 'check-failed' } });
    fs.writeFileSync(path.join(root, 'in.jsonl'), jsonl([envelope(1), envelope(2), broken]));

    const first = await binder(root, 'ingest', 'in.jsonl');
    expect(first.code).toBe(0);
    expect(first.value).toMatchObject({ received: 3, accepted: 2, duplicates: 0, quarantined: 1, capsules: { created: 1, minted: 1 } });
    // The same snapshot again changes nothing.
    const again = await binder(root, 'ingest', 'in.jsonl');
    expect(again.value).toMatchObject({ received: 3, accepted: 0, duplicates: 2, quarantined: 1 });

    const q = await binder(root, 'quarantine');
    const entries = (q.value as { entries: { quarantine_id: string; reasons: unknown[]; resolved_at: unknown }[] }).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.reasons).toEqual([{ code: 'field-missing', path: 'task_spec.target.id', message: expect.any(String) }]);
    expect(entries[0]!.resolved_at).toBeNull();

    fs.writeFileSync(path.join(root, 'fixed.json'), JSON.stringify(envelope(3)));
    const replay = await binder(root, 'replay', entries[0]!.quarantine_id, 'fixed.json');
    expect(replay.value).toMatchObject({ quarantineId: entries[0]!.quarantine_id, stored: true });
    const replay2 = await binder(root, 'replay', entries[0]!.quarantine_id, 'fixed.json');
    expect(replay2.value).toMatchObject({ stored: false });
    expect(((await binder(root, 'quarantine')).value as { entries: unknown[] }).entries).toEqual([]);

    const status = await binder(root, 'status');
    expect(status.value).toMatchObject({ binder_version: 'binder/1', facts: 3, quarantine: { open: 0, resolved: 1 }, capsules: { total: 1, minted: 1 }, config: { rollout: 'shadow', fallback: 'strict' } });

    const caps = (await binder(root, 'capsules')).value as { capsules: { upsert_key: string; counters: Json; eligibility: Json }[] };
    expect(caps.capsules).toHaveLength(1);
    expect(caps.capsules[0]!.counters).toMatchObject({ support_count: 3, contradiction_count: 0 });
    expect(caps.capsules[0]!.eligibility).toMatchObject({ eligible: false, qualified: true, reasons: [{ code: 'mode-shadow' }] });

    // Shadow: derived, recorded, nothing suggested.
    expect((await binder(root, 'suggest')).value).toMatchObject({ rollout: 'shadow', reason: 'mode-shadow', qualified: 1, suggestions: [] });
    const denied = await binder(root, 'apply', caps.capsules[0]!.upsert_key, '--reason', 'try');
    expect(denied.code).toBe(1);
    expect(denied.value).toMatchObject({ error: { code: 'not-prescriptive' } });

    // Guided suggests; prescriptive also applies, audited.
    fs.writeFileSync(path.join(root, 'profiles/demo.yaml'), NOW_PROFILE('guided'));
    expect((await binder(root, 'suggest')).value).toMatchObject({ rollout: 'guided', reason: null, applicable: false, suggestions: [{ upsert_key: caps.capsules[0]!.upsert_key }] });
    fs.writeFileSync(path.join(root, 'profiles/demo.yaml'), NOW_PROFILE('prescriptive'));
    const applied = await runCaptured(['binder', 'apply', caps.capsules[0]!.upsert_key, '--reason', 'seen three times', '--actor', 'e2e', '--root', root, '--json'], { cwd: root });
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ upsert_key: caps.capsules[0]!.upsert_key, actor: 'e2e', reason: 'seen three times', rollout: 'prescriptive' });
    expect((await binder(root, 'status')).value).toMatchObject({ applications: 1 });

    // The query primitives, by short name: same facts, same rows, same order.
    const failures = await binder(root, 'query', 'failures');
    expect(failures.value).toMatchObject({ primitive: 'mv_recent_failures_by_taskspec', truncated: false });
    expect((failures.value as { rows: unknown[] }).rows).toHaveLength(3);
    expect((await binder(root, 'query', 'failures')).value).toEqual(failures.value);
    const bad = await binder(root, 'query', 'failures', '--filter', 'nope=1');
    expect(bad.code).toBe(2);
  });

  test('an invalid binder section in the profile refuses with the file; a declared, disabled gate refuses with the blocking milestone', async () => {
    const badProfile = tempRoot({ 'trackers/t.md': TRACKER, 'govern.config.yaml': 'profile: profiles/demo.yaml\n', 'profiles/demo.yaml': 'extends: default\nbinder:\n  rollout: always\n' });
    const r = await binder(badProfile, 'status');
    expect(r.code).toBe(1);
    expect(r.value).toMatchObject({ error: { code: 'config-invalid', details: { file: 'profiles/demo.yaml' } } });

    const gated = tempRoot({
      'trackers/t.md': TRACKER,
      'govern.config.yaml': ['gates:', '  binder:', '    requires: [AB-01]', '    project: libs/binder', ''].join('\n'),
    });
    const g = await binder(gated, 'status');
    expect(g.code).toBe(1);
    expect(g.value).toMatchObject({ error: { code: 'gate-disabled' } });
    expect(JSON.stringify(g.value)).toContain('AB-01');
    expect(fs.existsSync(path.join(gated, '.govern/binder/binder.duckdb'))).toBe(false);
  });

  test('the built binary ingests from stdin and lists the quarantine as text', () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const input = jsonl([envelope(1), { schema: 'govern.wrapper-envelope/v9' }]) + 'not json\n';
    const ingest = spawnSync(process.execPath, [BIN, 'binder', 'ingest', '-', '--root', root, '--no-color'], { cwd: root, input, encoding: 'utf8' });
    expect(ingest.stderr).toBe('');
    expect(ingest.status).toBe(0);
    expect(ingest.stdout).toContain('3 records: 1 stored, 0 already stored, 2 quarantined');
    const q = spawnSync(process.execPath, [BIN, 'binder', 'quarantine', '--root', root, '--no-color'], { cwd: root, encoding: 'utf8' });
    expect(q.status).toBe(0);
    expect(q.stdout).toMatch(/schema-unknown/);
    expect(q.stdout).toMatch(/json-invalid/);
  });
});

describe('govern mcp: binder tools', () => {
  async function connect(root: string) {
    const mcp = createGovernMcpServer({ cwd: root, env: {}, stdout: { write: () => true }, stderr: { write: () => true } }, { root, cache: false });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.server.connect(serverSide);
    const client = new Client({ name: 'binder-test', version: '0.0.0' });
    await client.connect(clientSide);
    closers.push(() => client.close());
    return {
      client,
      async call(name: string, args: Json = {}): Promise<{ isError: boolean; value: Json }> {
        const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
        return { isError: r.isError === true, value: r.structuredContent as Json };
      },
    };
  }

  test('status, capsules, suggest, quarantine and query answer what the CLI stored', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    fs.writeFileSync(path.join(root, 'in.jsonl'), jsonl([envelope(1), envelope(2), envelope(4, { signal: 'success', evidence: [] }), { schema: 'nope' }]));
    expect((await binder(root, 'ingest', 'in.jsonl')).value).toMatchObject({ accepted: 3, quarantined: 1 });

    const { client, call } = await connect(root);
    const names = (await client.listTools()).tools.filter((t) => t.name.startsWith('binder_'));
    expect(Object.fromEntries(names.map((t) => [t.name, t.annotations?.readOnlyHint]))).toEqual({
      binder_status: true,
      binder_capsules: true,
      binder_suggest: true,
      binder_quarantine: true,
      binder_query: true,
    });
    expect((await call('binder_status')).value).toMatchObject({ facts: 3, quarantine: { open: 1 }, capsules: { total: 1, minted: 1 } });
    const caps = (await call('binder_capsules')).value as { capsules: { counters: Json }[] };
    expect(caps.capsules.map((c) => c.counters)).toMatchObject([{ support_count: 2, contradiction_count: 1 }]);
    expect((await call('binder_suggest')).value).toMatchObject({ rollout: 'shadow', reason: 'mode-shadow', suggestions: [] });
    expect((await call('binder_quarantine')).value).toMatchObject({ entries: [{ reasons: [{ code: 'schema-unknown' }] }] });
    const rollup = await call('binder_query', { primitive: 'mv_gate_rollup_by_failure_reason_code' });
    expect(rollup.isError).toBe(false);
    expect(rollup.value).toMatchObject({ primitive: 'mv_gate_rollup_by_failure_reason_code', rows: [{ gate: 'binder', failure_reason_code: 'check-failed', failures: 2 }] });
    const refused = await call('binder_query', { primitive: 'mv_recent_failures_by_taskspec', filters: { nope: 'x' } });
    expect(refused).toMatchObject({ isError: true, value: { error: { code: 'invalid-query' } } });
  });
});
