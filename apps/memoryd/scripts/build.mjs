// Bundles memoryd's command line into one ESM file, apps/memoryd/dist/memoryd.mjs.
// DuckDB is a native addon with per-platform packages: it stays external and is
// resolved from node_modules at run time. Used by `npm run build -w @govern/memoryd`
// (Nx target @govern/memoryd:build), by memoryd's process tests and by the benchmark.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Writes the bundle to `outfile` (default apps/memoryd/dist/memoryd.mjs) and returns its path. */
export async function buildMemoryd(outfile = path.join(appDir, 'dist/memoryd.mjs')) {
  await build({
    entryPoints: [path.join(appDir, 'src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    external: ['@duckdb/*'],
    banner: { js: "import { createRequire as __memCreateRequire } from 'node:module'; const require = __memCreateRequire(import.meta.url);" },
  });
  return outfile;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildMemoryd(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  process.stdout.write(`${path.relative(process.cwd(), out)}\n`);
}
