import type { DiagnosticSink } from './diagnostics.js';
import type { Item } from './model.js';
import { canonicalPhrase } from './profile.js';

/** How many children a `status-children-done` warning names in `related`. */
const RELATED_CHILDREN = 5;

/**
 * Derived status (GV-WP-0009-T04): an item that states no status of its own (no status
 * text at all) and has items under it (`parent`), all done — stated or derived, bottom
 * up — is done with `statusOrigin: "derived"`; the `status-missing` warning it had is
 * dropped. A milestone or task whose stated status is not done while all its items are
 * done keeps its status and gets a `status-children-done` warning at the status (a
 * workplan does not: it stays open until it is closed itself). Linear in the items.
 */
export function deriveStatuses(items: Item[], sink: DiagnosticSink): void {
  // Most documents nest nothing: every item's parent is the document, which is no item.
  const root = items.find((it) => it.parent !== null)?.parent;
  if (root === undefined) return;
  if (items.every((it) => it.parent === null || it.parent === root) && !items.some((it) => it.id === root)) return;
  const byId = new Map<string, Item>();
  for (const it of items) if (!byId.has(it.id)) byId.set(it.id, it);
  const children = new Map<Item, Item[]>();
  for (const it of items) {
    const p = it.parent !== null ? byId.get(it.parent) : undefined;
    if (!p || p === it) continue;
    const list = children.get(p);
    if (list) list.push(it);
    else children.set(p, [it]);
  }
  if (children.size === 0) return;
  // Post-order without recursion: a child is settled before its parent. `state` guards
  // against a parent chain that loops (ids are not checked for uniqueness here).
  const state = new Map<Item, 1 | 2>();
  const derived = new Set<Item>();
  for (const root of children.keys()) {
    if (state.has(root)) continue;
    const stack: { item: Item; next: number }[] = [{ item: root, next: 0 }];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kids = children.get(top.item) ?? [];
      if (top.next < kids.length) {
        const k = kids[top.next++]!;
        if (!state.has(k) && children.has(k)) {
          state.set(k, 1);
          stack.push({ item: k, next: 0 });
        }
        continue;
      }
      stack.pop();
      state.set(top.item, 2);
      settle(top.item, kids, derived, sink);
    }
  }
  if (derived.size) {
    const moot = new Set([...derived].map((it) => `${it.id} has no status`));
    sink.retract((d) => d.code === 'status-missing' && moot.has(d.message));
  }
}

function settle(item: Item, kids: Item[], derived: Set<Item>, sink: DiagnosticSink): void {
  if (!kids.length || !kids.every((k) => k.status === 'done')) return;
  if (item.status === null && (item.statusText === null || item.statusText === '')) {
    item.status = 'done';
    item.statusOrigin = 'derived';
    derived.add(item);
    return;
  }
  // A workplan stays open until it is closed itself (`govern close`), after its tasks: only
  // a milestone or task that says it is not done while all its items are is a contradiction.
  if (item.status === null || item.status === 'done' || item.kind === 'workplan') return;
  const at = item.statusSource ?? { line: item.line, column: item.column };
  const said = canonicalPhrase(item.statusText ?? '') === canonicalPhrase(item.status) ? `"${item.statusText}"` : `"${item.statusText}" (${item.status})`;
  const all = kids.length === 1 ? 'its one item is done' : `all ${kids.length} of its items are done`;
  sink.warn(
    'status-children-done',
    `${item.id} is ${said}, but ${all}; the stated status is kept`,
    at.line,
    at.column,
    { related: kids.slice(0, RELATED_CHILDREN).map((k) => ({ file: sink.file, line: k.line, column: k.column, message: `${k.id}: done` })) },
  );
}
