import { z } from 'zod';
import { CONTRACTS_PACKAGE, contractsPin, type ContractsPin } from './registry.js';

/**
 * Consumer pins (seed 002 K0: "pin the SSOT versions consumed"). A consumer of
 * this package (the memory store, the binder) checks in a pin file naming the
 * version and manifest hash it was written against, and a test that compares it
 * with {@link contractsPin}. When this package changes, every consumer's test
 * fails until someone reads the change, adapts the consumer and bumps its pin;
 * and a pin is valid only when docs/contracts.md carries a migration note for
 * the version it names (the version and the first 12 hex digits of its hash in
 * a `###` heading under `## Migration notes`). Pure: the caller reads the files.
 */

export const PinSchema = z
  .object({
    $comment: z.string().optional(),
    package: z.literal(CONTRACTS_PACKAGE),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a semver version (1.2.3)'),
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'the manifest sha256: 64 lowercase hex digits'),
  })
  .strict();
export type Pin = z.infer<typeof PinSchema>;

export interface PinProblem {
  code: 'pin-invalid' | 'pin-outdated' | 'migration-note-missing';
  message: string;
}

/** The heading of the section of docs/contracts.md that holds the migration notes. */
export const MIGRATION_NOTES_HEADING = '## Migration notes';

/** The text of a consumer's pin file for `pin`, two-space JSON, newline-terminated. */
export function pinText(pin: ContractsPin, consumer: string): string {
  const $comment = `${consumer} is written against this version of ${CONTRACTS_PACKAGE}. Bump it only after reading libs/contracts/CHANGELOG.md and the migration note in docs/contracts.md; the test fails until both agree.`;
  return `${JSON.stringify({ $comment, package: CONTRACTS_PACKAGE, version: pin.version, hash: pin.hash }, null, 2)}\n`;
}

/**
 * The `###` headings of the migration-notes section that name `version` (as a
 * whole version, so 1.0.0 does not match 11.0.0) and the first 12 hex digits of
 * `hash`. An empty list: no note.
 */
export function migrationNotesFor(markdown: string, pin: ContractsPin): string[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === MIGRATION_NOTES_HEADING);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  const version = new RegExp(`(^|[^\\d.])${pin.version.replace(/\./g, '\\.')}($|[^\\d.])`);
  const short = pin.hash.slice(0, 12);
  return section.filter((l) => l.startsWith('### ') && version.test(l) && l.includes(short));
}

/**
 * Compares a consumer's pin (the parsed pin file) with the current pin, and
 * checks that the migration notes (docs/contracts.md's text) name the pinned
 * version and hash. Each problem says what to do. No problem: the consumer is
 * pinned to what it runs against.
 */
export function checkPin(pin: unknown, opts: { consumer: string; pinFile: string; migrationNotes: string; current?: ContractsPin }): PinProblem[] {
  const current = opts.current ?? contractsPin();
  const bump = `${opts.pinFile} must contain:\n${pinText(current, opts.consumer)}`;
  const parsed = PinSchema.safeParse(pin);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(pin)'}: ${i.message}`).join('; ');
    return [{ code: 'pin-invalid', message: `${opts.pinFile} is not a pin of ${CONTRACTS_PACKAGE} (${why}); ${bump}` }];
  }
  const problems: PinProblem[] = [];
  const p = parsed.data;
  if (p.version !== current.version || p.hash !== current.hash) {
    problems.push({
      code: 'pin-outdated',
      message:
        `${opts.consumer} pins ${CONTRACTS_PACKAGE} ${p.version} (${p.hash.slice(0, 12)}) but the package is ${current.version} (${current.hash.slice(0, 12)}). ` +
        `To bump: read libs/contracts/CHANGELOG.md and the migration note for ${current.version} in docs/contracts.md, adapt ${opts.consumer} and its tests, then ${bump}`,
    });
  }
  if (migrationNotesFor(opts.migrationNotes, p).length === 0) {
    problems.push({
      code: 'migration-note-missing',
      message: `docs/contracts.md has no migration note for ${p.version} (${p.hash.slice(0, 12)}): add a "### ${p.version} (manifest ${p.hash.slice(0, 12)})" entry under "${MIGRATION_NOTES_HEADING}" saying what changed and what a consumer must do`,
    });
  }
  return problems;
}
