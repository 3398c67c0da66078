import fs from 'node:fs';
import path from 'node:path';
import {
  AuditEntrySchema,
  auditEntryHash,
  canonicalJson,
  EventRecordSchema,
  GraphSnapshotSchema,
  jsonErrorPosition,
  KeySchema,
  moveToTrash,
  storeDiagnostic,
  type PlannedMigration,
  type StoreDiagnostic,
  type StoreMaintenance,
  type StoreMetadata,
  type StoreProblemKind,
} from '@govern/adapter-kit';
import { isTemp, listDir, readText, replaceAtomic } from './files.js';

const NAME = 'file-store';
const DIR = '.govern/adapters/file-store';
const SEQ_FILE = /^(\d{12})\.(json|jsonl)$/;

/**
 * The file store's layouts, oldest first. Layout 0 is a store without `meta.json`
 * (records copied without their metadata, or written before the store recorded
 * one); migration 1 records the layout. The next change of the layout adds a
 * migration here and raises FILE_STORE_LAYOUT with it.
 */
export const FILE_STORE_MIGRATIONS: readonly (PlannedMigration & { apply(dir: string): void })[] = [
  {
    version: 1,
    name: 'record the layout version in meta.json',
    apply: (dir) => replaceAtomic(path.join(dir, 'meta.json'), `${canonicalJson({ schema: 'govern.adapter-file-store/v1', layout: 1 })}\n`),
  },
];

/** The layout this build writes (the last migration's version). */
const TARGET = FILE_STORE_MIGRATIONS.at(-1)!.version;

const isDir = (abs: string) => {
  try {
    return fs.statSync(abs).isDirectory();
  } catch {
    return false;
  }
};

/** The layout recorded in meta.json: a number, 0 when there is no meta.json, or the problem with it. */
function recordedLayout(dir: string): { layout: number } | { problem: { message: string; line: number; column: number } } {
  const text = readText(path.join(dir, 'meta.json'));
  if (text === null) return { layout: 0 };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { problem: { message: `meta.json does not parse: ${(err as Error).message}`, ...jsonErrorPosition(text) } };
  }
  const layout = (v as { layout?: unknown } | null)?.layout;
  if (typeof layout !== 'number' || !Number.isInteger(layout) || layout < 1) return { problem: { message: 'meta.json has no layout version (a positive integer)', line: 1, column: 1 } };
  return { layout };
}

function metadata(root: string): StoreMetadata {
  const dir = path.join(root, DIR);
  const exists = isDir(dir);
  const rec = exists ? recordedLayout(dir) : { layout: 0 };
  // A store of unreadable metadata is at no known layout: repair reports it; nothing is planned until it is readable.
  const version = 'layout' in rec ? rec.layout : 0;
  const planned = exists && 'layout' in rec ? FILE_STORE_MIGRATIONS.filter((m) => m.version > version).map(({ version: v, name }) => ({ version: v, name })) : [];
  return { pack: NAME, exists, recordedIn: `${DIR}/meta.json`, version, target: TARGET, planned };
}

/** Every problem of the store at `root`, positioned by file, line and column. */
function inspect(root: string): StoreDiagnostic[] {
  const dir = path.join(root, DIR);
  if (!isDir(dir)) return [];
  const out: StoreDiagnostic[] = [];
  const add = (kind: StoreProblemKind, rel: string, message: string, pos: { line?: number; column?: number; repair?: StoreDiagnostic['repair'] } = {}) =>
    out.push(storeDiagnostic({ kind, pack: NAME, file: `${DIR}/${rel}`, message, ...pos }));
  const orphan = (rel: string, why: string) => add('orphaned-path', rel, `${DIR}/${rel} ${why}; no record of the store is read from it`);

  const meta = recordedLayout(dir);
  if ('problem' in meta) add('corruption', 'meta.json', meta.problem.message, meta.problem);
  else if (meta.layout > TARGET) add('pending-migration', 'meta.json', `the store has layout ${meta.layout}, newer than this build's ${TARGET}: upgrade govern`, { line: 1, column: 1, repair: 'none' });
  else if (meta.layout < TARGET) add('pending-migration', 'meta.json', `the store is at layout ${meta.layout}, this build's is ${TARGET}: run govern store migrate`);

  for (const name of listDir(dir)) {
    if (name === 'meta.json') continue;
    if (!['graph', 'events', 'audit'].includes(name) || !isDir(path.join(dir, name))) orphan(name, isTemp(name) ? 'is a temporary file a crashed write left' : 'is not part of the store layout');
  }

  // graph/<id>.json
  for (const f of listDir(path.join(dir, 'graph'))) {
    const rel = `graph/${f}`;
    const id = f.endsWith('.json') ? f.slice(0, -'.json'.length) : null;
    if (isTemp(f)) orphan(rel, 'is a temporary file a crashed write left');
    else if (id === null || !KeySchema.safeParse(id).success || isDir(path.join(dir, rel))) orphan(rel, 'is not named <snapshot id>.json');
    else {
      const v = parseJson(dir, rel, add);
      if (v === undefined) continue;
      const s = GraphSnapshotSchema.safeParse(v);
      if (!s.success) add('corruption', rel, `not a valid graph snapshot: ${zodMessage(s.error)}`, { line: 1, column: 1 });
      else if (s.data.id !== id) add('corruption', rel, `holds snapshot ${s.data.id}, not ${id}`, { line: 1, column: 1 });
    }
  }

  // events/<stream>/<first seq>.jsonl
  for (const stream of listDir(path.join(dir, 'events'))) {
    const sdir = `events/${stream}`;
    if (isTemp(stream) || !isDir(path.join(dir, sdir)) || !KeySchema.safeParse(stream).success) {
      orphan(sdir, isTemp(stream) ? 'is a temporary file a crashed write left' : 'is not a stream directory');
      continue;
    }
    const files = listDir(path.join(dir, sdir));
    if (!files.some((f) => SEQ_FILE.test(f) && f.endsWith('.jsonl'))) orphan(sdir, 'holds no event batch');
    let expected = 1;
    for (const f of files) {
      const rel = `${sdir}/${f}`;
      const m = SEQ_FILE.exec(f);
      if (!m || m[2] !== 'jsonl') {
        orphan(rel, isTemp(f) ? 'is a temporary file a crashed write left' : 'is not named <first seq>.jsonl');
        continue;
      }
      const first = Number(m[1]);
      if (first > expected) add('missing-reference', rel, `stream ${stream} continues at seq ${first}, but events ${expected}..${first - 1} are in no batch file`, { line: 1, column: 1 });
      if (first >= expected) expected = first;
      const text = readText(path.join(dir, rel)) ?? '';
      text.split('\n').forEach((l, i) => {
        if (l === '') return;
        let v: unknown;
        try {
          v = JSON.parse(l);
        } catch (err) {
          add('corruption', rel, `line ${i + 1} does not parse: ${(err as Error).message}`, { line: i + 1, column: jsonErrorPosition(l).column });
          return;
        }
        const e = EventRecordSchema.safeParse(v);
        if (!e.success) add('corruption', rel, `line ${i + 1} is not a valid event: ${zodMessage(e.error)}`, { line: i + 1, column: 1 });
        else if (e.data.stream !== stream || e.data.seq !== expected) add('corruption', rel, `line ${i + 1} holds ${e.data.stream}#${e.data.seq} where ${stream}#${expected} belongs`, { line: i + 1, column: 1 });
        expected++;
      });
    }
  }

  // audit/<seq>.json, a hash chain
  // A corrupt entry keeps its place in the chain (its seq from its name); its hash is unknown when it does not parse.
  let prev: { seq: number; hash: string | null } | null = null;
  for (const f of listDir(path.join(dir, 'audit'))) {
    const rel = `audit/${f}`;
    const m = SEQ_FILE.exec(f);
    if (!m || m[2] !== 'json') {
      orphan(rel, isTemp(f) ? 'is a temporary file a crashed write left' : 'is not named <seq>.json');
      continue;
    }
    const v = parseJson(dir, rel, add);
    const e = v === undefined ? null : AuditEntrySchema.safeParse(v);
    if (!e?.success) {
      if (e) add('corruption', rel, `not a valid audit entry: ${zodMessage(e.error)}`, { line: 1, column: 1 });
      prev = { seq: Number(m[1]), hash: null };
      continue;
    }
    const entry = e.data;
    if (entry.seq !== Number(m[1])) add('corruption', rel, `holds audit entry ${entry.seq}, not ${Number(m[1])}`, { line: 1, column: 1 });
    else if (auditEntryHash(entry) !== entry.hash) add('corruption', rel, `audit entry ${entry.seq} does not match its hash: it was edited after it was written`, { line: 1, column: 1 });
    else {
      const expectedSeq: number = prev ? prev.seq + 1 : 1;
      if (entry.seq !== expectedSeq) add('missing-reference', rel, `audit entry ${entry.seq} follows entry ${expectedSeq - 1}: entries ${expectedSeq}..${entry.seq - 1} are missing`, { line: 1, column: 1 });
      else if (prev?.hash !== null && entry.prev !== (prev?.hash ?? null)) add('missing-reference', rel, `audit entry ${entry.seq} chains onto ${entry.prev ?? 'nothing'}, which is not the hash of entry ${expectedSeq - 1}`, { line: 1, column: 1 });
    }
    prev = { seq: entry.seq, hash: entry.hash };
  }
  return out;
}

function parseJson(dir: string, rel: string, add: (kind: StoreProblemKind, rel: string, message: string, pos?: { line?: number; column?: number }) => void): unknown {
  const text = readText(path.join(dir, rel)) ?? '';
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    add('corruption', rel, `does not parse: ${(err as Error).message}`, jsonErrorPosition(text));
    return undefined;
  }
}

const zodMessage = (e: { issues: { path: PropertyKey[]; message: string }[] }) => e.issues.map((i) => `${i.path.map(String).join('.') || '(record)'}: ${i.message}`).join('; ');

/** The file store's maintenance: its layout version in meta.json, the migrations to this build's, inspection and repair. */
export const fileStoreMaintenance: StoreMaintenance = {
  metadata: async (root) => metadata(root),
  inspect: async (root) => inspect(root),
  async migrate(root, { dryRun }) {
    const before = metadata(root);
    const dir = path.join(root, DIR);
    const applied: PlannedMigration[] = [];
    if (!dryRun) {
      for (const m of FILE_STORE_MIGRATIONS.filter((x) => before.planned.some((p) => p.version === x.version))) {
        m.apply(dir);
        applied.push({ version: m.version, name: m.name });
      }
    }
    return { ...(dryRun ? before : metadata(root)), dryRun, applied };
  },
  async repair(root, { apply, trash }) {
    const diagnostics = inspect(root);
    const moved: { from: string; to: string; what: string }[] = [];
    if (apply) {
      // One move per path: a corrupt file reported twice (two bad lines) moves once.
      const paths = [...new Set(diagnostics.filter((d) => d.repair === 'move-to-trash').map((d) => d.file))];
      for (const rel of paths) {
        if (!fs.existsSync(path.join(root, rel))) continue;
        moved.push({ from: rel, to: moveToTrash(root, rel, trash), what: diagnostics.find((d) => d.file === rel)!.kind });
      }
    }
    return { pack: NAME, applied: apply, diagnostics, moved, trash: moved.length ? trash : null };
  },
};
