import type { Block } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Criterion, Item } from '../model.js';
import { MAX_HEADING_MATCH_LENGTH } from '../limits.js';
import { planListItems } from './plan.js';
import type { CompiledProfile } from '../profile.js';
import {
  collectCriteria,
  dependencyRefs,
  criteriaLabel,
  metaText,
  newItem,
  readMetadata,
  readStatus,
  sectionEnd,
  stripCode,
  type MetaValue,
} from './common.js';

export interface WorkplanInput {
  docId: string;
  title: string;
  frontMatter: Record<string, unknown> | null;
  positions: Record<string, { line: number; column: number }>;
  itemPositions?: Record<string, { line: number; column: number }[]>;
  itemTexts?: Record<string, string[]>;
  /** Where the document node points: the front matter or the first heading. */
  line: number;
}

/** Finds the task headings of a workplan: `## T01 - Title`. */
export function taskHeadingMatch(text: string, profile: CompiledProfile): { id: string; title: string } | null {
  // The patterns are the profile's; a pattern may backtrack quadratically, so long
  // headings are not tried (parse.ts reports them as `heading-too-long`).
  if (text.length > MAX_HEADING_MATCH_LENGTH) return null;
  for (const re of profile.taskHeadings) {
    const m = re.exec(text);
    if (m?.groups?.id) return { id: m.groups.id, title: (m.groups.title ?? '').trim() };
  }
  return null;
}

const KV_LINE = /^([A-Za-z_][\w-]*)\s*:(\s|$)/;

/** Parses a workplan: the document node from front matter plus one node per task section. */
export function parseWorkplan(blocks: Block[], input: WorkplanInput, profile: CompiledProfile, sink: DiagnosticSink): Item[] {
  const docNode = documentNode(input, profile, sink);
  const items: Item[] = [docNode];
  const docCriteria: Criterion[] = [];
  let i = 0;
  while (i < blocks.length) {
    const b = blocks[i]!;
    if (b.type !== 'heading') {
      i++;
      continue;
    }
    const end = sectionEnd(blocks, i);
    const task = b.depth >= 2 ? taskHeadingMatch(b.text, profile) : null;
    if (task) {
      items.push(readTask(blocks, i, end, task, input.docId, profile, sink));
      i = end;
      continue;
    }
    if (criteriaLabel(b.text, profile)) for (const c of collectCriteria(blocks, i, end, profile)) docCriteria.push(c);
    i++;
  }
  docNode.criteria = docCriteria;
  if (items.length === 1) {
    // No task sections: a task file, or an epic that lists its tasks as id lines
    // (`- [ ] 002.md - Title - depends on [001]`) or in a table with Task and Depends On columns.
    for (const it of planListItems(blocks, input.docId, profile, sink)) items.push(it);
  }
  return items;
}

/**
 * The document's own item, from its front matter: id, title, status, priority,
 * `state_hub_workstream_id`, `evidence_root`, `checks` and `depends_on`/`dependencies`.
 * A workplan's first item; also a tracker's whose front matter names it and states a status.
 */
export function documentNode(input: WorkplanInput, profile: CompiledProfile, sink: DiagnosticSink): Item {
  const fm = input.frontMatter ?? {};
  const pos = input.positions;
  const docNode = newItem({
    id: input.docId,
    kind: 'workplan',
    localId: input.docId,
    title: input.title,
    line: pos.id?.line ?? input.line,
    column: pos.id?.column ?? 1,
    parent: null,
    stateHubId: typeof fm.state_hub_workstream_id === 'string' ? fm.state_hub_workstream_id : null,
    evidenceRoot: typeof fm.evidence_root === 'string' ? fm.evidence_root : null,
    priority: fm.priority !== undefined && fm.priority !== null ? String(fm.priority) : null,
  });
  const fmStatus = fm.status === undefined || fm.status === null ? null : String(fm.status);
  Object.assign(docNode, readStatus(fmStatus, pos.status ?? null, { id: input.docId, line: input.line, column: 1 }, profile, sink));
  if (fm.checks !== undefined && fm.checks !== null) {
    const at = pos.checks ?? { line: input.line, column: 1 };
    const positions = input.itemPositions?.checks;
    const list = Array.isArray(fm.checks) ? fm.checks : [fm.checks];
    docNode.checks = list.map((c, k) => ({ command: String(c), ...(positions?.length === list.length ? positions[k]! : at) }));
  }
  // `dependencies:` is Backlog.md's spelling of `depends_on:`.
  const depKey = ['depends_on', 'dependsOn', 'dependencies'].find((k) => fm[k] !== undefined && fm[k] !== null);
  const deps = depKey ? fm[depKey] : undefined;
  if (depKey && deps !== undefined && deps !== null) {
    const at = pos[depKey] ?? { line: input.line, column: 1 };
    const positions = input.itemPositions?.[depKey];
    // A number (`006`) is kept as written: YAML reads it as 6.
    const texts = input.itemTexts?.[depKey];
    const items =
      Array.isArray(deps) && positions?.length === deps.length
        ? deps.map((d, k) => ({ text: typeof d === 'number' && texts?.[k] ? texts[k]! : String(d), ...positions[k]! }))
        : undefined;
    docNode.dependencies = dependencyRefs({ value: deps, ...at, ...(items ? { items } : {}) }, 'front-matter', sink);
  }
  return docNode;
}

function readTask(
  blocks: Block[],
  start: number,
  end: number,
  task: { id: string; title: string },
  docId: string,
  profile: CompiledProfile,
  sink: DiagnosticSink,
): Item {
  const h = blocks[start] as Extract<Block, { type: 'heading' }>;
  const meta = readTaskMetadata(blocks, start + 1, profile, sink) ?? new Map<string, MetaValue>();
  const idMeta = metaText(meta.get('id'));
  const id = idMeta ? stripCode(idMeta) : `${docId}-${task.id}`;
  if (!idMeta) sink.info('id-derived', `task ${task.id} has no id: line; using ${id}`, h.line, h.column);
  const item = newItem({
    id,
    kind: 'task',
    localId: task.id,
    title: task.title,
    line: h.line,
    column: h.column,
    parent: docId,
    priority: metaText(meta.get('priority')),
    stateHubId: metaText(meta.get('state_hub_task_id')),
    evidenceRoot: metaText(meta.get('evidence_root') ?? meta.get('evidence')),
  });
  const st = meta.get('status');
  Object.assign(item, readStatus(metaText(st), st ? { line: st.line, column: st.column } : null, item, profile, sink));
  const depKey = meta.has('depends_on') ? 'depends_on' : 'depends';
  const dep = meta.get(depKey);
  if (dep) item.dependencies = dependencyRefs(dep, 'metadata', sink);
  item.criteria = collectCriteria(blocks, start + 1, end, profile);
  const checks = meta.get('checks') ?? meta.get('check');
  if (checks) item.checks = metaChecks(checks);
  return item;
}

/**
 * In plain metadata lines a value written as Markdown code (`check: \`npm test\``)
 * is not valid YAML (a backtick is reserved). Swap the backticks for quotes of the
 * same length, so the value parses and every column stays where it was.
 */
function quoteCodeValue(line: string): string {
  const m = /^([^:]+:\s*)`([^`]*)`\s*$/.exec(line);
  if (!m) return line;
  const inner = m[2]!;
  const q = !inner.includes('"') && !inner.includes('\\') ? '"' : !inner.includes("'") ? "'" : null;
  return q ? `${m[1]}${q}${inner}${q}${line.slice(m[0].trimEnd().length)}` : line;
}

/** `checks:` as a YAML list (each entry at its position) or one command string. */
function metaChecks(v: MetaValue): Item['checks'] {
  if (v.items) return v.items.map((it) => ({ command: stripCode(it.text), line: it.line, column: it.column }));
  const text = metaText(v);
  return text ? [{ command: stripCode(text), line: v.line, column: v.column }] : [];
}

/**
 * Metadata is a fenced yaml block or the leading `key: value` lines of the first
 * paragraph. A last key with no value followed by a `- item` list is a YAML block
 * sequence that Markdown split off the paragraph; its items become the value.
 */
function readTaskMetadata(blocks: Block[], at: number, profile: CompiledProfile, sink: DiagnosticSink): Map<string, MetaValue> | null {
  const b = blocks[at];
  if (!b) return null;
  if (b.type === 'code' && /^ya?ml$/i.test(b.lang ?? '')) return readMetadata(b.value, b.valueLine, 1, sink);
  if (b.type !== 'paragraph') return null;
  const lines = [];
  for (const l of b.lines) {
    const m = KV_LINE.exec(l.text);
    if (!m || criteriaLabel(m[1] ?? '', profile)) break;
    lines.push(l);
  }
  if (!lines.length) return null;
  const column = lines[0]!.column;
  const meta = readMetadata(lines.map((l) => quoteCodeValue(l.text)).join('\n'), lines[0]!.line, column, sink);
  const lastKey = KV_LINE.exec(lines[lines.length - 1]!.text)?.[1]?.toLowerCase();
  const last = lastKey ? meta?.get(lastKey) : undefined;
  const list = blocks[at + 1];
  if (last && (last.value === null || last.value === undefined) && lines.length === b.lines.length && list?.type === 'list') {
    last.items = list.items.map((it) => ({ text: it.text, line: it.line, column: it.column }));
    last.value = last.items.map((it) => it.text);
  }
  return meta;
}
