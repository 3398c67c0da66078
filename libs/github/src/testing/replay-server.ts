import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GitStore } from './git-store.js';
import { commitBody, labelBody, pullBody, recordings, refBody, type ReplayPull } from './recorded.js';

/**
 * A GitHub API for tests: a real `node:http` server on an ephemeral port of
 * 127.0.0.1 that answers the REST calls a closure PR makes with the recorded
 * response shapes of ./recorded.ts, over state that stays coherent (a ref
 * created is then listed, a PR created is then found, updated, closed,
 * reopened). Octokit itself is not touched: it speaks HTTP to this server
 * exactly as to api.github.com. Faults (rate limits, dropped connections,
 * stalls, arbitrary statuses) are injected per request to test recovery.
 */
export interface ReplayOptions {
  owner?: string;
  repo?: string;
  /** Requests must carry this token (`Authorization: token …`), else 401 Bad credentials. */
  token?: string;
  /** The default branch's files. */
  files?: Record<string, string>;
  defaultBranch?: string;
}

export interface Fault {
  method?: string;
  /** Tested against the request path (with query string). */
  path?: RegExp;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /**
   * `drop-after`: handle the request, then close the connection without an answer
   * (the worst case: the change is made, the client never hears of it);
   * `drop-before`: close the connection without handling it; `rate-limit`: 403
   * with x-ratelimit-remaining 0; `secondary-rate-limit`: 403 with retry-after;
   * `stall`: never answer; `status`: answer `status` with `body`.
   */
  kind: 'drop-after' | 'drop-before' | 'rate-limit' | 'secondary-rate-limit' | 'stall' | 'status';
  resetInS?: number;
  retryAfterS?: number;
  status?: number;
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number | 'dropped' | 'stalled';
}

export interface GitHubReplay {
  /** `http://127.0.0.1:<port>`: the API base URL to give Octokit. */
  url: string;
  owner: string;
  repo: string;
  requests: RecordedRequest[];
  store: GitStore;
  refs: Map<string, string>;
  pulls: ReplayPull[];
  fault(f: Fault): void;
  /** The files at a branch's head (path → text). */
  branchFiles(branch: string): Map<string, string>;
  /** A maintainer closes (or merges) a PR on GitHub. */
  closePull(number: number, opts?: { merged?: boolean }): void;
  /** Moves the default branch forward with a commit that changes `files`. */
  advance(branch: string, files: Record<string, string>, message?: string): string;
  close(): Promise<void>;
}

const CLOCK0 = Date.parse('2017-10-10T16:00:00Z');

/** Starts the server; call `close()` when done. */
export async function startGitHubReplay(opts: ReplayOptions = {}): Promise<GitHubReplay> {
  const rec = recordings();
  const owner = opts.owner ?? 'octokit-fixture-org';
  const repo = opts.repo ?? 'hello-world';
  const defaultBranch = opts.defaultBranch ?? 'main';
  const store = new GitStore();
  const refs = new Map<string, string>();
  const pulls: ReplayPull[] = [];
  const requests: RecordedRequest[] = [];
  const faults: (Fault & { left: number })[] = [];
  const sockets = new Set<Socket>();
  let tick = 0;
  const now = () => new Date(CLOCK0 + 1000 * tick++).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const author = () => ({ name: String(rec.user.login), email: '31898046+octokit-fixture-user-a@users.noreply.github.com', date: now() });

  const commitFiles = (files: Map<string, { mode: string; sha: string }>, parents: string[], message: string) =>
    store.addCommit({ tree: store.addTree(files), parents, message, author: author() });
  const initial = new Map(Object.entries(opts.files ?? { 'README.md': '# hello-world\n' }).map(([p, t]) => [p, { mode: '100644', sha: store.addBlob(Buffer.from(t)) }]));
  refs.set(`heads/${defaultBranch}`, commitFiles(initial, [], 'Initial commit'));

  const api = `https://api.github.com/repos/${owner}/${repo}`;
  const prefix = `/repos/${owner}/${repo}`;

  type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
  const validation = (errors: unknown[], doc: string): Reply => ({ status: 422, body: { message: 'Validation Failed', errors, documentation_url: doc } });
  const notFound = (doc: string): Reply => ({ status: 404, body: { message: rec.notFound.message, documentation_url: doc } });
  const pullState = (p: ReplayPull): ReplayPull => (p.state === 'open' ? { ...p, headSha: refs.get(`heads/${p.head}`) ?? p.headSha } : p);
  const findPull = (n: number) => pulls.find((p) => p.number === n);

  function route(method: string, url: URL, body: Record<string, unknown>): Reply {
    const p = decodeURIComponent(url.pathname);
    if (!p.startsWith(`${prefix}/`)) return notFound('https://docs.github.com/rest');
    const rest = p.slice(prefix.length);
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/git\/ref\/(.+)$/.exec(rest))) {
      const sha = refs.get(m[1]!);
      return sha ? { status: 200, body: refBody(m[1]!, sha, owner, repo) } : notFound('https://docs.github.com/rest/git/refs#get-a-reference');
    }
    if (method === 'POST' && rest === '/git/refs') {
      const ref = String(body.ref ?? '').replace(/^refs\//, '');
      const sha = String(body.sha ?? '');
      if (refs.has(ref)) return { status: 422, body: { message: 'Reference already exists', documentation_url: 'https://docs.github.com/rest/git/refs#create-a-reference' } };
      if (!store.commits.has(sha)) return { status: 422, body: { message: 'Object does not exist', documentation_url: 'https://docs.github.com/rest/git/refs#create-a-reference' } };
      refs.set(ref, sha);
      return { status: 201, body: refBody(ref, sha, owner, repo), headers: { location: `${api}/git/refs/${ref}` } };
    }
    if (method === 'PATCH' && (m = /^\/git\/refs\/(.+)$/.exec(rest))) {
      const ref = m[1]!;
      const sha = String(body.sha ?? '');
      if (!refs.has(ref)) return { status: 422, body: { message: 'Reference does not exist', documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference' } };
      if (!store.commits.has(sha)) return { status: 422, body: { message: 'Object does not exist', documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference' } };
      if (body.force !== true && !isAncestor(refs.get(ref)!, sha)) {
        return { status: 422, body: { message: 'Update is not a fast forward', documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference' } };
      }
      refs.set(ref, sha);
      return { status: 200, body: refBody(ref, sha, owner, repo) };
    }
    if (method === 'GET' && (m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest))) {
      const c = store.commits.get(m[1]!);
      return c ? { status: 200, body: commitBody(c, owner, repo) } : notFound('https://docs.github.com/rest/git/commits#get-a-commit-object');
    }
    if (method === 'POST' && rest === '/git/commits') {
      const tree = String(body.tree ?? '');
      const parents = (body.parents as string[] | undefined) ?? [];
      if (!store.trees.has(tree) || parents.some((x) => !store.commits.has(x))) return validation([{ resource: 'Commit', code: 'invalid', field: 'tree' }], 'https://docs.github.com/rest/git/commits#create-a-commit');
      const given = body.author as { name: string; email: string; date?: string } | undefined;
      const sha = store.addCommit({ tree, parents, message: String(body.message ?? ''), author: given ? { ...given, date: given.date ?? now() } : author() });
      return { status: 201, body: commitBody(store.commits.get(sha)!, owner, repo), headers: { location: `${api}/git/commits/${sha}` } };
    }
    if (method === 'POST' && rest === '/git/blobs') {
      const content = body.encoding === 'base64' ? Buffer.from(String(body.content ?? ''), 'base64') : Buffer.from(String(body.content ?? ''), 'utf8');
      const sha = store.addBlob(content);
      return { status: 201, body: { url: `${api}/git/blobs/${sha}`, sha }, headers: { location: `${api}/git/blobs/${sha}` } };
    }
    if (method === 'GET' && (m = /^\/git\/trees\/([0-9a-f]{40})$/.exec(rest))) {
      const listing = store.listings.get(m[1]!);
      if (!listing) return notFound('https://docs.github.com/rest/git/trees#get-a-tree');
      const entries = url.searchParams.get('recursive') ? listing : listing.filter((e) => !e.path.includes('/'));
      return { status: 200, body: treeBody(m[1]!, entries) };
    }
    if (method === 'POST' && rest === '/git/trees') {
      const files = new Map(store.trees.get(String(body.base_tree ?? '')) ?? []);
      if (body.base_tree && !store.trees.has(String(body.base_tree))) return validation([{ resource: 'Tree', code: 'invalid', field: 'base_tree' }], 'https://docs.github.com/rest/git/trees#create-a-tree');
      for (const e of (body.tree as { path: string; mode: string; sha: string | null }[] | undefined) ?? []) {
        if (e.sha === null) files.delete(e.path);
        else if (!store.blobs.has(e.sha)) return validation([{ resource: 'Tree', code: 'invalid', field: 'tree.sha' }], 'https://docs.github.com/rest/git/trees#create-a-tree');
        else files.set(e.path, { mode: e.mode, sha: e.sha });
      }
      const sha = store.addTree(files);
      return { status: 201, body: treeBody(sha, store.listings.get(sha)!.filter((e) => !e.path.includes('/'))), headers: { location: `${api}/git/trees/${sha}` } };
    }
    if (method === 'GET' && rest === '/pulls') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const base = url.searchParams.get('base');
      const list = pulls
        .filter((x) => (state === 'all' || x.state === state) && (!head || `${owner}:${x.head}` === head) && (!base || x.base === base))
        .sort((a, b) => b.number - a.number);
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      return { status: 200, body: list.slice((page - 1) * perPage, page * perPage).map((x) => pullBody(pullState(x), owner, repo)) };
    }
    if (method === 'POST' && rest === '/pulls') {
      const doc = 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request';
      const head = String(body.head ?? '').replace(new RegExp(`^${owner}:`), '');
      const base = String(body.base ?? '');
      const headSha = refs.get(`heads/${head}`);
      const baseSha = refs.get(`heads/${base}`);
      // Observed on api.github.com (shepherd-tools/shepherd#51, vsoch/pull-request-action#86).
      if (!headSha) return validation([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], doc);
      if (!baseSha) return validation([{ resource: 'PullRequest', field: 'base', code: 'invalid' }], doc);
      if (pulls.some((x) => x.state === 'open' && x.head === head && x.base === base)) {
        return validation([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.` }], doc);
      }
      if (headSha === baseSha) return validation([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }], doc);
      const at = now();
      const pr: ReplayPull = {
        number: pulls.length + 1,
        title: String(body.title ?? ''),
        body: String(body.body ?? ''),
        head,
        headSha,
        base,
        baseSha,
        state: 'open',
        merged: false,
        draft: body.draft === true,
        labels: [],
        reviewers: [],
        teams: [],
        createdAt: at,
        updatedAt: at,
        closedAt: null,
      };
      pulls.push(pr);
      return { status: 201, body: pullBody(pr, owner, repo), headers: { location: `${api}/pulls/${pr.number}` } };
    }
    if ((method === 'GET' || method === 'PATCH') && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pr = findPull(Number(m[1]));
      if (!pr) return notFound('https://docs.github.com/rest/pulls/pulls#get-a-pull-request');
      if (method === 'PATCH') {
        const doc = 'https://docs.github.com/rest/pulls/pulls#update-a-pull-request';
        if (body.state === 'open' && pr.state === 'closed') {
          if (pr.merged) return validation([{ resource: 'PullRequest', code: 'custom', field: 'state', message: 'state cannot be changed. The pull request has been merged.' }], doc);
          if (!refs.has(`heads/${pr.head}`)) return validation([{ resource: 'PullRequest', code: 'custom', field: 'state', message: `state cannot be changed. The ${pr.head} branch has been deleted.` }], doc);
          if (pulls.some((x) => x.state === 'open' && x.head === pr.head && x.base === pr.base)) {
            return validation([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${pr.head}.` }], doc);
          }
          Object.assign(pr, { state: 'open', closedAt: null });
        } else if (body.state === 'closed' && pr.state === 'open') Object.assign(pr, { ...pullState(pr), state: 'closed', closedAt: now() });
        if (typeof body.title === 'string') pr.title = body.title;
        if (typeof body.body === 'string') pr.body = body.body;
        if (typeof body.base === 'string') pr.base = body.base;
        pr.updatedAt = now();
      }
      return { status: 200, body: pullBody(pullState(pr), owner, repo) };
    }
    if (method === 'POST' && (m = /^\/issues\/(\d+)\/labels$/.exec(rest))) {
      const pr = findPull(Number(m[1]));
      if (!pr) return notFound('https://docs.github.com/rest/issues/labels#add-labels-to-an-issue');
      for (const l of (body.labels as string[] | undefined) ?? []) if (!pr.labels.includes(l)) pr.labels.push(l);
      return { status: 200, body: pr.labels.map((l, i) => labelBody(l, i, owner, repo)) };
    }
    if (method === 'POST' && (m = /^\/pulls\/(\d+)\/requested_reviewers$/.exec(rest))) {
      const pr = findPull(Number(m[1]));
      if (!pr) return notFound('https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request');
      const users = (body.reviewers as string[] | undefined) ?? [];
      if (users.includes(String(rec.user.login))) {
        return { status: 422, body: { message: 'Review cannot be requested from pull request author.', documentation_url: 'https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request' } };
      }
      for (const u of users) if (!pr.reviewers.includes(u)) pr.reviewers.push(u);
      for (const t of (body.team_reviewers as string[] | undefined) ?? []) if (!pr.teams.includes(t)) pr.teams.push(t);
      return { status: 201, body: pullBody(pullState(pr), owner, repo) };
    }
    return notFound('https://docs.github.com/rest');
  }

  function isAncestor(ancestor: string, sha: string): boolean {
    const seen = new Set<string>();
    for (const queue = [sha]; queue.length; ) {
      const s = queue.pop()!;
      if (s === ancestor) return true;
      if (seen.has(s)) continue;
      seen.add(s);
      queue.push(...(store.commits.get(s)?.parents ?? []));
    }
    return false;
  }

  function treeBody(sha: string, entries: { path: string; mode: string; type: string; sha: string; size?: number }[]) {
    return {
      sha,
      url: `${api}/git/trees/${sha}`,
      tree: entries.map((e) => ({ ...e, url: `${api}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}` })),
      truncated: false,
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const record: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: text, status: 0 };
      requests.push(record);
      const send = (r: Reply) => {
        const payload = r.body === undefined ? '' : JSON.stringify(r.body);
        record.status = r.status;
        res.writeHead(r.status, { ...rec.headers, date: new Date(CLOCK0).toUTCString(), 'content-type': 'application/json; charset=utf-8', ...r.headers });
        res.end(payload);
      };
      const fault = faults.find((f) => f.left > 0 && (!f.method || f.method === record.method) && (!f.path || f.path.test(record.path)));
      if (fault) fault.left--;
      if (fault?.kind === 'drop-before' || fault?.kind === 'stall') {
        record.status = fault.kind === 'stall' ? 'stalled' : 'dropped';
        if (fault.kind === 'drop-before') req.socket.destroy();
        return;
      }
      const auth = req.headers.authorization ?? '';
      if (opts.token && auth !== `token ${opts.token}` && auth !== `bearer ${opts.token}`) {
        return send({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
      }
      if (fault?.kind === 'rate-limit') {
        const reset = Math.floor(Date.now() / 1000) + (fault.resetInS ?? 3600);
        return send({
          status: 403,
          body: { message: 'API rate limit exceeded for user ID 1000.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
          headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset) },
        });
      }
      if (fault?.kind === 'secondary-rate-limit') {
        return send({
          status: 403,
          body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
          headers: { 'retry-after': String(fault.retryAfterS ?? 60) },
        });
      }
      if (fault?.kind === 'status') return send({ status: fault.status ?? 500, body: fault.body });
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return send({ status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' } });
      }
      const reply = route(record.method, new URL(record.path, 'http://127.0.0.1'), body);
      if (fault?.kind === 'drop-after') {
        record.status = 'dropped';
        req.socket.destroy();
        return;
      }
      send(reply);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    owner,
    repo,
    requests,
    store,
    refs,
    pulls,
    fault: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    branchFiles: (branch) => store.filesOf(refs.get(`heads/${branch}`) ?? ''),
    closePull(number, o = {}) {
      const pr = findPull(number)!;
      Object.assign(pr, { ...pullState(pr), state: 'closed', merged: o.merged === true, closedAt: now(), updatedAt: now() });
      if (o.merged) {
        const base = refs.get(`heads/${pr.base}`)!;
        const head = store.commits.get(pr.headSha)!;
        refs.set(`heads/${pr.base}`, store.addCommit({ tree: head.tree, parents: [base, pr.headSha], message: `Merge pull request #${number}`, author: author() }));
      }
    },
    advance(branch, files, message = 'Another change') {
      const head = store.commits.get(refs.get(`heads/${branch}`)!)!;
      const next = new Map(store.trees.get(head.tree));
      for (const [p, t] of Object.entries(files)) next.set(p, { mode: '100644', sha: store.addBlob(Buffer.from(t)) });
      const sha = commitFiles(next, [head.sha], message);
      refs.set(`heads/${branch}`, sha);
      return sha;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
