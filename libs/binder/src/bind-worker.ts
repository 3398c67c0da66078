import { parentPort, workerData } from 'node:worker_threads';
import type { KnownSecret } from '@govern/secrets';
import { PartPreparer, type PartReply, type PartRequest } from './bind-pool.js';

/**
 * Worker entry of the binder's bind workers (bind-pool.ts): parts of an `ingest()` call
 * come in as JSON texts, their validated, keyed rows go back as one JSON text each.
 * Built next to each bundle that binds (the CLI's `bind-worker.js`, the benchmark's),
 * and by the tests, since a worker thread cannot load TypeScript; its URL is given to
 * `openBinder` as `workerUrl`. Parts are prepared one at a time, in the order they come,
 * so the situation ids in the answers are in the order the main thread reads them.
 */
const { known } = workerData as { known: KnownSecret[] };
const preparer = new PartPreparer(known);
let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (m: PartRequest) => {
  queue = queue.then(async () => {
    let reply: PartReply;
    try {
      reply = { id: m.id, answer: await preparer.prepare(m.text) };
    } catch (err) {
      reply = { id: m.id, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort?.postMessage(reply);
  });
});
