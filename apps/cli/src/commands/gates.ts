import { CONFIG_FILE } from '@govern/workspace';
import { GateConfigError, GateDisabledError, UnknownGateError, gateSummary, type GateReport } from '@govern/gates';
import { openWorkspace, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, pad, statusCell, summaryLine, table, type Colors } from '../render.js';
import { withSpan } from '@govern/telemetry';
import { gatesView } from '../views.js';

export interface GatesOptions extends CommonOptions {
  /** Exit 1 with the explanation unless this gate is enabled (for scripts). */
  require?: string;
}

/**
 * `govern gates`: every gate of `govern.config.yaml`, enabled or not, what it
 * requires and what blocks it. Its diagnostics are those of the configuration file
 * and of the gates; a disabled gate is not an error. With `--require`, a disabled
 * gate throws `GateDisabledError`, which `runCli` turns into exit 1 and a message.
 */
export async function gatesCommand(ctx: CommandContext, opts: GatesOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const { report, configDiagnostics, diagnostics } = await withSpan('gate', {}, () => gatesView(ws));
  let gates = report.gates;
  if (opts.require !== undefined) {
    // A broken configuration never enables anything: fail closed, as assertEnabled does.
    const configErrors = configDiagnostics.filter((d) => d.severity === 'error');
    if (configErrors.length) throw new GateConfigError(opts.require, configErrors);
    const gate = gates.find((g) => g.name === opts.require);
    if (!gate) throw new UnknownGateError(opts.require, gates.map((g) => g.name));
    if (!gate.enabled) throw new GateDisabledError(gate);
    gates = [gate];
  }
  const code = diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, { gates, diagnostics });
    return code;
  }
  const c = colorsFor(ctx, opts);
  let out = gates.length ? '' : `no gates declared (add them under gates: in ${CONFIG_FILE}; see docs/formats.md)\n`;
  const width = Math.max(0, ...gates.map((g) => g.name.length));
  for (const g of gates) out += gateBlock(g, width, c);
  for (const d of diagnostics) out += formatDiagnostic(d, c);
  const enabled = gates.filter((g) => g.enabled).length;
  out += `${gates.length} gate${gates.length === 1 ? '' : 's'}: ${enabled} enabled, ${gates.length - enabled} disabled; ${summaryLine(diagnostics, c)}\n`;
  ctx.stdout.write(out);
  return code;
}

/**
 * One gate: a heading line, the one-line summary (the text `nx show project` shows on the
 * project's `gate` target), then each requirement with its status and where it is written.
 */
function gateBlock(g: GateReport, width: number, c: Colors): string {
  const state = g.enabled ? c.green('✔ enabled ') : c.red('✖ disabled');
  let out = `${state}  ${g.description ? `${c.bold(pad(g.name, width))}  ${g.description}` : c.bold(g.name)}\n`;
  out += `    ${gateSummary(g)}\n`;
  const rows = g.requires.map((r) => [
    r.id,
    r.found ? statusCell(r.status, c) : c.red('? not defined'),
    r.title ?? '',
    c.dim(`${r.file}:${r.line}:${r.column}`),
    r.done ? '' : c.red('blocks'),
  ]);
  out += table(rows, c, '    ');
  if (g.project !== null) out += `    project ${g.project}${g.projectExists ? '' : c.dim(' (not created yet)')}\n`;
  return out;
}
