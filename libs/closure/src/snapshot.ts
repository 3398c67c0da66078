import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '@govern/workspace';
import { readAuditLog, sha256, type AuditLogRead } from '@govern/write';
import { resolveEvidenceRoot } from './evidence-path.js';
import { hashedFiles, MANIFEST_FILE, parseManifest, type ManifestParse } from './manifest.js';

/** A manifest as read: its bytes (the close record binds their sha256) and their parse. */
export interface ManifestRead {
  bytes: Buffer;
  parsed: ManifestParse;
}

/** How the audit reads the evidence `govern close` publishes: from disk, or from a {@link AuditSnapshot}. */
export interface EvidenceFiles {
  /** The manifest at `abs`, read and parsed; null when it does not exist. Throws what reading it throws. */
  manifest(abs: string): ManifestRead | null;
  /** The sha256 of `rel` (as a manifest records it) under the evidence root `rootAbs`; null when it is missing or resolves outside. Throws what reading it throws. */
  hash(rootAbs: string, rel: string): string | null;
}

function readManifest(abs: string): ManifestRead | null {
  if (!fs.existsSync(abs)) return null;
  const bytes = fs.readFileSync(abs);
  return { bytes, parsed: parseManifest(bytes) };
}

/** Reads evidence from disk as it is now. */
export const liveFiles: EvidenceFiles = {
  manifest: readManifest,
  hash: (rootAbs, rel) => {
    const fr = resolveEvidenceRoot(rootAbs, rel);
    return fr.ok && fr.exists ? sha256(fs.readFileSync(fr.abs)) : null;
  },
};

/**
 * What a closure publishes, as read at one moment: the audit log, and of the done items
 * read (every one of the workspace, or those a scope names) the evidence manifest, its
 * bytes parsed once, and the hashes of the files it records. Taken under the closure lock,
 * it lets the audit's slow part (git, comparisons) run after the lock is released and
 * still see no closure half published.
 */
export interface AuditSnapshot {
  log: AuditLogRead;
  files: EvidenceFiles;
}

/** Which done items a snapshot reads the evidence of. */
export interface SnapshotScope {
  /** Their ids; every done item of the workspace when absent. */
  items?: ReadonlySet<string>;
}

type Read<T> = { value: T } | { error: unknown };

function recorded<T>(cache: Map<string, Read<T>>, key: string, read: () => T): T {
  let r = cache.get(key);
  if (!r) {
    try {
      r = { value: read() };
    } catch (error) {
      r = { error };
    }
    cache.set(key, r);
  }
  if ('error' in r) throw r.error;
  return r.value;
}

/**
 * Reads the {@link AuditSnapshot} of `ws`: the same files the audit of its done items
 * reads (auditDoneItem in audit.ts), each once, of every done item or of those in
 * `scope.items` (`govern close` reads only what its phase audit and criteria look at);
 * a read that failed fails again, with the same error, when the audit asks for it. A file
 * the audit asks for that was not read here (the workspace changed in between, or it is
 * outside the scope) is read from disk.
 *
 * Run it under the closure lock (`withClosureLock`); it starts no process.
 */
export function readSnapshot(ws: Workspace, scope: SnapshotScope = {}): AuditSnapshot {
  const manifests = new Map<string, Read<ManifestRead | null>>();
  const hashes = new Map<string, Read<string | null>>();
  const files: EvidenceFiles = {
    manifest: (abs) => recorded(manifests, abs, () => liveFiles.manifest(abs)),
    hash: (rootAbs, rel) => recorded(hashes, `${rootAbs}\0${rel}`, () => liveFiles.hash(rootAbs, rel)),
  };
  const log = readAuditLog(ws.root);
  for (const doc of ws.documents) {
    for (const item of doc.items) {
      if (item.status !== 'done' || !item.evidenceRoot || (scope.items && !scope.items.has(item.id))) continue;
      const r = resolveEvidenceRoot(ws.root, item.evidenceRoot);
      if (!r.ok || !r.exists) continue;
      let read: ManifestRead | null;
      try {
        read = files.manifest(path.join(r.abs, MANIFEST_FILE));
      } catch {
        continue;
      }
      if (!read || !('manifest' in read.parsed)) continue;
      for (const f of hashedFiles(read.parsed.manifest)) {
        try {
          files.hash(r.abs, f.path);
        } catch {
          // Recorded: the audit meets the same error.
        }
      }
    }
  }
  return { log, files };
}
