import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkspace } from '@govern/workspace';
import { appendAudit, lockPathFor, readAuditLog, sha256, withLock, WriteError } from '@govern/write';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { auditRepository } from './audit.js';
import { CHECKS_HELD_ENV, closeItem, verifyItem } from './close.js';
import { CHECKS_LOCK, CLOSURE_LOCK, withChecksLock, withClosureLock } from './closure-lock.js';
import { gitShim } from './test-support.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const TRACKER = (status: string) =>
  [
    '# Tracker',
    '',
    '| Order | Milestone | Depends On | Status |',
    '|---|---|---|---|',
    `| 1 | LM-01 Telemetry | - | ${status} |`,
    '',
    '## Checks',
    '',
    '- LM-01: `true`',
    '',
    '## Evidence Roots',
    '',
    '- LM-01: `ops/runtime/lm-01/`',
    '',
  ].join('\n');

function repo(status: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-closure-lock-'));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'trackers'));
  fs.writeFileSync(path.join(root, 'trackers/t.md'), TRACKER(status));
  return root;
}

let tick = 0;
const base = { actor: 'tester', via: 'test', toolVersion: '9.9.9', cacheDir: null, now: () => new Date(Date.UTC(2026, 10, 21, 12, 0, tick++)) } as const;
const MANIFEST = 'ops/runtime/lm-01/manifest.json';
const load = (root: string) => () => loadWorkspace({ root, cacheDir: null });
const CLEAN = { diagnostics: [], checked: { doneItems: 1, evidenceRoots: 1, claims: 0 } };

/** Settles to 'pending' when `p` has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

/**
 * Renews the evidence of the done item `item` as another `govern close` would, in its two
 * writes: the manifest at `manifestRel` now, and the `close` record that binds it when the
 * returned function is called. A test runs the code under test between the two.
 */
function renewEvidence(root: string, item: string, manifestRel: string): () => Promise<unknown> {
  const renewed = fs.readFileSync(path.join(root, manifestRel), 'utf8').replace(/"createdAt": "[^"]+"/, '"createdAt": "2026-11-22T00:00:00.000Z"');
  fs.writeFileSync(path.join(root, manifestRel), renewed);
  return () =>
    appendAudit(root, {
      action: 'close',
      actor: 'tester',
      via: 'test',
      item,
      file: 'trackers/t.md',
      from: { status: 'done', text: 'Done' },
      to: { status: 'done', text: 'Done' },
      hashBefore: null,
      hashAfter: null,
      reason: `evidence renewed: ${manifestRel}`,
      forced: [],
      evidence: manifestRel,
      evidenceSha256: sha256(renewed),
    });
}

describe('the closure lock', { timeout: 30_000 }, () => {
  test('an audit run while a closure is half published waits for it, then finds it whole', async () => {
    const root = repo('In Progress');
    expect((await closeItem({ ...base, root, id: 'LM-01' })).passed).toBe(true);
    expect(await auditRepository(root, load(root))).toEqual(CLEAN);

    // Another process renews the evidence of the done item, as `govern close` does: a new
    // manifest, then the close record that binds it. The audit starts between the two.
    // Returned in an array: an async function returning the promise itself would wait for it.
    const [audit] = await withClosureLock(root, async () => {
      const bind = renewEvidence(root, 'LM-01', MANIFEST);
      const audit = auditRepository(root, load(root));
      expect(await within(audit, 300)).toBe('pending');
      await bind();
      return [audit];
    });
    expect(await audit).toEqual(CLEAN);
  });

  test('a closure whose checks passed publishes only once an audit holding the lock is done', async () => {
    const root = repo('In Progress');
    const [close] = await withClosureLock(root, async () => {
      let ran = false;
      const close = closeItem({ ...base, root, id: 'LM-01', onCheck: (e) => void (e.result && (ran = true)) });
      // The checks run outside the lock: they finish while it is held.
      while (!ran) expect(await within(close, 20)).toBe('pending');
      expect(await within(close, 300)).toBe('pending');
      expect([fs.existsSync(path.join(root, MANIFEST)), fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8'), readAuditLog(root).records]).toEqual([
        false,
        TRACKER('In Progress'),
        [],
      ]);
      return [close];
    });
    const r = await close;
    expect([r.passed, r.manifest, r.status?.to]).toEqual([true, MANIFEST, { status: 'done', text: 'Done' }]);
    expect(await auditRepository(root, load(root))).toEqual(CLEAN);
  });

  test('a closure that cannot take the lock publishes nothing and says why', async () => {
    const root = repo('In Progress');
    const r = await withClosureLock(root, () => closeItem({ ...base, root, id: 'LM-01', lock: { timeoutMs: 200 } }));
    expect([r.passed, r.manifest, r.failures.map((f) => f.code), fs.existsSync(path.join(root, MANIFEST))]).toEqual([false, null, ['status-write-failed'], false]);
    expect(r.failures[0]!.message).toMatch(/^checks passed, but the closure was not published \(nothing written to ops\/runtime\/lm-01\/manifest.json or the status\): lock-timeout: /);
    expect(readAuditLog(root).records.map((x) => [x.action, x.evidence])).toEqual([['close-failed', r.attemptManifest]]);
  });

  test('a closure whose status write fails puts the previous manifest back, so the audit still finds the item clean', async () => {
    const root = repo('In Progress');
    expect((await closeItem({ ...base, root, id: 'LM-01' })).passed).toBe(true);
    const bound = fs.readFileSync(path.join(root, MANIFEST), 'utf8');
    // Another writer holds the tracker's lock: the renewal's status write gives up.
    const r = await withLock(root, 'trackers/t.md', () => closeItem({ ...base, root, id: 'LM-01', lock: { timeoutMs: 200 } }));
    expect([r.passed, r.manifest, r.failures.map((f) => f.code)]).toEqual([false, null, ['status-write-failed']]);
    expect(r.failures[0]!.message).toMatch(/^checks passed, but the status was not set \(ops\/runtime\/lm-01\/manifest.json was put back as it was\): lock-timeout: /);
    expect(fs.readFileSync(path.join(root, MANIFEST), 'utf8')).toBe(bound);
    expect(await auditRepository(root, load(root))).toEqual(CLEAN);
    // A first closure that fails the same way leaves no manifest at all.
    const fresh = repo('In Progress');
    const f = await withLock(fresh, 'trackers/t.md', () => closeItem({ ...base, root: fresh, id: 'LM-01', lock: { timeoutMs: 200 } }));
    expect([f.passed, f.manifest, fs.existsSync(path.join(fresh, MANIFEST))]).toEqual([false, null, false]);
  });

  test('an audit gives up with lock-timeout, not a stack, when a closure holds the lock too long', async () => {
    const root = repo('In Progress');
    const err = await withClosureLock(root, () => auditRepository(root, load(root), { lock: { timeoutMs: 200 } }).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(WriteError);
    const e = err as WriteError;
    expect([e.code, e.details.file, e.details.lock, (e.details.holder as { pid: number }).pid]).toEqual(['lock-timeout', CLOSURE_LOCK, '.govern/locks/closure.lock', process.pid]);
    expect(e.message).toMatch(new RegExp(`^the audit waited \\d+ ms for a closure being published \\(the closure lock, held by pid ${process.pid} on .+\\) and gave up$`));
  });

  test('an audit runs git only after it has released the lock: closures and other audits wait only for its reading', async () => {
    const root = repo('In Progress');
    const git = (...args: string[]) => expect(spawnSync('git', args, { cwd: root, encoding: 'utf8' }).status).toBe(0);
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'start');
    expect((await closeItem({ ...base, root, id: 'LM-01' })).passed).toBe(true);
    // A `git` first on PATH that notes, each time the audit starts it, whether the closure
    // lock (a directory while held) is held, then runs the real git.
    const shim = gitShim(`if [ -d '${path.join(root, '.govern/locks/closure.lock')}' ]; then echo held; else echo free; fi >> "$LOG"`);
    let runs: string[];
    try {
      // The probe sees the lock when it is held.
      await withClosureLock(root, () => git('--version'));
      expect(shim.read()).toEqual(['held']);
      shim.clear();
      expect(await auditRepository(root, load(root))).toEqual(CLEAN);
      runs = shim.read();
    } finally {
      shim.restore();
    }
    // git ran (history, provenance, check-ignore), every time with the lock free.
    expect([runs.length > 3, [...new Set(runs)]]).toEqual([true, ['free']]);
  });

  test("a closure's phase audit reads its dependencies' evidence under the lock, so it sees their closures whole", async () => {
    const root = repo('In Progress');
    fs.writeFileSync(
      path.join(root, 'trackers/t.md'),
      TRACKER('In Progress')
        .replace('| 1 | LM-01 Telemetry | - | In Progress |', '| 1 | LM-02 Probes | - | In Progress |\n| 2 | LM-01 Telemetry | LM-02 | In Progress |')
        .replace('- LM-01: `true`', '- LM-01: `true`\n- LM-02: `true`')
        .replace('- LM-01: `ops/runtime/lm-01/`', '- LM-01: `ops/runtime/lm-01/`\n- LM-02: `ops/runtime/lm-02/`'),
    );
    expect((await closeItem({ ...base, root, id: 'LM-02' })).passed).toBe(true);
    // Another process renews LM-02's evidence; LM-01's checks finish between its manifest and its close record.
    const [close] = await withClosureLock(root, async () => {
      const bind = renewEvidence(root, 'LM-02', 'ops/runtime/lm-02/manifest.json');
      let ran = false;
      const close = closeItem({ ...base, root, id: 'LM-01', onCheck: (e) => void (e.result && (ran = true)) });
      while (!ran) expect(await within(close, 20)).toBe('pending');
      expect(await within(close, 300)).toBe('pending');
      await bind();
      return [close];
    });
    const r = await close;
    expect([r.passed, r.failures, r.checks.map((c) => [c.name, c.exitCode])]).toEqual([true, [], [['true', 0], ['phase audit', 0]]]);
  });

  test('a closure reads under the lock only the closures its phase audit and its criteria look at, not every done item', async () => {
    const plan = (id: string, tasks: string[][]) => ['---', `id: ${id}`, 'type: workplan', `title: ${id}`, 'status: in_progress', '---', '', ...tasks.flat()].join('\n');
    const task = (id: string, ...more: string[]) => [`## ${id.slice(-3)} - Task`, '', `id: ${id}`, 'status: in_progress', `evidence_root: ops/runtime/${id.toLowerCase()}`, 'checks: true', '', ...more];
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'govern-closure-scope-')));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'workplans'));
    fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-1', [task('WP-1-T01', 'Acceptance:', '', '- Covered by the other plan (verified by WP-2-T01)', '')]));
    fs.writeFileSync(path.join(root, 'workplans/b.md'), plan('WP-2', [task('WP-2-T01'), task('WP-2-T02')]));
    for (const id of ['WP-2-T01', 'WP-2-T02']) expect((await closeItem({ ...base, root, id })).failures).toEqual([]);

    // Every read of the other plan's evidence during the closure, and whether the closure lock (a directory while held) was held.
    const lockDir = path.join(root, '.govern/locks/closure.lock');
    const real = fs.readFileSync;
    const reads: string[] = [];
    const spy = vi.spyOn(fs, 'readFileSync').mockImplementation(((file: fs.PathOrFileDescriptor, options?: Parameters<typeof fs.readFileSync>[1]) => {
      if (typeof file === 'string' && file.startsWith(path.join(root, 'ops/runtime/wp-2-'))) reads.push(`${fs.existsSync(lockDir) ? 'held' : 'free'} ${path.relative(root, file)}`);
      return real(file, options);
    }) as typeof fs.readFileSync);
    let r;
    try {
      r = await closeItem({ ...base, root, id: 'WP-1-T01' });
    } finally {
      spy.mockRestore();
    }
    const logs = (id: string) =>
      fs.readdirSync(path.join(root, 'ops/runtime', id, 'attempts')).flatMap((a) => fs.readdirSync(path.join(root, 'ops/runtime', id, 'attempts', a, 'checks')).sort().map((f) => `held ops/runtime/${id}/attempts/${a}/checks/${f}`));
    expect([r.failures, r.checks.map((c) => [c.command, c.exitCode])]).toEqual([[], [['true', 0], ['govern audit (built in: workplans/a.md)', 0]]]);
    // WP-2-T01, which a criterion names: checked before the checks ran, then read under the
    // lock with the files its manifest hashes. WP-2-T02, in no document the phase audit
    // looks at and named by no criterion, is not read at all.
    expect(reads).toEqual(['free ops/runtime/wp-2-t01/manifest.json', 'held ops/runtime/wp-2-t01/manifest.json', ...logs('wp-2-t01')]);
  });

  // A read-only checkout: the lock directory cannot be created. Simulated by a file where
  // the locks directory would be, since these tests may run as root, where chmod does not
  // stop a write.
  test('an audit where the lock cannot be created runs without it', async () => {
    const root = repo('In Progress');
    expect((await closeItem({ ...base, root, id: 'LM-01' })).passed).toBe(true);
    fs.rmSync(path.join(root, '.govern/locks'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, '.govern'), { recursive: true });
    fs.writeFileSync(path.join(root, '.govern/locks'), '');
    expect(await auditRepository(root, load(root))).toEqual(CLEAN);
  });
});

describe('the checks lock', { timeout: 30_000 }, () => {
  // Two items whose checks share a build output, as this repository's items share
  // `dist/`: each check writes its own name into `dist/owner`, waits, and fails unless it
  // still finds its own name there (another build ran meanwhile).
  const build = (id: string) => `node -e "const fs=require('fs');fs.mkdirSync('dist',{recursive:true});fs.writeFileSync('dist/owner','${id}');setTimeout(()=>process.exit(fs.readFileSync('dist/owner','utf8')==='${id}'?0:1),400)"`;
  const TWO = [
    '# Tracker',
    '',
    '| Order | Milestone | Depends On | Status |',
    '|---|---|---|---|',
    '| 1 | LM-01 Telemetry | - | In Progress |',
    '| 2 | LM-02 Storage | - | In Progress |',
    '| 3 | LM-03 Query | LM-02 | In Progress |',
    '',
    '## Checks',
    '',
    `- LM-01: \`${build('LM-01')}\``,
    `- LM-02: \`${build('LM-02')}\``,
    '- LM-03: `true`',
    '',
    '## Evidence Roots',
    '',
    '- LM-01: `ops/runtime/lm-01/`',
    '- LM-02: `ops/runtime/lm-02/`',
    '- LM-03: `ops/runtime/lm-03/`',
    '',
  ].join('\n');
  function twoRepo(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-checks-lock-'));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'trackers'));
    fs.writeFileSync(path.join(root, 'trackers/t.md'), TWO);
    return root;
  }

  test("two closures in parallel in one checkout run their checks one after the other, so neither sees the other's build", async () => {
    const root = twoRepo();
    const waits: string[] = [];
    const results = await Promise.all(
      ['LM-01', 'LM-02'].map((id) => closeItem({ ...base, root, id, onChecksWait: (holder) => waits.push(`${id} waits for pid ${holder?.pid}`) })),
    );
    expect(results.map((r) => [r.item, r.passed, r.failures, r.status?.to.status])).toEqual([
      ['LM-01', true, [], 'done'],
      ['LM-02', true, [], 'done'],
    ]);
    // One of them waited, for this process (the holder of the other's checks).
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(new RegExp(`^LM-0[12] waits for pid ${process.pid}$`));
    expect(fs.existsSync(lockPathFor(root, CHECKS_LOCK))).toBe(false);
  });

  test('a closure gives up with checks-lock-timeout, having run nothing, when another holds the checks too long; refusals do not wait', async () => {
    const root = twoRepo();
    const [timedOut, refused] = await withChecksLock(root, async () => {
      const t = await closeItem({ ...base, root, id: 'LM-01', checksLockTimeoutMs: 200 });
      // LM-03 depends on LM-02, which is not done: refused before any check, without waiting.
      const started = Date.now();
      const r = await closeItem({ ...base, root, id: 'LM-03', checksLockTimeoutMs: 10_000 });
      return [t, { ...r, waitedLong: Date.now() - started > 5_000 }];
    });
    expect([timedOut.passed, timedOut.checks, timedOut.attemptManifest, timedOut.failures.map((f) => f.code), fs.existsSync(path.join(root, 'dist'))]).toEqual([
      false,
      [],
      null,
      ['checks-lock-timeout'],
      false,
    ]);
    expect(timedOut.failures[0]!.message).toMatch(/^no check ran: another closure ran its checks in this checkout for longer than this one waits \(checks is locked by another writer \(pid \d+ on .+\); gave up after \d+ ms\)$/);
    expect([refused.passed, refused.waitedLong, refused.failures.map((f) => f.code)]).toEqual([false, false, ['dependencies-not-done']]);
    expect(readAuditLog(root).records.map((x) => [x.action, x.item])).toEqual([
      ['close-failed', 'LM-01'],
      ['close-failed', 'LM-03'],
    ]);
    // The lock released, the same closure passes.
    expect((await closeItem({ ...base, root, id: 'LM-01' })).passed).toBe(true);
    // `govern verify` runs the recorded checks again under the same lock.
    const waits: unknown[] = [];
    const verify = await withChecksLock(root, () => verifyItem({ root, id: 'LM-01', cacheDir: null, checksLockTimeoutMs: 200, onChecksWait: (h) => waits.push(h?.pid) }));
    expect([verify.passed, verify.checks, waits]).toEqual([false, [], [process.pid]]);
    expect(verify.problems).toEqual([expect.stringMatching(/^no check ran: the checks lock was not taken \(checks is locked by another writer/)]);
    expect((await verifyItem({ root, id: 'LM-01', cacheDir: null })).passed).toBe(true);
  });

  test('a closure started by a check of the closure holding the checks lock is refused at once; a marker naming another holder still waits', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-checks-nested-'));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'trackers'));
    // LM-01's check records the marker it is given, as a nested `govern close` would read it.
    const record = `node -e "require('fs').writeFileSync('held.json', process.env.${CHECKS_HELD_ENV} || '')"`;
    fs.writeFileSync(path.join(root, 'trackers/t.md'), TWO.replace(`\`${build('LM-01')}\``, `\`${record}\``));
    // No marker of an enclosing closure (this test may itself run as a closure's check).
    const outer = await closeItem({ ...base, root, id: 'LM-01', env: { [CHECKS_HELD_ENV]: undefined } });
    expect([outer.passed, outer.failures]).toEqual([true, []]);
    const marker = fs.readFileSync(path.join(root, 'held.json'), 'utf8');
    expect(JSON.parse(marker)).toEqual([{ pid: process.pid, host: os.hostname(), root: fs.realpathSync(root) }]);

    // While this process holds the checks lock, a closure given that marker (a check of
    // this closure's) is refused without waiting; one whose marker names another process
    // (a marker leaked from elsewhere) waits for the holder as any closure does.
    const [nested, unrelated] = await withChecksLock(root, async () => {
      const started = Date.now();
      const n = await closeItem({ ...base, root, id: 'LM-02', checksLockTimeoutMs: 20_000, env: { [CHECKS_HELD_ENV]: marker } });
      const nestedMs = Date.now() - started;
      const other = JSON.stringify([{ pid: process.pid + 1, host: os.hostname(), root: fs.realpathSync(root) }]);
      const u = await closeItem({ ...base, root, id: 'LM-02', checksLockTimeoutMs: 300, env: { [CHECKS_HELD_ENV]: other } });
      return [{ ...n, fast: nestedMs < 5_000 }, u];
    });
    expect([nested.passed, nested.fast, nested.checks, nested.attemptManifest, nested.failures]).toEqual([
      false,
      true,
      [],
      null,
      [
        {
          code: 'checks-lock-nested',
          message: `no check ran: the checks lock of ${fs.realpathSync(root)} is held by the closure whose check started this one (pid ${process.pid}); waiting would wait for itself; run it outside the other closure's checks, or in another clone`,
        },
      ],
    ]);
    expect([unrelated.passed, unrelated.failures.map((f) => f.code)]).toEqual([false, ['checks-lock-timeout']]);
    expect(fs.existsSync(path.join(root, 'dist'))).toBe(false);
    // The refusal is recorded like any failed closure.
    expect(readAuditLog(root).records.filter((r) => r.item === 'LM-02').map((r) => r.action)).toEqual(['close-failed', 'close-failed']);
  });

  test('a checks lock whose holder process has exited is taken over at once', async () => {
    const root = twoRepo();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dir = lockPathFor(root, CHECKS_LOCK);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify({ token: 'x', pid: Number(dead.stdout), start: null, boot: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), host: os.hostname(), acquiredAt: new Date().toISOString() }));
    const r = await closeItem({ ...base, root, id: 'LM-01', checksLockTimeoutMs: 2_000 });
    expect([r.passed, r.failures]).toEqual([true, []]);
  });
});
