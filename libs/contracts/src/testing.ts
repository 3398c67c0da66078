import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PACKAGE_DIRS } from './artifacts.js';
import { generatedFilesOnDisk, writeGeneratedFiles } from './json-schema.js';
import { checkPin, type PinProblem } from './pins.js';
import { contractNamed, CONTRACTS_VERSION, type ContractsPin } from './registry.js';

/**
 * `@govern/contracts/testing`: what this package gives its consumers' tests
 * (seed 002 Workstream B: "provide compatibility fixtures for contract tests").
 * It reads this package's files, so it is test support, not library code.
 *
 * - {@link compatibilityFixtures}: the checked-in fixtures of the current major
 *   version, each with the result it must give: valid ones their parsed output,
 *   invalid ones every issue (path and message). A consumer runs them against
 *   the schemas it imports, so a change in what it accepts shows in its own test.
 * - {@link checkConsumerPin}: a consumer's pin file against {@link contractsPin}
 *   and the migration notes in docs/contracts.md.
 * - {@link assertGeneratedFiles}: the drift test of a directory of checked-in
 *   generated files (JSON Schema artifacts), naming the command that rewrites it.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (libs/contracts/src → ../../..). */
export const REPO_ROOT = path.resolve(here, '../../..');
export const MIGRATION_NOTES_FILE = 'docs/contracts.md';

const Issue = z.object({ path: z.array(z.union([z.string(), z.int()])), message: z.string() }).strict();
export type FixtureIssue = z.infer<typeof Issue>;

/** `fixtures/v<major>/index.json`: every fixture file with the contract it is for and the result it must give. */
export const FixtureIndexSchema = z
  .object({
    $comment: z.string().optional(),
    fixtures: z.array(
      z.discriminatedUnion('valid', [
        z.object({ file: z.string().regex(/^valid\/[a-z0-9.-]+\.json$/), contract: z.string(), valid: z.literal(true), output: z.unknown().optional(), about: z.string() }).strict(),
        z.object({ file: z.string().regex(/^invalid\/[a-z0-9.-]+\.json$/), contract: z.string(), valid: z.literal(false), issues: z.array(Issue).min(1), about: z.string() }).strict(),
      ]),
    ),
  })
  .strict();

/** What a fixture must give when parsed: its output, or every issue. */
export type FixtureResult = { valid: true; output: unknown } | { valid: false; issues: FixtureIssue[] };

export interface CompatibilityFixture {
  /** The file, relative to `fixtures/v<major>/`, e.g. `invalid/task-spec.missing-target-id.json`. */
  file: string;
  /** The registry name of the contract it is for. */
  contract: string;
  /** The contract's version in the registry. */
  version: number;
  /** What the fixture shows, in one sentence. */
  about: string;
  input: unknown;
  expected: FixtureResult;
}

/** The major version of a semver version. */
const major = (v: string) => Number(v.split('.')[0]);

/**
 * The compatibility fixtures of this package's major version, in index order.
 * A fixture whose index entry is malformed, whose file is missing or whose
 * contract is not in the registry is an error here: that is this package's bug,
 * caught by its own test before any consumer sees it.
 */
export function compatibilityFixtures(fixturesDir: string = PACKAGE_DIRS.fixtures, version: string = CONTRACTS_VERSION): CompatibilityFixture[] {
  const dir = path.join(fixturesDir, `v${major(version)}`);
  const index = FixtureIndexSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')));
  return index.fixtures.map((f) => {
    const entry = contractNamed(f.contract);
    if (!entry) throw new Error(`fixture ${f.file}: no contract named ${f.contract}`);
    const input: unknown = JSON.parse(fs.readFileSync(path.join(dir, f.file), 'utf8'));
    // A valid fixture without `output` parses to itself (no defaults, no transform).
    const expected: FixtureResult = f.valid ? { valid: true, output: f.output === undefined ? input : f.output } : { valid: false, issues: f.issues };
    return { file: f.file, contract: f.contract, version: entry.version, about: f.about, input, expected };
  });
}

/**
 * What `schema` (by default the registry's schema of the fixture's contract)
 * gives for the fixture's input, in the shape of {@link FixtureResult}, so a
 * test can assert `expect(runFixture(f)).toEqual(f.expected)` on the whole result.
 */
export function runFixture(f: CompatibilityFixture, schema: z.ZodType = contractNamed(f.contract)!.schema): FixtureResult {
  const r = schema.safeParse(f.input);
  if (r.success) return { valid: true, output: r.data };
  return { valid: false, issues: r.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message })) };
}

/**
 * Checks a consumer's pin file (`pinFile`, relative to the repository root)
 * against the current pin and the migration notes of docs/contracts.md.
 * A missing or unreadable file is a `pin-invalid` problem, not an exception.
 */
export function checkConsumerPin(opts: { consumer: string; pinFile: string; root?: string; current?: ContractsPin }): PinProblem[] {
  const root = opts.root ?? REPO_ROOT;
  const notesFile = path.join(root, MIGRATION_NOTES_FILE);
  const migrationNotes = fs.existsSync(notesFile) ? fs.readFileSync(notesFile, 'utf8') : '';
  let pin: unknown;
  try {
    pin = JSON.parse(fs.readFileSync(path.join(root, opts.pinFile), 'utf8'));
  } catch {
    // Missing or not JSON: no pin, which checkPin reports with the text to write.
    pin = undefined;
  }
  return checkPin(pin, { consumer: opts.consumer, pinFile: opts.pinFile, migrationNotes, ...(opts.current ? { current: opts.current } : {}) });
}

export interface GeneratedFilesCheck {
  /** The checked-in directory; it must hold exactly `files`. */
  dir: string;
  /** Every file the code generates now, by name, with its text. */
  files: Readonly<Record<string, string>>;
  /** The command that rewrites the directory, named in the failure (`npm run schemas -w @govern/adapter-kit`). */
  command: string;
  /** The environment variable under which the check first rewrites the directory (the command sets it to `1`). */
  writeEnv: string;
}

/**
 * The drift test of a directory of generated files: fails, with a diff and the
 * command to run, unless the directory holds exactly what the code generates
 * now (a stale file, a missing one and one the code no longer generates all
 * fail). With `writeEnv` set to `1` it first rewrites the files, so the command
 * is this same test.
 */
export function assertGeneratedFiles(check: GeneratedFilesCheck): void {
  if (process.env[check.writeEnv] === '1') writeGeneratedFiles(check.dir, check.files);
  const expected = Object.fromEntries(Object.keys(check.files).sort().map((f) => [f, check.files[f]!]));
  assert.deepEqual(generatedFilesOnDisk(check.dir), expected, `${path.relative(REPO_ROOT, check.dir) || check.dir} drifted from the code: run \`${check.command}\``);
}
