import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EvidenceManifestSchema, MANIFEST_FILE, resolveEvidenceRoot, type EvidenceManifest } from '@govern/closure';
import { blockersOf, type GraphIndex, type GraphNode } from '@govern/graph';
import type { Workspace } from '@govern/workspace';
import { AUDIT_LOG, readAuditLog } from '@govern/write';
import { renderBody, type Dependent } from './body.js';
import { GitHubError } from './errors.js';
import type { GitHubSettings } from './settings.js';

/** One file the closure branch carries, read from the working tree. */
export interface PlanFile {
  /** Relative to the root, `/`-separated. */
  path: string;
  sha256: string;
  /** The git blob id of the bytes (`sha1("blob <size>\0" + bytes)`): what GitHub must answer when it stores them. */
  gitSha: string;
  size: number;
  mode: '100644' | '100755';
  content: Buffer;
}

/** Everything `govern pr open` will put on GitHub, computed locally and deterministically. */
export interface ClosurePlan {
  item: string;
  branch: string;
  base: string;
  files: PlanFile[];
  title: string;
  body: string;
  commitMessage: string;
  /** The line of the commit message that marks a branch head as govern's, for this item. */
  commitTrailer: string;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
  draft: boolean;
  manifest: string;
}

/** `govern/close/<id>`: lower case, every run of characters outside `[a-z0-9._-]` one `-`, valid as a git ref. */
export function closureBranch(id: string): string {
  const slug = id
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .replace(/\.lock$/, '-lock');
  return `govern/close/${slug || 'item'}`;
}

/** The git blob id of some bytes, as `git hash-object` computes it. */
export function gitBlobSha(content: Buffer): string {
  return crypto.createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Plans the closure PR of a done item: the files (its document, every file
 * under its evidence root, the audit log), the branch, the title and body. It
 * refuses (`not-closed`) unless the item is done and its evidence root holds a
 * passing manifest for it. Reads only the working tree.
 */
export function planClosurePr(ws: Workspace, id: string, settings: GitHubSettings): ClosurePlan {
  const root = ws.root;
  const node = ws.index.byId.get(id);
  if (!node) throw new GitHubError('item-not-found', `no item ${id} in ${root}`, { item: id });
  const closeFirst = `run \`govern close ${node.id}\` first`;
  if (node.status !== 'done') {
    throw new GitHubError('not-closed', `${node.id} is ${node.status ?? 'without a status'}, not done: a closure PR carries a closed item; ${closeFirst}`, { item: node.id, status: node.status });
  }
  if (!node.evidenceRoot) throw new GitHubError('not-closed', `${node.id} declares no evidence root; ${closeFirst}`, { item: node.id });
  const ev = resolveEvidenceRoot(root, node.evidenceRoot);
  if (!ev.ok) throw new GitHubError('not-closed', `${node.id}: ${ev.reason}`, { item: node.id });
  const manifestPath = `${ev.rel}/${MANIFEST_FILE}`;
  const manifest = readManifest(root, manifestPath, node.id, closeFirst);

  const paths = [node.source.file, ...walk(root, ev.rel), ...(fs.existsSync(path.join(root, AUDIT_LOG)) ? [AUDIT_LOG] : [])];
  const files = [...new Set(paths)].sort().map((rel) => readPlanFile(root, rel));
  const branch = closureBranch(node.id);
  const link = (p: string, line?: number) =>
    `${settings.webUrl}/${settings.owner}/${settings.repo}/blob/${[...branch.split('/'), ...p.split('/')].map(encodeURIComponent).join('/')}${line ? `#L${line}` : ''}`;
  const close = readAuditLog(root)
    .records.filter((r) => r.item === node.id && r.action === 'close')
    .at(-1);
  const body = renderBody({
    item: { id: node.id, title: node.title, kind: node.kind, statusText: node.statusText, file: node.source.file, line: node.source.line, refs: node.refs, criteria: node.criteria },
    manifest,
    manifestPath,
    evidenceRoot: ev.rel,
    files: files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    dependents: dependentsOf(ws.index, node),
    closedBy: close ? { actor: close.actor, at: close.at } : null,
    link,
  });
  const title = `govern: close ${node.id} — ${node.title}`.slice(0, 256);
  const commitTrailer = `Govern-Closure: ${node.id}`;
  return {
    item: node.id,
    branch,
    base: settings.base,
    files,
    title,
    body,
    commitMessage: `${title}\n\nEvidence: ${manifestPath}\n\n${commitTrailer}\n`,
    commitTrailer,
    labels: settings.labels,
    reviewers: settings.reviewers,
    teamReviewers: settings.teamReviewers,
    draft: settings.draft,
    manifest: manifestPath,
  };
}

function readManifest(root: string, rel: string, id: string, closeFirst: string): EvidenceManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GitHubError('not-closed', `${id}: ${rel} ${missing ? 'does not exist' : `is not JSON (${(err as Error).message})`}; ${closeFirst}`, { item: id, manifest: rel });
  }
  const parsed = EvidenceManifestSchema.safeParse(raw);
  if (!parsed.success) throw new GitHubError('not-closed', `${id}: ${rel} is not a valid evidence manifest; ${closeFirst}`, { item: id, manifest: rel });
  if (parsed.data.item !== id) throw new GitHubError('not-closed', `${id}: ${rel} closes ${parsed.data.item}, not ${id}; ${closeFirst}`, { item: id, manifest: rel });
  if (!parsed.data.passed) throw new GitHubError('not-closed', `${id}: ${rel} records a failed closure; ${closeFirst}`, { item: id, manifest: rel });
  return parsed.data;
}

/** Every regular file under `rel`, sorted, `/`-separated. A symlink is refused: its target is not evidence. */
function walk(root: string, rel: string): string[] {
  const out: string[] = [];
  const visit = (dirRel: string) => {
    for (const e of fs.readdirSync(path.join(root, dirRel), { withFileTypes: true })) {
      const child = `${dirRel}/${e.name}`;
      if (e.isDirectory()) visit(child);
      else if (e.isFile()) out.push(child);
      else throw new GitHubError('file-unreadable', `${child} is not a regular file (a symlink or device); only regular files go on a closure branch`, { file: child });
    }
  };
  visit(rel);
  return out.sort();
}

function readPlanFile(root: string, rel: string): PlanFile {
  try {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    if (!st.isFile()) throw new Error('not a regular file');
    const content = fs.readFileSync(abs);
    return {
      path: rel,
      sha256: crypto.createHash('sha256').update(content).digest('hex'),
      gitSha: gitBlobSha(content),
      size: content.length,
      mode: st.mode & 0o111 ? '100755' : '100644',
      content,
    };
  } catch (err) {
    if (err instanceof GitHubError) throw err;
    throw new GitHubError('file-unreadable', `cannot read ${rel}: ${(err as Error).message}`, { file: rel });
  }
}

/**
 * Items that name `node` as a dependency, themselves or through the workplan
 * that contains them, and are not done: whether each can start now or what it
 * still waits on. The item is done here, so it is never among the blockers.
 */
export function dependentsOf(index: GraphIndex, node: GraphNode): Dependent[] {
  const out: Dependent[] = [];
  for (const n of index.graph.nodes) {
    if (n.id === node.id || n.status === 'done') continue;
    let names = false;
    const seen = new Set<string>();
    for (let c: GraphNode | undefined = n; c && !seen.has(c.id); c = c.parent ? index.byId.get(c.parent) : undefined) {
      seen.add(c.id);
      if (c.dependsOn.includes(node.id)) names = true;
    }
    if (!names) continue;
    const blockers = blockersOf(index, n).map((b) => b.id);
    out.push({
      id: n.id,
      title: n.title,
      status: n.status,
      actionable: blockers.length === 0 && (n.status === 'planned' || n.status === 'in_progress' || n.status === 'partial'),
      waitsOn: blockers,
    });
  }
  return out;
}
