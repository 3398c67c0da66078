import { secretlintHits } from './secretlint.js';

/** A secret found in a text: which rule, where (1-based line and column), and its character range. */
export interface SecretFinding {
  rule: string;
  line: number;
  column: number;
  start: number;
  end: number;
}

export interface TokenRule {
  name: string;
  /** Must have the `g` and `d` flags; the secret is capture group `group`, or the whole match. */
  pattern: RegExp;
  group?: number;
  /** Matches prose too (`token: required`): right for redacting a log, too noisy to refuse a push on. */
  loose?: true;
}

/**
 * Token shapes checked besides secretlint's preset: the ones memoryd has redacted from
 * telemetry since GV-04, which also catch what secretlint leaves to context
 * (`Bearer …`, `password=…` pairs, an AWS secret key after its name, JWTs).
 */
export const TOKEN_RULES: readonly TokenRule[] = [
  { name: 'private-key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/dg },
  { name: 'url-credentials', pattern: /\b[a-z][a-z0-9+.-]*:\/\/([^\s/:@]+:[^\s/@]+)@/dgi, group: 1 },
  { name: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})\b/dg },
  { name: 'auth-scheme', pattern: /\b(?:Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{8,})/dgi, group: 1, loose: true },
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/dg },
  { name: 'aws-secret-access-key', pattern: /\b(?:aws_?)?secret_?access_?key\s*[=:]\s*["']?([A-Za-z0-9/+=]{40})/dgi, group: 1 },
  { name: 'slack-token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/dg },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/dg },
  {
    name: 'secret-pair',
    pattern: /\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|client[_-]?secret)\s*[=:]\s*("[^"\n]{4,}"|'[^'\n]{4,}'|[^\s&,;"']{4,})/dgi,
    group: 1,
    loose: true,
  },
];

/** A secret known by value, such as the value of an environment variable whose name says it is one. */
export interface KnownSecret {
  name: string;
  value: string;
}

/** Environment variable names that hold secrets: `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*_KEY`, `*CREDENTIAL*`, `*AUTH*`, … */
const SECRET_NAME = /TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|PRIVATE|(^|_)KEY($|_)|API_?KEY|AUTH|COOKIE|SESSION|(^|_)PAT($|_)|OTEL_EXPORTER_OTLP(_\w+)?_HEADERS/i;

/** Whether an environment variable's name says it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The values (8 characters or more) of the secret-named variables of `env`, to find them verbatim wherever they are copied. */
export function knownSecretsFromEnv(env: Record<string, string | undefined>): KnownSecret[] {
  const out: KnownSecret[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && isSecretName(name)) out.push({ name, value });
  }
  return out;
}

export interface ScanOptions {
  known?: readonly KnownSecret[];
  /** Only rules that do not match prose: secretlint's, the exact token shapes and the known values (for refusing, not redacting). */
  strict?: boolean;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/**
 * Every secret in `text`: secretlint's recommended preset, {@link TOKEN_RULES}, and the
 * `known` values. Overlapping hits are merged (the first rule named wins); sorted by
 * position. Linear in the text's length.
 */
export async function findSecrets(text: string, opts: ScanOptions = {}): Promise<SecretFinding[]> {
  const hits: { rule: string; start: number; end: number }[] = [];
  for (const h of await secretlintHits(text)) hits.push(h);
  for (const r of TOKEN_RULES) {
    if (opts.strict && r.loose) continue;
    r.pattern.lastIndex = 0;
    for (const m of text.matchAll(r.pattern)) {
      const span = m.indices?.[r.group ?? 0];
      if (span) hits.push({ rule: r.name, start: span[0], end: span[1] });
    }
  }
  for (const k of opts.known ?? []) {
    for (let i = text.indexOf(k.value); i !== -1; i = text.indexOf(k.value, i + k.value.length)) {
      hits.push({ rule: `env:${k.name}`, start: i, end: i + k.value.length });
    }
  }
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: { rule: string; start: number; end: number }[] = [];
  for (const h of hits) {
    const last = merged.at(-1);
    if (last && h.start < last.end) last.end = Math.max(last.end, h.end);
    else merged.push({ ...h });
  }
  const starts = lineStarts(text);
  return merged.map((h) => ({ ...h, ...position(starts, h.start) }));
}

/** `text` with every secret {@link findSecrets} finds replaced by `[REDACTED:<rule>]`. */
export async function redactSecrets(text: string, opts: ScanOptions = {}): Promise<{ text: string; findings: SecretFinding[] }> {
  const findings = await findSecrets(text, opts);
  if (!findings.length) return { text, findings };
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + `[REDACTED:${f.rule}]`;
    at = f.end;
  }
  return { text: out + text.slice(at), findings };
}
