import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGraph, type GraphIndex, type GraphNode } from '@govern/graph';
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
import { CACHE_FORMAT, GraphSnapshot, ParseCache, type CacheMeta } from './cache.js';
import { loadConfig, type Config } from './config.js';
import { discover } from './discover.js';
import { hashText, parseBuffer, readAndParse, type ParsedFile } from './parse-files.js';
import { parseInWorkers } from './pool.js';

export interface LoadOptions {
  /** The repository root; every path in the output is relative to it. */
  root: string;
  /** Where the parse cache lives; `null` disables it. Default `<root>/.govern/cache`. */
  cacheDir?: string | null;
  /** Worker entry (bundled CLI only). Without it every file is parsed on this thread. */
  workerUrl?: URL;
  /** Use workers when at least this many files need parsing. */
  parallelThreshold?: number;
  /** Markdown engine; see `ParseOptions.engine` in @govern/workplan. */
  engine?: 'auto' | 'remark';
  /**
   * Identifies the code that builds the graph (the CLI passes its bundle's size
   * and mtime). It is part of the graph snapshot's key and of the parse cache's,
   * so a rebuilt or upgraded CLI never prints a graph or a parse result that an
   * older build computed.
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
  /** Parsed documents. After a warm run served from the graph snapshot, computed on first access. */
  documents: WorkDocument[];
  /** The graph. After a warm run served from the graph snapshot, computed on first access. */
  index: GraphIndex;
  /**
   * sha256 (hex) of each discovered file's bytes as read: the value a writer's
   * `expect` compares against (optimistic concurrency). On a warm run it comes
   * from the cache, which trusts a file's size and mtime as git does.
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
  /** Whether the graph has at least one item; on a warm run answered without building it. */
  hasItems(): boolean;
  /**
   * `{"nodes":[...],"diagnostics":[...]}` (index.graph's nodes and
   * `diagnostics`) as UTF-8 JSON without a trailing newline: what
   * `govern graph --json` prints. From the cache when nothing changed since the
   * run that wrote it; otherwise serialized on the first call and written to
   * the cache for the next run.
   */
  graphJson(): Buffer;
}

/** A file the cache could not vouch for. `buf` and `hash` are set when it was already read. */
interface Pending {
  rel: string;
  st?: fs.Stats;
  buf?: Buffer;
  hash?: string;
}

/**
 * Discovers, parses (through the cache) and builds the graph of a root.
 * This is what every CLI command, and later every server, starts from.
 *
 * Warm runs take one of two paths. When every file is vouched for by the
 * cache (unchanged stat, or unchanged content) and the graph snapshot of that
 * exact set of files, rules and build exists, the workspace is served from the
 * snapshot: no parse result is deserialized and no graph built unless
 * `documents` or `index` is read. Otherwise the cached parse results of the
 * unchanged files are deserialized, only the others are parsed, and the graph
 * is built.
 */
export async function loadWorkspace(opts: LoadOptions): Promise<Workspace> {
  // Taken before any document is stat'ed or read: the reference of the cache's
  // racy-stat rule (see ParseCache).
  const startedAt = Date.now();
  const lap = stopwatch(opts.trace);
  const root = path.resolve(opts.root);
  const loaded = loadConfig(root);
  const { config, profile, profileKey } = loaded;
  const configDiagnostics = [...loaded.diagnostics];
  lap('config');
  const files = discover(root, config);
  const pathIds = pathDocumentIds(files);
  lap('discover');
  const cacheDir = opts.cacheDir === undefined ? path.join(root, '.govern', 'cache') : opts.cacheDir;
  const parseOptions = { engine: opts.engine ?? 'auto' } as const;
  const key = `${parseOptions.engine}\u0000${profileKey}`;
  const cacheFile = cacheDir ? ParseCache.fileFor(cacheDir) : null;
  const snapshotFile = cacheDir ? GraphSnapshot.fileFor(cacheDir) : null;
  const fingerprintOf = (hashes: Map<string, string>) => fingerprint(key, opts.buildId ?? '', configDiagnostics, files, hashes);
  // The build is part of the parse cache's key too: a parser change that forgot to bump
  // PARSER_VERSION must not be served stale results by the next build (one cold run).
  const cacheKey = opts.buildId ? `${key}\u0000${opts.buildId}` : key;
  const cache = new ParseCache(cacheFile, cacheKey);
  lap('cache-open');

  // What the cache can vouch for: an unchanged stat, or else unchanged content.
  const known = new Map<string, CacheMeta>();
  const pending: Pending[] = [];
  for (const rel of files) {
    const abs = path.join(root, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      pending.push({ rel });
      continue;
    }
    const hit = cache.byStat(rel, st);
    if (hit) {
      known.set(rel, hit);
      continue;
    }
    const prev = cache.meta(rel);
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
      cache.confirm(rel, meta, startedAt);
      known.set(rel, meta);
    } else {
      pending.push({ rel, st, buf, hash: meta.hash });
    }
  }
  lap('validate');

  if (snapshotFile && pending.length === 0) {
    const hashes = new Map(files.map((rel) => [rel, known.get(rel)!.hash]));
    const snap = GraphSnapshot.read(snapshotFile, fingerprintOf(hashes));
    lap('snapshot');
    if (snap) {
      cache.retain(new Set(files));
      cache.save(startedAt);
      cache.close();
      lap('cache-save');
      // Counts what materialize() has to parse again, should the cache not hold it.
      const stats = { files: files.length, parsed: 0, cached: files.length, workers: 0 };
      let built: { documents: WorkDocument[]; index: GraphIndex } | null = null;
      const build = () => {
        if (!built) {
          const t0 = performance.now();
          built = materialize({ root, files, hashes, pathIds, cacheFile, cacheKey, profile, parseOptions, startedAt, stats }, snap.diagnostics);
          opts.trace?.('materialize', performance.now() - t0);
        }
        return built;
      };
      return {
        root,
        config,
        profile,
        get documents() {
          return build().documents;
        },
        get index() {
          return build().index;
        },
        hashes,
        diagnostics: snap.diagnostics,
        stats,
        pathIds,
        // The snapshot holds the serialized graph: `{"nodes":[]` starts an empty one.
        hasItems: () => built ? built.index.graph.nodes.length > 0 : !snap.graph.subarray(0, EMPTY_GRAPH.length).equals(EMPTY_GRAPH),
        graphJson: () => snap.graph,
      };
    }
  }

  const results = new Map<string, ParsedFile>();
  for (const [rel, meta] of known) {
    const result = cache.result(rel);
    // A document named by its file cached before another file took (or left) its name
    // has the other id now: parse it again.
    if (result && idCurrent(rel, result, pathIds)) results.set(rel, { file: rel, ...meta, result });
    else pending.push({ rel }); // the cache's body is unreadable, or the id changed: parse the file again
  }
  lap('results');

  const threshold = opts.parallelThreshold ?? 200;
  const onProgress = opts.onProgress;
  const progress = onProgress && pending.length ? (done: number) => onProgress({ phase: 'parse', done, total: pending.length }) : undefined;
  const workers = opts.workerUrl && pending.length >= threshold ? Math.min(4, Math.max(2, os.availableParallelism())) : 0;
  let fresh: ParsedFile[];
  try {
    fresh =
      workers > 0
        ? await parseInWorkers(opts.workerUrl!, root, profile.profile, pending.map((p) => p.rel), workers, parseOptions, Object.fromEntries(pathIds), progress)
        : pending.map((p, i) => {
            const parsed = parsePending(root, p, profile, parseOptions, pathIds.get(p.rel));
            progress?.(i + 1);
            return parsed;
          });
  } catch (err) {
    cache.close(); // a failed worker: do not leave the cache file open
    throw err;
  }
  lap('parse');
  for (const f of fresh) {
    results.set(f.file, f);
    if (f.size >= 0) cache.set(f.file, { size: f.size, mtimeMs: f.mtimeMs, hash: f.hash }, f.result);
  }
  cache.retain(new Set(files));
  cache.save(startedAt);
  cache.close();
  lap('cache-save');

  const diagnostics = [...configDiagnostics];
  const documents: WorkDocument[] = [];
  const hashes = new Map<string, string>();
  for (const rel of files) {
    const r = results.get(rel)!;
    if (r.hash) hashes.set(rel, r.hash);
    diagnostics.push(...r.result.diagnostics);
    if (r.result.document) documents.push(r.result.document);
  }
  opts.onProgress?.({ phase: 'graph', done: 0, total: documents.length });
  const index = buildGraph(documents, profile);
  diagnostics.push(...index.graph.diagnostics);
  diagnostics.sort(compareDiagnostics);
  index.graph.diagnostics = diagnostics;
  lap('graph');
  // A file that could not be read has no hash, and its diagnostic depends on why:
  // such a graph is not kept.
  const snapshotKey = snapshotFile && hashes.size === files.length ? fingerprintOf(hashes) : null;
  let json: Buffer | null = null;
  return {
    root,
    config,
    profile,
    documents,
    index,
    hashes,
    diagnostics,
    stats: { files: files.length, parsed: fresh.length, cached: files.length - fresh.length, workers },
    pathIds,
    hasItems: () => index.graph.nodes.length > 0,
    graphJson() {
      if (!json) {
        let t0 = performance.now();
        json = serializeGraph(index.graph.nodes, diagnostics);
        opts.trace?.('serialize', performance.now() - t0);
        if (snapshotKey) {
          t0 = performance.now();
          GraphSnapshot.write(snapshotFile!, snapshotKey, diagnostics, json);
          opts.trace?.('snapshot-save', performance.now() - t0);
        }
      }
      return json;
    },
  };
}

const EMPTY_GRAPH = Buffer.from('{"nodes":[]', 'utf8');

/**
 * Whether a cached parse result still has the id its document would get now: a
 * document named by its file name or path has `pathIds`' id, or its file name.
 */
function idCurrent(rel: string, result: ParseResult, pathIds: Map<string, string>): boolean {
  const doc = result.document;
  if (!doc || doc.idSource === 'front-matter') return true;
  return doc.id === (pathIds.get(rel) ?? fileNameId(rel));
}

/** The bytes `graph --json` prints (before its newline). */
function serializeGraph(nodes: GraphNode[], diagnostics: Diagnostic[]): Buffer {
  return Buffer.from(JSON.stringify({ nodes, diagnostics }), 'utf8');
}

/**
 * The key of the graph snapshot: everything the graph is computed from. Files
 * are identified by content (sha256), the rules by the cache key (engine and
 * profile), the code by the parser version, the cache format and the build id;
 * configuration problems are part of the printed diagnostics.
 */
function fingerprint(key: string, buildId: string, configDiagnostics: Diagnostic[], files: string[], hashes: Map<string, string>): string {
  const parts = [JSON.stringify([CACHE_FORMAT, PARSER_VERSION, key, buildId, configDiagnostics])];
  for (const rel of files) parts.push(`${rel}\u0000${hashes.get(rel) ?? ''}`);
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex');
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

interface MaterializeInput {
  root: string;
  files: string[];
  hashes: Map<string, string>;
  pathIds: Map<string, string>;
  cacheFile: string | null;
  /** The parse cache's full key, build id included: the one the load opened it with. */
  cacheKey: string;
  profile: CompiledProfile;
  parseOptions: ParseOptions;
  startedAt: number;
  stats: { parsed: number; cached: number };
}

/**
 * Documents and graph behind a snapshot hit, for the commands that need more
 * than the serialized graph. The cache is opened again (its body was never
 * read); a result it no longer holds for the content hashed earlier in this run
 * is parsed from the file. The diagnostics are the snapshot's, computed from
 * the same inputs.
 */
function materialize(m: MaterializeInput, diagnostics: Diagnostic[]): { documents: WorkDocument[]; index: GraphIndex } {
  const cache = new ParseCache(m.cacheFile, m.cacheKey);
  const documents: WorkDocument[] = [];
  for (const rel of m.files) {
    let result = cache.meta(rel)?.hash === m.hashes.get(rel) ? cache.result(rel) : null;
    if (result && !idCurrent(rel, result, m.pathIds)) result = null;
    if (!result) {
      m.stats.parsed++;
      m.stats.cached--;
      const f = readAndParse(m.root, rel, m.profile, m.parseOptions, m.pathIds.get(rel));
      if (f.size >= 0) cache.set(rel, { size: f.size, mtimeMs: f.mtimeMs, hash: f.hash }, f.result);
      result = f.result;
    }
    if (result.document) documents.push(result.document);
  }
  cache.retain(new Set(m.files));
  cache.save(m.startedAt);
  cache.close();
  const index = buildGraph(documents, m.profile);
  index.graph.diagnostics = diagnostics;
  return { documents, index };
}

function stopwatch(trace: LoadOptions['trace']): (phase: string) => void {
  let t = performance.now();
  return (phase) => {
    if (!trace) return;
    const now = performance.now();
    trace(phase, now - t);
    t = now;
  };
}
