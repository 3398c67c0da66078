import { exitCodeOf, isGovernError, toErrorJSON } from './index.js';

/**
 * For tests of `GovernError` subclasses: everything a surface sees of an error — whether
 * it is recognised as a govern error, its name, its exit code, its JSON as the CLI and
 * MCP print it (`toErrorJSON`) and as `JSON.stringify` writes it — in one object to
 * compare whole.
 */
export function errorSurface(err: unknown): { governError: boolean; name: string; exit: number; json: unknown; own: unknown } {
  return {
    governError: isGovernError(err),
    name: err instanceof Error ? err.name : typeof err,
    exit: exitCodeOf(err),
    json: toErrorJSON(err),
    own: JSON.parse(JSON.stringify(err)) as unknown,
  };
}
