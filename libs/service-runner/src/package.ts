import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '@govern/adapter-kit';
import type { Workspace } from '@govern/workspace';
import type { z } from 'zod';
import { ServiceError } from './errors.js';
import type { PackageCompileOutput, PackageManifestSchema } from './schemas.js';

/** Where bundles go, relative to the root: one directory per bundle id. */
export const PACKAGES_DIR = '.govern/packages';

type Manifest = z.output<typeof PackageManifestSchema>;
type FileEntry = Manifest['files'][number];

const sha256 = (b: Uint8Array | string) => crypto.createHash('sha256').update(b).digest('hex');

/**
 * Compiles a workplan with its evidence into a content-addressed bundle:
 * `<root>/.govern/packages/<bundle_id>/` holding `manifest.json` (the workplan,
 * its items with their statuses and evidence roots, and every file with its
 * sha256) and `blobs/<sha256>` (each file's bytes once). The bundle id is the
 * sha256 of the manifest's canonical JSON, so the same workplan and evidence give
 * the same id and a second compile writes nothing. The bundle is assembled in a
 * temporary directory beside its place and renamed into it: a reader sees all of
 * it or none.
 */
export function compilePackage(ws: Workspace, ref: string, operation: string): z.input<typeof PackageCompileOutput> {
  const wanted = ref.replace(/\\/g, '/').replace(/^\.\//, '');
  const doc = ws.documents.find((d) => d.id === wanted || d.file === wanted);
  if (!doc) {
    throw new ServiceError('workplan-not-found', `no document ${ref}: give a workplan's id or its path relative to the root`, {
      operation,
      kind: 'failure',
      reason: 'package.workplan-not-found',
      status: 404,
      details: { workplan: ref, known: ws.documents.filter((d) => d.family === 'workplan').map((d) => d.id).slice(0, 50) },
    });
  }
  const nodes = ws.index.graph.nodes.filter((n) => n.document === doc.id);
  const files = new Map<string, { abs: string; role: FileEntry['role'] }>();
  files.set(doc.file, { abs: path.join(ws.root, doc.file), role: 'document' });
  const roots = [...new Set(nodes.map((n) => n.evidenceRoot).filter((r): r is string => r !== null))].sort();
  for (const r of roots) {
    for (const rel of listFiles(ws.root, r)) if (!files.has(rel)) files.set(rel, { abs: path.join(ws.root, rel), role: 'evidence' });
  }
  const blobs = new Map<string, Buffer>();
  const entries: FileEntry[] = [...files.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([rel, f]) => {
      const buf = fs.readFileSync(f.abs);
      const hash = sha256(buf);
      blobs.set(hash, buf);
      return { path: rel, role: f.role, sha256: hash, bytes: buf.length };
    });
  const manifest: Manifest = {
    schema: 'govern.package/v1',
    workplan: { id: doc.id, file: doc.file, title: doc.title },
    items: nodes.map((n) => ({ id: n.id, status: n.status, evidence_root: n.evidenceRoot })),
    files: entries,
  };
  const text = canonicalJson(manifest);
  const bundleId = sha256(text);
  const rel = `${PACKAGES_DIR}/${bundleId}`;
  const dir = path.join(ws.root, rel);
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return { bundle_id: bundleId, path: rel, created: false, manifest };
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), '.tmp-'));
  try {
    fs.mkdirSync(path.join(tmp, 'blobs'));
    for (const [hash, buf] of blobs) writeSynced(path.join(tmp, 'blobs', hash), buf);
    writeSynced(path.join(tmp, 'manifest.json'), `${text}\n`);
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another compile of the same bundle won the rename: its bytes are these bytes.
      if (fs.existsSync(path.join(dir, 'manifest.json'))) return { bundle_id: bundleId, path: rel, created: false, manifest };
      throw err;
    }
    fsyncDir(path.dirname(dir));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { bundle_id: bundleId, path: rel, created: true, manifest };
}

/** Every regular file under `rel` (relative, `/`-separated, sorted); symlinks are not followed, a missing root has none. */
function listFiles(root: string, rel: string): string[] {
  const clean = rel.replace(/\\/g, '/').replace(/\/+$/, '');
  const abs = path.resolve(root, clean);
  if (!abs.startsWith(path.resolve(root) + path.sep)) return [];
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch {
    return [];
  }
  if (st.isFile()) return [clean];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    const child = `${clean}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(root, child));
    else if (e.isFile()) out.push(child);
  }
  return out.sort();
}

function writeSynced(file: string, data: string | Buffer): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself is atomic.
  }
}
