import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** memoryd as a real child process (the bundled command line), for the kill tests. */
export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles memoryd to a file of its own under apps/memoryd/dist (inside the
 * repository, so the external @duckdb/node-api resolves from node_modules),
 * so parallel test files never share one.
 */
export function buildDaemon(name: string): string {
  const outdir = path.join(APP_DIR, 'dist', `${name}-${process.pid}`);
  const r = spawnSync(process.execPath, [path.join(APP_DIR, 'scripts/build.mjs'), outdir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`memoryd build failed: ${r.stderr}`);
  return path.join(outdir, 'memoryd.mjs');
}

export interface DaemonProcess {
  proc: ChildProcessWithoutNullStreams;
  /** JSON events printed on stdout so far. */
  events: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first event (past or future) named `name`. */
  waitFor(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnDaemon(bundle: string, args: string[], env: Record<string, string> = {}): DaemonProcess {
  const proc = spawn(process.execPath, [bundle, 'serve', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  const events: Record<string, unknown>[] = [];
  const listeners: (() => void)[] = [];
  let err = '';
  let buf = '';
  proc.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not an event line
      }
      for (const l of listeners) l();
    }
  });
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    events,
    stderr: () => err,
    exited,
    waitFor(name, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const e = events.find((x) => x.event === name);
          if (e) {
            clearTimeout(timer);
            resolve(e);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`no "${name}" event within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        if (!check()) listeners.push(() => void check());
        void exited.then(() => {
          if (!check()) {
            clearTimeout(timer);
            reject(new Error(`memoryd exited before "${name}"; stderr: ${err}`));
          }
        });
      });
    },
  };
}

/** Polls GET /health until `ok(health)` holds. */
type Health = { checkpoint: { lastSeq: number }; queued: { frames: number } };
export async function waitForHealth(url: string, ok: (h: Health) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = (await (await fetch(`${url}/health`)).json()) as Health;
    if (ok(h)) return;
    if (Date.now() > deadline) throw new Error(`health never reached the expected state: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function removeBundle(bundle: string): void {
  fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
}
