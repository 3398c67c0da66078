import type http from 'node:http';
import { HttpError } from '@govern/http-service';
import { isApiPath, sendApiError } from './api.js';
import { CONTENT_TYPES, RPC, statusResponse, wireOf } from './otlp/index.js';

/**
 * memoryd's bearer token. With one configured, every request — OTLP ingest,
 * the memory API, health — must carry `Authorization: Bearer <token>`
 * (exporters send it through OTEL_EXPORTER_OTLP_HEADERS); without one, memoryd
 * listens on loopback only. The rule and the check are the kernel's
 * (@govern/http-service: `assertSafeBind` in config.ts, `bearerAuth` in
 * daemon.ts), the same as StateHub's: a store reachable from the network must not
 * be readable or writable by anyone who can reach it. What is memoryd's own is the
 * refusal, in the encoding of the path.
 */

const WHY = 'missing or wrong bearer token: send Authorization: Bearer <token> (for an OTLP exporter, OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20<token>)';

/** 401 with `WWW-Authenticate: Bearer`: the API's envelope (`unauthorized`) on its paths, a google.rpc.Status (code 16) on the OTLP ones. */
export function refuseUnauthorized(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): void {
  req.resume();
  res.setHeader('WWW-Authenticate', 'Bearer realm="memoryd"');
  if (isApiPath(pathname)) return sendApiError(res, new HttpError('unauthorized', WHY));
  const wire = wireOf(req.headers['content-type']) ?? 'json';
  const body = statusResponse(wire, RPC.unauthenticated, WHY);
  res.writeHead(401, { 'Content-Type': CONTENT_TYPES[wire], 'Content-Length': body.length });
  res.end(body);
}
