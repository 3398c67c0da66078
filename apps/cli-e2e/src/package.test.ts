import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePackage, PACKAGE_CLI_META, PACKAGE_DIR, PACKAGE_MEMORYD_META, REPO } from './support.js';

// The release package (scripts/pack.mjs): what `npm pack` would put in the tarball, its
// package.json, and which bundle files each command loads (esbuild's metafile). The
// tarball installed into a fresh repository and run is apps/cli-e2e/src/package.soak.ts.

interface Metafile {
  outputs: Record<string, { bytes: number; entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }>;
}

// The build (when stale) and `npm pack --dry-run` (an npm start, a second or more on a busy
// machine) are setup, run once; the cases assert on what they produced.
let files: { path: string; mode: number }[] = [];
beforeAll(() => {
  ensurePackage();
  files = packedFiles();
}, 120_000);
const meta = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Metafile;
const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(REPO, rel), 'utf8')) as Record<string, unknown> & { version: string; dependencies: Record<string, string> };

/** The files `npm pack` would pack, with their modes. */
function packedFiles(): { path: string; mode: number }[] {
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', '--dry-run', '--json'], { cwd: PACKAGE_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack --dry-run: ${r.stderr}`);
  return (JSON.parse(r.stdout) as [{ files: { path: string; mode: number }[] }])[0].files;
}

/** The output files a bundle entry loads before it runs: its static imports, transitively. */
function staticClosure(m: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const walk = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const i of m.outputs[out]!.imports) if (i.kind === 'import-statement' && !i.external) walk(i.path);
  };
  walk(entry);
  return [...seen];
}

/** The output whose entry point (an entry, or a module imported dynamically) is `input`. */
function outputOf(m: Metafile, input: string): string {
  const out = Object.keys(m.outputs).find((k) => m.outputs[k]!.entryPoint === input);
  if (!out) throw new Error(`no output has the entry point ${input}`);
  return out;
}

/** The npm packages (and `libs/…` sources) whose code is in these outputs. */
function packagesIn(m: Metafile, outputs: string[]): Set<string> {
  const names = new Set<string>();
  for (const o of outputs) {
    for (const input of Object.keys(m.outputs[o]!.inputs)) {
      const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      names.add(nm ? nm[1]! : input.split('/').slice(0, 2).join('/'));
    }
  }
  return names;
}

const HEAVY = /^(zod|yaml|gray-matter|micromark.*|@octokit\/.*|@opentelemetry\/.*|@modelcontextprotocol\/.*|@secretlint\/.*|@duckdb\/.*)$/;

describe('the release package', () => {
  it('package.json: the bins, the CLI version, no scripts, and DuckDB as the one dependency', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
    const root = readJson('package.json');
    expect(pkg).toEqual({
      name: '@govern/govern',
      version: readJson('apps/cli/package.json').version,
      description: expect.any(String),
      keywords: expect.any(Array),
      license: root.license,
      type: 'module',
      engines: root.engines,
      bin: { govern: 'bin/govern.mjs', memoryd: 'bin/memoryd.mjs' },
      exports: { './package.json': './package.json' },
      files: ['bin/', 'dist/', 'README.md'],
      dependencies: { '@duckdb/node-api': readJson('libs/duckdb/package.json').dependencies['@duckdb/node-api'] },
    });
  });

  it('packs exactly the bins, the README and the bundles: no sources, tests, source maps or workspace paths', () => {
    const chunks = files.filter((f) => f.path.startsWith('dist/chunks/'));
    expect(files.filter((f) => !f.path.startsWith('dist/chunks/')).map((f) => f.path).sort()).toEqual([
      'README.md',
      'bin/govern.mjs',
      'bin/memoryd.mjs',
      'dist/main.js',
      'dist/memoryd.mjs',
      'dist/parse-worker.js',
      'dist/web-view/app.css',
      'dist/web-view/app.js',
      'dist/web-view/cytoscape.LICENSE',
      'dist/web-view/cytoscape.min.js',
      'dist/web-view/index.html',
      'package.json',
    ]);
    for (const c of chunks) expect(c.path).toMatch(/^dist\/chunks\/[\w-]+\.js$/);
    // Every file the CLI build wrote is packed, and nothing else under dist/chunks.
    const built = Object.keys(meta(PACKAGE_CLI_META).outputs).map((o) => path.relative(PACKAGE_DIR, path.resolve(REPO, o)).split(path.sep).join('/'));
    expect(chunks.map((c) => c.path).sort()).toEqual(built.filter((b) => b.startsWith('dist/chunks/')).sort());
    for (const b of files.filter((f) => f.path.startsWith('bin/'))) expect(b.mode & 0o111).not.toBe(0);
    // A path of this checkout in a packed file would point nowhere once installed.
    for (const f of files) expect(fs.readFileSync(path.join(PACKAGE_DIR, f.path), 'utf8').includes(REPO), f.path).toBe(false);
  });

  it('imports nothing from outside the package but Node built-ins and @duckdb/node-api (and esbuild, only dynamically, by a path the bundle never takes)', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((b) => `node:${b}`)]);
    const external = new Map<string, Set<string>>();
    for (const m of [meta(PACKAGE_CLI_META), meta(PACKAGE_MEMORYD_META)]) {
      for (const o of Object.values(m.outputs)) for (const i of o.imports) if (i.external && !builtins.has(i.path)) external.set(i.path, (external.get(i.path) ?? new Set()).add(i.kind));
    }
    // esbuild is the adapter kit's runner for a checkout's TypeScript packs; the built CLI
    // passes its own runner (govern adapters __child), see apps/cli-e2e/src/adapters.soak.ts.
    expect(Object.fromEntries([...external].map(([k, v]) => [k, [...v].sort()]))).toEqual({ '@duckdb/node-api': ['dynamic-import'], esbuild: ['dynamic-import'] });
  });

  it('bundles no test code: nothing of @govern/testkit (test support only) or vitest, no test, soak or fixture file', () => {
    const inputs = [meta(PACKAGE_CLI_META), meta(PACKAGE_MEMORYD_META)].flatMap((m) => Object.values(m.outputs).flatMap((o) => Object.keys(o.inputs)));
    expect(inputs.filter((i) => /(^|\/)libs\/testkit\/|node_modules\/(vitest|@vitest)\/|\.(test|soak)\.ts$|\/__fixtures__\//.test(i))).toEqual([]);
  });
});

describe('what each command loads (the CLI bundle of the package)', () => {
  it('--version loads commander and the run wrapper only: no zod, parser, DuckDB, OpenTelemetry, Octokit or MCP SDK', () => {
    const m = meta(PACKAGE_CLI_META);
    const closure = staticClosure(m, outputOf(m, 'apps/cli/src/main.ts'));
    expect([...packagesIn(m, closure)].filter((p) => HEAVY.test(p))).toEqual([]);
    const bytes = closure.reduce((n, o) => n + m.outputs[o]!.bytes, 0);
    expect(bytes).toBeLessThan(200_000);
  });

  it('each heavy dependency is reached only through the dynamic import of the command that needs it', () => {
    const m = meta(PACKAGE_CLI_META);
    const main = staticClosure(m, outputOf(m, 'apps/cli/src/main.ts'));
    const load = (input: string) => packagesIn(m, [...main, ...staticClosure(m, outputOf(m, input))]);
    const heavyOf = (input: string) => [...load(input)].filter((p) => /^(@octokit|@opentelemetry|@modelcontextprotocol|@duckdb)\//.test(p)).map((p) => p.split('/')[0]);
    for (const cmd of ['status', 'graph', 'next', 'validate', 'explain', 'audit', 'audit-log', 'task', 'close', 'gates', 'history', 'init', 'mcp', 'statehub', 'memory', 'diff']) {
      expect([...new Set(heavyOf(`apps/cli/src/commands/${cmd}.ts`))], cmd).toEqual([]);
    }
    expect(heavyOf('apps/cli/src/commands/pr.ts')).toContain('@octokit');
    expect(heavyOf('apps/cli/src/mcp/server.ts')).toContain('@modelcontextprotocol');
    expect(heavyOf('libs/telemetry/src/sdk.ts')).toContain('@opentelemetry');
    // The parser is loaded by the commands that read documents, not by init or --version.
    expect(load('apps/cli/src/commands/status.ts').has('micromark')).toBe(true);
    // DuckDB is never imported statically: the one import of it is dynamic (libs/duckdb).
    const duckdb = Object.values(m.outputs).flatMap((o) => o.imports.filter((i) => i.path === '@duckdb/node-api'));
    expect(duckdb.map((i) => i.kind)).toEqual(['dynamic-import']);
  });
});
