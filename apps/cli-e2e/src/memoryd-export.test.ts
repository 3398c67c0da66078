import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemoryd, type Memoryd } from '@govern/memoryd';
import { BIN, ensureFreshBundle } from './support.js';

// The govern CLI's real OTel exporter (libs/telemetry) sending its spans to memoryd: the
// built binary (apps/cli/dist) exporting to memoryd run in process. Moved from
// apps/memoryd/src/cli-export.test.ts: memoryd does not depend on the CLI in the Nx graph,
// so there a change to the CLI left its cached pass standing.

beforeAll(ensureFreshBundle, 120_000);

const dirs: string[] = [];
let daemon: Memoryd | null = null;
afterAll(async () => {
  await daemon?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(files: Record<string, string> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-cli-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}
function govern(cwd: string, args: string[], env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, [BIN, ...args, '--no-cache'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, GOVERN_ACTOR: 'memoryd-test', ...env }, stdio: 'ignore' });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1)));
}

const TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 One | - | In Progress |', '| 2 | AB-02 Two | AB-01 | Planned |', ''].join('\n');

describe('govern → OTLP/HTTP → memoryd → facts', () => {
  it('a refused status write, exported as protobuf then as JSON: task and event facts with the reason split and the run correlation', async () => {
    daemon = await startMemoryd({ db: path.join(tempDir(), 'memory.duckdb'), port: 0 });
    const root = tempDir({ 'trackers/t.md': TRACKER });
    expect(await govern(root, ['task', 'set-status', 'AB-02', 'in_progress'], { GOVERN_OTLP_ENDPOINT: daemon.url })).toBe(1);
    expect(await govern(root, ['task', 'show', 'AB-01'], { GOVERN_OTLP_ENDPOINT: daemon.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe(0);
    await daemon.idle();

    const runs = await daemon.store.all('SELECT run_id, command, item_id, document_id, count(*)::INTEGER AS spans FROM task_facts GROUP BY ALL ORDER BY command');
    expect(runs.map(({ run_id: _r, ...rest }) => rest)).toEqual([
      { command: 'task set-status', item_id: 'AB-02', document_id: 't', spans: expect.any(Number) },
      { command: 'task show', item_id: 'AB-01', document_id: 't', spans: expect.any(Number) },
    ]);
    expect(runs.every((r) => /^[0-9a-f-]{36}$/.test(r.run_id as string))).toBe(true);

    const stages = await daemon.store.all("SELECT DISTINCT stage FROM task_facts WHERE command = 'task set-status' AND stage IS NOT NULL ORDER BY stage");
    expect(stages.map((s) => s.stage)).toEqual(['discover', 'graph', 'parse', 'write']);
    expect(await daemon.store.all("SELECT name, outcome, failure_reason_code, policy_reason_code, status_code FROM task_facts WHERE stage = 'write'")).toEqual([
      { name: 'govern.write', outcome: 'denied', failure_reason_code: null, policy_reason_code: 'dependencies-not-done', status_code: 'error' },
    ]);
    expect(await daemon.store.all('SELECT name, is_guard_denial, policy_reason_code, failure_reason_code, item_id, stage FROM event_facts')).toEqual([
      { name: 'guard.denied', is_guard_denial: true, policy_reason_code: 'dependencies-not-done', failure_reason_code: null, item_id: 'AB-02', stage: 'write' },
    ]);
    // The process id travelled, but only into the volatile column: one resource for both runs.
    const resources = await daemon.store.all('SELECT attributes FROM resources');
    expect(resources).toHaveLength(1);
    expect(JSON.parse(resources[0]!.attributes as string)).toMatchObject({ 'service.name': 'govern' });
    expect(JSON.parse(resources[0]!.attributes as string)).not.toHaveProperty('process.pid');
    const volatile = await daemon.store.all('SELECT DISTINCT resource_volatile FROM task_facts');
    expect(volatile).toHaveLength(2);
    for (const v of volatile) expect(JSON.parse(v.resource_volatile as string)).toHaveProperty('process.pid');
  }, 60_000);

  it('to a memoryd with a token: the header from OTEL_EXPORTER_OTLP_HEADERS gets the spans in; without it none arrive and the command is unaffected', async () => {
    const token = 'cli-export-token';
    const d = await startMemoryd({ db: path.join(tempDir(), 'memory.duckdb'), port: 0, token });
    try {
      const root = tempDir({ 'trackers/t.md': TRACKER });
      expect(await govern(root, ['task', 'show', 'AB-01'], { GOVERN_OTLP_ENDPOINT: d.url })).toBe(0);
      await d.idle();
      expect(d.status().received.spans).toBe(0);
      expect(await govern(root, ['task', 'show', 'AB-01'], { GOVERN_OTLP_ENDPOINT: d.url, OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${token}` })).toBe(0);
      await d.idle();
      expect(d.status().received.spans).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  }, 60_000);
});
