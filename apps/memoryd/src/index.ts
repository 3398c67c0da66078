/**
 * @govern/memoryd: the OTLP/HTTP receiver, the memory API over HTTP and the
 * only read-write owner of the memory store. `startMemoryd` runs it in
 * process; `src/main.ts` is the daemon's command line (bundled to
 * `dist/memoryd.mjs`).
 */
export { AlertMonitor } from './alerts.js';
export type { AlertEvent, AlertHooksConfig, AlertSample } from './alerts.js';
export { handleApi, isApiPath } from './api.js';
export type { ApiContext } from './api.js';
export { MemorydConfigSchema, parseBytes, parseDuration, resolveConfig } from './config.js';
export type { MemorydConfig, MemorydConfigInput } from './config.js';
export { startMemoryd } from './daemon.js';
export type { Memoryd, MemorydHooks } from './daemon.js';
export { healthReport, sampleAlerts } from './health.js';
export type { HealthSources } from './health.js';
export { RetentionScheduler } from './retention.js';
export { startServer } from './server.js';
export type { RunningServer, ServerOptions } from './server.js';
export {
  CONTENT_TYPES,
  DecodeError,
  PAYLOAD_KIND,
  decodeJsonTraces,
  decodePayload,
  decodeProtobufTraces,
  decodeSpooled,
  encodeSpooled,
  exportResponse,
  SPOOLED_KIND,
  statusResponse,
  wireOf,
} from './otlp/index.js';
export type { Wire } from './otlp/index.js';
