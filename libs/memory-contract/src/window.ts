import { z } from 'zod';
import { MemoryApiError } from './errors.js';

/**
 * Time windows. Every query of the memory API reads a half-open window
 * `[from, to)` of fact times (a task fact's `start_ns`, an event fact's
 * `time_ns`, an audit record's `at_ns`): given, or defaulted to the
 * {@link DEFAULT_WINDOW_MS} before `to` (itself defaulting to memoryd's clock
 * when the request arrives); never wider than {@link MAX_WINDOW_MS}. The
 * answer carries the window it used, so a caller can repeat a query exactly.
 */
export const NS_PER_MS = 1_000_000n;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Span of a window when the request gives no `from`: 7 days. */
export const DEFAULT_WINDOW_MS = 7 * DAY_MS;
/** The widest window a query may read: 31 days. */
export const MAX_WINDOW_MS = 31 * DAY_MS;

/** A point in time: an ISO 8601 date-time with a zone (`2026-02-15T10:00:00Z`), or Unix nanoseconds as a decimal string. */
export const TimeSchema = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,19}$/, 'Unix nanoseconds as a decimal string')])
  .describe('ISO 8601 with a zone (2026-02-15T10:00:00Z) or Unix nanoseconds as a decimal string');

export const WindowSchema = z
  .strictObject({
    from: TimeSchema.optional().describe(`inclusive start; default: ${DEFAULT_WINDOW_MS / DAY_MS} days before to`),
    to: TimeSchema.optional().describe("exclusive end; default: memoryd's clock when the request arrives"),
  })
  .describe(`the half-open time window [from, to) a query reads; at most ${MAX_WINDOW_MS / DAY_MS} days wide`);
export type WindowInput = z.infer<typeof WindowSchema>;

/** The window a query used, in both spellings. */
export const ResolvedWindowSchema = z.object({
  from: z.string().describe('ISO 8601, millisecond precision'),
  to: z.string().describe('ISO 8601, millisecond precision'),
  fromNs: z.string().describe('Unix nanoseconds (exact)'),
  toNs: z.string().describe('Unix nanoseconds (exact)'),
});
export type ResolvedWindow = z.infer<typeof ResolvedWindowSchema>;

/** Unix nanoseconds of a {@link TimeSchema} value. */
export function parseTime(t: string): bigint {
  if (/^\d+$/.test(t)) return BigInt(t);
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new MemoryApiError('window-invalid', `not a time: ${t}`, { value: t });
  // Sub-millisecond digits of an ISO time are kept (Date drops them).
  const frac = /\.(\d+)/.exec(t)?.[1] ?? '';
  const subMs = frac.length > 3 ? BigInt(frac.slice(3, 9).padEnd(6, '0')) : 0n;
  return BigInt(ms) * NS_PER_MS + subMs;
}

/** ISO 8601 (UTC, millisecond precision) of Unix nanoseconds. */
export function isoOfNs(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  return new Date(Number(ms)).toISOString();
}

/** Resolves a request's window against `nowNs`; refuses an empty, inverted or too wide one. */
export function resolveWindow(input: WindowInput | undefined, nowNs: bigint, maxMs = MAX_WINDOW_MS): { fromNs: bigint; toNs: bigint; window: ResolvedWindow } {
  const toNs = input?.to !== undefined ? parseTime(input.to) : nowNs;
  const fromNs = input?.from !== undefined ? parseTime(input.from) : toNs - BigInt(DEFAULT_WINDOW_MS) * NS_PER_MS;
  if (fromNs >= toNs) throw new MemoryApiError('window-invalid', 'the window is empty: from must be before to', { fromNs: String(fromNs), toNs: String(toNs) });
  const maxNs = BigInt(maxMs) * NS_PER_MS;
  if (toNs - fromNs > maxNs) {
    throw new MemoryApiError('window-too-wide', `the window spans more than ${maxMs / DAY_MS} days; narrow it or page by time`, {
      maxMs,
      spanMs: Number((toNs - fromNs) / NS_PER_MS),
    });
  }
  return { fromNs, toNs, window: { from: isoOfNs(fromNs), to: isoOfNs(toNs), fromNs: String(fromNs), toNs: String(toNs) } };
}
