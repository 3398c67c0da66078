import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { compareChanges, diffDocumentsWithDiagnostics, diffWorkspaces, type DiffChange, type DiffKind, type DiffResult } from '@govern/graph';
import { compareDiagnostics, parseDocument, pathDocumentIds, type CompiledProfile, type Diagnostic, type WorkDocument } from '@govern/workplan';
import { DEFAULT_FOLDERS, discover, loadConfig, type Config } from '@govern/workspace';
import { UsageError, resolveRoot, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { colorsFor, formatDiagnostic, table, type Colors } from '../render.js';

const GIT_ENV = { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
const WORKING_TREE = 'working tree';

/**
 * `govern diff <a> [b]`: what changed in the documents between two git
 * revisions (every document govern reads, at each revision), a revision and
 * the working tree (`b` omitted), or two files (`old.md new.md`, or blobs
 * written `rev:path`). Differences are the answer, not errors: exit 0 when the
 * comparison ran, 1 when a document failed to parse (the comparison may then
 * be incomplete), 2 on usage (an unknown revision).
 */
export function registerDiffCommand(program: Command, ctx: CommandContext, common: (cmd: Command) => Command, setExit: (code: number) => void): void {
  common(
    program
      .command('diff')
      .argument('<a>', 'the older side: a git revision (commit, branch, tag, HEAD~1), a file, or a blob written rev:path')
      .argument('[b]', 'the newer side, of the same sort (default: the working tree)')
      .description(
        'what changed in the trackers and workplans between two revisions, a revision and the working tree, or two files: items added, removed, renamed, status and dependency changes, dependency matrices, packet ids that no longer match their titles',
      ),
  )
    .addHelpText(
      'after',
      '\nExit 0 when the comparison ran (differences are not errors), 1 when a document at either side has an error diagnostic, 2 on usage (an unknown revision or file).',
    )
    .action(async (a: string, b: string | undefined, o: CommonOptions) => setExit(await diffCommand(ctx, a, b, o)));
}

/** One side of the comparison: a set of documents (a revision, the working tree) or one document. */
type Side = { kind: 'tree'; label: string; commit: string | null } | { kind: 'one'; label: string; file: string; read: () => string };

interface Read {
  documents: WorkDocument[];
  diagnostics: Diagnostic[];
}

export async function diffCommand(ctx: CommandContext, a: string, b: string | undefined, opts: CommonOptions): Promise<number> {
  const root = resolveRoot(ctx, opts.root);
  const git = new Git(root);
  const sideA = resolveSide(ctx, git, a);
  const sideB: Side = b === undefined ? { kind: 'tree', label: WORKING_TREE, commit: null } : resolveSide(ctx, git, b);
  if (sideA.kind !== sideB.kind) {
    const [one, tree] = sideA.kind === 'one' ? [a, b ?? WORKING_TREE] : [b!, a];
    throw new UsageError(`cannot compare one document (${one}) with a whole revision (${tree}): give two files, or two revisions`);
  }

  const loaded = loadConfig(root);
  const diagnostics: Diagnostic[] = loaded.diagnostics.filter((d) => d.severity === 'error');
  let result: DiffResult;
  let documents: number;
  if (sideA.kind === 'one' && sideB.kind === 'one') {
    const ra = readOne(sideA, loaded.profile);
    const rb = readOne(sideB, loaded.profile);
    result = diffDocumentsWithDiagnostics(ra.documents[0] ?? null, rb.documents[0] ?? null);
    diagnostics.push(...mergeSides(ra.diagnostics, sideA.label, rb.diagnostics, sideB.label));
    documents = 2;
  } else {
    const ra = readTree(root, git, sideA as Extract<Side, { kind: 'tree' }>, loaded.config, loaded.profile);
    const rb = readTree(root, git, sideB as Extract<Side, { kind: 'tree' }>, loaded.config, loaded.profile);
    result = diffWorkspaces(ra.documents, rb.documents);
    diagnostics.push(...mergeSides(ra.diagnostics, sideA.label, rb.diagnostics, sideB.label));
    documents = new Set([...ra.documents, ...rb.documents].map((d) => d.file)).size;
  }
  const changes = [...result.changes].sort(compareChanges);
  const all = [...diagnostics, ...result.diagnostics].sort(compareDiagnostics);
  const code = all.some((d) => d.severity === 'error') ? 1 : 0;
  if (opts.json) {
    writeJson(ctx, { changes, diagnostics: all });
    return code;
  }
  ctx.stdout.write(renderDiff(changes, all, sideA.label, sideB.label, documents, colorsFor(ctx, opts)));
  return code;
}

// ---------------------------------------------------------------------------
// Sides

function resolveSide(ctx: CommandContext, git: Git, arg: string): Side {
  const abs = path.resolve(ctx.cwd, arg);
  if (isFile(abs)) {
    const rel = path.relative(ctx.cwd, abs).split(path.sep).join('/');
    return { kind: 'one', label: arg, file: rel.startsWith('../') || path.isAbsolute(rel) ? abs.split(path.sep).join('/') : rel, read: () => fs.readFileSync(abs, 'utf8') };
  }
  if (arg.startsWith('-')) throw new UsageError(`unknown revision "${arg}"`);
  const top = git.topLevel();
  if (top === null) throw new UsageError(`"${arg}" is not a file, and ${git.root} is not in a git repository (so it cannot be a revision)`);
  const commit = git.commit(arg);
  if (commit) return { kind: 'tree', label: arg, commit };
  const colon = arg.indexOf(':');
  if (colon > 0 && git.blobExists(arg)) {
    return { kind: 'one', label: arg, file: arg.slice(colon + 1).replace(/^\.\//, ''), read: () => git.show(arg) };
  }
  throw new UsageError(`unknown revision "${arg}": not a commit of the repository at ${top}, and not a file`);
}

function isFile(abs: string): boolean {
  try {
    return fs.statSync(abs).isFile();
  } catch {
    return false;
  }
}

function readOne(side: Extract<Side, { kind: 'one' }>, profile: CompiledProfile): Read {
  let text: string;
  try {
    text = side.read();
  } catch (err) {
    return { documents: [], diagnostics: [unreadable(side.file, err)] };
  }
  const r = parseDocument({ file: side.file, text }, profile);
  return { documents: r.document ? [r.document] : [], diagnostics: r.diagnostics };
}

/**
 * The documents govern reads, as they are at `side.commit` (or in the working
 * tree): the default folders and the include/exclude globs of the current
 * govern.config.yaml, read with one `git ls-tree` and one `git cat-file --batch`.
 */
function readTree(root: string, git: Git, side: Extract<Side, { kind: 'tree' }>, config: Config, profile: CompiledProfile): Read {
  const documents: WorkDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  // Ids as the workspace gives them at that revision: by path where a file name repeats.
  let pathIds = new Map<string, string>();
  const add = (file: string, text: string) => {
    const defaultId = pathIds.get(file);
    const r = parseDocument({ file, text, ...(defaultId !== undefined ? { defaultId } : {}) }, profile);
    if (r.document) documents.push(r.document);
    diagnostics.push(...r.diagnostics);
  };
  if (side.commit === null) {
    const discovered = discover(root, config);
    pathIds = pathDocumentIds(discovered);
    for (const rel of discovered) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(root, rel), 'utf8');
      } catch (err) {
        diagnostics.push(unreadable(rel, err));
        continue;
      }
      add(rel, text);
    }
    return { documents, diagnostics };
  }
  const select = selector(config);
  const files = git.listBlobs(side.commit).filter((f) => select(f.rel));
  pathIds = pathDocumentIds(files.map((f) => f.rel));
  const blobs = git.readBlobs(files.map((f) => f.oid));
  files.forEach((f, i) => {
    const blob = blobs[i];
    if (blob === null || blob === undefined) diagnostics.push(unreadable(f.rel, new Error(`git has no blob ${f.oid} at ${side.label}`)));
    else add(f.rel, blob.toString('utf8'));
  });
  return { documents, diagnostics };
}

function unreadable(file: string, err: unknown): Diagnostic {
  const e = err as NodeJS.ErrnoException;
  return { severity: 'error', code: 'file-unreadable', message: `cannot read ${file}: ${e.code ?? e.message}`, file, line: 1, column: 1 };
}

/** Whether `rel` is a document govern reads, by the rules of `discover` applied to a list of paths. */
function selector(config: Config): (rel: string) => boolean {
  const include = config.include.map(globRegExp);
  const exclude = config.exclude.map(globRegExp);
  const hidden = (rel: string) => rel.split('/').some((s) => s.startsWith('.') || s === 'node_modules');
  return (rel) => {
    if (hidden(rel)) return false;
    const inFolders = rel.endsWith('.md') && DEFAULT_FOLDERS.some((d) => rel.startsWith(`${d}/`));
    if (!inFolders && !include.some((re) => re.test(rel))) return false;
    return !exclude.some((re) => re.test(rel));
  };
}

/** A glob (`**`, `*`, `?`, `{a,b}`, `[...]`) as a regular expression over `/`-separated paths. */
function globRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  const g = glob.replace(/^\.\//, '');
  for (let i = 0; i < g.length; i++) {
    const ch = g[i]!;
    if (ch === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      re += slash ? '(?:[^/]*/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) re += '|';
    else if (ch === '[') {
      const end = g.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${g.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The error diagnostics of both sides (a warning of a past revision is not this
 * command's business; an error means a document may be missing from the
 * comparison), each noting the side it is from; one found at both sides is listed once.
 */
function mergeSides(a: Diagnostic[], labelA: string, b: Diagnostic[], labelB: string): Diagnostic[] {
  const key = (d: Diagnostic) => JSON.stringify([d.file, d.line, d.column, d.code, d.message]);
  const out = new Map<string, { d: Diagnostic; sides: string[] }>();
  for (const [list, label] of [[a, labelA], [b, labelB]] as const) {
    for (const d of list) {
      if (d.severity !== 'error') continue;
      const k = key(d);
      const prior = out.get(k);
      if (prior) {
        if (!prior.sides.includes(label)) prior.sides.push(label);
      } else out.set(k, { d, sides: [label] });
    }
  }
  return [...out.values()].map(({ d, sides }) => ({ ...d, note: `in ${sides.join(' and ')}${d.note ? `; ${d.note}` : ''}` }));
}

// ---------------------------------------------------------------------------
// Git

class Git {
  private top: string | null | undefined;
  private prefix = '';

  constructor(readonly root: string) {}

  private run(args: string[], input?: string): { ok: boolean; out: Buffer; err: string } {
    const r = spawnSync('git', args, { cwd: this.root, env: GIT_ENV, input, maxBuffer: 1024 * 1024 * 1024 });
    if (r.error) {
      if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('git is not installed (or not on PATH): revisions cannot be read');
      throw r.error;
    }
    return { ok: r.status === 0, out: r.stdout, err: r.stderr.toString('utf8') };
  }

  /** The repository's top level, or null outside a repository. */
  topLevel(): string | null {
    if (this.top !== undefined) return this.top;
    const r = this.run(['rev-parse', '--show-toplevel', '--show-prefix']);
    if (!r.ok) return (this.top = null);
    const [top, prefix] = r.out.toString('utf8').split('\n');
    this.prefix = prefix ?? '';
    return (this.top = top ?? null);
  }

  /** The commit a revision names, or null. */
  commit(rev: string): string | null {
    const r = this.run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return r.ok ? r.out.toString('utf8').trim() || null : null;
  }

  blobExists(spec: string): boolean {
    const r = this.run(['cat-file', '-t', spec]);
    return r.ok && r.out.toString('utf8').trim() === 'blob';
  }

  show(spec: string): string {
    const r = this.run(['cat-file', 'blob', spec]);
    if (!r.ok) throw new Error(r.err.trim() || `git cat-file blob ${spec} failed`);
    return r.out.toString('utf8');
  }

  /** Regular files of a commit under the root, paths relative to the root. */
  listBlobs(commit: string): { rel: string; oid: string }[] {
    this.topLevel();
    const r = this.run(['ls-tree', '-r', '-z', '--full-tree', commit]);
    if (!r.ok) throw new UsageError(`cannot list the files of ${commit}: ${r.err.trim()}`);
    const out: { rel: string; oid: string }[] = [];
    for (const entry of r.out.toString('utf8').split('\0')) {
      // `<mode> <type> <oid>\t<path>`; symlinks (120000) and submodules are not documents.
      const m = /^(100644|100755) blob ([0-9a-f]+)\t([\s\S]+)$/.exec(entry);
      if (!m || !m[3]!.startsWith(this.prefix)) continue;
      out.push({ rel: m[3]!.slice(this.prefix.length), oid: m[2]! });
    }
    return out;
  }

  /** The bytes of each blob (null where git has none), with one `git cat-file --batch`. */
  readBlobs(oids: string[]): (Buffer | null)[] {
    if (!oids.length) return [];
    const r = this.run(['cat-file', '--batch'], oids.map((o) => `${o}\n`).join(''));
    if (!r.ok) throw new Error(r.err.trim() || 'git cat-file --batch failed');
    const out: (Buffer | null)[] = [];
    let pos = 0;
    for (let i = 0; i < oids.length; i++) {
      const eol = r.out.indexOf(0x0a, pos);
      if (eol < 0) break;
      const m = /^[0-9a-f]+ (\S+) (\d+)$/.exec(r.out.toString('utf8', pos, eol));
      if (!m) {
        out.push(null);
        pos = eol + 1;
        continue;
      }
      const size = Number(m[2]);
      out.push(m[1] === 'blob' ? r.out.subarray(eol + 1, eol + 1 + size) : null);
      pos = eol + 1 + size + 1;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------
// Human output

const GROUPS: { title: string; kinds: DiffKind[] }[] = [
  { title: 'documents', kinds: ['document-added', 'document-removed'] },
  { title: 'added', kinds: ['item-added'] },
  { title: 'removed', kinds: ['item-removed'] },
  { title: 'renamed', kinds: ['item-renamed'] },
  { title: 'status', kinds: ['status-changed'] },
  { title: 'dependencies', kinds: ['dependencies-changed'] },
  { title: 'matrices', kinds: ['matrix-added', 'matrix-removed', 'matrix-changed', 'matrix-cell-changed'] },
  { title: 'packet ids', kinds: ['packet-changed', 'packet-mismatch'] },
];

function renderDiff(changes: DiffChange[], diagnostics: Diagnostic[], labelA: string, labelB: string, documents: number, c: Colors): string {
  let out = `${c.bold(`${labelA} → ${labelB}`)}: ${documents} document${documents === 1 ? '' : 's'} compared\n`;
  const files = [...new Set(changes.map((x) => x.file))];
  for (const file of files) {
    out += `\n${c.bold(file)}\n`;
    const mine = changes.filter((x) => x.file === file);
    for (const g of GROUPS) {
      const rows = mine.filter((x) => g.kinds.includes(x.kind));
      if (!rows.length) continue;
      out += `  ${g.title} (${rows.length})\n`;
      out += table(rows.map((x) => [c.dim(`:${x.line}`), paint(x, c)]), c, '    ');
    }
  }
  for (const d of diagnostics) out += formatDiagnostic(d, c);
  const counts = GROUPS.map((g) => [g.title, changes.filter((x) => g.kinds.includes(x.kind)).length] as const).filter(([, n]) => n > 0);
  out += changes.length
    ? `\n${changes.length} change${changes.length === 1 ? '' : 's'}: ${counts.map(([t, n]) => `${t} ${n}`).join(', ')}\n`
    : `no changes\n`;
  return out;
}

function paint(x: DiffChange, c: Colors): string {
  switch (x.kind) {
    case 'document-added':
    case 'item-added':
    case 'matrix-added':
      return c.green(x.message);
    case 'document-removed':
    case 'item-removed':
    case 'matrix-removed':
      return c.red(x.message);
    case 'packet-mismatch':
      return c.yellow(x.message);
    default:
      return x.message;
  }
}
