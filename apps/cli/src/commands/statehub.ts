import path from 'node:path';
import type { Command } from 'commander';
import { assertEnabledWhereDeclared, isGateError } from '@govern/gates';
import { withSpan } from '@govern/telemetry';
import type { SyncReport } from '@govern/statehub';
import { loadConfig, repoIdentity } from '@govern/workspace';
import { defaultActor } from '@govern/write';
import { resolveRoot, tokenFromEnv, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { portOption, serveService } from './serve-service.js';
import { colorsFor } from '../render.js';

const TOKEN_ENV = 'STATEHUB_TOKEN';
/** DEFAULT_PORT of @govern/statehub-server, repeated so the help text does not load the server (a test checks they agree). */
export const STATEHUB_PORT = 4870;

// The StateHub libraries are imported when a statehub command runs, not when the CLI
// starts: with code splitting they are their own chunks, so other commands never load
// them (nor DuckDB's native addon, which db.ts imports only when a database is opened).
const server = () => import('@govern/statehub-server');
const lib = () => import('@govern/statehub');


/**
 * `govern statehub serve|sync` are gated: when the governed root's
 * govern.config.yaml declares a `statehub` gate, they run only once it is
 * enabled (its milestones done); a broken config fails closed. A root that
 * declares no such gate is not governed by one. The library functions are not
 * gated — only these entry points.
 */
async function checkGate(root: string, opts: CommonOptions): Promise<void> {
  await assertEnabledWhereDeclared('statehub', { root, ...(opts.cache === false ? { cacheDir: null } : {}) });
}


interface ServeOptions extends CommonOptions {
  port?: number;
  host?: string;
  db?: string;
  tokenEnv?: string;
  /** Serve even though the `statehub` gate is closed (or the config cannot be evaluated); logged on stderr. */
  ignoreGate?: boolean;
}

/**
 * `govern statehub serve`: the embedded StateHub until SIGINT/SIGTERM (or `stop`
 * resolves, for in-process callers and tests); then it checkpoints the database
 * and exits 0. A closed `statehub` gate refuses to start (the gate error, exit 1,
 * naming the blocking milestones) unless `--ignore-gate`, which serves anyway and
 * says so on stderr, with the same explanation.
 */
export async function serveCommand(ctx: CommandContext, opts: ServeOptions, stop?: Promise<unknown>): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  try {
    await checkGate(root, opts);
  } catch (err) {
    if (!opts.ignoreGate || !isGateError(err)) throw err;
    ctx.stderr.write(`govern statehub: warning: gate overridden by --ignore-gate: ${err.message}\n`);
  }
  const token = tokenFromEnv(ctx, opts.tokenEnv, TOKEN_ENV);
  const db = opts.db ? path.resolve(ctx.cwd, opts.db) : path.join(root, '.govern', 'statehub.duckdb');
  const { DbError, DEFAULT_PORT, startStateHub, StateHubConfigError } = await server();
  return serveService(ctx, {
    name: 'statehub',
    start: () =>
      startStateHub({
        db,
        host: opts.host ?? '127.0.0.1',
        port: opts.port ?? DEFAULT_PORT,
        ...(token ? { token } : {}),
        // The repository's profile orders GET /next exactly as it orders `govern next`.
        profile: loadConfig(root).profile,
        log: (line) => ctx.stderr.write(`govern statehub: ${line}\n`),
      }),
    ready: (hub) => {
      if (opts.json) writeJson(ctx, { url: hub.url, host: hub.host, port: hub.port, db: hub.db, auth: token !== undefined });
      ctx.stderr.write(
        `govern statehub: listening on ${hub.url} (database ${hub.db}; ${token ? `bearer token from $${opts.tokenEnv ?? TOKEN_ENV}` : 'no token: loopback only'}); stop with Ctrl-C\n`,
      );
    },
    stoppedLine: 'govern statehub: stopped; database checkpointed',
    stop,
    usage: (err) => err instanceof StateHubConfigError,
    unavailable: (err) => err instanceof DbError,
  });
}

interface SyncCliOptions extends CommonOptions {
  push?: boolean;
  pull?: boolean;
  dryRun?: boolean;
  url?: string;
  tokenEnv?: string;
  repo?: string;
}

/** `govern statehub sync`: push and/or pull workplan and task state; exit 1 on conflicts, refusals or problems. */
export async function syncCommand(ctx: CommandContext, opts: SyncCliOptions): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  if (opts.push && opts.pull) throw new UsageError('--push and --pull: give one, or neither for both directions');
  const url = opts.url ?? ctx.env.STATEHUB_URL ?? `http://127.0.0.1:${STATEHUB_PORT}`;
  const from = opts.url === undefined && ctx.env.STATEHUB_URL !== undefined ? 'STATEHUB_URL' : '--url';
  const { StateHubClient, syncStateHub, urlCredentialsProblem, redactUrl } = await lib();
  // Credentials in the URL are refused before anything else, and the URL is shown
  // redacted from here on: the password must not reach stdout, stderr or the JSON.
  const credentials = urlCredentialsProblem(url);
  if (credentials) throw new UsageError(`${from}: ${credentials}`);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`${from} ${redactUrl(url)}: not an http(s) URL`);
  if (opts.repo?.includes(':')) throw new UsageError(`--repo ${opts.repo}: a repository name cannot contain ":" (keys are <repo>:<item id>)`);
  await withSpan('gate', {}, () => checkGate(root, opts));
  const token = tokenFromEnv(ctx, opts.tokenEnv, TOKEN_ENV);
  const repo = opts.repo || syncRepoName(root);
  let report: SyncReport;
  try {
    report = await withSpan('sync', {}, async () => syncStateHub({
      root,
      client: (await (await import('./adapters.js')).syncHubThroughPacks(ctx, root, { url, repo, token })) ?? new StateHubClient({ url, ...(token ? { token } : {}) }),
      repo,
      mode: opts.push ? 'push' : opts.pull ? 'pull' : 'both',
      dryRun: opts.dryRun === true,
      actor: defaultActor(ctx.env),
      ...(opts.cache === false || ctx.env.GOVERN_NO_CACHE === '1' ? { cacheDir: null } : {}),
    }));
  } catch (err) {
    return renderRefusal(ctx, opts, err, 'govern: statehub');
  }
  if (opts.json) writeJson(ctx, report);
  else renderReport(ctx, opts, report);
  return report.ok ? 0 : 1;
}

/**
 * The repository's name on StateHub when `--repo` is not given: `repo:` in
 * govern.config.yaml, else its git remote's repository name — never the folder's, so
 * two clones in differently named folders sync to the same records. Neither: a usage error.
 */
function syncRepoName(root: string): string {
  const found = repoIdentity(root, loadConfig(root).config.repo);
  if (found.identity) return found.identity.name;
  throw new UsageError(`cannot tell this repository's name on StateHub: ${found.problem}; set \`repo:\` in govern.config.yaml or pass --repo`);
}

function renderReport(ctx: CommandContext, opts: CommonOptions, r: SyncReport): void {
  const c = colorsFor(ctx, opts);
  const out = (s: string) => ctx.stdout.write(`${s}\n`);
  const would = r.dryRun ? 'would ' : '';
  const dir = r.mode === 'both' ? 'push and pull' : r.mode;
  out(`${c.bold('statehub sync')} ${r.url} as repo ${r.repo} (${dir})${r.dryRun ? c.yellow(' — dry run: nothing changed') : ''}`);
  const st = (s: string | null | undefined) => s ?? 'none';
  for (const a of r.actions) {
    const what =
      a.op === 'status'
        ? `${st(a.from)} → ${st(a.to)}`
        : a.op === 'write-id'
          ? `${a.kind === 'task' ? 'state_hub_task_id' : 'state_hub_workstream_id'} ${a.id ?? '(assigned on create)'} into ${a.file}`
          : `${a.kind}${a.id ? ` ${a.id}` : ''}`;
    out(`  ${a.side === 'remote' ? c.cyan('remote') : c.green('local ')} ${would}${a.op.padEnd(8)} ${c.bold(a.item)}  ${what}`);
  }
  for (const x of r.conflicts) out(`  ${c.red('conflict')} ${c.bold(x.item)}: ${x.message}`);
  for (const x of r.refused) {
    out(`  ${c.red('refused ')} ${c.bold(x.item)}: StateHub has ${st(x.remote)}; ${x.message} [${x.code}]`);
    if (x.note) out(c.dim(`           note: ${x.note}`));
  }
  for (const x of r.pending) out(`  ${c.yellow('pending ')} ${c.bold(x.item)} (${x.side}): ${x.what}`);
  for (const x of r.problems) out(`  ${c.red('problem ')} ${x.item ? `${c.bold(x.item)}: ` : ''}${x.message} [${x.code}]`);
  const remote = r.actions.filter((a) => a.side === 'remote').length;
  const local = r.actions.length - remote;
  out(
    c.dim(
      `${r.items} items: ${remote} remote and ${local} local change${local === 1 ? '' : 's'}${r.dryRun ? ' planned' : ''}, ${r.conflicts.length} conflicts, ${r.refused.length} refused, ${r.pending.length} pending, ${r.problems.length} problems; ${r.unchanged} unchanged`,
    ),
  );
}

/** Declares `govern statehub serve` and `govern statehub sync` (called from program.ts). */
export function registerStatehubCommands(
  program: Command,
  ctx: CommandContext,
  common: (cmd: Command) => Command,
  setExit: (code: number) => void,
): void {
  const statehub = program.command('statehub').description('the embedded StateHub service and the bridge that syncs workplans and tasks with a StateHub (see docs/statehub.md)');
  const gated = '\nGated: when govern.config.yaml declares a `statehub` gate, this runs only once the gate is enabled (see `govern gates`).';
  common(statehub.command('serve').description('run the StateHub HTTP service on a DuckDB file until interrupted (--json prints { url, host, port, db, auth } once listening)'))
    .option('--port <n>', `port (default ${STATEHUB_PORT}; 0 picks a free one)`, portOption)
    .option('--host <address>', 'address to bind (default 127.0.0.1); anything but loopback requires a token of at least 32 bytes')
    .option('--db <file>', 'DuckDB database file (default <root>/.govern/statehub.duckdb)')
    .option('--token-env <name>', `environment variable holding the bearer token clients must send (default ${TOKEN_ENV}, if set)`)
    .option('--ignore-gate', 'serve even though the statehub gate is disabled (or govern.config.yaml is invalid); prints a warning naming what blocks it')
    .addHelpText('after', `${gated}\nExit 0 after SIGINT/SIGTERM (the database is checkpointed), 1 when it cannot start, 2 on usage (e.g. a non-loopback --host without a token of at least 32 bytes).`)
    .action(async (o: ServeOptions) => setExit(await serveCommand(ctx, o)));
  common(statehub.command('sync').description('push workplans and tasks to StateHub (creating them, writing the assigned ids back) and pull its status changes into the Markdown'))
    .option('--push', 'only push (create/update on StateHub, write ids back); remote changes are reported as pending')
    .option('--pull', 'only pull (apply StateHub status changes through the lifecycle rules); local changes are reported as pending')
    .option('--dry-run', 'print what would change on each side; change nothing')
    .option('--url <url>', `StateHub URL (default STATEHUB_URL, else http://127.0.0.1:${STATEHUB_PORT}); no user or password in it: the token comes from --token-env`)
    .option('--token-env <name>', `environment variable holding the bearer token (default ${TOKEN_ENV}, if set)`)
    .option('--repo <name>', "this repository's name on StateHub, the prefix of every key (default: `repo:` in govern.config.yaml, else the git remote's repository name; never the folder's)")
    .addHelpText('after', `${gated}\nExit 0 when both sides agree (or only pending changes remain), 1 on a conflict (a remote status that would reopen a done item is one), a refused pull, a problem or an unreachable StateHub, 2 on usage (a URL with credentials in it, among others).`)
    .action(async (o: SyncCliOptions) => setExit(await syncCommand(ctx, o)));
}
