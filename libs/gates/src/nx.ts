import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE, loadWorkspace } from '@govern/workspace';
import { evaluateGates } from './evaluate.js';
import { describeRequirement, gateSummary } from './explain.js';
import type { GateState } from './model.js';

/**
 * The files the Nx plugin matches: the gate declarations and the documents whose
 * statuses decide them. Nx hands the matches to `createNodes`; the plugin re-reads
 * the whole workspace (through govern's parse cache) whenever Nx recomputes the graph.
 */
export const GATE_FILES_GLOB = `{${CONFIG_FILE},workplans/**/*.md,trackers/**/*.md}`;

/**
 * How the `gate` target runs govern: `nx run <project>:gate` prints the gate and exits 1
 * while it is disabled (`govern gates --require`). The CLI's launcher in this
 * repository, run from the workspace root.
 */
export const GOVERN_COMMAND = 'node apps/cli/bin/govern.mjs';

/**
 * The target the plugin adds to every gated project. Nx's terminal view of a project
 * (`nx show project <name> --web=false`) prints only its name, root, tags and, for each
 * target, `metadata.scriptContent` else the command: so the gate's one-line summary is
 * the target's `scriptContent` (and its `description`, which the web view and
 * `--json` show), while running it checks the gate for real.
 */
export interface GateTarget {
  executor: 'nx:run-commands';
  options: { command: string; cwd: '{workspaceRoot}' };
  cache: false;
  metadata: { description: string; scriptContent: string };
}

/** What the plugin adds to a gated project (a subset of Nx's `ProjectConfiguration`). */
export interface GatedProject {
  tags: string[];
  targets: { gate: GateTarget };
  metadata: {
    description: string;
    govern: {
      /** The gates naming this project root (usually one). */
      gates: string[];
      /** Every one of them is enabled. */
      enabled: boolean;
      /**
       * Why, in a sentence. Also set as `metadata.description`, but a package.json
       * `description` takes precedence there (Nx merges its own plugin's result last).
       */
      reason: string;
      /** One line per gate joined by `; ` (`gate binder: disabled — waits on GV-05 (planned)`): what the `gate` target shows. */
      summary: string;
      /** Milestone ids they require, in order, without repeats. */
      requires: string[];
      blockedBy: { gate: string; id: string; status: string | null; statusText: string | null; file: string; line: number }[];
    };
  };
}

/** Nx 23's `CreateNodesResultArray`, narrowed to what this plugin returns. */
export type GateNodesResult = Array<readonly [file: string, result: { projects: Record<string, GatedProject> }]>;

export interface GateNodesContext {
  workspaceRoot: string;
}

/** Injectable for tests: where warnings go (default `console.warn`) and how the workspace is read. */
export interface GateNodesDeps {
  warn?: (message: string) => void;
  load?: typeof loadWorkspace;
}

/**
 * The `createNodes` function of the govern Nx plugin (tools/nx-govern): for each
 * project root a gate names, tags `gate:<name>` and `gate:enabled`/`gate:disabled`,
 * `metadata.govern` saying why, and a `gate` target whose text is the one-line
 * summary (what `nx show project` prints in a terminal). Only roots where a project exists (a
 * `project.json` or `package.json`) are touched, so a gate on a library not yet
 * created adds nothing. It never throws: a broken configuration or an unexpected
 * error is a warning and no tags, so the Nx graph always builds.
 */
export async function createGateNodes(
  files: readonly string[],
  _options: unknown,
  context: GateNodesContext,
  deps: GateNodesDeps = {},
): Promise<GateNodesResult> {
  const warn = deps.warn ?? ((m: string) => console.warn(m));
  if (!files.includes(CONFIG_FILE)) return [];
  try {
    const ws = await (deps.load ?? loadWorkspace)({ root: context.workspaceRoot });
    const configErrors = ws.diagnostics.filter((d) => d.file === CONFIG_FILE && d.severity === 'error');
    if (configErrors.length) {
      const d = configErrors[0]!;
      warn(`govern gates: ${d.file}:${d.line}:${d.column}: ${d.message}; no gate tags are added until ${CONFIG_FILE} is fixed`);
      return [];
    }
    const byRoot = new Map<string, GateState[]>();
    for (const g of evaluateGates(ws).value) {
      if (g.project === null || !isProject(path.join(context.workspaceRoot, g.project))) continue;
      byRoot.set(g.project, [...(byRoot.get(g.project) ?? []), g]);
    }
    const projects: Record<string, GatedProject> = {};
    for (const [root, gates] of [...byRoot].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) projects[root] = gatedProject(gates);
    return Object.keys(projects).length ? [[CONFIG_FILE, { projects }]] : [];
  } catch (err) {
    warn(`govern gates: could not evaluate gates (${(err as Error).message}); no gate tags are added`);
    return [];
  }
}

function gatedProject(gates: GateState[]): GatedProject {
  const enabled = gates.every((g) => g.enabled);
  const requires = [...new Set(gates.flatMap((g) => g.requires.map((r) => r.id)))];
  const blockedBy = gates.flatMap((g) =>
    g.blockedBy.map((r) => ({ gate: g.name, id: r.id, status: r.status, statusText: r.statusText, file: r.file, line: r.line })),
  );
  const names = gates.map((g) => g.name);
  const summary = gates.map(gateSummary).join('; ');
  const reason = enabled
    ? `Enabled by gate ${names.join(', ')}: ${requires.join(', ')} done.`
    : `Disabled by gate ${gates
        .filter((g) => !g.enabled)
        .map((g) => `${g.name} (${g.blockedBy.map(describeRequirement).join('; ')})`)
        .join('; ')}. Its tests still run; gating is product enablement.`;
  return {
    tags: [...names.map((n) => `gate:${n}`), enabled ? 'gate:enabled' : 'gate:disabled'],
    targets: {
      gate: {
        executor: 'nx:run-commands',
        options: { command: names.map((n) => `${GOVERN_COMMAND} gates --require ${n}`).join(' && '), cwd: '{workspaceRoot}' },
        cache: false,
        metadata: { description: summary, scriptContent: summary },
      },
    },
    metadata: { description: reason, govern: { gates: names, enabled, reason, summary, requires, blockedBy } },
  };
}

function isProject(abs: string): boolean {
  return fs.existsSync(path.join(abs, 'project.json')) || fs.existsSync(path.join(abs, 'package.json'));
}
