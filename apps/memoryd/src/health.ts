import type { HealthResponse, Ingestor, Redactor } from '@govern/memory-store';
import type { AlertMonitor, AlertSample } from './alerts.js';
import type { RetentionScheduler } from './retention.js';
import type { MemorydStore } from './store-thread.js';

/** What GET /health reads. */
export interface HealthSources {
  ingestor: Ingestor;
  store: MemorydStore;
  redactor: Redactor;
  retention: RetentionScheduler;
  alerts: AlertMonitor | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The values alerts are checked against. Database bytes: the file and its WAL. */
export async function sampleAlerts(ingestor: Ingestor, store: MemorydStore): Promise<AlertSample> {
  const s = ingestor.status();
  const stats = await store.stats();
  return {
    ingest_lag_ms: s.oldestQueuedAt === null ? 0 : Math.max(0, Date.now() - s.oldestQueuedAt),
    queued_spans: s.queued.spans,
    database_bytes: stats.fileBytes + stats.walBytes,
  };
}

/**
 * The health report: the ingest counters (as before), the ingest lag, the
 * last checkpoint (ingest's and DuckDB's), the database size, redaction,
 * retention and alerts. `status` is `alerting` while an alert fires; the
 * alerts are checked afresh for each report.
 */
export async function healthReport(h: HealthSources): Promise<HealthResponse> {
  const alerts = h.alerts ? await h.alerts.check() : [];
  const s = h.ingestor.status();
  const stats = await h.store.stats();
  return {
    status: alerts.some((a) => a.state === 'firing') ? 'alerting' : 'ok',
    received: s.received,
    queued: s.queued,
    checkpoint: s.checkpoint,
    recovered: s.recovered,
    dedupeBatches: s.dedupeBatches,
    lastError: s.lastError,
    ingest: {
      lagFrames: s.queued.frames,
      lagSpans: s.queued.spans,
      lagMs: s.oldestQueuedAt === null ? 0 : Math.max(0, Date.now() - s.oldestQueuedAt),
      lastCommitAt: iso(stats.lastCommitAt),
    },
    lastCheckpoint: { seq: s.checkpoint.lastSeq, committedAt: iso(stats.lastCommitAt), databaseCheckpointAt: iso(stats.lastCheckpointAt) },
    database: { file: h.store.file, fileBytes: stats.fileBytes, walBytes: stats.walBytes, usedBytes: stats.usedBytes },
    redaction: { keys: [...h.redactor.keys], valuesRedacted: h.redactor.replaced },
    retention: { policy: h.retention.policy, intervalMs: h.retention.policy ? h.retention.intervalMs : null, lastRun: h.retention.lastRun },
    alerts,
  };
}
