import { Ingestor, MemoryStore, type CommitResult, type IngestStatus } from '@govern/memory-store';
import { resolveConfig, type MemorydConfig, type MemorydConfigInput } from './config.js';
import { decodePayload } from './otlp/index.js';
import { startServer } from './server.js';

export interface MemorydHooks {
  log?: (line: string) => void;
  onCommit?: (r: CommitResult & { ms: number }) => void;
  /** Inside each batch's transaction, before COMMIT (fault injection for the kill test). */
  beforeCommit?: () => Promise<void>;
}

/** A running memoryd: the receiver, the ingest loop and the store. */
export interface Memoryd {
  url: string;
  config: MemorydConfig;
  store: MemoryStore;
  status(): IngestStatus;
  /** Resolves when everything acknowledged so far is committed. */
  idle(): Promise<void>;
  /** Stops receiving, commits what is queued, checkpoints and closes the database. */
  stop(): Promise<void>;
}

/**
 * Opens the store (migrating it), recovers the spool, starts the ingest loop,
 * then listens. Recovered payloads are queued before the first request is
 * accepted, so their seqs stay ahead of new ones.
 */
export async function startMemoryd(input: MemorydConfigInput, hooks: MemorydHooks = {}): Promise<Memoryd> {
  const config = resolveConfig(input);
  const log = hooks.log ?? (() => {});
  const store = await MemoryStore.open(config.db, hooks.beforeCommit ? { beforeCommit: hooks.beforeCommit } : {});
  let ingestor: Ingestor;
  try {
    ingestor = await Ingestor.start({
      store,
      spoolDir: config.spoolDir,
      decode: decodePayload,
      maxBatchSpans: config.maxBatchSpans,
      maxQueuedSpans: config.maxQueuedSpans,
      segmentBytes: config.segmentBytes,
      ...(hooks.onCommit ? { onCommit: hooks.onCommit } : {}),
      onError: (err) => log(`memoryd: batch not committed (will retry): ${err.message}`),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  let server;
  try {
    server = await startServer({ ingestor, host: config.host, port: config.port, maxBodyBytes: config.maxBodyBytes, log });
  } catch (err) {
    await ingestor.close();
    await store.close();
    throw err;
  }
  let stopped: Promise<void> | null = null;
  return {
    url: server.url,
    config,
    store,
    status: () => ingestor.status(),
    idle: () => ingestor.idle(),
    stop: () =>
      (stopped ??= (async () => {
        await server.close();
        await ingestor.close();
        await store.close();
      })()),
  };
}
