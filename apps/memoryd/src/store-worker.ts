import { parentPort } from 'node:worker_threads';
import { emptyBatch, MemoryStore, PoisonFramesError, Redactor, StoreError, toFacts, type FactBatch } from '@govern/memory-store';
import { faultBeforeCommit } from './faults.js';
import { unpackFacts, type PackedFacts } from './packed.js';
import { decodePayload } from './otlp/index.js';
import { toWireError, type StoreCall, type StoreReply } from './store-thread.js';

/**
 * The store worker's side of {@link StoreThread} (store-thread.ts): it owns the
 * DuckDB file. Fresh frames arrive as packed facts ("stage") and wait for the
 * commit that names their seqs; a recovered frame arrives with its commit as
 * spooled bytes, and is decoded, redacted again (a spool written before
 * redaction holds the bytes received) and made into facts here. A commit
 * appends the facts and advances the checkpoint in one transaction.
 *
 * A frame whose facts cannot be made here — its bytes no longer decode, or
 * unpacking, redacting or making its facts throws — fails the commit with
 * PoisonFramesError before anything is written, naming each such frame: the
 * ingest loop quarantines them and commits the range again without them. It
 * never fails the whole batch for good, nor takes down the worker.
 *
 * Fault injection for the kill test (MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS)
 * is read from the environment here, as the command line does for a store in
 * its own thread.
 */
export function runStoreWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runStoreWorker: not in a worker thread');
  let store: MemoryStore | null = null;
  let redactor = new Redactor();
  let reported = 0;
  /**
   * Packed facts of staged frames by seq, until the commit that covers them
   * succeeds. They are unpacked at the commit, not when they arrive: rows made
   * just before their append die young, where rows waiting for their batch
   * outlive a young-generation GC and are copied to the old generation.
   */
  const staged = new Map<number, PackedFacts>();
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  /** Adds one frame's facts to the batch; on any error, says why the frame can never be ingested (the caller takes back what it added). */
  const addFrame = (f: { seq: number; kind: number; body?: Uint8Array }, batch: FactBatch): string | null => {
    try {
      const packed = staged.get(f.seq);
      if (packed) {
        unpackFacts(packed, batch);
        return null;
      }
      if (!f.body) return `frame ${f.seq}: its facts never reached the store worker`;
      let decoded;
      try {
        decoded = decodePayload(f.kind, Buffer.from(f.body.buffer, f.body.byteOffset, f.body.byteLength));
      } catch (err) {
        return `frame ${f.seq} does not decode: ${message(err)}`;
      }
      // A recovered frame: redacted again (a spool written before redaction holds the bytes received).
      redactor.traces(decoded);
      toFacts(decoded.resourceSpans, batch);
      return null;
    } catch (err) {
      return `frame ${f.seq}: its facts cannot be made: ${message(err)}`;
    }
  };
  /** Takes the rows added since `mark` back out of the batch (Map keeps insertion order). */
  const rollback = (batch: FactBatch, mark: { tasks: number; events: number; resources: number }) => {
    batch.tasks.length = mark.tasks;
    batch.events.length = mark.events;
    let i = 0;
    for (const k of [...batch.resources.keys()]) if (i++ >= mark.resources) batch.resources.delete(k);
  };

  const handle = async (msg: StoreCall): Promise<unknown> => {
    if (msg.op === 'open') {
      redactor = new Redactor({ keys: msg.redactKeys });
      const hook = faultBeforeCommit(process.env);
      store = await MemoryStore.open(msg.db, hook ? { beforeCommit: hook } : {});
      return null;
    }
    if (!store) throw new StoreError('closed', 'the store is not open');
    switch (msg.op) {
      case 'commit': {
        const batch = emptyBatch();
        const poison: { seq: number; reason: string }[] = [];
        for (const f of msg.frames) {
          const mark = { tasks: batch.tasks.length, events: batch.events.length, resources: batch.resources.size };
          const reason = addFrame(f, batch);
          if (reason === null) continue;
          rollback(batch, mark);
          poison.push({ seq: f.seq, reason });
        }
        if (poison.length) {
          for (const p of poison) staged.delete(p.seq);
          throw new PoisonFramesError(poison);
        }
        const r = await store.commit(batch, msg.range);
        // Every frame of the range is done with, those left out of the commit (quarantined) too.
        for (const seq of staged.keys()) if (seq <= msg.range.lastSeq) staged.delete(seq);
        return r;
      }
      case 'maintain':
        return store.maintain();
      case 'all':
        return store.all(msg.sql, msg.params);
      case 'query':
        return store.query(msg.req, msg.nowNs);
      case 'upsert':
        return store.upsert(msg.req, { nowNs: msg.nowNs, redactor });
      case 'auditLog':
        return store.auditLog(msg.req, msg.nowNs);
      case 'retention':
        return store.retention(msg.policy, msg.opts);
      case 'stats':
        return store.stats();
      case 'close': {
        const s = store;
        store = null;
        await s.close();
        return null;
      }
    }
  };

  port.on('message', (m: StoreCall & { id: number }) => {
    if (m.op === 'stage') {
      // No reply: the facts of a fresh frame (made by the receiver from the redacted spans), kept until their commit.
      staged.set(m.seq, m.facts);
      return;
    }
    // Calls run concurrently; the store queues its own statements (two write connections, one read connection: duckdb.ts).
    void handle(m).then(
      (value) => send(m, { ok: true, value }),
      (err) => send(m, { ok: false, error: toWireError(err) }),
    );
  });

  function send(m: StoreCall & { id: number }, r: { ok: true; value: unknown } | { ok: false; error: ReturnType<typeof toWireError> }): void {
    const redacted = redactor.replaced - reported;
    reported = redactor.replaced;
    const withCp = store && (m.op === 'commit' || m.op === 'open') ? { checkpoint: store.checkpoint() } : {};
    port!.postMessage({ id: m.id, redacted, ...withCp, ...r } as StoreReply);
  }
}
