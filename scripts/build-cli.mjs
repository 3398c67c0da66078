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
  },
  outdir: path.join(root, 'apps/cli/dist'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: {
    // Some CommonJS dependencies (gray-matter) call require(); give the ESM bundle one.
    js: "import { createRequire as __govCreateRequire } from 'node:module'; const require = __govCreateRequire(import.meta.url);",
  },
});
