import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
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
