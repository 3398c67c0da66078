import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { errorBody, EXIT, GovernError, isGovernError } from '@govern/errors';
import { recordRunError } from '@govern/telemetry/run';
import type { CommandContext } from './context.js';
import { noteCommand } from './telemetry.js';
import { VERSION } from './version.js';
import { STATUS_FILTERS } from './vocabulary.js';

export { VERSION };

/** Declares a command with its subcommands and options on `program` (a module's `register…` function). */
export type RegisterCommands = (program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void) => void;

/**
 * Commands declared by their own module, in the order `--help` lists them. Each module
 * imports what its commands run (DuckDB, the StateHub server, memoryd's client, the
 * binder), so it is loaded only when the run needs it (see {@link commandGroupsFor}):
 * `govern --version` or `govern status` load none of them. One entry per module.
 */
const COMMAND_GROUPS: Record<string, () => Promise<RegisterCommands>> = {
  statehub: async () => (await import('./commands/statehub.js')).registerStatehubCommands,
  memory: async () => (await import('./commands/memory.js')).registerMemoryCommands,
  binder: async () => (await import('./commands/binder.js')).registerBinderCommands,
  diff: async () => (await import('./commands/diff.js')).registerDiffCommand,
  init: async () => (await import('./commands/init.js')).registerInitCommand,
  serve: async () => (await import('./commands/serve.js')).registerServeCommand,
  adapters: async () => (await import('./commands/adapters.js')).registerAdaptersCommands,
  store: async () => (await import('./commands/store.js')).registerStoreCommands,
};

/**
 * The command groups a run with these arguments needs declared, given the program
 * with its inline commands only: none for an inline command or `--version`; the group
 * it names; every group for help, no command, or an unknown word (help lists them all,
 * and commander's "did you mean" suggests from them). The command is taken to be the
 * first argument that is not an option; when it is not (an option's value first),
 * the word is unknown and every group is declared, so the run is slower, never wrong.
 */
export async function commandGroupsFor(argv: readonly string[], inline: Command): Promise<RegisterCommands[]> {
  const word = argv.find((a) => !a.startsWith('-'));
  if (word === undefined ? argv.some((a) => a === '--version' || a === '-V') : inline.commands.some((c) => c.name() === word)) return [];
  const names = word !== undefined && Object.hasOwn(COMMAND_GROUPS, word) ? [word] : Object.keys(COMMAND_GROUPS);
  return Promise.all(names.map((n) => COMMAND_GROUPS[n]!()));
}

const EXIT_HELP = `
Exit codes:
  0  no error diagnostics
  1  at least one error diagnostic (JSON is still printed), or a refusal
     ({ error: { code, message, details } } with --json)
  2  usage error (unknown flag, bad --root): the message on stderr, and
     { error: { code: "usage", message, details } } on stdout with --json
  3  internal error (a bug in govern; the stack is on stderr)

Documents are read from workplans/ and trackers/ (recursively, *.md) under the
root, plus the globs in govern.config.yaml. See docs/cli-contract.md.`;

const STRUCTURE_HELP = `
Only the lines that say the change are written (the diff is printed; --json gives it as hunk), under the
file's lock, atomically, after re-reading the result; every write is an audit record (govern audit log).
Exit 1 when refused — item-not-found, duplicate-id, dependency-unknown, dependency-cycle,
criterion-not-found, unsupported-form, conflict (stale --expect), lock-timeout, verify-failed —
printed as { error: { code, message, details } } with --json.`;

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/**
 * Declares every inline command and the given command groups (from
 * {@link commandGroupsFor}); each command's work lives in its own module, imported
 * when the command runs.
 */
export function createProgram(ctx: CommandContext, setExit: (code: number) => void, groups: readonly RegisterCommands[] = []): Command {
  const program = new Command('govern')
    .description('Read, validate and query Markdown workplans and trackers: the milestone and dependency graph of a repository.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
    .exitOverride()
    // `audit` has options and a subcommand (`audit log`) with the same names: options
    // after a subcommand must belong to it, not to its parent.
    .enablePositionalOptions()
    .hook('preAction', (_program, cmd) => noteCommand(cmd));

  const common = (cmd: Command) =>
    cmd
      .option('--root <dir>', 'directory to read (default: the repository root around the working directory)')
      .option('--json', 'print machine-readable JSON (stable contract, see docs/cli-contract.md)')
      .option('--no-color', 'never color output (colors are used only on a terminal)')
      .option('--no-cache', 'do not read or write the parse cache in <root>/.govern/cache')
      .addHelpText('after', EXIT_HELP);

  const docAndStatus = (cmd: Command) =>
    cmd
      .option('--doc <file-or-id>', "only this document's nodes and diagnostics (relative path or document id); its errors alone decide the exit code")
      .addOption(new Option('--status <status...>', 'only nodes with these statuses (unknown: none recognized)').choices(STATUS_FILTERS));
  const filters = (cmd: Command) => docAndStatus(cmd).addOption(new Option('--kind <kind...>', 'only nodes of these kinds').choices(['milestone', 'task', 'workplan']));

  const run =
    <O>(fn: (o: O) => Promise<number>) =>
    async (o: O) =>
      setExit(await fn(o));

  docAndStatus(common(program.command('status').description('summary of every document: items with status, what is next, what is blocked, diagnostics')))
    .addOption(new Option('--limit <n>', 'at most n documents, next items, blocked items and diagnostics (also in --json)').argParser(int).conflicts('all'))
    .option('--all', 'print every document with its items and every list entry (the default bounds a large root; --json is always complete)')
    .addHelpText('after', '\nBounds: more than 20 documents print as one line each (at most 100), and each list at most 20 entries, each cut saying how many it left out.')
    .action(run(async (o) => (await import('./commands/status.js')).statusCommand(ctx, o)));
  filters(common(program.command('graph').description('every milestone and task with its dependencies; --json prints { nodes, diagnostics }')))
    .addOption(new Option('--format <format>', 'table (default), or a diagram with statuses and gates: mermaid, dot (Graphviz)').choices(['table', 'mermaid', 'dot']))
    .option('--limit <n>', 'at most n nodes and n diagnostics (--json then adds omitted: { nodes, diagnostics })', int)
    .action(run(async (o) => (await import('./commands/graph.js')).graphCommand(ctx, o)));
  filters(common(program.command('next').description('actionable items: not done, every dependency done; dependency order, then priority, then document order')))
    .option('--limit <n>', 'at most n items', int)
    .addHelpText('after', '\nExit 1 names the error diagnostics on stderr (how many, in which files); with --doc only that document\'s count.')
    .action(run(async (o) => (await import('./commands/next.js')).nextCommand(ctx, o)));
  common(program.command('validate').description('report every diagnostic; exit 1 if any is an error'))
    .option('--strict', 'an empty or untracked root (no documents, or none with anything to track) is an error, not a warning')
    .action(run(async (o) => (await import('./commands/validate.js')).validateCommand(ctx, o)));
  common(
    program
      .command('explain')
      .argument('<file>', 'a document: a path (from the working directory or the root), or a document id')
      .description("how govern reads one document: its family and why, every item with where its status and dependencies come from, what was skipped and why, and the profile rule that would read it"),
  ).action((file: string, o) => run(async (x: typeof o) => (await import('./commands/explain.js')).explainCommand(ctx, file, x))(o));
  const audit = common(
    program
      .command('audit')
      .description('truthfulness check: every done item has an evidence root with a passing manifest, cited evidence roots exist, no summary contradicts the items'),
  )
    .enablePositionalOptions()
    .option('--fresh', 'stale evidence (what its checks cover changed since the closing commit) is an error, not a warning')
    .action(run(async (o) => (await import('./commands/audit.js')).auditCommand(ctx, o)));
  common(audit.command('log').description('the append-only audit log of every status write and closure (ops/audit/govern-audit.jsonl)'))
    .option('--item <id>', 'only records of this item')
    .option('--limit <n>', 'only the newest n records', int)
    .action(run(async (o) => (await import('./commands/audit-log.js')).auditLogCommand(ctx, o)));
  common(
    program
      .command('adopt')
      .argument('[ids...]', 'only these items (all or nothing); default every done item without evidence')
      .description(
        'record done items that have no evidence as done before govern was adopted (audit log action adopt), so `govern audit` reports them as infos instead of failing on work finished before govern',
      ),
  )
    .option('--dry-run', 'list what would be adopted; record nothing')
    .option('--reason <text>', 'why, for the audit log (default: done before govern was adopted)')
    .addHelpText(
      'after',
      '\nOnly a done item with no evidence at all (no evidence root, or one with no manifest), whose document is committed unchanged, and that no hand edit set done after govern was adopted. ' +
        'A later `govern task set-status` or `govern close` of an adopted item ends its adoption. Running it again adopts nothing twice.' +
        '\nExit 0 when done, 1 when an item cannot be adopted (each is listed; with ids, nothing is recorded), 2 on usage.',
    )
    .action((ids: string[], o) => run(async (x: typeof o) => (await import('./commands/adopt.js')).adoptCommand(ctx, ids, x))(o));
  common(
    program
      .command('history')
      .argument('<id>', 'item id as in `govern graph`')
      .description('every status the item has had, oldest first: date, commit, author, from → to, and whether govern or a hand edit made it (git history and the audit log)'),
  )
    .option('--max-commits <n>', "read at most the newest n commits of the item's document (default 500)", int)
    .action((id: string, o) => run(async (x: typeof o) => (await import('./commands/history.js')).historyCommand(ctx, id, x))(o));

  const task = program.command('task').description('one item: show it, set its status; add a task, edit acceptance, add a dependency');
  common(task.command('show').argument('<id>', 'item id as in `govern graph`').description('one item with its criteria, checks, evidence root, blockers and the sha256 of its file (for --expect)')).action(
    (id: string, o) => run(async (x: typeof o) => (await import('./commands/task.js')).showCommand(ctx, id, x))(o),
  );
  common(
    task
      .command('set-status')
      .argument('<id>', 'item id as in `govern graph`')
      .argument('<status>', 'planned, in_progress, partial, blocked (done only through `govern close`), or a spelling the profile maps')
      .description('change only the status token of one item: locked, atomic, checked against the profile lifecycle, recorded in the audit log'),
  )
    .option('--expect <sha256>', "the file's content hash as you read it (`task show --json` fileHash); a different current hash is a conflict")
    .option('--force', 'override unfinished dependencies or a transition the profile forbids (recorded in the audit log)')
    .option('--reason <text>', 'why, for the audit log')
    .addHelpText('after', '\nExit 1 when the write is refused (conflict, lifecycle rule, lock timeout): { error: { code, message, details } } with --json.')
    .action((id: string, status: string, o) => run(async (x: typeof o) => (await import('./commands/task.js')).setStatusCommand(ctx, id, status, x))(o));
  // The structural writes: the same locked, audited path as set-status, with a dry run.
  const structure = (cmd: Command) =>
    common(cmd)
      .option('--expect <sha256>', "the file's content hash as you read it (`task show --json` fileHash); a different current hash is a conflict")
      .option('--dry-run', 'plan, verify and print the change; write nothing, log nothing')
      .option('--reason <text>', 'why, for the audit log')
      .addHelpText('after', STRUCTURE_HELP);
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const collectInt = (v: string, prev: number[] = []) => [...prev, int(v)];
  structure(
    task
      .command('add')
      .argument('<workplan>', "the workplan's document id or file (workplans/plan.md)")
      .argument('<title>', "the task's title (one line)")
      .description("add a task section after the workplan's last task, in that task's style (heading, metadata, status spelling)"),
  )
    .option('--id <id>', 'the task id (default <workplan id>-<heading id>)')
    .option('--local-id <id>', 'the heading id, T06 (default: the number after the last task)')
    .option('--status <status>', 'planned (default), in_progress, partial or blocked, or a spelling the profile maps; done only through `govern close`')
    .option('--priority <p>', 'priority: high, medium, low, ...')
    .option('--depends-on <ids>', 'a dependency (repeat, or comma-separated)', collect)
    .option('--acceptance <text>', 'an acceptance criterion (repeat for each)', collect)
    .option('--check <command>', 'a check `govern close` runs (repeat for each)', collect)
    .option('--evidence-root <dir>', 'where `govern close` records the evidence (ops/runtime/<id>/)')
    .option('--force', 'write dependencies no item has yet, or a started status whose dependencies are not done (recorded)')
    .addHelpText('after', '\nExample: govern task add WP-1 "Write the docs" --depends-on WP-1-T02 --acceptance "README says how" --dry-run')
    .action((workplan: string, title: string, o) => run(async (x: typeof o) => (await import('./commands/task.js')).addTaskCommand(ctx, workplan, title, x))(o));
  structure(
    task
      .command('edit-acceptance')
      .argument('<id>', 'item id as in `govern graph`')
      .description("add, remove or reword an item's acceptance criteria; numbers are the criteria's order in `govern task show`"),
  )
    .option('--add <text>', 'append a criterion after the last one (repeat for each)', collect)
    .option('--remove <n>', 'remove criterion n, with the lines under it (repeat for each)', collectInt)
    .option('--replace <n=text>', "replace criterion n's text (a one-line bullet)", collect)
    .addHelpText('after', '\nExample: govern task edit-acceptance WP-1-T02 --replace "2=Parses every seed" --add "Documented" --expect <fileHash>')
    .action((id: string, o) => run(async (x: typeof o) => (await import('./commands/task.js')).editAcceptanceCommand(ctx, id, x))(o));
  structure(
    task
      .command('add-dep')
      .argument('<id>', 'item id as in `govern graph`')
      .argument('<depends-on>', 'the item it will depend on')
      .description("add a dependency to an item's depends_on (task metadata, a workplan's front matter) or its Depends On cell"),
  )
    .option('--force', 'write a dependency no item has yet (recorded); a cycle is never written')
    .addHelpText('after', '\nExample: govern task add-dep WP-1-T03 WP-1-T02 --json')
    .action((id: string, dep: string, o) => run(async (x: typeof o) => (await import('./commands/task.js')).addDepCommand(ctx, id, dep, x))(o));
  common(
    program
      .command('close')
      .argument('<id>', 'item id as in `govern graph`')
      .description("run the item's checks, record an evidence manifest in its evidence root, and set it done only if every check passed and every checkbox criterion is checked"),
  )
    .option('--timeout <seconds>', 'time limit per check (default 600)', int)
    .option('--force', 'close even though a dependency is not done (recorded); never overrides a failing check')
    .option('--allow-dirty', 'close although code has uncommitted changes (recorded in the manifest as treeClean: false)')
    .option('--sign-off <who>', 'sign off the plain acceptance bullets no check or item verifies (recorded per bullet in the manifest as manual)')
    .option('--reason <text>', 'why, for the audit log')
    .addHelpText('after', '\nExit 0 when closed, 1 when not (every failure is listed; the attempt is still recorded).')
    .action((id: string, o) => run(async (x: typeof o) => (await import('./commands/close.js')).closeCommand(ctx, id, x))(o));
  common(
    program
      .command('verify')
      .argument('<id>', 'a closed item')
      .description("run the checks a closure recorded again, now, and compare their exit codes with its manifest; writes nothing"),
  )
    .option('--timeout <seconds>', 'time limit per check (default 600)', int)
    .addHelpText('after', '\nExit 0 when every recorded check passes again, 1 otherwise.')
    .action((id: string, o) => run(async (x: typeof o) => (await import('./commands/close.js')).verifyCommand(ctx, id, x))(o));
  common(program.command('gates').description('every gate of govern.config.yaml: enabled or not, the milestones it requires, what blocks it'))
    .option('--require <name>', 'exit 1 with the explanation unless this gate is enabled (for scripts)')
    .addHelpText('after', '\nWith --require: exit 1 when the gate is disabled (why on stderr; { error } with --json), 2 when no gate has that name.')
    .action(run(async (o) => (await import('./commands/gates.js')).gatesCommand(ctx, o)));
  const pr = program.command('pr').description('closure pull requests on GitHub (see docs/cli-contract.md#pr-open)');
  common(
    pr
      .command('open')
      .argument('<id>', 'a closed item (done, with a passing evidence manifest)')
      .description("put a closed item's status change, evidence and audit log on the branch govern/close/<id> and open its pull request; rerunning updates (or reopens) the same one"),
  )
    .option('--dry-run', 'print the branch, files (sha256), title, body, labels and reviewers; change nothing (only reads, and only with a token)')
    .option('--repo <owner/name>', 'repository (default: GITHUB_REPOSITORY, else the origin remote)')
    .option('--base <branch>', 'branch to merge into (default: origin/HEAD, else main)')
    .option('--label <name>', 'label to add (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--reviewer <login>', 'reviewer to request, or org/team (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--draft', 'open a new pull request as a draft')
    .option('--api-url <url>', 'GitHub API root (default: GITHUB_API_URL, else https://api.github.com)')
    .option('--force', 'overwrite the branch even if its head was not written by govern for this item')
    .addHelpText('after', '\nToken: GITHUB_TOKEN, else GH_TOKEN, else gh\'s hosts.yml. Exit 0 when done (or planned with --dry-run), 1 when refused ({ error } with --json), 2 on usage.')
    .action((id: string, o) => run(async (x: typeof o) => (await import('./commands/pr.js')).prOpenCommand(ctx, id, x))(o));
  // Not `common`: stdout carries only the MCP protocol, so --json and --no-color mean nothing here.
  program
    .command('mcp')
    .description('serve the graph, item, status and structure writes, closure, audit, binder and memoryd tools to agents: an MCP server over stdio (see docs/cli-contract.md)')
    .option('--root <dir>', 'repository to serve (default: the repository root around the working directory)')
    .option('--no-cache', 'do not read or write the parse cache in <root>/.govern/cache')
    .option('--list-tools', 'print the tools this server would serve (a Markdown list; JSON with --json) and exit')
    .option('--json', 'with --list-tools: the tools as JSON')
    .addHelpText(
      'after',
      '\nThe memory_* tools are served only when $GOVERN_MEMORYD_URL is set; they call memoryd there, sending $GOVERN_MEMORYD_TOKEN as the bearer token when it is set.' +
        '\nRuns until the client closes stdin (exit 0); exit 2 when --root is not a directory. Logs go to stderr.',
    )
    .action(run(async (o) => (await import('./commands/mcp.js')).mcpCommand(ctx, o)));
  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(SHELLS))
    .description('print a completion script for bash, zsh or fish: commands, subcommands, options and their values')
    .addHelpText('after', COMPLETION_HELP)
    // The script is generated from this program with every command group declared, so it
    // never drifts from what the CLI accepts.
    .action(async (shell: (typeof SHELLS)[number]) => {
      const full = createProgram(ctx, () => undefined, await commandGroupsFor([], program));
      setExit((await import('./commands/completion.js')).completionCommand(ctx, shell, full));
    });
  for (const register of groups) register(program, ctx, common, setExit);
  return program;
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;

const COMPLETION_HELP = `
Install (the script completes the command govern: put it on PATH, e.g. npm's
node_modules/.bin, or install the package globally):
  bash  echo 'source <(govern completion bash)' >> ~/.bashrc
  zsh   govern completion zsh > "\${fpath[1]}/_govern"   (then start a new shell)
  fish  govern completion fish > ~/.config/fish/completions/govern.fish
See docs/cli-contract.md#shell-completion.`;

/** Options of every command that reads a root (`common`, and `mcp`'s): accepted before the command too. */
const GLOBAL_FLAGS = new Set(['--json', '--no-color', '--no-cache']);

/**
 * The global flags written before the command (`govern --root X --json status`) and
 * the rest of the arguments. Only a run of them at the very start counts, and only when
 * a command word follows: `govern --json --version` is left alone.
 */
export function leadingGlobalFlags(argv: readonly string[]): { leading: string[]; rest: string[] } {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (GLOBAL_FLAGS.has(a) || a.startsWith('--root=')) leading.push(a);
    else if (a === '--root' && i + 1 < argv.length) leading.push(a, argv[++i]!);
    else break;
  }
  if (!leading.length || i >= argv.length || argv[i]!.startsWith('-')) return { leading: [], rest: [...argv] };
  return { leading, rest: argv.slice(i) };
}

/**
 * `rest` with `leading` put right after its command path (`task show`, `audit log`):
 * the options belong to the command that runs, and commander reads a command's options
 * only after its name (`enablePositionalOptions`).
 */
export function placeGlobalFlags(leading: readonly string[], rest: readonly string[], program: Command): string[] {
  if (!leading.length) return [...rest];
  let cmd = program;
  let k = 0;
  for (; k < rest.length; k++) {
    const sub = cmd.commands.find((c) => c.name() === rest[k] || c.aliases().includes(rest[k]!));
    if (!sub) break;
    cmd = sub;
  }
  // An unknown command word: after it, so commander reports the command, not the flags.
  k = Math.max(1, k);
  return [...rest.slice(0, k), ...leading, ...rest.slice(k)];
}

/**
 * commander's usage error (unknown option or command, missing argument, a value outside
 * the choices) as govern's `usage` error: its first line without `error: `, the
 * reason from commander's code (`commander.unknownOption` → `unknown-option`), and
 * the suggestion of "Did you mean …?" when it made one.
 */
export function commanderUsageError(err: CommanderError): GovernError<'usage'> {
  const lines = err.message.split('\n');
  const message = lines[0]!.replace(/^error: /, '');
  const reason = err.code.replace(/^commander\./, '').replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
  const suggestion = /\(Did you mean (.+)\?\)/.exec(err.message)?.[1];
  return new GovernError('usage', message, { details: { reason, ...(suggestion ? { suggestion } : {}) }, exitCode: EXIT.usage });
}

/** Runs the CLI with the given argv (without node and script) and returns the exit code. */
export async function runCli(argv: string[], ctx: CommandContext): Promise<number> {
  let code = 0;
  try {
    const setExit = (c: number) => (code = c);
    let program = createProgram(ctx, setExit);
    const { leading, rest } = leadingGlobalFlags(argv);
    const groups = await commandGroupsFor(rest, program);
    if (groups.length) program = createProgram(ctx, setExit, groups);
    await program.parseAsync(placeGlobalFlags(leading, rest, program), { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      // commander has written its message on stderr; an agent reading --json gets it on stdout too.
      if (argv.includes('--json')) ctx.stdout.write(`${JSON.stringify(errorBody(commanderUsageError(err)))}\n`);
      return EXIT.usage;
    }
    // A usage error is about the invocation, not an outcome of the run; anything else
    // that ends the command here (a gate error, a bug) is recorded on the run span.
    if (!(isGovernError(err) && err.code === 'usage')) recordRunError(err);
    // Loaded here: the renderer reaches the workspace and gates libraries, which a
    // run that ends well (`--version`, or a command that loaded them itself) never needs here.
    const { renderError } = await import('./errors.js');
    return renderError(ctx, err, { json: argv.includes('--json') });
  }
}
