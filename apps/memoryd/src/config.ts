import path from 'node:path';
import { EXIT, GovernError } from '@govern/errors';
import { assertSafeBind, MIN_TOKEN_BYTES, UnsafeBindError } from '@govern/http-service';
import { z } from 'zod';

/** memoryd's settings: where the store and spool live, where it listens, its bounds and its policies. */
export const MemorydConfigSchema = z.object({
  /** The DuckDB file (created with its directory). memoryd is its only read-write user. */
  db: z.string().min(1),
  /** The spool directory; default `<db>.spool`. */
  spoolDir: z.string().min(1).optional(),
  /** Loopback by default. Any other address requires a `token` of at least MIN_TOKEN_BYTES (32) bytes. */
  host: z.string().default('127.0.0.1'),
  /** The bearer token every request must carry (auth.ts). Never printed or logged. */
  token: z.string().trim().min(1).optional(),
  /** 4318 is the OTLP/HTTP default port; 0 picks a free one. */
  port: z.int().min(0).max(65_535).default(4318),
  maxBodyBytes: z.int().positive().default(16 * 2 ** 20),
  /** Largest body of a memory API request (queries, upserts: small JSON). */
  apiMaxBodyBytes: z.int().positive().default(64 * 1024),
  maxBatchSpans: z.int().positive().default(20_000),
  maxQueuedSpans: z.int().positive().default(200_000),
  /**
   * Health is `degraded` while the oldest acknowledged, uncommitted payload is older than
   * this (and while the queue is at maxQueuedSpans). A batch commits in well under a second;
   * a retention run holds ingest for seconds: a minute means ingest is not keeping up.
   */
  degradedLagMs: z.int().positive().default(60_000),
  segmentBytes: z.int().positive().default(64 * 2 ** 20),
  /** Attribute keys whose values are always redacted, besides the defaults (libs/memory-store redact.ts). */
  redactKeys: z.array(z.string().min(1)).default([]),
  /** Retention, applied at start and every `intervalMs` when a limit is set (and on POST /v1/memory/retention). */
  retention: z
    .object({
      maxAgeMs: z.int().positive().optional(),
      maxBytes: z.int().positive().optional(),
      intervalMs: z.int().positive().default(3_600_000),
    })
    .optional(),
  /** Alert thresholds (an alert fires when its value exceeds the threshold) and the hooks told when one fires or resolves. */
  alerts: z
    .object({
      ingestLagMs: z.int().positive().optional(),
      queuedSpans: z.int().positive().optional(),
      databaseBytes: z.int().positive().optional(),
      /** Run with /bin/sh -c; the alert as JSON on stdin and MEMORYD_ALERT_* variables. */
      command: z.string().min(1).optional(),
      /** POSTed the alert as JSON. */
      webhook: z.url({ protocol: /^https?$/ }).optional(),
      intervalMs: z.int().positive().default(10_000),
      /** A hook taking longer is abandoned (the command killed). */
      hookTimeoutMs: z.int().positive().default(10_000),
    })
    .optional(),
});
export type MemorydConfigInput = z.input<typeof MemorydConfigSchema>;
export type MemorydConfig = z.infer<typeof MemorydConfigSchema> & { spoolDir: string };

/** A setting memoryd refuses to start with (the command line exits 2). */
export class MemorydConfigError extends GovernError<'memoryd-config'> {
  constructor(message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super('memoryd-config', message, { ...options, exitCode: EXIT.usage });
  }
}

export { MIN_TOKEN_BYTES };

/**
 * Validates the settings and resolves the paths (the spool next to the
 * database by default). Refuses a non-loopback `host` without a `token`, or with
 * one shorter than MIN_TOKEN_BYTES (the kernel's rule, @govern/http-service).
 */
export function resolveConfig(input: MemorydConfigInput): MemorydConfig {
  const c = MemorydConfigSchema.parse(input);
  try {
    assertSafeBind(c.host, c.token, { service: 'memoryd' });
  } catch (err) {
    if (err instanceof UnsafeBindError) throw new MemorydConfigError(err.message, { details: err.details, cause: err });
    throw err;
  }
  const db = path.resolve(c.db);
  return { ...c, db, spoolDir: path.resolve(c.spoolDir ?? `${db}.spool`) };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** `30d`, `12h`, `15m`, `10s`, `500ms` → milliseconds; null when not a duration. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s.trim());
  return m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : null;
}

/** `2GiB`, `500MB`, `1048576` → bytes; null when not a size. */
export function parseBytes(s: string): number | null {
  const m = /^(\d+)\s*([kmg]i?b|b)?$/i.exec(s.trim());
  return m ? Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]! : null;
}
