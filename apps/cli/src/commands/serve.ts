import { InvalidArgumentError, Option, type Command } from 'commander';
import { createServiceRunner, DEFAULT_SERVICE_PORT, startServiceServer } from '@govern/service-runner';
import { createWebView, UI_PATH } from '@govern/web-view';
import { VERSION } from '../version.js';
import { resolveRoot, tokenFromEnv, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { portOption, serveService } from './serve-service.js';

const TOKEN_ENV = 'GOVERN_SERVICE_TOKEN';
/** The default port (@govern/service-runner's). This module is loaded only for `govern serve` and help (COMMAND_GROUPS). */
export const SERVICE_PORT = DEFAULT_SERVICE_PORT;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export interface ServeOptions extends CommonOptions {
  port?: number;
  host?: string;
  tokenEnv?: string;
  mode?: 'shadow' | 'guided' | 'prescriptive';
  store?: 'file-store' | 'fake';
  retentionDays?: number;
  retentionEntries?: number;
  /** Let the web view's board move cards (status writes); read-only without. */
  writes?: boolean;
}

/**
 * `govern serve`: the service runner's operations over HTTP until SIGINT/SIGTERM
 * (or `stop` resolves, for in-process callers and tests), then exit 0. A
 * non-loopback `--host` without a token of at least 32 bytes is a usage error
 * (exit 2) before anything listens. Operations check their gates per call; a
 * closed `service-runner` gate is reported on stderr at start, not refused, so
 * `/health` still answers.
 */
export async function serveCommand(ctx: CommandContext, opts: ServeOptions, stop?: Promise<unknown>): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  // Board moves bypass the runner's review ledger, so they go with the mode that applies writes as asked.
  if (opts.writes && opts.mode && opts.mode !== 'guided') throw new UsageError(`--writes: board moves need --mode guided (the ${opts.mode} mode would not apply them as the board shows)`);
  const token = tokenFromEnv(ctx, opts.tokenEnv, TOKEN_ENV);
  const runner = createServiceRunner({
    root,
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    retention: {
      ...(opts.retentionDays !== undefined ? { max_age_days: opts.retentionDays } : {}),
      ...(opts.retentionEntries !== undefined ? { max_entries: opts.retentionEntries } : {}),
    },
    env: ctx.env,
    toolVersion: VERSION,
    ...(opts.cache === false || ctx.env.GOVERN_NO_CACHE === '1' ? { cacheDir: null } : {}),
  });
  // The web view (graph, board, item, gates, drift at /ui/) keeps its own long-lived
  // workspace and watches the document folders for the live updates.
  const web = await createWebView({
    root,
    writes: opts.writes === true,
    env: ctx.env,
    ...(opts.cache === false || ctx.env.GOVERN_NO_CACHE === '1' ? { cacheDir: null } : {}),
    log: (line) => ctx.stderr.write(`govern serve: ${line}\n`),
  }).catch(async (err: unknown) => {
    await runner.close();
    throw err;
  });
  return serveService(ctx, {
    name: 'serve',
    start: async () => {
      try {
        const service = await startServiceServer({
          runner,
          host: opts.host ?? '127.0.0.1',
          port: opts.port ?? SERVICE_PORT,
          ...(token ? { token } : {}),
          routes: web.routes,
          log: (line) => ctx.stderr.write(`govern serve: ${line}\n`),
        });
        // The event streams end first: an open stream would hold the server's stop.
        return {
          ...service,
          close: async () => {
            await web.close();
            await service.close();
          },
        };
      } catch (err) {
        await web.close();
        await runner.close();
        throw err;
      }
    },
    ready: async (service) => {
      const health = (await runner.run('health', {}, { via: 'library' })) as { gates: Array<{ name: string; enabled: boolean; blocked_by: string[] }>; operations: { total: number } };
      const closed = health.gates.filter((g) => !g.enabled);
      if (opts.json) writeJson(ctx, { url: service.url, host: service.host, port: service.port, mode: runner.mode, store: runner.store, auth: token !== undefined, operations: health.operations.total });
      ctx.stderr.write(
        `govern serve: listening on ${service.url} (mode ${runner.mode}, audit in ${runner.store}; ${token ? `bearer token from $${opts.tokenEnv ?? TOKEN_ENV}` : 'no token: loopback only'}); POST /v1/operations/<name>, GET /openapi.json; stop with Ctrl-C\n`,
      );
      ctx.stderr.write(`govern serve: web view at ${service.url}${UI_PATH}/ (${opts.writes ? 'board moves enabled: status writes with lifecycle rules and audit' : 'read-only; --writes enables board moves'})\n`);
      for (const g of closed) ctx.stderr.write(`govern serve: gate ${g.name} is disabled (blocked by ${g.blocked_by.join(', ')}): its operations answer gate-disabled\n`);
    },
    stoppedLine: 'govern serve: stopped',
    stop,
    usage: (err) => (err as { code?: unknown }).code === 'unsafe-bind',
  });
}

/** Declares `govern serve`. */
export function registerServeCommand(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  common(
    program
      .command('serve')
      .description('serve the service runner over HTTP: every SERVICE_OPERATIONS operation at POST /v1/operations/<name>, /health, /openapi.json (see docs/service-runner.md)'),
  )
    .option('--port <n>', `port (default ${SERVICE_PORT}; 0 picks a free one)`, portOption)
    .option('--host <address>', 'address to bind (default 127.0.0.1); anything but loopback requires a token of at least 32 bytes')
    .option('--token-env <name>', `environment variable holding the bearer token clients must send (default ${TOKEN_ENV}, if set)`)
    .addOption(new Option('--mode <mode>', 'rollout mode of the writes: shadow denies them, guided applies them, prescriptive needs an approved review for each (default guided)').choices(['shadow', 'guided', 'prescriptive']))
    .addOption(new Option('--store <pack>', 'adapter pack holding the audit and the review ledger (default file-store, under .govern/adapters/)').choices(['file-store', 'fake']))
    .option('--retention-days <n>', 'audit.query shows entries of the last n days (default 90)', positive)
    .option('--retention-entries <n>', 'audit.query shows at most the newest n entries (default 10000)', positive)
    .option('--writes', 'let the web view\'s board move cards: the same status write as `task set-status` (lifecycle rules, expected hash, audit); read-only without')
    .addHelpText(
      'after',
      '\nWith --json, one line { url, host, port, mode, store, auth, operations } once listening; request lines go to stderr.' +
        '\nThe web view (graph, board, item, gates, drift; live updates) is at /ui/ on the same address, from bundled files; see docs/web-view.md.' +
        '\nEach operation checks its gates (service-runner, and memory-store or binder for theirs) and answers a closed one with gate-disabled and the blocking milestones.' +
        '\nExit 0 after SIGINT/SIGTERM, 1 when it cannot listen, 2 on usage (e.g. a non-loopback --host without a token of at least 32 bytes).',
    )
    .action(async (o: ServeOptions) => {
      if (o.host !== undefined && !o.host.trim()) throw new UsageError('--host: empty address');
      setExit(await serveCommand(ctx, o));
    });
}
