import { EXIT, GovernError, isGovernError, type ExitCode } from '@govern/errors';
import type { Diagnostic } from '@govern/workplan';
import { explainGate } from './explain.js';
import type { GateState, Requirement } from './model.js';

/** The codes of the gate errors. */
export type GateErrorCode = 'gate-disabled' | 'gate-unknown' | 'gate-config-invalid';
const GATE_CODES: ReadonlySet<string> = new Set<GateErrorCode>(['gate-disabled', 'gate-unknown', 'gate-config-invalid']);

/**
 * Base of the errors the runtime guard throws: `GovernError`s whose `code` and
 * `details` (always starting with `gate`) are stable for JSON.
 */
export abstract class GateError<C extends GateErrorCode = GateErrorCode> extends GovernError<C> {
  /** The gate the caller asked about. */
  readonly gate: string;

  constructor(code: C, gate: string, message: string, details: Record<string, unknown>, exitCode: ExitCode = EXIT.refused) {
    super(code, message, { details: { gate, ...details }, exitCode });
    this.gate = gate;
  }
}

/**
 * True for any `GateError`, even one from another copy of this module (each esbuild
 * bundle carries its own): a `GovernError` with a gate code.
 */
export function isGateError(err: unknown): err is GateError {
  return isGovernError(err) && GATE_CODES.has(err.code);
}

/** A blocker as the error reports it: the milestone and where its status is written. */
export type GateBlocker = Pick<Requirement, 'id' | 'status' | 'statusText' | 'file' | 'line' | 'column'>;

/** The gate exists and is disabled: a required milestone is not done. */
export class GateDisabledError extends GateError<'gate-disabled'> {
  override readonly name = 'GateDisabledError';
  readonly blockedBy: GateBlocker[];

  constructor(readonly state: GateState) {
    const blockedBy = state.blockedBy.map(({ id, status, statusText, file, line, column }) => ({ id, status, statusText, file, line, column }));
    super('gate-disabled', state.name, explainGate(state), { blockedBy });
    this.blockedBy = blockedBy;
  }
}

/** No gate of that name is declared in `govern.config.yaml`: a bug in the caller, not a disabled gate. */
export class UnknownGateError extends GateError<'gate-unknown'> {
  override readonly name = 'UnknownGateError';

  constructor(
    gate: string,
    readonly known: string[],
  ) {
    super(
      'gate-unknown',
      gate,
      `no gate named ${gate} is declared in govern.config.yaml${known.length ? ` (declared: ${known.join(', ')})` : ' (it declares no gates)'}`,
      { known },
      EXIT.usage,
    );
  }
}

/**
 * `govern.config.yaml` has errors, so its gates cannot be trusted: the guard fails
 * closed rather than guess.
 */
export class GateConfigError extends GateError<'gate-config-invalid'> {
  override readonly name = 'GateConfigError';

  constructor(
    gate: string,
    readonly diagnostics: Diagnostic[],
  ) {
    const first = diagnostics[0];
    super(
      'gate-config-invalid',
      gate,
      `cannot evaluate gate ${gate}: govern.config.yaml is invalid` +
        (first ? ` (${first.file}:${first.line}:${first.column}: ${first.message}${diagnostics.length > 1 ? `, and ${diagnostics.length - 1} more` : ''})` : ''),
      { diagnostics },
    );
  }
}
