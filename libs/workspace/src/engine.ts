import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockedItemsIn, buildGraph, compareNodes, dependencyRank, nextActionableIn, ruleIndex, type GraphIndex, type GraphNode, type RuleIndex } from '@govern/graph';
import {
  PARSER_VERSION,
  compareDiagnostics,
  fileNameId,
  pathDocumentIds,
  type CompiledProfile,
  type Diagnostic,
  type Family,
  type Item,
  type ParseOptions,
  type Status,
  type ParseResult,
  type WorkDocument,
} from '@govern/workplan';
import { loadConfig, type Config } from './config.js';
import { discover } from './discover.js';
import { INFO_WIDTH, decodeGraphPart, decodeResult, encodeGraphPart, encodeResult, fragmentOf, type Contribution, type Fragment } from './fragment.js';
import { GraphState } from './graph-update.js';
import { diagnosticsJson, spliceGraphJson } from './output.js';
import { hashText, parseBuffer, readAndParse, type ParsedFile } from './parse-files.js';
import { parseInWorkers } from './pool.js';
import { CLOSE_BYTE, COMMA_BYTE, HeadItem, MEMO_VERSION, OPEN_BYTE, SUMMARY_PART, Slices, encodeMemo, encodeSummary, readMemo, readSummary, type IndexSummary, type Memo, type MemoHeadView, type MemoItems, type StoredMemo } from './memo.js';
import { FragmentStore, STORE_FORMAT, type CacheMeta } from './store.js';

/**
 * The engine of the read path, in four stages a reader follows in one direction:
 *
 *   1. discover   (discover.ts)       the root's documents, and what the store vouches for
 *   2. fragments  (fragment.ts)       per document: from the store, or parsed
 *   3. graph      (graph-update.ts)   the graph-level facts, updated where a change reaches
 *   4. output     (output.ts)         the printed graph, spliced from fragments
 *
 * The store (store.ts) keeps every stage's result per document, so a run that finds one
 * changed file parses one file, replaces that file's fragments and appends them to the
 * store. {@link WorkspaceEngine} holds the state between runs for a long-lived process
 * (`update(changedPaths)`); `loadWorkspace` is one `open` of it.
 */

export interface LoadOptions {
  /** The repository root; every path in the output is relative to it. */
  root: string;
  /** Where the cache lives; `null` disables it. Default `<root>/.govern/cache`. */
  cacheDir?: string | null;
  /** Worker entry (bundled CLI only). Without it every file is parsed on this thread. */
  workerUrl?: URL;
  /**
   * Use workers when at least this many files need parsing. Default: 4,000 on a machine
   * with more than two cores, never on one or two (there, two workers cost more CPU than
   * one thread saves: docs/benchmarks.md, "Second pass").
   */
  parallelThreshold?: number;
  /** Markdown engine; see `ParseOptions.engine` in @govern/workplan. */
  engine?: 'auto' | 'remark';
  /**
   * Identifies the code that builds the graph (the CLI passes its bundle's size and
   * mtime). It is part of the store's key, so a rebuilt or upgraded CLI never prints a
   * graph or a parse result that an older build computed.
   */
  buildId?: string;
  /** Called after each phase with its wall time, for `GOVERN_TIMING=1`. */
  trace?: (phase: string, ms: number) => void;
  /**
   * Called as files that need parsing are parsed (`done` of `total`, after each file on
   * this thread, after each batch on workers), and once with `phase: 'graph'` before the
   * graph is built. Not called on a run served from the cache without parsing. For a
   * progress line on a terminal: a cold load of a large root takes seconds.
   */
  onProgress?: (progress: LoadProgress) => void;
}

/** What {@link LoadOptions.onProgress} receives. */
export interface LoadProgress {
  phase: 'parse' | 'graph';
  done: number;
  total: number;
}

export interface Workspace {
  root: string;
  config: Config;
  profile: CompiledProfile;
  /** Parsed documents, in discovered order. Deserialized from the store on first access when this run parsed none. */
  documents: WorkDocument[];
  /** The graph (with its rank and cycles), built on first access. */
  index: GraphIndex;
  /**
   * sha256 (hex) of each discovered file's bytes as read: the value a writer's
   * `expect` compares against (optimistic concurrency). On a warm run it comes
   * from the store, which trusts a file's size and mtime as git does.
   */
  hashes: Map<string, string>;
  /** Config, parse and graph diagnostics, sorted. */
  diagnostics: Diagnostic[];
  stats: { files: number; parsed: number; cached: number; workers: number };
  /**
   * The discovered files whose file name another discovered file shares, each with the
   * id its document gets when its front matter names none: its path without the
   * extension (`specs/001-x/tasks`). Every other document without a front matter id is
   * named by its file name. Pass `defaultId: ws.pathIds.get(file)` when parsing one of
   * the root's files on its own, so its ids are the graph's.
   */
  pathIds: Map<string, string>;
  /** Whether the graph has at least one item, answered without building it. */
  hasItems(): boolean;
  /**
   * The graph's node count (`index.graph.nodes.length`), answered without building it.
   * Absent on a workspace that spans several repositories.
   */
  itemCount?(): number;
  /**
   * The id/status/dependency index of the graph (see {@link ItemIndex}), read from the
   * documents' fragments without building the graph or decoding a parse result: what
   * `next`, `status` and `validate` read. Absent on a workspace that spans several
   * repositories (those commands read `index` there).
   */
  itemIndex?(): ItemIndex;
  /**
   * `{"nodes":[...],"diagnostics":[...]}` (index.graph's nodes and `diagnostics`) as
   * UTF-8 JSON without a trailing newline: what `govern graph --json` prints, spliced
   * from the documents' fragments.
   */
  graphJson(): Buffer;
}

/** What a command that reads an index needs of a graph node: the fields of `GraphNode` it reads. */
export interface IndexedItem {
  id: string;
  kind: Item['kind'];
  title: string;
  status: Status | null;
  priority: string | null;
  parent: string | null;
  /** As the graph node's: the references without repeats, in first-seen order. */
  dependsOn: string[];
  source: { file: string; line: number; column: number };
  /** The id of the document that defines it. */
  document: string;
}

/** What a command that reads an index needs of a document: the fields of `WorkDocument` it reads. */
export interface IndexedDocument {
  file: string;
  id: string;
  family: Family;
  title: string;
  status: Status | null;
}

/**
 * The graph as an index (see {@link Workspace.itemIndex}). Equal to what the graph gives:
 * `items` to `index.graph.nodes` (same order, these fields), `documents` to `documents`,
 * `rule` to a `ruleIndex` of the graph's nodes (engine.test.ts compares them).
 */
export interface ItemIndex {
  /** The documents, in discovered order. */
  documents: IndexedDocument[];
  /** The graph's nodes in its order (a duplicate id's later definitions dropped). */
  items: IndexedItem[];
  /** The actionable rule's index of the items (@govern/graph `ruleIndex`): by id, rank, cycles. */
  rule: RuleIndex<IndexedItem>;
  /**
   * `nextActionableIn(items, rule)` (@govern/graph): what `govern next` lists. A run over
   * a state whose index a previous run saved reads it from the store's memo alone, without
   * `items` or `rule` (built only when read), so a warm `next` costs the items it prints.
   * Its items equal (not are) the matching `items`; `nodes` and `nodesJson` take either.
   */
  actionable(): IndexedItem[];
  /** The graph nodes of these items, whole, as `govern graph --json` prints them (parsed from their node JSON). */
  nodes(items: readonly IndexedItem[]): GraphNode[];
  /**
   * `JSON.stringify(nodes(items))` as UTF-8, spliced from the node JSON without parsing
   * it: a long list (`next --json` at 10,000 documents prints tens of thousands) costs a
   * copy, not a parse and a serialization.
   */
  nodesJson(items: readonly IndexedItem[]): Buffer;
  /**
   * What `govern status` prints of the whole root (documents with their items' ids and
   * status counts, blocked items), from the store's memo when a previous `status` saved it
   * for this state, so that a warm `status` reads neither `items` nor `rule`. Computed
   * (and saved) only when called: `status` alone calls it.
   */
  summary(): IndexSummary;
}

/** What one {@link WorkspaceEngine.update} did. */
export interface UpdateStats {
  /** Files re-read whose content had changed, and parsed. */
  parsed: number;
  /** Files added to or removed from the root. */
  added: number;
  removed: number;
  /** Whether the configuration changed and everything was loaded again. */
  reloaded: boolean;
}

/** A file the store could not vouch for. `buf` and `hash` are set when it was already read. */
interface Pending {
  rel: string;
  st?: fs.Stats;
  buf?: Buffer;
  hash?: string;
}

/**
 * The state of one root: its documents' fragments, the graph state and the output,
 * kept so that {@link WorkspaceEngine.update} costs what changed.
 */
export class WorkspaceEngine {
  private root: string;
  private config!: Config;
  private profile!: CompiledProfile;
  private configDiagnostics: Diagnostic[] = [];
  private key = '';
  private files: string[] = [];
  private pathIds = new Map<string, string>();
  private metas = new Map<string, CacheMeta>();
  /** Decoded fragments; empty until needed after a run served from the stored output. */
  private fragments = new Map<string, Fragment>();
  /** Undecoded graph parts of a run served from the stored output. */
  private rawParts: Map<string, Buffer> | null = null;
  /** Parse results of this process (files parsed here); others come from the store. */
  private results = new Map<string, ParseResult>();
  private graph: GraphState | null = null;
  private storedCycles: string[][] | null = null;
  private diagnostics: Diagnostic[] = [];
  private diagJson: Buffer | null = null;
  private dropped = new Map<string, Set<number>>();
  private nodes = 0;
  private json: Buffer | null = null;
  private built: { documents: WorkDocument[]; index: GraphIndex } | null = null;
  /** The graph's nodes of each file (what `built` holds), kept so an update replaces only the changed files'. */
  private builtNodes: Map<string, GraphNode[]> | null = null;
  /** The rank of `built`'s index, computed on first use (see {@link patchBuilt}): shared while its inputs stand. */
  private rankHolder: { value: Map<string, number> | null } | null = null;
  /** Ids of `built`'s nodes that depend on themselves (with the graph state's cycles: `cyclic`). */
  private selfDeps: Set<string> | null = null;
  private indexed: ItemIndex | null = null;
  /** The store as the last update left it, open (see {@link update}). */
  private liveStore: FragmentStore | null = null;
  /** The start of the earliest update whose fragments `liveStore` holds unsaved (`save: 'later'`), or null. */
  private unsavedSince: number | null = null;
  /**
   * The store the last update left holding exactly `metas` (every fragment it accepted put
   * there, none dropped since): the next update need not compare 10,000 hashes to know.
   */
  private storeHolds: FragmentStore | null = null;
  /** `files` as a set, for the array it was made of (an update replaces the array when files come or go). */
  private fileSetOf: { files: string[]; set: Set<string> } | null = null;
  /**
   * Every document's hash for a files array (never changed once made), and the hashes of
   * the files accepted since (null: none, unreadable): a workspace's `hashes` is made from
   * the two when first read (see {@link hashesNow}).
   */
  private hashBase: { files: string[]; map: Map<string, string> } | null = null;
  private hashDelta = new Map<string, string | null>();
  private lastStats = { files: 0, parsed: 0, cached: 0, workers: 0 };

  private constructor(private readonly opts: LoadOptions) {
    this.root = path.resolve(opts.root);
  }

  /** Loads a root: discover, fragments (from the store or parsed), graph, output; saves the store. */
  static async open(opts: LoadOptions): Promise<WorkspaceEngine> {
    const e = new WorkspaceEngine(opts);
    await e.load();
    return e;
  }

  private get storeFile(): string | null {
    const dir = this.opts.cacheDir === undefined ? path.join(this.root, '.govern', 'cache') : this.opts.cacheDir;
    return dir ? FragmentStore.fileFor(dir) : null;
  }

  private get parseOptions(): ParseOptions {
    return { engine: this.opts.engine ?? 'auto' };
  }

  /** When the last load or update started: the racy-stat reference of a later save of the same state. */
  private startedAt = 0;
  /** The fingerprint of the stored output this run was served from; null once anything changed (see {@link load}, {@link update}). */
  private servedFingerprint: string | null = null;

  private async load(): Promise<void> {
    this.servedFingerprint = null;
    // Taken before any document is stat'ed or read: the reference of the store's racy-stat rule.
    const startedAt = Date.now();
    this.startedAt = startedAt;
    const lap = stopwatch(this.opts.trace);
    const loaded = loadConfig(this.root);
    this.config = loaded.config;
    this.profile = loaded.profile;
    this.configDiagnostics = [...loaded.diagnostics];
    const key = `${this.parseOptions.engine}\u0000${loaded.profileKey}`;
    // The build is part of the key: a parser change that forgot to bump PARSER_VERSION
    // must not be served stale results by the next build (one cold run).
    this.key = this.opts.buildId ? `${key}\u0000${this.opts.buildId}` : key;
    lap('config');

    // Stage 1: discover, and what the store can vouch for.
    this.files = discover(this.root, this.config);
    this.pathIds = pathDocumentIds(this.files);
    lap('discover');
    const store = FragmentStore.open(this.storeFile, this.key);
    lap('cache-open');
    try {
      const { known, pending } = this.vouch(store, startedAt);
      lap('validate');

      // Nothing changed since the store's output was computed: print it as it is.
      const stored = store.storedOutput();
      if (!pending.length && stored && stored.fingerprint === this.fingerprint(known)) {
        const parts = store.graphParts(this.files);
        const diag = store.outputDiagnostics();
        if (parts.size === this.files.length && diag) {
          this.metas = known;
          this.servedFingerprint = stored.fingerprint;
          this.rawParts = parts;
          this.storedCycles = store.storedCycles();
          this.diagJson = diag;
          this.diagnostics = JSON.parse(diag.toString('utf8')) as Diagnostic[];
          this.dropped = groupDropped(stored.dropped);
          this.nodes = stored.nodes;
          this.lastStats = { files: this.files.length, parsed: 0, cached: this.files.length, workers: 0 };
          lap('stored-output');
          store.retain(new Set(this.files));
          store.save(startedAt);
          lap('cache-save');
          return;
        }
      }

      // A few files changed, none of them in what the graph is built from: patch the stored output.
      const early = stored ? await this.tryPatch(store, known, pending, startedAt, lap) : null;
      if (early === true) return;
      const parsedEarly = early || [];

      // Stage 2: fragments from the store; files it cannot serve join the pending ones.
      const previous = new Map<string, Contribution>();
      const parts = store.graphParts([...known.keys()]);
      for (const [rel, meta] of known) {
        const part = parts.get(rel);
        let f: Fragment | null = null;
        try {
          f = part ? decodeGraphPart(rel, part) : null;
        } catch {
          f = null;
        }
        if (f) previous.set(rel, f.contribution);
        // A document named by its file cached before another file took (or left) its name has the other id now.
        if (f && idCurrent(rel, f.contribution, this.pathIds)) {
          this.fragments.set(rel, f);
          this.metas.set(rel, meta);
        } else pending.push({ rel });
      }
      lap('fragments');
      const again = new Set(parsedEarly.map((p) => p.file));
      const fresh = [...parsedEarly, ...(await this.parse(pending.filter((p) => !again.has(p.rel))))];
      lap('parse');
      // Read before `accept` replaces their entries: what the stored cycles were computed from.
      const prior = this.priorContributions(store, previous);
      for (const p of fresh) this.accept(p, store);

      // Stage 3: the graph. When the store holds the cycles of the previous run's
      // contributions, only what changed is applied to them.
      this.opts.onProgress?.({ phase: 'graph', done: 0, total: this.files.length });
      this.graph = this.restoreGraph(store, prior, fresh.map((p) => p.file));
      lap('graph');

      // Stage 4: output, and the store.
      this.finish(store);
      this.lastStats = { files: this.files.length, parsed: fresh.length, cached: this.files.length - fresh.length, workers: this.workersUsed };
      lap('output');
      store.retain(new Set(this.metas.keys()));
      store.save(startedAt);
      lap('cache-save');
    } finally {
      // Kept open: a later index read (its memo) or update uses it while no other process touched it.
      this.liveStore = store;
    }
  }

  private workersUsed = 0;

  /**
   * The path of an edit that changes no node's id, position or dependencies (a status, a
   * title, prose): the graph-level facts of the previous run still hold, so no other
   * document's contribution is decoded and no graph state is built. The changed files are
   * parsed, their node JSON replaces theirs in the output, their parse diagnostics
   * replace theirs in the stored list, and the store gets their fragments.
   *
   * "Changes no node": the flat node records are equal, positions included, so an edit
   * that moves a node or a reference (a line inserted above it, a longer title before a
   * dependency cell) takes the full path; so does a root whose files changed.
   *
   * Applies when the store's output describes exactly its entries, the root has the same
   * files, and every changed file had an entry. Returns true when done, else the files it
   * parsed (the caller goes on with the full path), or null when it did not apply.
   */
  private async tryPatch(store: FragmentStore, known: Map<string, CacheMeta>, pending: Pending[], startedAt: number, lap: (phase: string) => void): Promise<boolean | ParsedFile[] | null> {
    const stored = store.storedOutput()!;
    const prevFiles = store.storedFiles();
    if (!pending.length || !prevFiles || prevFiles.length !== this.files.length || !this.files.every((rel) => store.meta(rel))) return null;
    if (pending.some((p) => !p.st)) return null; // a file that could not be stat'ed: its diagnostic depends on why
    const prevMetas = new Map(this.files.map((rel) => [rel, store.meta(rel)!]));
    if (stored.fingerprint !== this.fingerprint(prevMetas)) return null;
    const fresh = await this.parse(pending);
    lap('parse');
    const old = store.graphParts(pending.map((p) => p.rel));
    const patched: { p: ParsedFile; f: Fragment; was: Fragment }[] = [];
    for (const p of fresh) {
      const part = old.get(p.file);
      let was: Fragment;
      try {
        if (!part || p.size < 0) return fresh;
        was = decodeGraphPart(p.file, part);
      } catch {
        return fresh;
      }
      const f = fragmentOf(p.file, p.result);
      const a = f.contribution;
      const b = was.contribution;
      if (a.docId !== b.docId || a.idSource !== b.idSource || JSON.stringify(a.nodes) !== JSON.stringify(b.nodes)) return fresh;
      patched.push({ p, f, was });
    }
    const changed = new Set(patched.map((x) => x.p.file));
    const parts = store.graphParts(this.files.filter((rel) => !changed.has(rel)));
    const diag = store.outputDiagnostics();
    if (parts.size !== this.files.length - changed.size || !diag) return fresh;
    // The stored diagnostics, without the changed files' old parse diagnostics, with their new ones.
    const removed = new Map<string, number>();
    for (const { was } of patched) for (const d of was.contribution.diagnostics) removed.set(JSON.stringify(d), (removed.get(JSON.stringify(d)) ?? 0) + 1);
    const diagnostics = removed.size
      ? (JSON.parse(diag.toString('utf8')) as Diagnostic[]).filter((d) => {
          const k = JSON.stringify(d);
          const n = removed.get(k) ?? 0;
          if (n) removed.set(k, n - 1);
          return n === 0;
        })
      : (JSON.parse(diag.toString('utf8')) as Diagnostic[]);
    for (const { f } of patched) diagnostics.push(...f.contribution.diagnostics);
    diagnostics.sort(compareDiagnostics);
    this.metas = known;
    for (const { p, f } of patched) {
      this.fragments.set(p.file, f);
      this.results.set(p.file, p.result);
      const meta = { size: p.size, mtimeMs: p.mtimeMs, hash: p.hash };
      this.metas.set(p.file, meta);
      store.put(p.file, meta, encodeGraphPart(f), encodeResult(p.result));
    }
    this.rawParts = parts;
    this.storedCycles = store.storedCycles();
    this.diagnostics = diagnostics;
    this.diagJson = diagnosticsJson(diagnostics);
    this.dropped = groupDropped(stored.dropped);
    this.nodes = stored.nodes;
    this.lastStats = { files: this.files.length, parsed: fresh.length, cached: this.files.length - fresh.length, workers: this.workersUsed };
    lap('fragments');
    store.setResult(this.storedCycles, { fingerprint: this.fingerprint(this.metas), dropped: stored.dropped, nodes: stored.nodes, diagnostics: this.diagJson });
    lap('output');
    store.retain(new Set(this.files));
    store.save(startedAt);
    lap('cache-save');
    return true;
  }

  /** What the store vouches for: an unchanged stat, or else unchanged content. */
  private vouch(store: FragmentStore, startedAt: number): { known: Map<string, CacheMeta>; pending: Pending[] } {
    const known = new Map<string, CacheMeta>();
    const pending: Pending[] = [];
    for (const rel of this.files) {
      const abs = path.join(this.root, rel);
      let st: fs.Stats;
      try {
        st = fs.statSync(abs);
      } catch {
        pending.push({ rel });
        continue;
      }
      const hit = store.byStat(rel, st);
      if (hit) {
        known.set(rel, hit);
        continue;
      }
      const prev = store.meta(rel);
      if (!prev || prev.size !== st.size) {
        pending.push({ rel, st });
        continue;
      }
      // A touched, or too recently modified, file of the same size: compare content.
      let buf: Buffer;
      try {
        buf = fs.readFileSync(abs);
      } catch {
        pending.push({ rel });
        continue;
      }
      const meta = { size: st.size, mtimeMs: st.mtimeMs, hash: hashText(buf) };
      if (meta.hash === prev.hash) {
        store.confirm(rel, meta, startedAt);
        known.set(rel, meta);
      } else pending.push({ rel, st, buf, hash: meta.hash });
    }
    return { known, pending };
  }

  private async parse(pending: Pending[]): Promise<ParsedFile[]> {
    const opts = this.opts;
    // Below a few thousand files one thread is faster and far cheaper: a worker pays its own
    // start, compilation and JIT warm-up, and its results are cloned. On two cores one thread
    // was faster at 10,000 files too: a worker takes the core V8's background compiler and
    // GC use for this thread (docs/benchmarks.md).
    const threshold = opts.parallelThreshold ?? (os.availableParallelism() > 2 ? 4000 : Infinity);
    const onProgress = opts.onProgress;
    const progress = onProgress && pending.length ? (done: number) => onProgress({ phase: 'parse', done, total: pending.length }) : undefined;
    const workers = opts.workerUrl && pending.length >= threshold ? Math.min(4, Math.max(2, os.availableParallelism())) : 0;
    this.workersUsed = workers;
    if (workers > 0) {
      return parseInWorkers(opts.workerUrl!, this.root, this.profile.profile, pending.map((p) => p.rel), workers, this.parseOptions, Object.fromEntries(this.pathIds), progress);
    }
    return pending.map((p, i) => {
      const parsed = parsePending(this.root, p, this.profile, this.parseOptions, this.pathIds.get(p.rel));
      progress?.(i + 1);
      return parsed;
    });
  }

  /** A file parsed in this process: its fragment replaces the old one, in memory and in the store. */
  private accept(p: ParsedFile, store: FragmentStore | null): Fragment {
    const f = fragmentOf(p.file, p.result);
    this.fragments.set(p.file, f);
    this.results.set(p.file, p.result);
    this.hashDelta.set(p.file, p.size >= 0 ? p.hash : null);
    if (p.size >= 0) {
      const meta = { size: p.size, mtimeMs: p.mtimeMs, hash: p.hash };
      this.metas.set(p.file, meta);
      store?.put(p.file, meta, encodeGraphPart(f), encodeResult(p.result));
    } else {
      // Unreadable: its diagnostic depends on why, so it is not stored.
      this.metas.delete(p.file);
      store?.forget(p.file);
    }
    return f;
  }

  /**
   * The graph state: the previous run's restored and updated with what changed, when
   * the store holds the previous cycles and every previous contribution; otherwise built.
   */
  /**
   * Every contribution the stored cycles were computed from (the store's entries as
   * read): `previous` (the entries decoded as fragments) plus those of the files about to
   * be parsed again, read while the store still holds their old parts. Null when the
   * store holds no cycles or one of them cannot be read (the graph is then built whole).
   */
  private priorContributions(store: FragmentStore, previous: Map<string, Contribution>): Map<string, Contribution> | null {
    const prevFiles = store.storedFiles();
    if (!store.storedCycles() || !prevFiles) return null;
    const missing = prevFiles.filter((rel) => !previous.has(rel));
    if (missing.length) {
      const parts = store.graphParts(missing);
      for (const rel of missing) {
        const part = parts.get(rel);
        if (!part) return null;
        try {
          previous.set(rel, decodeGraphPart(rel, part).contribution);
        } catch {
          return null;
        }
      }
    }
    return previous;
  }

  private restoreGraph(store: FragmentStore, previous: Map<string, Contribution> | null, parsed: string[]): GraphState {
    const current = () => new Map([...this.fragments].map(([rel, f]) => [rel, f.contribution]));
    const cycles = store.storedCycles();
    const prevFiles = store.storedFiles();
    if (!previous || !cycles || !prevFiles) return GraphState.build(this.files, current());
    const state = GraphState.restore([...prevFiles].sort(), previous, cycles);
    const changes = new Map<string, Contribution | null>();
    for (const rel of parsed) changes.set(rel, this.fragments.get(rel)?.contribution ?? null);
    const now = new Set(this.files);
    for (const rel of prevFiles) if (!now.has(rel)) changes.set(rel, null);
    // Files kept from the store whose id is current, but restored from an older entry? None: previous holds exactly the stored entries.
    state.update(this.files, changes);
    return state;
  }

  /** Diagnostics and output from the graph state; records them in the store. */
  private finish(store: FragmentStore | null, diagnosticsStand = false): void {
    const graph = this.graph!;
    const { diagnostics: graphDiagnostics, dropped, nodes } = graph.result();
    // An update that changed no diagnostic (the usual edit: a status, prose) keeps the
    // sorted list and its JSON: gathering every file's costs ~4 ms at 10,000 documents.
    if (!diagnosticsStand) {
      const all = [...this.configDiagnostics];
      for (const rel of this.files) all.push(...(this.fragments.get(rel)?.contribution.diagnostics ?? []));
      all.push(...graphDiagnostics);
      this.diagnostics = all.sort(compareDiagnostics);
      this.diagJson = diagnosticsJson(this.diagnostics);
    }
    this.dropped = groupDropped(dropped);
    this.nodes = nodes;
    this.json = null;
    this.built = null;
    this.indexed = null;
    if (store) this.recordResult(store, dropped);
  }

  /** Records the graph state's cycles and the output in the store (not saved yet). */
  private recordResult(store: FragmentStore, dropped: { file: string; k: number }[]): void {
    // A file that could not be read has no hash, and its diagnostic depends on why: no output is kept.
    const complete = this.files.every((rel) => this.metas.has(rel));
    store.setResult(this.graph!.cycleIds(), complete ? { fingerprint: this.fingerprint(this.metas), dropped, nodes: this.nodes, diagnostics: this.diagJson! } : null);
  }

  /**
   * Saves what updates made with `save: 'later'` left in memory: their fragments, the
   * cycles and the output. The racy-stat reference is the earliest of those updates'
   * start. If another process wrote the store meanwhile, nothing is saved (the next load
   * parses those files again: a cache, never a wrong answer).
   */
  flush(): void {
    const since = this.unsavedSince;
    this.unsavedSince = null;
    const store = this.liveStore;
    if (since === null || !store) return;
    if (!store.current() && this.storeFile) {
      store.close();
      this.liveStore = null;
      return;
    }
    this.recordResult(store, this.graph!.result().dropped);
    store.retain(new Set(this.metas.keys()));
    store.save(since);
  }

  /**
   * The key of the stored output: everything it is computed from. Files are identified
   * by content (sha256), the rules by the store key (engine, profile, build), the code by
   * the parser version and the store format; configuration problems are printed too.
   */
  private fingerprint(metas: Map<string, CacheMeta>): string {
    const parts = [JSON.stringify([STORE_FORMAT, PARSER_VERSION, this.key, this.configDiagnostics])];
    for (const rel of this.files) parts.push(`${rel}\u0000${metas.get(rel)?.hash ?? ''}`);
    return crypto.createHash('sha256').update(parts.join('\n')).digest('hex');
  }

  /** After a run served from the stored output: the fragments and graph state, for an update. */
  private ensureState(): void {
    if (this.graph) return;
    this.decodeParts();
    const contributions = new Map<string, Contribution>([...this.fragments].map(([rel, f]) => [rel, f.contribution]));
    this.graph = this.storedCycles ? GraphState.restore(this.files, contributions, this.storedCycles) : GraphState.build(this.files, contributions);
  }

  /** After a run served from the stored output: every document's fragment decoded (no graph state). */
  private decodeParts(): void {
    if (!this.rawParts) return;
    for (const [rel, part] of this.rawParts) this.fragments.set(rel, decodeGraphPart(rel, part));
    this.rawParts = null;
  }

  /**
   * The index `next`, `status` and `validate` read: the contributions' ids, references
   * and `info`, the documents' `doc`, minus the definitions the graph drops; no parse
   * result, no graph node, no graph JSON. The rule's rank and cycles are computed by
   * @govern/graph's `ruleIndex` over the items in document order, as `buildGraph` does.
   */
  private itemIndex(): ItemIndex {
    if (this.indexed) return this.indexed;
    const t0 = performance.now();
    const fresh = this.memoStore();
    try {
      const memo = fresh ? readMemo(fresh.store.memo(0), (i) => this.memoPart(fresh.store, i), fresh.fingerprint, this.files.length) : null;
      if (memo) this.opts.trace?.('index-memo', 0);
      this.indexed = memo && fresh ? this.indexFromMemo(memo, fresh.fingerprint) : this.indexFromFragments(fresh);
    } finally {
      if (fresh && fresh.store !== this.liveStore) fresh.store.close();
    }
    this.opts.trace?.('index', performance.now() - t0);
    return this.indexed;
  }

  /**
   * A later part of the memo (see {@link readMemo}), read when a command first needs it:
   * from the store the head came from while it is open (the live store: see
   * {@link memoStore}), else from the store opened again if it still holds this state's output.
   */
  private memoPart(store: FragmentStore, i: number): Buffer | null {
    const part = store.memo(i);
    if (part) return part;
    const again = this.memoStore();
    if (!again) return null;
    try {
      return again.store.memo(i);
    } finally {
      if (again.store !== this.liveStore) again.store.close();
    }
  }

  /**
   * The store, open, when its output is this state's (the fingerprint names every file's
   * content, the profile and the build) and it holds exactly these entries: where the
   * index's memo is read and written. Null without a store or for another state.
   *
   * When the kept store is stale (another process wrote the file since, e.g. a `next`
   * while `govern mcp` runs), the file is opened again and, if it holds this state, kept
   * as the live store in place of the stale one: the index read, its memo's later parts
   * and the summary `status` appends then share that one open (each open reads the whole
   * header: 20–40 ms at 10,000 documents; a first `status` opened it five times), and the
   * next update starts from it as from any kept store. Not while updates with
   * `save: 'later'` have fragments unsaved (see {@link flush}): those are in the stale
   * store, left as it is. Each such open is traced as `index-store-open` (its wall ms),
   * which is how `GOVERN_TIMING=1` and the tests see how often the index path opens the file.
   */
  private memoStore(): { store: FragmentStore; fingerprint: string } | null {
    const file = this.storeFile;
    if (!file) return null;
    const live = this.liveStore?.current() ? this.liveStore : null;
    // Served from this very store, untouched since (same file, same size): it holds this state.
    if (live && this.servedFingerprint !== null) return { store: live, fingerprint: this.servedFingerprint };
    if (!this.files.every((rel) => this.metas.has(rel))) return null;
    const fingerprint = this.fingerprint(this.metas);
    let store = live;
    if (!store) {
      const t0 = performance.now();
      store = FragmentStore.open(file, this.key);
      this.opts.trace?.('index-store-open', performance.now() - t0);
    }
    if (store.storedOutput()?.fingerprint === fingerprint && store.holds(this.metas)) {
      if (store !== this.liveStore && this.unsavedSince === null) {
        this.liveStore?.close();
        this.liveStore = store;
      }
      return { store, fingerprint };
    }
    if (store !== this.liveStore) store.close();
    return null;
  }

  /**
   * The index from the documents' fragments (every contribution decoded), with the rule's
   * index from @govern/graph's `ruleIndex`; saved as the store's memo when `fresh`, so
   * that the next run over the same state reads it instead (see {@link indexFromMemo}).
   */
  private indexFromFragments(fresh: { store: FragmentStore; fingerprint: string } | null, slices = new Slices()): ItemIndex {
    this.decodeParts();
    const memo: Memo = { v: MEMO_VERSION, fingerprint: fresh?.fingerprint ?? '', files: this.files.length, documents: [], docIds: [], at: [], id: [], kind: [], title: [], status: [], priority: [], parent: [], deps: [], refs: [], line: [], column: [], start: [], length: [], rank: [], cyclic: [] };
    this.files.forEach((file, fi) => {
      const f = this.fragments.get(file);
      const c = f?.contribution;
      memo.docIds.push(c?.docId ?? null);
      if (!c) return;
      if (c.doc && c.docId !== null) memo.documents.push([fi, c.docId, c.doc[0], c.doc[1], c.doc[2]]);
      const drop = this.dropped.get(file);
      const nodes = c.nodes;
      let start = 0;
      for (let o = 0, k = 0; o < nodes.length; k++) {
        const refs = nodes[o + 3] as number;
        const length = c.jsonLengths[k]!;
        if (!drop?.has(k)) {
          const dependsOn: string[] = [];
          for (let j = 0; j < refs; j++) {
            const ref = nodes[o + 4 + 3 * j] as string;
            if (!dependsOn.includes(ref)) dependsOn.push(ref);
          }
          const i = INFO_WIDTH * k;
          memo.at.push(fi);
          memo.id.push(nodes[o] as string);
          memo.kind.push(c.info[i] as Item['kind']);
          memo.status.push(c.info[i + 1] as Status | null);
          memo.priority.push(c.info[i + 2] ?? null);
          memo.parent.push(c.info[i + 3] ?? null);
          memo.title.push(c.info[i + 4] as string);
          memo.deps.push(dependsOn.length);
          memo.refs.push(...dependsOn);
          memo.line.push(nodes[o + 1] as number);
          memo.column.push(nodes[o + 2] as number);
          memo.start.push(start);
          memo.length.push(length);
        }
        start += length + 1;
        o += 4 + 3 * refs;
      }
    });
    const { documents, items } = this.itemsOf(memo.docIds, memo.documents, memo);
    // The rule wants document order (as buildGraph ranks): files are, and a document's
    // items nearly always are; sorted only when one is not.
    let sorted = true;
    for (let i = 1; i < items.length && sorted; i++) sorted = compareNodes(items[i - 1]!, items[i]!) < 0;
    const rule = ruleIndex(sorted ? items : [...items].sort(compareNodes), this.profile);
    const actionable = nextActionableIn(items, rule);
    if (fresh) {
      memo.rank = items.map((item) => rule.rank.get(item.id)!);
      items.forEach((item, i) => {
        if (rule.cyclic.has(item.id)) memo.cyclic.push(i);
      });
      const position = new Map<IndexedItem, number>();
      items.forEach((item, i) => position.set(item, i));
      // Not the summary: `status` alone reads it, and adds it when first asked (see summaryOf).
      fresh.store.setMemo(...encodeMemo(memo, actionable.map((item) => position.get(item)!)));
      fresh.store.save(this.startedAt);
    }
    items.forEach((item, i) => slices.add(item, memo.start[i]!, memo.length[i]!));
    let summary: IndexSummary | null = null;
    const index = { documents, items, rule, actionable: () => actionable, summary: () => (summary ??= this.summaryOf(index, actionable, fresh?.fingerprint ?? null)) };
    return this.indexOver(index, slices);
  }

  /**
   * The index as a previous run over this very state left it in the store: no contribution
   * decoded and no rank computed. The memo's head (the actionable items, by column) is read
   * at once; its body (every item, the rank, the cycles) only when `items`, `rule` or
   * `documents` are read, which a warm `next` never does. The printed nodes are still
   * sliced from the documents' node JSON.
   */
  private indexFromMemo(stored: StoredMemo, fingerprint: string): ItemIndex {
    // The memo's file indexes are into these files (an update replaces the array).
    const files = this.files;
    const slices = new Slices();
    let whole: Pick<ItemIndex, 'documents' | 'items' | 'rule'> | null = null;
    const wholeIndex = (): Pick<ItemIndex, 'documents' | 'items' | 'rule'> => {
      if (whole) return whole;
      const memo = stored.body();
      if (!memo) {
        // A body that does not decode (its head did): computed from the fragments, not saved.
        return (whole = this.indexFromFragments(null, slices));
      }
      const { documents, items } = this.itemsOf(memo.docIds, memo.documents, memo, files);
      const byId = new Map<string, IndexedItem>();
      const rank = new Map<string, number>();
      items.forEach((item, i) => {
        if (!byId.has(item.id)) byId.set(item.id, item);
        if (!rank.has(item.id)) rank.set(item.id, memo.rank[i]!);
        slices.add(item, memo.start[i]!, memo.length[i]!);
      });
      return (whole = { documents, items, rule: { byId, rank, cyclic: new Set(memo.cyclic.map((i) => items[i]!.id)) } });
    };
    let actionable: IndexedItem[] | null = null;
    let summary: IndexSummary | null = null;
    return this.indexOver(
      {
        // None stored for this state, or one that does not decode: computed from the whole index, and stored.
        summary: () => (summary ??= stored.summary() ?? this.summaryOf(wholeIndex(), null, fingerprint)),
        get documents() {
          return wholeIndex().documents;
        },
        get items() {
          return wholeIndex().items;
        },
        get rule() {
          return wholeIndex().rule;
        },
        actionable: () => {
          if (actionable) return actionable;
          const head = stored.head;
          // Should the head's names or links not decode, an item's strings come from the whole index (its `pos`).
          const whole = () => wholeIndex().items;
          actionable = new Array<IndexedItem>(head.n);
          for (let k = 0; k < head.n; k++) actionable[k] = new HeadItem(head, k, files, whole);
          return actionable;
        },
      },
      slices,
      stored.head,
    );
  }

  /**
   * The summary of an index, computed from its items and rule: what `status` reads, and
   * only `status` asks for it (0.15–0.3 s CPU at 10,000 documents), so no other command
   * pays for it. With the `fingerprint` of the state the index is of, it is added to the store's
   * memo as its fifth part (the four others left where they are), if the store still
   * holds that state's memo: every later `status` over the state reads it instead of the
   * memo's body (~0.35 s CPU less). `actionable` is `nextActionableIn(items, rule)` when
   * already computed.
   */
  private summaryOf(index: Pick<ItemIndex, 'documents' | 'items' | 'rule'>, actionable: readonly IndexedItem[] | null, fingerprint: string | null): IndexSummary {
    const t0 = performance.now();
    const { documents, items, rule } = index;
    const part = encodeSummary(fingerprint ?? '', documents, items, blockedItemsIn(items, rule), actionable ?? nextActionableIn(items, rule));
    this.opts.trace?.('index-summary', performance.now() - t0);
    const fresh = fingerprint === null ? null : this.memoStore();
    if (fresh) {
      try {
        // Another state's store (the root changed since the index was read) gets nothing.
        if (fresh.fingerprint === fingerprint && fresh.store.setMemoPart(SUMMARY_PART, part)) fresh.store.save(this.startedAt);
      } finally {
        if (fresh.store !== this.liveStore) fresh.store.close();
      }
    }
    return readSummary(part, fingerprint ?? '')!;
  }

  /** Items (and documents) from the memo's columns; `docIds` are by file index. */
  private itemsOf(docIds: (string | null)[], docs: Memo['documents'], memo: MemoItems, files = this.files): { documents: IndexedDocument[]; items: IndexedItem[] } {
    const documents = docs.map(([fi, id, family, title, status]) => ({ file: files[fi]!, id, family, title, status }));
    const items: IndexedItem[] = new Array(memo.id.length);
    for (let i = 0, r = 0; i < memo.id.length; i++) {
      const fi = memo.at[i]!;
      const n = memo.deps[i]!;
      items[i] = {
        id: memo.id[i]!,
        kind: memo.kind[i]!,
        title: memo.title[i]!,
        status: memo.status[i]!,
        priority: memo.priority[i]!,
        parent: memo.parent[i]!,
        dependsOn: memo.refs.slice(r, r + n),
        source: { file: files[fi]!, line: memo.line[i]!, column: memo.column[i]! },
        document: docIds[fi]!,
      };
      r += n;
    }
    return { documents, items };
  }

  /**
   * The index's printing half: each item's node JSON is a slice of its document's
   * (`slices` says where). Consecutive items of one document that are adjacent in its
   * node JSON are copied as one slice, the comma between them included.
   */
  private indexOver(index: Omit<ItemIndex, 'nodes' | 'nodesJson'>, slices: Slices, head?: MemoHeadView): ItemIndex {
    const raw = this.rawParts;
    // A file's node JSON, sliced from its stored part once (a long `next --json` asks for each file many times).
    const sliced = new Map<string, Buffer>();
    const jsonOf = (file: string): Buffer | undefined => {
      const part = raw?.get(file);
      if (!part) return this.fragments.get(file)?.json;
      let json = sliced.get(file);
      if (!json) sliced.set(file, (json = part.subarray(4 + part.readUInt32LE(0))));
      return json;
    };
    // Where the item last passed to `where` is in the returned node JSON (no object per item).
    let start = 0;
    let length = 0;
    // The head's items' node JSON by file index, and their columns.
    const byAt: (Buffer | undefined)[] = [];
    const headAt = head?.column('at');
    const headStart = head?.column('start');
    const headLength = head?.column('length');
    /** The node JSON of the item's document, `start` and `length` set to the item's place in it; checked. */
    const where = (item: IndexedItem): Buffer => {
      let file: string | undefined;
      if (item instanceof HeadItem && item.head === head) {
        const at = headAt![item.k]!;
        start = headStart![item.k]!;
        length = headLength![item.k]!;
        const json = byAt[at] ?? (byAt[at] = jsonOf(item.file));
        if (!json || start < 0 || length < 0 || start + length > json.length) throw new Error(`not an item of this index: ${item.id}`);
        return json;
      } else {
        const i = slices.position.get(item);
        if (i !== undefined) {
          file = item.source.file;
          start = slices.start[i]!;
          length = slices.length[i]!;
        }
      }
      const json = file === undefined ? undefined : jsonOf(file);
      if (!json || start + length > json.length) throw new Error(`not an item of this index: ${item.id}`);
      return json;
    };
    const nodes = (wanted: readonly IndexedItem[]) =>
      wanted.map((item) => {
        const json = where(item);
        return JSON.parse(json.toString('utf8', start, start + length)) as GraphNode;
      });
    // Sized first, then copied into one buffer: no per-item Buffer (tens of thousands in a warm `next --json`).
    const nodesJson = (wanted: readonly IndexedItem[]): Buffer => {
      const jsons: Buffer[] = new Array(wanted.length);
      const starts = new Int32Array(wanted.length);
      const lengths = new Int32Array(wanted.length);
      let size = 2 + Math.max(0, wanted.length - 1);
      for (let k = 0; k < wanted.length; k++) {
        jsons[k] = where(wanted[k]!);
        starts[k] = start;
        lengths[k] = length;
        size += length;
      }
      const out = Buffer.allocUnsafe(size);
      let o = 0;
      out[o++] = OPEN_BYTE;
      for (let k = 0; k < wanted.length; k++) {
        if (k) out[o++] = COMMA_BYTE;
        o += jsons[k]!.copy(out, o, starts[k]!, starts[k]! + lengths[k]!);
      }
      out[o++] = CLOSE_BYTE;
      return out;
    };
    return Object.assign(index, { nodes, nodesJson });
  }

  /**
   * Applies changed files (paths relative to the root or absolute): each is read and
   * hashed, and parsed only when its content changed; the graph is updated where the
   * change reaches and the store gets the new fragments. A path that is not a document
   * (a new or deleted file is found by discovering again); a changed configuration or
   * profile loads everything again.
   *
   * `save: 'later'` (a long-lived process answering between edits) keeps the store's
   * changes in memory until {@link flush}: an update then costs its parse and the graph
   * work, not a store write (the fingerprint of 10,000 entries and an append).
   */
  async update(changedPaths: readonly string[], options: { save?: 'now' | 'later' } = {}): Promise<UpdateStats> {
    this.servedFingerprint = null;
    const later = options.save === 'later';
    const startedAt = Date.now();
    this.startedAt = startedAt;
    const rels = changedPaths.map((p) => toRel(this.root, p));
    const known = this.fileSet();
    if (rels.some((rel) => !known.has(rel) && !rel.endsWith('.md'))) {
      await this.reload();
      return { parsed: this.lastStats.parsed, added: 0, removed: 0, reloaded: true };
    }
    this.ensureState();
    const changed = new Set(rels.filter((rel) => known.has(rel)));
    let added = 0;
    let removed = 0;
    /** Whether the files were listed again (only then can a fragment's file be gone). */
    let listed = false;
    if (rels.some((rel) => !known.has(rel) || !fs.existsSync(path.join(this.root, rel)))) {
      listed = true;
      const files = discover(this.root, this.config);
      const pathIds = pathDocumentIds(files);
      const now = new Set(files);
      for (const rel of files) {
        if (known.has(rel)) continue;
        changed.add(rel);
        added++;
      }
      for (const rel of this.files) if (!now.has(rel)) removed++;
      // A namesake came or went: documents named by their path or file name change id.
      for (const rel of files) {
        const c = this.fragments.get(rel)?.contribution;
        if (c && !idCurrent(rel, c, pathIds)) changed.add(rel);
      }
      this.files = files;
      this.pathIds = pathIds;
    }
    const lap = stopwatch(this.opts.trace && ((phase, ms) => this.opts.trace!(`update-${phase}`, ms)));
    // Kept open between updates while no other process touched it: reading a header of
    // 10,000 entries again costs more than the rest of a one-file update.
    const kept = this.liveStore?.current() ? this.liveStore : null;
    if (!kept) {
      // Another process wrote the store: what earlier updates left unsaved is dropped with it.
      this.liveStore?.close();
      this.unsavedSince = null;
    }
    const opened = kept ?? FragmentStore.open(this.storeFile, this.key);
    this.liveStore = null;
    lap('store-open');
    // Another process may have saved another state meanwhile: then this one's fragments
    // are not appended to it (its cycles would no longer describe its entries).
    const store = (kept && kept === this.storeHolds) || opened.holds(this.metas) ? opened : null;
    this.storeHolds = null;
    try {
      const changes = new Map<string, Contribution | null>();
      const now = this.fileSet();
      for (const rel of listed ? [...this.fragments.keys()] : []) {
        if (now.has(rel)) continue;
        this.fragments.delete(rel);
        this.results.delete(rel);
        this.metas.delete(rel);
        changes.set(rel, null);
      }
      let parsed = 0;
      // Whether any change reaches the graph: a node added, removed or moved, a reference changed.
      let structural = changes.size > 0 || added > 0;
      const fragmentDropped = changes.size > 0;
      // Whether a changed file's diagnostics differ (else, with the graph's standing, so do all).
      let diagnosticsChanged = false;
      for (const rel of changed) {
        if (!now.has(rel)) continue;
        const was = this.fragments.get(rel)?.contribution;
        const p = readAndParseIfChanged(this.root, rel, this.metas.get(rel), this.fragments.get(rel), this.profile, this.parseOptions, this.pathIds.get(rel));
        if (!p) continue; // same content: a touched file, or an event for nothing
        parsed++;
        const next = this.accept(p, store).contribution;
        changes.set(rel, next);
        if (!was || was.docId !== next.docId || was.idSource !== next.idSource || JSON.stringify(was.nodes) !== JSON.stringify(next.nodes)) structural = true;
        if (!was || JSON.stringify(was.diagnostics) !== JSON.stringify(next.diagnostics)) diagnosticsChanged = true;
      }
      lap('parse');
      if (changes.size) {
        // Otherwise the graph state, and its result, stand as they are.
        if (structural) this.graph!.update(this.files, changes);
        lap('graph');
        const built = this.built;
        const dropped = this.dropped;
        this.finish(later ? null : store, !structural && !diagnosticsChanged);
        lap('finish');
        if (built) this.patchBuilt(built, dropped, new Set(changes.keys()));
        lap('patch');
        if (later && store) this.unsavedSince = Math.min(this.unsavedSince ?? startedAt, startedAt);
        else if (store) {
          store.retain(new Set(this.metas.keys()));
          store.save(this.unsavedSince ?? startedAt);
          this.unsavedSince = null;
        }
        lap('save');
      }
      this.lastStats = { files: this.files.length, parsed, cached: this.files.length - parsed, workers: 0 };
      this.liveStore = opened;
      // It held `metas` when opened, and took every fragment accepted since; a dropped file's entry stays until a save.
      this.storeHolds = store && (!fragmentDropped || !later) ? store : null;
      return { parsed, added, removed, reloaded: false };
    } finally {
      if (this.liveStore !== opened) opened.close();
    }
  }

  private async reload(): Promise<void> {
    this.flush();
    this.liveStore?.close();
    this.liveStore = null;
    const fresh = await WorkspaceEngine.open(this.opts);
    Object.assign(this, fresh);
  }

  /**
   * After an update: the documents and graph index of the previous state, patched for the
   * changed files instead of built again (which costs every parse result decoded and the
   * whole graph built: 200–260 ms at 10,000 documents, on each read after an edit in
   * `govern mcp`). A file keeps its node objects unless it changed or it loses or loses no
   * longer a definition to a duplicate (those are read from their node JSON); `byId` is
   * built again from the nodes (a few ms); the cycles come from the graph state; the rank, global by
   * nature (one edit can reorder everything), is computed on first use.
   */
  private patchBuilt(old: { documents: WorkDocument[]; index: GraphIndex }, oldDropped: Map<string, Set<number>>, changed: Set<string>): void {
    const t0 = performance.now();
    let byFile = this.builtNodes;
    if (!byFile) {
      byFile = new Map();
      for (const n of old.index.graph.nodes) {
        const list = byFile.get(n.source.file);
        if (list) list.push(n);
        else byFile.set(n.source.file, [n]);
      }
    }
    const now = this.fileSet();
    const selfDeps = (this.selfDeps ??= new Set(old.index.graph.nodes.filter((n) => n.dependsOn.includes(n.id)).map((n) => n.id)));
    const parsed = new Map<string, GraphNode[]>();
    for (const rel of changed) {
      const f = now.has(rel) ? this.fragments.get(rel) : undefined;
      if (f) parsed.set(rel, f.json.length ? (JSON.parse(`[${f.json.toString('utf8')}]`) as GraphNode[]) : []);
    }
    // The usual edit (a status, a title, prose): every changed file defines the same ids in
    // the same order, and no duplicate is involved. Nodes, byId and documents are then
    // replaced in place (orders kept) and the rank stands unless a dependency or priority changed.
    const sameShape =
      !oldDropped.size &&
      !this.dropped.size &&
      [...changed].every((rel) => {
        const was = byFile!.get(rel) ?? [];
        const is = parsed.get(rel);
        return is !== undefined && is.length === was.length && is.every((n, k) => n.id === was[k]!.id);
      });
    if (sameShape) {
      const nodes = old.index.graph.nodes;
      const byId = old.index.byId;
      let rankStands = true;
      for (const rel of changed) {
        const was = byFile.get(rel)!;
        const is = parsed.get(rel)!;
        let at = was.length ? nodes.indexOf(was[0]!) : -1;
        is.forEach((n, k) => {
          const o = was[k]!;
          if (o.priority !== n.priority || o.dependsOn.length !== n.dependsOn.length || o.dependsOn.some((d, j) => d !== n.dependsOn[j])) rankStands = false;
          nodes[at++] = n;
          byId.set(n.id, n);
          if (n.dependsOn.includes(n.id)) selfDeps.add(n.id);
          else selfDeps.delete(n.id);
        });
        byFile.set(rel, is);
        const doc = this.results.get(rel)?.document;
        const i = old.documents.findIndex((d) => d.file === rel);
        if (doc && i >= 0) old.documents[i] = doc;
        else if (doc || i >= 0) {
          // A file became a document or stopped being one: the list is made again.
          const docOf = new Map(old.documents.map((d) => [d.file, d]));
          if (doc) docOf.set(rel, doc);
          else docOf.delete(rel);
          old.documents.splice(0, old.documents.length, ...this.files.flatMap((r) => docOf.get(r) ?? []));
        }
      }
      this.finishBuilt(old.documents, nodes, byId, selfDeps, rankStands ? this.rankHolder : null, byFile, t0);
      return;
    }
    const affected = new Set([...changed, ...oldDropped.keys(), ...this.dropped.keys()]);
    for (const rel of affected) {
      const f = this.fragments.get(rel);
      if (!f || !now.has(rel)) {
        byFile.delete(rel);
        continue;
      }
      const drop = this.dropped.get(rel);
      const defs = parsed.get(rel) ?? (f.json.length ? (JSON.parse(`[${f.json.toString('utf8')}]`) as GraphNode[]) : []);
      byFile.set(rel, drop?.size ? defs.filter((_, k) => !drop.has(k)) : defs);
    }
    const nodes: GraphNode[] = [];
    for (const rel of this.files) for (const n of byFile.get(rel) ?? []) nodes.push(n);
    // Built again rather than patched: its iteration order is the nodes' (as buildGraph's), which "did you mean" lists follow.
    const byId = new Map<string, GraphNode>();
    for (const n of nodes) byId.set(n.id, n);
    selfDeps.clear();
    for (const n of nodes) if (n.dependsOn.includes(n.id)) selfDeps.add(n.id);
    const docOf = new Map(old.documents.map((d) => [d.file, d]));
    const documents: WorkDocument[] = [];
    for (const rel of this.files) {
      const d = changed.has(rel) ? this.results.get(rel)?.document : docOf.get(rel);
      if (d) documents.push(d);
    }
    this.finishBuilt(documents, nodes, byId, selfDeps, null, byFile, t0);
  }

  /** A new index object over patched parts (a new object: callers cache per index, e.g. the MCP `next` tool). */
  private finishBuilt(
    documents: WorkDocument[],
    nodes: GraphNode[],
    byId: Map<string, GraphNode>,
    selfDeps: Set<string>,
    rankHolder: { value: Map<string, number> | null } | null,
    byFile: Map<string, GraphNode[]>,
    t0: number,
  ): void {
    const cyclic = new Set<string>([...this.graph!.cycleIds().flat(), ...selfDeps]);
    const profile = this.profile;
    const holder = rankHolder ?? { value: null };
    const index = {
      graph: { nodes, diagnostics: this.diagnostics },
      byId,
      cyclic,
      get rank(): Map<string, number> {
        if (!holder.value) {
          let sorted = true;
          for (let i = 1; i < nodes.length && sorted; i++) sorted = compareNodes(nodes[i - 1]!, nodes[i]!) < 0;
          holder.value = dependencyRank(sorted ? nodes : [...nodes].sort(compareNodes), byId, profile);
        }
        return holder.value;
      },
    } as GraphIndex;
    this.built = { documents, index };
    this.builtNodes = byFile;
    this.rankHolder = holder;
    this.selfDeps = selfDeps;
    this.opts.trace?.('patch-index', performance.now() - t0);
  }

  /** Documents and graph index, for the commands that need more than the output. */
  private materialize(): { documents: WorkDocument[]; index: GraphIndex } {
    if (this.built) return this.built;
    const t0 = performance.now();
    const store = this.files.some((rel) => !this.results.has(rel)) ? FragmentStore.open(this.storeFile, this.key) : null;
    const documents: WorkDocument[] = [];
    try {
      for (const rel of this.files) {
        let result = this.results.get(rel) ?? null;
        if (!result && store) {
          const meta = this.metas.get(rel);
          const part = meta && store.meta(rel)?.hash === meta.hash ? store.resultPart(rel) : null;
          result = part ? decodeResult(part) : null;
          if (result?.document && !idCurrentDoc(rel, result.document, this.pathIds)) result = null;
        }
        if (!result) {
          // The store no longer holds it (replaced or damaged): parse the file again.
          result = readAndParse(this.root, rel, this.profile, this.parseOptions, this.pathIds.get(rel)).result;
          this.lastStats.parsed++;
          this.lastStats.cached--;
        }
        if (result.document) documents.push(result.document);
      }
    } finally {
      store?.close();
    }
    const index = buildGraph(documents, this.profile);
    index.graph.diagnostics = this.diagnostics;
    this.built = { documents, index };
    this.builtNodes = null;
    this.rankHolder = { value: index.rank };
    this.selfDeps = null;
    this.opts.trace?.('materialize', performance.now() - t0);
    return this.built;
  }

  private graphJson(): Buffer {
    if (this.json) return this.json;
    const t0 = performance.now();
    const raw = this.rawParts;
    const fragmentOfFile = raw
      ? (rel: string) => {
          const part = raw.get(rel);
          if (!part) return this.fragments.get(rel);
          // Decoded only for a document that loses a node to a duplicate id.
          if (this.dropped.has(rel)) return decodeGraphPart(rel, part);
          return { json: part.subarray(4 + part.readUInt32LE(0)) };
        }
      : (rel: string) => this.fragments.get(rel);
    this.json = spliceGraphJson(this.files, fragmentOfFile, this.dropped, this.diagJson!);
    this.opts.trace?.('serialize', performance.now() - t0);
    return this.json;
  }

  /** A view of the current state with the `Workspace` shape every command reads. */
  /** `files` as a set (made again only when the files array was replaced). */
  private fileSet(): Set<string> {
    if (this.fileSetOf?.files !== this.files) this.fileSetOf = { files: this.files, set: new Set(this.files) };
    return this.fileSetOf.set;
  }

  /** The hash of the document `rel` as last read, or undefined for a path that is not a document (what `workspace().hashes.get` answers). */
  hashOf(rel: string): string | undefined {
    return this.fileSet().has(rel) ? this.metas.get(rel)?.hash : undefined;
  }

  /**
   * Each document's hash as it is now, as a function that makes the map when first called
   * (a new map each time: a workspace keeps its own). After an update that kept the files
   * that is a copy of the base with the few accepted files' hashes set, made only if
   * someone reads it: `govern mcp` makes a workspace per edit, and a map of 10,000
   * documents per edit cost 2–4 ms on the call's path.
   */
  private hashesNow(): () => Map<string, string> {
    let base = this.hashBase;
    // A new files array, or a delta grown long: a new base, in the files' order.
    if (!base || base.files !== this.files || this.hashDelta.size > 256) {
      const map = new Map<string, string>();
      for (const rel of this.files) {
        const m = this.metas.get(rel);
        if (m) map.set(rel, m.hash);
      }
      base = this.hashBase = { files: this.files, map };
      this.hashDelta.clear();
    }
    const { files, map } = base;
    const delta = this.hashDelta.size ? new Map(this.hashDelta) : null;
    return () => {
      if (!delta) return new Map(map);
      // A file that gains a hash (it was unreadable) would go last in a copy: then made in the files' order.
      if ([...delta].some(([rel, h]) => h !== null && !map.has(rel))) {
        const out = new Map<string, string>();
        for (const rel of files) {
          const h = delta.has(rel) ? delta.get(rel) : map.get(rel);
          if (h) out.set(rel, h);
        }
        return out;
      }
      const out = new Map(map);
      for (const [rel, h] of delta) {
        if (h === null) out.delete(rel);
        else out.set(rel, h);
      }
      return out;
    };
  }

  workspace(): Workspace {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    const hashesNow = this.hashesNow();
    let hashes: Map<string, string> | null = null;
    return {
      root: this.root,
      config: this.config,
      profile: this.profile,
      get documents() {
        return engine.materialize().documents;
      },
      get index() {
        return engine.materialize().index;
      },
      get hashes() {
        return (hashes ??= hashesNow());
      },
      diagnostics: this.diagnostics,
      stats: this.lastStats,
      pathIds: this.pathIds,
      hasItems: () => this.nodes > 0,
      itemCount: () => this.nodes,
      itemIndex: () => this.itemIndex(),
      graphJson: () => this.graphJson(),
    };
  }
}

function groupDropped(dropped: { file: string; k: number }[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const { file, k } of dropped) {
    let s = out.get(file);
    if (!s) out.set(file, (s = new Set()));
    s.add(k);
  }
  return out;
}

/** Whether a stored document still has the id it would get now: named by its file name or path, it has `pathIds`' id or its file name. */
function idCurrent(rel: string, c: Pick<Contribution, 'docId' | 'idSource'>, pathIds: Map<string, string>): boolean {
  if (c.docId === null || c.idSource === 'front-matter') return true;
  return c.docId === (pathIds.get(rel) ?? fileNameId(rel));
}

function idCurrentDoc(rel: string, doc: WorkDocument, pathIds: Map<string, string>): boolean {
  return idCurrent(rel, { docId: doc.id, idSource: doc.idSource }, pathIds);
}

function parsePending(root: string, p: Pending, profile: CompiledProfile, options: ParseOptions, defaultId: string | undefined): ParsedFile {
  if (!p.st) return readAndParse(root, p.rel, profile, options, defaultId);
  try {
    const buf = p.buf ?? fs.readFileSync(path.join(root, p.rel));
    return { file: p.rel, size: p.st.size, mtimeMs: p.st.mtimeMs, hash: p.hash ?? hashText(buf), result: parseBuffer(p.rel, buf, profile, options, defaultId) };
  } catch {
    return readAndParse(root, p.rel, profile, options, defaultId);
  }
}

/**
 * Reads a file and parses it unless its content hash is the one already held (and its
 * fragment still has the right id). A file that cannot be read is parsed (to its diagnostic).
 */
function readAndParseIfChanged(
  root: string,
  rel: string,
  meta: CacheMeta | undefined,
  fragment: Fragment | undefined,
  profile: CompiledProfile,
  options: ParseOptions,
  defaultId: string | undefined,
): ParsedFile | null {
  const abs = path.join(root, rel);
  let st: fs.Stats;
  let buf: Buffer;
  try {
    st = fs.statSync(abs);
    buf = fs.readFileSync(abs);
  } catch {
    return readAndParse(root, rel, profile, options, defaultId);
  }
  const hash = hashText(buf);
  const sameId = fragment ? (fragment.contribution.idSource === 'front-matter' || fragment.contribution.docId === null || fragment.contribution.docId === (defaultId ?? fileNameId(rel))) : false;
  if (meta && meta.hash === hash && sameId) {
    meta.size = st.size;
    meta.mtimeMs = st.mtimeMs;
    return null;
  }
  return { file: rel, size: st.size, mtimeMs: st.mtimeMs, hash, result: parseBuffer(rel, buf, profile, options, defaultId) };
}

function toRel(root: string, p: string): string {
  const rel = path.isAbsolute(p) ? path.relative(root, p) : p;
  return rel.split(path.sep).join('/');
}

function stopwatch(trace?: (phase: string, ms: number) => void): (phase: string) => void {
  if (!trace) return () => {};
  let t = performance.now();
  return (phase) => {
    const now = performance.now();
    trace(phase, now - t);
    t = now;
  };
}
