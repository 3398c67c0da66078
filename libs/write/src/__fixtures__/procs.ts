import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Real writer processes for the concurrency, crash and stall tests: the writer
 * (writer.ts beside this file) is bundled with esbuild so node runs it without a
 * TypeScript loader.
 */
export interface Procs {
  tmp: string;
  run(job: unknown): Writer;
  newRepo(name: string, files: Record<string, string>): string;
  cleanup(): void;
}

export type Exit = { code: number | null; signal: string | null; stderr: string; stdout: string };
export type Writer = ChildProcess & { done: Promise<Exit> };

export async function writerProcs(prefix: string): Promise<Procs> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const writer = path.join(tmp, 'writer.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./writer.ts', import.meta.url))],
    outfile: writer,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return {
    tmp,
    run(job) {
      const child = spawn(process.execPath, [writer, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.stdout!.on('data', (d) => (stdout += d));
      const done = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout })));
      return Object.assign(child, { done });
    },
    newRepo(name, files) {
      const root = path.join(tmp, name);
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      }
      return root;
    },
    cleanup() {
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Waits until `check()` is true, polling every 20 ms; throws after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
