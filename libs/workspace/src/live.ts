import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE, DEFAULT_FOLDERS } from './config.js';
import { WorkspaceEngine, type LoadOptions, type UpdateStats, type Workspace } from './engine.js';

/**
 * An mtime this close to the moment its stat was recorded, or later, is not trusted:
 * the kernel stamps files from a coarse clock (one tick, up to 10 ms, behind), so an
 * edit made just after the stat can carry the very mtime (and size, and inode) the
 * stat saw. Such a file is hashed on each call until a later stat vouches for it.
 */
const RACY_MS = 100;

/** The profile read when govern.config.yaml names none (loadConfig's fallback). */
const DEFAULT_PROFILE_FILE = 'profiles/default.yaml';

/** What a stat says about a file; the same signature means the same content, unless racy. */
interface Sig {
  /** The absolute path, joined once: the per-call check stats every document. */
  abs: string;
  mtimeMs: number;
  size: number;
  ino: number;
  /** Whether the mtime was too recent to vouch for the content when this was recorded. */
  racy: boolean;
}

function sigOf(abs: string, st: fs.Stats, at: number): Sig {
  return { abs, mtimeMs: st.mtimeMs, size: st.size, ino: st.ino, racy: st.mtimeMs >= at - RACY_MS };
}

function sameSig(a: Sig, st: fs.Stats): boolean {
  return a.mtimeMs === st.mtimeMs && a.size === st.size && a.ino === st.ino;
}

const sha256 = (buf: Buffer) => crypto.createHash('sha256').update(buf).digest('hex');

/** What a sync found and did: for tests and `GOVERN_TIMING`. */
export interface SyncStats {
  /** Paths handed to the engine (relative to the root). */
  changed: string[];
  /** The engine's answer, or null when nothing changed. */
  update: UpdateStats | null;
  /** Files hashed because their stat could not vouch for them. */
  hashed: number;
}

export interface LiveWorkspaceOptions {
  /** How the engine loads (the CLI context's options: cache, workers, build id). */
  load: LoadOptions;
  /** Watch the document folders (default true); the per-call check alone is enough to be correct. */
  watch?: boolean;
  /** Quiet time after the last watch event before the engine is updated in the background. */
  debounceMs?: number;
  /**
   * With a trusted watcher (see {@link LiveWorkspace}), a call still stats every document
   * when the last such sweep is older than this (default 2,000 ms): the bound on how long
   * an event the kernel dropped can go unseen.
   */
  sweepMs?: number;
  /** Quiet time after the last update before the engine's store is saved (default 1,000 ms). */
  flushMs?: number;
  /** Called after each update the engine applied (by a call or by the watcher), with what changed. */
  onUpdate?: (stats: SyncStats) => void;
  /** Names the process in log lines (`govern mcp`, `web view`): each caller says who it is. */
  name: string;
  log?: (s: string) => void;
}

/**
 * The workspace of one root, loaded once and kept current (`govern mcp` and the web view
 * of `govern serve`): a long-lived
 * {@link WorkspaceEngine}, updated per changed file. Every {@link current} call first
 * checks what changed: the paths the watcher reported, the configuration and the profile,
 * the folders holding documents (an added file changes its folder's mtime), the documents
 * whose last stat was too recent to vouch for them (hashed), and — unless the watcher is
 * trusted — a stat of every document (mtime, size, inode; 15–18 ms at 10,000 documents).
 *
 * When the watcher is trusted (Linux, every folder watched, no watcher error): inotify
 * queues an event inside the write(2) of the edit, so an edit that returned before the
 * agent sent its request is queued before the request's bytes arrive; the call yields one
 * event-loop turn before checking, in which libuv's poll hands over every ready event
 * (the watcher's with the request's). So such an edit is seen without statting every
 * document. Each folder has its own watcher; a folder that appears later (a document
 * folder created after the start, a new subfolder) is reported by its parent's, and is
 * watched, and its documents read, in that same turn. What inotify can lose — events past its queue limit (`max_queued_events`)
 * under a burst of writes — is caught by a full stat at least every `sweepMs` (2 s), and
 * a watcher error makes every later call stat everything. Elsewhere (macOS FSEvents
 * delivers late, other platforms vary) every call stats every document, as before.
 * Loads and updates run one at a time.
 */
export class LiveWorkspace {
  private engine: WorkspaceEngine | null = null;
  private ws: Workspace | null = null;
  /** Documents, by path relative to the root. */
  private files = new Map<string, Sig>();
  /** Documents recorded with a racy stat (a superset: entries are dropped once a stat vouches). */
  private racy = new Set<string>();
  /** The configuration and profile files: a change reloads everything, so they are compared by content. */
  private settings = new Map<string, { sig: Sig | null; hash: string | null }>();
  /** Folders holding documents and their ancestors: an added file changes its folder's mtime. */
  private dirs = new Map<string, Sig>();
  private pending = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The top-level document folders being watched (or to be, once they appear). */
  private topFolders = new Set<string>();
  /** Watched folders (relative to the root, '' the root): the watcher, and the inode it watches. */
  private watched = new Map<string, { w: fs.FSWatcher; ino: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Whether watch events can stand in for a stat of every document (see the class comment). */
  private trusted = false;
  /** When every document was last stat'ed (performance.now()). */
  private sweptAt = 0;
  /** How many engine updates were applied (by calls or by the watcher). */
  updates = 0;
  /** How many checks stat'ed every document (see `sweepMs`). */
  sweeps = 0;
  readonly root: string;
  private readonly name: string;

  constructor(private readonly opts: LiveWorkspaceOptions) {
    this.root = path.resolve(opts.load.root);
    this.name = opts.name;
  }

  /** The workspace as the files are now: loads on the first call, then applies what changed. */
  current(): Promise<Workspace> {
    return this.serial(async () => {
      // One event-loop turn: watch events the kernel queued before the request arrived are handed over.
      if (this.trusted) await new Promise((resolve) => setImmediate(resolve));
      await this.sync();
      return this.ws!;
    });
  }

  /**
   * Brings the engine up to date after a write (`paths` relative to the root or
   * absolute; the per-call check would find them too, this spares the next read).
   */
  async changed(paths: readonly string[] = []): Promise<SyncStats> {
    return this.serial(async () => {
      for (const p of paths) this.pending.add(toRel(this.root, p));
      return this.sync();
    });
  }

  /**
   * Saves the engine's store once no update came for `flushMs` (default 1,000 ms): a
   * burst of edits costs one store write, after the calls that needed the updates.
   */
  private scheduleFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.serial(async () => this.engine?.flush()).catch((err: unknown) => this.opts.log?.(`${this.name}: saving the cache failed: ${(err as Error).message}\n`));
    }, this.opts.flushMs ?? 1000);
    this.flushTimer.unref();
  }

  /** Stops watching, and saves what the store has not saved yet. */
  close(): void {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    try {
      this.engine?.flush();
    } catch {
      // a cache: the next load parses those files again
    }
    if (this.timer) clearTimeout(this.timer);
    for (const { w } of this.watched.values()) w.close();
    this.watched.clear();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Loads, or finds what changed and updates the engine with it. */
  private async sync(): Promise<SyncStats> {
    // Taken before the engine reads anything: a file edited after it read the file gets an
    // mtime no earlier than this (less a clock tick), so the stat recorded below is racy.
    const before = Date.now();
    const t0 = performance.now();
    if (!this.engine) {
      this.engine = await WorkspaceEngine.open(this.opts.load);
      this.ws = this.engine.workspace();
      this.snapshot(null, before);
      if (this.opts.watch !== false && !this.closed) this.watch();
      return { changed: [], update: null, hashed: 0 };
    }
    const { changed, hashed, reload } = this.check(before);
    const trace = this.opts.load.trace;
    trace?.('mcp check', performance.now() - t0);
    if (!changed.length && !reload) return { changed, update: null, hashed };
    // A changed configuration or profile: the engine loads everything again (a path that is not a document tells it so).
    // The store is written after a quiet time (see `scheduleFlush`), not on the call's path.
    const update = await this.engine.update(reload ? [CONFIG_FILE] : changed, { save: 'later' });
    this.scheduleFlush();
    this.updates++;
    this.ws = this.engine.workspace();
    this.snapshot(update.reloaded || update.added || update.removed ? null : changed, before);
    trace?.('mcp update', performance.now() - t0);
    const stats = { changed, update, hashed };
    this.opts.onUpdate?.(stats);
    return stats;
  }

  /** What changed since the last snapshot: reported paths, stat differences, hashes where a stat cannot vouch. */
  private check(at: number): { changed: string[]; hashed: number; reload: boolean } {
    const changed = new Set<string>();
    let hashed = 0;
    let reload = false;
    for (const rel of this.pending) {
      if (this.settings.has(rel)) reload ||= this.settingChanged(rel, at);
      else if (rel.endsWith('.md')) changed.add(rel);
    }
    this.pending.clear();
    // The engine's hash of one file, not the workspace's map of every document (made when first read).
    const engine = this.engine!;
    const sweep = !this.trusted || performance.now() - this.sweptAt >= (this.opts.sweepMs ?? 2000);
    if (sweep) {
      this.sweptAt = performance.now();
      this.sweeps++;
    }
    for (const [rel, sig] of sweep ? this.files : this.racyFiles()) {
      if (changed.has(rel)) continue;
      const abs = sig.abs;
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      if (!st || !sameSig(sig, st)) {
        changed.add(rel);
        continue;
      }
      if (!sig.racy) continue;
      hashed++;
      let buf: Buffer;
      try {
        buf = fs.readFileSync(abs);
      } catch {
        changed.add(rel);
        continue;
      }
      if (sha256(buf) !== engine.hashOf(rel)) changed.add(rel);
      // Same content, and stat'ed after `at`: from now on any edit moves the mtime past this one.
      else this.setSig(rel, sigOf(abs, st, at));
    }
    for (const rel of this.settings.keys()) reload ||= this.settingChanged(rel, at);
    for (const [rel, sig] of this.dirs) {
      const abs = path.join(this.root, rel);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      if (st && sameSig(sig, st) && !sig.racy) continue;
      if (st?.isDirectory()) {
        for (const doc of this.unknownDocuments(rel, abs)) changed.add(doc);
        this.dirs.set(rel, sigOf(abs, st, at));
      }
    }
    return { changed: [...changed], hashed, reload };
  }

  private setSig(rel: string, sig: Sig): void {
    this.files.set(rel, sig);
    if (sig.racy) this.racy.add(rel);
  }

  /** The documents whose last stat was too recent to vouch for their content. */
  private racyFiles(): [string, Sig][] {
    const out: [string, Sig][] = [];
    for (const rel of this.racy) {
      const sig = this.files.get(rel);
      if (sig?.racy) out.push([rel, sig]);
      else this.racy.delete(rel);
    }
    return out;
  }

  /** The `.md` files under a folder that are not held, down through folders not held either (a new folder holds only new files). */
  private unknownDocuments(rel: string, abs: string): string[] {
    const out: string[] = [];
    for (const e of safeReaddir(abs)) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && !this.dirs.has(child)) out.push(...this.unknownDocuments(child, path.join(abs, e.name)));
      else if (e.name.endsWith('.md') && !e.isDirectory() && !this.files.has(child)) out.push(child);
    }
    return out;
  }

  /** Whether the configuration or profile file `rel` has other content than when recorded (and records the new state). */
  private settingChanged(rel: string, at: number): boolean {
    const held = this.settings.get(rel)!;
    const abs = path.join(this.root, rel);
    const st = fs.statSync(abs, { throwIfNoEntry: false }) ?? null;
    if (!st) {
      this.settings.set(rel, { sig: null, hash: null });
      return held.hash !== null;
    }
    if (held.sig && sameSig(held.sig, st) && !held.sig.racy) return false;
    const hash = readHash(abs);
    this.settings.set(rel, { sig: sigOf(abs, st, at), hash });
    return hash !== held.hash;
  }

  /**
   * Records stats after a load or update (`at`: the time before the engine read the
   * files): all of them (`only` null) or only those of the paths given.
   */
  private snapshot(only: string[] | null, at: number): void {
    const record = (rel: string) => {
      const abs = path.join(this.root, rel);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      // The engine hashed the file it parsed; one edited since is caught by its mtime, or hashed if racy.
      if (st) this.setSig(rel, sigOf(abs, st, at));
      else this.files.delete(rel);
    };
    if (only) {
      // Only the paths given: a set of every document per update cost more than the stats.
      for (const rel of only) {
        if (this.engine!.hashOf(rel) !== undefined) record(rel);
        else this.files.delete(rel);
      }
      return;
    }
    const hashes = this.ws!.hashes;
    this.files.clear();
    this.racy.clear();
    this.sweptAt = performance.now();
    for (const rel of hashes.keys()) record(rel);
    const settings = [CONFIG_FILE, this.ws!.config.profile ?? DEFAULT_PROFILE_FILE];
    this.settings.clear();
    for (const rel of settings) {
      const abs = path.join(this.root, rel);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      this.settings.set(rel, { sig: st ? sigOf(abs, st, at) : null, hash: st ? readHash(abs) : null });
    }
    this.dirs.clear();
    for (const rel of [...hashes.keys(), ...this.folders().map((f) => `${f}/x`)]) {
      for (let dir = path.posix.dirname(rel); ; dir = path.posix.dirname(dir)) {
        const key = dir === '.' ? '' : dir;
        if (this.dirs.has(key)) break;
        const abs = path.join(this.root, key);
        const st = fs.statSync(abs, { throwIfNoEntry: false });
        if (st?.isDirectory()) this.dirs.set(key, sigOf(abs, st, at));
        if (!key) break;
      }
    }
  }

  /** The top-level document folders: the defaults and the first segment of each include glob. */
  private folders(): string[] {
    const include = this.ws!.config.include.map((g) => g.split('/')[0]!).filter((s) => s && !/[*?{[]/.test(s));
    return [...new Set([...DEFAULT_FOLDERS, ...include])];
  }

  /**
   * Watches the root (for the configuration, the profile and document folders that
   * appear) and every folder under the document folders, each by its own non-recursive
   * watcher; events are applied after a quiet time, so the next call usually finds the
   * engine already current. Not `fs.watch(folder, { recursive: true })`: on Linux, Node 20
   * emulates it with one watcher per file and reads the whole folder again on each event
   * (a `readdir` of thousands of entries and a path join each, ~18 ms per edited file at
   * 10,000 documents, on the call's path: the call yields to the watcher's events first).
   * A watch on a folder reports what happens to its entries, by name, all the same.
   */
  private watch(): void {
    this.topFolders = new Set(this.folders());
    this.trusted = process.platform === 'linux';
    this.watchDir('');
    for (const f of this.topFolders) {
      // Created later, it is watched when the root's watcher reports it (see `onEvent`).
      if (fs.statSync(path.join(this.root, f), { throwIfNoEntry: false })?.isDirectory()) this.watchTree(f);
    }
  }

  /** Watches `rel` and the folders under it (not hidden ones, nor node_modules); returns the documents found under it. */
  private watchTree(rel: string): string[] {
    const docs: string[] = [];
    if (!this.watchDir(rel)) return docs;
    for (const e of safeReaddir(path.join(this.root, rel))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) docs.push(...this.watchTree(child));
      else if (e.name.endsWith('.md')) docs.push(child);
    }
    return docs;
  }

  /** One non-recursive watcher on the folder `rel`; false when it cannot be watched. */
  private watchDir(rel: string): boolean {
    const abs = path.join(this.root, rel);
    try {
      const ino = fs.statSync(abs).ino;
      const w = fs.watch(abs, { persistent: false }, (_event, name) => this.onEvent(rel, name));
      w.on('error', (err) => {
        // From now on every call stats every document.
        this.trusted = false;
        this.opts.log?.(`${this.name}: watch error: ${err.message}\n`);
      });
      this.watched.get(rel)?.w.close();
      this.watched.set(rel, { w, ino });
      return true;
    } catch (err) {
      // Watching is an optimisation: the per-call check stays correct without it.
      this.trusted = false;
      this.opts.log?.(`${this.name}: cannot watch ${rel || '.'}: ${(err as Error).message}\n`);
      return false;
    }
  }

  /** A watch event on an entry `name` of the folder `base`: a document, a setting, or a folder that appeared, went or was replaced. */
  private onEvent(base: string, name: string | Buffer | null): void {
    if (!name || this.closed) return;
    const rel = base ? `${base}/${String(name)}` : String(name);
    if (rel.endsWith('.md') || this.settings.has(rel)) this.pending.add(rel);
    else if ((base || this.topFolders.has(rel)) && !String(name).startsWith('.') && name !== 'node_modules') {
      // Perhaps a folder: one that appeared is watched, with what it holds; one that went
      // (or was replaced) takes its documents with it, which the engine then drops.
      const st = fs.statSync(path.join(this.root, rel), { throwIfNoEntry: false });
      const held = this.watched.get(rel);
      if (held && st?.ino === held.ino && st.isDirectory()) return;
      if (!held && !st?.isDirectory()) return;
      if (held) {
        for (const [dir, h] of this.watched) {
          if (dir !== rel && !dir.startsWith(`${rel}/`)) continue;
          h.w.close();
          this.watched.delete(dir);
        }
        for (const doc of this.files.keys()) if (doc.startsWith(`${rel}/`)) this.pending.add(doc);
      }
      if (st?.isDirectory()) for (const doc of this.watchTree(rel)) this.pending.add(doc);
      if (!this.pending.size) return;
    } else return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.pending.size) return;
      const run = this.serial(async () => {
        const s = await this.sync();
        // The engine rebuilds its graph index lazily after an update; built now, between
        // calls, the next call after an edit on disk does not wait for it.
        if (s.update) void this.ws!.index;
      });
      run.catch((err: unknown) => this.opts.log?.(`${this.name}: update failed: ${(err as Error).message}\n`));
    }, this.opts.debounceMs ?? 50);
    this.timer.unref();
  }
}

function readHash(abs: string): string | null {
  try {
    return sha256(fs.readFileSync(abs));
  } catch {
    return null;
  }
}

function safeReaddir(abs: string): fs.Dirent[] {
  try {
    return fs.readdirSync(abs, { withFileTypes: true });
  } catch {
    return [];
  }
}

function toRel(root: string, p: string): string {
  const rel = path.isAbsolute(p) ? path.relative(root, p) : p;
  return rel.split(path.sep).join('/');
}
