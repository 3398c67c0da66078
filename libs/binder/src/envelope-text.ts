import type { QuarantineReason } from './validate.js';

/*
 * Reading envelope files (`govern binder ingest FILE|-`): a JSON array, one JSON value,
 * or JSON Lines. Only framing lives here; what a record must hold is validate.ts's.
 */

/**
 * One record of an envelope file: its parsed value, or why it is not JSON; `line` is
 * where it starts (1-based). An error's `text` is what failed to parse: the line (no
 * line break) in JSON Lines, else the whole text; to quarantine as the raw record.
 */
export type EnvelopeTextEntry = { raw: unknown; line: number } | { error: QuarantineReason; line: number; text: string };

/** 1-based line of each offset, for ascending offsets. */
function linesOf(text: string, offsets: number[]): number[] {
  let line = 1;
  let at = 0;
  return offsets.map((o) => {
    for (; at < o; at++) if (text.charCodeAt(at) === 10) line++;
    return line;
  });
}

/** Where each element of the top-level array in `text` (valid JSON) starts. */
function elementOffsets(text: string, open: number): number[] {
  const out: number[] = [];
  let depth = 0;
  let inString = false;
  let expecting = true;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (depth === 0 && c === ']') break;
    if (depth === 0 && c === ',') {
      expecting = true;
      continue;
    }
    if (expecting && depth === 0) {
      out.push(i);
      expecting = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return out;
}

/**
 * A JSON.parse failure described without its text: V8's message can quote the input,
 * and the input may hold a secret. Only the position is kept, as line and column.
 */
function jsonError(err: unknown, text: string, lineBase: number): { error: QuarantineReason; line: number; text: string } {
  const message = err instanceof Error ? err.message : '';
  const pos = /at position (\d+)/.exec(message);
  const what = /end of JSON input/.test(message)
    ? 'the text ends inside a value'
    : /control character/i.test(message)
      ? 'a control character inside a string'
      : 'unexpected text';
  if (!pos) return { error: { code: 'json-invalid', path: '', message: `not valid JSON: ${what}` }, line: lineBase, text };
  const offset = Math.min(Number(pos[1]), text.length);
  const before = text.slice(0, offset);
  const line = lineBase + (before.match(/\n/g)?.length ?? 0);
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { error: { code: 'json-invalid', path: '', message: `not valid JSON at line ${line}, column ${column}: ${what}` }, line, text };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; err: unknown } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, err };
  }
}

/**
 * The records of an envelope file: a JSON array of envelopes, one JSON value (pretty
 * printed or not), or JSON Lines (one envelope a line; blank lines skipped). A line that
 * is not JSON is an entry with a `json-invalid` reason, and the other lines still count.
 * Text that is not one JSON value is read as JSON Lines unless its first line is a lone
 * `{` (the start of a pretty-printed object): then it is one error with its position,
 * not one per line. Never throws.
 */
export function parseEnvelopeText(text: string): EnvelopeTextEntry[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const start = body.search(/\S/);
  if (start === -1) return [];
  const whole = tryParse(body);
  if (body[start] === '[') {
    if (!whole.ok) return [jsonError(whole.err, body, 1)];
    const values = whole.value as unknown[];
    const lines = linesOf(body, elementOffsets(body, start));
    return values.map((raw, i) => ({ raw, line: lines[i] ?? 1 }));
  }
  if (whole.ok) return [{ raw: whole.value, line: linesOf(body, [start])[0]! }];
  const rows = body.split('\n');
  if (rows.find((r) => r.trim() !== '')!.trim() === '{') return [jsonError(whole.err, body, 1)];
  const out: EnvelopeTextEntry[] = [];
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    const r = tryParse(row);
    out.push(r.ok ? { raw: r.value, line: i + 1 } : jsonError(r.err, row.replace(/\r$/, ''), i + 1));
  });
  return out;
}
