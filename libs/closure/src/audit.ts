import fs from 'node:fs';
import path from 'node:path';
import { compareDiagnostics, type Diagnostic, type Item, type WorkDocument } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import { sha256 } from '@govern/write';
import { evidenceRootIgnored, resolveEvidenceRoot } from './evidence-path.js';
import { EvidenceManifestSchema, MANIFEST_FILE, type EvidenceManifest } from './manifest.js';

export interface AuditResult {
  /** The workspace's own diagnostics followed by the audit's, sorted. */
  diagnostics: Diagnostic[];
  checked: { doneItems: number; evidenceRoots: number; claims: number };
}

/**
 * The truthfulness check: every item that claims done has an evidence root
 * inside the repository holding a manifest whose checks passed and whose
 * recorded outputs still match; every evidence root a tracker cites exists; no
 * prose summary contradicts the items it names.
 */
export function auditWorkspace(ws: Workspace): AuditResult {
  const out: Diagnostic[] = [];
  const checked = { doneItems: 0, evidenceRoots: 0, claims: 0 };
  const byId = ws.index.byId;
  for (const doc of ws.documents) {
    const missing = new Set<string>();
    for (const cited of doc.evidenceRoots) {
      checked.evidenceRoots++;
      const r = resolveEvidenceRoot(ws.root, cited.text);
      const at = { file: doc.file, line: cited.line, column: cited.column };
      if (!r.ok) out.push({ severity: 'error', code: 'evidence-root-outside', message: r.reason, ...at });
      else if (!r.exists) {
        // An evidence root named for items that are not done yet is where `govern close`
        // will write; it must be declared before it can exist. Only a claim is checked.
        const owners = doc.items.filter((i) => i.evidenceRoot && resolveEvidenceRoot(ws.root, i.evidenceRoot).rel === r.rel);
        if (owners.length && owners.every((i) => i.status !== 'done')) continue;
        missing.add(r.rel);
        out.push({ severity: 'error', code: 'evidence-root-missing', message: `the tracker cites evidence root ${cited.text}, which does not exist`, ...at });
      }
    }
    for (const item of doc.items) {
      if (item.status !== 'done') continue;
      checked.doneItems++;
      out.push(...auditDoneItem(ws.root, doc, item, missing));
    }
    for (const claim of doc.claims) {
      checked.claims++;
      const wrong = claim.ids.map((id) => byId.get(id)).filter((n) => n && n.status !== claim.status);
      if (!wrong.length) continue;
      out.push({
        severity: 'error',
        code: 'summary-contradiction',
        message: `"${claim.text}" says ${claim.status}, but ${wrong.map((n) => `${n!.id} is ${n!.status ?? 'without status'}`).join(', ')}`,
        file: doc.file,
        line: claim.line,
        column: claim.column,
        related: wrong.map((n) => ({ ...n!.source, message: `${n!.id}: ${n!.statusText ?? 'no status'}` })),
      });
    }
  }
  return { diagnostics: [...ws.diagnostics, ...out.sort(compareDiagnostics)].sort(compareDiagnostics), checked };
}

function auditDoneItem(root: string, doc: WorkDocument, item: Item, reported: Set<string>): Diagnostic[] {
  const at = { file: doc.file, line: item.statusSource?.line ?? item.line, column: item.statusSource?.column ?? item.column };
  const err = (code: string, message: string, note?: string): Diagnostic[] => [{ severity: 'error', code, message, ...at, ...(note ? { note } : {}) }];
  if (!item.evidenceRoot) {
    return err('evidence-missing', `${item.id} is ${item.statusText ?? 'done'} but declares no evidence root`, 'done requires an evidence root holding a passing manifest, written by `govern close`');
  }
  const r = resolveEvidenceRoot(root, item.evidenceRoot);
  if (!r.ok) return err('evidence-root-outside', `${item.id}: ${r.reason}`);
  if (evidenceRootIgnored(root, r.rel) === true) return err('evidence-root-ignored', `${item.id}: ${r.rel}/ is ignored by git, so its evidence is never committed`);
  if (!r.exists) return reported.has(r.rel) ? [] : err('evidence-root-missing', `${item.id} is done but its evidence root ${item.evidenceRoot} does not exist`);
  const manifestRel = `${r.rel}/${MANIFEST_FILE}`;
  const manifestAbs = path.join(r.abs, MANIFEST_FILE);
  if (!fs.existsSync(manifestAbs)) return err('evidence-manifest-missing', `${item.id}: ${manifestRel} does not exist`);
  let manifest: EvidenceManifest;
  try {
    const parsed = EvidenceManifestSchema.safeParse(JSON.parse(fs.readFileSync(manifestAbs, 'utf8')));
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      return err('evidence-manifest-invalid', `${item.id}: ${manifestRel}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    }
    manifest = parsed.data;
  } catch (e) {
    return err('evidence-manifest-invalid', `${item.id}: ${manifestRel} is not valid JSON: ${(e as Error).message}`);
  }
  if (manifest.item !== item.id) return err('evidence-manifest-mismatch', `${item.id}: ${manifestRel} is the evidence of ${manifest.item}`);
  const failed = manifest.checks.filter((c) => c.exitCode !== 0);
  if (!manifest.passed || failed.length || manifest.checks.length === 0) {
    const why = failed.length ? failed.map((c) => `${c.name} exited ${c.exitCode}`).join(', ') : manifest.checks.length === 0 ? 'no check ran' : 'the manifest records a failed closure';
    return err('evidence-check-failed', `${item.id}: ${manifestRel}: ${why}`);
  }
  const out: Diagnostic[] = [];
  const hashed = [
    ...manifest.checks.filter((c) => c.outputFile).map((c) => ({ path: c.outputFile!, sha256: c.outputSha256 })),
    ...manifest.files,
  ];
  for (const f of hashed) {
    const fr = resolveEvidenceRoot(r.abs, f.path);
    const actual = fr.ok && fr.exists ? sha256(fs.readFileSync(fr.abs)) : null;
    if (actual !== f.sha256) {
      out.push(...err('evidence-output-changed', `${item.id}: ${r.rel}/${f.path} ${actual === null ? 'is missing' : 'no longer matches the hash its manifest recorded'}`));
    }
  }
  return out;
}
