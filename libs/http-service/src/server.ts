import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendError } from './respond.js';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface HttpServiceOptions {
  host: string;
  /** 0 picks a free port (see `url` and `port`). */
  port: number;
  handler: RequestHandler;
  /**
   * Answers a request that arrives while the service is stopping (on a kept-alive
   * connection). Without it the request is served as usual. Either way the answer
   * carries `Connection: close`.
   */
  onStopping?: RequestHandler;
  /** A handler that threw or rejected; default: the error envelope (500 for a non-`GovernError`) when nothing was sent yet, else the socket is destroyed. */
  onError?: (err: unknown, req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** How long an idle kept-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** A request (headers and body) must arrive within this time, else Node answers 408 (default 60 s). */
  requestTimeoutMs?: number;
  /** `stop()` waits this long for the requests in flight, then closes every connection (default 10 s). */
  stopDeadlineMs?: number;
}

export interface HttpService {
  /** `http://<address>:<port>` of the bound address (IPv6 in brackets). */
  url: string;
  host: string;
  port: number;
  server: http.Server;
  /** True once `stop()` was called. */
  readonly stopping: boolean;
  /**
   * Stops listening; resolves once every connection is closed. Requests in flight
   * finish (until `stopDeadlineMs`); idle kept-alive connections are closed at once and
   * again whenever one goes idle (`closeIdleConnections` alone closes only those idle at
   * the moment it is called: a connection busy then would wait out the keep-alive
   * timeout); a later request on a kept-alive connection is answered by `onStopping`, or
   * served with `Connection: close`. Idempotent.
   */
  stop(): Promise<void>;
}

/** How often `stop()` closes the connections that went idle. */
const SWEEP_MS = 25;

/**
 * Starts a node:http service on `host:port`. Bind safety (`assertSafeBind`) and
 * authentication (`bearerAuth`) are the caller's, before and inside `handler`.
 */
export function startHttpService(opts: HttpServiceOptions): Promise<HttpService> {
  let stopping = false;
  const fail = (err: unknown, req: http.IncomingMessage, res: http.ServerResponse) => {
    if (opts.onError) return opts.onError(err, req, res);
    if (!res.headersSent) sendError(res, err);
    else res.destroy();
  };
  const server = http.createServer((req, res) => {
    let handler = opts.handler;
    if (stopping) {
      // The answer ends the connection, so a client that keeps sending cannot hold the stop open.
      res.setHeader('connection', 'close');
      if (opts.onStopping) handler = opts.onStopping;
    }
    try {
      const p = handler(req, res);
      if (p) p.catch((err: unknown) => fail(err, req, res));
    } catch (err) {
      fail(err, req, res);
    }
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  server.requestTimeout = opts.requestTimeoutMs ?? 60_000;
  server.headersTimeout = Math.min(server.requestTimeout, 60_000);
  const deadlineMs = opts.stopDeadlineMs ?? 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      let stopped: Promise<void> | null = null;
      resolve({
        url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        host: a.address,
        port: a.port,
        server,
        get stopping() {
          return stopping;
        },
        stop: () =>
          (stopped ??= new Promise<void>((done) => {
            stopping = true;
            const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
            const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
            server.close(() => {
              clearInterval(sweep);
              clearTimeout(deadline);
              done();
            });
            server.closeIdleConnections();
          })),
      });
    });
  });
}
