import { canonicalJson } from '@govern/contracts';
import { toErrorJSON } from '@govern/errors';
import { CAPABILITIES, type Capability } from '../capabilities.js';
import { classifyError, type ClassifiedError } from '../errors.js';
import type { Pack, PackInstance } from '../pack.js';
import type { RecordSchemaName } from '../records.js';
import { SUITES } from './suites.js';

/**
 * The conformance workload: one run of the generic suite of every capability a
 * pack declares, first on an instance that may write, then on a read-only
 * instance opened on the same root. Everything observable is recorded: a
 * transcript of every call and its outcome (compared across runs and processes
 * for determinism), the assertions the suites make (spec-as-test, and the
 * byte-identical round trips of contract validity), every record returned
 * (validated against the kit's schemas) and every error thrown (read under the
 * reason split). The workload is pure data in, data out: a child process runs
 * the same function on the same {@link RunConfig}.
 */

/** Inputs the remote capabilities need from the harness that set their remote up. */
export interface ConformanceInputs {
  /** `repo`: the repository the pack is configured for; `foreignRepo`: one it is not (its writes must be denied). */
  statehub?: { repo: string; foreignRepo: string };
  /** `item`: a closed item of the repository at the root, with its evidence. */
  github?: { item: string };
}

/** Everything a run depends on; JSON, so that a child process gets the same. */
export interface RunConfig {
  root: string;
  options: unknown;
  secrets: Record<string, string>;
  inputs: ConformanceInputs;
  /** The first tick of the run's clock (each `now()` is one second later). */
  clockStart: string;
  /** Strings replaced by `<volatile:N>` in the transcript (the root, a server URL). */
  volatile: string[];
}

/** What a call was expected to do. */
export type Expectation = 'ok' | 'failure' | 'denial';

/** One call of the transcript. */
export interface Step {
  capability: Capability;
  phase: 'write' | 'read-only';
  op: string;
  expect: Expectation;
  /** The canonical JSON of what it returned, or of the error's code and reason codes. */
  outcome: string;
}

/** One assertion of a suite, for the subcheck that judges it. */
export interface Assertion {
  capability: Capability;
  subcheck: 'contract-validity' | 'spec-as-test';
  name: string;
  ok: boolean;
  details?: unknown;
}

/** A record a pack returned, with the kit schema it must match. */
export interface RecordSeen {
  capability: Capability;
  op: string;
  schema: RecordSchemaName;
  value: unknown;
}

/** An error a pack threw, read under the reason split. */
export interface ErrorSeen {
  capability: Capability;
  op: string;
  expected: Expectation;
  error: ClassifiedError;
  /** The error's JSON form as a caller would print it (checked for secrets). */
  json: string;
}

/** Everything one run of the workload observed. */
export interface RunResult {
  transcript: Step[];
  assertions: Assertion[];
  records: RecordSeen[];
  errors: ErrorSeen[];
  /** The capability keys each instance exposed. */
  exposed: { write: string[]; readOnly: string[] };
  /** An exception outside any call (opening or closing the pack, a suite's own bug). */
  crash: string | null;
}

/** The outcome of one call inside a suite. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ClassifiedError };

/** What a suite sees: calls, assertions and records, all recorded for the capability it tests. */
export interface SuiteIO {
  /** Calls `fn`; records it in the transcript; checks that it did what `expect` says. */
  step<T>(op: string, fn: () => Promise<T>, expect?: Expectation, refusal?: { reason: string }): Promise<Outcome<T>>;
  /** A spec-as-test assertion. */
  check(name: string, ok: boolean, details?: unknown): void;
  /** A contract-validity assertion (canonical serialization, round trips). */
  contract(name: string, ok: boolean, details?: unknown): void;
  /** A record to validate against the kit's schema `schema`. */
  record(op: string, schema: RecordSchemaName, value: unknown): void;
  readonly inputs: ConformanceInputs;
  readonly durable: boolean;
}

/** A generic capability suite: the write phase, then the read-only phase on a new instance. */
export interface CapabilitySuite<A> {
  write(api: A, io: SuiteIO): Promise<void>;
  readOnly(api: A, io: SuiteIO): Promise<void>;
}

/** A clock that starts at `start` and moves one second per call: deterministic for a deterministic pack. */
export function tickingClock(start: string): () => Date {
  let t = Date.parse(start);
  return () => {
    const d = new Date(t);
    t += 1000;
    return d;
  };
}

/** Runs the workload of `pack` on `config`. Never throws: a crash is part of the result. */
export async function runWorkload(pack: Pack, config: RunConfig): Promise<RunResult> {
  const result: RunResult = { transcript: [], assertions: [], records: [], errors: [], exposed: { write: [], readOnly: [] }, crash: null };
  const now = tickingClock(config.clockStart);
  const declared = CAPABILITIES.filter((c) => pack.manifest.capabilities.includes(c));
  const durable = pack.manifest.durability === 'persistent';
  const volatile = [...config.volatile].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  const scrub = (text: string) => volatile.reduce((t, v, i) => t.split(v).join(`<volatile:${i}>`), text);

  const ioFor = (capability: Capability, phase: Step['phase']): SuiteIO => ({
    inputs: config.inputs,
    durable,
    async step<T>(op: string, fn: () => Promise<T>, expect: Expectation = 'ok', refusal?: { reason: string }): Promise<Outcome<T>> {
      let outcome: Outcome<T>;
      try {
        outcome = { ok: true, value: await fn() };
      } catch (err) {
        outcome = { ok: false, error: classifyError(err) };
        result.errors.push({ capability, op, expected: expect, error: outcome.error, json: JSON.stringify(toErrorJSON(err)) });
      }
      const shown = outcome.ok
        ? { returned: outcome.value === undefined ? null : outcome.value }
        : { refused: { code: outcome.error.code, kind: outcome.error.kind, failure_reason_code: outcome.error.failure_reason_code, policy_reason_code: outcome.error.policy_reason_code } };
      result.transcript.push({ capability, phase, op, expect, outcome: scrub(safeCanonical(shown)) });
      // What the call was expected to do is a spec assertion; how a refusal is coded is judged by the observability subcheck.
      if (expect === 'ok') result.assertions.push({ capability, subcheck: 'spec-as-test', name: `${op}: succeeds`, ok: outcome.ok, ...(outcome.ok ? {} : { details: outcome.error }) });
      else {
        const got = outcome.ok ? 'it succeeded' : outcome.error.kind;
        const code = outcome.ok ? null : expect === 'failure' ? outcome.error.failure_reason_code : outcome.error.policy_reason_code;
        const ok = !outcome.ok && outcome.error.kind === expect && (refusal === undefined || code === refusal.reason);
        result.assertions.push({
          capability,
          subcheck: 'spec-as-test',
          name: `${op}: refused as a ${expect}${refusal ? ` (${refusal.reason})` : ''}`,
          ok,
          ...(ok ? {} : { details: { got, code } }),
        });
      }
      return outcome;
    },
    check: (name, ok, details) => result.assertions.push({ capability, subcheck: 'spec-as-test', name, ok, ...(ok || details === undefined ? {} : { details }) }),
    contract: (name, ok, details) => result.assertions.push({ capability, subcheck: 'contract-validity', name, ok, ...(ok || details === undefined ? {} : { details }) }),
    record: (op, schema, value) => result.records.push({ capability, op, schema, value }),
  });

  const phase = async (name: Step['phase']) => {
    let instance: PackInstance | null = null;
    try {
      instance = await pack.create({ root: config.root, options: config.options, secrets: config.secrets, readOnly: name === 'read-only', now });
      const apis = (instance.capabilities ?? {}) as Record<string, unknown>;
      result.exposed[name === 'write' ? 'write' : 'readOnly'] = Object.keys(apis).sort();
      for (const c of declared) {
        const suite = SUITES[c] as CapabilitySuite<unknown> | undefined;
        const api = apis[c];
        if (!suite || api === undefined || api === null) continue; // reported by spec-as-test from `exposed`
        await (name === 'write' ? suite.write(api, ioFor(c, name)) : suite.readOnly(api, ioFor(c, name)));
      }
    } catch (err) {
      result.crash ??= `${name} phase: ${scrub(describe(err))}`;
    } finally {
      try {
        await instance?.close();
      } catch (err) {
        result.crash ??= `${name} phase, close: ${scrub(describe(err))}`;
      }
    }
  };
  await phase('write');
  await phase('read-only');
  return result;
}

function describe(err: unknown): string {
  const j = toErrorJSON(err);
  return `${j.code}: ${j.message}`;
}

/** Canonical JSON, or a marker when the value has none (a function, a bigint): determinism still compares it. */
function safeCanonical(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch (err) {
    return `<not JSON: ${(err as Error).message}>`;
  }
}
