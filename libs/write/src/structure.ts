import path from 'node:path';
import { blockersOf, type RuleItem } from '@govern/graph';
import { normalizeStatus, type Item, type Status, type WorkDocument } from '@govern/workplan';
import type { Workspace } from '@govern/workspace';
import { prepare, meaningWithout, notFound, othersUnchanged, writeDocument, type DocumentWriteOptions, type Plan } from './document-write.js';
import { coreSpan, spell } from './edit.js';
import { WriteError } from './errors.js';
import { lifecycleViolations } from './lifecycle.js';
import type { DocumentWriteResult } from './structure-result.js';
import { tableCellEdits } from './table.js';
import type { RawText, TextEdit } from './text.js';

// The structural writes agents (and people) make besides status changes: add a task to
// a workplan, edit an item's acceptance criteria, add a dependency. Each plans the
// fewest bytes that say it, in the style the document already uses, and goes through
// writeDocument: lock, expect, re-parse and verify, atomic write, audit record.

/** Longest title or criterion accepted: a line a person can read. */
export const MAX_TEXT_LENGTH = 500;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const LOCAL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function text(name: string, value: string): string {
  const v = value.trim();
  if (!v || /[\r\n]/.test(v) || v.length > MAX_TEXT_LENGTH) {
    throw new WriteError('invalid-input', `${name} must be one line of 1 to ${MAX_TEXT_LENGTH} characters`, { field: name, length: v.length });
  }
  return v;
}

function id(name: string, value: string, re = ID): string {
  if (!re.test(value) || value.length > 200) {
    throw new WriteError('invalid-input', `${name} "${value.slice(0, 80)}" is not an item id (letters, digits and . _ : / -, no spaces)`, { field: name, value: value.slice(0, 200) });
  }
  return value;
}

/** A YAML scalar that reads back as `v`: plain when it is safely plain, else double-quoted. */
function scalar(v: string): string {
  return /^[A-Za-z][A-Za-z0-9._/-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(v) ? v : JSON.stringify(v);
}

const HEADING = /^(#{1,6})[ \t]/;
const FENCE = /^\s*(```|~~~)/;

/** The 1-based line where the section of the heading at `line` ends (the next heading as deep or shallower), or lineCount + 1. */
function sectionEndLine(raw: RawText, line: number): number {
  const depth = HEADING.exec(raw.line(line))?.[1]!.length ?? 6;
  let fence: string | null = null;
  for (let l = line + 1; l <= raw.lineCount; l++) {
    const t = raw.line(l);
    const f = FENCE.exec(t);
    if (f) fence = fence === null ? f[1]! : t.trim().startsWith(fence) ? null : fence;
    if (fence !== null) continue;
    const h = HEADING.exec(t);
    if (h && h[1]!.length <= depth) return l;
  }
  return raw.lineCount + 1;
}

/**
 * Where a block of lines goes so that it is separated by one blank line from what
 * precedes and follows it: before line `at` (or at the end of the file when `at` is
 * past the last line). Returns the edit inserting `lines`.
 */
function insertBlock(raw: RawText, at: number, lines: string[], eol: string): TextEdit {
  const body = lines.join(eol);
  if (at > raw.lineCount) {
    const t = raw.text;
    const newlines = /(?:\r?\n)*$/.exec(t)![0].split('\n').length - 1;
    const lead = newlines === 0 ? eol + eol : newlines === 1 ? eol : '';
    return { start: t.length, end: t.length, text: `${lead}${body}${eol}` };
  }
  // Blank lines already before `at` separate the block from what precedes it; the block
  // then ends with its own blank line before `at`.
  const start = raw.lineStart(at);
  const lead = at === 1 || raw.line(at - 1).trim() === '' ? '' : eol;
  return { start, end: start, text: `${lead}${body}${eol}${eol}` };
}

/** The lines of a task's metadata: the leading `key: value` lines under its heading, or its fenced yaml block's content. */
function taskMetadata(raw: RawText, heading: number): { from: number; to: number; fenced: boolean } | null {
  let l = heading + 1;
  while (l <= raw.lineCount && raw.line(l).trim() === '') l++;
  if (l > raw.lineCount) return null;
  const fence = /^\s*(```|~~~)\s*(\S*)/.exec(raw.line(l));
  if (fence) {
    if (!/^ya?ml$/i.test(fence[2]!)) return null;
    const from = l + 1;
    for (let e = from; e <= raw.lineCount; e++) if (raw.line(e).trim().startsWith(fence[1]!)) return e > from ? { from, to: e - 1, fenced: true } : null;
    return null;
  }
  const from = l;
  while (l <= raw.lineCount && /^\s*[A-Za-z_][\w-]*\s*:(\s|$)/.test(raw.line(l))) l++;
  return l > from ? { from, to: l - 1, fenced: false } : null;
}

/** The lines between the front matter's `---` fences. */
function frontMatter(raw: RawText): { from: number; to: number } | null {
  if (raw.lineCount < 2 || raw.line(1).trimEnd() !== '---') return null;
  for (let l = 2; l <= raw.lineCount; l++) {
    const t = raw.line(l).trimEnd();
    if (t === '---' || t === '...') return l > 2 ? { from: 2, to: l - 1 } : null;
  }
  return null;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The node shape `blockersOf` reads, for an item that is not in the graph yet. */
function ruleItem(fields: { id: string; status: Status; dependsOn: string[]; parent: string | null }): RuleItem {
  return { ...fields, priority: null };
}

// ---------------------------------------------------------------------------
// Add a task
// ---------------------------------------------------------------------------

export interface AddTaskOptions extends DocumentWriteOptions {
  /** The workplan: its document id or its file relative to the root. */
  workplan: string;
  title: string;
  /** The heading id (`T06`); default the next number after the workplan's last task. */
  localId?: string;
  /** The task id; default `<workplan id>-<localId>`. */
  id?: string;
  /** Default planned; done is refused (only `govern close` sets it). */
  status?: Status;
  priority?: string;
  dependsOn?: string[];
  acceptance?: string[];
  checks?: string[];
  evidenceRoot?: string;
  /** Write dependencies no item has yet, or a started status whose dependencies are not done; recorded. */
  force?: boolean;
}

function findWorkplan(ws: Workspace, ref: string): WorkDocument {
  const rel = ref.split(path.sep).join('/').replace(/^\.\//, '');
  const doc = ws.documents.find((d) => d.id === ref) ?? ws.documents.find((d) => d.file === rel);
  if (!doc) {
    const near = ws.documents.filter((d) => d.family === 'workplan' && d.id.toLowerCase().includes(ref.toLowerCase())).slice(0, 5).map((d) => d.id);
    throw new WriteError('item-not-found', `no workplan ${ref} in ${ws.root}${near.length ? `; did you mean ${near.join(', ')}?` : ''}`, { item: ref, suggestions: near });
  }
  if (doc.family !== 'workplan') {
    throw new WriteError('not-a-workplan', `${doc.file} is read as a ${doc.family}, not a workplan; tasks are added to workplans (\`govern explain ${doc.file}\` says why)`, {
      file: doc.file,
      family: doc.family,
    });
  }
  return doc;
}

/**
 * `<workplan id>-<localId>`, unless the last task's id numbers tasks another way
 * (`WP-3-9` for `T9`): then that id with the new number.
 */
function defaultTaskId(doc: WorkDocument, tasks: Item[], localId: string): string {
  const last = [...tasks].sort((a, b) => a.line - b.line).at(-1);
  const n = /(\d+)$/.exec(last?.localId ?? '')?.[1];
  const next = /(\d+)$/.exec(localId)?.[1];
  if (last && n && next && last.id !== `${doc.id}-${last.localId}` && last.id.endsWith(n)) return `${last.id.slice(0, -n.length)}${next}`;
  return `${doc.id}-${localId}`;
}

function nextLocalId(tasks: Item[]): string {
  let best: { prefix: string; n: number; width: number } | null = null;
  for (const t of tasks) {
    const m = /^(.*?)(\d+)$/.exec(t.localId);
    if (m && (best === null || Number(m[2]) >= best.n)) best = { prefix: m[1]!, n: Number(m[2]), width: m[2]!.length };
  }
  if (!best) return 'T01';
  return `${best.prefix}${String(best.n + 1).padStart(best.width, '0')}`;
}

/**
 * Adds a task section to a workplan, after its last task (or at the end of the file
 * when it has none), in the style of that last task: the same heading depth and
 * separator, plain `key: value` metadata or a fenced yaml block, the status spelled as
 * the siblings spell it. Writes `id`, `status`, then `priority`, `depends_on`,
 * `evidence_root` and `checks` when given, and an `Acceptance:` list. Refuses an id
 * already taken (`duplicate-id`), a dependency no item has (`dependency-unknown`,
 * unless `force`), and a status the lifecycle forbids for a new item (done:
 * `closure-required`). Only the inserted lines change.
 */
export async function addTask(opts: AddTaskOptions): Promise<DocumentWriteResult> {
  const ws = await prepare(opts);
  const title = text('title', opts.title);
  const deps = (opts.dependsOn ?? []).map((d) => id('dependsOn', d.trim()));
  const criteria = (opts.acceptance ?? []).map((c) => text('acceptance', c));
  const checks = (opts.checks ?? []).map((c) => {
    const v = text('checks', c);
    if (v.includes('`')) throw new WriteError('invalid-input', `a check cannot contain a backtick: ${v.slice(0, 80)}`, { field: 'checks' });
    return v;
  });
  const priority = opts.priority === undefined ? undefined : id('priority', opts.priority.trim(), LOCAL_ID);
  const evidenceRoot = opts.evidenceRoot === undefined ? undefined : text('evidenceRoot', opts.evidenceRoot);
  const status = opts.status ?? 'planned';
  const doc = findWorkplan(ws, opts.workplan);
  const tasksOf = (d: WorkDocument) => d.items.filter((i) => i.kind === 'task' && i.parent === d.id);
  const localId = id('localId', opts.localId ?? nextLocalId(tasksOf(doc)), LOCAL_ID);
  const taskId = id('id', opts.id ?? defaultTaskId(doc, tasksOf(doc), localId));
  if (ws.index.byId.has(taskId)) {
    const at = ws.index.byId.get(taskId)!.source;
    throw new WriteError('duplicate-id', `${taskId} is already an item (${at.file}:${at.line}); pick another id`, { item: taskId, file: at.file, line: at.line });
  }
  if (new Set(deps).size !== deps.length) throw new WriteError('invalid-input', `dependsOn lists an id twice: ${deps.join(', ')}`, { field: 'dependsOn' });
  const unknown = deps.filter((d) => !ws.index.byId.has(d));
  if (unknown.length && !opts.force) {
    throw new WriteError('dependency-unknown', `no item ${unknown.join(', ')} in ${ws.root}; a task would wait on it forever`, {
      dependencies: unknown,
      note: 'pass force (recorded in the audit log) to write it anyway, e.g. for an item another change adds',
    });
  }
  const blockers = blockersOf(ws.index, ruleItem({ id: taskId, status, dependsOn: deps, parent: doc.id }));
  const violations = lifecycleViolations(taskId, null, status, blockers, ws.profile);
  const refused = violations.find((v) => !v.forceable) ?? (opts.force ? undefined : violations[0]);
  if (refused) {
    throw new WriteError(refused.code, refused.message, {
      ...refused.details,
      ...(refused.forceable ? { note: 'pass force (recorded in the audit log) to override' } : {}),
    });
  }
  const forced = opts.force ? [...violations.map((v) => v.message), ...(unknown.length ? [`${taskId} depends on ${unknown.join(', ')}, which no item has`] : [])] : [];

  return writeDocument(ws, opts, 'add-task', { item: taskId, file: doc.file }, ({ raw, document, eol }): Plan => {
    const tasks = tasksOf(document);
    if (document.items.some((i) => i.id === taskId || (i.kind === 'task' && i.localId === localId))) {
      throw new WriteError('duplicate-id', `${document.file} already has a task ${localId} (${taskId}); pick another id`, { item: taskId, file: document.file });
    }
    const last = [...tasks].sort((a, b) => a.line - b.line).at(-1);
    if (last && !HEADING.test(raw.line(last.line))) {
      throw new WriteError('unsupported-form', `${document.file} lists its tasks without headings (${last.id} at line ${last.line}); add the task there by hand`, { file: document.file });
    }
    // The heading in the last task's style: `## T05 - Title` gives `## T06 - <title>`.
    let heading = `## ${localId} - ${title}`;
    if (last) {
      const h = raw.line(last.line);
      const hashes = HEADING.exec(h)![0];
      const rest = h.slice(hashes.length);
      const at = rest.indexOf(last.localId);
      const tail = at >= 0 ? rest.slice(at + last.localId.length) : '';
      const sep = last.title && tail.trimEnd().endsWith(last.title) ? tail.trimEnd().slice(0, tail.trimEnd().length - last.title.length) : ' - ';
      heading = at >= 0 ? `${hashes}${rest.slice(0, at)}${localId}${sep || ' - '}${title}` : `${hashes}${localId} - ${title}`;
    }
    const fenced = last ? taskMetadata(raw, last.line)?.fenced === true : false;
    const same = tasks.filter((t) => t.status === status && t.statusText).map((t) => coreOf(t.statusText!));
    const style = tasks.find((t) => t.statusText)?.statusText;
    let word = spell(status, style ? coreOf(style) : 'planned', 'yaml', same) ?? status;
    if (normalizeStatus(word, ws.profile).status !== status) word = status;
    const meta = [`id: ${scalar(taskId)}`, `status: ${word}`];
    if (priority !== undefined) meta.push(`priority: ${scalar(priority)}`);
    if (deps.length) meta.push(`depends_on: ${deps.length === 1 ? scalar(deps[0]!) : `[${deps.map(scalar).join(', ')}]`}`);
    if (evidenceRoot !== undefined) meta.push(`evidence_root: ${scalar(evidenceRoot)}`);
    if (checks.length) {
      meta.push('checks:');
      for (const c of checks) meta.push(fenced ? `  - ${JSON.stringify(c)}` : `- \`${c}\``);
    }
    const lines = [heading, '', ...(fenced ? ['```yaml', ...meta, '```'] : meta)];
    if (criteria.length) lines.push('', 'Acceptance:', '', ...criteria.map((c) => `- ${c}`));
    const at = last ? sectionEndLine(raw, last.line) : raw.lineCount + 1;
    return {
      edits: [insertBlock(raw, at, lines, eol)],
      key: 'task',
      value: localId,
      forced,
      verify(after, before) {
        const t = after.items.find((i) => i.id === taskId);
        if (!t) return `no item ${taskId} reads back`;
        const want = { kind: 'task', parent: document.id, localId, title, status, priority: priority ?? null, evidenceRoot: evidenceRoot ?? null };
        const got = { kind: t.kind, parent: t.parent, localId: t.localId, title: t.title, status: t.status, priority: t.priority, evidenceRoot: t.evidenceRoot };
        if (JSON.stringify(got) !== JSON.stringify(want)) return `${taskId} reads back as ${JSON.stringify(got)}`;
        if (!sameList(t.dependencies.map((d) => d.id), deps)) return `${taskId}'s dependencies read back as ${t.dependencies.map((d) => d.id).join(', ') || 'none'}`;
        if (!sameList(t.criteria.map((c) => c.text), criteria)) return `${taskId}'s acceptance reads back differently`;
        if (!sameList(t.checks.map((c) => c.command), checks)) return `${taskId}'s checks read back differently`;
        return othersUnchanged(before, after, taskId);
      },
    };
  });
}

const coreOf = (token: string) => {
  const [s, e] = coreSpan(token);
  return token.slice(s, e);
};

// ---------------------------------------------------------------------------
// Edit acceptance
// ---------------------------------------------------------------------------

export interface EditAcceptanceOptions extends DocumentWriteOptions {
  /** The item whose acceptance criteria change. */
  id: string;
  /** Criteria appended after the last one (a task without any gets an `Acceptance:` list). */
  add?: string[];
  /** Criteria removed, by their 1-based number in the item's criteria (`item`'s `criteria`, in order). */
  remove?: number[];
  /** Criteria whose text is replaced, by number. */
  replace?: { index: number; text: string }[];
}

const BULLET = /^(\s*)([-*+]|\d+[.)])(\s+)(\[[ xX]\]\s+)?(.*?)\s*$/;
const indentOf = (s: string) => /^\s*/.exec(s)![0].length;

/** The lines of a criterion's list item: its line and those indented under it, up to the next blank line. */
function criterionLines(raw: RawText, line: number): { from: number; to: number } {
  const marker = indentOf(raw.line(line));
  let to = line;
  while (to + 1 <= raw.lineCount && raw.line(to + 1).trim() !== '' && indentOf(raw.line(to + 1)) > marker) to++;
  return { from: line, to };
}

/** Raw offset just past line `l` and its line ending (the end of the text for the last line). */
const afterLine = (raw: RawText, l: number) => (l < raw.lineCount ? raw.lineStart(l + 1) : raw.text.length);

/**
 * Edits an item's acceptance criteria: appends bullets after the last one (in its
 * marker, indentation and checkbox style), removes bullets (with the lines indented
 * under them), replaces the text of one-line bullets. A task with no criteria gets an
 * `Acceptance:` list at the end of its section. Every other byte stays; the result must
 * read back as exactly the criteria asked for.
 */
export async function editAcceptance(opts: EditAcceptanceOptions): Promise<DocumentWriteResult> {
  const ws = await prepare(opts);
  const node = ws.index.byId.get(opts.id);
  if (!node) throw notFound(ws, opts.id);
  const add = (opts.add ?? []).map((c) => text('add', c));
  const remove = [...new Set(opts.remove ?? [])];
  const replace = (opts.replace ?? []).map((r) => ({ index: r.index, text: text('replace', r.text) }));
  if (!add.length && !remove.length && !replace.length) throw new WriteError('invalid-input', 'nothing to change: give criteria to add, remove or replace', {});
  const touched = [...remove, ...replace.map((r) => r.index)];
  if (new Set(touched).size !== touched.length) throw new WriteError('invalid-input', 'a criterion is named twice (removed and replaced, or replaced twice)', { criteria: touched });

  return writeDocument(ws, opts, 'edit-acceptance', { item: opts.id, file: node.source.file }, ({ raw, document, eol }): Plan => {
    const item = document.items.find((i) => i.id === opts.id);
    if (!item) throw new WriteError('item-not-found', `${opts.id} is no longer in ${document.file}`, { item: opts.id, file: document.file });
    const crit = item.criteria;
    for (const n of touched) {
      if (!Number.isInteger(n) || n < 1 || n > crit.length) {
        throw new WriteError('criterion-not-found', `${opts.id} has ${crit.length} criteria; there is no number ${n}`, { item: opts.id, index: n, count: crit.length });
      }
    }
    const edits: TextEdit[] = [];
    const bullet = (c: (typeof crit)[number], what: string) => {
      const m = BULLET.exec(raw.line(c.line));
      if (!m || m[5] !== c.text) {
        throw new WriteError('unsupported-form', `${opts.id}: criterion ${crit.indexOf(c) + 1} ("${c.text.slice(0, 60)}") is not a one-line bullet; ${what} it by hand`, {
          item: opts.id,
          line: c.line,
        });
      }
      return m;
    };
    for (const r of replace) {
      const c = crit[r.index - 1]!;
      const m = bullet(c, 'replace');
      const start = raw.lineStart(c.line) + m[1]!.length + m[2]!.length + m[3]!.length + (m[4]?.length ?? 0);
      edits.push({ start, end: start + c.text.length, text: r.text });
    }
    for (const n of remove) {
      const c = crit[n - 1]!;
      bullet(c, 'remove');
      const { from, to } = criterionLines(raw, c.line);
      let end = afterLine(raw, to);
      // In a loose list (blank lines between items) take one of the two blank lines along.
      if (from > 1 && raw.line(from - 1).trim() === '' && to < raw.lineCount && raw.line(to + 1).trim() === '') end = afterLine(raw, to + 1);
      edits.push({ start: raw.lineStart(from), end, text: '' });
    }
    if (add.length) {
      const last = [...crit].sort((a, b) => a.line - b.line).at(-1);
      if (last) {
        const m = bullet(last, 'extend');
        const { to } = criterionLines(raw, last.line);
        const ordered = /^\d+/.exec(m[2]!);
        const box = m[4] ? '[ ] ' : '';
        const loose = last.line > 2 && raw.line(last.line - 1).trim() === '' && BULLET.test(raw.line(last.line - 2));
        const lines = add.map((t, k) => `${m[1]}${ordered ? `${Number(ordered[0]) + k + 1}${m[2]!.slice(ordered[0].length)}` : m[2]}${m[3]}${box}${t}`);
        const body = lines.map((l) => `${loose ? eol : ''}${l}${eol}`).join('');
        if (to < raw.lineCount) edits.push({ start: afterLine(raw, to), end: afterLine(raw, to), text: body });
        else edits.push({ start: raw.text.length, end: raw.text.length, text: `${eol}${body.slice(0, -eol.length)}` });
      } else {
        if (item.kind !== 'task' || !HEADING.test(raw.line(item.line))) {
          throw new WriteError('unsupported-form', `${opts.id} has no acceptance list to extend and is not a task section; add one by hand`, { item: opts.id });
        }
        edits.push(insertBlock(raw, sectionEndLine(raw, item.line), ['Acceptance:', '', ...add.map((t) => `- ${t}`)], eol));
      }
    }
    const removed = new Set(remove.map((n) => n - 1));
    const replaced = new Map(replace.map((r) => [r.index - 1, r.text]));
    const want = [...crit.flatMap((c, k) => (removed.has(k) ? [] : [replaced.get(k) ?? c.text])), ...add];
    return {
      edits,
      key: 'acceptance',
      value: `+${add.length} -${remove.length} ~${replace.length}`,
      verify(after, before) {
        const t = after.items.find((i) => i.id === opts.id);
        if (!t) return `${opts.id} no longer reads back`;
        const got = t.criteria.map((c) => c.text);
        if (!sameList(got, want)) return `${opts.id}'s criteria read back as ${JSON.stringify(got)}`;
        if (meaningWithout(t, { criteria: true }) !== meaningWithout(item, { criteria: true })) return `${opts.id} would read differently besides its criteria`;
        return othersUnchanged(before, after, opts.id);
      },
    };
  });
}

// ---------------------------------------------------------------------------
// Add a dependency
// ---------------------------------------------------------------------------

export interface AddDependencyOptions extends DocumentWriteOptions {
  /** The item that gains a dependency. */
  id: string;
  /** The item it will depend on. */
  dependsOn: string;
  /** Write a dependency no item has yet; recorded. A cycle is never written. */
  force?: boolean;
}

/** Whether `from` reaches `to` along dependencies (so `to` depending on `from` would close a cycle). */
function reaches(ws: Workspace, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const d of ws.index.byId.get(n)?.dependsOn ?? []) stack.push(d);
  }
  return false;
}

const DEP_KEYS = { task: ['depends_on', 'depends'], workplan: ['depends_on', 'dependsOn', 'dependencies'] } as const;

/** The edit adding `dep` to the `key: value` line at `l` (and the block list under it), or null when that line holds no value form this knows. */
function extendValue(raw: RawText, l: number, valueStart: number, dep: string, eol: string): TextEdit | null {
  const line = raw.line(l);
  const lineStart = raw.lineStart(l);
  const hash = line.slice(valueStart).search(/\s#/);
  const value = (hash >= 0 ? line.slice(valueStart, valueStart + hash) : line.slice(valueStart)).trimEnd();
  const v = value.trim();
  const lead = value.length - value.trimStart().length;
  const at = (offset: number, t: string): TextEdit => ({ start: lineStart + offset, end: lineStart + offset, text: t });
  if (v === '' || v === '~' || v === 'null') {
    // A block list under the key (`depends_on:` then `- A` lines): one more item.
    let last = l;
    while (last + 1 <= raw.lineCount && /^\s*-\s/.test(raw.line(last + 1))) last++;
    if (last > l) {
      const item = /^(\s*-\s+)(.*?)\s*$/.exec(raw.line(last))!;
      const q = /^(["'`]).*\1$/.test(item[2]!) ? item[2]![0]! : '';
      const entry = `${item[1]}${q}${dep}${q}`;
      return last < raw.lineCount ? { start: afterLine(raw, last), end: afterLine(raw, last), text: `${entry}${eol}` } : { start: raw.text.length, end: raw.text.length, text: `${eol}${entry}` };
    }
    const start = valueStart + lead;
    return { start: lineStart + valueStart, end: lineStart + start + v.length, text: ` ${scalar(dep)}` };
  }
  if (v.startsWith('[') && v.endsWith(']')) {
    const close = valueStart + lead + v.length - 1;
    const inner = v.slice(1, -1).trim();
    const q = /^["']/.exec(inner.split(',').at(-1)!.trim())?.[0] ?? '';
    return at(close, inner ? `, ${q ? `${q}${dep}${q}` : scalar(dep)}` : scalar(dep));
  }
  if (/^(["']).*\1$/.test(v)) return at(valueStart + lead + v.length - 1, `, ${dep}`);
  return at(valueStart + lead + v.length, `, ${dep}`);
}

/**
 * Adds one dependency to an item: to its `depends_on` (task metadata or a workplan's
 * front matter: a flow list, a comma-separated value, a block list, or a new
 * `depends_on:` line after `status:`), or to a tracker table's Depends On cell that
 * already names one (the table stays aligned). Refuses a dependency on itself or one
 * that closes a cycle (`dependency-cycle`), and one no item has (`dependency-unknown`,
 * unless `force`). An item that already depends on it is `changed: false`.
 */
export async function addDependency(opts: AddDependencyOptions): Promise<DocumentWriteResult> {
  const ws = await prepare(opts);
  const node = ws.index.byId.get(opts.id);
  if (!node) throw notFound(ws, opts.id);
  const dep = id('dependsOn', opts.dependsOn.trim());
  if (dep === opts.id || reaches(ws, dep, opts.id)) {
    throw new WriteError('dependency-cycle', `${opts.id} cannot depend on ${dep}: ${dep === opts.id ? 'an item cannot wait on itself' : `${dep} already waits on ${opts.id}`}`, {
      item: opts.id,
      dependsOn: dep,
    });
  }
  const exists = ws.index.byId.has(dep);
  if (!exists && !opts.force) {
    throw new WriteError('dependency-unknown', `no item ${dep} in ${ws.root}; ${opts.id} would wait on it forever`, {
      item: opts.id,
      dependsOn: dep,
      note: 'pass force (recorded in the audit log) to write it anyway, e.g. for an item another change adds',
    });
  }
  const forced = exists ? [] : [`${opts.id} depends on ${dep}, which no item has`];

  return writeDocument(ws, opts, 'add-dependency', { item: opts.id, file: node.source.file }, ({ raw, document, eol }) => {
    const item = document.items.find((i) => i.id === opts.id);
    if (!item) throw new WriteError('item-not-found', `${opts.id} is no longer in ${document.file}`, { item: opts.id, file: document.file });
    if (item.dependencies.some((d) => d.id === dep)) return { unchanged: true };
    let edits: TextEdit[] | null = null;
    const range = item.kind === 'task' ? taskMetadata(raw, item.line) : item.kind === 'workplan' ? frontMatter(raw) : null;
    if (range && (item.kind === 'task' || item.kind === 'workplan')) {
      const keys = DEP_KEYS[item.kind];
      const indent = item.kind === 'task' ? '\\s*' : '';
      for (let l = range.from; l <= range.to && !edits; l++) {
        const m = new RegExp(`^(${indent}(?:${keys.join('|')})\\s*:)`).exec(raw.line(l));
        if (m) {
          const e = extendValue(raw, l, m[1]!.length, dep, eol);
          edits = e ? [e] : null;
          if (!e) throw new WriteError('unsupported-form', `${opts.id}: its dependencies at line ${l} are not written as a list govern can extend; add ${dep} by hand`, { item: opts.id, line: l });
        }
      }
      if (!edits) {
        // No dependency key yet: a new line after `status:` (else `id:`), in its indentation.
        let anchor: number | null = null;
        for (const key of ['status', 'id']) {
          for (let l = range.from; l <= range.to && anchor === null; l++) if (new RegExp(`^${indent}${key}\\s*:`).test(raw.line(l))) anchor = l;
          if (anchor !== null) break;
        }
        if (anchor === null) throw new WriteError('unsupported-form', `${opts.id}: its metadata has no status: or id: line to add depends_on after; add it by hand`, { item: opts.id });
        const lineIndent = /^\s*/.exec(raw.line(anchor))![0];
        const text = `${lineIndent}depends_on: ${scalar(dep)}`;
        edits = [anchor < raw.lineCount ? { start: afterLine(raw, anchor), end: afterLine(raw, anchor), text: `${text}${eol}` } : { start: raw.text.length, end: raw.text.length, text: `${eol}${text}` }];
      }
    } else {
      const ref = [...item.dependencies].filter((d) => d.origin === 'table').sort((a, b) => a.line - b.line || a.column - b.column).at(-1);
      const start = ref ? raw.offset(ref.line, ref.column) : -1;
      if (!ref || !raw.text.startsWith(ref.id, start)) {
        throw new WriteError('unsupported-form', `${opts.id}: govern adds dependencies to task metadata, a workplan's front matter, or a Depends On cell that already names one; add ${dep} by hand`, {
          item: opts.id,
          kind: item.kind,
        });
      }
      edits = tableCellEdits(raw, ref.line, start, start + ref.id.length, `${ref.id}, ${dep}`);
    }
    const want = [...item.dependencies.map((d) => d.id), dep];
    return {
      edits,
      key: 'depends_on',
      value: dep,
      forced,
      verify(after, before) {
        const t = after.items.find((i) => i.id === opts.id);
        if (!t) return `${opts.id} no longer reads back`;
        const got = t.dependencies.map((d) => d.id);
        if (!sameList(got, want)) return `${opts.id}'s dependencies read back as ${got.join(', ') || 'none'}`;
        if (meaningWithout(t, { dependencies: true }) !== meaningWithout(item, { dependencies: true })) return `${opts.id} would read differently besides its dependencies`;
        return othersUnchanged(before, after, opts.id);
      },
    };
  });
}
