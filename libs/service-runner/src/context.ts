import type { AdapterClient } from '@govern/adapter-kit';
import type { MemoryClient } from '@govern/memory-contract';
import type { Workspace } from '@govern/workspace';
import type { z } from 'zod';
import type { Review } from './review.js';

/** The rollout modes of seed 002, applied to the runner's writes. */
export const SERVICE_MODES = ['shadow', 'guided', 'prescriptive'] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

/** Through what an operation was called: recorded as the audit entry's `via`. */
export type Surface = 'library' | 'http' | 'mcp';

/**
 * What an operation does to the repository, which decides its review and audit:
 * `read` changes nothing (audited only when refused); `artifact` writes derived
 * files under `.govern/` (audited); `write` changes tracked state (audited, denied
 * in shadow mode, review-gated in prescriptive mode); `review` records a review.
 */
export type Effect = 'read' | 'artifact' | 'write' | 'review';

/** How long audit entries stay visible to `audit.query` (null: no limit on that axis). */
export interface RetentionPolicy {
  max_age_days: number | null;
  max_entries: number | null;
}

/** What a local runner path gets. */
export interface OperationContext {
  root: string;
  now: () => Date;
  /** Who calls: recorded in the audit entry and the library's own records. */
  actor: string;
  via: Surface;
  mode: ServiceMode;
  env: Record<string, string | undefined>;
  cacheDir: string | null | undefined;
  toolVersion: string;
  retention: RetentionPolicy;
  /** The composed store packs (opened once per runner). */
  adapters(): Promise<AdapterClient>;
  /** The name of the pack providing `store.audit`. */
  storeName: string;
  /** The workspace as the files are now. */
  workspace(): Promise<Workspace>;
  memory(): MemoryClient;
  /** The binder database, relative to the root. */
  binderDb: string;
  /** The approved review this call runs under (review-gated operations only). */
  review: Review | null;
  /** Summary of the operation table (health). */
  operations: { total: number; implemented: number; unsupported: number };
  /** The gates the table checks (health). */
  gateNames: readonly string[];
}

/** An operation's local runner path, or why there is none. */
export type Support<I extends z.ZodObject, O extends z.ZodObject> =
  | { kind: 'local'; run(input: z.output<I>, ctx: OperationContext): Promise<z.input<O>> }
  | { kind: 'unsupported'; reason: string };

/** One entry of `SERVICE_OPERATIONS`. */
export interface ServiceOperation<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  summary: string;
  /** Longer text for the OpenAPI description and the MCP tool. */
  description: string;
  input: I;
  output: O;
  effect: Effect;
  /** `always`: every call needs an approved review; `prescriptive`: in prescriptive mode; `never`. */
  review: 'never' | 'prescriptive' | 'always';
  /** The gate of the library the runner path calls, checked (where declared) beside `service-runner`. */
  gate: string | null;
  /** The library the runner path calls (documentation and the scorecard). */
  library: string;
  /** What the audit entry names as subject. */
  subject(input: z.output<I>): string;
  support: Support<I, O>;
}
