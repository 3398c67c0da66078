import type { Command } from 'commander';
import type { Workspace } from '@govern/workspace';
import { runAttributes, setRunAttributes, telemetryActive, type TelemetryOptions } from '@govern/telemetry/run';
import { VERSION } from './version.js';

/**
 * The CLI's side of telemetry (libs/telemetry): which command runs, on which
 * item and document. Everything here returns at once when no run is exporting.
 */

/** Options for `withRunTelemetry` in the binary: warnings on stderr, the CLI's version on the resource. */
export function cliTelemetryOptions(env: Record<string, string | undefined>, stderr: { write(s: string): unknown }): TelemetryOptions {
  return { env, warn: (w) => void stderr.write(`govern: telemetry: ${w}\n`), serviceName: 'govern', serviceVersion: VERSION };
}

/**
 * commander's `preAction` hook: the command path (`task set-status`), the item
 * of commands that take an `<id>`, and `--doc`, as run attributes.
 */
export function noteCommand(cmd: Command): void {
  if (!telemetryActive()) return;
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  const first = cmd.registeredArguments[0];
  const itemId = first?.name() === 'id' && typeof cmd.args[0] === 'string' ? cmd.args[0] : undefined;
  const doc = cmd.opts<{ doc?: unknown }>().doc;
  setRunAttributes({ command: names.join(' '), itemId, documentId: typeof doc === 'string' ? doc : undefined });
}

/**
 * After the workspace is read: the document of the run's item (`node.document`),
 * or the id of the `--doc` file. Only while exporting, since it may build the
 * graph that a warm run otherwise serves from its snapshot.
 */
export function noteWorkspace(ws: Workspace): Workspace {
  const run = runAttributes();
  if (!run) return ws;
  if (run.itemId) {
    const node = ws.index.byId.get(run.itemId);
    if (node) setRunAttributes({ documentId: node.document });
  } else if (run.documentId) {
    const doc = ws.documents.find((d) => d.file === run.documentId);
    if (doc) setRunAttributes({ documentId: doc.id });
  }
  return ws;
}
