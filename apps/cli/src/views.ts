import { CONFIG_FILE, type Workspace } from '@govern/workspace';
import { gateReport, type GateReport } from '@govern/gates';
import { blockersOf, dependentsOf, type Blocker, type GraphNode } from '@govern/graph';
import { compareDiagnostics, type Diagnostic } from '@govern/workplan';
import type { AuditRecord } from '@govern/write';

// The data a command prints with --json and the MCP server returns: computed once
// here so the two front ends cannot drift apart.

/** One item as `govern task show --json` and the MCP `item` tool return it. */
export interface ItemView {
  node: GraphNode;
  /** sha256 of the item's file as read: the value `set-status --expect` (MCP `expect`) takes. */
  fileHash: string | null;
  /** Dependencies not done, own and inherited from the containing workplan. */
  blockers: Blocker[];
  /** Ids of the items that list this one in their `dependsOn`. */
  dependents: string[];
}

/**
 * The item view of `node` in `ws` (see {@link ItemView}). The dependents come from the
 * graph's reverse index (@govern/graph `dependentsOf`), which `govern mcp`'s long-lived
 * engine keeps across edits, instead of a scan of every node's dependencies per call.
 */
export function itemView(ws: Workspace, node: GraphNode): ItemView {
  return {
    node,
    fileHash: hashOf(ws, node.source.file),
    blockers: blockersOf(ws.index, node),
    dependents: dependentsOf(ws.index, node.id),
  };
}

/** A workspace that can answer one document's hash without making the map of every document's. */
interface OneHash {
  hashOf?(rel: string): string | undefined;
}

/**
 * The hash of one document of `ws`: from its `hashOf` when it has one (the map of 10,000
 * documents' hashes costs 1–2 ms to make after each edit in `govern mcp`), else `hashes`.
 */
function hashOf(ws: Workspace & OneHash, rel: string): string | null {
  return (ws.hashOf ? ws.hashOf(rel) : ws.hashes.get(rel)) ?? null;
}

/** What `govern gates` reports: the gate report plus the diagnostics it shows. */
export interface GatesView {
  report: { gates: GateReport[]; diagnostics: Diagnostic[] };
  /** Diagnostics of `govern.config.yaml` alone (a gate check fails closed on their errors). */
  configDiagnostics: Diagnostic[];
  /** Config diagnostics plus gate diagnostics, sorted: `govern gates --json`'s `diagnostics`. */
  diagnostics: Diagnostic[];
}

/**
 * Gates with the diagnostics that concern them. Document problems are left out on
 * purpose: they are `validate`'s business, and a gate listing should not drown in them.
 */
export function gatesView(ws: Workspace): GatesView {
  const report = gateReport(ws);
  const configDiagnostics = ws.diagnostics.filter((d) => d.file === CONFIG_FILE);
  const diagnostics = [...configDiagnostics, ...report.diagnostics].sort(compareDiagnostics);
  return { report, configDiagnostics, diagnostics };
}

/** Audit-log records of one item (when given), the newest `limit` of them (when given), oldest first. */
export function selectAuditRecords(records: AuditRecord[], opts: { item?: string; limit?: number }): AuditRecord[] {
  const shown = opts.item ? records.filter((r) => r.item === opts.item) : records;
  return opts.limit !== undefined ? shown.slice(Math.max(0, shown.length - opts.limit)) : shown;
}
