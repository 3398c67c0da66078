// Bundles the govern CLI into one ESM file. Bundling matters for a CLI that agents call
// hundreds of times: loading ~300 small ESM modules from node_modules costs more than
// the parse of a small repository.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
await build({
  entryPoints: {
    main: path.join(root, 'apps/cli/src/main.ts'),
    'parse-worker': path.join(root, 'libs/workspace/src/parse-worker.ts'),
    // Loaded by the local Nx plugin (tools/nx-govern): Nx 23 on Node 20 cannot load a
    // TypeScript plugin without ts-node/swc-node, so the plugin imports this bundle.
    gates: path.join(root, 'libs/gates/src/index.ts'),
  },
  outdir: path.join(root, 'apps/cli/dist'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Code splitting: modules reached only through a dynamic import (the MCP SDK behind
  // `govern mcp`) go to their own chunk, so other commands do not load them.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // DuckDB (libs/statehub-server) is a native addon with per-platform packages: it cannot be
  // bundled, so it stays an import resolved from node_modules when a database is opened.
  external: ['@duckdb/*'],
  banner: {
    // Some CommonJS dependencies (gray-matter) call require(); give the ESM bundle one.
    js: "import { createRequire as __govCreateRequire } from 'node:module'; const require = __govCreateRequire(import.meta.url);",
  },
});
