import fs from 'node:fs';
import path from 'node:path';
import { EXIT, GovernError } from '@govern/errors';
import { phaseTrace } from '@govern/telemetry';
import { loadRepositories, loadWorkspace, type LoadOptions, type Workspace } from '@govern/workspace';
import { loadProgressText, progressLine, type ProgressLine } from './progress.js';
import { noteWorkspace } from './telemetry.js';

/** What every command receives: where it runs and where it writes. Injectable for tests. */
export interface CommandContext {
  cwd: string;
  stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  /** `isTTY`: a terminal, where long work shows a progress line (progress.ts). */
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Worker entry for parallel parsing; set by the bundled binary. */
  workerUrl?: URL;
  /** Identifies the running build (see `LoadOptions.buildId`); set by the bundled binary. */
  buildId?: string;
}

export interface CommonOptions {
  root?: string;
  json?: boolean;
  color?: boolean;
  cache?: boolean;
}

/**
 * A usage problem (bad flag, missing root): code `usage`, exit code 2. The CLI prints
 * its message on stderr and, with `--json`, the `{ error }` object on stdout (see errors.ts).
 */
export class UsageError extends GovernError<'usage'> {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('usage', message, { details, exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/**
 * A bearer token from the environment variable `--token-env` names, else from
 * `defaultName` when that is set. Naming an unset variable is a usage error.
 * Tokens come from the environment, never from arguments (process lists show
 * arguments), and are never printed.
 */
export function tokenFromEnv(ctx: CommandContext, tokenEnv: string | undefined, defaultName: string): string | undefined {
  const name = tokenEnv ?? defaultName;
  const value = ctx.env[name]?.trim();
  if (tokenEnv !== undefined && !value) throw new UsageError(`--token-env ${name}: the environment variable ${name} is not set`);
  return value || undefined;
}

/**
 * The default root is the repository: the nearest ancestor of the working
 * directory with a `govern.config.yaml` or a `.git`, else the working directory.
 */
export function resolveRoot(ctx: CommandContext, root: string | undefined): string {
  if (root !== undefined) {
    const abs = path.resolve(ctx.cwd, root);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
    return abs;
  }
  for (let dir = path.resolve(ctx.cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'govern.config.yaml')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(ctx.cwd);
  }
}

/**
 * Loads the workspace of the command's root (`--root`, `--no-cache`, the `GOVERN_*`
 * environment). A load that runs past a second shows its progress on a terminal's
 * stderr (progress.ts), erased before the command prints. With `span.repos`, the graph
 * spans the other repositories its govern.config.yaml names (`loadRepositories`).
 */
export async function openWorkspace(ctx: CommandContext, opts: CommonOptions, span: { repos?: boolean } = {}): Promise<Workspace> {
  const root = resolveRoot(ctx, opts.root);
  const noCache = opts.cache === false || ctx.env.GOVERN_NO_CACHE === '1';
  const progress = progressLine(ctx);
  try {
    return await load(ctx, root, noCache, progress, span.repos === true);
  } finally {
    progress.done();
  }
}

async function load(ctx: CommandContext, root: string, noCache: boolean, progress: ProgressLine, repos: boolean): Promise<Workspace> {
  // `repos`: the read-only views (next, graph, status) span the roots govern.config.yaml
  // names under `repos:`; commands that write or audit stay in this root.
  return noteWorkspace(await (repos ? loadRepositories : loadWorkspace)({ ...workspaceLoadOptions(ctx, root, noCache), onProgress: (p) => progress.update(loadProgressText(p)) }));
}

/**
 * The load options a command's context gives (cache directory, workers, build id,
 * parser, timing): shared by {@link openWorkspace} and the long-lived engine of `govern mcp`.
 */
export function workspaceLoadOptions(ctx: CommandContext, root: string, noCache: boolean): LoadOptions {
  return {
    root,
    cacheDir: noCache ? null : ctx.env.GOVERN_CACHE_DIR ? path.resolve(ctx.cwd, ctx.env.GOVERN_CACHE_DIR) : undefined,
    ...(ctx.workerUrl ? { workerUrl: ctx.workerUrl } : {}),
    ...(ctx.buildId ? { buildId: ctx.buildId } : {}),
    ...(ctx.env.GOVERN_PARSER === 'remark' ? { engine: 'remark' as const } : {}),
    ...phaseTrace(ctx.env.GOVERN_TIMING === '1' ? (phase: string, ms: number) => trace(ctx, phase, ms) : undefined),
  };
}

/** Exit code contract: 0 no errors, 1 any error diagnostic (2 is usage, raised elsewhere). */
export function exitCodeFor(ws: Workspace): number {
  return ws.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** `GOVERN_TIMING=1`: one line per phase on stderr (wall time, resident set at its end), for profiling the read path. */
export function trace(ctx: CommandContext, phase: string, ms: number): void {
  if (ctx.env.GOVERN_TIMING === '1') ctx.stderr.write(`govern timing: ${phase} ${ms.toFixed(1)} ms (rss ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MB)\n`);
}

export function writeJson(ctx: CommandContext, value: unknown): void {
  let t = performance.now();
  const text = `${JSON.stringify(value)}\n`;
  trace(ctx, 'serialize', performance.now() - t);
  t = performance.now();
  ctx.stdout.write(text);
  trace(ctx, 'write', performance.now() - t);
}

/**
 * Writes JSON that is already UTF-8 bytes (`Workspace.graphJson()`), then the
 * newline. Bytes, because turning tens of megabytes into a string and back
 * costs more than the rest of a warm run. process.stdout writes a file
 * synchronously and queues a pipe; either way the process stays alive until
 * the bytes are out, since the binary sets exitCode rather than calling exit.
 */
export function writeJsonBytes(ctx: CommandContext, json: Uint8Array): void {
  const t = performance.now();
  ctx.stdout.write(json);
  ctx.stdout.write('\n');
  trace(ctx, 'write', performance.now() - t);
}
