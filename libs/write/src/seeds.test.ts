import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileProfile, DEFAULT_PROFILE, parseDocument, type Status } from '@govern/workplan';
import { describe, expect, test } from 'vitest';
import { planStatusEdit } from './edit.js';
import { WriteError } from './errors.js';

// Every status of every item of the user's real documents (the seed copies kept as
// fixtures of @govern/workplan), rewritten one at a time, also as CRLF with a BOM:
// the result reads back with that one status changed and every other item as it
// was, and only the lines a status write may touch differ.

const P = compileProfile(DEFAULT_PROFILE);
const DIR = fileURLToPath(new URL('../../workplan/src/__fixtures__/', import.meta.url));
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.md'));
const NOW = new Date('2026-11-21T00:00:00Z');

function variants(text: string): [string, string][] {
  return [
    ['lf', text],
    ['crlf+bom', `\uFEFF${text.replace(/\r?\n/g, '\r\n')}`],
  ];
}

// The largest seed takes ~2 s per variant on an idle machine; allow for a loaded one.
describe.each(FILES)('%s', { timeout: 60_000 }, (name) => {
  const original = fs.readFileSync(`${DIR}${name}`, 'utf8');
  test.each(variants(original))('%s: every item, one write at a time', (_label, text) => {
    const file = `docs/${name}`;
    const { document } = parseDocument({ file, text }, P);
    const items = document!.items.filter((i) => i.statusSource && i.statusText);
    // Items without a written status (seed 002 has none) are refused, never guessed.
    for (const item of document!.items.filter((i) => !items.includes(i))) {
      expect(() => planStatusEdit(text, document!, item, 'blocked', P, NOW)).toThrow(expect.objectContaining({ code: 'status-token-missing' }));
    }
    const before = text.split('\n');
    let written = 0;
    for (const item of items) {
      const to: Status = item.status === 'blocked' ? 'planned' : 'blocked';
      let out: string;
      try {
        out = planStatusEdit(text, document!, item, to, P, NOW).text;
      } catch (err) {
        // A checkbox cannot hold `blocked`; that refusal is the only acceptable one.
        expect(err).toBeInstanceOf(WriteError);
        expect((err as WriteError).code).toBe('status-unwritable');
        continue;
      }
      written++;
      const after = parseDocument({ file, text: out }, P).document!;
      expect(after.items.map((i) => [i.id, i.id === item.id ? to : i.status])).toEqual(document!.items.map((i) => [i.id, i.id === item.id ? to : i.status]));
      expect([after.bom, after.lineEnding]).toEqual([document!.bom, document!.lineEnding]);
      const lines = out.split('\n');
      expect(lines.length).toBe(before.length);
      const changed = lines.flatMap((l, i) => (l === before[i] ? [] : [i + 1]));
      const allowed = (n: number) =>
        n === item.statusSource!.line || /^\s*\|/.test(before[n - 1]!) || /^(updated|last_updated|updated_at):/.test(before[n - 1]!);
      expect(changed.filter((n) => !allowed(n))).toEqual([]);
      expect(changed).toContain(item.statusSource!.line);
    }
    if (items.length) expect(written).toBeGreaterThan(0);
  });
});
