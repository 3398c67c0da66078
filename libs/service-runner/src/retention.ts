import type { AuditEntry } from '@govern/adapter-kit';
import type { z } from 'zod';
import type { RetentionPolicy } from './context.js';
import type { RetentionSchema } from './schemas.js';

/** The default retention of the service audit: 90 days, at most 10 000 entries. */
export const DEFAULT_RETENTION: RetentionPolicy = { max_age_days: 90, max_entries: 10_000 };

const DAY_MS = 86_400_000;

/**
 * Applies a retention policy to audit entries (oldest first) at `now`: the
 * entries younger than `max_age_days`, then the newest `max_entries` of them.
 * Retention hides, it does not delete: the hash chain keeps every entry, so an
 * expired one still verifies the entries after it. What was applied is returned
 * beside the entries, so a reader sees the window it was given.
 */
export function retain(entries: readonly AuditEntry[], policy: RetentionPolicy, now: Date): { retained: AuditEntry[]; retention: z.input<typeof RetentionSchema> } {
  const cutoff = policy.max_age_days === null ? null : now.getTime() - policy.max_age_days * DAY_MS;
  let retained = cutoff === null ? [...entries] : entries.filter((e) => Date.parse(e.at) >= cutoff);
  if (policy.max_entries !== null && retained.length > policy.max_entries) retained = retained.slice(-policy.max_entries);
  return {
    retained,
    retention: {
      policy: { max_age_days: policy.max_age_days, max_entries: policy.max_entries },
      evaluated_at: now.toISOString(),
      total: entries.length,
      retained: retained.length,
      expired: entries.length - retained.length,
      oldest_retained_at: retained[0]?.at ?? null,
    },
  };
}
