import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, type CompiledProfile, type Item } from '@govern/workplan';
import { writeFileAtomic } from '@govern/workspace';
import { appendAuditRecords, applyEdits, defaultActor, sha256, withLock, type LockOptions, type TextEdit } from '@govern/write';
import { planKeyInsert, stateHubKeyFor } from './insert-key.js';

export interface IdWrite {
  /** Item id: the workplan's id (front matter) or a task's id. */
  item: string;
  /** The StateHub id to record. */
  value: string;
}

export interface IdWriteProblem {
  item: string;
  code: 'item-not-found' | 'anchor-missing' | 'key-present' | 'id-differs' | 'verify-failed' | 'conflict' | 'io-error';
  message: string;
}

export interface IdWriteResult {
  file: string;
  /** False when nothing needed writing (every id already there) or a problem stopped the write. */
  changed: boolean;
  hashBefore: string | null;
  hashAfter: string | null;
  /** Ids inserted by this call. */
  written: IdWrite[];
  /** Ids the file already held (an earlier, interrupted run wrote them). */
  already: IdWrite[];
  problems: IdWriteProblem[];
}

/** What an id insertion must leave alone: everything the parser reads from an item except its StateHub id and positions. */
function meaning(i: Item): unknown {
  return [
    i.id,
    i.kind,
    i.title,
    i.status,
    i.statusText,
    i.priority,
    i.parent,
    i.evidenceRoot,
    i.packetId,
    i.dependencies.map((d) => d.id),
    i.criteria.map((c) => [c.text, c.checked]),
    i.checks.map((c) => c.command),
    i.refs,
  ];
}

/**
 * Writes StateHub ids into one Markdown file — `state_hub_workstream_id` in the
 * front matter, `state_hub_task_id` in task metadata — with the guarantees of a
 * status write: under the file's lock (`withLock` from @govern/write, the same
 * lock `setStatus` takes) it re-reads the file, plans one inserted line per id
 * ({@link planKeyInsert}), re-parses the result and checks that each id reads
 * back and that nothing else any item means changed, then writes atomically
 * (`writeFileAtomic`). The ids of one call land in one write, or none does
 * (an item the call cannot place is reported and the others are written).
 *
 * An item that already holds the same id is reported in `already` (an
 * interrupted sync that got this far); one holding another id is a problem and
 * is never overwritten. Problems come back as data.
 */
export async function writeStateHubIds(opts: {
  root: string;
  file: string;
  ids: IdWrite[];
  profile: CompiledProfile;
  lock?: LockOptions;
  /** Who, for the audit log (default `GOVERN_ACTOR` or the OS user). */
  actor?: string;
  /** Through what, for the audit log (default `statehub`). */
  via?: string;
}): Promise<IdWriteResult> {
  const root = path.resolve(opts.root);
  const abs = path.join(root, opts.file);
  return withLock(
    root,
    opts.file,
    async (lock) => {
      const result: IdWriteResult = { file: opts.file, changed: false, hashBefore: null, hashAfter: null, written: [], already: [], problems: [] };
      let buf: Buffer;
      try {
        buf = fs.readFileSync(abs);
      } catch (err) {
        result.problems = opts.ids.map((w) => ({ item: w.item, code: 'io-error', message: `cannot read ${opts.file}: ${(err as Error).message}` }));
        return result;
      }
      result.hashBefore = sha256(buf);
      result.hashAfter = result.hashBefore;
      const text = buf.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(buf)) {
        result.problems = opts.ids.map((w) => ({ item: w.item, code: 'io-error', message: `${opts.file} is not valid UTF-8; it is not rewritten` }));
        return result;
      }
      const before = parseDocument({ file: opts.file, text }, opts.profile).document;
      const edits: TextEdit[] = [];
      const planned: IdWrite[] = [];
      for (const w of opts.ids) {
        const item = before?.items.find((i) => i.id === w.item);
        const key = item ? stateHubKeyFor(item.kind) : null;
        if (!item || !key) {
          result.problems.push({ item: w.item, code: 'item-not-found', message: `${w.item} is not a workplan or task of ${opts.file}` });
          continue;
        }
        if (item.stateHubId === w.value) {
          result.already.push(w);
          continue;
        }
        if (item.stateHubId) {
          result.problems.push({ item: w.item, code: 'id-differs', message: `${w.item} already has ${key} ${item.stateHubId}, not ${w.value}; it is not overwritten` });
          continue;
        }
        const plan = planKeyInsert(text, item, key, w.value);
        if (!plan.ok) {
          result.problems.push({ item: w.item, code: plan.code, message: plan.message });
          continue;
        }
        edits.push(plan.edit);
        planned.push(w);
      }
      if (!planned.length) return result;

      const out = applyEdits(text, edits);
      const after = parseDocument({ file: opts.file, text: out }, opts.profile).document;
      const wanted = new Map(planned.map((w) => [w.item, w.value]));
      const same =
        after !== null &&
        before !== null &&
        after.items.length === before.items.length &&
        after.items.every((i, k) => {
          const b = before.items[k]!;
          return JSON.stringify(meaning(i)) === JSON.stringify(meaning(b)) && i.stateHubId === (wanted.get(i.id) ?? b.stateHubId);
        });
      if (!same) {
        for (const w of planned) {
          result.problems.push({ item: w.item, code: 'verify-failed', message: `inserting the StateHub id into ${opts.file} would change how it reads; nothing written` });
        }
        return result;
      }
      const bytes = Buffer.from(out, 'utf8');
      // The commit checks of setStatus: the lock is still ours and the file is still the
      // bytes the edit was made from; otherwise renaming would undo another writer's change.
      lock.assertHeld();
      let hashNow: string | null;
      try {
        hashNow = sha256(fs.readFileSync(abs));
      } catch {
        hashNow = null;
      }
      if (hashNow !== result.hashBefore) {
        for (const w of planned) result.problems.push({ item: w.item, code: 'conflict', message: `${opts.file} changed while the ids were being inserted; nothing written` });
        return result;
      }
      try {
        writeFileAtomic(abs, bytes);
      } catch (err) {
        for (const w of planned) result.problems.push({ item: w.item, code: 'io-error', message: `cannot write ${opts.file}: ${(err as Error).message}` });
        return result;
      }
      // Every write is audited, ids included: one record per id, all sharing this
      // write's hashes, appended in one write while the file's lock is still held.
      const hashAfter = sha256(bytes);
      await appendAuditRecords(
        root,
        planned.map((w) => ({
          action: 'write-id' as const,
          actor: opts.actor ?? defaultActor(),
          via: opts.via ?? 'statehub',
          item: w.item,
          file: opts.file,
          from: null,
          to: null,
          hashBefore: result.hashBefore,
          hashAfter,
          reason: 'id assigned by StateHub',
          forced: [],
          evidence: null,
          key: stateHubKeyFor(before!.items.find((i) => i.id === w.item)!.kind)!,
          value: w.value,
        })),
        opts.lock,
      );
      return { ...result, changed: true, hashAfter, written: planned };
    },
    opts.lock,
  );
}
