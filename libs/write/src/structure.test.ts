import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readAuditLog } from './audit-log.js';
import { isGovernError } from '@govern/errors';
import { withLock } from './lock.js';
import { sha256 } from './set-status.js';
import { DocumentWriteResultSchema } from './structure-result.js';
import { addDependency, addTask, editAcceptance } from './structure.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-structure-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const WP = [
  '---',
  'id: WP-1',
  'type: workplan',
  'title: Plan one',
  'status: in_progress',
  '---',
  '',
  '## T01 - First',
  '',
  'id: WP-1-T01',
  'status: done',
  'priority: high',
  '',
  'Acceptance:',
  '',
  '- It parses',
  '- It writes',
  '',
  '## T02 - Second',
  '',
  'id: WP-1-T02',
  'status: planned',
  'depends_on: WP-1-T01',
  '',
  'Some prose.',
  '',
  '## Notes',
  '',
  'Trailing notes stay last.',
  '',
].join('\n');

const TRACKER = [
  '# Tracker',
  '',
  '| Order | Milestone   | Depends On | Status  |',
  '|-------|-------------|------------|---------|',
  '| 1     | AB-01 One   | -          | Done    |',
  '| 2     | AB-02 Two   | AB-01      | Planned |',
  '| 3     | AB-03 Three | -          | Planned |',
  '',
].join('\n');

const NOW = new Date('2026-12-06T12:00:00.000Z');
const base = { actor: 'tester', via: 'test', now: NOW, cacheDir: null } as const;
const read = (root: string, rel = 'workplans/wp.md') => fs.readFileSync(path.join(root, rel), 'utf8');

/** The refusal's code, message and details, or a failure when it resolved. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    if (!isGovernError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error('expected a refusal');
}

describe('addTask', () => {
  test('inserts a task after the last one, in its style; only those bytes change; audited', async () => {
    const root = repo({ 'workplans/wp.md': WP });
    const before = sha256(WP);
    const r = await addTask({
      ...base,
      root,
      workplan: 'WP-1',
      title: 'Third',
      dependsOn: ['WP-1-T01', 'WP-1-T02'],
      acceptance: ['It reads', 'It lists'],
      checks: ['npm test'],
      evidenceRoot: 'ops/runtime/wp-1-t03/',
      expect: before,
      reason: 'planning',
    });
    const added = [
      '## T03 - Third',
      '',
      'id: WP-1-T03',
      'status: planned',
      'depends_on: [WP-1-T01, WP-1-T02]',
      'evidence_root: ops/runtime/wp-1-t03/',
      'checks:',
      '- `npm test`',
      '',
      'Acceptance:',
      '',
      '- It reads',
      '- It lists',
      '',
    ];
    const after = WP.replace('## Notes\n', `${added.join('\n')}\n## Notes\n`);
    expect(read(root)).toBe(after);
    expect(DocumentWriteResultSchema.strict().parse(r)).toEqual({
      action: 'add-task',
      item: 'WP-1-T03',
      file: 'workplans/wp.md',
      changed: true,
      dryRun: false,
      hashBefore: before,
      hashAfter: sha256(after),
      hunk: { line: 27, removed: [], added },
      forced: [],
      audit: r.audit,
    });
    expect(readAuditLog(root)).toEqual({
      records: [
        {
          v: 1,
          id: r.audit!.id,
          at: '2026-12-06T12:00:00.000Z',
          action: 'add-task',
          actor: 'tester',
          via: 'test',
          item: 'WP-1-T03',
          file: 'workplans/wp.md',
          from: null,
          to: null,
          hashBefore: before,
          hashAfter: sha256(after),
          reason: 'planning',
          forced: [],
          evidence: null,
          key: 'task',
          value: 'T03',
          prev: null,
        },
      ],
      diagnostics: [],
    });
  });

  test('CRLF and a file without tasks: appended at the end with its line endings; dry run writes nothing', async () => {
    const crlf = ['---', 'id: WP-2', 'type: workplan', 'title: Two', 'status: planned', '---', '', '# Two', '', 'Intro.'].join('\r\n');
    const root = repo({ 'workplans/wp.md': crlf });
    const dry = await addTask({ ...base, root, workplan: 'workplans/wp.md', title: 'Start', priority: 'low', dryRun: true });
    expect([dry.changed, dry.dryRun, dry.audit, read(root)]).toEqual([true, true, null, crlf]);
    expect(fs.existsSync(path.join(root, 'ops/audit/govern-audit.jsonl'))).toBe(false);
    const r = await addTask({ ...base, root, workplan: 'workplans/wp.md', title: 'Start', priority: 'low' });
    const after = `${crlf}\r\n\r\n## T01 - Start\r\n\r\nid: WP-2-T01\r\nstatus: planned\r\npriority: low\r\n`;
    expect(read(root)).toBe(after);
    expect([r.hashAfter, dry.hashAfter]).toEqual([sha256(after), sha256(after)]);
  });

  test('fenced yaml metadata and numbered ids are followed', async () => {
    const wp = ['---', 'id: WP-3', 'status: planned', '---', '', '### T9: Nine', '', '```yaml', 'id: WP-3-9', 'status: Planned', '```', ''].join('\n');
    const root = repo({ 'workplans/wp.md': wp });
    await addTask({ ...base, root, workplan: 'WP-3', title: 'Ten', checks: ['make check'] });
    expect(read(root)).toBe(`${wp}\n### T10: Ten\n\n\`\`\`yaml\nid: WP-3-10\nstatus: Planned\nchecks:\n  - "make check"\n\`\`\`\n`);
  });

  test('refusals: unknown workplan, a tracker, a duplicate id, an unknown dependency, done, a stale expect, a held lock', async () => {
    const root = repo({ 'workplans/wp.md': WP, 'trackers/t.md': TRACKER });
    expect(await refusal(addTask({ ...base, root, workplan: 'WP-9', title: 'x' }))).toEqual({
      code: 'item-not-found',
      message: `no workplan WP-9 in ${root}`,
      details: { item: 'WP-9', suggestions: [] },
    });
    expect((await refusal(addTask({ ...base, root, workplan: 'trackers/t.md', title: 'x' }))).code).toBe('not-a-workplan');
    expect(await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'x', localId: 'T02' }))).toEqual({
      code: 'duplicate-id',
      message: 'WP-1-T02 is already an item (workplans/wp.md:19); pick another id',
      details: { item: 'WP-1-T02', file: 'workplans/wp.md', line: 19 },
    });
    expect(await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'x', id: 'AB-01' }))).toMatchObject({ code: 'duplicate-id' });
    expect(await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'x', dependsOn: ['ZZ-1'] }))).toMatchObject({
      code: 'dependency-unknown',
      details: { dependencies: ['ZZ-1'] },
    });
    expect((await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'x', status: 'done', force: true }))).code).toBe('closure-required');
    expect((await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'two\nlines' }))).code).toBe('invalid-input');
    expect(await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'x', expect: sha256('other') }))).toMatchObject({
      code: 'conflict',
      details: { file: 'workplans/wp.md', expected: sha256('other'), actual: sha256(WP) },
    });
    await withLock(root, 'workplans/wp.md', async () => {
      expect(await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'x', lock: { timeoutMs: 200 } }))).toMatchObject({
        code: 'lock-timeout',
        details: { file: 'workplans/wp.md', holder: { pid: process.pid } },
      });
    });
    expect(read(root)).toBe(WP);
    expect(fs.existsSync(path.join(root, 'ops/audit/govern-audit.jsonl'))).toBe(false);
    // force writes an unknown dependency and says so.
    const forced = await addTask({ ...base, root, workplan: 'WP-1', title: 'x', dependsOn: ['ZZ-1'], force: true });
    expect([forced.forced, forced.audit?.forced]).toEqual([['WP-1-T03 depends on ZZ-1, which no item has'], ['WP-1-T03 depends on ZZ-1, which no item has']]);
  });
});

describe('verify-failed: a write that would not read back as asked is refused', () => {
  test('a title Markdown trims, a criterion that is a checkbox', async () => {
    const root = repo({ 'workplans/wp.md': WP });
    expect(await refusal(addTask({ ...base, root, workplan: 'WP-1', title: 'Tricky ##' }))).toEqual({
      code: 'verify-failed',
      message: 'WP-1-T03: the edited workplans/wp.md would not read as intended (WP-1-T03 reads back as {"kind":"task","parent":"WP-1","localId":"T03","title":"Tricky","status":"planned","priority":null,"evidenceRoot":null}); nothing written',
      details: {
        item: 'WP-1-T03',
        file: 'workplans/wp.md',
        problem: 'WP-1-T03 reads back as {"kind":"task","parent":"WP-1","localId":"T03","title":"Tricky","status":"planned","priority":null,"evidenceRoot":null}',
      },
    });
    expect((await refusal(editAcceptance({ ...base, root, id: 'WP-1-T01', add: ['[x] sneaky'] }))).code).toBe('verify-failed');
    expect(read(root)).toBe(WP);
  });
});

describe('editAcceptance', () => {
  test('adds, replaces and removes bullets; only those lines change', async () => {
    const root = repo({ 'workplans/wp.md': WP });
    const r = await editAcceptance({ ...base, root, id: 'WP-1-T01', add: ['It reads back'], replace: [{ index: 1, text: 'It parses every seed' }] });
    const one = WP.replace('- It parses\n- It writes\n', '- It parses every seed\n- It writes\n- It reads back\n');
    expect(read(root)).toBe(one);
    expect([r.audit?.key, r.audit?.value, r.hunk]).toEqual(['acceptance', '+1 -0 ~1', { line: 16, removed: ['- It parses', '- It writes'], added: ['- It parses every seed', '- It writes', '- It reads back'] }]);
    await editAcceptance({ ...base, root, id: 'WP-1-T01', remove: [2] });
    expect(read(root)).toBe(WP.replace('- It parses\n- It writes\n', '- It parses every seed\n- It reads back\n'));
  });

  test('a task without criteria gets an Acceptance list at the end of its section', async () => {
    const root = repo({ 'workplans/wp.md': WP });
    await editAcceptance({ ...base, root, id: 'WP-1-T02', add: ['Second works'] });
    expect(read(root)).toBe(WP.replace('Some prose.\n\n', 'Some prose.\n\nAcceptance:\n\n- Second works\n\n'));
  });

  test('checkbox and numbered lists keep their style', async () => {
    const wp = ['---', 'id: WP-4', 'status: planned', '---', '', '## T01 - One', '', 'id: WP-4-T01', 'status: planned', '', 'Acceptance:', '', '1. [x] Done thing', '2. [ ] Open thing', ''].join('\n');
    const root = repo({ 'workplans/wp.md': wp });
    await editAcceptance({ ...base, root, id: 'WP-4-T01', add: ['New thing'] });
    expect(read(root)).toBe(`${wp}3. [ ] New thing\n`);
  });

  test('refusals: unknown item, a criterion number out of range, nothing to do', async () => {
    const root = repo({ 'workplans/wp.md': WP });
    expect(await refusal(editAcceptance({ ...base, root, id: 'WP-1-T09', add: ['x'] }))).toEqual({
      code: 'item-not-found',
      message: `no item WP-1-T09 in ${root}`,
      details: { item: 'WP-1-T09', suggestions: [] },
    });
    expect(await refusal(editAcceptance({ ...base, root, id: 'WP-1-T01', remove: [3] }))).toEqual({
      code: 'criterion-not-found',
      message: 'WP-1-T01 has 2 criteria; there is no number 3',
      details: { item: 'WP-1-T01', index: 3, count: 2 },
    });
    expect((await refusal(editAcceptance({ ...base, root, id: 'WP-1-T01' }))).code).toBe('invalid-input');
    expect(read(root)).toBe(WP);
  });
});

describe('addDependency', () => {
  test('a new depends_on line after status:, then extending the value; already there is unchanged', async () => {
    const root = repo({ 'workplans/wp.md': WP, 'trackers/t.md': TRACKER });
    await addDependency({ ...base, root, id: 'WP-1-T01', dependsOn: 'AB-01' });
    const one = WP.replace('status: done\npriority: high\n', 'status: done\ndepends_on: AB-01\npriority: high\n');
    expect(read(root)).toBe(one);
    const r = await addDependency({ ...base, root, id: 'WP-1-T02', dependsOn: 'AB-01' });
    const two = one.replace('depends_on: WP-1-T01\n', 'depends_on: WP-1-T01, AB-01\n');
    expect(read(root)).toBe(two);
    expect([r.audit?.action, r.audit?.key, r.audit?.value]).toEqual(['add-dependency', 'depends_on', 'AB-01']);
    const again = await addDependency({ ...base, root, id: 'WP-1-T02', dependsOn: 'AB-01' });
    expect([again.changed, again.audit, again.hunk]).toEqual([false, null, null]);
    expect(readAuditLog(root).records).toHaveLength(2);
  });

  test("a workplan's front matter flow list, and a tracker's aligned Depends On cell", async () => {
    const wp = WP.replace('status: in_progress\n', 'status: in_progress\ndepends_on: [AB-01]   # upstream\n');
    const root = repo({ 'workplans/wp.md': wp, 'trackers/t.md': TRACKER });
    await addDependency({ ...base, root, id: 'WP-1', dependsOn: 'AB-02' });
    expect(read(root)).toBe(wp.replace('[AB-01]', '[AB-01, AB-02]'));
    await addDependency({ ...base, root, id: 'AB-02', dependsOn: 'AB-03' });
    expect(read(root, 'trackers/t.md')).toBe(
      [
        '# Tracker',
        '',
        '| Order | Milestone   | Depends On   | Status  |',
        '|-------|-------------|--------------|---------|',
        '| 1     | AB-01 One   | -            | Done    |',
        '| 2     | AB-02 Two   | AB-01, AB-03 | Planned |',
        '| 3     | AB-03 Three | -            | Planned |',
        '',
      ].join('\n'),
    );
  });

  test('refusals: a cycle, itself, an unknown dependency, a cell with none, a stale expect', async () => {
    const root = repo({ 'workplans/wp.md': WP, 'trackers/t.md': TRACKER });
    expect(await refusal(addDependency({ ...base, root, id: 'WP-1-T01', dependsOn: 'WP-1-T02' }))).toEqual({
      code: 'dependency-cycle',
      message: 'WP-1-T01 cannot depend on WP-1-T02: WP-1-T02 already waits on WP-1-T01',
      details: { item: 'WP-1-T01', dependsOn: 'WP-1-T02' },
    });
    expect((await refusal(addDependency({ ...base, root, id: 'WP-1-T01', dependsOn: 'WP-1-T01', force: true }))).code).toBe('dependency-cycle');
    expect((await refusal(addDependency({ ...base, root, id: 'WP-1-T01', dependsOn: 'NOPE-1' }))).code).toBe('dependency-unknown');
    expect((await refusal(addDependency({ ...base, root, id: 'AB-03', dependsOn: 'AB-01' }))).code).toBe('unsupported-form');
    expect((await refusal(addDependency({ ...base, root, id: 'WP-1-T01', dependsOn: 'AB-01', expect: 'f'.repeat(64) }))).code).toBe('conflict');
    expect([read(root), read(root, 'trackers/t.md')]).toEqual([WP, TRACKER]);
  });
});
