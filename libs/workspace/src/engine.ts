import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGraph, type GraphIndex } from '@govern/graph';
import {
  PARSER_VERSION,
  compareDiagnostics,
  fileNameId,
  pathDocumentIds,
  type CompiledProfile,
  type Diagnostic,
  type ParseOptions,
  type ParseResult,
  type WorkDocument,
} from '@govern/workplan';
import { loadConfig, type Config } from './config.js';
import { discover } from './discover.js';
import { decodeGraphPart, decodeResult, encodeGraphPart, encodeResult, fragmentOf, type Contribution, type Fragment } from './fragment.js';
import { GraphState } from './graph-update.js';
import { diagnosticsJson, spliceGraphJson } from './output.js';
import { hashText, parseBuffer, readAndParse, type ParsedFile } from './parse-files.js';
import { parseInWorkers } from './pool.js';
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
  /** Use workers when at least this many files need parsing. */
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
   * `{"nodes":[...],"diagnostics":[...]}` (index.graph's nodes and `diagnostics`) as
   * UTF-8 JSON without a trailing newline: what `govern graph --json` prints, spliced
   * from the documents' fragments.
   */
  graphJson(): Buffer;
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

  private async load(): Promise<void> {
    // Taken before any document is stat'ed or read: the reference of the store's racy-stat rule.
    const startedAt = Date.now();
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
      for (const p of fresh) this.accept(p, store);

      // Stage 3: the graph. When the store holds the cycles of the previous run's
      // contributions, only what changed is applied to them.
      this.opts.onProgress?.({ phase: 'graph', done: 0, total: this.files.length });
      this.graph = this.restoreGraph(store, previous, fresh.map((p) => p.file));
      lap('graph');

      // Stage 4: output, and the store.
      this.finish(store);
      this.lastStats = { files: this.files.length, parsed: fresh.length, cached: this.files.length - fresh.length, workers: this.workersUsed };
      lap('output');
      store.retain(new Set(this.metas.keys()));
      store.save(startedAt);
      lap('cache-save');
    } finally {
      store.close();
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
    const threshold = opts.parallelThreshold ?? 200;
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
  private restoreGraph(store: FragmentStore, previous: Map<string, Contribution>, parsed: string[]): GraphState {
    const current = () => new Map([...this.fragments].map(([rel, f]) => [rel, f.contribution]));
    const cycles = store.storedCycles();
    const prevFiles = store.storedFiles();
    if (!cycles || !prevFiles) return GraphState.build(this.files, current());
    // The contributions of files parsed again, as the store had them.
    const missing = prevFiles.filter((rel) => !previous.has(rel));
    if (missing.length) {
      const parts = store.graphParts(missing);
      for (const rel of missing) {
        const part = parts.get(rel);
        if (!part) return GraphState.build(this.files, current());
        try {
          previous.set(rel, decodeGraphPart(rel, part).contribution);
        } catch {
          return GraphState.build(this.files, current());
        }
      }
    }
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
  private finish(store: FragmentStore | null): void {
    const graph = this.graph!;
    const { diagnostics: graphDiagnostics, dropped, nodes } = graph.result();
    const all = [...this.configDiagnostics];
    for (const rel of this.files) all.push(...(this.fragments.get(rel)?.contribution.diagnostics ?? []));
    all.push(...graphDiagnostics);
    this.diagnostics = all.sort(compareDiagnostics);
    this.diagJson = diagnosticsJson(this.diagnostics);
    this.dropped = groupDropped(dropped);
    this.nodes = nodes;
    this.json = null;
    this.built = null;
    if (!store) return;
    // A file that could not be read has no hash, and its diagnostic depends on why: no output is kept.
    const complete = this.files.every((rel) => this.metas.has(rel));
    store.setResult(graph.cycleIds(), complete ? { fingerprint: this.fingerprint(this.metas), dropped, nodes, diagnostics: this.diagJson } : null);
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
    if (!this.rawParts) return;
    const contributions = new Map<string, Contribution>([...this.fragments].map(([rel, f]) => [rel, f.contribution]));
    for (const [rel, part] of this.rawParts) {
      const f = decodeGraphPart(rel, part);
      this.fragments.set(rel, f);
      contributions.set(rel, f.contribution);
    }
    this.rawParts = null;
    this.graph = this.storedCycles ? GraphState.restore(this.files, contributions, this.storedCycles) : GraphState.build(this.files, contributions);
  }

  /**
   * Applies changed files (paths relative to the root or absolute): each is read and
   * hashed, and parsed only when its content changed; the graph is updated where the
   * change reaches and the store gets the new fragments. A path that is not a document
   * (a new or deleted file is found by discovering again); a changed configuration or
   * profile loads everything again.
   */
  async update(changedPaths: readonly string[]): Promise<UpdateStats> {
    const startedAt = Date.now();
    const rels = changedPaths.map((p) => toRel(this.root, p));
    const known = new Set(this.files);
    if (rels.some((rel) => !known.has(rel) && !rel.endsWith('.md'))) {
      await this.reload();
      return { parsed: this.lastStats.parsed, added: 0, removed: 0, reloaded: true };
    }
    this.ensureState();
    const changed = new Set(rels.filter((rel) => known.has(rel)));
    let added = 0;
    let removed = 0;
    if (rels.some((rel) => !known.has(rel) || !fs.existsSync(path.join(this.root, rel)))) {
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
    const opened = FragmentStore.open(this.storeFile, this.key);
    // Another process may have saved another state meanwhile: then this one's fragments
    // are not appended to it (its cycles would no longer describe its entries).
    const store = opened.holds(this.metas) ? opened : null;
    try {
      const changes = new Map<string, Contribution | null>();
      const now = new Set(this.files);
      for (const rel of [...this.fragments.keys()]) {
        if (now.has(rel)) continue;
        this.fragments.delete(rel);
        this.results.delete(rel);
        this.metas.delete(rel);
        changes.set(rel, null);
      }
      let parsed = 0;
      // Whether any change reaches the graph: a node added, removed or moved, a reference changed.
      let structural = changes.size > 0 || added > 0;
      for (const rel of changed) {
        if (!now.has(rel)) continue;
        const was = this.fragments.get(rel)?.contribution;
        const p = readAndParseIfChanged(this.root, rel, this.metas.get(rel), this.fragments.get(rel), this.profile, this.parseOptions, this.pathIds.get(rel));
        if (!p) continue; // same content: a touched file, or an event for nothing
        parsed++;
        const next = this.accept(p, store).contribution;
        changes.set(rel, next);
        if (!was || was.docId !== next.docId || was.idSource !== next.idSource || JSON.stringify(was.nodes) !== JSON.stringify(next.nodes)) structural = true;
      }
      if (changes.size) {
        // Otherwise the graph state, and its result, stand as they are.
        if (structural) this.graph!.update(this.files, changes);
        this.finish(store);
        store?.retain(new Set(this.metas.keys()));
        store?.save(startedAt);
      }
      this.lastStats = { files: this.files.length, parsed, cached: this.files.length - parsed, workers: 0 };
      return { parsed, added, removed, reloaded: false };
    } finally {
      opened.close();
    }
  }

  private async reload(): Promise<void> {
    const fresh = await WorkspaceEngine.open(this.opts);
    Object.assign(this, fresh);
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
  workspace(): Workspace {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    const hashes = new Map<string, string>();
    for (const rel of this.files) {
      const m = this.metas.get(rel);
      if (m) hashes.set(rel, m.hash);
    }
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
      hashes,
      diagnostics: this.diagnostics,
      stats: this.lastStats,
      pathIds: this.pathIds,
      hasItems: () => this.nodes > 0,
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
