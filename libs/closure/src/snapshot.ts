import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '@govern/workspace';
import { readAuditLog, sha256, type AuditLogRead } from '@govern/write';
import { resolveEvidenceRoot } from './evidence-path.js';
import { EvidenceManifestSchema, MANIFEST_FILE } from './manifest.js';

/** How the audit reads the evidence `govern close` publishes: from disk, or from a {@link AuditSnapshot}. */
export interface EvidenceFiles {
  /** The bytes of the manifest at `abs`; null when it does not exist. Throws what reading it throws. */
  manifest(abs: string): Buffer | null;
  /** The sha256 of `rel` (as a manifest records it) under the evidence root `rootAbs`; null when it is missing or resolves outside. Throws what reading it throws. */
  hash(rootAbs: string, rel: string): string | null;
}

/** Reads evidence from disk as it is now. */
export const liveFiles: EvidenceFiles = {
  manifest: (abs) => (fs.existsSync(abs) ? fs.readFileSync(abs) : null),
  hash: (rootAbs, rel) => {
    const fr = resolveEvidenceRoot(rootAbs, rel);
    return fr.ok && fr.exists ? sha256(fs.readFileSync(fr.abs)) : null;
  },
};

/**
 * What a closure publishes, as read at one moment: the audit log, and of every done item
 * of the workspace its evidence manifest's bytes and the hashes of the files that
 * manifest records. Taken under the closure lock, it lets the audit's slow part (git,
 * comparisons) run after the lock is released and still see no closure half published.
 */
export interface AuditSnapshot {
  log: AuditLogRead;
  files: EvidenceFiles;
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
 * reads (auditDoneItem in audit.ts), each once; a read that failed fails again, with the
 * same error, when the audit asks for it. A file the audit asks for that was not read
 * here (the workspace changed in between) is read from disk.
 *
 * Run it under the closure lock (`withClosureLock`); it starts no process.
 */
export function readSnapshot(ws: Workspace): AuditSnapshot {
  const manifests = new Map<string, Read<Buffer | null>>();
  const hashes = new Map<string, Read<string | null>>();
  const files: EvidenceFiles = {
    manifest: (abs) => recorded(manifests, abs, () => liveFiles.manifest(abs)),
    hash: (rootAbs, rel) => recorded(hashes, `${rootAbs}\0${rel}`, () => liveFiles.hash(rootAbs, rel)),
  };
  const log = readAuditLog(ws.root);
  for (const doc of ws.documents) {
    for (const item of doc.items) {
      if (item.status !== 'done' || !item.evidenceRoot) continue;
      const r = resolveEvidenceRoot(ws.root, item.evidenceRoot);
      if (!r.ok || !r.exists) continue;
      let bytes: Buffer | null;
      try {
        bytes = files.manifest(path.join(r.abs, MANIFEST_FILE));
      } catch {
        continue;
      }
      if (!bytes) continue;
      let parsed;
      try {
        parsed = EvidenceManifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
      } catch {
        continue;
      }
      if (!parsed.success) continue;
      const m = parsed.data;
      for (const f of [...m.checks.flatMap((c) => (c.outputFile ? [c.outputFile] : [])), ...m.files.map((x) => x.path)]) {
        try {
          files.hash(r.abs, f);
        } catch {
          // Recorded: the audit meets the same error.
        }
      }
    }
  }
  return { log, files };
}
