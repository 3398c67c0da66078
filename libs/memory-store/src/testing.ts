import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { UpsertRequestSchema } from '@govern/memory-contract';
import type { ResourceSpans, Span } from './model.js';
import { MemoryStore } from './store.js';

const dirs: string[] = [];
const stores: MemoryStore[] = [];
afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A store on a DuckDB file in a fresh temporary directory, closed and removed after the test file (tests only). */
export async function tempStore(prefix: string): Promise<MemoryStore> {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  const s = await MemoryStore.open(path.join(d, 'memory.duckdb'));
  stores.push(s);
  return s;
}

// Retention tests (retention.test.ts, retention.soak.ts).
export const SEC = 1_000_000_000n;
export const T0 = 1_771_000_000n * SEC;
/** `n` spans from `first`, one per second from T0 + first s; every 4th failed with a denial event. */
export function spans(first: number, n: number): ResourceSpans[] {
  const list: Span[] = Array.from({ length: n }, (_, k) => {
    const i = first + k;
    return {
      traceId: (i + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      parentSpanId: null,
      name: 'govern.write',
      kind: 1,
      startNs: T0 + BigInt(i) * SEC,
      endNs: T0 + BigInt(i) * SEC + 1000n,
      attributes: { 'govern.run.id': `run-${i}`, 'govern.stage': 'write', 'govern.item.id': `LM-${i % 97}`, ...(i % 4 === 0 ? { failure_reason_code: 'check-failed' } : {}), detail: `row ${i} of the retention test` },
      events: i % 4 === 0 ? [{ timeNs: T0 + BigInt(i) * SEC + 1n, name: 'guard.denied', attributes: { policy_reason_code: 'gate-disabled' } }] : [],
      statusCode: 0,
      statusMessage: null,
    };
  });
  return [{ resource: { 'service.name': 'govern' }, scopeSpans: [{ scope: { name: 'govern', version: null }, spans: list }] }];
}
export const counts = async (s: MemoryStore) =>
  (await s.all('SELECT (SELECT count(*) FROM task_facts)::INTEGER AS tasks, (SELECT count(*) FROM event_facts)::INTEGER AS events, (SELECT count(*) FROM task_annotations)::INTEGER AS annotations'))[0];
export const annotate = (i: number) =>
  UpsertRequestSchema.parse({ kind: 'annotation', trace_id: (i + 1).toString(16).padStart(32, '0'), span_id: (i + 1).toString(16).padStart(16, '0'), name: 'note', value: i });
export const size = (f: string) => fs.statSync(f).size + (fs.existsSync(`${f}.wal`) ? fs.statSync(`${f}.wal`).size : 0);
