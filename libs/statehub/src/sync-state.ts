import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@govern/workspace';
import { withLock, type LockOptions } from '@govern/write';
import { z } from 'zod';
import { HubStatusSchema, RecordKindSchema } from './schemas.js';

/**
 * Where the bridge remembers what it last agreed with each StateHub. Per
 * working tree, git-ignored: it describes this checkout's Markdown against one
 * hub, not a fact to share — the Markdown itself (statuses and ids) is what git
 * shares. A fresh clone has no state: where its Markdown and the hub agree the
 * state is recorded on the first sync, and where they differ that is reported
 * as a conflict, because without a common base nobody can tell which side
 * changed.
 */
export const SYNC_STATE_FILE = '.govern/statehub-sync.json';

/** The last agreed state of one item (per hub, keyed by externalKey). */
export const SyncItemStateSchema = z.object({
  kind: RecordKindSchema,
  item: z.string(),
  /** The StateHub id. */
  id: z.string(),
  /** The status both sides had when they last agreed. */
  status: HubStatusSchema,
  /** The remote record's version at that moment. */
  version: z.number().int(),
  /** sha256 of the structure last pushed (title, priority, dependencies, workstream). */
  hash: z.string(),
  at: z.string(),
});
export type SyncItemState = z.infer<typeof SyncItemStateSchema>;

export const SyncStateSchema = z.object({
  v: z.literal(1),
  /** Keyed by the hub's URL as given (trailing slashes removed); never a token. */
  hubs: z.record(z.string(), z.object({ repo: z.string(), items: z.record(z.string(), SyncItemStateSchema) })),
});
export type SyncState = z.infer<typeof SyncStateSchema>;

/** The hub key a URL is stored under. */
export function hubKey(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Reads the sync state. A missing file is an empty state; a damaged one too,
 * with a `problem` to report — losing the base only turns later differences
 * into reported conflicts, never into overwrites.
 */
export function readSyncState(root: string): { state: SyncState; problem: string | null } {
  const abs = path.join(root, SYNC_STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    return { state: { v: 1, hubs: {} }, problem: null };
  }
  try {
    return { state: SyncStateSchema.parse(JSON.parse(text)), problem: null };
  } catch (err) {
    return { state: { v: 1, hubs: {} }, problem: `${SYNC_STATE_FILE} is damaged (${(err as Error).message.split('\n')[0]}); it is ignored and rewritten` };
  }
}

/**
 * Records the agreed state of some items of one hub: under a lock, re-read,
 * merge, write atomically. Called after every item's change, so a sync killed
 * at any point has recorded everything it finished.
 */
export async function recordSyncState(
  root: string,
  url: string,
  repo: string,
  items: Record<string, SyncItemState>,
  lock?: LockOptions,
): Promise<void> {
  await withLock(
    root,
    SYNC_STATE_FILE,
    () => {
      const { state } = readSyncState(root);
      const key = hubKey(url);
      const hub = state.hubs[key] ?? { repo, items: {} };
      hub.repo = repo;
      Object.assign(hub.items, items);
      hub.items = Object.fromEntries(Object.entries(hub.items).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      state.hubs[key] = hub;
      writeFileAtomic(path.join(root, SYNC_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    },
    lock,
  );
}
