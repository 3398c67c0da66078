import { CONFIG_FILE, type Workspace } from '@govern/workspace';
import { gateReport, type GateReport } from '@govern/gates';
import { blockersOf, type Blocker, type GraphNode } from '@govern/graph';
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

/** The item view of `node` in `ws` (see {@link ItemView}). */
export function itemView(ws: Workspace, node: GraphNode): ItemView {
  return {
    node,
    fileHash: ws.hashes.get(node.source.file) ?? null,
    blockers: blockersOf(ws.index, node),
    dependents: ws.index.graph.nodes.filter((n) => n.dependsOn.includes(node.id)).map((n) => n.id),
  };
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
