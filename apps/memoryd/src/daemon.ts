import { factSink, Ingestor, MemoryStore, Redactor, type CommitResult, type FrameSink, type HealthResponse, type IngestStatus, type RetentionPolicy, type StoreOptions } from '@govern/memory-store';
import { AlertMonitor, type AlertSample } from './alerts.js';
import { resolveConfig, type MemorydConfig, type MemorydConfigInput } from './config.js';
import { healthReport, sampleAlerts } from './health.js';
import { decodePayload } from './otlp/index.js';
import { RetentionScheduler } from './retention.js';
import { bearerAuth } from '@govern/http-service';
import { startServer } from './server.js';
import { StoreThread, type MemorydStore } from './store-thread.js';

export interface MemorydHooks {
  log?: (line: string) => void;
  onCommit?: (r: CommitResult & { ms: number }) => void;
  /** Inside each batch's transaction, before COMMIT (fault injection: throwing fails the batch; a store in this thread only). */
  beforeCommit?: StoreOptions['beforeCommit'];
  /**
   * Run the store in a worker thread started from this script (memoryd's
   * bundle, whose entry runs the worker's side when started as one; see
   * store-thread.ts). Without it the store runs in this thread.
   */
  storeWorker?: string;
  /** The store worker died: the store is gone (the command line exits; a restart recovers from the spool). */
  onFatal?: (err: Error) => void;
}

/** A running memoryd: the receiver, the ingest loop, the store and the memory API. */
export interface Memoryd {
  url: string;
  config: MemorydConfig;
  store: MemorydStore;
  redactor: Redactor;
  retention: RetentionScheduler;
  alerts: AlertMonitor | null;
  status(): IngestStatus;
  /** The GET /health report. */
  health(): Promise<HealthResponse>;
  /** Resolves when everything acknowledged so far is committed. */
  idle(): Promise<void>;
  /** Stops receiving, commits what is queued, checkpoints and closes the database. */
  stop(): Promise<void>;
}

/**
 * Opens the store (migrating it), recovers the spool, starts the ingest loop,
 * then listens; then starts the retention schedule and the alert checks when
 * configured. Recovered payloads are queued before the first request is
 * accepted, so their seqs stay ahead of new ones. Recovered frames are
 * redacted again (a spool written by a memoryd without redaction holds the
 * bytes received).
 */
export async function startMemoryd(input: MemorydConfigInput, hooks: MemorydHooks = {}): Promise<Memoryd> {
  const config = resolveConfig(input);
  const log = hooks.log ?? (() => {});
  const redactor = new Redactor({ keys: config.redactKeys });
  let store: MemorydStore;
  let sink: FrameSink;
  if (hooks.storeWorker) {
    const thread = await StoreThread.open(hooks.storeWorker, config.db, redactor, (err) => {
      log(`memoryd: ${err.message}`);
      hooks.onFatal?.(err);
    });
    store = thread;
    sink = thread as FrameSink;
  } else {
    const local = await MemoryStore.open(config.db, hooks.beforeCommit ? { beforeCommit: hooks.beforeCommit } : {});
    store = local;
    sink = factSink(local, (kind, body) => {
      const d = decodePayload(kind, body);
      redactor.traces(d);
      return d;
    }) as FrameSink;
  }
  let ingestor: Ingestor;
  try {
    ingestor = await Ingestor.start({
      sink,
      spoolDir: config.spoolDir,
      maxBatchSpans: config.maxBatchSpans,
      maxQueuedSpans: config.maxQueuedSpans,
      segmentBytes: config.segmentBytes,
      ...(hooks.onCommit ? { onCommit: hooks.onCommit } : {}),
      onError: (err) => log(`memoryd: batch not committed (will retry): ${err.message}`),
      onQuarantine: (r) => log(`memoryd: frame ${r.seq} can never be ingested; quarantined in ${config.spoolDir}/quarantine and skipped: ${r.reason}`),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const policy = retentionPolicy(config);
  const retention = new RetentionScheduler(store, policy, policy ? config.retention!.intervalMs : null, log);
  // The hooks learn the URL once the server listens.
  const origin = { db: config.db, url: '' };
  const alerts = alertMonitor(config, origin, () => sampleAlerts(ingestor, store), log);
  let server;
  try {
    server = await startServer({
      ingestor,
      redactor,
      api: { ingestor, store, redactor, retention, alerts, degradedLagMs: config.degradedLagMs, maxBodyBytes: config.apiMaxBodyBytes, log },
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      authorized: bearerAuth(config.token),
      log,
    });
  } catch (err) {
    await ingestor.close();
    await store.close();
    throw err;
  }
  origin.url = server.url;
  alerts?.start();
  retention.start();
  let stopped: Promise<void> | null = null;
  return {
    url: server.url,
    config,
    store,
    redactor,
    retention,
    alerts,
    status: () => ingestor.status(),
    health: () => healthReport({ ingestor, store, redactor, retention, alerts, degradedLagMs: config.degradedLagMs }),
    idle: () => ingestor.idle(),
    stop: () =>
      (stopped ??= (async () => {
        await server.close();
        await alerts?.stop();
        await retention.stop();
        await ingestor.close();
        await store.close();
      })()),
  };
}

/** The configured retention limits, or null when none is set. */
function retentionPolicy(config: MemorydConfig): RetentionPolicy | null {
  const r = config.retention;
  if (!r || (r.maxAgeMs === undefined && r.maxBytes === undefined)) return null;
  return { ...(r.maxAgeMs !== undefined ? { maxAgeMs: r.maxAgeMs } : {}), ...(r.maxBytes !== undefined ? { maxBytes: r.maxBytes } : {}) };
}

/** The alert monitor of the configured thresholds and hooks, or null when no threshold is set. */
function alertMonitor(config: MemorydConfig, origin: { db: string; url: string }, sample: () => Promise<AlertSample>, log: (line: string) => void): AlertMonitor | null {
  const a = config.alerts;
  if (!a || (a.ingestLagMs === undefined && a.queuedSpans === undefined && a.databaseBytes === undefined)) return null;
  return new AlertMonitor(
    {
      thresholds: {
        ...(a.ingestLagMs !== undefined ? { ingest_lag_ms: a.ingestLagMs } : {}),
        ...(a.queuedSpans !== undefined ? { queued_spans: a.queuedSpans } : {}),
        ...(a.databaseBytes !== undefined ? { database_bytes: a.databaseBytes } : {}),
      },
      ...(a.command ? { command: a.command } : {}),
      ...(a.webhook ? { webhook: a.webhook } : {}),
      intervalMs: a.intervalMs,
      timeoutMs: a.hookTimeoutMs,
    },
    sample,
    origin,
    log,
  );
}
