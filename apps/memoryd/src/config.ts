import path from 'node:path';
import { z } from 'zod';

/** memoryd's settings: where the store and spool live, where it listens, and its bounds. */
export const MemorydConfigSchema = z.object({
  /** The DuckDB file (created with its directory). memoryd is its only read-write user. */
  db: z.string().min(1),
  /** The spool directory; default `<db>.spool`. */
  spoolDir: z.string().min(1).optional(),
  /** Loopback by default: the receiver has no authentication. */
  host: z.string().default('127.0.0.1'),
  /** 4318 is the OTLP/HTTP default port; 0 picks a free one. */
  port: z.int().min(0).max(65_535).default(4318),
  maxBodyBytes: z.int().positive().default(16 * 2 ** 20),
  maxBatchSpans: z.int().positive().default(20_000),
  maxQueuedSpans: z.int().positive().default(200_000),
  segmentBytes: z.int().positive().default(64 * 2 ** 20),
});
export type MemorydConfigInput = z.input<typeof MemorydConfigSchema>;
export type MemorydConfig = z.infer<typeof MemorydConfigSchema> & { spoolDir: string };

/** Validates the settings and resolves the paths (the spool next to the database by default). */
export function resolveConfig(input: MemorydConfigInput): MemorydConfig {
  const c = MemorydConfigSchema.parse(input);
  const db = path.resolve(c.db);
  return { ...c, db, spoolDir: path.resolve(c.spoolDir ?? `${db}.spool`) };
}
