import { assertSafeBind, bearerAuth, HttpError, sendError, startHttpService, type HttpService } from '@govern/http-service';
import type { WebRoute } from './server.js';

/**
 * Serves web view routes on their own HTTP server, matching them as the service
 * runner mounts them (exact path, or a prefix; the first route of the method wins;
 * `auth` routes need the bearer token when one is set). For tests and hosts without
 * the runner; `govern serve` mounts the same routes on its server instead.
 */
export async function serveRoutes(routes: readonly WebRoute[], opts: { host?: string; port?: number; token?: string } = {}): Promise<HttpService> {
  const host = opts.host ?? '127.0.0.1';
  assertSafeBind(host, opts.token, { service: 'govern web view' });
  const authorized = bearerAuth(opts.token);
  return startHttpService({
    host,
    port: opts.port ?? 0,
    stopDeadlineMs: 1000,
    handler: async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://web-view.invalid');
      const p = url.pathname;
      try {
        const mounted = routes.filter((r) => (r.prefix ? p === r.path || p.startsWith(r.path.endsWith('/') ? r.path : `${r.path}/`) : p === r.path));
        const hit = mounted.find((r) => r.method === req.method);
        if (!hit) throw mounted.length ? new HttpError('method-not-allowed', `${req.method} is not allowed on ${p}`) : new HttpError('not-found', `no route ${p}`);
        if (hit.auth && authorized && !authorized(req)) throw new HttpError('unauthorized', 'this service needs Authorization: Bearer <token>');
        await hit.handle(req, res, url);
      } catch (err) {
        if (!res.headersSent) sendError(res, err);
        else res.destroy();
      }
    },
  });
}
