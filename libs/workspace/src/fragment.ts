import v8 from 'node:v8';
import type { Diagnostic, Family, Item, ParseResult, Status, WorkDocument } from '@govern/workplan';

/**
 * Stage 2 of the engine (discover → fragments → graph → output): what one document
 * contributes, kept apart from every other document's so that a changed file replaces
 * only its own.
 *
 * A fragment has three parts, each usable without the others:
 * - the contribution: the document's id, its nodes as the graph stage needs them (id,
 *   position, dependency references) and its parse diagnostics — small JSON;
 * - the node JSON: each node exactly as `govern graph --json` prints it, one after the
 *   other, so the output is spliced from fragments instead of serialized again;
 * - the parse result (v8-serialized), deserialized only by a command that reads
 *   `documents` or `index`.
 */

/**
 * The nodes of a document as the graph stage sees them, flat: for each node its id,
 * line, column and number of dependency references, then each reference's id, line and
 * column (in document order, repeats included; the column negated for a reference the
 * parser could not read as an id). Flat, because decoding ten thousand of
 * these is on the path of every run with a changed file, and one array of primitives
 * per document costs a fraction of an object per node and an array per reference.
 */
export type NodeRecords = (string | number)[];

export interface Contribution {
  /** The document's id and where it comes from (null for a file that is no document). */
  docId: string | null;
  idSource: WorkDocument['idSource'] | null;
  nodes: NodeRecords;
  /** Byte length of each node's JSON in the node JSON part, in node order (commas between them not counted). */
  jsonLengths: number[];
  /** The parse diagnostics of the file. */
  diagnostics: Diagnostic[];
  /**
   * What the commands that read an index (`next`, `status`, `validate`) need of each
   * node besides its id and references, flat, {@link INFO_WIDTH} per node in node order:
   * kind, status, priority, parent, title. Apart from `nodes` so that an edit of a status
   * or a title still leaves the graph structure alone (the engine's patch path).
   */
  info: (string | null)[];
  /** The document's family, title and status; null for a file that is no document. */
  doc: [family: Family, title: string, status: Status | null] | null;
}

/** Entries per node in {@link Contribution.info}. */
export const INFO_WIDTH = 5;

export interface Fragment {
  file: string;
  contribution: Contribution;
  /** The nodes' JSON, separated by commas (see `jsonLengths`): a slice of the printed `nodes` array. */
  json: Buffer;
}

/** Builds a document's fragment from its parse result. */
export function fragmentOf(file: string, result: ParseResult): Fragment {
  const doc = result.document;
  const nodes: NodeRecords = [];
  const parts: string[] = [];
  const jsonLengths: number[] = [];
  const info: (string | null)[] = [];
  for (const item of doc?.items ?? []) {
    nodes.push(item.id, item.line, item.column, item.dependencies.length);
    info.push(item.kind, item.status, item.priority, item.parent, item.title);
    // An unreadable reference (its parse error already given) has its column negated: the
    // graph stage keeps its edge and does not report it again as unknown (see graph-update.ts).
    for (const d of item.dependencies) nodes.push(d.id, d.line, d.unreadable ? -d.column : d.column);
    const json = JSON.stringify(nodeOf(doc!, item));
    parts.push(json);
    jsonLengths.push(Buffer.byteLength(json, 'utf8'));
  }
  return {
    file,
    contribution: {
      docId: doc?.id ?? null,
      idSource: doc?.idSource ?? null,
      nodes,
      jsonLengths,
      diagnostics: result.diagnostics,
      info,
      doc: doc ? [doc.family, doc.title, doc.status] : null,
    },
    json: Buffer.from(parts.join(',')),
  };
}

/**
 * The graph node of an item, key for key as @govern/graph's `buildGraph` makes it (the
 * differential test in engine.test.ts compares the bytes). `dependsOn` is the item's
 * references without repeats, in first-seen order: it does not depend on any other
 * document, which is what lets a document's node JSON be cached on its own.
 */
function nodeOf(doc: WorkDocument, item: Item) {
  return {
    id: item.id,
    kind: item.kind,
    title: item.title,
    status: item.status,
    statusText: item.statusText,
    dependsOn: [...new Set(item.dependencies.map((d) => d.id))],
    source: { file: doc.file, line: item.line, column: item.column },
    document: doc.id,
    localId: item.localId,
    parent: item.parent,
    priority: item.priority,
    order: item.order,
    criteria: item.criteria,
    checks: item.checks,
    evidenceRoot: item.evidenceRoot,
    packetId: item.packetId,
    stateHubId: item.stateHubId,
    refs: item.refs,
  };
}

/**
 * The graph part of a fragment as stored: u32 contribution length | contribution JSON |
 * node JSON. One buffer, so one read and one checksum give both.
 */
export function encodeGraphPart(f: Fragment): Buffer {
  const contribution = Buffer.from(JSON.stringify(f.contribution), 'utf8');
  const out = Buffer.allocUnsafe(4 + contribution.length + f.json.length);
  out.writeUInt32LE(contribution.length, 0);
  contribution.copy(out, 4);
  f.json.copy(out, 4 + contribution.length);
  return out;
}

/** The inverse of {@link encodeGraphPart}; throws on a malformed part (the caller re-parses the file). */
export function decodeGraphPart(file: string, part: Buffer): Fragment {
  const length = part.readUInt32LE(0);
  if (4 + length > part.length) throw new Error('malformed graph part');
  const contribution = JSON.parse(part.subarray(4, 4 + length).toString('utf8')) as Contribution;
  const json = part.subarray(4 + length);
  if (!contribution || !Array.isArray(contribution.nodes) || !Array.isArray(contribution.jsonLengths) || !Array.isArray(contribution.diagnostics) || !Array.isArray(contribution.info)) {
    throw new Error('malformed contribution');
  }
  if (contribution.info.length !== INFO_WIDTH * contribution.jsonLengths.length || (contribution.doc !== null && !Array.isArray(contribution.doc))) throw new Error('malformed contribution');
  if (nodeCount(contribution.nodes) !== contribution.jsonLengths.length || contribution.jsonLengths.reduce((a, b) => a + b + 1, 0) - Math.min(1, contribution.jsonLengths.length) !== json.length) {
    throw new Error('node JSON does not match the contribution');
  }
  return { file, contribution, json };
}

export function encodeResult(result: ParseResult): Buffer {
  return v8.serialize(result);
}

/** The parse result of a stored part, or null when it is not one. */
export function decodeResult(part: Buffer): ParseResult | null {
  try {
    const r = v8.deserialize(part) as ParseResult;
    if (!r || typeof r !== 'object' || !Array.isArray(r.diagnostics) || !('document' in r)) return null;
    return r;
  } catch {
    return null;
  }
}

/** How many nodes flat records hold; -1 when they are malformed. */
function nodeCount(nodes: NodeRecords): number {
  let n = 0;
  for (let i = 0; i < nodes.length; n++) {
    const refs = nodes[i + 3];
    if (typeof nodes[i] !== 'string' || typeof refs !== 'number' || !Number.isInteger(refs) || refs < 0) return -1;
    i += 4 + 3 * refs;
    if (i > nodes.length) return -1;
  }
  return n;
}
