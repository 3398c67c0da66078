import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { version as esbuildVersion } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { bundleChild, bundleScript } from './index.js';

// Real esbuild builds run by a real node: what a test's child process gets.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-testkit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));

describe('bundleChild', () => {
  test('writes one ES module node runs as it is: TypeScript and a CommonJS module calling require inlined', async () => {
    const outfile = path.join(tmp, 'child.mjs');
    await bundleChild({ entryPoints: [path.join(FIXTURES, 'child.ts')], outfile });
    // From a folder with no node_modules: nothing is left for node to resolve.
    const r = spawnSync(process.execPath, [outfile, '2', '21'], { cwd: tmp, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr, stdout: JSON.parse(r.stdout) }).toEqual({
      status: 0,
      stderr: '',
      stdout: { args: ['2', '21'], doubled: [4, 42], eolLength: os.EOL.length },
    });
  });

  test('named entries into outdir, with the caller’s options added', async () => {
    const outdir = path.join(tmp, 'named');
    await bundleChild({ entryPoints: { main: path.join(FIXTURES, 'child.ts') }, outdir, outExtension: { '.js': '.mjs' } });
    expect(fs.readdirSync(outdir)).toEqual(['main.mjs']);
    expect(JSON.parse(spawnSync(process.execPath, [path.join(outdir, 'main.mjs'), '5'], { encoding: 'utf8' }).stdout)).toEqual({ args: ['5'], doubled: [10], eolLength: os.EOL.length });
  });

  test('a build error rejects with esbuild’s message', async () => {
    await expect(bundleChild({ entryPoints: [path.join(FIXTURES, 'missing.ts')], outfile: path.join(tmp, 'x.mjs'), logLevel: 'silent' })).rejects.toThrow(/Could not resolve/);
  });
});

describe('bundleScript', () => {
  test('inlines relative imports, leaves npm packages imports that node resolves from the cwd', async () => {
    const script = await bundleScript(
      `import { version } from 'esbuild';
import { double } from './double.js';
const n: number = Number(process.argv.at(-1));
process.stdout.write(JSON.stringify({ version, doubled: double(n) }));`,
      FIXTURES,
    );
    expect(script).toMatch(/from "esbuild"/);
    const r = spawnSync(process.execPath, ['--input-type=module', '-', '8'], { input: script, cwd: FIXTURES, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr, stdout: JSON.parse(r.stdout) }).toEqual({ status: 0, stderr: '', stdout: { version: esbuildVersion, doubled: 16 } });
  });
});
