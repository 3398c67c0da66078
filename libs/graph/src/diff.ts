import { z } from 'zod';
import { DiagnosticSchema, StatusSchema, cmp, compareDiagnostics, type Diagnostic, type Item, type Matrix, type WorkDocument } from '@govern/workplan';

/**
 * What changed between two revisions of the documents (`govern diff`): items
 * added, removed and renamed, status and dependency changes, dependency
 * matrices that appeared, disappeared or changed, and packet ids that no longer
 * match their item's title. Pure: it compares parsed documents and does no I/O.
 *
 * The zod schemas are the source of the types, as in @govern/workplan's model.
 */

const At = {
  /** The item id, or for matrix changes the matrix's title, or for document changes the document id. */
  id: z.string(),
  /** The document the change is in: the newer side's path, the older side's for something removed. */
  file: z.string(),
  /** 1-based line in `file` of the item, matrix, cell or packet entry. */
  line: z.number().int().min(1),
  /** One sentence for people; the other fields are the data. */
  message: z.string(),
};

export const ItemSnapshotSchema = z.object({
  title: z.string(),
  status: StatusSchema.nullable(),
  statusText: z.string().nullable(),
  /** Every dependency, from the table, the matrices and metadata, sorted. */
  dependsOn: z.array(z.string()),
});
export type ItemSnapshot = z.infer<typeof ItemSnapshotSchema>;

const EdgeSchema = z.object({ from: z.string(), to: z.string() });

export const MatrixSnapshotSchema = z.object({
  title: z.string().nullable(),
  kind: z.enum(['dependency', 'cross-repo']),
  rows: z.array(z.string()),
  columns: z.array(z.string()),
  /** Cells marked `1` (row depends on column). */
  edges: z.array(EdgeSchema),
});
export type MatrixSnapshot = z.infer<typeof MatrixSnapshotSchema>;

const StatusValueSchema = z.object({ status: StatusSchema.nullable(), text: z.string().nullable() });
const NamedSchema = z.object({ id: z.string(), title: z.string() });
const PacketSchema = z.object({ packetId: z.string(), title: z.string() });
const DocSnapshotSchema = z.object({ title: z.string(), family: z.string() });

export const DiffChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('document-added'), ...At, before: z.null(), after: DocSnapshotSchema }),
  z.object({ kind: z.literal('document-removed'), ...At, before: DocSnapshotSchema, after: z.null() }),
  z.object({ kind: z.literal('item-added'), ...At, before: z.null(), after: ItemSnapshotSchema }),
  z.object({ kind: z.literal('item-removed'), ...At, before: ItemSnapshotSchema, after: z.null() }),
  /** Same id with a new title, or (no item kept the old id) the same title under a new id. */
  z.object({ kind: z.literal('item-renamed'), ...At, by: z.enum(['title', 'id']), before: NamedSchema, after: NamedSchema }),
  /** The normalized status or the status text as written changed. */
  z.object({ kind: z.literal('status-changed'), ...At, before: StatusValueSchema, after: StatusValueSchema }),
  /** An item's dependency set changed (ids renamed in this diff are compared under their new id). */
  z.object({
    kind: z.literal('dependencies-changed'),
    ...At,
    before: z.array(z.string()),
    after: z.array(z.string()),
    added: z.array(z.string()),
    removed: z.array(z.string()),
  }),
  z.object({ kind: z.literal('packet-changed'), ...At, before: z.string().nullable(), after: z.string().nullable() }),
  /**
   * A packet id that no longer matches its item: words of its slug that the old
   * title had and the new one lacks (`logfire` after a rename to "OTLP backend"),
   * or the old id it still names after the item took a new id. Also reported for
   * a packet id new in this diff when most of its words are not in the title.
   */
  z.object({ kind: z.literal('packet-mismatch'), ...At, before: PacketSchema.nullable(), after: PacketSchema, missing: z.array(z.string()) }),
  z.object({ kind: z.literal('matrix-added'), ...At, before: z.null(), after: MatrixSnapshotSchema }),
  z.object({ kind: z.literal('matrix-removed'), ...At, before: MatrixSnapshotSchema, after: z.null() }),
  /** A matrix's title, rows or columns changed (cells that flipped are `matrix-cell-changed`). */
  z.object({ kind: z.literal('matrix-changed'), ...At, before: MatrixSnapshotSchema, after: MatrixSnapshotSchema }),
  /** A cell whose row and column exist on both sides flipped between 0 and 1; `id` is the matrix's. */
  z.object({
    kind: z.literal('matrix-cell-changed'),
    ...At,
    from: z.string(),
    to: z.string(),
    before: z.union([z.literal(0), z.literal(1)]),
    after: z.union([z.literal(0), z.literal(1)]),
  }),
]);
export type DiffChange = z.infer<typeof DiffChangeSchema>;
export type DiffKind = DiffChange['kind'];

export const DIFF_KINDS = DiffChangeSchema.options.map((o) => o.shape.kind.value) as DiffKind[];

/** What `govern diff --json` prints. */
export const DiffResultSchema = z.object({ changes: z.array(DiffChangeSchema), diagnostics: z.array(DiagnosticSchema) });
export type DiffResult = z.infer<typeof DiffResultSchema>;

// ---------------------------------------------------------------------------

const KIND_ORDER = new Map<string, number>(DIFF_KINDS.map((k, i) => [k, i]));

/** File, then kind (in the order of the schema), then line, then id: the same inputs give the same order. */
export function compareChanges(a: DiffChange, b: DiffChange): number {
  return cmp(a.file, b.file) || KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! || a.line - b.line || cmp(a.id, b.id);
}

/**
 * Compares two sets of documents (two revisions of a repository). Documents are
 * paired by path, then, among the unpaired, by document id (a moved file).
 */
export function diffWorkspaces(before: WorkDocument[], after: WorkDocument[]): DiffResult {
  const changes: DiffChange[] = [];
  const diagnostics: Diagnostic[] = [];
  const pairs = pairBy(before, after, [(d) => d.file, (d) => d.id]);
  for (const [a, b] of pairs) {
    const r = diffDocumentsWithDiagnostics(a, b);
    changes.push(...r.changes);
    diagnostics.push(...r.diagnostics);
  }
  return { changes: changes.sort(compareChanges), diagnostics: diagnostics.sort(compareDiagnostics) };
}

/**
 * Compares two versions of one document; either may be null (a document added
 * or removed, whose every item is then added or removed).
 */
export function diffDocuments(before: WorkDocument | null, after: WorkDocument | null): DiffChange[] {
  return diffDocumentsWithDiagnostics(before, after).changes;
}

/** {@link diffDocuments}, with warnings for what made the comparison ambiguous (an id defined twice). */
export function diffDocumentsWithDiagnostics(before: WorkDocument | null, after: WorkDocument | null): DiffResult {
  const out: DiffChange[] = [];
  const diagnostics: Diagnostic[] = [];
  if (!before && !after) return { changes: out, diagnostics };
  if (!before) out.push({ kind: 'document-added', id: after!.id, file: after!.file, line: 1, message: `document ${after!.file} added ("${after!.title}")`, before: null, after: docSnap(after!) });
  if (!after) out.push({ kind: 'document-removed', id: before!.id, file: before!.file, line: 1, message: `document ${before!.file} removed ("${before!.title}")`, before: docSnap(before!), after: null });

  const itemsA = uniqueItems(before, diagnostics);
  const itemsB = uniqueItems(after, diagnostics);
  const fileA = before?.file ?? after!.file;
  const fileB = after?.file ?? before!.file;

  // Same id: kept. Then, among the rest, the same title under a new id.
  const renamedId = new Map<string, string>(); // old id → new id
  const removed = [...itemsA.values()].filter((i) => !itemsB.has(i.id));
  const added = [...itemsB.values()].filter((i) => !itemsA.has(i.id));
  const titleKey = (i: Item) => words(i.title).join(' ');
  const unique = (items: Item[]) => {
    const m = new Map<string, Item | null>();
    for (const i of items) {
      const key = titleKey(i);
      if (key) m.set(key, m.has(key) ? null : i);
    }
    return m;
  };
  const titlesB = unique(added);
  for (const [key, a] of unique(removed)) {
    const b = titlesB.get(key);
    if (a && b) renamedId.set(a.id, b.id);
  }
  const newIds = new Set(renamedId.values());

  for (const a of removed) {
    if (renamedId.has(a.id)) continue;
    out.push({ kind: 'item-removed', id: a.id, file: fileA, line: a.line, message: `${a.id} removed: "${a.title}" (${a.statusText ?? 'no status'})`, before: itemSnap(a), after: null });
  }
  for (const b of added) {
    if (newIds.has(b.id)) continue;
    out.push({ kind: 'item-added', id: b.id, file: fileB, line: b.line, message: `${b.id} added: "${b.title}" (${b.statusText ?? 'no status'})`, before: null, after: itemSnap(b) });
    if (after) packetCheck(out, null, b, after);
  }

  const kept: [Item, Item][] = [];
  for (const a of itemsA.values()) {
    const b = itemsB.get(renamedId.get(a.id) ?? a.id);
    if (b) kept.push([a, b]);
  }
  for (const [a, b] of kept) {
    if (a.id !== b.id) {
      out.push({ kind: 'item-renamed', by: 'id', id: b.id, file: fileB, line: b.line, message: `${a.id} is now ${b.id} ("${b.title}")`, before: { id: a.id, title: a.title }, after: { id: b.id, title: b.title } });
    } else if (a.title.trim() !== b.title.trim()) {
      out.push({ kind: 'item-renamed', by: 'title', id: b.id, file: fileB, line: b.line, message: `${b.id} renamed: "${a.title}" → "${b.title}"`, before: { id: a.id, title: a.title }, after: { id: b.id, title: b.title } });
    }
    if (a.status !== b.status || (a.statusText ?? '') !== (b.statusText ?? '')) {
      const show = (s: Item) => `${s.status ?? 'unknown'}${s.statusText !== null && s.statusText !== s.status ? ` ("${s.statusText}")` : ''}`;
      out.push({
        kind: 'status-changed',
        id: b.id,
        file: fileB,
        line: b.statusSource?.line ?? b.line,
        message: `${b.id} status: ${show(a)} → ${show(b)}`,
        before: { status: a.status, text: a.statusText },
        after: { status: b.status, text: b.statusText },
      });
    }
    const depsA = depIds(a).map((id) => renamedId.get(id) ?? id);
    const depsB = depIds(b);
    const plus = depsB.filter((d) => !depsA.includes(d));
    const minus = depsA.filter((d) => !depsB.includes(d));
    if (plus.length || minus.length) {
      const line = b.dependencies.find((d) => plus.includes(d.id))?.line ?? b.line;
      out.push({
        kind: 'dependencies-changed',
        id: b.id,
        file: fileB,
        line,
        message: `${b.id} dependencies: ${[...plus.map((d) => `+${d}`), ...minus.map((d) => `-${d}`)].join(', ')}`,
        before: [...new Set(depsA)].sort(cmp),
        after: depsB,
        added: plus,
        removed: minus,
      });
    }
    if ((a.packetId ?? null) !== (b.packetId ?? null)) {
      out.push({
        kind: 'packet-changed',
        id: b.id,
        file: fileB,
        line: packetLine(after, b.packetId) ?? b.line,
        message: `${b.id} packet id: ${a.packetId ?? 'none'} → ${b.packetId ?? 'none'}`,
        before: a.packetId,
        after: b.packetId,
      });
    }
    if (after) packetCheck(out, a, b, after);
  }

  diffMatrices(out, before, after, fileA, fileB);
  return { changes: out.sort(compareChanges), diagnostics: diagnostics.sort(compareDiagnostics) };
}

// ---------------------------------------------------------------------------
// Packet ids

const STOP = new Set(['a', 'an', 'and', 'the', 'of', 'for', 'to', 'in', 'on', 'with', 'pkt']);

/** Lower-case words of a text (`OTel + OTLP backend` → otel, otlp, backend). */
function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

/** Two words name the same thing: equal, or one an inflection of the other (`primitive`/`primitives`). */
function sameWord(w: string, t: string): boolean {
  if (w === t) return true;
  const min = Math.min(w.length, t.length);
  if (min < 4) return false;
  let common = 0;
  while (common < min && w[common] === t[common]) common++;
  return common >= Math.max(4, min - 2);
}

/**
 * The words of a packet id that describe the item: what follows the item's id
 * in it (`pkt-dome-lm-01-otel-logfire-baseline` → otel, logfire, baseline).
 * Null when the packet id does not contain the item's id, since then where the
 * project part ends and the description starts is unknown.
 */
export function packetSlugWords(packetId: string, item: Pick<Item, 'id' | 'localId'>): string[] | null {
  const p = words(packetId);
  for (const id of [item.id, item.localId]) {
    const w = words(id);
    if (!w.length) continue;
    for (let i = 0; i + w.length <= p.length; i++) {
      if (w.every((x, k) => p[i + k] === x)) return p.slice(i + w.length).filter((x) => !STOP.has(x) && !/^\d+$/.test(x));
    }
  }
  return null;
}

/** Words of the packet slug that no word of `title` matches. */
export function packetWordsMissing(slug: string[], title: string): string[] {
  const t = words(title);
  return slug.filter((w) => !t.some((x) => sameWord(w, x)));
}

function packetCheck(out: DiffChange[], a: Item | null, b: Item, after: WorkDocument): void {
  // The item took a new id and its packet id still names the old one.
  if (a && a.id !== b.id && a.packetId && !b.packetId && after.packetIds.some((p) => p.text === a.packetId)) {
    out.push({
      kind: 'packet-mismatch',
      id: b.id,
      file: after.file,
      line: packetLine(after, a.packetId) ?? b.line,
      message: `${b.id}: packet id ${a.packetId} still names ${a.id}, the item's old id`,
      before: { packetId: a.packetId, title: a.title },
      after: { packetId: a.packetId, title: b.title },
      missing: [a.id],
    });
    return;
  }
  if (!b.packetId) return;
  const slug = packetSlugWords(b.packetId, b);
  if (!slug || !slug.length) return;
  const missing = packetWordsMissing(slug, b.title);
  if (!missing.length) return;
  const samePacket = a !== null && a.packetId === b.packetId;
  // Words the old title had and the new one lacks: the rename left the packet id behind.
  const stale = a && a.title !== b.title ? missing.filter((w) => words(a.title).some((x) => sameWord(w, x))) : [];
  const unrelated = !samePacket && missing.length * 2 > slug.length;
  if (!stale.length && !unrelated) return;
  const said = stale.length ? stale : missing;
  out.push({
    kind: 'packet-mismatch',
    id: b.id,
    file: after.file,
    line: packetLine(after, b.packetId) ?? b.line,
    message: stale.length
      ? `${b.id}: packet id ${b.packetId} still says ${said.map((w) => `"${w}"`).join(', ')}, which the title no longer has ("${a!.title}" → "${b.title}")`
      : `${b.id}: packet id ${b.packetId} does not match the title "${b.title}" (${said.map((w) => `"${w}"`).join(', ')} not in it)`,
    before: a?.packetId ? { packetId: a.packetId, title: a.title } : null,
    after: { packetId: b.packetId, title: b.title },
    missing: said,
  });
}

function packetLine(doc: WorkDocument | null, packetId: string | null): number | null {
  if (!doc || !packetId) return null;
  return doc.packetIds.find((p) => p.text === packetId)?.line ?? null;
}

// ---------------------------------------------------------------------------
// Matrices

function diffMatrices(out: DiffChange[], before: WorkDocument | null, after: WorkDocument | null, fileA: string, fileB: string): void {
  const ma = before?.matrices ?? [];
  const mb = after?.matrices ?? [];
  const pairs: [Matrix | null, Matrix | null][] = [];
  const usedA = new Set<Matrix>();
  const usedB = new Set<Matrix>();
  // 1. The same title (and kind), in order.
  for (const a of ma) {
    const b = mb.find((x) => !usedB.has(x) && x.kind === a.kind && (x.title ?? '') === (a.title ?? ''));
    if (!b) continue;
    usedA.add(a);
    usedB.add(b);
    pairs.push([a, b]);
  }
  // 2. A retitled matrix: the same kind naming most of the same ids, best overlap first.
  const candidates: { a: Matrix; b: Matrix; score: number }[] = [];
  for (const a of ma.filter((x) => !usedA.has(x))) {
    for (const b of mb.filter((x) => !usedB.has(x) && x.kind === a.kind)) {
      const ids = (m: Matrix) => new Set([...m.rows, ...m.columns]);
      const ia = ids(a);
      const ib = ids(b);
      const common = [...ia].filter((x) => ib.has(x)).length;
      if (common > 0) candidates.push({ a, b, score: common / new Set([...ia, ...ib]).size });
    }
  }
  candidates.sort((x, y) => y.score - x.score || x.a.line - y.a.line || x.b.line - y.b.line);
  for (const c of candidates) {
    if (usedA.has(c.a) || usedB.has(c.b)) continue;
    usedA.add(c.a);
    usedB.add(c.b);
    pairs.push([c.a, c.b]);
  }
  for (const a of ma) if (!usedA.has(a)) pairs.push([a, null]);
  for (const b of mb) if (!usedB.has(b)) pairs.push([null, b]);

  for (const [a, b] of pairs) {
    if (!a && b) {
      out.push({ kind: 'matrix-added', id: matrixName(b), file: fileB, line: b.line, message: `matrix "${matrixName(b)}" added: ${shape(b)}`, before: null, after: matrixSnap(b) });
      continue;
    }
    if (a && !b) {
      out.push({ kind: 'matrix-removed', id: matrixName(a), file: fileA, line: a.line, message: `matrix "${matrixName(a)}" removed: ${shape(a)}`, before: matrixSnap(a), after: null });
      continue;
    }
    if (!a || !b) continue;
    const what: string[] = [];
    if ((a.title ?? '') !== (b.title ?? '')) what.push(`retitled "${matrixName(a)}" → "${matrixName(b)}"`);
    for (const axis of ['rows', 'columns'] as const) {
      const plus = b[axis].filter((x) => !a[axis].includes(x));
      const minus = a[axis].filter((x) => !b[axis].includes(x));
      if (plus.length || minus.length) what.push(`${axis} ${[...plus.map((x) => `+${x}`), ...minus.map((x) => `-${x}`)].join(', ')}`);
    }
    // Edges in a row or column only one side has (cells of both sides are `matrix-cell-changed`).
    const rowsBoth = new Set(a.rows.filter((x) => b.rows.includes(x)));
    const columnsBoth = new Set(a.columns.filter((x) => b.columns.includes(x)));
    const inBoth = (e: { from: string; to: string }) => rowsBoth.has(e.from) && columnsBoth.has(e.to);
    const edgePlus = b.edges.filter((e) => !inBoth(e)).map((e) => `+${e.from} → ${e.to}`);
    const edgeMinus = a.edges.filter((e) => !inBoth(e)).map((e) => `-${e.from} → ${e.to}`);
    if (edgePlus.length || edgeMinus.length) what.push(`edges ${[...edgePlus, ...edgeMinus].join(', ')}`);
    if (what.length) {
      out.push({ kind: 'matrix-changed', id: matrixName(b), file: fileB, line: b.line, message: `matrix "${matrixName(b)}": ${what.join('; ')}`, before: matrixSnap(a), after: matrixSnap(b) });
    }
    const on = (m: Matrix) => new Map(m.edges.map((e) => [`${e.from}\u0000${e.to}`, e]));
    const ea = on(a);
    const eb = on(b);
    const rowsA = new Set(a.rows);
    const columnsA = new Set(a.columns);
    for (const from of b.rows) {
      if (!rowsA.has(from)) continue;
      for (const to of b.columns) {
        if (!columnsA.has(to)) continue;
        const key = `${from}\u0000${to}`;
        const va = ea.has(key) ? 1 : 0;
        const vb = eb.has(key) ? 1 : 0;
        if (va === vb) continue;
        out.push({
          kind: 'matrix-cell-changed',
          id: matrixName(b),
          file: fileB,
          line: eb.get(key)?.line ?? b.line,
          message: `matrix "${matrixName(b)}": ${from} → ${to} ${va} → ${vb}`,
          from,
          to,
          before: va,
          after: vb,
        });
      }
    }
  }
}

function matrixName(m: Matrix): string {
  return m.title ?? `matrix at line ${m.line}`;
}

function shape(m: Matrix): string {
  return `${m.rows.length} rows × ${m.columns.length} columns, ${m.edges.length} edge${m.edges.length === 1 ? '' : 's'}`;
}

function matrixSnap(m: Matrix): MatrixSnapshot {
  return { title: m.title, kind: m.kind, rows: [...m.rows], columns: [...m.columns], edges: m.edges.map((e) => ({ from: e.from, to: e.to })) };
}

// ---------------------------------------------------------------------------

function depIds(i: Item): string[] {
  return [...new Set(i.dependencies.map((d) => d.id))].sort(cmp);
}

function itemSnap(i: Item): ItemSnapshot {
  return { title: i.title, status: i.status, statusText: i.statusText, dependsOn: depIds(i) };
}

function docSnap(d: WorkDocument): z.infer<typeof DocSnapshotSchema> {
  return { title: d.title, family: d.family };
}

/** Items by id; a second definition of an id is left out of the comparison, with a warning. */
function uniqueItems(doc: WorkDocument | null, diagnostics: Diagnostic[]): Map<string, Item> {
  const out = new Map<string, Item>();
  if (!doc) return out;
  for (const i of doc.items) {
    const prior = out.get(i.id);
    if (!prior) {
      out.set(i.id, i);
      continue;
    }
    diagnostics.push({
      severity: 'warning',
      code: 'diff-duplicate-id',
      message: `${i.id} is defined twice in ${doc.file}; the diff compares the first definition (line ${prior.line})`,
      file: doc.file,
      line: i.line,
      column: i.column,
    });
  }
  return out;
}

/** Pairs two lists by the first key under which an element is alone on both sides; what stays unpaired is paired with null. */
function pairBy<T>(a: T[], b: T[], keys: ((x: T) => string)[]): [T | null, T | null][] {
  const out: [T | null, T | null][] = [];
  const restA = new Set(a);
  const restB = new Set(b);
  const byKey = (rest: Set<T>, key: (x: T) => string) => {
    const m = new Map<string, T | null>();
    for (const x of rest) {
      const k = key(x);
      m.set(k, m.has(k) ? null : x);
    }
    return m;
  };
  for (const key of keys) {
    const inB = byKey(restB, key);
    for (const [k, x] of byKey(restA, key)) {
      const y = inB.get(k);
      if (!x || !y) continue;
      out.push([x, y]);
      restA.delete(x);
      restB.delete(y);
    }
  }
  for (const x of restA) out.push([x, null]);
  for (const y of restB) out.push([null, y]);
  return out;
}
