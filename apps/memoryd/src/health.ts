import type { HealthResponse, IngestStatus, Ingestor, Redactor } from '@govern/memory-store';
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
  /** Health is degraded while the oldest acknowledged, uncommitted payload is older than this. */
  degradedLagMs: number;
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
 * Why ingest is degraded, if it is: it lags behind what was acknowledged.
 *
 * - `ingest-lag`: the oldest acknowledged, uncommitted payload has waited longer
 *   than `degradedLagMs` (commits fail and are retried, or cannot keep up);
 * - `queue-full`: the uncommitted spans reached `maxQueuedSpans`, so new payloads
 *   are answered 503 (exporters retry, and drop what they cannot keep).
 */
export function degradedReasons(s: IngestStatus, degradedLagMs: number, now = Date.now()): HealthResponse['degraded'] {
  const out: HealthResponse['degraded'] = [];
  const lagMs = s.oldestQueuedAt === null ? 0 : Math.max(0, now - s.oldestQueuedAt);
  if (lagMs > degradedLagMs) out.push({ code: 'ingest-lag', message: `the oldest acknowledged payload has waited ${lagMs} ms for its commit (degraded after ${degradedLagMs} ms)` });
  if (s.queued.spans >= s.maxQueuedSpans) {
    out.push({ code: 'queue-full', message: `${s.queued.spans} spans wait for their commit, at the limit of ${s.maxQueuedSpans}: new payloads are answered 503` });
  }
  return out;
}

/**
 * The health report: the ingest counters (as before), the ingest lag, the
 * last checkpoint (ingest's and DuckDB's), the database size, redaction,
 * retention, alerts and the quarantine. `status` is `degraded` while ingest
 * lags (`degraded` says why), else `alerting` while an alert fires, else `ok`;
 * the alerts are checked afresh for each report.
 */
export async function healthReport(h: HealthSources): Promise<HealthResponse> {
  const alerts = h.alerts ? await h.alerts.check() : [];
  const s = h.ingestor.status();
  const stats = await h.store.stats();
  const degraded = degradedReasons(s, h.degradedLagMs);
  return {
    status: degraded.length ? 'degraded' : alerts.some((a) => a.state === 'firing') ? 'alerting' : 'ok',
    degraded,
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
    quarantine: s.quarantine,
  };
}
