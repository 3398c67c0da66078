import fs from 'node:fs';
import path from 'node:path';
import { explainFile, type FileExplanation, type Workspace } from '@govern/workspace';
import { openWorkspace, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, statusCell, summaryLine, type Colors } from '../render.js';

/**
 * `govern explain FILE`: how govern reads one document — its id and family and why,
 * every item with where its status and dependencies come from, what was read, what
 * was skipped and why, and the profile rule that would read it. The explanation is
 * @govern/workspace's `explainFile` (the parser's own notes); this command only finds
 * the file and renders it. `--json` prints that object. Exit 1 when the file has an
 * error diagnostic.
 */
export async function explainCommand(ctx: CommandContext, file: string, opts: CommonOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const e = explainFile(ws, resolveFile(ctx, ws, file));
  const code = e.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, e);
    return code;
  }
  ctx.stdout.write(renderExplanation(e, colorsFor(ctx, opts)));
  return code;
}

/**
 * The file `arg` names, relative to the root: a path from the working directory, else
 * from the root, else the file of the document with that id. Anything else, or a file
 * outside the root, is a usage error.
 */
export function resolveFile(ctx: CommandContext, ws: Pick<Workspace, 'root' | 'documents'>, arg: string): string {
  const inRoot = (abs: string) => {
    const rel = path.relative(ws.root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new UsageError(`${arg}: not a file inside the root ${ws.root}`, { file: arg, root: ws.root });
    return rel.split(path.sep).join('/');
  };
  for (const abs of [path.resolve(ctx.cwd, arg), path.resolve(ws.root, arg)]) {
    if (isFile(abs)) return inRoot(abs);
  }
  const doc = ws.documents.find((d) => d.id === arg);
  if (doc) return doc.file;
  throw new UsageError(`${arg}: no such file (from ${ctx.cwd} or the root ${ws.root}), and no document has that id`, { file: arg });
}

function isFile(abs: string): boolean {
  try {
    return fs.statSync(abs).isFile();
  } catch {
    return false;
  }
}

const FROM: Record<FileExplanation['items'][number]['from'], string> = {
  'front-matter': 'from the front matter',
  heading: 'from a heading',
  'table-row': 'from a table row',
  'list-line': 'from a list line',
  other: '',
};

const VIA: Record<NonNullable<FileExplanation['items'][number]['statusFrom']>['via'], string> = {
  'front-matter': 'the front matter',
  metadata: 'its metadata',
  'status-line': 'a Status: line',
  heading: 'the heading',
  'table-cell': 'a table cell',
  checkbox: 'its checkbox',
  'list-mark': 'its status mark',
  other: 'the text',
};

/** The explanation as text: one section per question, positions as `line:column`. */
export function renderExplanation(e: FileExplanation, c: Colors): string {
  let out = `${c.bold(e.file)}  ${e.discovered ? c.dim('(read by govern)') : c.yellow('(not discovered: govern does not read this file; add a glob for it to `include:` in govern.config.yaml)')}\n`;
  const d = e.document;
  if (d) {
    out += `  id       ${c.bold(d.id)}  ${c.dim(`— ${d.idReason}`)}\n`;
    out += `  family   ${c.bold(d.family)}  ${c.dim(`— ${d.reason}`)}\n`;
    const others = d.signals.filter((s) => s.family !== d.family);
    for (const s of others) out += c.dim(`           also holds ${s.family} structure: ${s.reason}${s.line !== null ? ` at line ${s.line}` : ''}\n`);
  } else {
    out += c.yellow('  not read as a document (see the diagnostics)\n');
  }

  out += `\n${c.bold(`Items (${e.items.length})`)}\n`;
  if (!e.items.length) out += c.dim('  none\n');
  for (const it of e.items) {
    out += `  ${c.dim(pad(`${it.line}:${it.column}`, 8))}${c.bold(it.id)}  ${it.kind} ${FROM[it.from]}  ${statusCell(it.status, c)}`;
    if (it.statusFrom) out += c.dim(`  ${JSON.stringify(it.statusText)} from ${VIA[it.statusFrom.via]} at ${it.statusFrom.line}:${it.statusFrom.column}`);
    out += '\n';
    for (const dep of it.dependencies) out += c.dim(`          depends on ${dep.id} (${dep.origin}, ${dep.line}:${dep.column})\n`);
  }

  if (e.read.length) {
    out += `\n${c.bold('Read')}\n`;
    for (const r of e.read) {
      const items = r.items.length ? c.dim(` → ${r.items.length > 8 ? `${r.items.slice(0, 8).join(', ')}, … (${r.items.length})` : r.items.join(', ')}`) : '';
      out += `  ${c.dim(pad(`line ${r.line}`, 10))}${r.kind}: ${r.reason}${items}\n`;
    }
  }

  out += `\n${c.bold(`Skipped (${e.skipped.length})`)}\n`;
  if (!e.skipped.length) out += c.dim('  nothing that looks like tracking\n');
  for (const s of e.skipped) {
    const where = s.lines.length > 1 ? `lines ${s.lines.length > 6 ? `${s.lines.slice(0, 6).join(', ')}, …` : s.lines.join(', ')}` : `line ${s.line}`;
    out += `  ${c.dim(pad(where, 10))}${s.kind}: ${s.text}\n`;
    out += `            ${s.reason}  ${c.dim(s.code)}\n`;
    if (s.rule) out += `            ${c.cyan(`→ ${s.rule}`)}\n`;
  }

  if (e.nothingToTrack) {
    out += `\n${c.bold(c.yellow('Nothing to track.'))} Looked for:\n`;
    for (const l of e.nothingToTrack.lookedFor) out += `  - ${l}\n`;
  }

  out += `\n${c.bold('Diagnostics')}\n`;
  for (const diag of e.diagnostics) out += formatDiagnostic(diag, c);
  out += `${summaryLine(e.diagnostics, c)}\n`;
  return out;
}

/** A column of the text output: padded to `width`, and never run into the next column (`lines 4, 5list:` before). */
const pad = (s: string, width: number) => s.padEnd(Math.max(width, s.length + 1));
