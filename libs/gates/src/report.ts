import fs from 'node:fs';
import path from 'node:path';
import { compareDiagnostics, type Diagnostic } from '@govern/workplan';
import { evaluateGates, type GateInput } from './evaluate.js';
import type { GateReport } from './model.js';

/**
 * `govern gates`: every gate's state plus whether its project folder exists. A
 * project that does not exist yet is normal for a gate on planned work, so it is an
 * info diagnostic, never an error.
 */
export function gateReport(ws: GateInput & { root: string }): { gates: GateReport[]; diagnostics: Diagnostic[] } {
  const { value, diagnostics } = evaluateGates(ws);
  const gates = value.map((g): GateReport => {
    if (g.project === null) return { ...g, projectExists: null };
    const exists = isDirectory(path.join(ws.root, g.project));
    if (!exists) {
      const at = ws.config.gates?.[g.name]?.at.project ?? g.source;
      diagnostics.push({
        severity: 'info',
        code: 'gate-project-missing',
        message: `gate ${g.name} governs ${g.project}, which does not exist yet`,
        file: at.file,
        line: at.line,
        column: at.column,
      });
    }
    return { ...g, projectExists: exists };
  });
  return { gates, diagnostics: diagnostics.sort(compareDiagnostics) };
}

function isDirectory(abs: string): boolean {
  try {
    return fs.statSync(abs).isDirectory();
  } catch {
    return false;
  }
}
