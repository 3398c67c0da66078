import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EvidenceManifestSchema, MANIFEST_FILE, resolveEvidenceRoot } from '@govern/closure';
import { HttpError, readBody, sendJson } from '@govern/http-service';
import { statusHistory } from '@govern/history';
import { StatusSchema } from '@govern/workplan';
import { CONFIG_FILE, LiveWorkspace, type Workspace } from '@govern/workspace';
import { defaultActor, setStatus, WriteError } from '@govern/write';
import { z } from 'zod';
import { boardView, criticalPath, driftView, gatesView, graphView, ViewFilterSchema } from './views.js';

/** Where the pages live: `GET /ui/` is the app, `/ui/api/*` its JSON, `/ui/assets/*` its files. */
export const UI_PATH = '/ui';
/** The files the page loads; nothing else is served, and nothing comes from the network. */
export const ASSET_FILES = ['index.html', 'app.js', 'app.css', 'cytoscape.min.js'] as const;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A route in the shape `@govern/service-runner`'s HTTP server mounts (its
 * `MountedRoute`), declared here so this library does not depend on the runner.
 */
export interface WebRoute {
  method: 'GET' | 'POST';
  path: string;
  prefix?: boolean;
  auth: boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export interface WebViewOptions {
  root: string;
  /** Allow board moves (status writes through @govern/write). Default false: read-only. */
  writes?: boolean;
  /** Parse cache directory; `null` disables it (as `loadWorkspace`). */
  cacheDir?: string | null;
  /** Folder holding {@link ASSET_FILES}; default: found next to this module (the bundled CLI's `web-view/`, or the package's `assets/`). */
  assetsDir?: string;
  /** Watch the document folders and push changes to open pages (default true). */
  watch?: boolean;
  /** Quiet time after the last file event before the workspace is updated (default 75 ms). */
  debounceMs?: number;
  /** Environment for the audit actor (`GOVERN_ACTOR`). */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export interface WebView {
  routes: WebRoute[];
  /** Bumped after every applied change; pages receive it over `/ui/api/events`. */
  version(): number;
  /** Stops watching and ends the event streams (call before closing the HTTP server). */
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The asset folder: the bundled CLI's `dist/web-view/`, else this package's `assets/` with cytoscape from node_modules. */
function locateAssets(dir?: string): Map<string, string> {
  const out = new Map<string, string>();
  const candidates = dir ? [dir] : [path.join(here, 'web-view'), path.join(here, '..', 'web-view'), path.join(here, '..', 'assets')];
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'index.html')));
  if (!found) throw new Error(`web view assets not found (looked in ${candidates.join(', ')})`);
  for (const f of ASSET_FILES) out.set(f, path.join(found, f));
  if (!fs.existsSync(out.get('cytoscape.min.js')!)) out.set('cytoscape.min.js', createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js'));
  return out;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const StatusMoveSchema = z.object({
  id: z.string().min(1),
  status: StatusSchema,
  expect: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  reason: z.string().max(2000).optional(),
});

/** HTTP statuses of @govern/write's refusals (its codes are not in the kernel's table). */
const WRITE_STATUS: Record<string, number> = {
  'item-not-found': 404,
  conflict: 409,
  'lock-timeout': 503,
  'lock-lost': 409,
  'status-token-mismatch': 409,
};

/**
 * Opens the workspace of `root` (a long-lived {@link WorkspaceEngine}), watches its
 * document folders and returns the web view's routes for `govern serve` to mount:
 * the app and its bundled assets (no token: they hold no data), the JSON of each
 * view, an event stream announcing changes, and — only with `writes` — status moves
 * through `setStatus` (lifecycle rules, `expect` hash, audit log).
 */
export async function createWebView(opts: WebViewOptions): Promise<WebView> {
  const root = path.resolve(opts.root);
  const assets = locateAssets(opts.assetsDir);
  let version = 1;
  const clients = new Set<ServerResponse>();
  const log = opts.log ?? (() => {});
  const broadcast = (data: unknown) => {
    const line = `event: change\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(line);
  };
  // The same long-lived workspace as `govern mcp`: the watcher applies edits between
  // requests (and pages hear of them), and every request checks what the watcher may
  // have missed, so a page never shows a stale document.
  const live = new LiveWorkspace({
    load: { root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) },
    watch: opts.watch !== false,
    debounceMs: opts.debounceMs ?? 75,
    name: 'web view',
    log: (s) => log(s.replace(/\n$/, '')),
    onUpdate: (s) => {
      version++;
      broadcast({ version, files: s.changed, parsed: s.update?.parsed ?? 0 });
    },
  });
  await live.current();

  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  const filterOf = (url: URL) => {
    const raw = Object.fromEntries([...url.searchParams.entries()].filter(([, v]) => v !== ''));
    const parsed = ViewFilterSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError('bad-request', `bad filter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const sub = url.pathname.slice(`${UI_PATH}/api/`.length);
    const cur = await live.current();
    switch (sub) {
      case 'meta':
        return sendJson(res, 200, { version, writes: opts.writes === true, root: path.basename(root), items: cur.index.graph.nodes.length, files: cur.stats.files });
      case 'graph':
        return sendJson(res, 200, { version, ...graphView(cur, filterOf(url), gatesView(cur).gates) });
      case 'path': {
        const id = url.searchParams.get('id') ?? '';
        if (!cur.index.byId.has(id)) throw new HttpError('not-found', `no item ${id}`);
        return sendJson(res, 200, { id, path: criticalPath(cur, id) });
      }
      case 'board':
        return sendJson(res, 200, { version, writes: opts.writes === true, ...boardView(cur, filterOf(url)) });
      case 'gates':
        return sendJson(res, 200, { version, ...gatesView(cur) });
      case 'drift':
        return sendJson(res, 200, { version, ...driftView(cur, gatesView(cur).diagnostics) });
      case 'item':
        return sendJson(res, 200, { version, ...(await itemView(cur, url.searchParams.get('id') ?? '')) });
      case 'source': {
        const file = url.searchParams.get('file') ?? '';
        if (!cur.hashes.has(file) && file !== CONFIG_FILE) throw new HttpError('not-found', `${file} is not a document of this workspace`);
        return sendJson(res, 200, { file, text: fs.readFileSync(path.join(root, file), 'utf8') });
      }
      case 'evidence-log':
        return evidenceLog(cur, url, res);
      case 'events': {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`event: hello\ndata: ${JSON.stringify({ version })}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      default:
        throw new HttpError('not-found', `no route ${url.pathname}`);
    }
  };

  const itemView = async (cur: Workspace, id: string) => {
    const node = cur.index.byId.get(id);
    if (!node) throw new HttpError('not-found', `no item ${id}`);
    const dependents = cur.index.graph.nodes.filter((n) => n.dependsOn.includes(id)).map((n) => ({ id: n.id, title: n.title, status: n.status }));
    const children = cur.index.graph.nodes.filter((n) => n.parent === id).map((n) => ({ id: n.id, title: n.title, status: n.status }));
    const dependencies = node.dependsOn.map((d) => {
      const n = cur.index.byId.get(d);
      return { id: d, title: n?.title ?? null, status: n?.status ?? null };
    });
    let history: unknown;
    try {
      const h = await statusHistory(root, id, { workspace: cur, maxCommits: 50 });
      history = { transitions: h.transitions, truncated: h.truncated, diagnostics: h.diagnostics };
    } catch (err) {
      history = { error: (err as Error).message };
    }
    const pr = node.refs.find((r) => /\/pull\/\d+/.test(r)) ?? null;
    return {
      item: node,
      hash: cur.hashes.get(node.source.file) ?? null,
      dependencies,
      dependents,
      children,
      path: criticalPath(cur, id),
      evidence: evidenceOf(node.evidenceRoot),
      history,
      pr,
    };
  };

  const evidenceOf = (declared: string | null) => {
    if (!declared) return { root: null, manifest: null, problem: 'no evidence root declared' };
    const r = resolveEvidenceRoot(root, declared);
    if (!r.ok) return { root: declared, manifest: null, problem: r.reason };
    const file = path.join(r.abs, MANIFEST_FILE);
    if (!fs.existsSync(file)) return { root: r.rel, manifest: null, problem: 'no manifest yet (the item was not closed with govern close)' };
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      return { root: r.rel, manifest: null, problem: `${MANIFEST_FILE} is not JSON: ${(err as Error).message}` };
    }
    const m = EvidenceManifestSchema.safeParse(raw);
    if (!m.success) return { root: r.rel, manifest: null, problem: `${MANIFEST_FILE} does not match the manifest schema` };
    const ageDays = (Date.now() - Date.parse(m.data.createdAt)) / 86_400_000;
    return { root: r.rel, manifest: m.data, problem: null, ageDays: Number.isFinite(ageDays) ? Math.floor(ageDays) : null };
  };

  const evidenceLog = (cur: Workspace, url: URL, res: ServerResponse) => {
    const node = cur.index.byId.get(url.searchParams.get('id') ?? '');
    const ev = node ? evidenceOf(node.evidenceRoot) : null;
    const check = ev?.manifest?.checks[Number(url.searchParams.get('check'))];
    if (!ev?.root || !check?.outputFile) throw new HttpError('not-found', 'no such check output');
    const base = path.resolve(root, ev.root);
    const abs = path.resolve(base, check.outputFile);
    if (!abs.startsWith(base + path.sep) || !fs.existsSync(abs)) throw new HttpError('not-found', 'no such check output');
    const body = fs.readFileSync(abs);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(body.length) });
    res.end(body);
  };

  const move = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (opts.writes !== true) throw new HttpError('writes-disabled', 'this server is read-only: start it with `govern serve --writes` to move cards', { status: 403 });
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, { limit: MAX_BODY_BYTES })).toString('utf8'));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError('bad-request', 'the request body is not JSON');
    }
    const input = StatusMoveSchema.safeParse(body);
    if (!input.success) throw new HttpError('invalid-request', input.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const actorHeader = req.headers['x-govern-actor'];
    const actor = (Array.isArray(actorHeader) ? actorHeader[0] : actorHeader)?.trim();
    try {
      const r = await setStatus({
        root,
        id: input.data.id,
        status: input.data.status,
        workspace: await live.current(),
        ...(input.data.expect ? { expect: input.data.expect } : {}),
        ...(input.data.reason ? { reason: input.data.reason } : {}),
        actor: actor && actor.length <= 200 ? actor : defaultActor(opts.env ?? process.env),
        via: 'web',
      });
      // The write is on disk whatever happens to the view's refresh (a failed update is retried by the next request's check).
      if (r.changed) await live.changed([r.file]).catch((err: unknown) => log(`web view: update failed: ${(err as Error).message}`));
      sendJson(res, 200, { version, result: r });
    } catch (err) {
      if (err instanceof WriteError) throw new HttpError(err.code, err.message, { details: err.details, status: WRITE_STATUS[err.code] ?? 422 });
      throw err;
    }
  };

  const statics = (_req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const p = url.pathname;
    const name = p === UI_PATH || p === `${UI_PATH}/` ? 'index.html' : p.startsWith(`${UI_PATH}/assets/`) ? p.slice(`${UI_PATH}/assets/`.length) : '';
    const file = (ASSET_FILES as readonly string[]).includes(name) ? assets.get(name) : undefined;
    if (!file) throw new HttpError('not-found', `no route ${p}`);
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'content-length': String(body.length), 'x-content-type-options': 'nosniff' });
    res.end(body);
  };

  const routes: WebRoute[] = [
    { method: 'GET', path: `${UI_PATH}/api`, prefix: true, auth: true, handle: api },
    { method: 'POST', path: `${UI_PATH}/api/status`, auth: true, handle: move },
    { method: 'GET', path: UI_PATH, prefix: true, auth: false, handle: statics },
    {
      method: 'GET',
      path: '/',
      auth: false,
      handle: (_req, res) => {
        res.writeHead(302, { location: `${UI_PATH}/` });
        res.end();
      },
    },
  ];
  return {
    routes,
    version: () => version,
    close: async () => {
      clearInterval(heartbeat);
      live.close();
      for (const c of clients) c.end();
      clients.clear();
    },
  };
}
