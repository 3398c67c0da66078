import crypto from 'node:crypto';

/**
 * The object store behind the loopback GitHub: blobs, trees and commits with
 * the ids git itself computes, so the client's checks (a blob's sha is the git
 * blob id of its bytes, the same files give the same tree) are checked against
 * the real algorithm rather than an invented one.
 */
export interface StoredCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string };
}

export interface TreeListingEntry {
  path: string;
  mode: string;
  type: 'blob' | 'tree';
  sha: string;
  size?: number;
}

export class GitStore {
  readonly blobs = new Map<string, Buffer>();
  /** Root tree id → every blob under it by full path. */
  readonly trees = new Map<string, Map<string, { mode: string; sha: string }>>();
  /** Root tree id → the recursive listing GitHub returns (trees and blobs, sorted by path). */
  readonly listings = new Map<string, TreeListingEntry[]>();
  readonly commits = new Map<string, StoredCommit>();

  addBlob(content: Buffer): string {
    const sha = hashObject('blob', content);
    this.blobs.set(sha, content);
    return sha;
  }

  /** Stores the tree of `files` (full path → blob) and every subtree; returns the root tree id. */
  addTree(files: Map<string, { mode: string; sha: string }>): string {
    const build = (prefix: string, paths: string[]): { sha: string; listing: TreeListingEntry[] } => {
      const entries = new Map<string, { mode: string; sha: string; dir: boolean; listing: TreeListingEntry[] }>();
      const dirs = new Map<string, string[]>();
      for (const p of paths) {
        const rest = p.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash === -1) {
          const f = files.get(p)!;
          entries.set(rest, { ...f, dir: false, listing: [{ path: p, mode: f.mode, type: 'blob', sha: f.sha, size: this.blobs.get(f.sha)?.length ?? 0 }] });
        } else {
          const name = rest.slice(0, slash);
          dirs.set(name, [...(dirs.get(name) ?? []), p]);
        }
      }
      for (const [name, sub] of dirs) {
        const t = build(`${prefix}${name}/`, sub);
        entries.set(name, { mode: '40000', sha: t.sha, dir: true, listing: [{ path: `${prefix}${name}`, mode: '040000', type: 'tree', sha: t.sha }, ...t.listing] });
      }
      // git orders entries by name, a directory compared as if it ended in "/"; a
      // recursive listing (git ls-tree -r -t, GitHub's ?recursive=1) walks in that order.
      const key = (name: string, dir: boolean) => Buffer.from(dir ? `${name}/` : name);
      const sorted = [...entries].sort(([a, x], [b, y]) => Buffer.compare(key(a, x.dir), key(b, y.dir)));
      const body = Buffer.concat(sorted.map(([name, e]) => Buffer.concat([Buffer.from(`${e.mode} ${name}\0`), Buffer.from(e.sha, 'hex')])));
      return { sha: hashObject('tree', body), listing: sorted.flatMap(([, e]) => e.listing) };
    };
    const { sha, listing } = build('', [...files.keys()]);
    this.trees.set(sha, new Map(files));
    this.listings.set(sha, listing);
    return sha;
  }

  addCommit(c: Omit<StoredCommit, 'sha'>): string {
    const when = Math.floor(Date.parse(c.author.date) / 1000);
    const person = `${c.author.name} <${c.author.email}> ${when} +0000`;
    const text = `tree ${c.tree}\n${c.parents.map((p) => `parent ${p}\n`).join('')}author ${person}\ncommitter ${person}\n\n${c.message}`;
    const sha = hashObject('commit', Buffer.from(text));
    this.commits.set(sha, { ...c, sha });
    return sha;
  }

  /** The files of a commit, path → bytes (for assertions). */
  filesOf(commitSha: string): Map<string, string> {
    const c = this.commits.get(commitSha);
    const out = new Map<string, string>();
    for (const [p, f] of this.trees.get(c?.tree ?? '') ?? []) out.set(p, this.blobs.get(f.sha)!.toString('utf8'));
    return out;
  }
}

/** `git hash-object -t <type>`. */
export function hashObject(type: 'blob' | 'tree' | 'commit', body: Buffer): string {
  return crypto.createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}
