import { z } from 'zod';
import { isSet, tracesEndpointFromEnv } from './endpoint.js';

/** The OTLP/HTTP encodings govern exports with. gRPC is not supported (the CLI ships no gRPC stack). */
export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** Export configuration, resolved from the environment by {@link telemetryConfigFromEnv}. */
export const TelemetryConfigSchema = z.object({
  /** The full URL spans are POSTed to (`…/v1/traces`). */
  url: z.url(),
  protocol: z.enum(PROTOCOLS),
  /** The longest a command waits, at its end, for its spans to be exported. */
  flushTimeoutMs: z.int().min(1).max(60_000),
});
export type TelemetryConfig = z.infer<typeof TelemetryConfigSchema>;

/** `config` is null when export is off; `warnings` explain a setting that was ignored. */
export interface ResolvedTelemetry {
  config: TelemetryConfig | null;
  warnings: string[];
}

export const DEFAULT_FLUSH_TIMEOUT_MS = 500;

type Env = Record<string, string | undefined>;

/**
 * Export is off unless an endpoint is configured. In order of precedence:
 *
 * - `GOVERN_TELEMETRY=off` (or `0`/`false`), `OTEL_SDK_DISABLED=true` or
 *   `OTEL_TRACES_EXPORTER=none`: off, whatever else is set;
 * - `GOVERN_OTLP_ENDPOINT` (a base URL: `/v1/traces` is appended), then
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), then
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL);
 * - `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`:
 *   `http/protobuf` (the default, as in the OTel spec) or `http/json`;
 * - `GOVERN_OTLP_FLUSH_TIMEOUT_MS`: the flush bound (default 500).
 *
 * Headers (`OTEL_EXPORTER_OTLP_HEADERS`, …) and compression are read by the
 * OTel exporter itself. A setting that cannot be used turns export off (or
 * falls back to the default) with a warning; it never fails the command.
 */
export function telemetryConfigFromEnv(env: Env): ResolvedTelemetry {
  const warnings: string[] = [];
  const endpoint = tracesEndpointFromEnv(env);
  if (!endpoint) return { config: null, warnings };
  const { url, source } = endpoint;

  const rawProtocol = (isSet(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ? env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL : env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() || 'http/protobuf';
  if (!(PROTOCOLS as readonly string[]).includes(rawProtocol)) {
    warnings.push(`OTLP protocol "${rawProtocol}" is not supported (use ${PROTOCOLS.join(' or ')}); spans are not exported`);
    return { config: null, warnings };
  }

  let flushTimeoutMs = DEFAULT_FLUSH_TIMEOUT_MS;
  if (isSet(env.GOVERN_OTLP_FLUSH_TIMEOUT_MS)) {
    const n = Number(env.GOVERN_OTLP_FLUSH_TIMEOUT_MS);
    if (Number.isInteger(n) && n >= 1 && n <= 60_000) flushTimeoutMs = n;
    else warnings.push(`GOVERN_OTLP_FLUSH_TIMEOUT_MS=${env.GOVERN_OTLP_FLUSH_TIMEOUT_MS} is not an integer from 1 to 60000; using ${DEFAULT_FLUSH_TIMEOUT_MS}`);
  }

  const parsed = TelemetryConfigSchema.safeParse({ url, protocol: rawProtocol, flushTimeoutMs });
  if (!parsed.success || !/^https?:$/.test(new URL(url).protocol)) {
    warnings.push(`${source}=${url} is not an http(s) URL; spans are not exported`);
    return { config: null, warnings };
  }
  return { config: parsed.data, warnings };
}
