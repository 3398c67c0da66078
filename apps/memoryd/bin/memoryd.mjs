#!/usr/bin/env node
// The `memoryd` bin. It runs the esbuild bundle that `npm ci` (the root `prepare`
// script) or `npm run build -w @govern/memoryd` writes to apps/memoryd/dist.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/memoryd.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('memoryd: not built yet; run `npm run build` (or `npm ci`) at the repository root\n');
  process.exit(2);
}
await import(bundle);
