import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { startMemoryd, type Memoryd } from '../daemon.js';

const dirs: string[] = [];
const daemons: Memoryd[] = [];
afterAll(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A DuckDB file path in a fresh temporary directory, removed after the test file. */
export function tempDb(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return path.join(dir, 'memory.duckdb');
}

/**
 * A memoryd on an ephemeral loopback port, on `extra.db` or its own DuckDB file in a
 * fresh temporary directory; stopped (and the directory removed) after the test file.
 */
export async function tempMemoryd(prefix: string, extra: Partial<Parameters<typeof startMemoryd>[0]> = {}): Promise<Memoryd> {
  const d = await startMemoryd({ db: extra.db ?? tempDb(prefix), port: 0, ...extra });
  daemons.push(d);
  return d;
}
