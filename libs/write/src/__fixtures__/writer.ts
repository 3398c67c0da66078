/**
 * A writer process for the concurrency and crash tests (bundled by the test
 * with esbuild, then run with node). argv[2] is a JSON job:
 * - { mode: 'updates', root, updates: [{ id, status, reason }] }: runs them in order;
 * - { mode: 'loop', root, ids: [...] }: flips statuses until killed;
 * - { mode: 'hold', root, file }: takes the file's lock, says "locked", waits to be killed;
 * - { mode: 'one', root, id, status, ready?, go? }: one update; with `ready`/`go`, just before
 *   its commit checks it creates the file `ready` and waits until the file `go` exists
 *   (the test pauses it there with SIGSTOP). Prints the result's JSON, or the refusal's
 *   JSON and exit 1.
 */
import fs from 'node:fs';
import { setStatus, withLock } from '../index.js';

type Job =
  | { mode: 'updates'; root: string; updates: { id: string; status: 'in_progress' | 'planned' | 'blocked'; reason: string }[] }
  | { mode: 'loop'; root: string; ids: string[] }
  | { mode: 'hold'; root: string; file: string }
  | { mode: 'one'; root: string; id: string; status: 'in_progress' | 'planned' | 'blocked'; ready?: string; go?: string; timeoutMs?: number };

const job = JSON.parse(process.argv[2]!) as Job;
const lock = { timeoutMs: 60_000 };

if (job.mode === 'updates') {
  for (const u of job.updates) {
    await setStatus({ root: job.root, id: u.id, status: u.status, reason: u.reason, actor: `pid-${process.pid}`, via: 'test', cacheDir: null, lock });
  }
} else if (job.mode === 'loop') {
  for (let n = 0; ; n++) {
    const id = job.ids[n % job.ids.length]!;
    await setStatus({ root: job.root, id, status: Math.floor(n / job.ids.length) % 2 === 0 ? 'blocked' : 'planned', actor: 'looper', via: 'test', cacheDir: null, lock });
  }
} else if (job.mode === 'one') {
  const j = job;
  try {
    const r = await setStatus({
      root: j.root,
      id: j.id,
      status: j.status,
      actor: `pid-${process.pid}`,
      via: 'test',
      cacheDir: null,
      lock: { timeoutMs: j.timeoutMs ?? 60_000 },
      beforeCommit: async () => {
        if (!j.ready || !j.go) return;
        fs.writeFileSync(j.ready, String(process.pid));
        while (!fs.existsSync(j.go)) await new Promise((r) => setTimeout(r, 20));
      },
    });
    process.stdout.write(`${JSON.stringify({ changed: r.changed, hashAfter: r.hashAfter })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify(err)}\n`);
    process.exitCode = 1;
  }
} else {
  await withLock(job.root, job.file, async () => {
    process.stdout.write('locked\n');
    // A timer keeps the process alive: with an empty event loop node would exit,
    // and a normal exit removes the locks the process holds.
    await new Promise(() => setInterval(() => {}, 1000));
  });
}
