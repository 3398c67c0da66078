import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Test helpers of @govern/closure (excluded from the build's inputs by the `production`
// named input in nx.json). Not exported from index.ts.

/** The git on PATH before any shim: for a test's own git commands, which no shim should log. */
export const REAL_GIT = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();

export interface GitShim {
  /** The lines the shim logged, oldest first. */
  read(): string[];
  /** Forgets what was logged so far. */
  clear(): void;
  /** Takes the shim off PATH and removes it. */
  restore(): void;
}

/**
 * Puts a `git` first on PATH that runs `before` (a shell snippet; `$LOG` names its log
 * file, `$*` the arguments) and then the real git, so a test sees which git commands the
 * code under test runs, and when. Default: log each command line. Code that captures the
 * environment when it is imported (@govern/history does) must be imported again after
 * this call (vi.resetModules).
 */
export function gitShim(before = `printf '%s\\n' "$*" >> "$LOG"`): GitShim {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-git-shim-'));
  const log = path.join(bin, 'runs.log');
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nLOG='${log}'\n${before}\nexec '${REAL_GIT}' "$@"\n`, { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${saved}`;
  return {
    read: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
    clear: () => fs.rmSync(log, { force: true }),
    restore: () => {
      process.env.PATH = saved;
      fs.rmSync(bin, { recursive: true, force: true });
    },
  };
}
