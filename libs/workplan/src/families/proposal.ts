import type { Block, ListItem, Located } from '../blocks.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Criterion, Item } from '../model.js';
import { canonicalHeader, type CompiledProfile } from '../profile.js';
import { normalizeStatus } from '../status.js';
import { leadingId, newItem, readStatus } from './common.js';

/** How many of the profile's proposal sections make a document a design proposal. */
export const MIN_PROPOSAL_SECTIONS = 4;

/**
 * The line of the first heading naming a proposal section, when the document's headings
 * (depth 2 and 3) name at least MIN_PROPOSAL_SECTIONS distinct ones (`## Summary`,
 * `## Motivation`, `## Proposal`, `### Graduation Criteria` …); null otherwise.
 */
export function proposalAt(blocks: Block[], profile: CompiledProfile): number | null {
  const names = profile.proposals.sections;
  if (names.size < MIN_PROPOSAL_SECTIONS) return null;
  const seen = new Set<string>();
  let first: number | null = null;
  for (const b of blocks) {
    // Section names are short and have no digits (`Phase 1: …` is not one): most headings stop here.
    if (b.type !== 'heading' || b.depth < 2 || b.depth > 3 || b.text.length > 40 || /\d/.test(b.text)) continue;
    // Plain words are compared lower-cased; anything else is canonicalized first.
    const lower = b.text.toLowerCase();
    const h = /^[a-z]+(?: [a-z]+)*$/.test(lower) ? lower : canonicalHeader(b.text.replace(/[*_`]/g, ''));
    if (!names.has(h)) continue;
    seen.add(h);
    first ??= b.line;
  }
  return seen.size >= MIN_PROPOSAL_SECTIONS ? first : null;
}

// `2020-08-26: `, `v1.17: `, `1.19 - `: the date or release an entry of the history starts with.
const WHEN = /^(?:\d{4}-\d{2}(?:-\d{2})?|v?\d+(?:\.\d+)+)\s*[:—–-]\s*/;

/**
 * A design proposal (a KEP README): the proposal itself is the document's item (kind
 * `workplan`, its title the first heading without the id it starts with: `KEP-1693`), and
 * each graduation stage (`#### Beta`, or a `For GA:` line) under a stage section
 * (`### Graduation Criteria`) is an item of it, with the bullets under it as criteria and a
 * bullet saying `after Beta` as a dependency. The history section (`## Implementation
 * History`) states the statuses: each entry, after its date or release, that reads as a
 * status (`Implemented in 1.19.`, `v1.17: Implemented`) is the status of the stage it names
 * (`Completed beta items for v1.19`) or else of the proposal; a later entry wins.
 */
export function parseProposal(blocks: Block[], docId: string, title: string, profile: CompiledProfile, sink: DiagnosticSink): Item[] {
  const P = profile.proposals;
  const h1 = blocks.find((b): b is Extract<Block, { type: 'heading' }> => b.type === 'heading' && b.depth === 1);
  const lead = h1 ? leadingId(h1.text) : null;
  const own = newItem({
    id: docId,
    kind: 'workplan',
    localId: lead?.id ?? docId,
    title: lead ? lead.rest.replace(/^[:—–-]\s*/, '').trim() || title : title,
    line: h1?.line ?? 1,
    column: h1?.column ?? 1,
  });
  const stages: { item: Item; key: string }[] = [];
  // Stages by name (the first of each), for the history and `after Beta`: one lookup per word.
  const byKey = new Map<string, Item>();
  const history: Located[] = [];
  // Where we are: a stage section (and its depth), the current stage, the history section.
  let stageDepth = 0;
  let historyDepth = 0;
  let stage: Item | null = null;
  let stageHeadingDepth = 0;
  const addStage = (text: string, at: { line: number; column: number }) => {
    const item = newItem({ id: `${docId}:${text}`, kind: 'milestone', localId: text, title: text, line: at.line, column: at.column, parent: docId });
    const key = canonicalHeader(text);
    stages.push({ item, key });
    if (!byKey.has(key)) byKey.set(key, item);
    return item;
  };
  for (const b of blocks) {
    if (b.type === 'heading') {
      const h = canonicalHeader(b.text.replace(/[*_`]/g, ''));
      if (stageDepth && b.depth <= stageDepth) stageDepth = 0;
      if (historyDepth && b.depth <= historyDepth) historyDepth = 0;
      if (stage && b.depth <= stageHeadingDepth) stage = null;
      const name = stageDepth ? stageName(b.text, P.stages) : null;
      if (name !== null) {
        stage = addStage(name, { line: b.line, column: b.column + Math.max(0, b.text.lastIndexOf(name)) });
        stageHeadingDepth = b.depth;
      } else if (P.stageSections.has(h)) {
        stageDepth = b.depth;
        stage = null;
      } else if (P.history.has(h)) historyDepth = b.depth;
      continue;
    }
    if (historyDepth) {
      if (b.type === 'paragraph') for (const l of b.lines) history.push(l);
      else if (b.type === 'list') for (const it of b.items) history.push(it);
      continue;
    }
    if (!stageDepth) continue;
    if (b.type === 'paragraph') {
      // `For beta:` / `GA:` on a line of its own starts a stage.
      const last = b.lines[b.lines.length - 1]!;
      const m = /^(?:for\s+)?([\p{L}][\p{L} ]{0,30}?)\s*:$/iu.exec(last.text.replace(/[*_]/g, '').trim());
      if (m && P.stages.has(canonicalHeader(m[1]!))) {
        stage = addStage(m[1]!, { line: last.line, column: last.column + last.text.indexOf(m[1]!) });
        stageHeadingDepth = 99;
      }
    } else if (b.type === 'list' && stage) {
      for (const it of b.items) stage.criteria.push(criterion(it));
    }
  }
  // Dependencies between stages: a criterion saying `after Beta`.
  for (const { item } of stages) {
    for (const c of item.criteria) {
      const re = /\bafter\s+([\p{L}]+(?:\s+[\p{L}]+)?)/giu;
      for (let m = re.exec(c.text); m; m = re.exec(c.text)) {
        const words = m[1]!;
        const target = byKey.get(canonicalHeader(words)) ?? byKey.get(canonicalHeader(words.split(/\s+/)[0]!));
        if (target && target !== item && !item.dependencies.some((d) => d.id === target.id)) {
          item.dependencies.push({ id: target.id, origin: 'section', line: c.line, column: c.column + m.index + m[0].length - words.length });
        }
      }
    }
  }
  // The history: the last entry stating a status, per stage and for the proposal.
  const stated = new Map<Item, { text: string; at: { line: number; column: number } }>();
  for (const e of history) {
    const when = WHEN.exec(e.text);
    const text = (when ? e.text.slice(when[0].length) : e.text).trim();
    if (!text || normalizeStatus(text, profile).status === null) continue;
    stated.set(namedStage(canonicalHeader(text), byKey) ?? own, { text, at: { line: e.line, column: e.column + e.text.indexOf(text) } });
  }
  const items = [own, ...stages.map((s) => s.item)];
  for (const it of items) {
    const s = stated.get(it);
    Object.assign(it, readStatus(s?.text ?? null, s?.at ?? null, it, profile, sink));
  }
  return items;
}

/** The stage a heading names: `Beta`, or the stage graduated to (`Alpha -> Beta Graduation`, `Beta to GA`); null otherwise. */
function stageName(text: string, stages: Set<string>): string | null {
  const t = text.replace(/[*_`]/g, '').trim();
  if (stages.has(canonicalHeader(t))) return t;
  const m = /^(\S+(?:\s\S+)?)\s*(?:->|→|\bto\b)\s*(\S+(?:\s\S+)??)(?:\s+graduation)?$/i.exec(t);
  return m && stages.has(canonicalHeader(m[1]!)) && stages.has(canonicalHeader(m[2]!)) ? m[2]! : null;
}

/** The first stage a history entry names: a word, or two words (`general availability`), of its text. */
function namedStage(text: string, byKey: Map<string, Item>): Item | undefined {
  const words = text.split(' ');
  for (let k = 0; k < words.length; k++) {
    const hit = byKey.get(words[k]!) ?? (k + 1 < words.length ? byKey.get(`${words[k]} ${words[k + 1]}`) : undefined);
    if (hit) return hit;
  }
  return undefined;
}

function criterion(it: ListItem): Criterion {
  return { text: it.text, checked: it.checked, line: it.line, column: it.column };
}
