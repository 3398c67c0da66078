import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGraph, type GraphIndex } from '@govern/graph';
import { compareDiagnostics, type CompiledProfile, type Diagnostic, type WorkDocument } from '@govern/workplan';
import { ParseCache } from './cache.js';
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
}

export interface Workspace {
  root: string;
  config: Config;
  profile: CompiledProfile;
  documents: WorkDocument[];
  index: GraphIndex;
  /**
   * sha256 (hex) of each discovered file's bytes as read: the value a writer's
   * `expect` compares against (optimistic concurrency).
   */
  hashes: Map<string, string>;
  /** Config, parse and graph diagnostics, sorted. */
  diagnostics: Diagnostic[];
  stats: { files: number; parsed: number; cached: number; workers: number };
}

/**
 * Discovers, parses (through the cache) and builds the graph of a root.
 * This is what every CLI command, and later every server, starts from.
 */
export async function loadWorkspace(opts: LoadOptions): Promise<Workspace> {
  const root = path.resolve(opts.root);
  const { config, profile, profileKey, diagnostics } = loadConfig(root);
  const files = discover(root, config);
  const cacheDir = opts.cacheDir === undefined ? path.join(root, '.govern', 'cache') : opts.cacheDir;
  const parseOptions = { engine: opts.engine ?? 'auto' } as const;
  const cache = new ParseCache(cacheDir ? ParseCache.fileFor(cacheDir) : null, `${parseOptions.engine}\u0000${profileKey}`);

  const results = new Map<string, ParsedFile>();
  const toParse: string[] = [];
  const stats = new Map<string, fs.Stats>();
  let cached = 0;
  for (const rel of files) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(root, rel));
    } catch {
      toParse.push(rel);
      continue;
    }
    stats.set(rel, st);
    const hit = cache.byStat(rel, st);
    if (hit) {
      results.set(rel, { file: rel, ...hit });
      cached++;
      continue;
    }
    toParse.push(rel);
  }

  const threshold = opts.parallelThreshold ?? 200;
  const workers = opts.workerUrl && toParse.length >= threshold ? Math.min(4, Math.max(2, os.availableParallelism())) : 0;
  let fresh: ParsedFile[];
  if (workers > 0) {
    fresh = await parseInWorkers(opts.workerUrl!, root, profile.profile, toParse, workers, parseOptions);
  } else {
    fresh = toParse.map((rel) => {
      // A stat-miss may still be a content hit (touched but unchanged file).
      const st = stats.get(rel);
      if (!st) return readAndParse(root, rel, profile, parseOptions);
      try {
        const buf = fs.readFileSync(path.join(root, rel));
        const hash = hashText(buf);
        const hit = cache.byHash(rel, hash);
        if (hit) {
          cached++;
          return { file: rel, size: st.size, mtimeMs: st.mtimeMs, hash, result: hit.result };
        }
        return { file: rel, size: st.size, mtimeMs: st.mtimeMs, hash, result: parseBuffer(rel, buf, profile, parseOptions) };
      } catch {
        return readAndParse(root, rel, profile, parseOptions);
      }
    });
  }
  for (const f of fresh) {
    results.set(f.file, f);
    if (f.size >= 0) cache.set(f.file, { size: f.size, mtimeMs: f.mtimeMs, hash: f.hash, result: f.result });
  }
  cache.retain(new Set(files));
  cache.save();

  const documents: WorkDocument[] = [];
  const hashes = new Map<string, string>();
  for (const rel of files) {
    const r = results.get(rel)!;
    if (r.hash) hashes.set(rel, r.hash);
    diagnostics.push(...r.result.diagnostics);
    if (r.result.document) documents.push(r.result.document);
  }
  const index = buildGraph(documents, profile);
  diagnostics.push(...index.graph.diagnostics);
  diagnostics.sort(compareDiagnostics);
  index.graph.diagnostics = diagnostics;
  return {
    root,
    config,
    profile,
    documents,
    index,
    hashes,
    diagnostics,
    stats: { files: files.length, parsed: files.length - cached, cached, workers },
  };
}
