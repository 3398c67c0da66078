/**
 * @govern/http-service — the one HTTP kernel of govern's services (memoryd,
 * StateHub), on node:http alone: loopback detection, bind safety and bearer auth,
 * size-limited bodies, the error envelope with its status table, and a graceful stop
 * that kept-alive clients cannot hold open.
 */
export { isLoopback, isLoopbackUrl } from './loopback.js';
export { assertSafeBind, bearerAuth, MIN_TOKEN_BYTES } from './auth.js';
export { BODY_TIMEOUT_MS, readBody, type ReadBodyOptions } from './body.js';
export {
  errorEnvelope,
  HTTP_STATUS,
  HttpError,
  PayloadTooLargeError,
  RequestAbortedError,
  RequestTimeoutError,
  statusForCode,
  statusOf,
  UnsafeBindError,
  type ErrorEnvelope,
  type HttpErrorOptions,
} from './errors.js';
export { sendError, sendJson, type SendErrorOptions } from './respond.js';
export { startHttpService, type HttpService, type HttpServiceOptions, type RequestHandler } from './server.js';
