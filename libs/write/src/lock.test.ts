import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { WriteError } from './errors.js';
import { isLockNotTaken, lockPathFor, withLock, type LockOwner } from './lock.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function repo(): string {
  const root = path.join(tmp, `r${n++}`);
  fs.mkdirSync(root, { recursive: true });
  return root;
}

const readText = (f: string) => fs.readFileSync(f, 'utf8');
const boot = readText('/proc/sys/kernel/random/boot_id').trim();
function startOf(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** Plants a lock directory as another writer would have left it, its owner file `ageMs` old. */
function plant(root: string, name: string, owner: Partial<LockOwner>, ageMs = 0): string {
  const dir = lockPathFor(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const full: LockOwner = { token: `planted${n++}`, pid: process.pid, start: startOf(process.pid), boot, host: os.hostname(), acquiredAt: new Date().toISOString(), ...owner };
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(full));
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(path.join(dir, 'owner.json'), t, t);
  fs.utimesSync(dir, t, t);
  return dir;
}

describe('withLock', () => {
  test('tells its own failure to take the lock apart from the same codes thrown under it, and keeps the mark out of the JSON', async () => {
    const root = repo();
    plant(root, 'f.md', {}, 0);
    const timeout = await withLock(root, 'f.md', () => 'ran', { timeoutMs: 100 }).catch((e: unknown) => e);
    const file = path.join(root, 'file');
    fs.writeFileSync(file, '');
    // A lock directory under a regular file cannot be created: io-error before fn runs.
    const unusable = await withLock(file, 'g.md', () => 'ran').catch((e: unknown) => e);
    const under = await withLock(repo(), 'h.md', () => {
      throw new WriteError('lock-timeout', 'thrown under the lock');
    }).catch((e: unknown) => e);
    const underIo = await withLock(repo(), 'h.md', () => {
      throw new WriteError('io-error', 'thrown under the lock');
    }).catch((e: unknown) => e);
    expect([timeout, unusable, under, underIo].map((e) => [(e as WriteError).code, isLockNotTaken(e)])).toEqual([
      ['lock-timeout', true],
      ['io-error', true],
      ['lock-timeout', false],
      ['io-error', false],
    ]);
    expect([isLockNotTaken(new Error('x')), isLockNotTaken(undefined)]).toEqual([false, false]);
    expect(Object.keys((timeout as WriteError).toJSON()).sort()).toEqual(['code', 'details', 'message']);
  });

  test('a live holder is never taken over, however long since its lock was touched (a paused or slow writer keeps it)', async () => {
    const root = repo();
    plant(root, 'f.md', {}, 3_600_000);
    const err = await withLock(root, 'f.md', () => 'ran', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'lock-timeout', details: { file: 'f.md', holder: { pid: process.pid, host: os.hostname() } } });
  });

  test('onWait is told once whom the call waits for, and not at all when the lock is free or its holder is dead', async () => {
    const root = repo();
    const since = new Date(Date.now() - 1000).toISOString();
    const dir = plant(root, 'f.md', { acquiredAt: since });
    const told: unknown[] = [];
    const waiting = withLock(root, 'f.md', () => 'ran', { timeoutMs: 10_000, onWait: (h) => told.push(h) });
    await new Promise((r) => setTimeout(r, 300));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(await waiting).toBe('ran');
    expect(told).toEqual([{ pid: process.pid, host: os.hostname(), since }]);
    const quiet: unknown[] = [];
    expect(await withLock(root, 'f.md', () => 'free', { onWait: (h) => quiet.push(h) })).toBe('free');
    plant(root, 'f.md', { pid: 2 ** 22 + 1, start: null });
    expect(await withLock(root, 'f.md', () => 'taken over', { onWait: (h) => quiet.push(h) })).toBe('taken over');
    expect(quiet).toEqual([]);
  });

  test('a holder whose process has exited is taken over at once, and the dead lock is kept as a tombstone', async () => {
    const root = repo();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dir = plant(root, 'f.md', { pid: Number(gone.stdout), start: 1, token: 'deadowner' });
    expect(await withLock(root, 'f.md', () => 'ran', { timeoutMs: 1000 })).toBe('ran');
    expect(fs.readdirSync(path.dirname(dir)).sort()).toEqual(['f.md.lock.dead-deadowner']);
  });

  test('a pid reused by another process (other start time) does not keep a dead lock alive', async () => {
    const root = repo();
    plant(root, 'f.md', { start: startOf(process.pid) + 12345 });
    expect(await withLock(root, 'f.md', () => 'ran', { timeoutMs: 1000 })).toBe('ran');
  });

  test('a holder on another host is taken over only once its lock has not been refreshed for staleMs', async () => {
    const root = repo();
    plant(root, 'fresh.md', { host: 'elsewhere', boot: 'other' }, 0);
    await expect(withLock(root, 'fresh.md', () => 'ran', { timeoutMs: 300, staleMs: 5000 })).rejects.toMatchObject({ code: 'lock-timeout' });
    plant(root, 'old.md', { host: 'elsewhere', boot: 'other' }, 60_000);
    expect(await withLock(root, 'old.md', () => 'ran', { timeoutMs: 1000, staleMs: 5000 })).toBe('ran');
  });

  test('writers racing for one dead lock: exactly one holds it at a time', async () => {
    const root = repo();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    plant(root, 'f.md', { pid: Number(gone.stdout), start: 1 });
    let inside = 0;
    let most = 0;
    let runs = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        withLock(
          root,
          'f.md',
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
            runs++;
          },
          { timeoutMs: 10_000 },
        ),
      ),
    );
    expect([runs, most]).toEqual([12, 1]);
  });

  test('assertHeld refuses to commit once the lock names another holder (fencing), and the other holder keeps it', async () => {
    const root = repo();
    const dir = lockPathFor(root, 'f.md');
    const err = await withLock(root, 'f.md', (lock) => {
      lock.assertHeld();
      fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify({ token: 'usurper', pid: 1, start: null, boot: null, host: 'elsewhere', acquiredAt: '' }));
      lock.assertHeld();
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'lock-lost', details: { file: 'f.md' } });
    expect(JSON.parse(readText(path.join(dir, 'owner.json'))).token).toBe('usurper');
  });

  test('a released lock leaves nothing behind', async () => {
    const root = repo();
    await withLock(root, 'a/b.md', () => undefined);
    expect(fs.readdirSync(path.join(root, '.govern/locks'))).toEqual([]);
  });
});
