/**
 * @govern/http-service — the one HTTP kernel of govern's services (memoryd,
 * StateHub, the service runner), on node:http: loopback detection, bind safety
 * and bearer auth, size-limited bodies, the error envelope with its status table,
 * a graceful stop that kept-alive clients cannot hold open, the run of a service
 * from start to SIGINT/SIGTERM (runService), and the OpenAPI document built from
 * zod schemas.
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
export { OpenApiComponents, openApiDocument, openApiJson, type Json, type JsonObject, type OpenApiComponentsOptions, type OpenApiDocumentOptions } from './openapi.js';
export { isListenFailure, runService, type RunnableService, type RunServiceOptions, type RunServiceResult } from './run.js';
