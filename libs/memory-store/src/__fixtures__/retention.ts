import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { toFacts } from '../facts.js';
import { MemoryStore } from '../store.js';
import { size, spans, T0 } from '../testing.js';

/**
 * The harness of the retention tests (retention.test.ts, retention.soak.ts); the span
 * fixtures they share are in src/testing.ts.
 */

/**
 * For a test file's top level: a function giving the path of a DuckDB file in a fresh
 * temporary folder (named from `prefix`); the folders are removed after the test file.
 */
export function tempDbFiles(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return path.join(d, 'memory.duckdb');
  };
}

/**
 * A store on `file` holding `n` facts (spans 0…n-1), checkpointed, then its first
 * retention run by size with a limit of half the used bytes. Returns the open store, its
 * stats and file size before the run, the limit and the run's answer.
 */
export async function firstRetentionBySize(file: string, n: number) {
  const store = await MemoryStore.open(file);
  await store.commit(toFacts(spans(0, n)), { firstSeq: 1, lastSeq: 1 });
  await store.all('CHECKPOINT');
  const full = await store.stats();
  const fileFull = size(file);
  const maxBytes = Math.floor(full.usedBytes / 2);
  const first = await store.retention({ maxBytes }, { nowNs: T0, actor: 'test' });
  return { store, full, fileFull, maxBytes, first };
}
