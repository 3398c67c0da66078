import type { Diagnostic } from '@govern/workplan';
import { explainGate } from './explain.js';
import type { GateState, Requirement } from './model.js';

// A registered symbol marks gate errors, so `isGateError` also recognizes one thrown
// by another copy of this module (each esbuild bundle carries its own copy).
const GATE_ERROR = Symbol.for('govern.gate-error');

/** Base of the errors the runtime guard throws; `code` and `details` are stable for JSON. */
export abstract class GateError extends Error {
  abstract readonly code: string;
  readonly [GATE_ERROR] = true;
  /** The gate the caller asked about. */
  readonly gate: string;

  constructor(gate: string, message: string) {
    super(message);
    this.gate = gate;
  }

  /** Machine-readable detail, printed by the CLI as `{ error: { code, message, details } }`. */
  abstract get details(): Record<string, unknown>;
}

/** True for any `GateError`, even one from another copy of this module. */
export function isGateError(err: unknown): err is GateError {
  return typeof err === 'object' && err !== null && (err as { [GATE_ERROR]?: unknown })[GATE_ERROR] === true;
}

/** A blocker as the error reports it: the milestone and where its status is written. */
export type GateBlocker = Pick<Requirement, 'id' | 'status' | 'statusText' | 'file' | 'line' | 'column'>;

/** The gate exists and is disabled: a required milestone is not done. */
export class GateDisabledError extends GateError {
  readonly code = 'gate-disabled';
  override readonly name = 'GateDisabledError';
  readonly blockedBy: GateBlocker[];

  constructor(readonly state: GateState) {
    super(state.name, explainGate(state));
    this.blockedBy = state.blockedBy.map(({ id, status, statusText, file, line, column }) => ({ id, status, statusText, file, line, column }));
  }

  get details(): Record<string, unknown> {
    return { gate: this.gate, blockedBy: this.blockedBy };
  }
}

/** No gate of that name is declared in `govern.config.yaml`: a bug in the caller, not a disabled gate. */
export class UnknownGateError extends GateError {
  readonly code = 'gate-unknown';
  override readonly name = 'UnknownGateError';

  constructor(
    gate: string,
    readonly known: string[],
  ) {
    super(gate, `no gate named ${gate} is declared in govern.config.yaml${known.length ? ` (declared: ${known.join(', ')})` : ' (it declares no gates)'}`);
  }

  get details(): Record<string, unknown> {
    return { gate: this.gate, known: this.known };
  }
}

/**
 * `govern.config.yaml` has errors, so its gates cannot be trusted: the guard fails
 * closed rather than guess.
 */
export class GateConfigError extends GateError {
  readonly code = 'gate-config-invalid';
  override readonly name = 'GateConfigError';

  constructor(
    gate: string,
    readonly diagnostics: Diagnostic[],
  ) {
    const first = diagnostics[0];
    super(
      gate,
      `cannot evaluate gate ${gate}: govern.config.yaml is invalid` +
        (first ? ` (${first.file}:${first.line}:${first.column}: ${first.message}${diagnostics.length > 1 ? `, and ${diagnostics.length - 1} more` : ''})` : ''),
    );
  }

  get details(): Record<string, unknown> {
    return { gate: this.gate, diagnostics: this.diagnostics };
  }
}
