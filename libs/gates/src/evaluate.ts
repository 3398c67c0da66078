import type { GraphIndex } from '@govern/graph';
import { compareDiagnostics, type Diagnostic, type WorkDocument } from '@govern/workplan';
import type { Config } from '@govern/workspace';
import type { GateConfig, GateState, Requirement } from './model.js';

/** What gate evaluation reads from a loaded workspace (`loadWorkspace` returns all of it). */
export interface GateInput {
  config: Pick<Config, 'gates'>;
  index: Pick<GraphIndex, 'byId'>;
  documents: readonly WorkDocument[];
}

/**
 * Evaluates every gate of the configuration against the milestone graph: a gate is
 * enabled when every item it requires is `done`. Pure. An id no document defines
 * disables the gate and is an error diagnostic at the id in `govern.config.yaml`.
 * Gates come back in the order they are written.
 */
export function evaluateGates(ws: GateInput): { value: GateState[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const statusAt = statusPositions(ws.documents);
  const value = Object.entries(ws.config.gates ?? {}).map(([name, gate]) => {
    const requires = gate.requires.map((id, i) => requirement(ws, statusAt, gate, id, i));
    for (const r of requires) {
      if (r.found) continue;
      diagnostics.push({
        severity: 'error',
        code: 'gate-unknown-milestone',
        message: `gate ${name} requires ${r.id}, which no document defines; the gate stays disabled`,
        file: r.file,
        line: r.line,
        column: r.column,
      });
    }
    const blockedBy = requires.filter((r) => !r.done);
    return {
      name,
      description: gate.description ?? null,
      project: gate.project ?? null,
      enabled: blockedBy.length === 0,
      requires,
      blockedBy,
      source: gate.at.name,
    };
  });
  return { value, diagnostics: diagnostics.sort(compareDiagnostics) };
}

/** Whether the named gate exists and is enabled. Pure. */
export function isEnabled(ws: GateInput, name: string): boolean {
  return evaluateGates(ws).value.find((g) => g.name === name)?.enabled ?? false;
}

type StatusPositions = Map<string, { file: string; line: number; column: number }>;

/** Where each item's status token is written, so a blocker points at the text to change. */
function statusPositions(documents: readonly WorkDocument[]): StatusPositions {
  const out: StatusPositions = new Map();
  for (const doc of documents) {
    for (const item of doc.items) {
      // The first definition wins, as in the graph (a duplicate id is reported there).
      if (item.statusSource && !out.has(item.id)) out.set(item.id, { file: doc.file, ...item.statusSource });
    }
  }
  return out;
}

function requirement(ws: GateInput, statusAt: StatusPositions, gate: GateConfig, id: string, i: number): Requirement {
  const node = ws.index.byId.get(id);
  if (!node) {
    const at = gate.at.requires[i] ?? gate.at.name;
    return { id, found: false, title: null, status: null, statusText: null, done: false, file: at.file, line: at.line, column: at.column };
  }
  // A status position in another file would be a duplicate's; keep the node's own file.
  const pos = statusAt.get(id);
  const at = pos && pos.file === node.source.file ? pos : node.source;
  return {
    id,
    found: true,
    title: node.title,
    status: node.status,
    statusText: node.statusText,
    done: node.status === 'done',
    file: at.file,
    line: at.line,
    column: at.column,
  };
}
