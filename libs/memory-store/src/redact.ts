import { setAttr, type AttrValue, type Attributes, type DecodedTraces } from './model.js';

/**
 * Redaction of secrets and personal data, applied by memoryd to every decoded
 * payload *before* anything is persisted (the spool frame is written from the
 * redacted spans, not from the bytes received) and to every value upserted
 * through the API.
 *
 * - **Keys**: attributes whose key is configured (span, event and resource
 *   attributes, nested maps included; compared in lowercase) have their whole
 *   value replaced by `[REDACTED]`. {@link DEFAULT_REDACT_KEYS} are always
 *   among them: the command line (OTel's process detector exports it, and
 *   arguments carry tokens) and HTTP credentials headers.
 * - **Patterns** ({@link REDACTION_RULES}): in every string — attribute values,
 *   span and event names, status messages, scope names — tokens (GitHub,
 *   Slack, JWT, AWS keys, private keys, `Bearer …`/`Basic …`, credentials in
 *   URLs, `password=…`-style pairs) and email addresses are replaced by
 *   `[REDACTED:<kind>]`. A cheap pre-check skips strings that cannot match.
 *
 * Keys of attributes are not rewritten (they name what a value is). Pattern
 * redaction is best effort: a secret of an unknown shape under an unknown key
 * is not found; configure its key.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'process.command_args',
  'process.command_line',
  'http.request.header.authorization',
  'http.request.header.proxy-authorization',
  'http.request.header.cookie',
  'http.response.header.set-cookie',
];

export const REDACTED = '[REDACTED]';

export interface RedactionRule {
  name: string;
  pattern: RegExp;
  replace: string;
}

/** Applied in this order (credentials in URLs before emails, which they resemble). */
export const REDACTION_RULES: readonly RedactionRule[] = [
  { name: 'private-key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, replace: '[REDACTED:private-key]' },
  { name: 'url-credentials', pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi, replace: '$1[REDACTED:credentials]@' },
  { name: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})\b/g, replace: '[REDACTED:github-token]' },
  { name: 'auth-scheme', pattern: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: '$1 [REDACTED:credentials]' },
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, replace: '[REDACTED:aws-access-key-id]' },
  { name: 'aws-secret-access-key', pattern: /\b((?:aws_?)?secret_?access_?key)(\s*[=:]\s*["']?)[A-Za-z0-9/+=]{40}/gi, replace: '$1$2[REDACTED:aws-secret-access-key]' },
  { name: 'slack-token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, replace: '[REDACTED:slack-token]' },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: '[REDACTED:jwt]' },
  {
    name: 'secret-pair',
    pattern: /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|client[_-]?secret)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"']+)/gi,
    replace: '$1$2[REDACTED]',
  },
  { name: 'email', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g, replace: '[REDACTED:email]' },
];

/** Matches every string a rule could change (and some more); the rules run only on those. */
const MAYBE = /gh[pousr]_|github_pat_|bearer|basic|token|AKIA|ASIA|ABIA|ACCA|secret|xox[abprs]-|eyJ|@|-----BEGIN|passw|pwd|api[_-]?key/i;

export interface RedactorOptions {
  /** Attribute keys whose values are always replaced, besides {@link DEFAULT_REDACT_KEYS}. */
  keys?: readonly string[];
}

export class Redactor {
  readonly keys: ReadonlySet<string>;
  /** Values replaced (wholly or in part) since this redactor was made. */
  replaced = 0;

  constructor(opts: RedactorOptions = {}) {
    this.keys = new Set([...DEFAULT_REDACT_KEYS, ...(opts.keys ?? [])].map((k) => k.toLowerCase()));
  }

  /** A string with every pattern replaced. */
  text(s: string): string {
    if (s.length < 6 || !MAYBE.test(s)) return s;
    let out = s;
    for (const r of REDACTION_RULES) out = out.replace(r.pattern, r.replace);
    if (out !== s) this.replaced++;
    return out;
  }

  /** Any attribute value: strings redacted, arrays and maps walked. */
  value(v: AttrValue): AttrValue {
    if (typeof v === 'string') return this.text(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    return this.attributes(v);
  }

  /** Attributes, in place: configured keys replaced wholly, other values walked. Returns the same object. */
  attributes(attrs: Attributes): Attributes {
    for (const k of Object.keys(attrs)) {
      const v = attrs[k]!;
      if (this.keys.has(k.toLowerCase())) {
        if (v !== REDACTED) {
          setAttr(attrs, k, REDACTED);
          this.replaced++;
        }
      } else if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') {
        const r = this.value(v);
        if (r !== v) setAttr(attrs, k, r);
      }
    }
    return attrs;
  }

  /** Every string of a decoded payload, in place. Returns how many values it replaced. */
  traces(d: DecodedTraces): number {
    const before = this.replaced;
    for (const rs of d.resourceSpans) {
      this.attributes(rs.resource);
      for (const ss of rs.scopeSpans) {
        ss.scope.name = this.text(ss.scope.name);
        if (ss.scope.version !== null) ss.scope.version = this.text(ss.scope.version);
        for (const span of ss.spans) {
          span.name = this.text(span.name);
          if (span.statusMessage !== null) span.statusMessage = this.text(span.statusMessage);
          this.attributes(span.attributes);
          for (const e of span.events) {
            e.name = this.text(e.name);
            this.attributes(e.attributes);
          }
        }
      }
    }
    return this.replaced - before;
  }
}
