import { spawnSync } from 'node:child_process';

/** One commit of a file's history, as `git log --follow --first-parent` lists it. */
export interface FileCommit {
  commit: string;
  author: string;
  email: string;
  /** Author date, ISO 8601 with the author's offset. */
  date: string;
  /** Committer date, ISO 8601: when the commit was made (the matching window uses it). */
  committedAt: string;
  /** The file's path at this commit, relative to the repository's top level. */
  gitPath: string;
  /** True when this commit deleted the file. */
  deleted: boolean;
}

export type GitLog = { ok: true; commits: FileCommit[]; truncated: boolean } | { ok: false; reason: string };

const GIT_ENV = { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
const RS = '\x1e';
const US = '\x1f';

/**
 * The commits that touched `file` (relative to `cwd`), newest first, following
 * renames: one `git log` process. `--first-parent` keeps the list one chain of
 * consecutive states of the file (a change made on a merged branch shows up at
 * its merge commit), so comparing each revision with the one before it never
 * mixes two branches. At most `max` commits; `truncated` says there were more.
 */
export function fileLog(cwd: string, file: string, max: number): GitLog {
  const r = spawnSync(
    'git',
    [
      // The path is a file name, never a glob or pathspec magic.
      '--literal-pathspecs',
      '-c',
      'log.showSignature=false',
      'log',
      '--follow',
      '--first-parent',
      '-z',
      `--format=${RS}%H${US}%an${US}%ae${US}%aI${US}%cI`,
      '--name-status',
      `--max-count=${max + 1}`,
      '--',
      file,
    ],
    { cwd, env: GIT_ENV, maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.error) return { ok: false, reason: `git could not be run: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: r.stderr.toString('utf8').trim().split('\n')[0] || `git log exited with ${r.status}` };
  const commits: FileCommit[] = [];
  for (const chunk of r.stdout.toString('utf8').split(RS)) {
    if (!chunk) continue;
    // `<fields>\0\n<status>\0<path>[\0<new path>]\0`
    const parts = chunk.split('\0');
    const [commit, author, email, date, committedAt] = parts[0]!.split(US);
    const status = (parts[1] ?? '').trim();
    const gitPath = /^[RC]/.test(status) ? parts[3] : parts[2];
    if (!commit || !gitPath || author === undefined || email === undefined || !date || !committedAt) continue;
    commits.push({ commit, author, email, date, committedAt, gitPath, deleted: status === 'D' });
  }
  const truncated = commits.length > max;
  return { ok: true, commits: truncated ? commits.slice(0, max) : commits, truncated };
}

/**
 * The bytes of `<commit>:<path>` for each request (path relative to the top
 * level), `null` where git has no such blob: one `git cat-file --batch` process
 * per batch instead of one `git show` per revision. Batches are bounded by
 * `batchBytes` (estimated from `sizeHint`) so a long history of a large file is
 * never held in memory at once; `each` receives the blobs in request order.
 */
export function readBlobs(
  cwd: string,
  requests: { commit: string; gitPath: string }[],
  sizeHint: number,
  each: (index: number, blob: Buffer | null) => void,
  batchBytes = 128 * 1024 * 1024,
): { ok: true } | { ok: false; reason: string } {
  const per = Math.max(1, Math.floor(batchBytes / Math.max(1, sizeHint * 2)));
  for (let start = 0; start < requests.length; start += per) {
    const batch = requests.slice(start, start + per);
    const input = batch.map((q) => `${q.commit}:${q.gitPath}\n`).join('');
    const r = spawnSync('git', ['cat-file', '--batch'], { cwd, env: GIT_ENV, input, maxBuffer: 2 * batchBytes + 64 * 1024 * 1024 });
    if (r.error) return { ok: false, reason: `git cat-file failed: ${r.error.message}` };
    if (r.status !== 0) return { ok: false, reason: r.stderr.toString('utf8').trim().split('\n')[0] || `git cat-file exited with ${r.status}` };
    const out = r.stdout;
    let pos = 0;
    for (let i = 0; i < batch.length; i++) {
      const eol = out.indexOf(0x0a, pos);
      if (eol < 0) return { ok: false, reason: 'git cat-file --batch: truncated output' };
      const header = out.toString('utf8', pos, eol);
      const m = /^[0-9a-f]+ (\S+) (\d+)$/.exec(header);
      if (!m) {
        // `<request> missing` (or `ambiguous`): no such blob at that revision.
        each(start + i, null);
        pos = eol + 1;
        continue;
      }
      const size = Number(m[2]);
      const body = out.subarray(eol + 1, eol + 1 + size);
      each(start + i, m[1] === 'blob' ? body : null);
      pos = eol + 1 + size + 1;
    }
  }
  return { ok: true };
}
