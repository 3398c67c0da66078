import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { adoptDoneItems } from '@govern/closure';
import { GovernError, isGovernError } from '@govern/errors';
import { compileProfile, DEFAULT_PROFILE } from '@govern/workplan';
import { CONFIG_FILE, DEFAULT_FOLDERS, findPlanningDocuments, loadConfig, MAX_DOCUMENT_BYTES, MAX_FILES_LOOKED_AT, writeFileAtomic, type FoundDocuments } from '@govern/workspace';
import { openWorkspace, resolveRoot, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor } from '../render.js';

/**
 * `govern init`: scaffolds govern in a repository — the configuration, a profile that
 * extends the default, a starter workplan and tracker, `.govern/` in .gitignore, the MCP
 * client configuration and a CI workflow. Never overwrites: a file that exists is kept
 * (`.gitignore` and `.mcp.json` are added to, only when they lack govern's line or
 * server). Everything is planned before anything is written, so an unreadable
 * `.mcp.json` stops it with nothing written. Each write is atomic.
 */

/** The options of `govern init` (besides `--root`, `--json`, `--no-color`). */
export interface InitOptions extends CommonOptions {
  /** Print what would be written; write nothing. */
  dryRun?: boolean;
  /** The profile's name: `profiles/<name>.yaml`. */
  profile?: string;
}

/** What `init` does to one path (relative to the root, `/`-separated). */
export interface InitEntry {
  file: string;
  action: 'create' | 'update' | 'keep';
  /** Why, for people: what was added, or why the file was kept. */
  note: string;
  /** The file's whole new content (create and update). */
  content?: string;
  /** For an update: only what is added, when that reads better than the whole file. */
  added?: string;
}

/** `govern init --json`: the paths by what happened to them. */
export interface InitResult {
  root: string;
  dryRun: boolean;
  created: string[];
  kept: string[];
  updated: string[];
  /**
   * The documents outside workplans/ and trackers/ that hold items, written into the new
   * configuration's `include` (empty when a configuration exists: it is kept as it is).
   */
  included: string[];
  /** With `--dry-run` only: the content each created or updated file would have. */
  contents?: Record<string, string>;
  /** What would fail the first CI run, for people: done items without evidence, a workflow with nothing to install. */
  notes: string[];
}

/** At most this many documents found elsewhere are written into `include`; the rest are named in a note. */
export const MAX_INCLUDED = 50;

/** The profile's name when `--profile` is not given. */
export const DEFAULT_PROFILE_NAME = 'project';
/** The starter workplan, written only into a `workplans/` that holds no document yet. */
export const STARTER_WORKPLAN = 'workplans/WP-0001-adopt-govern.md';
/** The starter tracker, written only into a `trackers/` that holds no document yet. */
export const STARTER_TRACKER = 'trackers/tracker.md';
/** The CI workflow: `govern validate` and `govern audit` on every push and pull request. */
export const WORKFLOW_FILE = '.github/workflows/govern.yml';
/** The MCP client configuration (the project-scoped `mcpServers` file of MCP clients). */
export const MCP_FILE = '.mcp.json';
/**
 * The MCP server entry init writes. `--no`: npx runs the locally installed bin and never
 * fetches a package from the registry — the unscoped `govern` on npm is another project,
 * and an MCP client starts servers without a terminal, where npx would install it unasked.
 */
export const MCP_SERVER = { command: 'npx', args: ['--no', 'govern', 'mcp'] } as const;

/** A file init must read (an existing `.mcp.json`) that it cannot use; nothing is written. */
export class InitInputError extends GovernError<'init-input-invalid'> {
  constructor(file: string, line: number, column: number, problem: string) {
    super('init-input-invalid', `${file}:${line}:${column}: ${problem}`, {
      details: { file, line, column, note: `fix or move ${file}; govern init wrote nothing` },
    });
    this.name = 'InitInputError';
  }
}

function profileName(value: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(value)) throw new InvalidArgumentError('a profile name is letters, digits, ".", "_" and "-" (it names profiles/<name>.yaml)');
  return value;
}

/** Declares `govern init` (called from program.ts). */
export function registerInitCommand(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  common(
    program
      .command('init')
      .description(
        'scaffold govern in a repository: govern.config.yaml, a profile extending the default, a starter workplan and tracker, .govern/ in .gitignore, the MCP client configuration (.mcp.json) and a CI workflow; never overwrites a file',
      ),
  )
    .option('--dry-run', 'print what would be written (each file and its content); write nothing')
    .option('--profile <name>', `the profile to create, profiles/<name>.yaml (default ${DEFAULT_PROFILE_NAME})`, profileName)
    .addHelpText(
      'after',
      '\nA new govern.config.yaml includes the Markdown documents found outside workplans/ and trackers/ that hold items (git\'s files; not hidden, dependency or fixture folders); then no starter is written. Documents a profile rule would read are named in a note (govern explain <file>).' +
        '\nIdempotent: a file that exists is kept, .gitignore and .mcp.json only get what they lack. --json prints { root, dryRun, created, kept, updated, included, notes }.' +
        '\nExit 0 when done, 1 when an existing .mcp.json cannot be read (nothing is written), 2 on usage.',
    )
    .action(async (o: InitOptions) => setExit(await initCommand(ctx, o)));
}

/** `govern init`: plans, then writes (unless `--dry-run`) and reports. */
export async function initCommand(ctx: CommandContext, opts: InitOptions): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  const { entries, found, included } = planInit(root, { profile: opts.profile ?? DEFAULT_PROFILE_NAME });
  const dryRun = opts.dryRun === true;
  if (!dryRun) applyInit(root, entries);
  const result = initResult(root, entries, dryRun, included);
  result.notes = [...foundNotes(found, included), ...(await firstRunNotes(ctx, opts, root, entries))];
  if (opts.json) {
    writeJson(ctx, result);
    return 0;
  }
  const c = colorsFor(ctx, opts);
  const verb = { create: dryRun ? 'would create' : 'created', update: dryRun ? 'would update' : 'updated', keep: dryRun ? 'would keep' : 'kept' };
  const width = Math.max(...Object.values(verb).map((v) => v.length));
  let out = `${c.bold(`govern init${dryRun ? ' --dry-run' : ''}`)}  ${c.dim(root)}\n\n`;
  for (const e of entries) {
    const label = verb[e.action].padEnd(width);
    out += `  ${e.action === 'keep' ? c.dim(label) : c.green(label)}  ${e.file}  ${c.dim(e.note)}\n`;
    const shown = dryRun ? (e.added ?? e.content) : undefined;
    if (shown !== undefined) out += `${shown.replace(/\n$/, '').split('\n').map((l) => `      ${c.dim('|')} ${l}`.trimEnd()).join('\n')}\n`;
  }
  out += '\n';
  const notes = result.notes.map((n) => `${c.yellow('note')}: ${n}\n`).join('');
  if (dryRun) out += `${notes}Nothing was written (--dry-run).\n`;
  else {
    if (!fs.existsSync(path.join(root, '.git'))) out += `${c.yellow('note')}: ${root} is not a git repository; govern close and govern audit need one (git init).\n`;
    out += notes;
    out += result.included.length
      ? `Next: ${c.bold('npx govern status')} shows what govern reads in the documents it included, ${c.bold('npx govern validate')} what it would have you fix.\n`
      : `Next: ${c.bold('npx govern status')}, edit the starter documents, then ${c.bold('npx govern validate')}.\n`;
  }
  ctx.stdout.write(out);
  return 0;
}

/** The JSON answer for a plan: every path under the action taken (or, with `dryRun`, that would be). */
export function initResult(root: string, entries: readonly InitEntry[], dryRun: boolean, included: string[] = []): InitResult {
  const of = (a: InitEntry['action']) => entries.filter((e) => e.action === a).map((e) => e.file);
  const result: InitResult = { root, dryRun, created: of('create'), kept: of('keep'), updated: of('update'), included, notes: [] };
  if (dryRun) result.contents = Object.fromEntries(entries.filter((e) => e.content !== undefined).map((e) => [e.file, e.content!]));
  return result;
}

/** What people should know of the documents found outside the default folders: those over the limit, and those a rule would read. */
function foundNotes(found: FoundDocuments | null, included: string[]): string[] {
  if (!found) return [];
  const notes: string[] = [];
  const few = (files: string[]) => (files.length > 5 ? `${files.slice(0, 5).join(', ')} and ${files.length - 5} more` : files.join(', '));
  const left = found.tracked.slice(included.length).map((d) => d.file);
  if (left.length) notes.push(`${left.length} more document${left.length === 1 ? '' : 's'} with items found outside workplans/ and trackers/ (${few(left)}): add them to \`include:\` in ${CONFIG_FILE} to read them.`);
  if (found.hinted.length) {
    const files = found.hinted.map((d) => d.file);
    notes.push(
      `${files.length} document${files.length === 1 ? '' : 's'} look${files.length === 1 ? 's' : ''} like tracking that the default profile does not read (${few(files)}): \`npx govern explain ${files[0]}\` says which profile rule would read it; then add it to \`include:\`.`,
    );
  }
  if (found.notRead) notes.push(`${found.notRead} Markdown file${found.notRead === 1 ? ' was' : 's were'} not looked at (beyond the first ${MAX_FILES_LOOKED_AT.toLocaleString('en-US')}, or over ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB): \`include:\` globs read any of them.`);
  return notes;
}

/**
 * What the first CI run of the workflow would fail on, found on the first real repository
 * govern was tried in: its done items without evidence (every one an audit error) and an
 * `npm ci` with no lockfile to install from. Nothing here stops init.
 */
async function firstRunNotes(ctx: CommandContext, opts: InitOptions, root: string, entries: readonly InitEntry[]): Promise<string[]> {
  const notes: string[] = [];
  try {
    const r = await adoptDoneItems(root, () => openWorkspace(ctx, { ...opts, json: true, cache: false }), { dryRun: true });
    const ids = [...r.adopted, ...r.refused].map((x) => x.id);
    if (ids.length) {
      const named = ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
      notes.push(
        `${ids.length} done item${ids.length === 1 ? ' has' : 's have'} no evidence (${named}): \`govern audit\`, and so the CI workflow, fails on each. Work finished before govern: \`npx govern adopt\` records it as such (commit the documents first); other work: \`npx govern close <id>\`.`,
      );
    }
  } catch (err) {
    // Outside git (said below) or documents govern cannot read yet (validate says why): no note.
    if (!isGovernError(err)) throw err;
  }
  const workflow = entries.some((e) => e.file === WORKFLOW_FILE && e.action === 'create');
  if (workflow && !['package-lock.json', 'npm-shrinkwrap.json'].some((f) => fs.existsSync(path.join(root, f)))) {
    notes.push(`the workflow ${WORKFLOW_FILE} runs \`npm ci\`, which needs a package-lock.json: install govern as a devDependency (\`npm install --save-dev …\`) and commit package.json and package-lock.json.`);
  }
  return notes;
}

/**
 * What init would do in `root`, reading only. Throws {@link InitInputError} for an
 * existing `.mcp.json` that is not a JSON object with an object `mcpServers`.
 */
export function planInit(root: string, opts: { profile: string }): { entries: InitEntry[]; found: FoundDocuments | null; included: string[] } {
  const exists = (rel: string) => fs.existsSync(path.join(root, rel));
  const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
  const entries: InitEntry[] = [];
  const create = (file: string, content: string, note: string) => entries.push({ file, action: 'create', note, content });
  const keep = (file: string, note: string) => entries.push({ file, action: 'keep', note });

  // The configuration, and the profile it names: a kept configuration may name another
  // profile (then that one is ensured), or none (the built-in default; nothing to write).
  // A new configuration includes the documents outside the default folders that hold
  // items as they are (a ROADMAP.md, specs/README.md): govern reads what the repository
  // already plans with, not only its starters.
  let profileRel: string | undefined = `profiles/${opts.profile}.yaml`;
  let found: FoundDocuments | null = null;
  let included: string[] = [];
  if (exists(CONFIG_FILE)) {
    keep(CONFIG_FILE, 'exists');
    profileRel = loadConfig(root).config.profile;
  } else {
    found = findPlanningDocuments(root, compileProfile(DEFAULT_PROFILE));
    included = found.tracked.slice(0, MAX_INCLUDED).map((d) => d.file);
    const also = included.length ? ` and ${included.length} document${included.length === 1 ? '' : 's'} found elsewhere (include)` : '';
    create(CONFIG_FILE, configYaml(profileRel, included), `reads workplans/ and trackers/${also}, profile ${profileRel}`);
  }
  if (profileRel !== undefined) {
    if (exists(profileRel)) keep(profileRel, 'exists');
    else create(profileRel, profileYaml(path.basename(profileRel).replace(/\.ya?ml$/, '')), 'extends the default profile');
  }

  // The starters go only into folders without documents, and only when no document found
  // elsewhere holds items: ids of a starter could clash with the repository's own. The
  // workplan names the starter tracker's milestone only when that tracker is written or
  // already there.
  const elsewhere = included.length > 0;
  const tracker = starter(root, STARTER_TRACKER, elsewhere);
  const workplan = starter(root, STARTER_WORKPLAN, elsewhere);
  const milestone = tracker === 'create' || tracker === 'exists';
  for (const [file, state, content] of [
    [STARTER_TRACKER, tracker, TRACKER_MD],
    [STARTER_WORKPLAN, workplan, workplanMd(milestone)],
  ] as const) {
    const folder = `${file.split('/')[0]}/`;
    if (state === 'create') create(file, content, file === STARTER_TRACKER ? 'starter tracker: two milestones, a dependency matrix' : 'starter workplan: one task with a check');
    else if (state === 'exists') keep(file, 'exists');
    else if (state === 'elsewhere') keep(folder, 'the repository\'s documents found elsewhere hold items; no starter added');
    else keep(folder, 'already holds documents; no starter added');
  }

  // .gitignore: the parse cache and lock files under .govern/ are local state.
  if (!exists('.gitignore')) create('.gitignore', '.govern/\n', 'ignores .govern/ (parse cache, locks)');
  else {
    const text = read('.gitignore');
    if (ignoresGovern(text)) keep('.gitignore', 'already ignores .govern/');
    else entries.push({ file: '.gitignore', action: 'update', note: 'appended .govern/', content: `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}.govern/\n`, added: '.govern/\n' });
  }

  // The MCP client configuration: merged, other servers untouched.
  if (!exists(MCP_FILE)) create(MCP_FILE, `${JSON.stringify({ mcpServers: { govern: MCP_SERVER } }, null, 2)}\n`, 'the govern MCP server for agents (npx --no govern mcp)');
  else {
    const config = parseMcpConfig(read(MCP_FILE));
    const servers = config.mcpServers as Record<string, unknown> | undefined;
    if (servers && Object.hasOwn(servers, 'govern')) keep(MCP_FILE, 'already configures mcpServers.govern');
    else {
      const merged = { ...config, mcpServers: { ...servers, govern: MCP_SERVER } };
      entries.push({ file: MCP_FILE, action: 'update', note: 'added mcpServers.govern; other servers kept', content: `${JSON.stringify(merged, null, 2)}\n` });
    }
  }

  if (exists(WORKFLOW_FILE)) keep(WORKFLOW_FILE, 'exists');
  else create(WORKFLOW_FILE, WORKFLOW_YML, 'CI: npx govern validate and npx govern audit');
  return { entries, found, included };
}

/** Writes the plan's creates and updates, each atomically. A file that appeared since the plan is left alone. */
export function applyInit(root: string, entries: readonly InitEntry[]): void {
  for (const e of entries) {
    if (e.content === undefined) continue;
    const abs = path.join(root, e.file);
    if (e.action === 'create' && fs.existsSync(abs)) continue;
    writeFileAtomic(abs, e.content);
  }
}

/** A starter's state: there already, to create, or not wanted (its folder holds documents, or documents found elsewhere hold items). */
function starter(root: string, rel: string, elsewhere: boolean): 'exists' | 'create' | 'skip' | 'elsewhere' {
  if (fs.existsSync(path.join(root, rel))) return 'exists';
  const folder = path.join(root, rel.split('/')[0]!);
  return hasMarkdown(folder) ? 'skip' : elsewhere ? 'elsewhere' : 'create';
}

function hasMarkdown(dir: string): boolean {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return names.some((e) => (e.isDirectory() ? hasMarkdown(path.join(dir, e.name)) : e.name.toLowerCase().endsWith('.md')));
}

/** True when a line of the .gitignore already ignores the .govern folder at the root (or anywhere). */
export function ignoresGovern(gitignore: string): boolean {
  return gitignore.split(/\r?\n/).some((l) => /^\/?\.govern(\/(\*\*?)?)?$/.test(l.trim()));
}

/** An existing `.mcp.json` as an object; anything else is an {@link InitInputError} at its position. */
function parseMcpConfig(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const { line, column } = lineColumn(text, at ? Number(at[1]) : 0);
    throw new InitInputError(MCP_FILE, line, column, `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InitInputError(MCP_FILE, 1, 1, 'expected a JSON object ({ "mcpServers": { … } })');
  const servers = (value as Record<string, unknown>).mcpServers;
  if (servers !== undefined && (typeof servers !== 'object' || servers === null || Array.isArray(servers))) {
    const { line, column } = lineColumn(text, Math.max(0, text.indexOf('"mcpServers"')));
    throw new InitInputError(MCP_FILE, line, column, 'mcpServers is not an object of servers by name');
  }
  return value as Record<string, unknown>;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

// ---------------------------------------------------------------------------
// The files
// ---------------------------------------------------------------------------

const configYaml = (profile: string, include: readonly string[]) => `# govern configuration (written by \`govern init\`; edit freely).
# Documents are read from ${DEFAULT_FOLDERS.map((f) => `${f}/`).join(' and ')} (recursively, *.md); \`include\` adds
# globs relative to this folder (e.g. "docs/plans/**/*.md"), \`exclude\` removes them.${include.length ? '\n# govern init included the documents it found elsewhere that hold items.' : ''}
profile: ${profile}
include:${include.length ? `\n${include.map((f) => `  - ${JSON.stringify(f)}`).join('\n')}` : ' []'}
exclude: []

# Gates: what the milestone graph enables. A gate is enabled when every milestone it
# requires is done; \`govern gates\` lists them and \`govern gates --require <name>\`
# exits 1 while one is not (for scripts). Uncomment to try:
#
# gates:
#   release:
#     description: publishing the first release
#     requires: [M-01]
#     # project: packages/app   # optional: the Nx project root the gate governs
`;

const profileYaml = (name: string) => `# This repository's profile: how status spellings, priorities and headings are read.
# \`extends: default\` starts from govern's built-in default (done, in progress, todo,
# [x], ✅, P0…P4, …); the rules listed here are tried before the default's.
name: ${name}
extends: default
# statuses:
#   done: [shipped to prod]
#   blocked: [needs decision]
# lifecycle:
#   dependenciesDoneFor: [done]   # starting an item no longer needs its dependencies done
`;

const TRACKER_MD = `# Tracker

This tracker is the source of truth for the milestones of this repository (a starter
written by \`govern init\`: rename, replace or extend the milestones). \`npx govern status\`
summarizes it, \`npx govern next\` says what can start, \`npx govern validate\` checks it.

## Milestones

| Order | Milestone | Scope | Priority | Depends On | Status |
|---:|---|---|---|---|---|
| 1 | M-01 Plans under govern | Workplans and trackers in Markdown, validated in CI | P1 | - | Planned |
| 2 | M-02 First release | What the first release ships | P2 | M-01 | Planned |

## Dependency Matrix

\`1\` means the row item depends on the column item.

| Row \\\\ Col | M-01 | M-02 |
|---|---:|---:|
| M-01 | 0 | 0 |
| M-02 | 1 | 0 |
`;

const workplanMd = (milestone: boolean) => `---
id: WP-0001
type: workplan
title: Adopt govern
status: planned
${milestone ? 'milestone: M-01\n' : ''}---

# WP-0001: Adopt govern

A starter workplan written by \`govern init\`. Each \`## T01 - …\` section is a task:
its id, status and checks in the lines under the heading, then what done means.
\`npx govern close WP-0001-T01\` runs the checks, records their evidence under the
evidence root and sets the task done only if they pass.

## T01 - Validate the plans in CI

id: WP-0001-T01
status: planned
priority: high
evidence_root: ops/runtime/wp-0001-t01/
checks:
- \`npx --no govern validate\`

Acceptance:

- \`govern validate\` reports no error in the workplans and trackers.
  Check: \`npx --no govern validate\`
`;

const WORKFLOW_YML = `# Written by \`govern init\`: checks the workplans and trackers on every push and pull request.
# \`npx --no\` runs the govern installed by npm ci (a devDependency), never a download.
name: govern
on:
  push:
  pull_request:
jobs:
  govern:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          # govern audit checks that each closure's evidence commit is in the history.
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci
      - run: npx --no govern validate
      - run: npx --no govern audit
`;
