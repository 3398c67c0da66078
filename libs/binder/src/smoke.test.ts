import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it, expect } from 'vitest';
import { openBinder } from './store.js';

it('smoke', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'binder-'));
  const b = await openBinder({ file: path.join(d, 'b.duckdb'), now: () => new Date('2026-02-16T00:00:00Z') });
  const e = (i: number, signal = 'failure') => ({ schema: 'govern.wrapper-envelope/v1', event_id: `e-${i}`, sequence: i, run_id: `run-${i % 3}`, task_id: `T-${i}`, group_id: 'g', signal,
    wrapper_policy: { name: 'wrap', version: '1.0.0' }, task_spec: { scope: 'repo:x', target: { kind: 'file', id: 'a.ts' }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
    context: { gates: ['lint', 'test'] }, evidence: [{ kind: 'log', ref: 'ci#1' }], observed_at: `2026-02-15T10:00:0${i}Z` });
  const r1 = await b.ingest([e(1), e(2), e(3, 'success'), { junk: 1 }, e(1)], { source: 'test' });
  console.log(JSON.stringify(r1));
  const r2 = await b.ingest([e(1), e(2), e(3, 'success'), { junk: 1 }, e(1)], { source: 'test' });
  console.log(JSON.stringify(r2));
  const r3 = await b.ingest([e(2), e(1), { ...e(1), event_id: 'other' }], { source: 'test' });
  console.log(JSON.stringify(r3));
  console.log(JSON.stringify(await b.capsules(), null, 1));
  console.log(JSON.stringify(await b.quarantine(), null, 1));
  console.log(JSON.stringify(await b.status(), null, 1));
  for (const p of ['mv_recent_failures_by_taskspec', 'mv_gate_rollup_by_failure_reason_code', 'mv_guard_denials_by_policy_reason_code']) console.log(JSON.stringify(await b.query(p)));
  await b.close();
  expect(1).toBe(1);
});
