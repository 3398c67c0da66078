import { context, SpanStatusCode, trace, type Span as ApiSpan, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR, GUARD_DENIED_EVENT, outcomeOfError, type Attributes, type Outcome } from './attributes.js';
import type { TelemetryConfig } from './config.js';

/**
 * The only file that loads OpenTelemetry. `run.ts` imports it dynamically, and
 * only when export is configured, so a command without telemetry loads none
 * of it (in the CLI bundle it is its own chunk, ~3 MB, ~100 ms to load).
 *
 * What it hides, and why:
 *
 * - **NodeSDK defaults.** Without explicit options NodeSDK also builds an OTLP
 *   *metrics* reader and an OTLP *logs* exporter from the environment. Both are
 *   turned off (`metricReaders: []`, `logRecordProcessors: []`): govern exports
 *   traces only. Resource detection stays on (env, process, host): those
 *   attributes are useful in a backend, and memoryd keeps the volatile ones
 *   (`process.pid`, `host.id`, …) out of every key.
 * - **Shutdown is the flush.** `NodeSDK.shutdown()` flushes the batch
 *   processor and shuts the exporter down. It can take as long as the
 *   exporter's timeout and its retries (which the exporter bounds by a deadline
 *   of `timeoutMillis`), so both the exporter and the processor get the flush
 *   timeout, and {@link SdkHandle.shutdown} races the whole shutdown against it
 *   as well. Export errors go to OTel's global error handler, which logs
 *   through `diag`: silent unless `OTEL_LOG_LEVEL` is set. Nothing throws.
 * - **Late run attributes.** The run's correlation attributes must be on every
 *   span, but the document id of an item is known only once the workspace is
 *   read, after the read-path spans ended. Ended SDK spans are immutable
 *   (`setAttribute` after `end()` is ignored), so {@link RunSpanProcessor}
 *   holds ended spans and hands the exporter a view of each with the run's
 *   attributes as they are at export time.
 * - **Globals.** `NodeSDK.start()` registers the API's global tracer provider
 *   and context manager, and `shutdown()` leaves them registered, so a second
 *   start in the same process would be refused ("duplicate registration").
 *   {@link SdkHandle.shutdown} unregisters them.
 */
export interface SdkHandle {
  /** Runs `fn` inside a new active span; records an error or outcome on it; always ends it. */
  active<T>(name: string, attributes: Attributes, fn: (span: ApiSpan) => Promise<T>, outcome?: (result: T) => Outcome | undefined): Promise<T>;
  /** A span that already happened: it ended now and lasted `ms`. Parent: the active span. */
  past(name: string, attributes: Attributes, ms: number): void;
  /** Records a failure or denial on the active span (the run span, outside any stage). */
  record(outcome: Outcome): void;
  /** Merged into every span's attributes (at start when known, else at export). */
  setRunAttributes(attributes: Attributes): void;
  /** Flushes and shuts down; resolves to false when the flush did not finish within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<boolean>;
}

export interface StartSdkOptions {
  config: TelemetryConfig;
  runAttributes: Attributes;
  serviceName: string;
  serviceVersion?: string;
}

/** Starts the SDK with an OTLP/HTTP exporter (protobuf or JSON) and returns the handle the run uses. */
export function startSdk(opts: StartSdkOptions): SdkHandle {
  const { config } = opts;
  const exporterOptions = { url: config.url, timeoutMillis: config.flushTimeoutMs };
  const exporter = config.protocol === 'http/json' ? new JsonTraceExporter(exporterOptions) : new ProtobufTraceExporter(exporterOptions);
  const runAttributes: Attributes = { ...opts.runAttributes };
  const processor = new RunSpanProcessor(
    new BatchSpanProcessor(exporter, { exportTimeoutMillis: config.flushTimeoutMs, scheduledDelayMillis: 1000, maxExportBatchSize: 512 }),
    runAttributes,
  );
  const sdk = new NodeSDK({
    serviceName: opts.serviceName,
    resource: resourceFromAttributes(opts.serviceVersion ? { 'service.version': opts.serviceVersion } : {}),
    spanProcessors: [processor],
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: null,
  });
  sdk.start();
  const tracer: Tracer = trace.getTracer('govern', opts.serviceVersion);

  return {
    active(name, attributes, fn, outcome) {
      return tracer.startActiveSpan(name, { attributes: clean(attributes) }, async (span) => {
        try {
          const result = await fn(span);
          const o = outcome?.(result);
          if (o) recordOutcome(span, o);
          return result;
        } catch (err) {
          recordOutcome(span, outcomeOfError(err), err);
          throw err;
        } finally {
          span.end();
        }
      });
    },
    past(name, attributes, ms) {
      const end = performance.now();
      tracer.startSpan(name, { attributes: clean(attributes), startTime: end - ms }, context.active()).end(end);
    },
    record(outcome) {
      const span = trace.getActiveSpan();
      if (span) recordOutcome(span, outcome);
    },
    setRunAttributes(attributes) {
      Object.assign(runAttributes, attributes);
    },
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const done = sdk.shutdown().then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([done, timedOut]);
      } finally {
        clearTimeout(timer);
        // The API's globals outlive the SDK: unregister them so a later run in
        // this process (tests, a long-lived host) can register its own.
        trace.disable();
        context.disable();
      }
    },
  };
}

/**
 * A failure sets `failure_reason_code` and the error status (and the exception
 * event, for a thrown error); a denial sets `policy_reason_code` and adds a
 * `guard.denied` event. Neither ever overwrites the other.
 */
function recordOutcome(span: ApiSpan, o: Outcome, err?: unknown): void {
  if (o.failure) {
    span.setAttribute(ATTR.failureReasonCode, o.failure.code);
    if (err instanceof Error) span.recordException(err);
  }
  if (o.denial) {
    span.setAttribute(ATTR.policyReasonCode, o.denial.code);
    span.addEvent(GUARD_DENIED_EVENT, { [ATTR.policyReasonCode]: o.denial.code, ...(o.denial.message ? { message: o.denial.message } : {}) });
  }
  const message = o.failure?.message ?? o.denial?.message;
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
}

function clean(a: Attributes): Record<string, Exclude<Attributes[string], undefined>> {
  const out: Record<string, Exclude<Attributes[string], undefined>> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Stamps the run's attributes on spans and forwards ended spans to the batch
 * processor. Ended spans are held until a flush (or 256 of them, for a
 * long-running command) so the attributes known by then reach every span.
 */
class RunSpanProcessor implements SpanProcessor {
  private pending: ReadableSpan[] = [];

  constructor(
    private readonly next: SpanProcessor,
    private readonly run: Attributes,
  ) {}

  onStart(span: Span, parentContext: Parameters<SpanProcessor['onStart']>[1]): void {
    span.setAttributes(clean(this.run));
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.pending.push(span);
    if (this.pending.length >= 256) this.forward();
  }

  async forceFlush(): Promise<void> {
    this.forward();
    await this.next.forceFlush();
  }

  async shutdown(): Promise<void> {
    this.forward();
    await this.next.shutdown();
  }

  private forward(): void {
    const run = clean(this.run);
    for (const span of this.pending.splice(0)) {
      const missing = Object.keys(run).some((k) => span.attributes[k] !== run[k]);
      // A view, not a copy: the exporter reads spanContext(), times, events … through the prototype.
      const view: ReadableSpan = missing ? Object.create(span, { attributes: { value: { ...span.attributes, ...run }, enumerable: true } }) : span;
      this.next.onEnd(view);
    }
  }
}
