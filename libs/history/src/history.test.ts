import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkspace } from '@govern/workspace';
import { appendAudit, readAuditLog, setStatus, sha256, type AuditRecord } from '@govern/write';
import type { Status } from '@govern/workplan';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { documentHistory, handEditDiagnostics, handEdits, HistoryError, itemAdoptions, nearIds, statusHistory } from './index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-history-'));
  dirs.push(d);
  return d;
}

// Hermetic git: no system or global configuration (signing, hooks, templates).
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

function git(root: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync('git', args, { cwd: root, env: { ...GIT_ENV, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Commits the tracker (and the audit log when there is one) as `who` at `time` (author and committer). */
function commit(root: string, who: string, time: string, message: string, committerTime = time): string {
  const files = ['trackers/t.md', 'ops/audit/govern-audit.jsonl'].filter((f) => fs.existsSync(path.join(root, f)));
  git(root, ['add', '--', ...files]);
  git(root, ['-c', `user.name=${who}`, '-c', `user.email=${who.toLowerCase()}@example.com`, 'commit', '-q', '-m', message], {
    GIT_AUTHOR_DATE: time,
    GIT_COMMITTER_DATE: committerTime,
  });
  return git(root, ['rev-parse', 'HEAD']);
}

const FILE = 'trackers/t.md';
const row = (n: number, status: string) => `| ${n} | AB-0${n} Item ${n} | - | ${status} |`;
const tracker = (statuses: string[]) =>
  ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', ...statuses.map((s, i) => row(i + 1, s)), '', '## Notes', ''].join('\n');

/** Hand edit: the status cell of one row, nothing else. */
function handSet(root: string, n: number, from: string, to: string): void {
  const abs = path.join(root, FILE);
  const text = fs.readFileSync(abs, 'utf8');
  if (!text.includes(row(n, from))) throw new Error(`row ${n} is not ${from}`);
  fs.writeFileSync(abs, text.replace(row(n, from), row(n, to)));
}
const note = (root: string, line: string) => fs.appendFileSync(path.join(root, FILE), `${line}\n`);
const at = (hhmm: string) => `2026-01-01T${hhmm}:00Z`;
const govern = (root: string, id: string, status: Status, hhmm: string, closure = false) =>
  setStatus({ root, id, status, now: new Date(at(hhmm)), actor: 'closer', via: 'cli', cacheDir: null, ...(closure ? { closure: { evidence: `ops/runtime/${id.toLowerCase()}/manifest.json` } } : {}) });

const sv = (status: Status | null, text: string | null) => ({ status, text });
const commitOf = (c: string, who: string, hhmm: string, committed = hhmm) => ({
  source: 'git',
  commit: c,
  file: FILE,
  author: who,
  email: `${who.toLowerCase()}@example.com`,
  date: `2026-01-01T${hhmm}:00+00:00`,
  committedAt: `2026-01-01T${committed}:00+00:00`,
});

/**
 * One repository, its whole story (times on 2026-01-01, UTC):
 *
 * 10:00 c1 alice  AB-01..03 planned
 * 11:00 c2 bob    AB-01 → In Progress by hand
 * 11:30           govern close AB-01 (the audit log's first record: adoption)
 * 12:00 c3 carol  commits exactly the bytes govern wrote            → hash-after
 * 12:10           a note by hand; 12:20 govern AB-03 → in_progress; 12:25 another note
 * 12:30 c4 dave   commit (neither hash is a committed one)          → time window
 * 13:00           govern AB-02 → in_progress from c4's bytes; 13:05 a note
 * 13:10 c5 erin   commit, committer clock 12:59 (behind the record) → hash-before
 * 14:00 c6 frank  AB-03 → Done by hand; AB-04 added as In Progress
 * 14:30           govern AB-02 → blocked, then the file restored by hand (never committed)
 *                 working tree: AB-02 → Partial by hand
 */
describe('statusHistory and handEditDiagnostics over a git repository', () => {
  let root: string;
  const c: Record<string, string> = {};
  beforeAll(async () => {
    root = tempDir();
    git(root, ['init', '-q']);
    fs.mkdirSync(path.join(root, 'trackers'));
    fs.writeFileSync(path.join(root, FILE), tracker(['Planned', 'Planned', 'Planned']));
    c.c1 = commit(root, 'Alice', at('10:00'), 'tracker');
    handSet(root, 1, 'Planned', 'In Progress');
    c.c2 = commit(root, 'Bob', at('11:00'), 'AB-01 started by hand');
    await govern(root, 'AB-01', 'done', '11:30', true);
    c.c3 = commit(root, 'Carol', at('12:00'), 'AB-01 closed');
    note(root, 'a note');
    await govern(root, 'AB-03', 'in_progress', '12:20');
    note(root, 'another note');
    c.c4 = commit(root, 'Dave', at('12:30'), 'AB-03 started, notes');
    await govern(root, 'AB-02', 'in_progress', '13:00');
    note(root, 'a third note');
    c.c5 = commit(root, 'Erin', at('13:10'), 'AB-02 started', at('12:59'));
    handSet(root, 3, 'In Progress', 'Done');
    fs.writeFileSync(path.join(root, FILE), fs.readFileSync(path.join(root, FILE), 'utf8').replace('\n\n## Notes', `\n${row(4, 'In Progress')}\n\n## Notes`));
    c.c6 = commit(root, 'Frank', at('14:00'), 'AB-03 done by hand, AB-04 added');
    const committed = fs.readFileSync(path.join(root, FILE));
    await govern(root, 'AB-02', 'blocked', '14:30');
    fs.writeFileSync(path.join(root, FILE), committed);
    handSet(root, 2, 'In Progress', 'Partial');
  });

  test('AB-01: a hand edit to in_progress, then govern close committed as written (hash-after)', async () => {
    const h = await statusHistory(root, 'AB-01', { cacheDir: null });
    const close = readAuditLog(root).records.find((r) => r.item === 'AB-01')!;
    expect(h).toEqual({
      item: 'AB-01',
      file: FILE,
      adoptions: [],
      truncated: false,
      diagnostics: [],
      transitions: [
        { ...commitOf(c.c1!, 'Alice', '10:00'), from: null, to: sv('planned', 'Planned'), via: 'hand-edit', audit: null },
        { ...commitOf(c.c2!, 'Bob', '11:00'), from: sv('planned', 'Planned'), to: sv('in_progress', 'In Progress'), via: 'hand-edit', audit: null },
        {
          ...commitOf(c.c3!, 'Carol', '12:00'),
          from: sv('in_progress', 'In Progress'),
          to: sv('done', 'Done'),
          via: 'govern',
          audit: { id: close.id, action: 'close', actor: 'closer', at: '2026-01-01T11:30:00.000Z', reason: null, match: 'hash-after' },
        },
      ],
    });
    expect(close.hashAfter).toBe(sha256(spawnSync('git', ['show', `${c.c3}:${FILE}`], { cwd: root, env: GIT_ENV }).stdout));
  });

  test('AB-02: hash-before despite a committer clock behind the write; a reverted govern write; an uncommitted hand edit', async () => {
    const h = await statusHistory(root, 'AB-02', { cacheDir: null });
    const [started, blocked] = readAuditLog(root).records.filter((r) => r.item === 'AB-02');
    expect(h.transitions).toEqual([
      { ...commitOf(c.c1!, 'Alice', '10:00'), from: null, to: sv('planned', 'Planned'), via: 'hand-edit', audit: null },
      {
        ...commitOf(c.c5!, 'Erin', '13:10', '12:59'),
        from: sv('planned', 'Planned'),
        to: sv('in_progress', 'In Progress'),
        via: 'govern',
        audit: { id: started!.id, action: 'set-status', actor: 'closer', at: '2026-01-01T13:00:00.000Z', reason: null, match: 'hash-before' },
      },
      {
        source: 'audit-log',
        commit: null,
        file: FILE,
        author: 'closer',
        email: null,
        date: '2026-01-01T14:30:00.000Z',
        committedAt: null,
        from: sv('in_progress', 'In Progress'),
        to: sv('blocked', 'Blocked'),
        via: 'govern',
        audit: { id: blocked!.id, action: 'set-status', actor: 'closer', at: '2026-01-01T14:30:00.000Z', reason: null, match: null },
      },
      {
        source: 'working-tree',
        commit: null,
        file: FILE,
        author: null,
        email: null,
        date: expect.any(String),
        committedAt: null,
        from: sv('in_progress', 'In Progress'),
        to: sv('partial', 'Partial'),
        via: 'hand-edit',
        audit: null,
      },
    ]);
  });

  test('AB-03: a govern write among hand edits matches by time; a hand edit to done', async () => {
    const h = await statusHistory(root, 'AB-03', { cacheDir: null });
    const started = readAuditLog(root).records.find((r) => r.item === 'AB-03')!;
    expect(h.transitions.map((t) => [t.commit, t.from?.status ?? null, t.to?.status ?? null, t.via, t.audit?.match ?? null])).toEqual([
      [c.c1, null, 'planned', 'hand-edit', null],
      [c.c4, 'planned', 'in_progress', 'govern', 'time'],
      [c.c6, 'in_progress', 'done', 'hand-edit', null],
    ]);
    expect(h.transitions[1]!.audit!.id).toBe(started.id);
  });

  test('handEditDiagnostics: the hand-made done is an error; later hand edits and an item added in progress warn; before adoption nothing', async () => {
    const ws = await loadWorkspace({ root, cacheDir: null });
    const diags = handEditDiagnostics(root, ws);
    expect(diags.map((d) => [d.severity, d.code, d.file, d.line])).toEqual([
      ['warning', 'hand-edit', FILE, 6],
      ['error', 'hand-edit-done', FILE, 7],
      ['warning', 'hand-edit', FILE, 8],
    ]);
    expect(diags.map((d) => d.message)).toEqual([
      'AB-02 went In Progress → Partial in the working tree (not committed) by a hand edit; ops/audit/govern-audit.jsonl has no record of it',
      `AB-03 was set Done in commit ${c.c6!.slice(0, 7)} (Frank, 2026-01-01T14:00:00+00:00) by a hand edit, not by \`govern close\`: no close record in ops/audit/govern-audit.jsonl matches it`,
      `AB-04 was first written as In Progress in commit ${c.c6!.slice(0, 7)} (Frank, 2026-01-01T14:00:00+00:00), not planned: ops/audit/govern-audit.jsonl has no record of how it got there`,
    ]);
    expect(diags[1]!.note).toBe('set it back and run `govern close AB-03`, so its checks run and its evidence manifest is recorded');
    // Without an audit log govern was never adopted: nothing to report.
    expect(handEditDiagnostics(root, ws, { records: [] })).toEqual([]);
    // Scoped to documents: the same findings for the tracker, none for a scope without it.
    expect(handEditDiagnostics(root, ws, { documents: new Set([FILE]) })).toEqual(diags);
    expect(handEditDiagnostics(root, ws, { documents: new Set(['workplans/other.md']) })).toEqual([]);
    // The same findings with the item each is about as data (adopt acts on it; a message is for people).
    expect(handEdits(root, ws)).toEqual([
      { item: 'AB-02', diagnostic: diags[0] },
      { item: 'AB-03', diagnostic: diags[1] },
      { item: 'AB-04', diagnostic: diags[2] },
    ]);
  });

  test('--max-commits: the newest commits only, said in truncated and an info diagnostic', async () => {
    const h = await statusHistory(root, 'AB-01', { cacheDir: null, maxCommits: 2 });
    expect(h.truncated).toBe(true);
    expect(h.transitions.map((t) => [t.commit, t.from, t.to?.status])).toEqual([[c.c5, null, 'done']]);
    expect(h.diagnostics.map((d) => [d.severity, d.code])).toEqual([['info', 'history-truncated']]);
    // One log, one batch read: the revisions and the working tree.
    const doc = documentHistory(root, FILE, (await loadWorkspace({ root, cacheDir: null })).profile, { maxCommits: 2 });
    expect(doc.revisions.map((r) => r.commit)).toEqual([c.c5, c.c6, null]);
  });
});

test('an item added and started with govern before its first commit: the first appearance is a govern write, nothing to report', async () => {
  const root = tempDir();
  git(root, ['init', '-q']);
  fs.mkdirSync(path.join(root, 'trackers'));
  fs.writeFileSync(path.join(root, FILE), tracker(['Planned']));
  const c1 = commit(root, 'Alice', at('10:00'), 'tracker');
  fs.writeFileSync(path.join(root, FILE), tracker(['Planned', 'Planned']));
  await govern(root, 'AB-02', 'in_progress', '10:30');
  const c2 = commit(root, 'Bob', at('11:00'), 'AB-02 added and started');
  const h = await statusHistory(root, 'AB-02', { cacheDir: null });
  expect(h.transitions.map((t) => [t.commit, t.from, t.to?.status, t.via, t.audit?.match])).toEqual([[c2, null, 'in_progress', 'govern', 'hash-after']]);
  expect((await statusHistory(root, 'AB-01', { cacheDir: null })).transitions.map((t) => [t.commit, t.via])).toEqual([[c1, 'hand-edit']]);
  expect(handEditDiagnostics(root, await loadWorkspace({ root, cacheDir: null }))).toEqual([]);
});

describe('statusHistory without git, and unknown ids', () => {
  test('not a git repository: the audit records only, with a history-no-git warning', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'trackers'));
    fs.writeFileSync(path.join(root, FILE), tracker(['In Progress']));
    const r = await appendAudit(root, {
      at: new Date('2026-01-01T09:00:00Z'),
      action: 'set-status',
      actor: 'someone',
      via: 'cli',
      item: 'AB-01',
      file: FILE,
      from: sv('planned', 'Planned'),
      to: sv('in_progress', 'In Progress'),
      hashBefore: null,
      hashAfter: null,
      reason: 'started',
      forced: [],
      evidence: null,
    });
    // A failed closure changes no status: not an entry.
    await appendAudit(root, { action: 'close-failed', actor: 'someone', via: 'cli', item: 'AB-01', file: FILE, from: null, to: null, hashBefore: null, hashAfter: null, reason: null, forced: [], evidence: null, failures: ['x'] });
    const h = await statusHistory(root, 'AB-01', { cacheDir: null });
    expect(h.transitions).toEqual([
      {
        source: 'audit-log',
        commit: null,
        file: FILE,
        author: 'someone',
        email: null,
        date: '2026-01-01T09:00:00.000Z',
        committedAt: null,
        from: sv('planned', 'Planned'),
        to: sv('in_progress', 'In Progress'),
        via: 'govern',
        audit: { id: r.id, action: 'set-status', actor: 'someone', at: '2026-01-01T09:00:00.000Z', reason: 'started', match: null },
      },
    ]);
    expect(h.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'history-no-git', file: FILE, line: 1, column: 1, message: expect.stringMatching(/^no git history for trackers\/t\.md: .*not a git repository/) }),
    ]);
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(handEditDiagnostics(root, ws)).toEqual([]);
  });

  test('an item of a document named by its path (another file has its name): its commits are read under that id', async () => {
    const root = tempDir();
    git(root, ['init', '-q']);
    const plan = (status: string) => `# Tasks\n\n## Phase 1: Setup\n\nStatus: ${status}\n`;
    const files = ['workplans/a/tasks.md', 'workplans/b/tasks.md'];
    for (const f of files) {
      fs.mkdirSync(path.join(root, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), plan('Planned'));
    }
    const commitAll = (who: string, hhmm: string) => {
      git(root, ['add', '--', ...files]);
      git(root, ['-c', `user.name=${who}`, '-c', `user.email=${who.toLowerCase()}@example.com`, 'commit', '-q', '-m', hhmm], { GIT_AUTHOR_DATE: at(hhmm), GIT_COMMITTER_DATE: at(hhmm) });
      return git(root, ['rev-parse', 'HEAD']);
    };
    const c1 = commitAll('Alice', '10:00');
    fs.writeFileSync(path.join(root, files[0]!), plan('In Progress'));
    const c2 = commitAll('Bob', '11:00');
    const h = await statusHistory(root, 'workplans/a/tasks:PHASE-1', { cacheDir: null });
    const entry = (c: string, who: string, hhmm: string) => ({ ...commitOf(c, who, hhmm), file: files[0] });
    expect([h.file, h.diagnostics, h.transitions]).toEqual([
      files[0],
      [],
      [
        { ...entry(c1, 'Alice', '10:00'), from: null, to: sv('planned', 'Planned'), via: 'hand-edit', audit: null },
        { ...entry(c2, 'Bob', '11:00'), from: sv('planned', 'Planned'), to: sv('in_progress', 'In Progress'), via: 'hand-edit', audit: null },
      ],
    ]);
  });

  test('an unknown id throws item-not-found with near ids', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'trackers'));
    fs.writeFileSync(path.join(root, FILE), tracker(['Planned', 'Planned']));
    const err = await statusHistory(root, 'ab01', { cacheDir: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryError);
    expect((err as HistoryError).toJSON()).toEqual({
      code: 'item-not-found',
      message: `no item ab01 in ${root}; did you mean AB-01, AB-02?`,
      details: { item: 'ab01', suggestions: ['AB-01', 'AB-02'] },
    });
    expect(nearIds('AB-3', ['AB-01', 'AB-02', 'AB-03', 'XY-99'])).toEqual(['AB-03', 'AB-01', 'AB-02']);
  });
});

describe('itemAdoptions', () => {
  const rec = (id: string, item: string, action: AuditRecord['action'], to: Status | null = 'done'): AuditRecord => ({
    v: 1,
    id,
    at: `2026-01-01T10:0${id}:00.000Z`,
    action,
    actor: 'maintainer',
    via: 'cli',
    item,
    file: FILE,
    from: null,
    to: to === null ? null : { status: to, text: null },
    hashBefore: null,
    hashAfter: null,
    reason: action === 'adopt' ? 'done before govern' : null,
  } as AuditRecord);

  test('an adoption holds until a later status write of the item; a write-id or another item does not end it', () => {
    const records = [rec('1', 'AB-01', 'adopt'), rec('2', 'AB-02', 'set-status', 'in_progress'), rec('3', 'AB-01', 'write-id', null), rec('4', 'AB-02', 'adopt')];
    const held = (id: string, inForce: boolean) => ({ id, actor: 'maintainer', at: `2026-01-01T10:0${id}:00.000Z`, reason: 'done before govern', inForce });
    expect(itemAdoptions(records, 'AB-01')).toEqual([held('1', true)]);
    expect(itemAdoptions(records, 'AB-02')).toEqual([held('4', true)]);
    // A later set-status (or close) ends it; adopted again, only the newest holds.
    expect(itemAdoptions([...records, rec('5', 'AB-01', 'set-status', 'in_progress')], 'AB-01')).toEqual([held('1', false)]);
    expect(itemAdoptions([...records, rec('5', 'AB-01', 'close'), rec('6', 'AB-01', 'adopt')], 'AB-01')).toEqual([held('1', false), held('6', true)]);
    expect(itemAdoptions(records, 'AB-03')).toEqual([]);
  });
});
