import { blockersOf } from '@govern/graph';
import { normalizeStatus, type CompiledProfile, type Status } from '@govern/workplan';
import { withSpan } from '@govern/telemetry';
import { addDependency, addTask, defaultActor, editAcceptance, setStatus, type DocumentWriteOptions, type DocumentWriteResult } from '@govern/write';
import { openWorkspace, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { itemNotFound, renderError, renderRefusal } from '../errors.js';
import { colorsFor, statusCell } from '../render.js';
import { itemView } from '../views.js';
import { STATUS_WORDS, statusWordProblem } from '../vocabulary.js';

export interface SetStatusCliOptions extends CommonOptions {
  expect?: string;
  force?: boolean;
  reason?: string;
}

/**
 * A status as written to a write command or tool: the vocabulary (`in_progress`) or a
 * spelling the profile maps (`In Progress`, `wip`); null when neither. The CLI and the
 * MCP tools (set_status, add_task) both read statuses with this.
 */
export function readStatusWord(raw: string, profile: CompiledProfile): Status | null {
  if ((STATUS_WORDS as readonly string[]).includes(raw)) return raw as Status;
  return normalizeStatus(raw, profile).status;
}

/** Accepts the vocabulary (`in_progress`) or any spelling the profile maps (`"In Progress"`, `wip`). */
function parseStatus(raw: string, ws: Awaited<ReturnType<typeof openWorkspace>>): Status {
  const n = readStatusWord(raw, ws.profile);
  if (!n) throw new UsageError(statusWordProblem(raw));
  return n;
}

/** `govern task set-status <id> <status>`: a surgical, locked, audited status write. */
export async function setStatusCommand(ctx: CommandContext, id: string, rawStatus: string, opts: SetStatusCliOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const status = parseStatus(rawStatus, ws);
  try {
    const r = await withSpan('write', { 'govern.item.id': id }, () => setStatus({
      root: ws.root,
      id,
      status,
      workspace: ws,
      ...(opts.expect ? { expect: opts.expect } : {}),
      force: opts.force === true,
      ...(opts.reason ? { reason: opts.reason } : {}),
      actor: defaultActor(ctx.env),
      via: 'cli',
    }));
    if (opts.json) {
      writeJson(ctx, r);
      return 0;
    }
    const c = colorsFor(ctx, opts);
    const where = `${r.file}`;
    if (!r.changed) ctx.stdout.write(`${c.bold(r.item)} is already ${statusCell(status, c)} (${where}); nothing written\n`);
    else {
      ctx.stdout.write(`${c.bold(r.item)}: ${r.from.text ?? '(none)'} → ${r.to.text}  ${c.dim(where)}\n`);
      for (const f of r.forced) ctx.stdout.write(c.yellow(`  forced: ${f}\n`));
      ctx.stdout.write(c.dim(`  sha256 ${r.hashAfter} (pass as --expect for the next write)\n`));
    }
    return 0;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
}

/** `govern task show <id>`: one item with its criteria, checks, evidence, blockers and its file's hash. */
export async function showCommand(ctx: CommandContext, id: string, opts: CommonOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const node = ws.index.byId.get(id);
  if (!node) return renderError(ctx, itemNotFound(id), opts);
  const blockers = blockersOf(ws.index, node);
  const fileHash = ws.hashes.get(node.source.file) ?? null;
  if (opts.json) {
    writeJson(ctx, itemView(ws, node));
    return 0;
  }
  const c = colorsFor(ctx, opts);
  let out = `${c.bold(node.id)}  ${statusCell(node.status, c)}  ${node.title}\n`;
  out += c.dim(`  ${node.source.file}:${node.source.line}  sha256 ${fileHash ?? '-'}\n`);
  if (node.dependsOn.length) out += `  depends on: ${node.dependsOn.join(', ')}\n`;
  if (blockers.length) out += c.yellow(`  blocked by: ${blockers.map((b) => `${b.id} (${b.status ?? 'unknown'})`).join(', ')}\n`);
  out += `  evidence root: ${node.evidenceRoot ?? c.dim('(none declared)')}\n`;
  out += `  checks:${node.checks.length ? '' : c.dim(' (none declared)')}\n`;
  for (const ch of node.checks) out += `    - ${ch.command}\n`;
  if (node.criteria.length) out += '  criteria:\n';
  for (const cr of node.criteria) out += `    ${cr.checked === null ? '-' : cr.checked ? '[x]' : '[ ]'} ${cr.text}\n`;
  ctx.stdout.write(out);
  return 0;
}

/** The options every structural write command shares (`task add`, `edit-acceptance`, `add-dep`). */
export interface StructureCliOptions extends CommonOptions {
  expect?: string;
  dryRun?: boolean;
  reason?: string;
  force?: boolean;
}

/** Runs one structural write with the CLI's actor and prints its result (or the refusal). */
async function structureWrite(
  ctx: CommandContext,
  opts: StructureCliOptions,
  item: string,
  write: (ws: Awaited<ReturnType<typeof openWorkspace>>, common: DocumentWriteOptions) => Promise<DocumentWriteResult>,
): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const common: DocumentWriteOptions = {
    root: ws.root,
    workspace: ws,
    ...(opts.expect ? { expect: opts.expect } : {}),
    ...(opts.reason ? { reason: opts.reason } : {}),
    dryRun: opts.dryRun === true,
    actor: defaultActor(ctx.env),
    via: 'cli',
  };
  try {
    const r = await withSpan('write', { 'govern.item.id': item }, () => write(ws, common));
    if (opts.json) {
      writeJson(ctx, r);
      return 0;
    }
    const c = colorsFor(ctx, opts);
    if (!r.changed) {
      ctx.stdout.write(`${c.bold(r.item)}: nothing to change in ${r.file}; nothing written\n`);
      return 0;
    }
    const verb = r.dryRun ? 'would change' : 'changed';
    let out = `${c.bold(r.item)}: ${r.action} ${verb} ${r.file} at line ${r.hunk!.line}${r.dryRun ? c.yellow(' (dry run: nothing written)') : ''}\n`;
    for (const l of r.hunk!.removed) out += c.red(`- ${l}\n`);
    for (const l of r.hunk!.added) out += c.green(`+ ${l}\n`);
    for (const f of r.forced) out += c.yellow(`  forced: ${f}\n`);
    if (!r.dryRun) out += c.dim(`  sha256 ${r.hashAfter} (pass as --expect for the next write)\n`);
    ctx.stdout.write(out);
    return 0;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
}

export interface AddTaskCliOptions extends StructureCliOptions {
  id?: string;
  localId?: string;
  status?: string;
  priority?: string;
  dependsOn?: string[];
  acceptance?: string[];
  check?: string[];
  evidenceRoot?: string;
}

/** `govern task add <workplan> <title>`: a new task section at the end of a workplan's tasks. */
export async function addTaskCommand(ctx: CommandContext, workplan: string, title: string, opts: AddTaskCliOptions): Promise<number> {
  return structureWrite(ctx, opts, workplan, (ws, common) => {
    const status = opts.status === undefined ? undefined : parseStatus(opts.status, ws);
    return addTask({
      ...common,
      workplan,
      title,
      ...(opts.id ? { id: opts.id } : {}),
      ...(opts.localId ? { localId: opts.localId } : {}),
      ...(status ? { status } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
      ...(opts.dependsOn ? { dependsOn: splitIds(opts.dependsOn) } : {}),
      ...(opts.acceptance ? { acceptance: opts.acceptance } : {}),
      ...(opts.check ? { checks: opts.check } : {}),
      ...(opts.evidenceRoot ? { evidenceRoot: opts.evidenceRoot } : {}),
      force: opts.force === true,
    });
  });
}

export interface EditAcceptanceCliOptions extends StructureCliOptions {
  add?: string[];
  remove?: number[];
  replace?: string[];
}

/** `--replace 2="new text"`: the criterion number and its new text. */
function parseReplace(raw: string): { index: number; text: string } {
  const m = /^(\d+)=(.*)$/s.exec(raw);
  if (!m) throw new UsageError(`--replace takes <n>=<text> (the criterion's number in \`task show\`, then its new text), not "${raw}"`);
  return { index: Number(m[1]), text: m[2]! };
}

/** `govern task edit-acceptance <id>`: add, remove or reword acceptance criteria. */
export async function editAcceptanceCommand(ctx: CommandContext, id: string, opts: EditAcceptanceCliOptions): Promise<number> {
  const replace = (opts.replace ?? []).map(parseReplace);
  if (!opts.add?.length && !opts.remove?.length && !replace.length) throw new UsageError('give at least one of --add, --remove, --replace');
  return structureWrite(ctx, opts, id, (_ws, common) =>
    editAcceptance({ ...common, id, ...(opts.add ? { add: opts.add } : {}), ...(opts.remove ? { remove: opts.remove } : {}), ...(replace.length ? { replace } : {}) }),
  );
}

/** `govern task add-dep <id> <depends-on>`: one more dependency of an item. */
export async function addDepCommand(ctx: CommandContext, id: string, dependsOn: string, opts: StructureCliOptions): Promise<number> {
  return structureWrite(ctx, opts, id, (_ws, common) => addDependency({ ...common, id, dependsOn, force: opts.force === true }));
}

/** `--depends-on A,B --depends-on C`: ids given either way. */
function splitIds(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
