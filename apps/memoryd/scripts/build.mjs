// Bundles memoryd's command line into <outdir>/memoryd.mjs. DuckDB is a native
// addon with per-platform packages: it stays external and is resolved from
// node_modules at run time, so <outdir> must be inside the repository (or an
// installed package, whose node_modules hold it). Used by `npm run build -w
// @govern/memoryd` (Nx target @govern/memoryd:build), by memoryd's process tests,
// by the benchmark and by scripts/pack.mjs (the installable package).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Writes the bundle to `outdir` (default apps/memoryd/dist) and returns its path.
 * `release` (scripts/pack.mjs, the installable package): no source map; `metaFile`:
 * where to write esbuild's metafile (the package test reads its external imports).
 */
export async function buildMemoryd(outdir = path.join(appDir, 'dist'), { release = false, metaFile = undefined } = {}) {
  const result = await build({
    entryPoints: { memoryd: path.join(appDir, 'src/main.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: release ? false : 'linked',
    logLevel: 'warning',
    external: ['@duckdb/*'],
    banner: { js: "import { createRequire as __memCreateRequire } from 'node:module'; const require = __memCreateRequire(import.meta.url);" },
    metafile: metaFile !== undefined,
  });
  if (metaFile !== undefined) fs.writeFileSync(metaFile, JSON.stringify(result.metafile));
  return path.join(outdir, 'memoryd.mjs');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildMemoryd(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  process.stdout.write(`${path.relative(process.cwd(), out)}\n`);
}
