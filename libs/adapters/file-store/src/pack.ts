import path from 'node:path';
import {
  adapterFailure,
  canonicalJson,
  AuditEntrySchema,
  canonicalSha256,
  definePack,
  denyWrites,
  ensureOwnedDir,
  EventRecordSchema,
  FAILURE_REASONS,
  GraphSnapshotSchema,
  pageEvents,
  parseRecord,
  requireKey,
  sealAuditEntry,
  sealEvents,
  snapshotRef,
  verifyAuditChain,
  type AuditEntry,
  type AuditStore,
  type EventRecord,
  type EventStore,
  type GraphSnapshot,
  type GraphStore,
  type PackContext,
} from '@govern/adapter-kit';
import { createExclusive, isTemp, listDir, readText, replaceAtomic } from './files.js';
import { fileStoreMaintenance } from './maintenance.js';

const NAME = 'file-store';

/** The directory the pack owns, relative to its root. */
export const FILE_STORE_DIR = '.govern/adapters/file-store';

/**
 * The layout version this build writes and reads (in `meta.json`). A store
 * written by a newer layout is refused (`adapter.store.schema`) rather than
 * misread; the migrations between layouts are GV-WP-0012-T03's.
 */
export const FILE_STORE_LAYOUT = 1;

/** The file store's compatibility manifest. */
export const FILE_STORE_MANIFEST = {
  schema: 'govern.adapter-manifest/v1',
  name: NAME,
  package: '@govern/adapter-file-store',
  version: '0.1.0',
  description: 'graph snapshots, event streams and the audit chain as canonical JSON files under .govern/adapters/file-store, written atomically',
  capabilities: ['store.graph', 'store.event', 'store.audit'],
  durability: 'persistent',
  // The versions this pack was written against, as literals: a build whose contracts moved to another major
  // fails the pack's contract subcheck until someone reviews the pack and raises them.
  contracts: [
    { name: '@govern/contracts', version: '1.0.0' },
    { name: 'govern-adapter-capabilities', version: '1.0.0' },
  ],
  ownership: { paths: [`${FILE_STORE_DIR}/**`], tables: [], remote: [] },
  conformance: ['govern-conformance/1'],
  gate: 'adapter-file-store',
} as const;

/** Sequence numbers in file names, zero-padded so that names sort as numbers. */
const pad = (n: number) => String(n).padStart(12, '0');
const SEQ_FILE = /^(\d{12})\.(json|jsonl)$/;
/** How often an append that lost a name to another writer recomputes and tries again. */
const RETRIES = 20;
const line = (v: unknown) => `${canonicalJson(v)}\n`;

/** The store at one root: paths, metadata, and the reads every capability shares. */
class Layout {
  readonly dir: string;
  constructor(readonly ctx: PackContext) {
    this.dir = path.join(ctx.root, FILE_STORE_DIR);
    const meta = readText(path.join(this.dir, 'meta.json'));
    if (meta !== null) {
      let layout: unknown;
      try {
        layout = (JSON.parse(meta) as { layout?: unknown }).layout;
      } catch {
        layout = undefined;
      }
      if (typeof layout !== 'number') throw this.corrupt('meta.json', 'is not the store metadata');
      if (layout > FILE_STORE_LAYOUT) {
        throw adapterFailure(FAILURE_REASONS.schema, `${FILE_STORE_DIR} has layout ${layout}, newer than this build's ${FILE_STORE_LAYOUT}: upgrade govern`, { layout, known: FILE_STORE_LAYOUT });
      }
    }
  }

  /** The absolute path of `rel` under the store's directory. */
  at(...rel: string[]): string {
    return path.join(this.dir, ...rel);
  }

  /** Creates the store's directory `sub` (and the metadata on first write) for a write. */
  prepare(sub: string): string {
    const dir = ensureOwnedDir(this.ctx.root, `${FILE_STORE_DIR}/${sub}`, NAME);
    if (readText(this.at('meta.json')) === null) replaceAtomic(this.at('meta.json'), line({ schema: 'govern.adapter-file-store/v1', layout: FILE_STORE_LAYOUT }));
    return dir;
  }

  corrupt(rel: string, why: string) {
    return adapterFailure(FAILURE_REASONS.corrupt, `${FILE_STORE_DIR}/${rel} ${why}`, { path: `${FILE_STORE_DIR}/${rel}` });
  }

  /** Reads and parses one stored JSON document; a file that does not parse or validate is corrupt. */
  readJson<T>(rel: string, parse: (v: unknown) => T): T | null {
    const text = readText(this.at(rel));
    if (text === null) return null;
    try {
      return parse(JSON.parse(text));
    } catch (err) {
      throw this.corrupt(rel, `does not hold a valid record: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

function graphStore(store: Layout): GraphStore {
  const read = (id: string) =>
    store.readJson(`graph/${id}.json`, (v) => {
      const s = GraphSnapshotSchema.parse(v);
      // A snapshot is found by its file name: one under another name was moved or copied there by hand.
      if (s.id !== id) throw new Error(`it holds snapshot ${s.id}`);
      return s;
    });
  return {
    async put(snapshot) {
      denyWrites(store.ctx, NAME, 'put a graph snapshot');
      const s = parseRecord(GraphSnapshotSchema, snapshot, 'graph snapshot');
      const sha256 = canonicalSha256(s);
      const dir = store.prepare('graph');
      if (createExclusive(path.join(dir, `${s.id}.json`), line(s))) return { id: s.id, sha256, created: true };
      if (canonicalSha256(read(s.id)) !== sha256) throw adapterFailure(FAILURE_REASONS.conflict, `graph snapshot ${s.id} exists with other content: snapshots are immutable`, { id: s.id });
      return { id: s.id, sha256, created: false };
    },
    async get(id) {
      return read(requireKey(id, 'graph snapshot id'));
    },
    async list() {
      const snapshots = listDir(store.at('graph'))
        .filter((f) => f.endsWith('.json') && !isTemp(f))
        .map((f) => read(f.slice(0, -'.json'.length)) as GraphSnapshot);
      return snapshots.map(snapshotRef).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };
}

function eventStore(store: Layout): EventStore {
  /** Every event of a stream, checked: each batch file starts at its name's seq and the stream has no gap. */
  const readStream = (stream: string): EventRecord[] => {
    const out: EventRecord[] = [];
    for (const f of listDir(store.at('events', stream))) {
      const m = SEQ_FILE.exec(f);
      if (!m || m[2] !== 'jsonl') continue;
      const rel = `events/${stream}/${f}`;
      const text = readText(store.at('events', stream, f)) ?? '';
      const batch = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l, i) => {
          try {
            return EventRecordSchema.parse(JSON.parse(l));
          } catch (err) {
            throw store.corrupt(rel, `line ${i + 1} is not a valid event: ${(err as Error).message.split('\n')[0]}`);
          }
        });
      batch.forEach((e, i) => {
        if (e.stream !== stream || e.seq !== Number(m[1]) + i || e.seq !== out.length + 1) throw store.corrupt(rel, `holds ${e.stream}#${e.seq} where ${stream}#${out.length + 1} belongs`);
        out.push(e);
      });
    }
    return out;
  };
  return {
    async append(stream, events, opts = {}) {
      denyWrites(store.ctx, NAME, 'append events');
      requireKey(stream, 'stream');
      for (let attempt = 0; ; attempt++) {
        const last = readStream(stream).length;
        const records = sealEvents(stream, events, last, opts.expectedSeq, store.ctx.now);
        if (records.length === 0) return [];
        const dir = store.prepare(`events/${stream}`);
        if (createExclusive(path.join(dir, `${pad(last + 1)}.jsonl`), records.map(line).join(''))) return records;
        // Another writer took seq last+1 meanwhile: with an expectedSeq that is a conflict, without one the batch goes after it.
        if (opts.expectedSeq !== undefined) throw adapterFailure(FAILURE_REASONS.conflict, `stream ${stream} moved on while appending at seq ${last + 1}`, { stream, expectedSeq: opts.expectedSeq });
        if (attempt >= RETRIES) throw adapterFailure(FAILURE_REASONS.conflict, `stream ${stream}: ${RETRIES} concurrent appends won the next seq; try again`, { stream });
      }
    },
    async list(stream, opts = {}) {
      return pageEvents(readStream(requireKey(stream, 'stream')), opts);
    },
    async streams() {
      return listDir(store.at('events')).filter((s) => !isTemp(s) && listDir(store.at('events', s)).some((f) => SEQ_FILE.test(f)));
    },
  };
}

function auditStore(store: Layout): AuditStore {
  const files = () => listDir(store.at('audit')).filter((f) => SEQ_FILE.test(f) && f.endsWith('.json'));
  return {
    async append(input) {
      denyWrites(store.ctx, NAME, 'append an audit entry');
      for (let attempt = 0; ; attempt++) {
        const names = files();
        const lastName = names.at(-1);
        // The new entry chains onto the last one: an unreadable last entry cannot be chained onto.
        const last: AuditEntry | null = lastName ? store.readJson(`audit/${lastName}`, (v) => AuditEntrySchema.parse(v)) : null;
        const entry = sealAuditEntry(input, last, store.ctx.now);
        const dir = store.prepare('audit');
        if (createExclusive(path.join(dir, `${pad(entry.seq)}.json`), line(entry))) return entry;
        if (attempt >= RETRIES) throw adapterFailure(FAILURE_REASONS.conflict, `the audit log: ${RETRIES} concurrent appends won the next seq; try again`, {});
      }
    },
    async read() {
      // Entries that do not parse stay in place (as what they are), so the chain check positions them.
      const raw = files().map((f) => {
        const text = readText(store.at('audit', f)) ?? '';
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return { unreadable: `${FILE_STORE_DIR}/audit/${f}` };
        }
      });
      return verifyAuditChain(raw);
    },
  };
}

/** The file store pack. */
export const fileStorePack = definePack({
  manifest: FILE_STORE_MANIFEST,
  module: import.meta.url,
  maintenance: fileStoreMaintenance,
  create: (ctx) => {
    const store = new Layout(ctx);
    return {
      capabilities: { 'store.graph': graphStore(store), 'store.event': eventStore(store), 'store.audit': auditStore(store) },
      close: async () => {},
    };
  },
});

