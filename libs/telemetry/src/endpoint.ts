/**
 * Where spans would be exported, read from the environment without zod or any
 * OpenTelemetry code: every CLI run asks this first (run.ts), and a run that
 * exports nothing (`govern --version`, any command without an endpoint) should
 * load nothing more. config.ts validates what it finds.
 */

type Env = Record<string, string | undefined>;

/** The variable is set to something other than blanks. */
export const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
const isOff = (v: string | undefined) => isSet(v) && ['0', 'false', 'off', 'no', 'none'].includes(v.trim().toLowerCase());

/** The traces URL as configured, and the variable it came from. */
export interface TracesEndpoint {
  url: string;
  source: string;
}

/**
 * The traces endpoint, or null when export is off (see `telemetryConfigFromEnv`
 * for the precedence). Not validated: the URL is as written, with `/v1/traces`
 * appended to a base URL.
 */
export function tracesEndpointFromEnv(env: Env): TracesEndpoint | null {
  if (isOff(env.GOVERN_TELEMETRY) || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || isOff(env.OTEL_TRACES_EXPORTER)) return null;
  if (isSet(env.GOVERN_OTLP_ENDPOINT)) return { url: withTracesPath(env.GOVERN_OTLP_ENDPOINT), source: 'GOVERN_OTLP_ENDPOINT' };
  if (isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) return { url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.trim(), source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  if (isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT)) return { url: withTracesPath(env.OTEL_EXPORTER_OTLP_ENDPOINT), source: 'OTEL_EXPORTER_OTLP_ENDPOINT' };
  return null;
}

/** The OTLP/HTTP rule for base endpoints: the signal path is appended to whatever path is there. */
function withTracesPath(base: string): string {
  const b = base.trim();
  return `${b.endsWith('/') ? b.slice(0, -1) : b}/v1/traces`;
}
