import fs from 'node:fs';
import type { Pack } from '../pack.js';
import { runWorkload, type RunConfig } from './workload.js';

/**
 * The entry of the child process of the determinism subcheck (bundled with the
 * pack's module by child.ts): reads which pack to run and the run's
 * configuration from file descriptor 3 (not argv, which other users can read,
 * nor stdin, which carries the script), finds the pack among the module's
 * exports by name and version,
 * runs the same workload, and prints its transcript and pid as JSON.
 */
export async function childMain(mod: Record<string, unknown>): Promise<void> {
  const { pack: want, config } = JSON.parse(fs.readFileSync(3, 'utf8')) as { pack: { name: string; version: string }; config: RunConfig };
  const { name, version } = want;
  const pack = Object.values(mod).find(
    (v): v is Pack => typeof v === 'object' && v !== null && (v as Pack).name === name && (v as Pack).version === version && typeof (v as Pack).create === 'function',
  );
  if (!pack) {
    process.stderr.write(`no export of the pack's module is the pack ${name} ${version}\n`);
    process.exitCode = 1;
    return;
  }
  const result = await runWorkload(pack, config);
  process.stdout.write(JSON.stringify({ pid: process.pid, transcript: result.transcript, crash: result.crash }));
}
