import type { Item } from '@govern/workplan';
import { RawText, type TextEdit } from '@govern/write';

/** The metadata key that holds an item's StateHub id (seed 003). */
export function stateHubKeyFor(kind: Item['kind']): 'state_hub_workstream_id' | 'state_hub_task_id' | null {
  return kind === 'workplan' ? 'state_hub_workstream_id' : kind === 'task' ? 'state_hub_task_id' : null;
}

export type KeyInsert = { ok: true; edit: TextEdit; line: number } | { ok: false; code: 'anchor-missing' | 'key-present'; message: string };

const FENCE = /^\s*(```|~~~)\s*(\S*)/;
const KV_LINE = /^\s*[A-Za-z_][\w-]*\s*:(\s|$)/;

/**
 * Plans inserting `key: "value"` as a new line right after the `id:` line of a
 * workplan's front matter (`item.kind === 'workplan'`) or of a task's metadata
 * (the leading `key: value` lines under its heading, or its fenced ```yaml
 * block). Nothing else moves: the line takes the `id:` line's indentation and
 * line ending, so a BOM, CRLF and every other byte are kept. When the key is
 * already written with an empty value, the value is filled in instead.
 *
 * Pure: it only plans; `writeStateHubIds` applies, verifies and writes. Refuses
 * (as data) when there is no `id:` line to anchor on — nothing is guessed — or
 * when the key already holds a value.
 */
export function planKeyInsert(text: string, item: Pick<Item, 'id' | 'kind' | 'line'>, key: string, value: string): KeyInsert {
  const raw = new RawText(text);
  const range = item.kind === 'workplan' ? frontMatterLines(raw) : item.kind === 'task' ? taskMetadataLines(raw, item.line) : null;
  if (!range) return { ok: false, code: 'anchor-missing', message: `${item.id}: no ${item.kind === 'workplan' ? 'front matter' : 'metadata'} to write ${key} into` };
  // Front matter keys are top-level (no indentation); task metadata may sit indented in its block.
  const indentRe = item.kind === 'workplan' ? '' : '\\s*';
  const keyRe = new RegExp(`^(${indentRe}${key}\\s*:)(\\s*)(.*?)\\s*$`);
  const idRe = new RegExp(`^${indentRe}id\\s*:`);
  let idLine: number | null = null;
  for (let l = range.from; l <= range.to; l++) {
    const line = raw.line(l);
    const existing = keyRe.exec(line);
    if (existing) {
      if (!/^(""|''|~|null)?$/.test(existing[3]!)) {
        return { ok: false, code: 'key-present', message: `${item.id}: ${key} is already written (line ${l}): ${existing[3]}` };
      }
      // `key:"v"` would be one plain scalar in YAML, not a mapping: keep a space after the colon.
      const start = raw.lineStart(l) + existing[1]!.length;
      const text = `${existing[2] || ' '}${JSON.stringify(value)}`;
      return { ok: true, edit: { start, end: start + existing[2]!.length + existing[3]!.length, text }, line: l };
    }
    if (idLine === null && idRe.test(line)) idLine = l;
  }
  if (idLine === null) return { ok: false, code: 'anchor-missing', message: `${item.id}: its ${item.kind === 'workplan' ? 'front matter' : 'metadata'} has no id: line to insert ${key} after` };
  const indent = /^\s*/.exec(raw.line(idLine))![0];
  const newLine = `${indent}${key}: ${JSON.stringify(value)}`;
  if (idLine === raw.lineCount) {
    // The id line is the file's last line and has no line ending (only possible in odd files).
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    return { ok: true, edit: { start: text.length, end: text.length, text: `${eol}${newLine}` }, line: idLine + 1 };
  }
  const next = raw.lineStart(idLine + 1);
  const eol = text[next - 2] === '\r' ? '\r\n' : '\n';
  return { ok: true, edit: { start: next, end: next, text: `${newLine}${eol}` }, line: idLine + 1 };
}

/** Lines strictly between the opening `---` and the closing `---`/`...` of the front matter. */
function frontMatterLines(raw: RawText): { from: number; to: number } | null {
  if (raw.lineCount < 2 || raw.line(1).trimEnd() !== '---') return null;
  for (let l = 2; l <= raw.lineCount; l++) {
    const t = raw.line(l).trimEnd();
    if (t === '---' || t === '...') return l > 2 ? { from: 2, to: l - 1 } : null;
  }
  return null;
}

/**
 * A task's metadata lines, as the workplan parser reads them: the first block
 * after the heading, either a fenced yaml block (its content lines) or the
 * leading `key: value` lines of a paragraph.
 */
function taskMetadataLines(raw: RawText, headingLine: number): { from: number; to: number } | null {
  let l = headingLine + 1;
  while (l <= raw.lineCount && raw.line(l).trim() === '') l++;
  if (l > raw.lineCount) return null;
  const fence = FENCE.exec(raw.line(l));
  if (fence) {
    if (!/^ya?ml$/i.test(fence[2]!)) return null;
    const from = l + 1;
    for (let e = from; e <= raw.lineCount; e++) if (raw.line(e).trim().startsWith(fence[1]!)) return e > from ? { from, to: e - 1 } : null;
    return null;
  }
  const from = l;
  while (l <= raw.lineCount && KV_LINE.test(raw.line(l))) l++;
  return l > from ? { from, to: l - 1 } : null;
}
