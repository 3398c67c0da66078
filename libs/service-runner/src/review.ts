import { canonicalSha256, type EventRecord, type EventStore } from '@govern/adapter-kit';
import type { z } from 'zod';
import type { ReviewSchema } from './schemas.js';

export type Review = z.output<typeof ReviewSchema>;

/** The event stream of the review ledger, in the store pack's `store.event`. */
export const REVIEW_STREAM = 'service-reviews';

/**
 * The review ledger: requests, approvals and their consumption as events of one
 * stream (append-only, so every approval stays recorded). A review belongs to one
 * operation and one exact input (its sha256): approving it lets that call run
 * once; the next identical call needs a new review. Its id is derived from the
 * input and how many reviews that input had before, so the same history gives the
 * same ids (the evaluation fixtures rely on it).
 */
export class ReviewLedger {
  constructor(private readonly events: EventStore) {}

  /** Every review with its current state, and the last seq read (for optimistic appends). */
  async load(): Promise<{ reviews: Map<string, Review>; seq: number }> {
    const events: EventRecord[] = await this.events.list(REVIEW_STREAM);
    const reviews = new Map<string, Review>();
    for (const e of events) {
      const d = e.data as Record<string, string>;
      const id = d.review_id!;
      if (e.type === 'review.requested') {
        reviews.set(id, {
          review_id: id,
          operation: d.operation!,
          subject: d.subject!,
          input_sha256: d.input_sha256!,
          requested_by: d.requested_by!,
          requested_at: e.at,
          state: 'pending',
          approved_by: null,
          approved_at: null,
        });
      } else if (e.type === 'review.approved' && reviews.has(id)) {
        const r = reviews.get(id)!;
        reviews.set(id, { ...r, state: 'approved', approved_by: d.reviewer!, approved_at: e.at });
      } else if (e.type === 'review.consumed' && reviews.has(id)) {
        reviews.set(id, { ...reviews.get(id)!, state: 'consumed' });
      }
    }
    return { reviews, seq: events.at(-1)?.seq ?? 0 };
  }

  /**
   * The open review (pending or approved) of this operation and input, or a new
   * pending one, recorded now. `created` says which.
   */
  async requestFor(operation: string, subject: string, input: unknown, requestedBy: string): Promise<{ review: Review; created: boolean }> {
    const inputSha = canonicalSha256({ operation, input });
    const { reviews, seq } = await this.load();
    const same = [...reviews.values()].filter((r) => r.input_sha256 === inputSha);
    const open = same.find((r) => r.state !== 'consumed');
    if (open) return { review: open, created: false };
    const review_id = `rv-${canonicalSha256({ input_sha256: inputSha, n: same.length }).slice(0, 16)}`;
    const [event] = await this.events.append(
      REVIEW_STREAM,
      [{ type: 'review.requested', data: { review_id, operation, subject, input_sha256: inputSha, requested_by: requestedBy } }],
      { expectedSeq: seq },
    );
    return {
      review: { review_id, operation, subject, input_sha256: inputSha, requested_by: requestedBy, requested_at: event!.at, state: 'pending', approved_by: null, approved_at: null },
      created: true,
    };
  }

  async get(reviewId: string): Promise<Review | null> {
    return (await this.load()).reviews.get(reviewId) ?? null;
  }

  /** Records the approval (a second approval of an approved review changes nothing). */
  async approve(reviewId: string, reviewer: string, note: string | undefined): Promise<Review> {
    const { reviews, seq } = await this.load();
    const r = reviews.get(reviewId)!;
    if (r.state !== 'pending') return r;
    const [event] = await this.events.append(REVIEW_STREAM, [{ type: 'review.approved', data: { review_id: reviewId, reviewer, ...(note ? { note } : {}) } }], { expectedSeq: seq });
    return { ...r, state: 'approved', approved_by: reviewer, approved_at: event!.at };
  }

  /** Marks an approved review used; a concurrent use of the same review loses with a conflict. */
  async consume(reviewId: string, expectedSeq: number): Promise<void> {
    await this.events.append(REVIEW_STREAM, [{ type: 'review.consumed', data: { review_id: reviewId } }], { expectedSeq });
  }
}
