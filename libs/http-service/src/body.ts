import type http from 'node:http';
import { PayloadTooLargeError, RequestAbortedError, RequestTimeoutError } from './errors.js';

export interface ReadBodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** The whole body must arrive within this time (default 30 s). */
  timeoutMs?: number;
}

/** Default of {@link ReadBodyOptions.timeoutMs}. */
export const BODY_TIMEOUT_MS = 30_000;

/**
 * The whole request body. Over `limit` it rejects with {@link PayloadTooLargeError}
 * (413) once the client has finished sending — the rest is read and dropped, never
 * kept, so the client is not cut off mid-upload and does read the answer; a client that
 * goes away first rejects it with {@link RequestAbortedError}; one too slow to finish
 * within `timeoutMs` with {@link RequestTimeoutError} (408; the caller answers it with
 * `Connection: close`, see `sendError`).
 */
export function readBody(req: http.IncomingMessage, opts: ReadBodyOptions): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? BODY_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) {
        // Keep draining (and dropping) whatever still arrives, so the socket stays readable for the answer.
        req.resume();
        reject(err);
      } else resolve(body!);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= opts.limit) chunks.push(c);
      else chunks.length = 0;
    };
    const onEnd = () => {
      if (size > opts.limit) finish(new PayloadTooLargeError(opts.limit));
      else finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => finish(new RequestAbortedError(err));
    // 'close' without 'end': the client went away mid-body (Node emits 'error' first, but not always).
    const onClose = () => (req.complete ? onEnd() : finish(new RequestAbortedError()));
    const timer = setTimeout(() => finish(new RequestTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    if (req.readableEnded) return finish(null, Buffer.alloc(0));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
