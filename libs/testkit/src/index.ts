/**
 * Test support shared by the projects' test files, never imported by product code (the
 * release package test, apps/cli-e2e/src/package.test.ts, checks that no bundle holds it).
 *
 * A test that needs a real second process — a signal, a crash, two writers at once, a
 * worker thread, the bundled CLI — runs TypeScript sources that node cannot load by
 * itself. esbuild turns them into one ES module; these two functions are that step,
 * written once, with the settings every such test needs.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';

/**
 * Defines `require` in the ES module bundle: a CommonJS package inlined into it
 * (gray-matter, js-yaml, …) calls `require` for Node built-ins, and an ES module has none
 * (esbuild's stand-in throws "Dynamic require of … is not supported").
 */
const REQUIRE_SHIM = "import { createRequire as __testkitRequire } from 'node:module'; const require = __testkitRequire(import.meta.url);";

/** What every child bundle is: the whole module graph as one ES module for the Node the tests run on. */
const CHILD: BuildOptions = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', banner: { js: REQUIRE_SHIM } };

/**
 * The esbuild plugin that leaves every npm package an import (node resolves it from the
 * importing file's folder or the child's `cwd`, so the child loads the same copies as the
 * test, native addons included) and inlines govern's own sources: relative imports and
 * `@govern/*` packages, which are TypeScript. {@link bundleScript} always uses it; pass it
 * in `plugins` to {@link bundleChild} for a bundle that must stay small and load fast
 * (one that inlines zod, yaml and the rest is megabytes, and slow to import).
 */
export const NPM_EXTERNAL: Plugin = {
  name: 'npm-external',
  setup: (b) => b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@govern/') ? undefined : { path: a.path, external: true })),
};

/** {@link bundleChild}'s options: esbuild's, with the entries and where the bundle goes required. */
export type ChildBundleOptions = BuildOptions & { entryPoints: NonNullable<BuildOptions['entryPoints']> } & ({ outfile: string } | { outdir: string });

/**
 * Bundles a test's child-process entry (a script node runs, a worker, the CLI's main)
 * with esbuild and writes it to `outfile` (or `outdir`, for named entries or split
 * chunks): the entry and everything it imports, inlined into one ES module for Node 20,
 * with `require` defined for the CommonJS packages among them, and esbuild's warnings
 * printed. The test then runs the file with `process.execPath` — no TypeScript loader.
 * Any other esbuild option in `options` (`splitting`, `external`, `logLevel`, …) is
 * added to these or replaces them. Rejects with esbuild's errors when the build fails.
 */
export async function bundleChild(options: ChildBundleOptions): Promise<void> {
  await build({ ...CHILD, ...options, write: true });
}

/**
 * An inline ES module script (`contents`, TypeScript allowed, its relative imports
 * resolved from `resolveDir`) bundled for `node --input-type=module -` with the returned
 * text on standard input: govern's sources inlined, npm packages left as imports that
 * node resolves from the child's `cwd` (a folder of the repository). For a test that
 * wants a few lines of driver code in another process rather than a fixture file.
 */
export async function bundleScript(contents: string, resolveDir: string): Promise<string> {
  const out = await build({ ...CHILD, stdin: { contents, resolveDir, loader: 'ts' }, write: false, plugins: [NPM_EXTERNAL] });
  return out.outputFiles[0]!.text;
}
