import { ATTR, outcomeOfError, type Attributes, type Outcome, type Stage } from './attributes.js';
import type { TelemetryConfig } from './config.js';
import { tracesEndpointFromEnv } from './endpoint.js';
import type { SdkHandle } from './sdk.js';

/**
 * The run: one CLI invocation. This module is what commands import, and it
 * imports nothing of OpenTelemetry: while no run is started (export not
 * configured, or a test calling `runCli` in process) every helper is a direct
 * call of its function. The SDK is loaded by {@link startTelemetry} with a
 * dynamic import, and only when an endpoint is configured.
 *
 * It is also the package's `@govern/telemetry/run` entry: the CLI binary imports
 * it there, not through the index, so that a run exporting nothing loads neither
 * the SDK nor the zod-validated configuration (config.ts, imported dynamically
 * once endpoint.ts has found an endpoint).
 */
interface ActiveRun {
  sdk: SdkHandle;
  config: TelemetryConfig;
  attributes: RunAttributes;
}

let active: ActiveRun | null = null;

/** The run-level correlation attributes (see `ATTR`): on every span of the run. */
export interface RunAttributes {
  runId: string;
  command?: string;
  itemId?: string;
  documentId?: string;
}

export interface TelemetryOptions {
  env: Record<string, string | undefined>;
  /** Where a configuration warning goes (the CLI writes it to stderr). */
  warn?: (message: string) => void;
  serviceName?: string;
  serviceVersion?: string;
  /** A run id to use instead of a fresh UUID (tests). */
  runId?: string;
}

/** What a stage's function may add to its span. A no-op while no run is active. */
export interface StageSpan {
  setAttributes(attributes: Attributes): void;
}

const NOOP_SPAN: StageSpan = { setAttributes() {} };

/**
 * Starts a run when export is configured: loads the SDK, registers it, and
 * returns true. Returns false (having loaded nothing) when it is not, or when
 * the configuration cannot be used (a warning says why).
 */
export async function startTelemetry(opts: TelemetryOptions): Promise<boolean> {
  if (active) return true;
  // Most runs export nothing: they stop here, before the validation (and zod) loads.
  if (!tracesEndpointFromEnv(opts.env)) return false;
  const { telemetryConfigFromEnv } = await import('./config.js');
  const { config, warnings } = telemetryConfigFromEnv(opts.env);
  for (const w of warnings) opts.warn?.(w);
  if (!config) return false;
  // The global Web Crypto, not an import of node:crypto: loading that module costs every
  // run a few milliseconds, and only a run that exports needs an id.
  const attributes: RunAttributes = { runId: opts.runId ?? globalThis.crypto.randomUUID() };
  try {
    const { startSdk } = await import('./sdk.js');
    const sdk = startSdk({
      config,
      runAttributes: toAttributes(attributes),
      serviceName: opts.serviceName ?? 'govern',
      ...(opts.serviceVersion ? { serviceVersion: opts.serviceVersion } : {}),
    });
    active = { sdk, config, attributes };
    return true;
  } catch (err) {
    // Telemetry never fails a command: a broken SDK load is a warning.
    opts.warn?.(`telemetry could not start: ${(err as Error).message}`);
    return false;
  }
}

/**
 * Flushes and stops the run, waiting at most its flush timeout. Returns
 * whether the flush finished and how long it took, or null when no run was active.
 */
export async function stopTelemetry(): Promise<{ flushed: boolean; ms: number } | null> {
  const run = active;
  if (!run) return null;
  active = null;
  const t0 = performance.now();
  const flushed = await run.sdk.shutdown(run.config.flushTimeoutMs);
  return { flushed, ms: performance.now() - t0 };
}

/**
 * Runs a whole command as one run: starts telemetry if configured, runs `fn`
 * inside the root span `govern.run` (with the exit code), then flushes within
 * the bound. Without configuration it is `fn()`.
 */
export async function withRunTelemetry(opts: TelemetryOptions, fn: () => Promise<number>): Promise<number> {
  if (!(await startTelemetry(opts))) return fn();
  try {
    return await active!.sdk.active('govern.run', {}, async (span) => {
      const code = await fn();
      span.setAttribute(ATTR.exitCode, code);
      return code;
    });
  } finally {
    await stopTelemetry();
  }
}

/** True while a run is exporting. Use it to skip work done only for telemetry. */
export function telemetryActive(): boolean {
  return active !== null;
}

/** The active run's attributes (a copy), or null. */
export function runAttributes(): RunAttributes | null {
  return active ? { ...active.attributes } : null;
}

/** Adds correlation attributes to the run; spans already ended get them at export. */
export function setRunAttributes(attributes: Partial<Omit<RunAttributes, 'runId'>>): void {
  if (!active) return;
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) (active.attributes as unknown as Record<string, string>)[k] = v;
  active.sdk.setRunAttributes(toAttributes(active.attributes));
}

/**
 * Runs `fn` as the stage `stage`: a span `govern.<stage>` with `attributes`,
 * child of the active span. A thrown error is recorded (a guard's refusal code
 * as `policy_reason_code` with a `guard.denied` event, any other as
 * `failure_reason_code`) and rethrown; `outcome` may turn a returned result
 * into a failure or denial too (e.g. `outcomeOfChecks` for `govern close`).
 */
export async function withSpan<T>(stage: Stage, attributes: Attributes, fn: (span: StageSpan) => T | Promise<T>, outcome?: (result: T) => Outcome | undefined): Promise<T> {
  if (!active) return fn(NOOP_SPAN);
  return active.sdk.active(`govern.${stage}`, { [ATTR.stage]: stage, ...attributes }, async (span) => fn({ setAttributes: (a) => span.setAttributes(defined(a)) }), outcome);
}

/** Records an error that ended the command (outside any stage) on the run span. */
export function recordRunError(err: unknown): void {
  active?.sdk.record(outcomeOfError(err));
}

/**
 * A phase callback for `loadWorkspace({ trace })`: each phase of the read path
 * becomes a span of its stage (`discover`, `parse` or `graph`) that ended now
 * and lasted the phase's time. Chains to `next` (GOVERN_TIMING). Spread the
 * result into the options: it is `{}` when there is nothing to call.
 */
export function phaseTrace(next?: (phase: string, ms: number) => void): { trace?: (phase: string, ms: number) => void } {
  const run = active;
  if (!run) return next ? { trace: next } : {};
  return {
    trace(phase, ms) {
      const stage = stageOfPhase(phase);
      run.sdk.past(`govern.${stage}`, { [ATTR.stage]: stage, [ATTR.phase]: phase }, ms);
      next?.(phase, ms);
    },
  };
}

/** Which stage a phase of `loadWorkspace` belongs to (its names are in libs/workspace/src/load.ts). */
export function stageOfPhase(phase: string): 'discover' | 'parse' | 'graph' {
  if (phase === 'config' || phase === 'discover') return 'discover';
  if (phase === 'graph' || phase === 'serialize' || phase === 'snapshot-save') return 'graph';
  return 'parse'; // cache-open, validate, snapshot, results, parse, cache-save, materialize
}

function toAttributes(r: RunAttributes): Attributes {
  return { [ATTR.runId]: r.runId, [ATTR.command]: r.command, [ATTR.itemId]: r.itemId, [ATTR.documentId]: r.documentId };
}

function defined(a: Attributes): Record<string, Exclude<Attributes[string], undefined>> {
  const out: Record<string, Exclude<Attributes[string], undefined>> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v;
  return out;
}
