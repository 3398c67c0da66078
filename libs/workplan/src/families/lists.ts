import type { ListBlock, ListItem } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { DependencyRef, Status } from '../model.js';
import { canonicalHeader, type CompiledProfile } from '../profile.js';
import { exactStatus, normalizeStatus } from '../status.js';
import { parseDependencyList } from './common.js';

/**
 * What a list line says about itself: a status mark (checkbox, `[~]`, a leading ✅/🔄/⚪),
 * an id at its start (the profile's `listItemIds`), its title without the id, markers
 * (`[P]`, `[US1]`) and emphasis, and a dependency trailer (`- depends on [001]`,
 * `(depends on T001)`, `Depends: T1, T2`). Everything here scans the line once.
 */
export interface ListLine {
  status: Status | null;
  statusText: string | null;
  /** Column of the status mark (the checkbox's `[`, or the emoji). */
  statusColumn: number;
  id: string | null;
  /** `Phase` for `**Phase 2: …**`: the id is then a plan id (`PHASE-2`). */
  kw: string | null;
  title: string;
  /**
   * How many characters at the start of `title` (before `listLineDetails`) are a bold first
   * line over a description (`**1.1 Data models**`, then `Create …` below), without the id:
   * that part is then the title. 0: none.
   */
  lead: number;
  /**
   * The title as it was before a bold lead was the title: what an item written without an
   * id takes its id from, so that the ids of such items did not change (GV-WP-0029-T03).
   */
  slugTitle: string;
  markers: string[];
  dependsText: string | null;
  dependsColumn: number;
  /** The line's text after its status mark (for positions). */
  text: string;
  /** Whether `listLineDetails` has run: before it, `title` is the raw rest of the line. */
  details: boolean;
}

const CHECKBOX = new WeakMap<CompiledProfile, [Status, Status]>();
/** What `[x]` and `[ ]` mean in this profile (done and planned unless it says otherwise), computed once. */
function checkboxStatus(checked: boolean, profile: CompiledProfile): Status {
  let v = CHECKBOX.get(profile);
  if (!v) CHECKBOX.set(profile, (v = [normalizeStatus('[x]', profile).status ?? 'done', normalizeStatus('[ ]', profile).status ?? 'planned']));
  return checked ? v[0] : v[1];
}

const BOLD_TAG = /^(\*\*|__)([A-Z]{2,15})\1:[ \t]+(?=\S)/;
const BRACKET_MARK = /^\[([~\-/])\][ \t]+/;
const MARKER = /^\[([A-Za-z0-9][\w ,.-]{0,24})\][ \t]*/;

/** Reads a list item's text; null when the text is empty. */
export function readListLine(item: ListItem, profile: CompiledProfile): ListLine | null {
  let text = item.text;
  // No checkbox, no `[~]`, no leading symbol: no status mark, so never an item.
  if (item.checked === null) {
    const c = text.charCodeAt(0);
    if (c !== 91 && c < 0x2000) return null;
  }
  let col = item.column;
  let status: Status | null = null;
  let statusText: string | null = null;
  let statusColumn = col;
  if (item.checked !== null) {
    statusText = item.checked ? '[x]' : '[ ]';
    status = checkboxStatus(item.checked, profile);
    statusColumn = Math.max(1, col - 4);
  } else {
    const b = BRACKET_MARK.exec(text);
    if (b) {
      statusText = `[${b[1]}]`;
      status = normalizeStatus(statusText, profile).status;
      if (status) {
        text = text.slice(b[0].length);
        col += b[0].length;
      } else statusText = null;
    } else {
      const e = leadingSymbol(text);
      if (e) {
        const s = normalizeStatus(e, profile).status;
        if (s) {
          status = s;
          statusText = e;
          const rest = text.slice(e.length);
          const trimmed = rest.trimStart();
          col += e.length + (rest.length - trimmed.length);
          text = trimmed;
        }
      }
    }
  }
  // A bold upper-case tag before a colon (`**NEW**: Design …`, `**WIP**: …`) is a marker, not the title.
  let plain = text;
  const tag = BOLD_TAG.exec(plain);
  if (tag) plain = plain.slice(tag[0].length);
  // Emphasis around the start: `**Phase 1: Title** - summary`, `**Define types**`.
  // `boldEnd`: where the bold text ends in `plain`, when it is the whole first line of a
  // paragraph that goes on (`**1.1 Data models**`, then the description on the lines below).
  let boldEnd = -1;
  if (plain.startsWith('**') || plain.startsWith('__')) {
    const mark = plain.slice(0, 2);
    const close = plain.indexOf(mark, 2);
    // `plain` is a suffix of `item.text` (marks were cut from its start).
    if (close > 0 && item.head !== undefined && close + 2 === item.head - (item.text.length - plain.length)) boldEnd = close - 2;
    // `col` stays the column of `text`: positions found in `text` (the trailer) are added to it.
    plain = close > 0 ? plain.slice(2, close) + plain.slice(close + 2) : plain.slice(2);
  }
  if (plain.startsWith('`')) {
    const close = plain.indexOf('`', 1);
    if (close > 0) plain = plain.slice(1, close) + plain.slice(close + 1);
  }
  let id: string | null = null;
  let kw: string | null = null;
  let rest = plain;
  for (const re of profile.listItemIds) {
    const m = re.exec(plain);
    if (m?.groups?.id) {
      id = m.groups.id;
      kw = m.groups.kw ?? null;
      rest = plain.slice(m[0].length);
      break;
    }
  }
  const markers: string[] = tag ? [tag[2]!] : [];
  rest = rest.replace(/^[ \t]*/, '');
  if (id) {
    for (let guard = 0; guard < 8; guard++) {
      const mk = MARKER.exec(rest);
      if (!mk) break;
      markers.push(mk[1]!);
      rest = rest.slice(mk[0].length);
    }
    rest = rest.replace(/^(?:[:.)—–-][ \t]*)+/, '');
  }
  if (!rest.trim() && !id) return null;
  // `rest` is a suffix of `plain`: the part of the bold text left in it, past the id.
  const lead = Math.max(0, boldEnd - (plain.length - rest.length));
  return { status, statusText, statusColumn, id, kw, title: rest, lead, slugTitle: rest, markers, dependsText: null, dependsColumn: col, text, details: false };
}

/**
 * `Help center - WIP`: the title, and the phrase after the last dash between blanks when
 * that phrase is short (at most 30 characters). A scan back from the end, not a regex: a
 * pattern with a blank run before the dash backtracks over long runs of blanks.
 */
function trailingPhrase(text: string): { title: string; phrase: string; index: number } | null {
  const blank = (ch: string | undefined) => ch === ' ' || ch === '\t';
  let end = text.length;
  while (end > 0 && blank(text[end - 1])) end--;
  for (let k = end - 2; k >= 1 && k >= end - 32; k--) {
    const ch = text[k];
    if ((ch !== '-' && ch !== '–' && ch !== '—') || !blank(text[k - 1]) || !blank(text[k + 1])) continue;
    let at = k + 1;
    while (at < end && blank(text[at])) at++;
    const title = text.slice(0, k).trim();
    return at < end && title ? { title, phrase: text.slice(at, end), index: at } : null;
  }
  return null;
}

/**
 * Every line of a list block (nested ones too) read by {@link readListLine}, and one form
 * it cannot tell line by line: a list whose every line ends in a status after a dash
 * (`- Help center - WIP`, `- 2FA for password login - TODO`: abhinavxd/libredesk's
 * ROADMAP.md). Those lines read as lines without an id, their status the last phrase
 * (exactly a status spelling of the profile, no commentary). Every line of the list and at least two: a
 * single `- Redis - open` among notes is a note.
 */
export function readListLines(b: ListBlock, profile: CompiledProfile): Map<ListItem, ListLine | null> {
  const out = new Map<ListItem, ListLine | null>();
  const siblings: ListItem[][] = [b.items];
  while (siblings.length) {
    const list = siblings.pop()!;
    for (const it of list) {
      out.set(it, readListLine(it, profile));
      if (it.children.length) siblings.push(it.children);
    }
    if (list.length < 2) continue;
    const trailing: [ListItem, ListLine][] = [];
    for (const it of list) {
      if (it.checked !== null || (out.get(it)?.status ?? null) !== null) break;
      const t = trailingPhrase(it.text);
      // The whole phrase is the status (`WIP`, `In Progress`): with commentary (`open, see #4`) it is a note.
      const status = t && !/[(),:;]/.test(t.phrase) ? exactStatus(t.phrase, profile) : null;
      if (!t || !status) break;
      trailing.push([it, { status, statusText: t.phrase, statusColumn: it.column + t.index, id: null, kw: null, title: t.title, lead: 0, slugTitle: t.title, markers: [], dependsText: null, dependsColumn: it.column, text: it.text, details: false }]);
    }
    if (trailing.length === list.length) for (const [it, l] of trailing) out.set(it, l);
  }
  return out;
}

/**
 * Title and dependency trailer of a list line, worked out only for the lines that become
 * items (the trailer scan is the costly part of reading a line).
 */
export function listLineDetails(l: ListLine): ListLine {
  if (l.details) return l;
  l.details = true;
  let rest = l.title;
  // A bold first line is the title: a trailer ends it (`**Tag v2 (depends on T1)**`).
  let lead = l.lead > 0 ? rest.slice(0, l.lead) : null;
  const cut = (text: string, at: number) => text.slice(0, at).trimEnd().replace(/[ \t]*[(—–-]$/, '').trimEnd();
  const dep = dependsTrailer(rest) ?? (lead !== null ? dependsTrailer(lead) : null);
  if (dep) {
    l.dependsText = dep.text;
    l.dependsColumn = l.dependsColumn + Math.max(0, l.text.indexOf(dep.text));
    if (lead !== null && dep.index < lead.length) lead = cut(lead, dep.index);
    else rest = cut(rest, dep.index);
  }
  l.slugTitle = cleanTitle(rest);
  l.title = (lead !== null && cleanTitle(lead).replace(/[ \t]*[:.]$/, '')) || l.slugTitle;
  return l;
}

/** A title without emphasis marks and a dangling dash. */
function cleanTitle(text: string): string {
  return text.replace(/\*\*|__/g, '').replace(/[ \t]+[—–-][ \t]*$/, '').trim();
}

/** Whether the text holds a character from U+2000 up (where the status emoji are). */
function hasSymbol(text: string): boolean {
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) >= 0x2000) return true;
  return false;
}

/** The leading non-letter, non-digit symbol of a text (an emoji such as ✅ with its variation selector), or null. */
function leadingSymbol(text: string): string | null {
  const cp = text.codePointAt(0);
  if (cp === undefined || cp < 0x2000) return null;
  let end = cp > 0xffff ? 2 : 1;
  while (end < text.length && (text.charCodeAt(end) === 0xfe0f || text.charCodeAt(end) === 0x200d)) end++;
  return text.slice(0, end);
}

const DEPENDS_AT = /(?:^|[\s(_*])(?:depends on|depends|dependencies|blocked by|after)\s*:?\s*/gi;

/**
 * `… - depends on [001, 002]`, `… (depends on T001)`, `_Depends: T1, T2_`: the ids after
 * the last such phrase, when what follows is a list of ids (a bracketed list, or tokens
 * that all look like ids). Returns the text of the list and where the trailer starts.
 */
export function dependsTrailer(text: string): { text: string; index: number } | null {
  let found: RegExpExecArray | null = null;
  DEPENDS_AT.lastIndex = 0;
  for (let m = DEPENDS_AT.exec(text); m; m = DEPENDS_AT.exec(text)) {
    if (m[0].toLowerCase().includes('after') && !/[(]\s*after/i.test(text.slice(Math.max(0, m.index - 1), m.index + m[0].length))) continue;
    found = m;
  }
  if (!found) return null;
  let after = text.slice(found.index + found[0].length);
  const start = found.index + (/^[\s(_*]/.test(found[0]) ? 1 : 0);
  after = after.replace(/[)_*.\]]*\s*$/, '');
  if (after.startsWith('[')) after = after.slice(1).replace(/\]$/, '');
  after = after.replace(/\]/g, '').trim();
  if (!after) return null;
  const tokens = after.split(/\s*(?:,|;|\band\b)\s*/i).filter(Boolean);
  if (!tokens.length || tokens.some((t) => !isDependencyToken(t))) return null;
  return { text: after, index: start };
}

function isDependencyToken(t: string): boolean {
  const s = t.trim();
  if (/^(?:none|n\/a|-|—)$/i.test(s)) return true;
  if (/^(?:phase|milestone|stage|task|week|sprint|epic)\s+[\w.-]+$/i.test(s)) return true;
  return /^#?[A-Za-z0-9][\w.-]*$/.test(s) && /\d/.test(s);
}

/** Positioned dependency refs from a trailer's list (see `dependsTrailer`). */
export function trailerDependencies(text: string, line: number, column: number, sink: DiagnosticSink): DependencyRef[] {
  const out: DependencyRef[] = [];
  const re = /[^,;]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const token = m[0].trim();
    if (!token) continue;
    const col = column + m.index + (m[0].length - m[0].trimStart().length);
    const kw = /^(phase|milestone|stage|task|week|sprint|epic)\s+([\w.-]+)$/i.exec(token);
    if (kw) out.push({ id: `${kw[1]!.toUpperCase()}-${kw[2]}`, origin: 'section', line, column: col });
    else if (/^#?\d[\w.-]*$/.test(token)) out.push({ id: token, origin: 'section', line, column: col });
    else for (const ref of parseDependencyList(token, line, col, 'section', sink)) out.push(ref);
  }
  return out;
}

/** The ids a subject or object reference names: an id, or the ids of a range the document has. */
function refIds(m: RegExpExecArray, ctx: ProseContext): string[] {
  if (!m[2]) {
    const story = STORY.exec(m[1]!);
    const phase = story ? ctx.story(story[1]!) : null;
    return [phase ?? m[1]!];
  }
  // Not a range of the document's ids: one id written with a dash (`M1-T1`).
  return ctx.range(m[1]!, m[2]) ?? [`${m[1]}-${m[2]}`];
}

/** Reads the task-subject sentences of `text` (split at `.`/`;` before a blank) into `out`. */
function taskSentences(text: string, ctx: ProseContext, out: ProseEdge[]): void {
  const re = /[^.;]+(?:[.;](?=\s|$)|[.;]|$)/g;
  for (let c = re.exec(text); c && c[0]; c = re.exec(text)) {
    if (ctx.budget <= 0) return;
    const before = out.length;
    taskSentence(c[0], c.index, ctx, out);
    ctx.budget -= out.length - before;
    if (re.lastIndex >= text.length) break;
  }
}

function taskSentence(clause: string, base: number, ctx: ProseContext, out: ProseEdge[]): void {
  // Leading bullets, numbering and emphasis: `- **T004**`, `1. T001`.
  const lead = /^[\s*_>-]*(?:\d{1,3}[.)]\s+)?[*_\s]*/.exec(clause)![0].length;
  let at = lead;
  const subject: string[] = [];
  for (;;) {
    PROSE_REF.lastIndex = at;
    const m = PROSE_REF.exec(clause);
    if (!m) break;
    for (const id of refIds(m, ctx)) subject.push(id);
    at = PROSE_REF.lastIndex;
    PROSE_SEP.lastIndex = at;
    const sep = PROSE_SEP.exec(clause);
    if (!sep) break;
    at = PROSE_SEP.lastIndex;
  }
  if (!subject.length || subject.length > MAX_PROSE_SUBJECTS) return;
  // Between the subject and the relation: markers, a parenthesis, a comma (at most 80 characters).
  let verb: RegExpExecArray | null = null;
  for (let k = at; k <= Math.min(clause.length, at + 80); k++) {
    PROSE_VERB.lastIndex = k;
    verb = PROSE_VERB.exec(clause);
    if (verb) break;
  }
  if (!verb) return;
  if (verb[2]) {
    for (let k = 1; k < subject.length; k++) out.push({ from: subject[k]!, to: subject[k - 1]!, column: base + lead });
    return;
  }
  // The objects: ids, ranges, `Phase 1`, `Phases 3 and 4`, `US1`, up to a parenthesis or the end.
  let rest = clause.slice(PROSE_VERB.lastIndex);
  const restAt = base + PROSE_VERB.lastIndex;
  const cut = rest.search(/[(.;:]|\s[—–]\s|\s-\s/);
  if (cut >= 0) rest = rest.slice(0, cut);
  let kw: string | null = null;
  const tokenRe = /(?:(phases?|milestones?|stages?|weeks?|sprints?)\s+)?(\d[\w.]*|(?:user\s+story\s+\d+)|[A-Z]{1,6}-?\d+[A-Za-z]?(?:\s*[-–—]\s*[A-Z]{1,6}-?\d+[A-Za-z]?)?)/giy;
  let k = 0;
  while (k < rest.length) {
    const sp = /[\s,/+&*_`]+|\band\b|\bor\b/y;
    sp.lastIndex = k;
    const s1 = sp.exec(rest);
    if (s1 && s1[0]) {
      k = sp.lastIndex;
      continue;
    }
    tokenRe.lastIndex = k;
    const t = tokenRe.exec(rest);
    if (!t) break;
    if (t[1]) kw = t[1].toUpperCase().replace(/S$/, '');
    const raw = t[2]!;
    const col = restAt + k + (t[0].length - raw.length);
    if (/^\d/.test(raw)) {
      if (kw) for (const from of subject) out.push({ from, to: `${kw}-${raw}`, column: col });
    } else {
      const r = PROSE_OBJECT.exec(raw);
      const ids = r ? refIds(r, ctx) : [raw];
      if (subject.length * ids.length > MAX_PROSE_SUBJECTS) return;
      for (const from of subject) for (const to of ids) out.push({ from, to, column: col });
    }
    k = tokenRe.lastIndex;
  }
}

/** True when a heading's text names a section whose checklists are not items (acceptance criteria, a release checklist…). */
export function isNonItemSection(text: string, profile: CompiledProfile): boolean {
  const t = ` ${canonicalHeader(text.replace(/[*_`]/g, ''))} `;
  return profile.nonItemSections.some((w) => t.includes(` ${w} `));
}

export interface HeadingMarks {
  /** The heading text without the status mark (and without a leading checkbox or emoji). */
  text: string;
  /** Offset of `text` inside the original heading text. */
  offset: number;
  statusText: string | null;
  /** Offset of the status mark inside the original heading text. */
  statusOffset: number;
}

/**
 * Status marks a heading may carry around its title: a leading checkbox (`[x] Phase 1`) or
 * status emoji (`✅ Phase 1`), and at the end a status in backticks (`\`done\``), in
 * parentheses (`(COMPLETE)`), a status emoji (`✅`, `🔄`, `⚪`) optionally followed by
 * words (`✅ COMPLETE`), or upper-case status words (`COMPLETE`, `NEAR COMPLETE`).
 * Only what the profile maps to a status counts; the rest of the heading is kept as is.
 */
export function headingMarks(text: string, profile: CompiledProfile): HeadingMarks {
  // Most headings carry no mark at all: no leading `[`, no symbol, no closing `\`` or `)`.
  const last = text.charCodeAt(text.length - 1);
  if (text.charCodeAt(0) !== 91 && last !== 96 && last !== 41 && !hasSymbol(text)) return { text, offset: 0, statusText: null, statusOffset: 0 };
  let start = 0;
  let statusText: string | null = null;
  let statusOffset = 0;
  const box = /^\[([ xX~\-/])\][ \t]+/.exec(text);
  if (box) {
    const st = `[${box[1]!.toLowerCase() === 'x' ? 'x' : box[1]}]`;
    if (normalizeStatus(st, profile).status) {
      statusText = st;
      statusOffset = 0;
      start = box[0].length;
    }
  } else {
    const e = leadingSymbol(text);
    if (e && normalizeStatus(e, profile).status) {
      statusText = e;
      statusOffset = 0;
      start = e.length;
      while (start < text.length && (text[start] === ' ' || text[start] === '\t')) start++;
    }
  }
  let end = text.length;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  const body = text.slice(start, end);
  const tail = trailingStatus(body, profile);
  if (tail && statusText === null) {
    statusText = tail.text;
    statusOffset = start + tail.index;
    end = start + tail.cut;
  } else if (tail) end = start + tail.cut;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return { text: text.slice(start, end), offset: start, statusText, statusOffset };
}

function trailingStatus(body: string, profile: CompiledProfile): { text: string; index: number; cut: number } | null {
  const ok = (s: string) => normalizeStatus(s, profile).status !== null;
  // `… \`done\``
  if (body.endsWith('`')) {
    const open = body.lastIndexOf('`', body.length - 2);
    if (open > 0) {
      const inner = body.slice(open + 1, body.length - 1);
      // Read with its backticks: a code span is a status only when it is exactly one (normalizeStatus).
      // After ` — ` the segment rule of the plan headings reads it (keeping the title clean).
      if (inner && !/\s[—–-]\s*$/.test(body.slice(0, open)) && ok(body.slice(open))) return { text: inner, index: open + 1, cut: open };
    }
  }
  // `… (COMPLETE)`
  if (body.endsWith(')')) {
    const open = body.lastIndexOf('(');
    if (open > 0) {
      const inner = body.slice(open + 1, body.length - 1).trim();
      if (inner && !inner.includes('(') && ok(inner) && isStatusy(inner)) return { text: inner, index: open + 1, cut: open };
    }
  }
  // `… ✅`, `… ✅ COMPLETE`: the last one to three words, led by a symbol.
  if (!hasSymbol(body)) return null;
  const words: { text: string; index: number }[] = [];
  const re = /\S+/g;
  for (let m = re.exec(body); m; m = re.exec(body)) words.push({ text: m[0], index: m.index });
  if (words.length < 2) return null;
  for (let n = Math.min(3, words.length - 1); n >= 1; n--) {
    const first = words[words.length - n]!;
    const phrase = body.slice(first.index);
    // Emoji-led only (`✅`, `✅ COMPLETE`): a plain last word (`… Add TODO`) is part of the title.
    const sym = leadingSymbol(first.text) !== null && !/[\p{L}\p{N}]/u.test(first.text);
    // After ` — ` the segment rule of the plan headings reads it, as before.
    const before = body.slice(0, first.index).trimEnd();
    if (/\s[—–-]$/.test(before)) continue;
    if (sym && ok(phrase.replace(/\*/g, ''))) return { text: phrase.replace(/\*/g, ''), index: first.index, cut: first.index };
  }
  return null;
}

/**
 * A parenthesized status is read only when it is nothing but status words (`(COMPLETE)`,
 * `(done)`), or status words and a date or version (`(Shipped: 2026-07-28)`, `(Done in
 * v1.2.1)`), not `(see #12)`.
 */
function isStatusy(inner: string): boolean {
  if (inner.length > 40) return false;
  if (!/\d/.test(inner)) return inner.length <= 30;
  return STATUS_AND_WHEN.test(inner);
}

/** Words without digits, then `:`/`,`/a dash/`on`/`in`/a blank, then a date or a version, and nothing else. */
const STATUS_AND_WHEN = /^[^\d:,;()]+?(?:\s*[:,—–-]\s*|\s+(?:on|in)\s+|\s+)(?:\d{4}-\d{2}(?:-\d{2})?|v?\d+(?:\.\d+)+)$/i;

export interface ProseEdge {
  from: string;
  to: string;
  column: number;
}

const PROSE_SUBJECT = /^[*_]*\s*(phase|milestone|stage|week|sprint)\s+(\d[\w.]*)[^:]*:[*_]*\s*depends on\s+/i;
const ARROW_LEFT = /([A-Z]{1,6}-?\d+[A-Za-z]?)[*_`\s]*$/;
const ARROW_RIGHT = /^[*_`\s]*([A-Z]{1,6}-?\d+[A-Za-z]?)\b/;

/** What prose dependencies need to know of the document (see `proseEdges`). */
export interface ProseContext {
  /** The ids of a range `T001-T003` that the document has, in order; null when it is not a range of its ids. */
  range(from: string, to: string): string[] | null;
  /** The local id of the milestone of user story `n` (`US1`, `User Story 1`); null when none. */
  story(n: string): string | null;
  /**
   * What is left of the document's budget of ids named and edges made by prose (ranges
   * expanded): every sentence spends its share, and none is read once it is spent.
   */
  budget: number;
}

// A task id as spec-driven plans write them (`T001`, `US1`, `M1-T1`), optionally a range `T001-T003`.
const PROSE_ID = '[A-Z]{1,6}-?\\d+[A-Za-z]?';
const PROSE_REF = new RegExp(`(${PROSE_ID})(?:\\s*[-–—]\\s*(${PROSE_ID}))?`, 'y');
const PROSE_SEP = /\s*(?:,|\/|\+|&|\band\b)\s*/y;
// The relation after the subject: `depend(s) on`, `must/should/can (anytime) run after`,
// `run(s) after`, `(is/are) blocked by`; `are sequential` chains the subject itself
// (`can run sequentially` says only that they may).
const PROSE_VERB = /\b(?:(depends?\s+on|(?:must|should|can|may)\s+(?:only\s+)?(?:run|start|begin)\s+(?:anytime\s+|only\s+)?after|(?:runs?|starts?|begins?)\s+(?:only\s+)?after|(?:is|are)\s+blocked\s+by)|((?:are|is|run)\s+sequential|sequential)(?![\w-]))/iy;
const STORY = /^(?:us|user\s+story\s+)(\d+)$/i;
/** At most this many edges per object of one sentence: a longer list is not read (linear time on any input). */
const MAX_PROSE_SUBJECTS = 1000;
const PROSE_OBJECT = new RegExp(`^(${PROSE_ID}|user\\s+story\\s+\\d+)(?:\\s*[-–—]\\s*(${PROSE_ID}))?$`, 'i');

/**
 * Dependencies stated in prose, as local ids: `**Phase 4 (US2)**: depends on Phase 2 …`,
 * `Phase 5: depends on Phases 3 and 4`, arrows `T005 → T006 → T007` (each id depends on
 * the one before it), and sentences whose subject is a list of task ids or ranges:
 * `T004 should run after T001-T003`, `T005, T006 must run after Phase 1 complete`,
 * `T010-T012 depend on US1 completion` (the milestone of user story 1), `T010/T011 [P]
 * (…), can run anytime after T007`, `T006-T009 are sequential` (each after the one
 * before). The caller keeps only edges between items of the document.
 */
export function proseEdges(text: string, ctx?: ProseContext): ProseEdge[] {
  const out: ProseEdge[] = [];
  if (ctx) taskSentences(text, ctx, out);
  const s = PROSE_SUBJECT.exec(text);
  if (s) {
    const from = `${s[1]!.toUpperCase()}-${s[2]}`;
    let rest = text.slice(s[0].length);
    let cut = rest.length;
    for (const sep of ['.', '(', ';', ' — ', ' - ']) {
      const k = rest.indexOf(sep);
      if (k >= 0 && k < cut) cut = k;
    }
    rest = rest.slice(0, cut);
    let kw: string | null = null;
    let at = s[0].length;
    for (const raw of rest.split(/,|\band\b/i)) {
      const m = /^\s*(?:(phases?|milestones?|stages?|weeks?|sprints?)\s+)?(\d[\w.]*|[A-Z]{1,6}-?\d+[A-Za-z]?)\b/i.exec(raw);
      if (m) {
        if (m[1]) kw = m[1].toUpperCase().replace(/S$/, '');
        const id = /^\d/.test(m[2]!) && kw ? `${kw}-${m[2]}` : m[2]!;
        out.push({ from, to: id, column: at + (m.index ?? 0) });
      }
      at += raw.length + 1;
    }
  }
  if (text.includes('→')) {
    const parts = text.split('→');
    let at = 0;
    for (let k = 0; k + 1 < parts.length; k++) {
      at += parts[k]!.length + 1;
      const l = ARROW_LEFT.exec(parts[k]!);
      const r = ARROW_RIGHT.exec(parts[k + 1]!);
      if (l && r) out.push({ from: r[1]!, to: l[1]!, column: at });
    }
  }
  return out;
}
