import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Pack } from '../pack.js';
import type { RunConfig, Step } from './workload.js';

/** What the other process answered: its transcript and pid, or why there is none. */
export type ChildRun = { ok: true; pid: number; transcript: Step[]; crash: string | null } | { ok: false; problem: string };

/**
 * Runs the workload of `pack` in another process. Pluggable: a bundled CLI (a
 * future `govern adapters check`) has no TypeScript sources to bundle and would
 * pass a runner that starts itself instead.
 */
export type ChildRunner = (pack: Pack, config: RunConfig, opts: { timeoutMs: number }) => Promise<ChildRun>;

const CHILD_MAIN = fileURLToPath(new URL('./child-main.ts', import.meta.url));

/**
 * The default runner: bundles the pack's module (its `module` URL) with the
 * kit's child entry using esbuild (see bundleFor), the way
 * libs/binder/src/fingerprint.test.ts checks hashes across processes, and runs
 * the bundle in a fresh `node` from the module's directory, so that what stays
 * an import (a native addon) resolves from the workspace's node_modules. esbuild is loaded only here, when a check runs. The spawn is
 * asynchronous on purpose: the remote a harness started (a StateHub, a loopback
 * GitHub) lives in this process and must keep answering the child.
 */
export const esbuildChildRunner: ChildRunner = async (pack, config, { timeoutMs }) => {
  if (!pack.module) return { ok: false, problem: `${pack.name} has no module URL (definePack({ module: import.meta.url })): it cannot be loaded in another process` };
  let modulePath: string;
  try {
    modulePath = fileURLToPath(pack.module);
  } catch {
    return { ok: false, problem: `${pack.name}'s module ${pack.module} is not a file URL` };
  }
  let script: string;
  try {
    script = await bundleFor(modulePath);
  } catch (err) {
    return { ok: false, problem: `bundling ${pack.name} for another process failed: ${(err as Error).message}` };
  }
  return runChildProcess(['--input-type=module', '-'], { cwd: path.dirname(modulePath), stdin: script, pack, config, timeoutMs });
};

/**
 * Runs `node <args>` as the other process of the determinism subcheck and collects
 * its transcript: the pack and the run's configuration go on file descriptor 3 (not
 * argv, which other users can read), `stdin` (a script, for `--input-type=module -`)
 * on standard input. Shared by {@link esbuildChildRunner} and a bundled CLI's runner
 * that starts itself (`govern adapters check` from an installed package has no
 * TypeScript sources to bundle).
 */
export function runChildProcess(args: readonly string[], opts: { cwd: string; stdin?: string; pack: Pack; config: RunConfig; timeoutMs: number }): Promise<ChildRun> {
  const { pack, config, timeoutMs } = opts;
  return new Promise<ChildRun>((resolve) => {
    const child = spawn(process.execPath, [...args], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, problem: `could not start node: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        resolve({ ok: false, problem: `the other process ${signal ? `was killed (${signal}, over ${timeoutMs} ms)` : `exited ${code}`}: ${stderr.trim().slice(0, 2000)}` });
        return;
      }
      try {
        const parsed = JSON.parse(stdout) as { pid: number; transcript: Step[]; crash: string | null };
        resolve({ ok: true, pid: parsed.pid, transcript: parsed.transcript, crash: parsed.crash });
      } catch {
        resolve({ ok: false, problem: `the other process printed no transcript: ${stdout.slice(0, 500)}` });
      }
    });
    child.stdin!.end(opts.stdin ?? '');
    (child.stdio[3] as Writable).end(JSON.stringify({ pack: { name: pack.name, version: pack.version }, config }));
  });
}

/** Bundles per pack module, once per process: a check runs the other process several times. */
const bundles = new Map<string, Promise<string>>();

/**
 * Builds the bundle {@link esbuildChildRunner} will run for `pack` ahead of time
 * (a test suite's setup), so the determinism check spends its time on the runs.
 * Resolves to false when the pack cannot be bundled (the check will say why).
 */
export async function prebundle(pack: Pack): Promise<boolean> {
  if (!pack.module) return false;
  try {
    await bundleFor(fileURLToPath(pack.module));
    return true;
  } catch {
    return false;
  }
}

/** Packages that stay imports even in a whole bundle: native addons cannot be inlined. */
const NATIVE = /^(@duckdb\/|esbuild$)/;

/**
 * One script holding the kit's child entry and the pack's module. First with
 * every JavaScript dependency inlined — the other process then parses one file
 * instead of resolving hundreds in node_modules, which is most of its start-up —
 * and, when a package refuses to be bundled, again with every npm package left
 * as an import. `require` is provided for the CommonJS packages inlined into an
 * ES module.
 */
function bundleFor(modulePath: string): Promise<string> {
  let b = bundles.get(modulePath);
  if (!b) {
    b = (async () => {
      const { build } = await import('esbuild');
      const once = async (inlineNpm: boolean) => {
        const out = await build({
          stdin: {
            contents: [`import * as mod from ${JSON.stringify(modulePath)};`, `import { childMain } from ${JSON.stringify(CHILD_MAIN)};`, 'await childMain(mod);'].join('\n'),
            resolveDir: path.dirname(modulePath),
            loader: 'ts',
          },
          bundle: true,
          platform: 'node',
          format: 'esm',
          write: false,
          logLevel: 'silent',
          banner: { js: "import { createRequire as __governCreateRequire } from 'node:module'; const require = __governCreateRequire(import.meta.url);" },
          plugins: [
            {
              name: 'externals',
              setup: (x) =>
                x.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@govern/') || (inlineNpm && !NATIVE.test(a.path)) ? undefined : { path: a.path, external: true })),
            },
          ],
        });
        return out.outputFiles[0]!.text;
      };
      try {
        return await once(true);
      } catch {
        return await once(false);
      }
    })();
    // A failed build is not kept: the next check tries again.
    b.catch(() => bundles.delete(modulePath));
    bundles.set(modulePath, b);
  }
  return b;
}
