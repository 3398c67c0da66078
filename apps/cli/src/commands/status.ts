import { blockedItems, blockedItemsIn, nextActionable, nextActionableIn, type Blocked, type Blocker } from '@govern/graph';
import type { Diagnostic } from '@govern/workplan';
import { countStatuses, type IndexedDocument, type IndexedItem, type ItemIndex, type Workspace } from '@govern/workspace';
import { openWorkspace, writeJson, writeJsonBytes, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, nodeRow, statusCell, summarize, summaryLine, table, type Colors } from '../render.js';
import { count, elsewhereLine, exitCodeOf, resolveDoc, scopeDiagnostics } from '../scope.js';
import { filterNodes } from './graph.js';

export interface StatusOptions extends CommonOptions {
  /** Only this document (path or id), and only its diagnostics. */
  doc?: string;
  /** Only items with these statuses (`unknown`: none recognized), and the documents that have one. */
  status?: string[];
  /** At most this many documents, next items, blocked items and diagnostics. */
  limit?: number;
  /** Human output: every document's items and every list entry, however large the root. */
  all?: boolean;
}

/**
 * The default bound of the human output (without `--limit` or `--all`): a root of up to
 * {@link FULL_DOCUMENTS} documents is printed in full; a larger one as one summary line
 * per document, at most {@link SUMMARY_DOCUMENTS} of them; each list (next, blocked,
 * diagnostics) shows at most {@link LIST_LIMIT} entries. At 5,000 documents the full
 * output was 63,885 lines: no one reads that, and an agent's context cannot hold it.
 */
export const FULL_DOCUMENTS = 20;
/** See {@link FULL_DOCUMENTS}. */
export const SUMMARY_DOCUMENTS = 100;
/** See {@link FULL_DOCUMENTS}. */
export const LIST_LIMIT = 20;

/**
 * `govern status`: a readable summary of every document, what is next, what is blocked.
 * `--json` is complete unless `--limit` is given; the human output is bounded (see
 * {@link FULL_DOCUMENTS}) and says what it left out and how to see it.
 */
export async function statusCommand(ctx: CommandContext, opts: StatusOptions): Promise<number> {
  return printStatus(ctx, opts, await openWorkspace(ctx, opts, { repos: true }));
}

/**
 * `govern status` over a loaded workspace. It reads the workspace's item index when it
 * has one (documents, items, the actionable rule's index: no graph built, no parse result
 * decoded), else the documents and the graph; both print the same bytes (status.test.ts).
 */
export function printStatus(ctx: CommandContext, opts: StatusOptions, ws: Workspace): number {
  const idx = ws.itemIndex?.();
  // The whole root: from what a previous run saved of it, without reading every item.
  if (idx && opts.doc === undefined && !opts.status?.length) {
    const code = printSummary(ctx, opts, ws, idx);
    if (code !== null) return code;
  }
  // A graph node and a document have every field the index has: one code path reads either.
  const allDocuments: IndexedDocument[] = idx ? idx.documents : ws.documents;
  const allNodes: IndexedItem[] = idx ? idx.items : ws.index.graph.nodes;
  const scope = resolveDoc(ws, opts.doc, allDocuments);
  const filter = { ...(scope ? { doc: scope.file } : {}), ...(opts.status ? { status: opts.status } : {}) };
  const { shown: inScope, elsewhere } = scopeDiagnostics(ws.diagnostics, scope);
  const code = exitCodeOf(inScope);
  // Grouped once: filtering every node for every document is quadratic (35,000 nodes × 5,000 documents).
  const byFile = new Map<string, IndexedItem[]>();
  for (const n of allNodes) {
    const list = byFile.get(n.source.file);
    if (list) list.push(n);
    else byFile.set(n.source.file, [n]);
  }
  const narrowed = Boolean(scope || opts.status?.length);
  const documents = allDocuments
    .map((d) => ({ d, all: byFile.get(d.file) ?? [], items: filterNodes(byFile.get(d.file) ?? [], filter) }))
    .filter(({ d, items }) => (scope ? d.file === scope.file : true) && (!opts.status?.length || items.length > 0));
  const next: IndexedItem[] = filterNodes(idx ? nextActionableIn(idx.items, idx.rule) : nextActionable(ws.index), filter);
  const blocked: Blocked<IndexedItem>[] = (idx ? blockedItemsIn(idx.items, idx.rule) : blockedItems(ws.index)).filter((b) => filterNodes([b.node], filter).length > 0);

  if (opts.json) {
    const cut = <T>(list: T[]) => (opts.limit !== undefined ? list.slice(0, opts.limit) : list);
    writeJson(ctx, {
      root: ws.root,
      documents: cut(documents).map(({ d, all, items }) => ({
        file: d.file,
        id: d.id,
        family: d.family,
        title: d.title,
        status: d.status,
        items: items.map((i) => i.id),
        counts: countStatuses(all),
      })),
      next: cut(next).map((n) => n.id),
      blocked: cut(blocked).map((b) => ({ id: b.node.id, blockers: b.blockers })),
      summary: summarize(inScope),
      diagnostics: cut(inScope),
      ...(narrowed || opts.limit !== undefined
        ? {
            omitted: {
              documents: documents.length - cut(documents).length,
              next: next.length - cut(next).length,
              blocked: blocked.length - cut(blocked).length,
              diagnostics: elsewhere + inScope.length - cut(inScope).length,
            },
          }
        : {}),
    });
    return code;
  }

  const c = colorsFor(ctx, opts);
  ctx.stdout.write(
    humanStatus(c, opts, ws.root, documents.map(({ d, all, items }) => ({ d, counts: () => countStatuses(all), items })), next, blocked, inScope, elsewhere),
  );
  return code;
}

/** A document as the human output shows it: its line, and (printed in full) its items' rows. */
interface StatusDocument {
  d: Pick<IndexedDocument, 'file' | 'family' | 'title'>;
  counts: () => Record<string, number>;
  items: readonly Pick<IndexedItem, 'id' | 'status' | 'title'>[];
}

/** The human output of `status` (see {@link FULL_DOCUMENTS} for its bounds). */
function humanStatus(
  c: Colors,
  opts: StatusOptions,
  root: string,
  documents: readonly StatusDocument[],
  next: readonly Pick<IndexedItem, 'id' | 'status' | 'title' | 'source'>[],
  blocked: readonly { node: Pick<IndexedItem, 'id' | 'status'>; blockers: Blocker[] }[],
  inScope: Diagnostic[],
  elsewhere: number,
  // How many documents and blocked items there are: the lists may hold only the first ones (those shown).
  documentCount = documents.length,
  blockedCount = blocked.length,
): string {
  const bounded = !opts.all;
  const listLimit = opts.limit ?? (bounded ? LIST_LIMIT : Infinity);
  const full = isFull(opts, documentCount);
  const docLimit = opts.limit ?? (full ? Infinity : SUMMARY_DOCUMENTS);
  const shownDocs = documents.slice(0, docLimit);
  let out = `${c.bold('govern status')}  ${c.dim(root)}\n\n`;
  for (const { d, counts, items } of shownDocs) {
    const tally = Object.entries(counts()).map(([k, v]) => `${v} ${k}`).join(', ');
    out += `${c.bold(d.file)}  ${c.dim(`${d.family}: ${d.title}`)}${tally ? c.dim(`  (${tally})`) : ''}\n`;
    if (full) out += table(items.map((n) => [n.id, statusCell(n.status, c), n.title]), c) + '\n';
  }
  if (!full) out += '\n';
  if (shownDocs.length < documentCount) out += more(c, documentCount - shownDocs.length, 'document', opts.limit, 'govern status --all prints every one, --doc <file-or-id> one in full, --json all as JSON') + '\n';
  else if (!full) out += c.dim(`${count(documentCount, 'document')}, one line each (more than ${FULL_DOCUMENTS}); --doc <file-or-id> shows one with its items, --all every one\n`) + '\n';
  out += c.bold('Next actionable') + '\n';
  out += next.length ? table(next.slice(0, listLimit).map((n) => nodeRow(n, c)), c) : '  nothing is actionable\n';
  if (next.length > listLimit) out += more(c, next.length - listLimit, 'actionable item', opts.limit, 'govern next lists every one');
  out += '\n' + c.bold('Blocked') + '\n';
  out += blockedCount
    ? table(blocked.slice(0, listLimit).map((b) => [b.node.id, statusCell(b.node.status, c), `waits on ${b.blockers.map((x) => `${x.id} (${x.exists ? (x.status ?? 'no status') : 'missing'})${x.via ? ` via ${x.via}` : ''}`).join(', ')}`]), c)
    : '  nothing is blocked\n';
  if (blockedCount > listLimit) out += more(c, blockedCount - listLimit, 'blocked item', opts.limit, 'govern status --all lists every one');
  out += '\n' + c.bold('Diagnostics') + '\n';
  for (const d of inScope.slice(0, listLimit)) out += formatDiagnostic(d, c);
  if (inScope.length > listLimit) out += more(c, inScope.length - listLimit, 'diagnostic', opts.limit, 'govern validate lists every one');
  if (elsewhere) out += c.dim(`${elsewhereLine(elsewhere)}\n`);
  out += `${summaryLine(inScope, c)}\n`;
  return out;
}

/** Whether the human output prints each document's items (see {@link FULL_DOCUMENTS}). */
function isFull(opts: StatusOptions, documents: number): boolean {
  return opts.limit !== undefined || Boolean(opts.all) || documents <= FULL_DOCUMENTS;
}

/**
 * `status` over the whole root (no `--doc`, no `--status`) from the index's summary: the
 * documents' JSON and the blocked items' as a previous run saved them for this state,
 * copied into `--json`; the human output reads the documents' lines. Null when that
 * variant needs each document's items (`--limit`, `--all`, or a small root printed in
 * full), or the summary does not decode: the caller reads the items then.
 */
function printSummary(ctx: CommandContext, opts: StatusOptions, ws: Workspace, idx: ItemIndex): number | null {
  const inScope = ws.diagnostics;
  const code = exitCodeOf(inScope);
  const summary = idx.summary();
  if (opts.json) {
    if (opts.limit !== undefined) return null;
    // The bytes JSON.stringify writes for { root, documents, next, blocked, summary, diagnostics }.
    const text = (s: string) => Buffer.from(s, 'utf8');
    writeJsonBytes(
      ctx,
      Buffer.concat([
        text(`{"root":${JSON.stringify(ws.root)},"documents":`),
        summary.documentsJson,
        text(',"next":'),
        summary.nextJson,
        text(',"blocked":'),
        summary.blockedJson,
        text(`,"summary":${JSON.stringify(summarize(inScope))},"diagnostics":${JSON.stringify(inScope)}}`),
      ]),
    );
    return code;
  }
  if (isFull(opts, summary.documents)) return null;
  // Bounded (see isFull): the first documents' lines and the first blocked items, parsed alone.
  const documents = summary.documentList(0, SUMMARY_DOCUMENTS);
  const blocked = summary.blockedList(0, LIST_LIMIT);
  if (!documents || !blocked) return null;
  const c = colorsFor(ctx, opts);
  const rows = documents.map((d) => ({ d, counts: () => d.counts, items: [] }));
  const blockedRows = blocked.map((b) => ({ node: b, blockers: b.blockers }));
  ctx.stdout.write(humanStatus(c, opts, ws.root, rows, idx.actionable(), blockedRows, inScope, 0, summary.documents, summary.blocked));
  return code;
}

/** `… 4,880 more documents (…); how to see them`, dimmed. */
function more(c: Colors, n: number, noun: string, limit: number | undefined, how: string): string {
  const why = limit !== undefined ? `--limit ${limit}` : 'the default bound';
  return c.dim(`  … ${count(n, `more ${noun}`)} (${why}); ${how}\n`);
}

