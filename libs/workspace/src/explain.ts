import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { explainDocument, ExplanationSchema, type Explanation } from '@govern/workplan';
import type { Workspace } from './load.js';

/** `govern explain`'s answer: the parser's explanation of one file, and whether the root's discovery reads it at all. */
export const FileExplanationSchema = ExplanationSchema.extend({
  /**
   * Whether discovery finds the file (the default folders and the include globs, minus
   * the excludes): when false, govern never reads it, whatever it holds.
   */
  discovered: z.boolean(),
});
export type FileExplanation = z.infer<typeof FileExplanationSchema>;

/**
 * Explains one file of a root as the workspace reads it: with its profile, and with the
 * document id the workspace gives it (its path when another file has the same name). A
 * file that cannot be read is a `file-unreadable` diagnostic, not an exception.
 *
 * @param rel the file, relative to `ws.root`, `/`-separated
 */
export function explainFile(ws: Pick<Workspace, 'root' | 'profile' | 'hashes' | 'pathIds'>, rel: string): FileExplanation {
  const discovered = ws.hashes.has(rel) || ws.pathIds.has(rel);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(ws.root, rel));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return {
      file: rel,
      document: null,
      items: [],
      read: [],
      skipped: [],
      nothingToTrack: null,
      diagnostics: [{ severity: 'error', code: 'file-unreadable', message: `cannot read file: ${code}`, file: rel, line: 1, column: 1 }],
      discovered,
    };
  }
  const text = buf.toString('utf8');
  const defaultId = ws.pathIds.get(rel);
  const explanation: Explanation = explainDocument({ file: rel, text, ...(defaultId !== undefined ? { defaultId } : {}) }, ws.profile);
  // As parse-files.ts does for every discovered file.
  if (text.includes('\uFFFD') && !buf.includes(Buffer.from('\uFFFD'))) {
    explanation.diagnostics.push({ severity: 'warning', code: 'file-encoding', message: 'file is not valid UTF-8; invalid bytes were replaced', file: rel, line: 1, column: 1 });
  }
  return { ...explanation, discovered };
}
