import { WrapperEnvelopeSchema, type WrapperEnvelope } from '@govern/contracts';
import { findSecrets, isSecretName, knownSecretsFromEnv, TOKEN_RULES, type KnownSecret } from '@govern/secrets';
import { fastEnvelope } from './fast-envelope.js';

/** Why an envelope was quarantined instead of bound. */
export type QuarantineCode = 'json-invalid' | 'not-an-object' | 'schema-unknown' | 'field-missing' | 'field-invalid' | 'field-unknown' | 'secret-in-envelope';

/**
 * One reason, with the field it is about (`task_spec.target.kind`, `evidence[0].ref`,
 * `context.env["my.var"]`; `""` for the whole record). Neither `path` nor `message`
 * ever repeats a secret found in the envelope.
 */
export interface QuarantineReason {
  code: QuarantineCode;
  path: string;
  message: string;
}

/**
 * The verdict on one raw envelope. Accepted: the parsed envelope (defaults filled in),
 * `dropped` (the secret-named `context.env` entries taken out of it, so they are never
 * stored) and `aliases_read` (legacy alias fields read, e.g. `task_spec.reason_code`,
 * to measure the LM-10 migration). Refused: every reason, sorted by path and code.
 */
export type CheckResult = { ok: true; envelope: WrapperEnvelope; dropped: string[]; aliases_read: string[] } | { ok: false; reasons: QuarantineReason[] };

const SCHEMA_ID = 'govern.wrapper-envelope/v1';
type Segment = string | number;

/** A path as a linked list from the leaf: extending it is O(1), so a deep input stays linear. */
interface PathNode {
  segment: Segment;
  parent: PathNode | null;
}

function segmentsOf(node: PathNode | null): Segment[] {
  const out: Segment[] = [];
  for (let n = node; n; n = n.parent) out.push(n.segment);
  return out.reverse();
}

/** A string of the raw value, a key or a value, where it sits. */
interface Site {
  node: PathNode | null;
  text: string;
  key: boolean;
}

/** A secret found at a site: the rule, and the secret's text (kept only to scrub it out of messages). */
interface SecretHit {
  site: number;
  rule: string;
  secret: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every key and string value of `raw`, in document order. Iterative: a deeply nested input cannot overflow the stack. */
function collectSites(raw: unknown): Site[] {
  const sites: Site[] = [];
  const stack: Array<{ value: unknown; node: PathNode | null; key: boolean }> = [{ value: raw, node: null, key: false }];
  while (stack.length) {
    const { value, node, key } = stack.pop()!;
    if (typeof value === 'string') sites.push({ node, text: value, key });
    else if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], node: { segment: i, parent: node }, key: false });
    else if (isRecord(value)) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        const child = { segment: k, parent: node };
        // Pushed value first, so the key pops (and is listed) just before its value.
        stack.push({ value: value[k], node: child, key: false });
        stack.push({ value: k, node: child, key: true });
      }
    }
  }
  return sites;
}

/** The strict token rules (those that do not match prose). */
const STRICT_RULES = TOKEN_RULES.filter((r) => !r.loose);
/**
 * The strict rules as one alternation per set of flags (today: case-sensitive, and
 * not), without the global flag so `test` keeps no state: two tests a string instead of
 * one per rule. Only a string that matches one is run through the rules one by one. A
 * group whose sources cannot be joined (say, two rules with the same named group) is
 * tested rule by rule instead.
 */
const PREFILTER: RegExp[] = (() => {
  const groups = new Map<string, string[]>();
  for (const r of STRICT_RULES) {
    const flags = [...r.pattern.flags.replace(/[gdy]/g, '')].sort().join('');
    groups.set(flags, [...(groups.get(flags) ?? []), r.pattern.source]);
  }
  return [...groups].flatMap(([flags, sources]) => {
    try {
      return [new RegExp(sources.map((src) => `(?:${src})`).join('|'), flags)];
    } catch {
      return sources.map((src) => new RegExp(src, flags));
    }
  });
})();

/**
 * The field names of a wrapper envelope v1 (and the legacy alias): keys that are one of
 * these fixed words cannot be secrets, and are most of an envelope's strings.
 */
const FIELD_NAMES = new Set([
  'schema', 'event_id', 'sequence', 'run_id', 'task_id', 'group_id', 'signal', 'anomaly_trigger', 'wrapper_policy', 'name', 'version', 'task_spec',
  'scope', 'target', 'kind', 'id', 'action', 'failure_reason_code', 'reason_code', 'policy_reason_code', 'context', 'gates', 'versions', 'env',
  'evidence', 'ref', 'sha256', 'observed_at',
]);
const scanned = (s: Site): boolean => !(s.key && FIELD_NAMES.has(s.text));

/** Token-shaped secrets, found synchronously with @govern/secrets' strict TOKEN_RULES. */
function tokenHits(sites: Site[]): SecretHit[] {
  const hits: SecretHit[] = [];
  sites.forEach((s, site) => {
    if (!scanned(s) || !PREFILTER.some((p) => p.test(s.text))) return;
    for (const r of STRICT_RULES) for (const m of s.text.matchAll(r.pattern)) hits.push({ site, rule: r.name, secret: m[0] });
  });
  return hits;
}

/**
 * The values of the envelope's own secret-named `context.env` entries, found anywhere
 * else in it (copied into an evidence ref, a gate, a TaskSpec field).
 */
function knownHits(raw: unknown, sites: Site[]): SecretHit[] {
  const env = isRecord(raw) && isRecord(raw.context) && isRecord(raw.context.env) ? raw.context.env : {};
  const strings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const hits: SecretHit[] = [];
  for (const k of knownSecretsFromEnv(strings)) {
    sites.forEach((s, site) => {
      const n = s.node;
      const own = !s.key && n?.segment === k.name && n.parent?.segment === 'env' && n.parent.parent?.segment === 'context' && n.parent.parent.parent === null;
      if (!own && s.text.includes(k.value)) hits.push({ site, rule: `env:${k.name}`, secret: k.value });
    });
  }
  return hits;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `task_spec.target.kind`, `evidence[0].ref`, `context.env["my.var"]`. */
function renderPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** The value at `segments` in `raw` (own properties only), or undefined. */
function valueAt(raw: unknown, segments: readonly Segment[]): unknown {
  let v: unknown = raw;
  for (const s of segments) {
    if (typeof s === 'number' ? !Array.isArray(v) : !isRecord(v) || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<Segment, unknown>)[s];
  }
  return v;
}

/** `text` with every secret found replaced, longest first (one secret may contain another). */
function scrubber(secrets: string[]): (text: string) => string {
  const list = [...new Set(secrets)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join('[REDACTED]'), text);
}

/**
 * The legacy TaskSpec alias (LM-10), read as the contracts' ReasonSemanticsReadSchema
 * reads it: `reason_code` stands for `failure_reason_code` when that is absent or null;
 * when both are given the canonical name wins. The alias is never written.
 */
function readAliases(raw: Record<string, unknown>): { input: Record<string, unknown>; aliases: string[]; aliasUsed: boolean } {
  const ts = raw.task_spec;
  if (!isRecord(ts) || !Object.hasOwn(ts, 'reason_code')) return { input: raw, aliases: [], aliasUsed: false };
  const { reason_code, ...rest } = ts;
  const aliasUsed = rest.failure_reason_code === undefined || rest.failure_reason_code === null;
  return { input: { ...raw, task_spec: aliasUsed ? { ...rest, failure_reason_code: reason_code } : rest }, aliases: ['task_spec.reason_code'], aliasUsed };
}

/** The zod issues of the envelope schema as quarantine reasons. */
function schemaReasons(input: Record<string, unknown>, aliasUsed: boolean): { envelope?: WrapperEnvelope; reasons: Array<{ code: QuarantineCode; segments: Segment[]; message: string }> } {
  const r = WrapperEnvelopeSchema.safeParse(input);
  if (r.success) return { envelope: r.data, reasons: [] };
  const reasons: Array<{ code: QuarantineCode; segments: Segment[]; message: string }> = [];
  for (const issue of r.error.issues) {
    let segments = issue.path.filter((p): p is Segment => typeof p !== 'symbol');
    // A bad value read through the alias is reported where the sender wrote it.
    if (aliasUsed && segments.length === 2 && segments[0] === 'task_spec' && segments[1] === 'failure_reason_code') segments = ['task_spec', 'reason_code'];
    if (issue.code === 'unrecognized_keys') {
      // zod's own message repeats the key; ours does not (a key can be a secret).
      for (const key of issue.keys) reasons.push({ code: 'field-unknown', segments: [...segments, key], message: 'not a field of a wrapper envelope v1 (unknown fields are refused)' });
      continue;
    }
    const value = valueAt(input, issue.path.filter((p): p is Segment => typeof p !== 'symbol'));
    const missing = value === undefined || (issue.code === 'custom' && (value === null || (Array.isArray(value) && value.length === 0)));
    const message = !missing
      ? issue.message
      : issue.code === 'invalid_type'
        ? `required (${issue.expected})`
        : issue.code === 'invalid_value'
          ? `required (${issue.values.map((v) => JSON.stringify(v)).join(' | ')})`
          : issue.message;
    reasons.push({ code: missing ? 'field-missing' : 'field-invalid', segments, message });
  }
  return { reasons };
}

function sortReasons(reasons: QuarantineReason[]): QuarantineReason[] {
  const seen = new Set<string>();
  return reasons
    .filter((r) => {
      const k = `${r.path}\0${r.code}\0${r.message}`;
      return seen.has(k) ? false : (seen.add(k), true);
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

/** The verdict given the secrets found, whichever scanner found them. */
function verdict(raw: unknown, sites: Site[], hits: SecretHit[]): CheckResult {
  const scrub = scrubber(hits.map((h) => h.secret));
  const reasons: QuarantineReason[] = [];
  const bySite = new Map<number, Set<string>>();
  for (const h of hits) bySite.set(h.site, (bySite.get(h.site) ?? new Set()).add(h.rule));
  for (const [site, rules] of bySite) {
    const s = sites[site]!;
    const what = s.key ? 'this key' : 'this value';
    reasons.push({ code: 'secret-in-envelope', path: scrub(renderPath(segmentsOf(s.node))), message: `${what} holds what looks like a secret (${[...rules].sort().join(', ')}); it is not repeated here` });
  }
  if (!isRecord(raw)) {
    // The secret reasons still count: whoever keeps the quarantined record must redact it.
    const what = Array.isArray(raw) ? 'an array' : raw === null ? 'null' : `a ${typeof raw}`;
    reasons.push({ code: 'not-an-object', path: '', message: `an envelope is a JSON object, not ${what}` });
    return { ok: false, reasons: sortReasons(reasons) };
  }

  const { input, aliases, aliasUsed } = readAliases(raw);
  if (raw.schema !== undefined && raw.schema !== SCHEMA_ID) {
    // Another schema's fields would only produce noise: say what was expected and stop there.
    reasons.push({ code: 'schema-unknown', path: 'schema', message: `not a known envelope schema (this binder reads "${SCHEMA_ID}")` });
    return { ok: false, reasons: sortReasons(reasons) };
  }
  const parsed = schemaReasons(input, aliasUsed);
  for (const r of parsed.reasons) reasons.push({ code: r.code, path: scrub(renderPath(r.segments)), message: scrub(r.message) });
  if (reasons.length || !parsed.envelope) return { ok: false, reasons: sortReasons(reasons) };

  const e = parsed.envelope;
  const names = Object.keys(e.context.env).sort();
  const dropped = names.filter(isSecretName);
  if (dropped.length) e.context.env = Object.fromEntries(names.filter((n) => !isSecretName(n)).map((n) => [n, e.context.env[n]!]));
  return { ok: true, envelope: e, dropped: dropped.map((n) => renderPath(['context', 'env', n])), aliases_read: aliases };
}

/**
 * Checks one raw envelope (already parsed from JSON) synchronously: its shape against
 * the contracts' wrapper envelope v1, token-shaped secrets anywhere in it (the strict
 * TOKEN_RULES of @govern/secrets) and the values of its own secret-named env entries
 * copied elsewhere. Never throws: every problem is a reason. {@link screenEnvelopes}
 * adds secretlint's rules; ingestion should use that.
 */
export function checkEnvelope(raw: unknown): CheckResult {
  const sites = collectSites(raw);
  return verdict(raw, sites, [...tokenHits(sites), ...knownHits(raw, sites)]);
}

/** Options of {@link screenEnvelopes}. */
export interface ScreenOptions {
  /** Secrets known by value (e.g. `knownSecretsFromEnv(process.env)` of the ingesting process). */
  known?: readonly KnownSecret[];
  /** Characters of text per secretlint call (default 1 MiB): one call per batch, not per envelope. */
  batchChars?: number;
  /** Every envelope the general way (zod, sites), never fast-envelope.ts' proof: for tests comparing the two. */
  general?: boolean;
}

/**
 * Calls `fn` with every scanned string of a value (keys that are field names are not),
 * in the order {@link collectSites} lists them, without building sites. Only for
 * envelopes fast-envelope.ts proved valid: plain JSON, four levels deep at most.
 */
function eachScanned(v: unknown, fn: (s: string) => void): void {
  if (typeof v === 'string') fn(v);
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) eachScanned(v[i], fn);
  else if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      if (!FIELD_NAMES.has(k)) fn(k);
      eachScanned(v[k], fn);
    }
  }
}

/**
 * Secretlint and token-rule hits for each envelope's sites, as if each envelope were
 * scanned alone. `all[i]` is null for an envelope fast-envelope.ts proved valid: its
 * strings are read straight from the value, and its hits are `null` when none of them
 * holds anything (the common case: its sites are never built); otherwise its sites are
 * built and it is treated like any other.
 */
async function secretHits(raws: readonly unknown[], all: Array<Site[] | null>, opts: ScreenOptions): Promise<{ hits: Array<SecretHit[] | null>; sites: Array<Site[] | null> }> {
  const out: Array<SecretHit[] | null> = all.map(() => null);
  // The sites of each envelope; a fast one's are built only if something is found in it.
  const sitesOf = all.slice();
  const scan = { strict: true, known: opts.known ?? [] };
  const limit = opts.batchChars ?? 1 << 20;
  // The sites of one envelope scanned alone: its strings joined by newlines.
  const alone = async (i: number): Promise<void> => {
    const starts: Array<{ site: number; start: number }> = [];
    let text = '';
    sitesOf[i]!.forEach((s, site) => {
      if (!scanned(s)) return;
      starts.push({ site, start: text.length });
      text += `${s.text}\n`;
    });
    out[i] = locate(await findSecrets(text, scan), starts, text);
  };
  // Envelopes repeat most of their strings (scope, target ids, policy names, gates,
  // versions): each distinct string is scanned once per call, and every site holding it
  // gets the same verdict. A string's verdict is the findings that lie wholly inside it.
  const distinct = new Map<string, number>();
  const strings: string[] = [];
  const idOf = (text: string): number => {
    let k = distinct.get(text);
    if (k === undefined) {
      k = strings.length;
      distinct.set(text, k);
      strings.push(text);
    }
    return k;
  };
  // For each envelope, the distinct string of each scanned site (-1: a field name, not
  // scanned); for a fast one, of each scanned string in order, in `flat` from `from[e]`.
  const refs: Array<Int32Array | null> = new Array(all.length);
  const from = new Int32Array(all.length + 1);
  let flat = new Int32Array(1024);
  let used = 0;
  const push = (text: string): void => {
    if (used === flat.length) {
      const grown = new Int32Array(flat.length * 2);
      grown.set(flat);
      flat = grown;
    }
    flat[used++] = idOf(text);
  };
  for (let e = 0; e < all.length; e++) {
    from[e] = used;
    const sites = all[e];
    if (!sites) {
      refs[e] = null;
      eachScanned(raws[e], push);
      continue;
    }
    const ref = new Int32Array(sites.length);
    for (let site = 0; site < sites.length; site++) {
      const s = sites[site]!;
      ref[site] = scanned(s) ? idOf(s.text) : -1;
    }
    refs[e] = ref;
  }
  from[all.length] = used;
  const found: Array<Array<{ rule: string; secret: string }> | undefined> = new Array(strings.length);
  // Strings touched by a finding reaching past its own string (or starting on a
  // separator): the envelopes holding one are scanned alone, so a verdict never depends on the batch.
  const uncertain = new Uint8Array(strings.length);
  let i = 0;
  while (i < strings.length) {
    // One text for many strings: secretlint costs ~0.2 ms a call whatever the size.
    const first = i;
    const owners: Array<{ string: number; start: number; end: number }> = [];
    let text = '';
    for (; i < strings.length && (text.length < limit || i === first); i++) {
      owners.push({ string: i, start: text.length, end: text.length + strings[i]!.length });
      text += `${strings[i]!}\n`;
    }
    for (const f of await findSecrets(text, scan)) {
      const o = ownerAt(owners, f.start);
      if (!o || f.end > o.end) {
        for (const x of owners) if (x.end >= f.start && x.start <= f.end) uncertain[x.string] = 1;
        continue;
      }
      (found[o.string] ??= []).push({ rule: f.rule, secret: text.slice(f.start, f.end) });
    }
  }
  for (let e = 0; e < all.length; e++) {
    let ref = refs[e];
    if (!ref) {
      let clean = true;
      for (let j = from[e]!; j < from[e + 1]! && clean; j++) clean = !uncertain[flat[j]!] && !found[flat[j]!];
      if (clean) continue;
      // Something was found: from here on this envelope goes the general way.
      const sites = collectSites(raws[e]);
      sitesOf[e] = sites;
      ref = new Int32Array(sites.length);
      for (let site = 0; site < sites.length; site++) ref[site] = scanned(sites[site]!) ? distinct.get(sites[site]!.text)! : -1;
    }
    let rescan = false;
    const hits: SecretHit[] = [];
    for (let site = 0; site < ref.length; site++) {
      const k = ref[site]!;
      if (k < 0) continue;
      if (uncertain[k]) {
        rescan = true;
        break;
      }
      const f = found[k];
      if (f) for (const h of f) hits.push({ site, rule: h.rule, secret: h.secret });
    }
    if (rescan) await alone(e);
    else out[e] = hits;
  }
  return { hits: out, sites: sitesOf };
}

/** The owner whose string contains `pos`, or undefined (a separator). */
function ownerAt<T extends { start: number; end: number }>(owners: T[], pos: number): T | undefined {
  let lo = 0;
  let hi = owners.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (owners[mid]!.start <= pos) lo = mid;
    else hi = mid - 1;
  }
  const o = owners[lo];
  return o && o.start <= pos && pos < o.end ? o : undefined;
}

/** Findings of one envelope's text as site hits: each goes to the string it starts in (or the one before, if it starts on a separator). */
function locate(findings: Array<{ rule: string; start: number; end: number }>, starts: Array<{ site: number; start: number }>, text: string): SecretHit[] {
  const hits: SecretHit[] = [];
  for (const f of findings) {
    if (starts.length === 0) break;
    let k = 0;
    while (k + 1 < starts.length && starts[k + 1]!.start <= f.start) k++;
    hits.push({ site: starts[k]!.site, rule: f.rule, secret: text.slice(f.start, f.end) });
  }
  return hits;
}

/**
 * {@link checkEnvelope} for many envelopes, with secretlint's recommended preset and
 * the strict token rules of @govern/secrets (`findSecrets`) in place of the token rules
 * alone, plus the `known` secrets. The verdict of each envelope is the one it would get
 * alone, whatever else is in the batch.
 *
 * An envelope that fast-envelope.ts proves valid, with no secret-named `context.env`
 * entry (nothing to drop, no value of its own to look for) and no secret found in any
 * of its strings, is accepted as zod would accept it without zod or a walk building
 * sites; every other envelope takes the general path ({@link verdict}).
 */
export async function screenEnvelopes(raws: readonly unknown[], opts: ScreenOptions = {}): Promise<CheckResult[]> {
  const fast = raws.map((raw) => {
    const e = opts.general ? null : fastEnvelope(raw);
    if (!e) return null;
    for (const k in e.context.env) if (isSecretName(k)) return null;
    return e;
  });
  const { hits, sites } = await secretHits(
    raws,
    raws.map((raw, i) => (fast[i] ? null : collectSites(raw))),
    opts,
  );
  return raws.map((raw, i) => {
    const e = fast[i];
    const h = hits[i];
    if (e && h === null) return { ok: true, envelope: e, dropped: [], aliases_read: [] };
    return verdict(raw, sites[i]!, [...h!, ...knownHits(raw, sites[i]!)]);
  });
}

export { parseEnvelopeText, type EnvelopeTextEntry } from './envelope-text.js';
