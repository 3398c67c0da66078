import { GovernError } from '@govern/errors';
import { z } from 'zod';

/**
 * The memory API's error envelope: every refusal and failure is
 * `{ error: { code, message, details } }`, over HTTP (with the status below)
 * and in the MCP tools. Problems in a caller's input are answers, not crashes.
 */
export const ApiErrorSchema = z.object({
  code: z.string().describe('stable, machine-readable: invalid-request, window-invalid, window-too-wide, not-found, …'),
  message: z.string().describe('one sentence for a human'),
  details: z.record(z.string(), z.unknown()).describe('what the code needs: the zod issues, the limit exceeded, …'),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const ApiErrorEnvelopeSchema = z.object({ error: ApiErrorSchema }).describe('the body of every non-2xx answer of the memory API');
export type ApiErrorEnvelope = z.infer<typeof ApiErrorEnvelopeSchema>;

/** HTTP status of each code the API answers with. */
export const ERROR_STATUS = {
  'invalid-request': 400,
  unauthorized: 401,
  'window-invalid': 400,
  'window-too-wide': 400,
  'not-found': 404,
  'method-not-allowed': 405,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
  'internal-error': 500,
} as const;
export type ApiErrorCode = keyof typeof ERROR_STATUS;

/**
 * A refusal of the memory API, thrown by the library and rendered as the
 * envelope by memoryd (and by the client, from memoryd's envelope). A
 * GovernError: `code`, `message`, `details`; plus the HTTP `status`.
 */
export class MemoryApiError extends GovernError<ApiErrorCode | (string & {})> {
  /** The HTTP status; the code's own by default. */
  readonly status: number;

  constructor(code: ApiErrorCode | (string & {}), message: string, details: Record<string, unknown> = {}, status: number = ERROR_STATUS[code as ApiErrorCode] ?? 500) {
    super(code, message, { details });
    this.status = status;
  }

  override toJSON(): ApiError {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** The `invalid-request` error of a body that failed its schema: each issue's path and message. */
export function invalidRequest(what: string, error: z.ZodError): MemoryApiError {
  const issues = error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  return new MemoryApiError('invalid-request', `${what}: ${first ? `${first.path || '(body)'}: ${first.message}` : 'invalid'}`, { issues });
}
