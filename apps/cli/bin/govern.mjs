#!/usr/bin/env node
// The `govern` bin. It runs the esbuild bundle that `npm ci` (the root `prepare`
// script) or `npm run build` writes to apps/cli/dist.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('govern: the CLI is not built yet; run `npm run build` (or `npm ci`) at the repository root\n');
  process.exit(2);
}
await import(bundle);
