import { normalizeStatus, type CompiledProfile, type Item, type Status, type WorkDocument } from '@govern/workplan';
import { WriteError } from './errors.js';
import { tableCellEdits } from './table.js';
import { applyEdits, RawText, type TextEdit } from './text.js';

/** Where a status token is written; decides how a replacement is spelled and padded. */
export type TokenForm = 'table-cell' | 'heading' | 'yaml' | 'line';

export interface StatusToken {
  form: TokenForm;
  line: number;
  /** Raw offsets of the whole token as the parser read it (`**Done** (#27)`). */
  start: number;
  end: number;
  /** Raw offsets of the status phrase inside it (`Done`), the part a write replaces. */
  coreStart: number;
  coreEnd: number;
}

export interface StatusEdit {
  text: string;
  edits: TextEdit[];
  from: { status: Status | null; text: string | null };
  to: { status: Status; text: string };
}

/**
 * Plans the surgical edit that sets `item`'s status in `text` (the raw file,
 * BOM and line endings included): only the status phrase changes, plus table
 * padding where a table is aligned and the `updated:` front-matter date where
 * the document has one. Throws a {@link WriteError} when the token cannot be
 * found where the parser put it or the new status cannot be written there.
 */
export function planStatusEdit(
  text: string,
  doc: WorkDocument,
  item: Item,
  to: Status,
  profile: CompiledProfile,
  now: Date,
): StatusEdit {
  const raw = new RawText(text);
  const token = locateStatus(raw, item);
  const core = text.slice(token.coreStart, token.coreEnd);
  const siblings = doc.items
    .filter((other) => other !== item && other.status === to && other.statusSource)
    .flatMap((other) => {
      try {
        const t = locateStatus(raw, other);
        return t.form === token.form ? [text.slice(t.coreStart, t.coreEnd)] : [];
      } catch {
        return [];
      }
    });
  const spelled = spell(to, core, token.form, siblings);
  if (spelled === null) {
    throw new WriteError('status-unwritable', `${item.id}: its status is a checkbox "${core}", which holds only done ([x]) or planned ([ ])`, {
      item: item.id,
      token: core,
      status: to,
    });
  }
  const rebuilt = (c: string) => text.slice(token.start, token.coreStart) + c + text.slice(token.coreEnd, token.end);
  let replacement = spelled;
  if (normalizeStatus(rebuilt(replacement), profile).status !== to) {
    replacement = to;
    if (normalizeStatus(rebuilt(replacement), profile).status !== to) {
      throw new WriteError('status-unwritable', `${item.id}: no spelling of "${to}" that the profile reads back as ${to} fits the token "${core}"`, {
        item: item.id,
        token: core,
        status: to,
      });
    }
  }
  const edits =
    token.form === 'table-cell'
      ? tableCellEdits(raw, token.line, token.coreStart, token.coreEnd, replacement)
      : [{ start: token.coreStart, end: token.coreEnd, text: replacement }];
  const updated = updatedEdit(raw, now);
  if (updated) edits.push(updated);
  return {
    text: applyEdits(text, edits),
    edits,
    from: { status: item.status, text: item.statusText },
    to: { status: to, text: rebuilt(replacement).trim() },
  };
}

/** Finds the status token of `item` in the raw text, checking it is what the parser read. */
export function locateStatus(raw: RawText, item: Item): StatusToken {
  if (!item.statusSource || item.statusText === null || item.statusText === '') {
    throw new WriteError('status-token-missing', `${item.id} has no status written in its document; add one by hand (nothing is inserted or guessed)`, {
      item: item.id,
    });
  }
  const { line, column } = item.statusSource;
  const want = item.statusText;
  let start: number;
  try {
    start = raw.offset(line, column);
  } catch {
    throw mismatch(item, '(past the end of the file)');
  }
  const text = raw.text;
  if (!text.startsWith(want, start)) {
    // A quoted YAML scalar: the parser's position is the opening quote.
    if ((text[start] === '"' || text[start] === "'") && text.startsWith(want, start + 1)) start++;
    else throw mismatch(item, text.slice(start, start + want.length));
  }
  const end = start + want.length;
  const lineText = raw.line(line).trimStart();
  // Tasks and workplans keep their status in YAML (front matter, fenced block or
  // `key: value` lines); milestones in a table cell, a heading or a `Status:` line.
  const form: TokenForm = lineText.startsWith('|')
    ? 'table-cell'
    : lineText.startsWith('#')
      ? 'heading'
      : item.kind === 'milestone'
        ? 'line'
        : 'yaml';
  const [coreStart, coreEnd] = coreSpan(want);
  return { form, line, start, end, coreStart: start + coreStart, coreEnd: start + coreEnd };
}

function mismatch(item: Item, found: string): WriteError {
  return new WriteError(
    'status-token-mismatch',
    `${item.id}: expected the status "${item.statusText}" at line ${item.statusSource?.line}, column ${item.statusSource?.column}, found "${found}"; the file changed since it was read`,
    { item: item.id, expected: item.statusText, actual: found },
  );
}

/**
 * The status phrase inside a token: emphasis and code markers are kept, and so
 * is commentary after it (`Done (#27)`, `Done — v2`), as the status reader
 * splits it (libs/workplan status.ts).
 */
export function coreSpan(token: string): [number, number] {
  let s = 0;
  while (s < token.length && /[*_`\s]/.test(token[s]!)) s++;
  const rest = token.slice(s);
  const sep = /\s*(?:\(|\s[—–]\s|\s-\s|:|;|,)/u.exec(rest);
  let e = s + (sep && sep.index > 0 ? sep.index : rest.length);
  while (e > s && /[*_`\s]/.test(token[e - 1]!)) e--;
  return [s, e];
}

const WORDS: Record<Status, string[]> = {
  planned: ['planned'],
  in_progress: ['in', 'progress'],
  partial: ['partial'],
  blocked: ['blocked'],
  done: ['done'],
};

/**
 * How to write `to` where `current` is written: as the document already spells
 * that status in the same kind of place (a sibling), else in the current
 * token's style (snake_case in YAML, kebab-case, UPPER CASE, lower case or
 * Title Case). Checkbox tokens hold `[x]` or `[ ]` only.
 */
export function spell(to: Status, current: string, form: TokenForm, siblings: string[]): string | null {
  if (/^\[[ xX]\]$/.test(current)) {
    if (to === 'done') return current === '[X]' ? '[X]' : '[x]';
    return to === 'planned' ? '[ ]' : null;
  }
  if (siblings.length) {
    const counts = new Map<string, number>();
    for (const s of siblings) counts.set(s, (counts.get(s) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  }
  const words = WORDS[to];
  if (/^[a-z]+(?:_[a-z]+)+$/.test(current) || (form === 'yaml' && /^[a-z]+$/.test(current))) return words.join('_');
  if (/^[a-z]+(?:-[a-z]+)+$/.test(current)) return words.join('-');
  if (/^[A-Z][A-Z]+(?:[ _-][A-Z]+)*$/.test(current)) return words.join(current.includes('_') ? '_' : ' ').toUpperCase();
  if (/^[a-z]+(?: [a-z]+)*$/.test(current)) return words.join(' ');
  return words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
}

const UPDATED_KEY = /^(updated|last_updated|updated_at|last-updated)(\s*:\s*)(["']?)([^"'#\r\n]*?)\3(\s*(?:#.*)?)$/;

/**
 * Bumps a front-matter `updated:` date (also `last_updated`, `updated_at`) to
 * `now` in the format it already has: a date stays a date, a timestamp a
 * timestamp. Any other value is left alone.
 */
export function updatedEdit(raw: RawText, now: Date): TextEdit | null {
  if (raw.lineCount < 2 || raw.line(1) !== '---') return null;
  for (let l = 2; l <= raw.lineCount; l++) {
    const line = raw.line(l);
    if (line === '---' || line === '...') return null;
    const m = UPDATED_KEY.exec(line);
    if (!m) continue;
    const value = m[4]!;
    let next: string | null = null;
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) next = now.toISOString().slice(0, 10);
    else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) {
      const iso = now.toISOString();
      next = /\.\d+/.test(value) ? iso : iso.replace(/\.\d+Z$/, 'Z');
      if (value.includes(' ')) next = next.replace('T', ' ');
    }
    if (next === null || next === value) return null;
    const start = raw.lineStart(l) + m[1]!.length + m[2]!.length + m[3]!.length;
    return { start, end: start + value.length, text: next };
  }
  return null;
}
