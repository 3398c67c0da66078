import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readAuditLog } from './audit-log.js';
import { MAX_REASON_LENGTH, setStatus, sha256 } from './set-status.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-write-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const TRACKER = [
  '# Tracker',
  '',
  '| Order | Milestone | Depends On | Status |',
  '|---|---|---|---|',
  '| 1 | LM-01 Telemetry | - | In Progress |',
  '| 2 | LM-02 Store | LM-01 | Planned |',
  '| 3 | LM-03 Query | - | Planned |',
  '',
].join('\n');

const NOW = new Date('2026-11-21T12:00:00.000Z');
const base = { actor: 'tester', via: 'test', now: NOW, cacheDir: null } as const;

describe('setStatus', () => {
  test('writes the token, appends one audit record with hashes before and after', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    const before = sha256(fs.readFileSync(path.join(root, 'trackers/t.md')));
    const result = await setStatus({ ...base, root, id: 'LM-03', status: 'in_progress', reason: 'starting' });
    const after = fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8');
    expect(after).toBe(TRACKER.replace('| 3 | LM-03 Query | - | Planned |', '| 3 | LM-03 Query | - | In Progress |'));
    const audit = readAuditLog(root);
    expect(audit.diagnostics).toEqual([]);
    expect(audit.records).toEqual([
      {
        v: 1,
        id: result.audit!.id,
        at: '2026-11-21T12:00:00.000Z',
        action: 'set-status',
        actor: 'tester',
        via: 'test',
        item: 'LM-03',
        file: 'trackers/t.md',
        from: { status: 'planned', text: 'Planned' },
        to: { status: 'in_progress', text: 'In Progress' },
        hashBefore: before,
        hashAfter: sha256(after),
        reason: 'starting',
        forced: [],
        evidence: null,
        prev: null,
      },
    ]);
    expect(result).toEqual({
      item: 'LM-03',
      file: 'trackers/t.md',
      changed: true,
      from: { status: 'planned', text: 'Planned' },
      to: { status: 'in_progress', text: 'In Progress' },
      hashBefore: before,
      hashAfter: sha256(after),
      forced: [],
      audit: audit.records[0],
    });
  });

  test('--expect with a stale hash is a conflict and writes nothing', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    await expect(setStatus({ ...base, root, id: 'LM-03', status: 'in_progress', expect: sha256('something else') })).rejects.toMatchObject({
      code: 'conflict',
      details: { file: 'trackers/t.md', expected: sha256('something else'), actual: sha256(TRACKER) },
    });
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(TRACKER);
    expect(readAuditLog(root).records).toEqual([]);
  });

  test('--expect with the current hash writes', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    const r = await setStatus({ ...base, root, id: 'LM-03', status: 'blocked', expect: sha256(TRACKER) });
    expect(r.changed).toBe(true);
  });

  test('done is closure-only, even with force', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    await expect(setStatus({ ...base, root, id: 'LM-01', status: 'done', force: true })).rejects.toMatchObject({ code: 'closure-required' });
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(TRACKER);
  });

  test('starting an item whose dependency is not done is refused; --force overrides and is recorded', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    await expect(setStatus({ ...base, root, id: 'LM-02', status: 'in_progress' })).rejects.toMatchObject({
      code: 'dependencies-not-done',
      message: 'LM-02 depends on what is not done: LM-01 (in_progress)',
    });
    const r = await setStatus({ ...base, root, id: 'LM-02', status: 'in_progress', force: true, reason: 'spike' });
    expect(r.forced).toEqual(['LM-02 depends on what is not done: LM-01 (in_progress)']);
    expect(readAuditLog(root).records.map((x) => [x.item, x.forced, x.reason])).toEqual([
      ['LM-02', ['LM-02 depends on what is not done: LM-01 (in_progress)'], 'spike'],
    ]);
  });

  test('a transition the profile forbids is refused (blocked → done is closure anyway; blocked → blocked is a no-op)', async () => {
    const root = repo({
      'trackers/t.md': TRACKER.replace('| 3 | LM-03 Query | - | Planned |', '| 3 | LM-03 Query | - | Done |'),
      'profiles/p.yaml': 'extends: default\nlifecycle:\n  transitions:\n    done: []\n',
      'govern.config.yaml': 'profile: profiles/p.yaml\n',
    });
    await expect(setStatus({ ...base, root, id: 'LM-03', status: 'in_progress' })).rejects.toMatchObject({ code: 'transition-forbidden' });
    const same = await setStatus({ ...base, root, id: 'LM-01', status: 'in_progress' });
    expect([same.changed, same.audit]).toEqual([false, null]);
    expect(readAuditLog(root).records).toEqual([]);
  });

  test('an unknown id names near matches', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    await expect(setStatus({ ...base, root, id: 'lm-0', status: 'planned' })).rejects.toMatchObject({
      code: 'item-not-found',
      details: { item: 'lm-0', suggestions: ['LM-01', 'LM-02', 'LM-03'] },
    });
  });

  test('an item of a document named by its path (another file has its name) is found and written', async () => {
    const plan = '# Tasks\n\n## Phase 1: Setup\n\nStatus: Planned\n';
    const root = repo({ 'workplans/a/tasks.md': plan, 'workplans/b/tasks.md': plan });
    const r = await setStatus({ ...base, root, id: 'workplans/a/tasks:PHASE-1', status: 'in_progress' });
    expect([r.item, r.file, r.from, r.to]).toEqual(['workplans/a/tasks:PHASE-1', 'workplans/a/tasks.md', { status: 'planned', text: 'Planned' }, { status: 'in_progress', text: 'In Progress' }]);
    expect(fs.readFileSync(path.join(root, 'workplans/a/tasks.md'), 'utf8')).toBe(plan.replace('Status: Planned', 'Status: In Progress'));
    expect(fs.readFileSync(path.join(root, 'workplans/b/tasks.md'), 'utf8')).toBe(plan);
  });

  test('a status written after a dash at the end of a list line is rewritten in place, in its case', async () => {
    const plan = '# Roadmap\n\n## Phase 1: Near Term\n\n- Help center - WIP\n- GDPR - done\n';
    const root = repo({ 'workplans/roadmap.md': plan });
    const r = await setStatus({ ...base, root, id: 'roadmap:help-center', status: 'blocked' });
    expect([r.from, r.to]).toEqual([{ status: 'in_progress', text: 'WIP' }, { status: 'blocked', text: 'BLOCKED' }]);
    expect(fs.readFileSync(path.join(root, 'workplans/roadmap.md'), 'utf8')).toBe(plan.replace('Help center - WIP', 'Help center - BLOCKED'));
  });

  test('a file that is not valid UTF-8 is not rewritten', async () => {
    const root = repo({});
    fs.mkdirSync(path.join(root, 'trackers'));
    const bytes = Buffer.concat([Buffer.from(TRACKER.replace('# Tracker', '# Tracker ')), Buffer.from([0xff, 0x0a])]);
    fs.writeFileSync(path.join(root, 'trackers/t.md'), bytes);
    await expect(setStatus({ ...base, root, id: 'LM-03', status: 'blocked' })).rejects.toMatchObject({ code: 'io-error' });
    expect(fs.readFileSync(path.join(root, 'trackers/t.md')).equals(bytes)).toBe(true);
  });
});

describe('commit checks', () => {
  test('a file changed after it was read (another writer that got in, a hand edit) is a conflict at commit: that change is kept, nothing written, nothing logged', async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    const file = path.join(root, 'trackers/t.md');
    const theirs = TRACKER.replace('| 1 | LM-01 Telemetry | - | In Progress |', '| 1 | LM-01 Telemetry | - | Blocked |');
    const err = await setStatus({
      ...base,
      root,
      id: 'LM-03',
      status: 'in_progress',
      beforeCommit: () => fs.writeFileSync(file, theirs),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', details: { file: 'trackers/t.md', expected: sha256(TRACKER), actual: sha256(theirs) } });
    expect(fs.readFileSync(file, 'utf8')).toBe(theirs);
    expect(readAuditLog(root).records).toEqual([]);
  });

  test(`a reason over ${MAX_REASON_LENGTH} characters is refused before anything is read or written`, async () => {
    const root = repo({ 'trackers/t.md': TRACKER });
    const err = await setStatus({ ...base, root, id: 'LM-03', status: 'in_progress', reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid-reason', details: { length: MAX_REASON_LENGTH + 1, max: MAX_REASON_LENGTH } });
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(TRACKER);
    expect(readAuditLog(root).records).toEqual([]);
  });
});

describe('audit log', () => {
  test('each record carries the hash of the line before it; an edited, removed or reordered record breaks the chain where it happened', async () => {
    const root = repo({ 'trackers/t.md': TRACKER, 'ops/audit/govern-audit.jsonl': '{"legacy":"line without a chain"}\n' });
    for (const [id, status] of [['LM-03', 'blocked'], ['LM-03', 'planned'], ['LM-02', 'blocked']] as const) await setStatus({ ...base, root, id, status, force: true });
    const file = path.join(root, 'ops/audit/govern-audit.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(readAuditLog(root).records.map((r) => r.prev)).toEqual([sha256(lines[0]!), sha256(lines[1]!), sha256(lines[2]!)]);
    expect(readAuditLog(root).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

    const broken = (text: string) => readAuditLog((fs.writeFileSync(file, text), root)).diagnostics.filter((d) => d.code === 'audit-chain-broken').map((d) => d.line);
    expect(broken([lines[0], lines[1]!.replace('"blocked"', '"done"'), lines[2], lines[3]].join('\n') + '\n')).toEqual([3]); // edited
    expect(broken([lines[0], lines[1], lines[3]].join('\n') + '\n')).toEqual([3]); // removed
    expect(broken([lines[0], lines[2], lines[1], lines[3]].join('\n') + '\n')).toEqual([2, 3, 4]); // reordered
  });


  test('a damaged line (a writer killed mid-append) is a diagnostic; the next append starts on a fresh line', async () => {
    const root = repo({ 'trackers/t.md': TRACKER, 'ops/audit/govern-audit.jsonl': '{"v":1,"id":"x"' });
    await setStatus({ ...base, root, id: 'LM-03', status: 'blocked' });
    const log = readAuditLog(root);
    expect(log.records.map((r) => r.item)).toEqual(['LM-03']);
    expect(log.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'audit-record-invalid', file: 'ops/audit/govern-audit.jsonl', line: 1, column: 1 }),
    ]);
  });
});
