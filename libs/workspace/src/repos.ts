import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { buildGraph, GRAPH_DIAGNOSTIC_CODES, type GraphNode } from '@govern/graph';
import { compareDiagnostics, type Diagnostic, type Item, type Status, type WorkDocument } from '@govern/workplan';
import { CONFIG_FILE } from './config.js';
import { repoIdentity } from './identity.js';
import { loadWorkspace, type LoadOptions, type Workspace } from './load.js';

/** One repository of a graph that spans several. */
export const RepoSummarySchema = z.object({
  /** Its identity's name; null when it has none (then its documents are not in the graph, unless it is the primary root). */
  name: z.string().nullable(),
  /** Where the name came from (see RepoIdentity). */
  source: z.enum(['config', 'git-remote']).nullable(),
  /** The root relative to the primary root, `/`-separated (`.` for the primary root). */
  path: z.string(),
  primary: z.boolean(),
  /** Whether its documents are in the graph. */
  loaded: z.boolean(),
  documents: z.number().int(),
  items: z.number().int(),
});
export type RepoSummary = z.infer<typeof RepoSummarySchema>;

/** A workspace whose graph spans the primary root and the roots its configuration names. */
export interface ReposWorkspace extends Workspace {
  repositories: RepoSummary[];
}

/** A loaded repository while the graph is put together. */
interface Member {
  name: string | null;
  ws: Workspace;
  /** Prefix of its files as seen from the primary root (`../xtrlv2/`), empty for the primary. */
  prefix: string;
  /** Ids of its own items, unqualified. */
  ids: Set<string>;
  /** Ids of its documents: a plan's `roadmap:K1` is qualified by one, not by a repository. */
  docIds: Set<string>;
  /** Its own items (cross-repo matrix rows excluded), for the status a matrix row derives. */
  items: Item[];
}

/** `xtrlv2:CR-02` → `{ repo: 'xtrlv2', id: 'CR-02' }`; null for an id without a `:`. */
export function splitRepoRef(id: string): { repo: string; id: string } | null {
  const k = id.indexOf(':');
  return k > 0 && k < id.length - 1 ? { repo: id.slice(0, k), id: id.slice(k + 1) } : null;
}

/**
 * Loads the root of `opts` and, when its govern.config.yaml names other roots under
 * `repos:`, each of them (through `loadWorkspace`, with its own configuration and
 * profile), and merges them into one graph:
 *
 * - the primary root's nodes keep their ids; another repository's are `repo:ID`, and
 *   every node carries its repository's name in `repo`; files of other roots are
 *   paths relative to the primary root (`../xtrlv2/trackers/main.md`);
 * - a dependency `repo:ID` names the item ID of that repository; an unknown repository
 *   or id is an `unknown-dependency` diagnostic at the reference, whose note says which;
 * - the rows of cross-repo dependency matrices become edges: a row naming an item of
 *   the repository its label names (`CR-02 xtrlv2 SSOT`) is that item; otherwise the
 *   row is a node of the document holding the matrix, of kind `workplan` (a container:
 *   `next` lists the work, not the row), whose status is derived from the named
 *   repository's items (done when all are done);
 * - a root that is missing, unreadable or unidentified is an error diagnostic at its
 *   `repos:` entry; the others are loaded all the same, each with its own diagnostics.
 *
 * Without `repos:` this is `loadWorkspace(opts)`, unchanged. A repository's name comes
 * from configuration or its git remote (identity.ts), never its folder.
 */
export async function loadRepositories(opts: LoadOptions): Promise<Workspace | ReposWorkspace> {
  const root = path.resolve(opts.root);
  // Most roots name no other: one look at the file's text spares them a second parse of
  // the configuration (loadWorkspace reads it, positions and all).
  if (!configMentionsRepos(root)) return loadWorkspace(opts);
  const primary = await loadWorkspace(opts);
  const entries = primary.config.repos ?? [];
  if (!entries.length) return primary;
  const extra: Diagnostic[] = [];
  const summaries: RepoSummary[] = [];
  const own = primary.config.repo;
  const pid = repoIdentity(root, own);
  if (!pid.identity) {
    extra.push({
      severity: 'warning',
      code: 'repo-unidentified',
      message: `this repository has no name, so other repositories cannot reference its items: ${pid.problem}`,
      file: CONFIG_FILE,
      line: 1,
      column: 1,
      expected: 'repo: <name> in govern.config.yaml, or a git remote',
    });
  }
  const members: Member[] = [member(pid.identity?.name ?? null, primary, '')];
  summaries.push(summary(members[0]!, pid.identity?.source ?? null, '.', true));
  // Names the configuration gives to roots that could not be read: a reference to one
  // is explained as such, not as an unknown repository.
  const unread = new Set<string>();
  const baseCache = opts.cacheDir === null ? null : (opts.cacheDir ?? path.join(root, '.govern', 'cache'));

  for (const entry of entries) {
    const abs = path.resolve(root, entry.path);
    const shown = toPosix(path.relative(root, abs)) || '.';
    const fail = (code: string, why: string) => {
      extra.push({ severity: 'error', code, message: `repos: ${entry.path}: ${why}`, file: entry.at.file, line: entry.at.line, column: entry.at.column });
      if (entry.name && !members.some((m) => m.name === entry.name)) unread.add(entry.name);
      summaries.push({ name: entry.name ?? null, source: entry.name ? 'config' : null, path: shown, primary: false, loaded: false, documents: 0, items: 0 });
    };
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(abs);
    } catch (err) {
      fail('repo-unreadable', `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the other repositories are read without it`);
      continue;
    }
    if (!st.isDirectory()) {
      fail('repo-unreadable', 'not a directory; the other repositories are read without it');
      continue;
    }
    if (members.some((m) => samePath(m.ws.root, abs))) {
      fail('repo-duplicate', 'this root is already in the graph');
      continue;
    }
    let ws: Workspace;
    try {
      ws = await loadWorkspace({
        ...opts,
        root: abs,
        // Its cache lives under this root's, not in the other repository.
        cacheDir: baseCache === null ? null : path.join(baseCache, 'repos', crypto.createHash('sha256').update(abs).digest('hex').slice(0, 16)),
      });
    } catch (err) {
      fail('repo-unreadable', `cannot load it (${(err as Error).message}); the other repositories are read without it`);
      continue;
    }
    const id = repoIdentity(abs, entry.name ?? ws.config.repo);
    if (!id.identity) {
      fail('repo-unidentified', `cannot tell its name: ${id.problem}, or give this entry a \`name:\``);
      continue;
    }
    const name = id.identity.name;
    if (members.some((m) => m.name === name)) {
      fail('repo-duplicate', `its name ${name} is already the name of another repository of the graph; give this entry another \`name:\``);
      continue;
    }
    const m = member(name, ws, `${shown}/`);
    members.push(m);
    summaries.push(summary(m, id.identity.source, shown, false));
  }
  return merge(primary, members, summaries, unread, extra);
}

function configMentionsRepos(root: string): boolean {
  try {
    return fs.readFileSync(path.join(root, CONFIG_FILE), 'utf8').includes('repos');
  } catch {
    return false; // no configuration: nothing names another root
  }
}

function member(name: string | null, ws: Workspace, prefix: string): Member {
  const items = ws.documents.flatMap((d) => d.items);
  return { name, ws, prefix, ids: new Set(items.map((i) => i.id)), docIds: new Set(ws.documents.map((d) => d.id)), items };
}

function summary(m: Member, source: RepoSummary['source'], shown: string, primary: boolean): RepoSummary {
  return { name: m.name, source, path: shown, primary, loaded: true, documents: m.ws.documents.length, items: m.items.length };
}

function merge(primary: Workspace, members: Member[], repositories: RepoSummary[], unread: Set<string>, extra: Diagnostic[]): ReposWorkspace {
  const byName = new Map<string, Member>();
  for (const m of members) if (m.name) byName.set(m.name, m);
  const primaryName = members[0]!.name;
  const qualify = (repo: string | null, id: string) => (repo === null || repo === primaryName ? id : `${repo}:${id}`);
  const known = [...byName.keys(), ...unread];

  /** The graph id a dependency written in `owner`'s documents refers to. */
  const resolve = (owner: Member, id: string): string => {
    if (owner.ids.has(id)) return qualify(owner.name, id);
    const ref = splitRepoRef(id);
    if (!ref) return qualify(owner.name, id);
    const repo = byName.get(ref.repo);
    if (repo?.ids.has(ref.id)) return qualify(ref.repo, ref.id);
    // A plan's own `roadmap:K9` (qualified by its document), missing: this repository's.
    if (owner.docIds.has(ref.repo)) return qualify(owner.name, id);
    if (repo) return qualify(ref.repo, ref.id);
    return id; // a repository that is not in the graph: missing, as written
  };


  const documents: WorkDocument[] = [];
  const repoOfFile = new Map<string, string>();
  const itemsById = new Map<string, Item>();
  const docsOf = new Map<Member, WorkDocument[]>();
  for (const m of members) {
    const docs = m.ws.documents.map((d) => {
      const items = d.items.map((it) => ({
        ...it,
        id: qualify(m.name, it.id),
        parent: it.parent === null ? null : qualify(m.name, it.parent),
        dependencies: it.dependencies.map((dep) => ({ ...dep, id: resolve(m, dep.id) })),
      }));
      const doc: WorkDocument = { ...d, file: m.prefix + d.file, id: qualify(m.name, d.id), items };
      if (m.name) repoOfFile.set(doc.file, m.name);
      for (const it of items) if (!itemsById.has(it.id)) itemsById.set(it.id, it);
      return doc;
    });
    docsOf.set(m, docs);
    documents.push(...docs);
  }

  // Cross-repo matrices: read into the graph (see loadRepositories).
  for (const m of members) {
    for (const doc of docsOf.get(m)!) {
      for (const matrix of doc.matrices) {
        if (matrix.kind !== 'cross-repo') continue;
        const target = new Map<string, string>();
        const ids = [...new Set([...matrix.rows, ...matrix.columns])];
        for (const id of ids) {
          const label = matrix.labels[id] ?? id;
          const rest = label.slice(label.indexOf(id) + id.length).trim();
          const named = rest
            .split(/\s+/)
            .map((w) => w.replace(/^[`*_("']+|[`*_)"',.;:]+$/g, '').toLowerCase())
            .map((w) => known.find((n) => n.toLowerCase() === w))
            .find((n) => n !== undefined);
          const namedMember = named ? byName.get(named) : undefined;
          const rowIndex = matrix.rows.indexOf(id);
          // Table rows are consecutive lines: the header, the delimiter, then the rows.
          const at = { line: rowIndex >= 0 ? matrix.line + 2 + rowIndex : matrix.line, column: 1 };
          if (namedMember && namedMember.ids.has(id)) {
            target.set(id, qualify(namedMember.name, id));
            continue;
          }
          if (m.ids.has(id)) {
            target.set(id, qualify(m.name, id));
            continue;
          }
          const qid = qualify(m.name, id);
          target.set(id, qid);
          if (!named || !namedMember) {
            extra.push({
              severity: 'warning',
              code: 'cross-repo-unknown',
              message: named
                ? `cross-repo matrix row ${label}: repository ${named} could not be read, so the row's status is unknown`
                : `cross-repo matrix row ${label} names no repository of the graph (${known.join(', ') || 'none'}), so its status is unknown`,
              file: doc.file,
              ...at,
              expected: 'a row label naming a repository of repos: in govern.config.yaml, e.g. "CR-02 xtrlv2 SSOT"',
              actual: label,
            });
          }
          if (itemsById.has(qid)) continue; // the row of another matrix of this repository: one node
          const status = namedMember ? derivedStatus(namedMember.items) : null;
          const row: Item = {
            id: qid,
            // A container, as a workplan is: its status sums up the named repository's
            // items, which are what `next` lists; the row itself is no work to start.
            kind: 'workplan',
            localId: id,
            title: rest || id,
            status,
            statusText: null,
            statusSource: null,
            ...(status !== null ? { statusOrigin: 'derived' as const } : {}),
            priority: null,
            order: null,
            dependencies: [],
            criteria: [],
            checks: [],
            evidenceRoot: null,
            packetId: null,
            stateHubId: null,
            refs: [],
            parent: null,
            ...at,
          };
          doc.items.push(row);
          itemsById.set(qid, row);
        }
        for (const e of matrix.edges) {
          const from = itemsById.get(target.get(e.from)!);
          const to = target.get(e.to)!;
          if (from && !from.dependencies.some((d) => d.id === to)) from.dependencies.push({ id: to, origin: 'matrix', line: e.line, column: e.column });
        }
      }
    }
  }

  const missingNote = (id: string): string | undefined => {
    const ref = splitRepoRef(id);
    if (!ref || byName.get(ref.repo) === members[0]) return undefined;
    if (byName.has(ref.repo)) return `repository ${ref.repo} has no item ${ref.id}`;
    if (unread.has(ref.repo)) return `repository ${ref.repo} could not be read (see its repos: entry in govern.config.yaml)`;
    if (members.some((m) => m.docIds.has(ref.repo))) return undefined; // a plan's own id
    return `no repository named ${ref.repo} in the graph; govern.config.yaml repos: gives ${known.join(', ') || 'none'}`;
  };

  const index = buildGraph(documents, primary.profile, { missingNote });
  for (const n of index.graph.nodes) {
    const repo = repoOfFile.get(n.source.file);
    if (repo) (n as GraphNode).repo = repo;
  }

  // Each root's own graph diagnostics judged it alone (a `repo:ID` was unknown there):
  // the merged graph's replace them.
  const diagnostics: Diagnostic[] = [...extra];
  for (const m of members) for (const d of m.ws.diagnostics) if (!GRAPH_DIAGNOSTIC_CODES.has(d.code)) diagnostics.push(m.prefix ? prefixed(d, m.prefix) : d);
  diagnostics.push(...index.graph.diagnostics);
  diagnostics.sort(compareDiagnostics);
  index.graph.diagnostics = diagnostics;

  const hashes = new Map<string, string>();
  for (const m of members) for (const [f, h] of m.ws.hashes) hashes.set(m.prefix + f, h);
  const stats = { files: 0, parsed: 0, cached: 0, workers: 0 };
  for (const m of members) {
    stats.files += m.ws.stats.files;
    stats.parsed += m.ws.stats.parsed;
    stats.cached += m.ws.stats.cached;
    stats.workers = Math.max(stats.workers, m.ws.stats.workers);
  }
  let json: Buffer | null = null;
  return {
    root: primary.root,
    config: primary.config,
    profile: primary.profile,
    documents,
    index,
    hashes,
    diagnostics,
    stats,
    pathIds: primary.pathIds,
    repositories,
    hasItems: () => index.graph.nodes.length > 0,
    graphJson: () => (json ??= Buffer.from(JSON.stringify({ nodes: index.graph.nodes, diagnostics }), 'utf8')),
  };
}

/**
 * The status a cross-repo matrix row gets from the repository it names: done when all
 * its items are, in progress when any has started, planned otherwise; unknown (null)
 * when it has none.
 */
function derivedStatus(items: Item[]): Status | null {
  if (!items.length) return null;
  if (items.every((i) => i.status === 'done')) return 'done';
  if (items.some((i) => i.status === 'done' || i.status === 'in_progress' || i.status === 'partial')) return 'in_progress';
  return 'planned';
}

function prefixed(d: Diagnostic, prefix: string): Diagnostic {
  return { ...d, file: prefix + d.file, ...(d.related ? { related: d.related.map((r) => ({ ...r, file: prefix + r.file })) } : {}) };
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}
