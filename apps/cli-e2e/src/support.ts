/**
 * Support for the end-to-end tests (not a test file): the paths of the built `govern`
 * binary, a freshness guard for it, `govern mcp` spawned under the SDK's client, and the
 * OTLP fixture of the memory tests. Temporary repositories written inline and the CLI run
 * in process (for the tests that compare the binary's bytes with the in-process CLI's)
 * are @govern/cli's own test support (`@govern/cli/testing`), re-exported here.
 *
 * The bundle is @govern/cli:build's output (apps/cli/dist), which this project's `test`
 * target depends on, so under Nx it is built (or restored from the cache) first.
 * `ensureFreshBundle` keeps a direct `vitest run` in this folder honest too: it rebuilds
 * when a source is newer than the bundle. `ensurePackage` does the same for the release
 * package (scripts/pack.mjs, dist/package) of the package tests.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach } from 'vitest';

export const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const BIN = path.join(REPO, 'apps/cli/bin/govern.mjs');
export const BUNDLE = path.join(REPO, 'apps/cli/dist/main.js');
export const WORKER = path.join(REPO, 'apps/cli/dist/parse-worker.js');

/** Newest mtime of the sources the bundle is built from, and of `extra` (directories or files, relative to the repository). */
function newestSource(extra: string[] = []): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.soak.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of ['apps/cli/src', ...fs.readdirSync(path.join(REPO, 'libs')).map((l) => `libs/${l}/src`), ...extra]) {
    const abs = path.join(REPO, d);
    if (!fs.existsSync(abs)) continue;
    if (fs.statSync(abs).isDirectory()) walk(abs);
    else newest = Math.max(newest, fs.statSync(abs).mtimeMs);
  }
  return newest;
}

/**
 * Builds the bundle when it is missing or older than the sources, so the binary a
 * test spawns runs the code in the working tree. For `beforeAll`.
 */
export function ensureFreshBundle(): void {
  const stale = !fs.existsSync(BUNDLE) || !fs.existsSync(WORKER) || fs.statSync(BUNDLE).mtimeMs < newestSource();
  if (!stale) return;
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr}`);
}

/** The release package's directory (`npm run pack`, scripts/pack.mjs) and the metafiles of its two builds. */
export const PACKAGE_DIR = path.join(REPO, 'dist/package');
export const PACKAGE_CLI_META = `${PACKAGE_DIR}.cli.meta.json`;
export const PACKAGE_MEMORYD_META = `${PACKAGE_DIR}.memoryd.meta.json`;
const PACKAGE_INPUTS = ['apps/memoryd/src', 'apps/memoryd/scripts/build.mjs', 'scripts/pack.mjs', 'scripts/build-cli.mjs', 'apps/cli/README.md', 'apps/cli/package.json', 'libs/duckdb/package.json'];

/**
 * Builds the release package (without its tarball) into `outDir` — by default
 * {@link PACKAGE_DIR}, and then only when it is missing or older than its sources, so
 * the fast package test builds it once. For `beforeAll` (a build takes a few seconds).
 */
export function ensurePackage(outDir = PACKAGE_DIR): string {
  const stamp = path.join(outDir, 'package.json');
  const fresh = outDir === PACKAGE_DIR && fs.existsSync(stamp) && fs.existsSync(PACKAGE_CLI_META) && fs.statSync(stamp).mtimeMs >= newestSource(PACKAGE_INPUTS);
  if (fresh) return outDir;
  const r = spawnSync(process.execPath, ['scripts/pack.mjs', '--no-tarball', '--out', outDir], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/pack.mjs failed (exit ${r.status}): ${r.stderr}`);
  return outDir;
}

// What the in-process CLI tests use too (tempRoot, runCaptured, cli, oneJson, the fixture
// documents): @govern/cli's own test support, one definition for both projects.
export * from '@govern/cli/testing';

const mcpClients: McpClient[] = [];
afterEach(async () => {
  await Promise.all(mcpClients.splice(0).map((c) => c.close()));
});

/**
 * `govern mcp --root <root> --no-cache` from the bundled binary, spawned over stdio by the
 * SDK's own client (closed after the test), and the server's stderr so far.
 */
export async function connectMcp(root: string): Promise<{ client: McpClient; stderr: () => string }> {
  // Loaded here rather than at the top: only the MCP tests pay for the SDK.
  const [{ Client }, { StdioClientTransport }] = await Promise.all([import('@modelcontextprotocol/sdk/client/index.js'), import('@modelcontextprotocol/sdk/client/stdio.js')]);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', '--root', root, '--no-cache'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GOVERN_ACTOR: 'mcp-test' },
    cwd: os.tmpdir(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const client = new Client({ name: 'govern-test', version: '0.0.0' });
  await client.connect(transport);
  mcpClients.push(client);
  return { client, stderr: () => stderr };
}

/** Start of the spans of {@link memoryOtlpJson}, in ms (2026-02-13T16:26:40Z). */
export const MEMORY_BASE_MS = 1_771_000_000_000;
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/**
 * OTLP/JSON of `n` govern spans one second apart from {@link MEMORY_BASE_MS}
 * (trace and span ids 1…n): every 2nd failed (check-failed), every 3rd denied by
 * a gate (a guard.denied event), items LM-01…LM-03 in turn. Shared by the memory
 * CLI and MCP tests.
 */
export function memoryOtlpJson(n: number): string {
  const BASE = MEMORY_BASE_MS;
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId: hex(i + 1, 32),
    spanId: hex(i + 1, 16),
    name: 'govern.close',
    startTimeUnixNano: String(BigInt(BASE + i * 1000) * 1_000_000n),
    endTimeUnixNano: String(BigInt(BASE + i * 1000 + 5) * 1_000_000n),
    attributes: [
      { key: 'govern.stage', value: { stringValue: 'close' } },
      { key: 'govern.item.id', value: { stringValue: `LM-0${(i % 3) + 1}` } },
      ...(i % 2 === 0 ? [{ key: 'failure_reason_code', value: { stringValue: 'check-failed' } }] : []),
    ],
    events: i % 3 === 0 ? [{ name: 'guard.denied', timeUnixNano: String(BigInt(BASE + i * 1000 + 1) * 1_000_000n), attributes: [{ key: 'policy_reason_code', value: { stringValue: 'gate-disabled' } }] }] : [],
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'govern' } }] }, scopeSpans: [{ scope: { name: 'govern' }, spans }] }] });
}
