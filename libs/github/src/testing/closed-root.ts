import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeItem } from '@govern/closure';
import { loadWorkspace, type Workspace } from '@govern/workspace';

/** A tracker whose AB-01 can close (one passing check; its status cites #33) and whose dependents show the unblock context. */
export const TRACKER = [
  '# Tracker',
  '',
  '| Order | Milestone | Depends On | Status |',
  '|---|---|---|---|',
  '| 1 | AB-01 Parser \\| core | - | In Progress (#33) |',
  '| 2 | AB-02 Writer | AB-01 | Planned |',
  '| 3 | AB-03 Gates | AB-01, AB-04 | Planned |',
  '| 4 | AB-04 Docs | - | Planned |',
  '',
  '## Checks',
  '',
  '- AB-01: `echo parsed`',
  '',
  '## Evidence Roots',
  '',
  '- AB-01: `ops/runtime/ab-01/`',
  '',
].join('\n');

/** Creates a temporary repository with TRACKER and closes AB-01 for real (`closeItem`, a real check process). */
export async function closedRoot(prefix = 'govern-github-'): Promise<{ root: string; workspace: () => Promise<Workspace>; cleanup: () => void }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(root, 'trackers'), { recursive: true });
  fs.writeFileSync(path.join(root, 'trackers/t.md'), TRACKER);
  const closed = await closeItem({
    root,
    id: 'AB-01',
    actor: 'closer',
    via: 'library',
    toolVersion: '0.1.0',
    cacheDir: null,
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  if (!closed.passed) throw new Error(`fixture: AB-01 did not close: ${JSON.stringify(closed.failures)}`);
  return {
    root,
    workspace: () => loadWorkspace({ root, cacheDir: null }),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
