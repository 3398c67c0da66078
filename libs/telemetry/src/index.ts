/**
 * @govern/telemetry: OpenTelemetry for govern. Spans for every CLI stage with
 * run-level correlation attributes, exported over OTLP/HTTP only when an
 * endpoint is configured, flushed within a bounded timeout. Importing this
 * entry point loads no OpenTelemetry code; a started run loads the SDK.
 */
export { ATTR, GUARD_DENIED_EVENT, POLICY_DENIAL_CODES, STAGES, outcomeOfChecks, outcomeOfError } from './attributes.js';
export type { AttributeValue, Attributes, Outcome, Stage } from './attributes.js';
export { DEFAULT_FLUSH_TIMEOUT_MS, PROTOCOLS, TelemetryConfigSchema, telemetryConfigFromEnv } from './config.js';
export type { ResolvedTelemetry, TelemetryConfig } from './config.js';
export {
  phaseTrace,
  recordRunError,
  runAttributes,
  setRunAttributes,
  stageOfPhase,
  startTelemetry,
  stopTelemetry,
  telemetryActive,
  withRunTelemetry,
  withSpan,
} from './run.js';
export type { RunAttributes, StageSpan, TelemetryOptions } from './run.js';
