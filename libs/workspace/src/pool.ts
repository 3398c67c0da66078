import { Worker } from 'node:worker_threads';
import type { ParseOptions, Profile } from '@govern/workplan';
import type { ParsedFile } from './parse-files.js';

/**
 * Parses files on worker threads. Files are handed out in small batches so a
 * few very large documents do not leave one worker busy while the others idle.
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
  const batch = 32;
  let next = 0;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(workerUrl, { workerData: { root, profile, options, pathIds } });
      const feed = () => {
        if (next >= files.length) {
          void w.terminate().then(() => resolve());
          return;
        }
        const slice = files.slice(next, next + batch);
        next += batch;
        w.postMessage(slice);
      };
      w.on('message', (results: ParsedFile[]) => {
        out.push(...results);
        onParsed?.(out.length);
        feed();
      });
      w.on('error', reject);
      feed();
    });
  await Promise.all(Array.from({ length: Math.max(1, workers) }, run));
  return out;
}
