import { GovernError } from '@govern/errors';

/**
 * A closure PR that could not be opened or updated, as data the CLI renders the
 * same way as a refused write: `{ code, message, details }` (a `GovernError`,
 * exit 1). Every message is written to say what to do next; none ever contains
 * the token (see `redact`).
 */
export class GitHubError extends GovernError<GitHubErrorCode> {
  constructor(code: GitHubErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
    this.name = 'GitHubError';
  }
}

export type GitHubErrorCode =
  /** No item with this id. */
  | 'item-not-found'
  /** The item is not done, or its evidence manifest is missing, invalid or failed: run `govern close` first. */
  | 'not-closed'
  /** A file that should go on the branch cannot be read or is not a regular file. */
  | 'file-unreadable'
  /** No token in GITHUB_TOKEN, GH_TOKEN or gh's hosts.yml. */
  | 'token-missing'
  /** 401, or 403 without a rate limit: the token is wrong, expired or lacks `repo`/`contents`+`pull_requests` scope. */
  | 'auth-failed'
  /** Primary or secondary rate limit, not retried because the wait is too long. */
  | 'rate-limited'
  /** The connection failed or was closed before a response. */
  | 'network'
  /** No response within the request timeout. */
  | 'timeout'
  /** The repository or the base branch does not exist (or the token cannot see it). */
  | 'not-found'
  /** The branch exists but its head was not written by govern for this item; `--force` overwrites it. */
  | 'branch-foreign'
  /** GitHub stored a blob under a different sha than the bytes read here (corrupted upload). */
  | 'blob-mismatch'
  /** A mutating request was attempted in dry-run mode (a bug: dry-run must only read). */
  | 'read-only'
  /** A file the branch would carry holds a secret (a token shape, or the value of a secret-named variable); nothing was sent. */
  | 'secret-found'
  /** The API URL is plain `http://` to a host other than loopback: the token would cross the network in clear. */
  | 'insecure-url'
  /** Any other response GitHub refused (422 validation and the like). */
  | 'github-error';

/**
 * Replaces every occurrence of each secret in `text` with `[REDACTED]`. A
 * second line of defence: messages are built from GitHub's response bodies,
 * which never echo the token, but a proxy, a malformed URL or a future Octokit
 * change could, and the token must not reach logs, JSON or audit records.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  return out;
}

/** `redact` over every string inside a JSON-like value. */
export function redactDeep<T>(value: T, secrets: readonly (string | undefined)[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}
