import { describe, expect, it } from 'vitest';
import { telemetryConfigFromEnv } from './config.js';

describe('telemetryConfigFromEnv', () => {
  it('is off without an endpoint', () => {
    expect(telemetryConfigFromEnv({})).toEqual({ config: null, warnings: [] });
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toEqual({ config: null, warnings: [] });
  });

  it('appends /v1/traces to a base endpoint; protobuf and 500 ms by default', () => {
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' })).toEqual({
      config: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/protobuf', flushTimeoutMs: 500 },
      warnings: [],
    });
  });

  it('GOVERN_OTLP_ENDPOINT wins over the OTel variables; the traces endpoint is used as is', () => {
    expect(
      telemetryConfigFromEnv({
        GOVERN_OTLP_ENDPOINT: 'http://127.0.0.1:9/base',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:8/custom',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:7',
      }).config?.url,
    ).toBe('http://127.0.0.1:9/base/v1/traces');
    expect(
      telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:8/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:7' }).config?.url,
    ).toBe('http://127.0.0.1:8/custom');
  });

  it('reads the protocol (traces-specific first) and the flush timeout', () => {
    expect(
      telemetryConfigFromEnv({
        GOVERN_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        GOVERN_OTLP_FLUSH_TIMEOUT_MS: '250',
      }),
    ).toEqual({ config: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/json', flushTimeoutMs: 250 }, warnings: [] });
  });

  it('the off switches win over an endpoint', () => {
    const endpoint = { GOVERN_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    for (const off of [{ GOVERN_TELEMETRY: 'off' }, { GOVERN_TELEMETRY: '0' }, { OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
      expect(telemetryConfigFromEnv({ ...endpoint, ...off })).toEqual({ config: null, warnings: [] });
    }
  });

  it('an unusable setting is a warning, never an error', () => {
    expect(telemetryConfigFromEnv({ GOVERN_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual({
      config: null,
      warnings: ['OTLP protocol "grpc" is not supported (use http/protobuf or http/json); spans are not exported'],
    });
    expect(telemetryConfigFromEnv({ GOVERN_OTLP_ENDPOINT: 'not a url' })).toEqual({
      config: null,
      warnings: ['GOVERN_OTLP_ENDPOINT=not a url/v1/traces is not an http(s) URL; spans are not exported'],
    });
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://example.org/x' }).warnings).toEqual([
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=ftp://example.org/x is not an http(s) URL; spans are not exported',
    ]);
    expect(telemetryConfigFromEnv({ GOVERN_OTLP_ENDPOINT: 'http://127.0.0.1:4318', GOVERN_OTLP_FLUSH_TIMEOUT_MS: 'soon' })).toEqual({
      config: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/protobuf', flushTimeoutMs: 500 },
      warnings: ['GOVERN_OTLP_FLUSH_TIMEOUT_MS=soon is not an integer from 1 to 60000; using 500'],
    });
  });
});
