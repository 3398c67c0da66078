// The release build: the installable package of govern (docs/decisions/0005-package.md).
//
//   node scripts/pack.mjs [--out DIR] [--no-tarball]      (npm run pack; Nx @govern/cli:pack)
//
// writes the package directory (default dist/package) — package.json, README.md, the bins
// `govern` and `memoryd`, and the esbuild bundles under dist/ — then runs `npm pack` in it,
// which writes dist/govern-govern-<version>.tgz (the tarball's path is the last line printed).
// The tarball installs into any repository with only Node and npm: every workspace package
// and npm dependency is bundled, except DuckDB's native addon, its one dependency.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMemoryd } from '../apps/memoryd/scripts/build.mjs';
import { buildCli } from './build-cli.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The package's name: `govern` on npm is another project's (decision 0005). */
export const PACKAGE_NAME = '@govern/govern';
/** Where the package directory goes by default; its metafiles go next to it. */
export const DEFAULT_OUT = path.join(root, 'dist/package');

const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'));

/**
 * The package.json of the release: the CLI's version, both bins, and as its only
 * dependency the native DuckDB addon at the version libs/duckdb pins. No scripts: an
 * install runs nothing of ours.
 */
export function packageJson() {
  const cli = readJson('apps/cli/package.json');
  const duckdb = readJson('libs/duckdb/package.json').dependencies['@duckdb/node-api'];
  return {
    name: PACKAGE_NAME,
    version: cli.version,
    description: 'Markdown workplans and trackers as the source of truth for a repository\'s milestones: status, next, validate, closure with evidence, an audit, and an MCP server for agents.',
    keywords: ['workplan', 'tracker', 'milestones', 'dependency-graph', 'mcp', 'cli'],
    license: readJson('package.json').license,
    type: 'module',
    engines: readJson('package.json').engines,
    bin: { govern: 'bin/govern.mjs', memoryd: 'bin/memoryd.mjs' },
    // A command line, not a library: nothing to import.
    exports: { './package.json': './package.json' },
    files: ['bin/', 'dist/', 'README.md'],
    dependencies: { '@duckdb/node-api': duckdb },
  };
}

const bin = (what, bundle) => `#!/usr/bin/env node
// ${what} of ${PACKAGE_NAME}: the bundle does the work (written by scripts/pack.mjs).
import '../dist/${bundle}';
`;

/**
 * Writes the package directory `outDir` from scratch and returns it. The metafiles of the
 * two builds go to `<outDir>.cli.meta.json` and `<outDir>.memoryd.meta.json` (outside the
 * package): the package test reads which modules each bundle imports from outside it.
 *
 * @param {{ outDir?: string }} [opts]
 */
export async function buildPackage({ outDir = DEFAULT_OUT } = {}) {
  fs.rmSync(outDir, { recursive: true, force: true });
  const dist = path.join(outDir, 'dist');
  await buildCli({ outdir: dist, release: true, metaFile: `${outDir}.cli.meta.json` });
  await buildMemoryd(dist, { release: true, metaFile: `${outDir}.memoryd.meta.json` });
  fs.mkdirSync(path.join(outDir, 'bin'));
  fs.writeFileSync(path.join(outDir, 'bin/govern.mjs'), bin('The `govern` command', 'main.js'), { mode: 0o755 });
  fs.writeFileSync(path.join(outDir, 'bin/memoryd.mjs'), bin('The `memoryd` command (`memoryd serve`)', 'memoryd.mjs'), { mode: 0o755 });
  fs.copyFileSync(path.join(root, 'apps/cli/README.md'), path.join(outDir, 'README.md'));
  fs.writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify(packageJson(), null, 2)}\n`);
  return outDir;
}

/**
 * `npm pack` of the package directory into `destination`; returns the tarball's path.
 * Throws with npm's output when it fails.
 */
export function packTarball(outDir, destination = path.dirname(outDir)) {
  fs.mkdirSync(destination, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--json', '--pack-destination', destination], { cwd: outDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  const [info] = JSON.parse(r.stdout);
  return path.join(destination, info.filename);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a, i) => !['--out', '--no-tarball'].includes(a) && args[i - 1] !== '--out');
  const outAt = args.indexOf('--out');
  if (unknown.length || (outAt >= 0 && !args[outAt + 1])) {
    process.stderr.write(`usage: node scripts/pack.mjs [--out DIR] [--no-tarball]${unknown.length ? ` (unknown: ${unknown.join(' ')})` : ''}\n`);
    process.exit(2);
  }
  const outDir = await buildPackage({ outDir: outAt >= 0 ? path.resolve(args[outAt + 1]) : DEFAULT_OUT });
  process.stdout.write(`${path.relative(process.cwd(), outDir) || '.'}\n`);
  if (!args.includes('--no-tarball')) process.stdout.write(`${path.relative(process.cwd(), packTarball(outDir))}\n`);
}
