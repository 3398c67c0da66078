import { Worker } from 'node:worker_threads';
import type { KnownSecret } from '@govern/secrets';
import { BinderError } from './errors.js';
import { isProvenPlain } from './fast-envelope.js';
import { isWellFormedJson, NOT_CANONICAL, stagedFact, type Kind, type RowValues, type Situation, type SituationCache, type StagedFact } from './staged.js';
import { screenEnvelopes, type QuarantineReason } from './validate.js';

/** A quarantine reason as a part's answer carries it (validate.ts's, or {@link NOT_CANONICAL}). */
type PartReason = QuarantineReason | typeof NOT_CANONICAL;

/**
 * A bind worker's answer for one part, sent as one JSON text (one string crosses the
 * thread faster than the structured clone of 12,500 rows of objects). Situations and
 * kinds travel once per worker, by id: a TaskSpec recurs run after run, so sending its
 * ten columns with every row would cost more than the row itself.
 */
interface PartAnswer {
  /** The worker cleared its caches before this part: drop every id received before. */
  reset: boolean;
  /** Situations first used in this part: id, then {@link Situation.cols}. */
  sits: Array<[number, Situation['cols']]>;
  /** Kinds first used in this part: id, then {@link Kind.cols}. */
  kinds: Array<[number, Kind['cols']]>;
  /** Each valid record: its position in the part, situation id, kind id, row values. */
  rows: Array<[number, number, number, RowValues]>;
  /** Each refused record: its position in the part and why. */
  refused: Array<[number, PartReason[]]>;
}

/** A part as the store uses it: positions are within the part, facts are whole again. */
export interface PreparedPart {
  rows: Array<{ pos: number; fact: StagedFact }>;
  refused: Array<{ pos: number; reasons: PartReason[] }>;
}

/**
 * The worker's side: validates (with secret screening) one part's records and builds the
 * staged fact of each valid one, exactly as the store's in-thread `prepare` does
 * (screenEnvelopes, then the lone-surrogate check, then stagedFact), from the records'
 * JSON text. Only records for which that text is exact ({@link crossesAsText}) are sent.
 */
export class PartPreparer {
  private readonly cache: SituationCache = new Map();
  private readonly sitIds = new Map<Situation, number>();
  private readonly kindIds = new Map<Kind, number>();
  private nextId = 0;
  private reset = false;

  constructor(private readonly known: readonly KnownSecret[]) {}

  /** The answer for one part: `text` is a JSON array of the part's records. */
  async prepare(text: string): Promise<string> {
    const records = JSON.parse(text) as unknown[];
    // Bounded like the store's own cache; the main thread is told to drop its ids too.
    if (this.cache.size > 100_000 || this.kindIds.size > 10_000) {
      this.cache.clear();
      this.sitIds.clear();
      this.kindIds.clear();
      this.reset = true;
    }
    const verdicts = await screenEnvelopes(records, { known: this.known });
    const out: PartAnswer = { reset: this.reset, sits: [], kinds: [], rows: [], refused: [] };
    this.reset = false;
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i]!;
      if (!v.ok) {
        out.refused.push([i, v.reasons]);
        continue;
      }
      if (!isProvenPlain(v.envelope) && !isWellFormedJson(v.envelope)) {
        out.refused.push([i, [{ ...NOT_CANONICAL }]]);
        continue;
      }
      const f = stagedFact(v.envelope, this.cache);
      let s = this.sitIds.get(f.sit);
      if (s === undefined) {
        s = this.nextId++;
        this.sitIds.set(f.sit, s);
        out.sits.push([s, f.sit.cols]);
      }
      let k = this.kindIds.get(f.kind);
      if (k === undefined) {
        k = this.nextId++;
        this.kindIds.set(f.kind, k);
        out.kinds.push([k, f.kind.cols]);
      }
      out.rows.push([i, s, k, f.values]);
    }
    return JSON.stringify(out);
  }
}

/** What the main thread sends a bind worker: one part (a JSON array text) and its id. */
export interface PartRequest {
  id: number;
  text: string;
}
/** What a bind worker answers: the part's {@link PartAnswer} text, or why it failed. */
export type PartReply = { id: number; answer: string } | { id: number; error: string };

/** One worker thread and what the main thread knows of it. */
class Thread {
  readonly worker: Worker;
  readonly pending = new Map<number, { resolve: (p: PreparedPart) => void; reject: (e: unknown) => void }>();
  /** Situations and kinds by the ids this worker gave them. */
  private readonly sits = new Map<number, Situation>();
  private readonly kinds = new Map<number, Kind>();
  dead = false;

  constructor(url: URL, known: readonly KnownSecret[], private readonly onDead: () => void) {
    this.worker = new Worker(url, { workerData: { known } });
    this.worker.unref();
    this.worker.on('message', (m: PartReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (!this.pending.size) this.worker.unref();
      if ('error' in m) p.reject(new BinderError('worker-failed', `the bind worker could not prepare a part: ${m.error}`));
      else {
        try {
          p.resolve(this.receive(m.answer));
        } catch (err) {
          p.reject(new BinderError('worker-failed', `the bind worker's answer is unreadable: ${(err as Error).message}`, { cause: err }));
        }
      }
    });
    this.worker.on('error', (err) => this.fail(`the bind worker failed: ${err.message}`, err));
    this.worker.on('messageerror', (err) => this.fail(`a bind worker message could not be read: ${err.message}`, err));
    this.worker.on('exit', (code) => this.fail(`the bind worker exited (code ${code})`));
  }

  /** Answers are applied in the order they come, which is the order the worker made them. */
  private receive(text: string): PreparedPart {
    const a = JSON.parse(text) as PartAnswer;
    if (a.reset) {
      this.sits.clear();
      this.kinds.clear();
    }
    for (const [id, cols] of a.sits) this.sits.set(id, { cols });
    for (const [id, cols] of a.kinds) this.kinds.set(id, { cols });
    const rows = new Array<{ pos: number; fact: StagedFact }>(a.rows.length);
    for (let i = 0; i < a.rows.length; i++) {
      const [pos, s, k, values] = a.rows[i]!;
      const sit = this.sits.get(s);
      const kind = this.kinds.get(k);
      if (!sit || !kind) throw new Error(`row ${pos} names an unknown situation or kind`);
      rows[i] = { pos, fact: { values, sit, kind } };
    }
    return { rows, refused: a.refused.map(([pos, reasons]) => ({ pos, reasons })) };
  }

  send(id: number, text: string): Promise<PreparedPart> {
    return new Promise<PreparedPart>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, text } satisfies PartRequest);
    });
  }

  /** Every part in flight fails with a coded error; the thread is not used again. */
  fail(message: string, cause?: unknown): void {
    if (!this.dead) {
      this.dead = true;
      this.onDead();
      void this.worker.terminate().catch(() => undefined);
    }
    for (const p of this.pending.values()) p.reject(new BinderError('worker-failed', message, cause === undefined ? {} : { cause }));
    this.pending.clear();
  }
}

/**
 * The bind workers of one binder: parts go to them in turn (one worker is the right
 * number on two cores: the main thread stages and DuckDB inserts on the other). A
 * worker is started on first use and kept for the binder's life; one that fails
 * (an error, an exit, an unreadable answer) fails the parts it holds with
 * `worker-failed` and is replaced on the next call.
 */
export class BindWorkers {
  private readonly threads: Array<Thread | null>;
  private turn = 0;
  private nextId = 0;

  constructor(private readonly url: URL, count: number, private readonly known: readonly KnownSecret[]) {
    this.threads = Array.from({ length: count }, () => null);
  }

  /** Prepares one part on the next worker. `texts`: the JSON text of each record. */
  submit(texts: readonly string[]): Promise<PreparedPart> {
    const i = this.turn++ % this.threads.length;
    let t = this.threads[i];
    if (!t || t.dead) {
      try {
        t = new Thread(this.url, this.known, () => {
          if (this.threads[i] === t) this.threads[i] = null;
        });
      } catch (err) {
        return Promise.reject(new BinderError('worker-failed', `the bind worker could not start: ${(err as Error).message}`, { cause: err }));
      }
      this.threads[i] = t;
    }
    return t.send(this.nextId++, `[${texts.join(',')}]`);
  }

  /** Stops every worker (parts still in flight fail). */
  async close(): Promise<void> {
    const ts = this.threads.filter((t): t is Thread => t !== null);
    this.threads.fill(null);
    await Promise.all(
      ts.map(async (t) => {
        t.dead = true;
        await t.worker.terminate().catch(() => undefined);
        t.fail('the binder was closed');
      }),
    );
  }
}
