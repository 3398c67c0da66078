import type { Workspace } from '@govern/workspace';
import type { Diagnostic } from '@govern/workplan';
import { UsageError } from './context.js';

// What `status`, `graph` and `next` share for `--doc` and `--limit`: which document was
// asked for, the diagnostics of that document alone, and the sentences that say what a
// bounded output left out and how to see it.

/** The document `--doc` names: a path relative to the root (`./` allowed) or a document id. */
export interface DocScope {
  file: string;
  id: string;
}

/**
 * The document `--doc` names, or undefined without `--doc`. A value that names no
 * document is a usage error (exit 2): a typo must not print an empty answer that
 * looks like "nothing to do". `documents` (default `ws.documents`): the documents' files
 * and ids, for a command that reads them from `ws.itemIndex()` instead.
 */
export function resolveDoc(ws: Workspace, doc: string | undefined, documents?: readonly { file: string; id: string }[]): DocScope | undefined {
  if (doc === undefined) return undefined;
  const wanted = doc.replace(/\\/g, '/').replace(/^\.\//, '');
  const docs = documents ?? ws.documents;
  const found = docs.find((d) => d.file === wanted) ?? docs.find((d) => d.id === wanted);
  if (found) return { file: found.file, id: found.id };
  // A discovered file that did not parse into a document still has diagnostics to show.
  if (ws.hashes.has(wanted) || ws.diagnostics.some((d) => d.file === wanted)) return { file: wanted, id: wanted };
  throw new UsageError(`--doc ${doc}: no document with that path (relative to the root) or id`, { doc });
}

/** Diagnostics in scope (all without `--doc`, that document's with it) and how many others were left out. */
export interface ScopedDiagnostics {
  shown: Diagnostic[];
  /** Diagnostics of other documents (and of the configuration) that `--doc` left out. */
  elsewhere: number;
}

/** The diagnostics of `scope`'s document, or every diagnostic without a scope. */
export function scopeDiagnostics(diagnostics: Diagnostic[], scope: DocScope | undefined): ScopedDiagnostics {
  if (!scope) return { shown: diagnostics, elsewhere: 0 };
  const shown = diagnostics.filter((d) => d.file === scope.file);
  return { shown, elsewhere: diagnostics.length - shown.length };
}

/** The exit code of a (possibly scoped) run: 1 when a diagnostic in scope is an error. */
export function exitCodeOf(diagnostics: Diagnostic[]): number {
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** `1 diagnostic` / `2 diagnostics`, with thousands separated. */
export function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** The sentence a `--doc` run prints when it left other documents' diagnostics out. */
export function elsewhereLine(elsewhere: number): string {
  return `${count(elsewhere, 'diagnostic')} of other documents left out (--doc); govern validate lists every one`;
}

/**
 * Why a run exits 1 when what it printed does not show the errors (`next`, a diagram):
 * how many error diagnostics, and in which files (the first three, with counts), and
 * how to see them. Undefined when there is no error.
 */
export function errorsReason(diagnostics: Diagnostic[], scope: DocScope | undefined): string | undefined {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!errors.length) return undefined;
  const byFile = new Map<string, number>();
  for (const d of errors) byFile.set(d.file, (byFile.get(d.file) ?? 0) + 1);
  const files = [...byFile].slice(0, 3).map(([f, n]) => `${f} (${n})`);
  const more = byFile.size > 3 ? `, and ${count(byFile.size - 3, 'other file')}` : '';
  const see = scope ? `govern graph --doc ${scope.file}` : 'govern validate';
  return `exit 1: ${count(errors.length, 'error diagnostic')} in ${files.join(', ')}${more}; ${see} shows them`;
}
