import { parentPort } from 'node:worker_threads';
import { emptyBatch, MemoryStore, Redactor, StoreError, toFacts, type DecodedTraces } from '@govern/memory-store';
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
  /** A recovered frame's spans; null when its bytes no longer decode (noted in `skipped`: its spans are skipped, the checkpoint moves on). */
  const decode = (seq: number, kind: number, body: Uint8Array, skipped: string[]): DecodedTraces | null => {
    try {
      return decodePayload(kind, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    } catch (err) {
      skipped.push(`frame ${seq} no longer decodes: ${(err as Error).message}; its spans are skipped`);
      return null;
    }
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
        const skipped: string[] = [];
        for (const f of msg.frames) {
          const packed = staged.get(f.seq);
          if (packed) {
            unpackFacts(packed, batch);
            continue;
          }
          const decoded = f.body ? decode(f.seq, f.kind, f.body, skipped) : null;
          if (!decoded) continue;
          // A recovered frame: redacted again (a spool written before redaction holds the bytes received).
          redactor.traces(decoded);
          toFacts(decoded.resourceSpans, batch);
        }
        const r = await store.commit(batch, msg.range);
        for (const f of msg.frames) staged.delete(f.seq);
        return skipped.length ? { ...r, skipped } : r;
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
