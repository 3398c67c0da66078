import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, type CompiledProfile, type ParseOptions, type ParseResult } from '@govern/workplan';

export interface ParsedFile {
  file: string;
  size: number;
  mtimeMs: number;
  hash: string;
  result: ParseResult;
}

/**
 * sha256 (hex) of a file's bytes. The one-shot `crypto.hash` (Node ≥ 20.12; the package
 * needs ≥ 20.19) skips the Hash object `createHash` builds per file, a visible share of a
 * cold parse of small files.
 */
export function hashText(buf: Buffer): string {
  return crypto.hash('sha256', buf, 'hex');
}

/**
 * Reads, hashes and parses one file; an unreadable file becomes a diagnostic.
 * `defaultId`: the document id when its front matter names none (see `SourceFile.defaultId`).
 */
export function readAndParse(root: string, rel: string, profile: CompiledProfile, options: ParseOptions = {}, defaultId?: string): ParsedFile {
  const abs = path.join(root, rel);
  try {
    const st = fs.statSync(abs);
    const buf = fs.readFileSync(abs);
    return { file: rel, size: st.size, mtimeMs: st.mtimeMs, hash: hashText(buf), result: parseBuffer(rel, buf, profile, options, defaultId) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return {
      file: rel,
      size: -1,
      mtimeMs: -1,
      hash: '',
      result: { document: null, diagnostics: [{ severity: 'error', code: 'file-unreadable', message: `cannot read file: ${code}`, file: rel, line: 1, column: 1 }] },
    };
  }
}

export function parseBuffer(rel: string, buf: Buffer, profile: CompiledProfile, options: ParseOptions = {}, defaultId?: string): ParseResult {
  const text = buf.toString('utf8');
  const result = parseDocument({ file: rel, text, ...(defaultId !== undefined ? { defaultId } : {}) }, profile, options);
  if (text.includes('\uFFFD') && !buf.includes(Buffer.from('\uFFFD'))) {
    result.diagnostics.push({ severity: 'warning', code: 'file-encoding', message: 'file is not valid UTF-8; invalid bytes were replaced', file: rel, line: 1, column: 1 });
  }
  return result;
}
