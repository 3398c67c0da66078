import type { Status } from './model.js';
import { canonicalPhrase, type CompiledProfile } from './profile.js';

export interface NormalizedStatus {
  status: Status | null;
  refs: string[];
}

/**
 * Maps a status as written (`Done (#27)`, `COMPLETE`, `in_progress`, `[x]`) to the
 * normalized vocabulary. Returns `status: null` when no rule matches; the caller
 * reports that, because guessing a status is worse than admitting we do not know.
 */
export function normalizeStatus(raw: string, profile: CompiledProfile): NormalizedStatus {
  // A corpus spells its statuses a handful of ways, and each spelling went through the
  // profile's regexes and phrases again for every item (5% of a parse worker's time).
  // Short spellings are remembered per profile; the refs array is the caller's own copy.
  if (raw.length > MEMO_MAX_LENGTH) return normalizeUncached(raw, profile);
  let memo = memos.get(profile);
  if (!memo) memos.set(profile, (memo = new Map()));
  let hit = memo.get(raw);
  if (!hit) {
    if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
    memo.set(raw, (hit = normalizeUncached(raw, profile)));
  }
  return { status: hit.status, refs: [...hit.refs] };
}

const MEMO_MAX_LENGTH = 200;
const MEMO_MAX_ENTRIES = 10_000;
const memos = new WeakMap<CompiledProfile, Map<string, NormalizedStatus>>();

function normalizeUncached(raw: string, profile: CompiledProfile): NormalizedStatus {
  const refs = [...raw.matchAll(/#\d+/g)].map((m) => m[0]);
  const text = raw.trim();
  for (const { re, status } of profile.statusRegexes) if (re.test(text)) return { status, refs };
  // A code span names something (`x-kubernetes-immutable`, a flag, a file): it states a
  // status only when its words are exactly a status spelling (`done`, `in progress`).
  if (text.startsWith('`')) {
    const close = text.indexOf('`', 1);
    if (close > 1) return { status: exactStatus(text.slice(1, close).trim(), profile), refs };
  }
  // Strip emphasis and code markers, then look at the leading words only: what
  // follows a parenthesis, dash or colon is commentary (`Done (#27)`, `Done — v2`).
  // `(?<!_)`: `_+$` would otherwise rescan an underscore run from each of its characters.
  const stripped = text.replace(/[*`]/g, '').replace(/^_+|(?<!_)_+$/g, '').trim();
  if (stripped === '') return { status: null, refs };
  const lead = canonicalPhrase(leadingWords(stripped));
  const whole = canonicalPhrase(stripped);
  for (const candidate of [whole, lead]) {
    for (const { phrase, status } of profile.statusPhrases) if (candidate === phrase) return { status, refs };
  }
  for (const { phrase, status } of profile.statusPhrases) {
    if (lead.startsWith(phrase) && /^[\s.!]|^$/.test(lead.slice(phrase.length, phrase.length + 1))) return { status, refs };
  }
  return { status: null, refs };
}

/** The status whose spelling is exactly the text, or its leading words before commentary; no prefix matching. */
export function exactStatus(text: string, profile: CompiledProfile): Status | null {
  const whole = canonicalPhrase(text);
  const lead = canonicalPhrase(leadingWords(text));
  for (const { phrase, status } of profile.statusPhrases) if (phrase === whole || phrase === lead) return status;
  return null;
}

const COMMENTARY = /\(|\s[—–]\s|\s-\s|:|;|,/u;

/**
 * The text before the first commentary separator and the blanks before it: what
 * `text.split(/\s*(?:\(|\s[—–]\s|\s-\s|:|;|,)/u)[0]` gives, without that regex's
 * rescan of a blank run from each of its characters (quadratic on long runs).
 */
function leadingWords(text: string): string {
  const m = COMMENTARY.exec(text);
  if (!m) return text;
  let end = m.index;
  while (end > 0 && /\s/u.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/** Rank of a priority spelling (lower is more urgent); unknown and missing sort last. */
export function priorityRank(priority: string | null, profile: CompiledProfile): number {
  if (!priority) return Number.MAX_SAFE_INTEGER;
  return profile.priorityRank.get(priority.trim().toLowerCase()) ?? Number.MAX_SAFE_INTEGER - 1;
}
