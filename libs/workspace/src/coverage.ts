import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '@govern/workplan';
import { CONFIG_FILE, DEFAULT_FOLDERS } from './config.js';
import type { Workspace } from './load.js';

/** At most this many documents are named in `root-untracked`'s related list. */
const MAX_NAMED = 20;

/**
 * Whether the root tracks anything: no document found (`root-empty`), or documents of
 * which none holds an item (`root-untracked`). Each is a warning, or an error when
 * `strict` (`govern validate --strict`), so that CI does not pass while tracking nothing.
 * Positioned at govern.config.yaml, where discovery is configured. Empty when the graph
 * has an item.
 */
export function rootCoverage(ws: Pick<Workspace, 'root' | 'config' | 'stats' | 'documents' | 'hasItems'>, strict: boolean): Diagnostic[] {
  if (ws.stats.files > 0 && ws.hasItems()) return [];
  const severity = strict ? 'error' : 'warning';
  const hasConfig = fs.existsSync(path.join(ws.root, CONFIG_FILE));
  const globs = ws.config.include.length ? ws.config.include.map((g) => `\`${g}\``).join(', ') : 'none';
  const where = `${DEFAULT_FOLDERS.map((d) => `${d}/`).join(' and ')} (*.md, recursively) and the include globs of ${CONFIG_FILE} (${globs})`;
  if (ws.stats.files === 0) {
    return [
      {
        severity,
        code: 'root-empty',
        message: `no documents found: govern reads ${where}`,
        file: CONFIG_FILE,
        line: 1,
        column: 1,
        note: hasConfig ? 'add an `include:` glob for your planning documents' : `create ${CONFIG_FILE} with an \`include:\` glob for your planning documents`,
      },
    ];
  }
  const docs = [...ws.documents].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return [
    {
      severity,
      code: 'root-untracked',
      message: `${ws.stats.files} document${ws.stats.files === 1 ? '' : 's'} found, none with anything to track: no milestone, task or workplan in any`,
      file: CONFIG_FILE,
      line: 1,
      column: 1,
      note: 'run `govern explain <file>` to see what each file holds and which profile rule would read it',
      related: docs.slice(0, MAX_NAMED).map((d) => ({ file: d.file, line: 1, column: 1, message: d.family === 'unknown' ? 'nothing to track' : `a ${d.family} without items` })),
    },
  ];
}
