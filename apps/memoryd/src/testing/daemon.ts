import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { startMemoryd, type Memoryd, type MemorydHooks } from '../daemon.js';
import { buildDaemon, removeBundle } from './process.js';

const dirs: string[] = [];
const daemons: Memoryd[] = [];
let bundle: string | null = null;
afterAll(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  if (bundle) removeBundle(bundle);
  bundle = null;
});

/** A DuckDB file path in a fresh temporary directory, removed after the test file. */
export function tempDb(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return path.join(dir, 'memory.duckdb');
}

/**
 * memoryd's bundle, built once per test file (removed after it): the script of
 * the store worker. The worker cannot run the TypeScript sources the tests
 * import, so in-process daemons start it from the bundle, as the command
 * line does.
 */
export function storeWorkerScript(): string {
  bundle ??= buildDaemon('store-worker');
  return bundle;
}

export type StoreThreadMode = 'worker' | 'main';

/**
 * A memoryd on an ephemeral loopback port, on `extra.db` or its own DuckDB file in a
 * fresh temporary directory; stopped (and the directory removed) after the test file.
 * Its store runs in a worker thread, as in the daemon, unless `mode` is `main`.
 */
export async function tempMemoryd(prefix: string, extra: Partial<Parameters<typeof startMemoryd>[0]> = {}, mode: StoreThreadMode = 'worker', hooks: MemorydHooks = {}): Promise<Memoryd> {
  const d = await startMemoryd({ db: extra.db ?? tempDb(prefix), port: 0, ...extra }, { ...(mode === 'worker' ? { storeWorker: storeWorkerScript() } : {}), ...hooks });
  daemons.push(d);
  return d;
}
