import type http from 'node:http';
import zlib from 'node:zlib';
import { HttpError, PayloadTooLargeError, readBody, RequestAbortedError, RequestTimeoutError, startHttpService } from '@govern/http-service';
import { BackpressureError, PoisonFrameError, type DecodedTraces, type Ingestor, type Redactor } from '@govern/memory-store';
import { handleApi, isApiPath, sendApiError, type ApiContext } from './api.js';
import { refuseUnauthorized } from './auth.js';
import {
  CONTENT_TYPES,
  countSignal,
  DecodeError,
  decodeJsonTraces,
  decodeProtobufTraces,
  encodeSpooled,
  exportResponse,
  PAYLOAD_KIND,
  RPC,
  SPOOLED_KIND,
  statusResponse,
  wireOf,
  type DecodeInfo,
  type DroppedSignal,
  type Signal,
  type SignalCount,
  type Wire,
} from './otlp/index.js';

export interface ServerOptions {
  ingestor: Ingestor;
  /** Applied to every decoded payload before it is spooled. */
  redactor: Redactor;
  /** The memory API (api.ts). */
  api: ApiContext;
  host: string;
  port: number;
  /** Largest accepted request body, after decompression. */
  maxBodyBytes: number;
  /** When set, a request it refuses gets 401 before anything else is read (`bearerAuth` of @govern/http-service). */
  authorized?: ((req: http.IncomingMessage) => boolean) | null;
  log: (line: string) => void;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The OTLP/HTTP receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 *
 * - `POST /v1/traces` with `application/x-protobuf` or `application/json`,
 *   optionally `Content-Encoding: gzip`: 200 with an ExportTraceServiceResponse
 *   once the payload is durable in the spool (partial success names the
 *   rejected spans); 400 with a google.rpc.Status when the body cannot be
 *   decoded or every span in it was invalid, or it can never be ingested
 *   (exporters do not retry 400); 413 over the size limit; 415 for another
 *   content type or encoding; 503 with `Retry-After` only for what is
 *   transient — the ingest queue is full, a spool write failed, stopping
 *   (exporters retry 503).
 * - `POST /v1/metrics`, `/v1/logs`: read and refused as traces are (405,
 *   415, 413, 400 when not an export request of that signal), else 200 with a
 *   partial success rejecting every data point or log record: memoryd stores
 *   traces only, and says so in the answer instead of failing the export
 *   (otlp/signals.ts, docs/memory.md#metrics-and-logs).
 * - `GET /health` and `/v1/memory/*`: the memory API (api.ts).
 * - With a token configured, any request without it: 401 with
 *   `WWW-Authenticate: Bearer` (a google.rpc.Status, code 16, for OTLP
 *   paths; the API's error envelope, code `unauthorized`, for the API).
 *
 * Redaction comes between decoding and the spool, so no secret of a payload
 * reaches the disk: the spool frame is the redacted spans in memoryd's own
 * encoding (otlp/spooled.ts), except for a protobuf payload in which
 * redaction changed nothing and every string is one the decoded spans show
 * (DecodeInfo.opaque 0, nothing rejected): its bytes say nothing more than
 * the redacted spans, and are spooled as received (the encoding costs more
 * CPU than anything else between the request and the spool, and the bytes
 * are ~20% smaller).
 *
 * Permanent and transient failures are kept apart. Decoding, validation,
 * redaction and the spool encoding are functions of the payload, bounded
 * (MAX_ATTRIBUTE_DEPTH, the body size) and run before the payload is given a
 * seq: whatever they throw, the same bytes would throw again, so it is 400 and
 * nothing is spooled. If a payload fails after it was spooled (its facts
 * cannot be made), it is 400 as well, and the ingest loop quarantines the
 * frame and moves past it (libs/memory-store ingest.ts).
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const service = await startHttpService({
    host: opts.host,
    port: opts.port,
    handler: (req, res) => handle(req, res, opts),
    // Requests already being handled finish (a payload made durable is acknowledged); any
    // later one, also on a kept-alive connection, is refused with 503 and Connection: close,
    // so an exporter that keeps sending cannot hold the stop open (the kernel closes the
    // connections as they go idle).
    onStopping: refuseWhileClosing,
    onError: (err, _req, res) => {
      opts.log(`memoryd: internal error: ${(err as Error)?.stack ?? String(err)}`);
      if (!res.headersSent) send(res, 500, 'json', statusResponse('json', RPC.internal, 'internal error'));
      else res.destroy();
    },
    // Exporters keep connections alive between batches.
    keepAliveTimeoutMs: 30_000,
  });
  return { url: service.url, close: () => service.stop() };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: ServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://memoryd');
  if (opts.authorized && !opts.authorized(req)) return refuseUnauthorized(req, res, url.pathname);
  if (isApiPath(url.pathname)) return handleApi(req, res, url.pathname, opts.api);
  const signal = SIGNAL_PATHS[url.pathname];
  if (!signal) {
    req.resume();
    return send(res, 404, 'json', statusResponse('json', RPC.unimplemented, `no route ${req.method} ${url.pathname}`));
  }
  const payload = await readPayload(req, res, opts);
  if (!payload) return;
  if (signal !== 'traces') return dropSignal(res, signal, payload.wire, payload.body, opts);
  const { wire, body } = payload;
  let decoded: DecodedTraces;
  let frame: { kind: number; body: Buffer } | null = null;
  const info: DecodeInfo = { opaque: 0 };
  try {
    decoded = wire === 'json' ? decodeJsonTraces(body) : decodeProtobufTraces(body, info);
    if (decoded.spans > 0) {
      const redacted = opts.redactor.traces(decoded);
      // The bytes received are spooled as they are only when they hold nothing the decoded,
      // redacted spans do not: protobuf (its strings are raw bytes; JSON could spell a secret
      // with \u escapes), no value redacted, no span rejected, no text the decoder skipped.
      const verbatim = wire === 'protobuf' && redacted === 0 && decoded.rejected === 0 && info.opaque === 0;
      frame = verbatim ? { kind: PAYLOAD_KIND.protobuf, body } : { kind: SPOOLED_KIND, body: encodeSpooled(decoded) };
    }
  } catch (err) {
    // A DecodeError is the payload's fault by design; anything else thrown here is too (these
    // steps depend on the bytes alone), and would be thrown again on a retry: 400 either way.
    if (!(err instanceof DecodeError)) opts.log(`memoryd: payload refused, it cannot be processed: ${(err as Error)?.stack ?? String(err)}`);
    const why = err instanceof DecodeError ? err.message : `payload cannot be processed: ${(err as Error)?.message ?? String(err)}`;
    return send(res, 400, wire, statusResponse(wire, RPC.invalidArgument, why));
  }
  if (!frame) {
    if (decoded.rejected > 0) return send(res, 400, wire, statusResponse(wire, RPC.invalidArgument, `every span was rejected: ${decoded.errors.join('; ')}`));
    return send(res, 200, wire, exportResponse(wire, 0, ''));
  }
  try {
    await opts.ingestor.submit(frame.kind, frame.body, decoded);
  } catch (err) {
    if (err instanceof PoisonFrameError) {
      // Durable, but its facts cannot be made: never ingestible, so not retryable. Quarantined.
      opts.log(`memoryd: payload refused after it was spooled; frame ${err.seq} is quarantined: ${err.reason}`);
      return send(res, 400, wire, statusResponse(wire, RPC.invalidArgument, `payload cannot be ingested (quarantined as frame ${err.seq}): ${err.reason}`));
    }
    // Not durable, so not acknowledged: a retryable answer.
    if (!(err instanceof BackpressureError)) opts.log(`memoryd: spool write failed: ${(err as Error).message}`);
    res.setHeader('Retry-After', '1');
    return send(res, 503, wire, statusResponse(wire, RPC.unavailable, (err as Error).message));
  }
  return send(res, 200, wire, exportResponse(wire, decoded.rejected, decoded.errors.join('; ')));
}

/** The OTLP paths and their signals. */
const SIGNAL_PATHS: Record<string, Signal | undefined> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };

/**
 * An OTLP request's body, decompressed, with its encoding; or null once the
 * refusal is sent (method, content type, encoding, size, time), the same for
 * every signal.
 */
async function readPayload(req: http.IncomingMessage, res: http.ServerResponse, opts: ServerOptions): Promise<{ wire: Wire; body: Buffer } | null> {
  if (req.method !== 'POST') {
    req.resume();
    res.setHeader('Allow', 'POST');
    return send(res, 405, 'json', statusResponse('json', RPC.invalidArgument, 'use POST')), null;
  }
  const wire = wireOf(req.headers['content-type']);
  if (!wire) {
    req.resume();
    return send(res, 415, 'json', statusResponse('json', RPC.invalidArgument, `unsupported content type ${req.headers['content-type'] ?? '(none)'}; use application/x-protobuf or application/json`)), null;
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    req.resume();
    return send(res, 415, wire, statusResponse(wire, RPC.invalidArgument, `unsupported content encoding ${encoding}`)), null;
  }
  let body: Buffer;
  try {
    body = await readBody(req, { limit: opts.maxBodyBytes });
  } catch (err) {
    if (err instanceof RequestAbortedError) return res.destroy(), null;
    if (err instanceof PayloadTooLargeError) return send(res, 413, wire, statusResponse(wire, RPC.invalidArgument, err.message), true), null;
    if (err instanceof RequestTimeoutError) return send(res, 408, wire, statusResponse(wire, RPC.invalidArgument, err.message), true), null;
    throw err;
  }
  if (encoding === 'gzip') {
    try {
      body = zlib.gunzipSync(body, { maxOutputLength: opts.maxBodyBytes });
    } catch (err) {
      const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      return send(res, tooBig ? 413 : 400, wire, statusResponse(wire, RPC.invalidArgument, tooBig ? `body exceeds ${opts.maxBodyBytes} bytes` : 'body is not valid gzip')), null;
    }
  }
  return { wire, body };
}

/** The partial-success message of a dropped signal: what an exporter's diagnostics show. */
export const DROPPED_MESSAGE: Record<DroppedSignal, string> = {
  metrics: 'memoryd stores traces only: metric data points are not stored (see docs/memory.md#metrics-and-logs); send metrics to another OTLP backend, or set OTEL_METRICS_EXPORTER=none',
  logs: 'memoryd stores traces only: log records are not stored (see docs/memory.md#metrics-and-logs); send logs to another OTLP backend, or set OTEL_LOGS_EXPORTER=none',
};

/** Per server, the (signal, service) pairs already named in its log: one line each, not one per export (bounded). */
const announcedBy = new WeakMap<ServerOptions, Set<string>>();
const MAX_ANNOUNCED = 256;

/**
 * `/v1/metrics` and `/v1/logs`: 200 with a partial success that rejects every
 * data point or log record and says why (otlp/signals.ts, docs/memory.md). The
 * exporter treats it as delivered (no retry, no failed export); nothing of the
 * payload is stored. memoryd logs each sending service once per signal.
 */
function dropSignal(res: http.ServerResponse, signal: DroppedSignal, wire: Wire, body: Buffer, opts: ServerOptions): void {
  let count: SignalCount;
  try {
    count = countSignal(signal, wire, body);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return send(res, 400, wire, statusResponse(wire, RPC.invalidArgument, err.message));
  }
  let announced = announcedBy.get(opts);
  if (!announced) announcedBy.set(opts, (announced = new Set()));
  for (const service of count.services.length ? count.services : ['(no service.name)']) {
    const key = `${signal}\u0000${service}`;
    if (announced.has(key) || announced.size >= MAX_ANNOUNCED) continue;
    announced.add(key);
    // Only the service's name, never a value of the payload (redaction does not run on what is dropped).
    opts.log(`memoryd: ${signal} from ${JSON.stringify(opts.redactor.text(service))} are answered as dropped (partial success): memoryd stores traces only`);
  }
  send(res, 200, wire, exportResponse(wire, count.items, count.items > 0 ? DROPPED_MESSAGE[signal] : '', signal));
}

/** 503 (+ Connection: close), in the encoding of the path (exporters retry 503). */
function refuseWhileClosing(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  res.setHeader('Retry-After', '1');
  const pathname = new URL(req.url ?? '/', 'http://memoryd').pathname;
  // The kernel adds Connection: close to every answer while stopping.
  if (isApiPath(pathname)) return sendApiError(res, new HttpError('unavailable', 'memoryd is stopping'));
  const wire = wireOf(req.headers['content-type']) ?? 'json';
  send(res, 503, wire, statusResponse(wire, RPC.unavailable, 'memoryd is stopping'), true);
}

function send(res: http.ServerResponse, status: number, wire: Wire, body: Buffer, close = false): void {
  res.writeHead(status, { 'Content-Type': CONTENT_TYPES[wire], 'Content-Length': body.length, ...(close ? { Connection: 'close' } : {}) });
  res.end(body);
}
