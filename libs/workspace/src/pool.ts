import { Worker } from 'node:worker_threads';
import { compileProfile, type ParseOptions, type Profile } from '@govern/workplan';
import { readAndParse, type ParsedFile } from './parse-files.js';

/** Files a worker is handed at once, at most (fewer near the end, so all finish together). */
const WORKER_BATCH = 32;
/** Files this thread parses between two looks at the workers' messages. */
const MAIN_BATCH = 8;

/**
 * Parses files on this thread and on worker threads, from one queue. `workers` is the
 * number of threads taking part, this one included: this thread already has the parser
 * loaded, where a worker pays its start (~40 ms), the bundle's compilation (~70 ms) and a
 * JIT warm-up of its own (its first few hundred files parse 2–3x slower than warm ones)
 * before its results are cloned once more. Files go out in small batches so a few very large
 * documents do not leave one thread busy while the others idle; each worker has a second
 * batch queued while it parses one, so it never waits for this thread to look.
 *
 * The result is in no particular order (the engine sorts what it needs).
 */
export async function parseInWorkers(
  workerUrl: URL,
  root: string,
  profile: Profile,
  files: string[],
  workers: number,
  options: ParseOptions = {},
  /** The path ids of the files whose name is not unique (see `Workspace.pathIds`). */
  pathIds: Record<string, string> = {},
  /** Called with the number of files parsed so far, after each batch. */
  onParsed?: (done: number) => void,
): Promise<ParsedFile[]> {
  const out: ParsedFile[] = [];
  let next = 0;
  const threads = Math.max(1, workers) - 1;
  const participants = threads + 1;
  const take = (max: number): string[] => {
    const size = Math.max(1, Math.min(max, Math.ceil((files.length - next) / (participants * 2))));
    const slice = files.slice(next, next + size);
    next += slice.length;
    return slice;
  };
  const received = (results: ParsedFile[]) => {
    for (const r of results) out.push(r);
    onParsed?.(out.length);
  };

  let failed: unknown = null;
  const running = Array.from({ length: threads }, () => runWorker());
  // This thread's share. It yields after each batch so the workers' results are taken
  // (and their next batches sent) while it parses.
  const compiled = compileProfile(profile);
  while (next < files.length && failed === null) {
    received(take(MAIN_BATCH).map((f) => readAndParse(root, f, compiled, options, pathIds[f])));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(running);
  if (failed !== null) throw failed;
  return out;

  function runWorker(): Promise<void> {
    return new Promise<void>((resolve) => {
      const w = new Worker(workerUrl, { workerData: { root, profile, options, pathIds } });
      let inFlight = 0;
      const feed = () => {
        while (inFlight < 2 && next < files.length) {
          inFlight++;
          w.postMessage(take(WORKER_BATCH));
        }
        if (inFlight === 0) void w.terminate().then(() => resolve());
      };
      w.on('message', (results: ParsedFile[]) => {
        inFlight--;
        received(results);
        feed();
      });
      w.on('error', (err) => {
        failed ??= err;
        void w.terminate().then(() => resolve());
      });
      feed();
    });
  }
}
