/**
 * Test support for the @govern/workplan tests (not a test file itself).
 *
 * Positions in expectations are computed from the fixture text with `at()`,
 * never copied from parser output: `at(text, line, needle)` is where `needle`
 * starts on that 1-based line (1-based column, UTF-16 code units).
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Item } from '../model.js';
import { compileProfile, DEFAULT_PROFILE, type CompiledProfile } from '../profile.js';
import { parseDocument } from '../parse.js';
import { newItem } from '../families/common.js';

export const P: CompiledProfile = compileProfile(DEFAULT_PROFILE);

export function parse(text: string, file = 'doc.md', profile: CompiledProfile = P) {
  return parseDocument({ file, text }, profile);
}

/** Strips the leading newline of a template literal, so line 1 is the first line written. */
export function md(s: string): string {
  return s.startsWith('\n') ? s.slice(1) : s;
}

/** 1-based number of the first line that contains `needle` (after line `after`). */
export function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split(/\r?\n/);
  for (let i = after; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`fixture has no line containing ${JSON.stringify(needle)} after line ${after}`);
}

/** Position of the `nth` (0-based) occurrence of `needle` on 1-based `line`. */
export function at(text: string, line: number, needle: string, nth = 0): { line: number; column: number } {
  const l = text.split(/\r?\n/)[line - 1];
  if (l === undefined) throw new Error(`fixture has no line ${line}`);
  let idx = -1;
  for (let k = 0; k <= nth; k++) {
    idx = l.indexOf(needle, idx + 1);
    if (idx < 0) throw new Error(`line ${line} has no occurrence #${nth} of ${JSON.stringify(needle)}: ${l}`);
  }
  return { line, column: idx + 1 };
}

/**
 * Position of the content of table cell `n` (0-based, the first cell is 0) on 1-based `line`:
 * the first non-blank character after the n+1-th `|`.
 */
export function cellAt(text: string, line: number, n: number): { line: number; column: number } {
  const l = text.split(/\r?\n/)[line - 1];
  if (l === undefined) throw new Error(`fixture has no line ${line}`);
  let idx = -1;
  for (let k = 0; k <= n; k++) {
    idx = l.indexOf('|', idx + 1);
    if (idx < 0) throw new Error(`line ${line} has no cell ${n}: ${l}`);
  }
  idx++;
  while (l[idx] === ' ') idx++;
  return { line, column: idx + 1 };
}

/** Position of `needle` on the first line containing `lineNeedle` (default: needle itself). */
export function find(text: string, needle: string, lineNeedle = needle, nth = 0): { line: number; column: number } {
  return at(text, lineOf(text, lineNeedle), needle, nth);
}

/** Every field of an Item with the defaults a parser leaves untouched; override what the fixture says. */
export function item(fields: Partial<Item> & Pick<Item, 'id' | 'kind' | 'title' | 'line' | 'column'>): Item {
  return newItem({ localId: fields.id, ...fields });
}

/** mulberry32: a tiny seeded PRNG, so a failing generated input can be reproduced from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A message matcher: exact wording is the owner's choice, but it must name these things. */
export function mentions(...parts: string[]): unknown {
  return expect.stringMatching(new RegExp(parts.map((p) => `(?=[\\s\\S]*${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`).join('')));
}

export const FIXTURES = new URL('./', import.meta.url);
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}
