/**
 * @govern/memoryd: the OTLP/HTTP receiver and the only read-write owner of
 * the memory store. `startMemoryd` runs it in process; `src/main.ts` is the
 * daemon's command line (bundled to `dist/memoryd.mjs`).
 */
export { MemorydConfigSchema, resolveConfig } from './config.js';
export type { MemorydConfig, MemorydConfigInput } from './config.js';
export { startMemoryd } from './daemon.js';
export type { Memoryd, MemorydHooks } from './daemon.js';
export { startServer } from './server.js';
export type { RunningServer, ServerOptions } from './server.js';
export {
  CONTENT_TYPES,
  DecodeError,
  PAYLOAD_KIND,
  decodeJsonTraces,
  decodePayload,
  decodeProtobufTraces,
  exportResponse,
  statusResponse,
  wireOf,
} from './otlp/index.js';
export type { Wire } from './otlp/index.js';
