/**
 * Test support for the read path (not a test file, not part of the CLI bundle: only test
 * files import it), exported as `@govern/workspace/testing`: a temporary root, a seeded
 * generator, and random roots of trackers, workplans and speckit task files whose
 * documents share a few ids, so that duplicates, unknown and self dependencies and
 * cycles across documents are frequent. The engine's tests and the CLI's read-index and
 * MCP tests edit such roots at random and compare against a cold build or the graph.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Rng } from '@govern/graph/testing';
import type { Header } from './store.js';

/** A temporary directory to write a root into; {@link TempRoot.dispose} removes it. */
export class TempRoot {
  /** The directory's absolute path. */
  readonly path: string;

  constructor(prefix = 'govern-test-') {
    this.path = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }

  /** Writes `text` to `rel` (relative to the root), creating its directories. */
  write(rel: string, text: string): void {
    const abs = path.join(this.path, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  }

  /** Whether `rel` exists under the root. */
  exists(rel: string): boolean {
    return fs.existsSync(path.join(this.path, rel));
  }

  /** Deletes `rel` under the root. */
  remove(rel: string): void {
    fs.rmSync(path.join(this.path, rel));
  }

  /** Removes the whole directory. */
  dispose(): void {
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}

export { rng, type Rng } from '@govern/graph/testing';

/** The milestone ids every random tracker row draws from (few, so that they repeat across documents). */
export const RANDOM_IDS = ['LM-01', 'LM-02', 'LM-03', 'LM-04', 'LM-05', 'LM-06'] as const;

/** Tracker statuses: recognized ones and one that is not (`Eventually`, a `status-unrecognized` diagnostic). */
export const RANDOM_STATUSES = ['Done', 'Planned', 'In progress', 'Blocked', 'Partial', 'Eventually'] as const;

/**
 * The files of a random root: trackers, workplans (two or three share a workplan id at
 * times), two speckit `tasks.md` (namesakes, so their ids come from their paths) and a
 * file that is a tracker or prose.
 */
export const RANDOM_PATHS = [
  'trackers/a.md',
  'trackers/b.md',
  'trackers/c.md',
  'workplans/wp-1.md',
  'workplans/wp-2.md',
  'workplans/wp-3.md',
  'workplans/specs/001-x/tasks.md',
  'workplans/specs/002-y/tasks.md',
  'workplans/notes.md',
] as const;

function tracker(r: Rng): string {
  const rows: string[] = [];
  for (let i = r.int(0, 4); i > 0; i--) {
    const deps = Array.from({ length: r.int(0, 2) }, () => (r.next() < 0.1 ? 'LM-99' : r.pick([...RANDOM_IDS, 'WP-01-T01', 'WP-02'])));
    rows.push(`| ${r.pick(RANDOM_IDS)} Row ${r.int(1, 9)} | ${deps.length ? deps.join(', ') : '-'} | ${r.pick(RANDOM_STATUSES)} |`);
  }
  return `# Tracker\n\n| Milestone | Depends On | Status |\n|---|---|---|\n${rows.join('\n')}\n`;
}

function workplan(r: Rng, n: number): string {
  const deps = Array.from({ length: r.int(0, 2) }, () => r.pick(RANDOM_IDS));
  const tasks = Array.from({ length: r.int(1, 3) }, (_, i) => {
    const taskDeps = Array.from({ length: r.int(0, 1) }, () => r.pick([...RANDOM_IDS, `WP-0${n}-T01`]));
    return `## T0${i + 1} - Task ${i + 1}\n\nid: WP-0${n}-T0${i + 1}\nstatus: ${r.pick(['planned', 'done', 'in_progress', 'partial', 'blocked'])}\npriority: ${r.pick(['high', 'medium', 'low', 'urgent-ish'])}\n${taskDeps.length ? `depends_on: ${taskDeps.join(', ')}\n` : ''}`;
  });
  return `---\nid: WP-0${n}\ntype: workplan\ntitle: Work ${n}\nstatus: ${r.pick(['planned', 'in_progress', 'done'])}\n${deps.length ? `depends_on: [${deps.join(', ')}]\n` : ''}---\n\n${tasks.join('\n')}`;
}

function speckitTasks(r: Rng): string {
  return `# Tasks\n\n## Phase 1: Setup\n\nStatus: ${r.pick(RANDOM_STATUSES)}\n\n- [ ] T001 Write it\n- [${r.pick([' ', 'x'])}] T002 Test it (depends on T00${r.int(1, 3)})\n`;
}

/** Random content for one of {@link RANDOM_PATHS} (by its directory and name: a tracker, a workplan, speckit tasks, or notes). */
export function randomDocument(r: Rng, rel: string): string {
  if (rel.startsWith('trackers/')) return tracker(r);
  if (rel.includes('/wp-')) return workplan(r, r.int(1, 3)); // the same workplan id in two files, sometimes
  if (rel.endsWith('tasks.md')) return speckitTasks(r);
  return r.next() < 0.5 ? '# Notes\n\nNothing here.\n' : tracker(r);
}

/** Writes each of {@link RANDOM_PATHS} into `root` with probability `share`, with random content. */
export function writeRandomRoot(root: TempRoot, r: Rng, share = 0.8): void {
  for (const rel of RANDOM_PATHS) if (r.next() < share) root.write(rel, randomDocument(r, rel));
}

/**
 * One random edit of a random root: a file of {@link RANDOM_PATHS} deleted (if it exists,
 * with probability `deleteShare`), else written with new random content (a change or an
 * addition). Returns what was done.
 */
export function randomEdit(root: TempRoot, r: Rng, deleteShare = 0.2): { rel: string; what: 'add' | 'change' | 'delete' } {
  const rel = r.pick(RANDOM_PATHS);
  const exists = root.exists(rel);
  if (exists && r.next() < deleteShare) {
    root.remove(rel);
    return { rel, what: 'delete' };
  }
  root.write(rel, randomDocument(r, rel));
  return { rel, what: exists ? 'change' : 'add' };
}

/** A fragment store's header (store.ts), as a test reads and amends it. */
export type StoreHeader = Header;

const STORE_MAGIC = 'GVFRAG01';
const STORE_TRAILER_MAGIC = 'GVFRAGHD';

/** The last header of a fragment store file (magic, parts, header, u32 header length, u32 header crc, trailer magic), where it starts, and the file's bytes; throws if the file is not one. */
export function readStoreFile(file: string): { header: StoreHeader; bytes: Buffer; headerStart: number } {
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 8).toString('latin1') !== STORE_MAGIC || bytes.subarray(bytes.length - 8).toString('latin1') !== STORE_TRAILER_MAGIC) throw new Error(`not a fragment store: ${file}`);
  const length = bytes.readUInt32LE(bytes.length - 16);
  const headerStart = bytes.length - 16 - length;
  return { header: JSON.parse(bytes.subarray(headerStart, headerStart + length).toString('utf8')) as StoreHeader, bytes, headerStart };
}

/** Appends another header, with correct checksums, to a store file (as a run that saves does, after the parts it adds). */
export function appendStoreHeader(file: string, header: StoreHeader): void {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const trailer = Buffer.alloc(16);
  trailer.writeUInt32LE(h.length, 0);
  trailer.writeUInt32LE(zlib.crc32(h), 4);
  Buffer.from(STORE_TRAILER_MAGIC, 'latin1').copy(trailer, 8);
  fs.appendFileSync(file, Buffer.concat([h, trailer]));
}
