// What bench/incremental.mjs and bench/mcp.mjs share: their argument parsing, the private
// copy of the built CLI they run, and the generated corpus they reuse.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus, readManifest } from '../generate-corpus.mjs';

/** The repository root. */
export const ROOT = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));

/**
 * A usage function for `script` (e.g. `bench/mcp.mjs`): with a message it prints it and
 * the usage line and exits 2 (a usage problem), without one (--help) it prints the usage
 * line and exits 0.
 */
export function usageOf(script, line) {
  return (msg) => {
    if (msg) process.stderr.write(`${script}: ${msg}\n`);
    process.stderr.write(`${line}\n`);
    process.exit(msg ? 2 : 0);
  };
}

/**
 * Parses `argv` into a copy of `defaults`. `flags` maps an option to `[key, kind]`: kind
 * 'int' (a positive integer follows), 'dir' (a path follows, resolved), or a value the key
 * is set to (`true` for --json, `false` for --no-cli). --help and -h print the usage.
 */
export function parseArgs(argv, defaults, flags, usage) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const spec = Object.hasOwn(flags, a) ? flags[a] : undefined;
    if (a === '--help' || a === '-h') usage(null);
    else if (!spec) usage(`unknown option ${a}`);
    else if (spec[1] === 'int') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) usage(`${a} needs a positive integer`);
      o[spec[0]] = n;
    } else if (spec[1] === 'dir') o[spec[0]] = path.resolve(argv[++i] ?? usage(`${a} needs a directory`));
    else o[spec[0]] = spec[1];
  }
  return o;
}

/**
 * Copies a built CLI (`cli`: a directory holding bin/ and dist/) to a private directory
 * under the git-ignored bench/.corpus/ (so its imports still resolve through the
 * repository's node_modules): the CLI keys its cache by its bundle's size and mtime, and a
 * rebuild during the benchmark would otherwise change what runs. Returns the copy's
 * directory; the caller removes it.
 */
export function copyCli(cli, label) {
  const copy = path.join(ROOT, 'bench', '.corpus', `${label}-cli-${process.pid}`);
  for (const d of ['bin', 'dist']) fs.cpSync(path.join(cli, d), path.join(copy, d), { recursive: true });
  return copy;
}

/** Generates `docs` documents into `dir` with bench/generate-corpus.mjs unless it already holds that many. */
export function prepareCorpus(dir, docs, log) {
  if (readManifest(dir)?.count === docs) return;
  log(`generating ${docs} documents in ${dir}`);
  generateCorpus(dir, docs);
}
