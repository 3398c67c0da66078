// Bundles the govern CLI. Bundling matters for a CLI that agents call hundreds of times:
// loading ~300 small ESM modules from node_modules costs more than the parse of a small
// repository. Run as a script (the root `prepare` script on `npm ci`, Nx @govern/cli:build)
// it writes apps/cli/dist; scripts/pack.mjs imports buildCli for the release package.
import { build } from 'esbuild';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The CommonJS `require` some bundled dependencies call (gray-matter); ESM has none. */
export const REQUIRE_BANNER = "import { createRequire as __govCreateRequire } from 'node:module'; const require = __govCreateRequire(import.meta.url);";

/**
 * zod 4's `z` namespace re-exports every locale (`z.locales`, ~370 KB of the bundle),
 * and esbuild cannot drop the members of a namespace that is itself exported, so every
 * command that touches zod compiled them all. govern uses the English messages only
 * (zod registers `en` itself), so the locale index resolves to `en` alone. A later use
 * of another locale would show as esbuild's "will always be undefined" warning.
 */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic|core)$/.test(path.dirname(args.importer))) return undefined;
      // The path is a label (it appears in the bundle's comments, so no absolute path);
      // the locale file travels in pluginData.
      const en = path.join(path.dirname(args.importer), '../locales/en.js');
      return { path: 'zod/v4/locales (en only)', namespace: 'zod-en', pluginData: en };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.pluginData)};`, resolveDir: path.dirname(args.pluginData) }));
  },
};

/**
 * npm installs `yaml` twice in this workspace (libs/workplan and libs/workspace each get
 * a nested copy of the same version, because the root's differs), and a bundle would
 * carry both (~260 KB each). Every import of `yaml` resolves from libs/workspace instead.
 */
const oneYaml = {
  name: 'one-yaml',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, (args) => {
      if (args.pluginData === 'one-yaml') return undefined;
      return b.resolve('yaml', { kind: args.kind, resolveDir: path.join(root, 'libs/workspace'), pluginData: 'one-yaml' });
    });
  },
};

/**
 * Builds the CLI bundles into `outdir`: `main.js` (the entry the bin imports),
 * `parse-worker.js` (a worker main.js starts by a URL relative to itself) and, unless
 * `release`, `gates.js`, which the local Nx plugin (tools/nx-govern) imports: Nx 23 on
 * Node 20 cannot load a TypeScript plugin without ts-node/swc-node.
 *
 * Code splitting: every command's module is imported dynamically (program.ts), so each
 * command loads only its own chunks — `govern --version` neither zod nor the parser,
 * `status` no DuckDB, OpenTelemetry, Octokit or MCP SDK. DuckDB is a native addon with
 * per-platform packages: it cannot be bundled and stays an import resolved from
 * node_modules when a database is opened (the package's one dependency).
 *
 * `release`: no source maps and no gates.js (the package is smaller; a stack trace
 * still names the bundled module in esbuild's comments). Returns esbuild's metafile,
 * also written to `<outdir>/../<name>.meta.json` when `metaFile` names one.
 *
 * @param {{ outdir: string, release?: boolean, metaFile?: string }} opts
 */
export async function buildCli({ outdir, release = false, metaFile }) {
  const result = await build({
    entryPoints: {
      main: path.join(root, 'apps/cli/src/main.ts'),
      'parse-worker': path.join(root, 'libs/workspace/src/parse-worker.ts'),
      ...(release ? {} : { gates: path.join(root, 'libs/gates/src/index.ts') }),
    },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    target: 'node20',
    sourcemap: release ? false : 'linked',
    logLevel: 'warning',
    // esbuild is imported (dynamically) only by the adapter kit's conformance child runner,
    // when `govern adapters check` runs from a checkout; bundling it would pull its
    // platform resolver (pnpapi) into every command.
    external: ['@duckdb/*', 'esbuild'],
    plugins: [englishOnlyZod, oneYaml],
    metafile: true,
    banner: { js: REQUIRE_BANNER },
  });
  if (metaFile) fs.writeFileSync(metaFile, JSON.stringify(result.metafile));
  copyWebAssets(path.join(outdir, 'web-view'));
  return result.metafile;
}

/**
 * The web view's static files (libs/web-view/assets and cytoscape's standalone bundle
 * with its license) go next to the bundle, in `<outdir>/web-view/`, where
 * @govern/web-view looks for them first: `govern serve` needs no build step and no
 * network on the user's side.
 */
function copyWebAssets(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const assets = path.join(root, 'libs/web-view/assets');
  for (const name of fs.readdirSync(assets)) fs.copyFileSync(path.join(assets, name), path.join(dir, name));
  const cytoscape = path.dirname(path.dirname(createRequire(path.join(root, 'libs/web-view/package.json')).resolve('cytoscape/dist/cytoscape.min.js')));
  fs.copyFileSync(path.join(cytoscape, 'dist/cytoscape.min.js'), path.join(dir, 'cytoscape.min.js'));
  fs.copyFileSync(path.join(cytoscape, 'LICENSE'), path.join(dir, 'cytoscape.LICENSE'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = path.join(root, 'apps/cli/dist');
  const metaFile = path.join(outdir, 'meta.json');
  const previous = outputsOf(metaFile);
  // The metafile sits next to the bundle: the e2e tests read which files `--version` loads.
  const meta = await buildCli({ outdir, metaFile });
  pruneChunks(outdir, new Set([...Object.keys(meta.outputs).map((f) => path.resolve(root, f)), ...previous]));
}

/** The absolute paths a previous build's metafile lists (none when there is none). */
function outputsOf(metaFile) {
  try {
    return Object.keys(JSON.parse(fs.readFileSync(metaFile, 'utf8')).outputs).map((f) => path.resolve(root, f));
  } catch {
    return [];
  }
}

/**
 * Chunk names carry a content hash, so every build that changes code adds chunks and
 * the folder grows by megabytes per build. Keep this build's chunks and the previous
 * build's (a `govern mcp` started before the last build still imports those lazily);
 * delete the rest.
 */
function pruneChunks(outdir, keep) {
  const dir = path.join(outdir, 'chunks');
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!keep.has(file)) fs.rmSync(file, { force: true });
  }
}
