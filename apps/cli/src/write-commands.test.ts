import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCaptured, tempRoot, CLOSABLE_TRACKER } from './test-support.js';

// `govern task`, `govern close` and `govern audit log` through the CLI, in process.

const cli = (root: string, ...argv: string[]) => runCaptured([...argv, '--root', root, '--no-cache'], { cwd: root, env: { GOVERN_ACTOR: 'cli-test' } });

const TRACKER = CLOSABLE_TRACKER;

describe('govern task', () => {
  test('show --json gives the node, its blockers and the file hash that set-status --expect takes', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const show = await cli(root, 'task', 'show', 'AB-02', '--json');
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect([shown.node.id, shown.node.checks.map((c: { command: string }) => c.command), shown.blockers, shown.dependents]).toEqual([
      'AB-02',
      ['exit 4'],
      [{ id: 'AB-01', status: 'in_progress', exists: true }],
      [],
    ]);

    const refused = await cli(root, 'task', 'set-status', 'AB-02', 'in_progress', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('dependencies-not-done');

    const ok = await cli(root, 'task', 'set-status', 'AB-02', 'In Progress', '--force', '--reason', 'spike', '--expect', shown.fileHash, '--json');
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect([result.changed, result.from, result.to, result.hashBefore]).toEqual([
      true,
      { status: 'planned', text: 'Planned' },
      { status: 'in_progress', text: 'In Progress' },
      shown.fileHash,
    ]);

    // The hash read before the first write is now stale: a conflict, not an overwrite.
    const stale = await cli(root, 'task', 'set-status', 'AB-02', 'blocked', '--expect', shown.fileHash);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^govern: trackers\/t\.md changed since it was read .* \[conflict\]\n$/);
  });

  test('a status that is not in the vocabulary is a usage error (exit 2)', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const r = await cli(root, 'task', 'set-status', 'AB-01', 'sort-of');
    expect([r.code, r.stderr]).toEqual([2, 'govern: status "sort-of" is not one of planned, in_progress, partial, blocked, done (nor a spelling the profile maps to one)\n']);
  });
});

describe('govern close and govern audit log', { timeout: 30_000 }, () => {
  test('close passes for AB-01, fails for AB-02 (exit 1, status unchanged); the audit log lists both', async () => {
    const root = tempRoot({ 'trackers/t.md': TRACKER });
    const closed = await cli(root, 'close', 'AB-01', '--json');
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.stdout)).toMatchObject({ item: 'AB-01', passed: true, manifest: 'ops/runtime/ab-01/manifest.json', failures: [] });

    const failed = await cli(root, 'close', 'AB-02');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('not closed AB-02; its status is unchanged');
    expect(failed.stdout).toContain('check-failed  `exit 4` exited 4');
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(TRACKER.replace('| 1 | AB-01 One | - | In Progress |', '| 1 | AB-01 One | - | Done |'));

    const log = await cli(root, 'audit', 'log', '--json');
    expect(log.code).toBe(0);
    const { records, diagnostics } = JSON.parse(log.stdout);
    expect(diagnostics).toEqual([]);
    expect(records.map((r: { action: string; item: string; actor: string; via: string }) => [r.action, r.item, r.actor, r.via])).toEqual([
      ['close', 'AB-01', 'cli-test', 'cli'],
      ['close-failed', 'AB-02', 'cli-test', 'cli'],
    ]);
    const one = await cli(root, 'audit', 'log', '--item', 'AB-02', '--limit', '1');
    expect(one.stdout).toMatch(/close-failed {2}AB-02 {2}`exit 4` exited 4; output in ops\/runtime\/ab-02\/attempts\/.*\n1 record\n$/);

    const audit = await cli(root, 'audit', '--json');
    expect([audit.code, JSON.parse(audit.stdout).ok]).toEqual([0, true]);
  });
  test('--sign-off signs off the plain acceptance bullets; without it the closure is refused before any check runs', async () => {
    const wp = [
      '---',
      'id: SO-1',
      'type: workplan',
      'title: Sign-off',
      'status: in_progress',
      '---',
      '',
      '## T01 - Task',
      '',
      'id: SO-1-T01',
      'status: in_progress',
      'evidence_root: ops/runtime/so-1-t01',
      'checks: true',
      '',
      'Acceptance:',
      '',
      '- Read by a maintainer',
      '',
    ].join('\n');
    const root = tempRoot({ 'workplans/so.md': wp });
    const refused = await cli(root, 'close', 'SO-1-T01', '--json');
    expect([refused.code, JSON.parse(refused.stdout).failures.map((f: { code: string }) => f.code), JSON.parse(refused.stdout).checks]).toEqual([1, ['criteria-unverified'], []]);
    const closed = await cli(root, 'close', 'SO-1-T01', '--sign-off', 'Ada Reviewer', '--json');
    expect(closed.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'ops/runtime/so-1-t01/manifest.json'), 'utf8'));
    expect(manifest.criteria).toEqual([{ text: 'Read by a maintainer', checked: null, verification: { kind: 'manual', signedOffBy: 'Ada Reviewer' } }]);
  });
});

describe('govern task add, edit-acceptance, add-dep', () => {
  const WP = ['---', 'id: WP-1', 'type: workplan', 'title: One', 'status: in_progress', '---', '', '## T01 - First', '', 'id: WP-1-T01', 'status: planned', ''].join('\n');
  const read = (root: string) => fs.readFileSync(path.join(root, 'workplans/wp.md'), 'utf8');

  test('add: --dry-run prints the lines and writes nothing; the write prints the diff and the next --expect', async () => {
    const root = tempRoot({ 'workplans/wp.md': WP });
    const dry = await cli(root, 'task', 'add', 'WP-1', 'Second', '--depends-on', 'WP-1-T01', '--acceptance', 'It works', '--dry-run');
    expect([dry.code, dry.stderr, read(root)]).toEqual([0, '', WP]);
    expect(dry.stdout).toBe(
      [
        'WP-1-T02: add-task would change workplans/wp.md at line 12 (dry run: nothing written)',
        '+ ',
        '+ ## T02 - Second',
        '+ ',
        '+ id: WP-1-T02',
        '+ status: planned',
        '+ depends_on: WP-1-T01',
        '+ ',
        '+ Acceptance:',
        '+ ',
        '+ - It works',
        '',
      ].join('\n'),
    );
    const added = `${WP}\n## T02 - Second\n\nid: WP-1-T02\nstatus: planned\ndepends_on: WP-1-T01\n\nAcceptance:\n\n- It works\n`;
    const r = await cli(root, 'task', 'add', 'workplans/wp.md', 'Second', '--depends-on', 'WP-1-T01', '--acceptance', 'It works', '--json');
    expect([r.code, read(root)]).toEqual([0, added]);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'add-task', item: 'WP-1-T02', changed: true, dryRun: false, audit: { actor: 'cli-test', via: 'cli', key: 'task', value: 'T02' } });
  });

  test('edit-acceptance and add-dep: --expect conflicts, usage errors exit 2, refusals exit 1 with a code', async () => {
    const root = tempRoot({ 'workplans/wp.md': WP, 'trackers/t.md': TRACKER });
    const stale = await cli(root, 'task', 'edit-acceptance', 'WP-1-T01', '--add', 'Parses', '--expect', 'f'.repeat(64), '--json');
    expect([stale.code, JSON.parse(stale.stdout).error.code]).toEqual([1, 'conflict']);
    const ok = await cli(root, 'task', 'edit-acceptance', 'WP-1-T01', '--add', 'Parses', '--add', 'Writes', '--json');
    expect([ok.code, read(root)]).toEqual([0, `${WP}\nAcceptance:\n\n- Parses\n- Writes\n`]);
    const replaced = await cli(root, 'task', 'edit-acceptance', 'WP-1-T01', '--replace', '2=Writes atomically', '--remove', '1', '--expect', JSON.parse(ok.stdout).hashAfter);
    expect([replaced.code, read(root)]).toEqual([0, `${WP}\nAcceptance:\n\n- Writes atomically\n`]);
    expect(await cli(root, 'task', 'edit-acceptance', 'WP-1-T01', '--replace', 'two')).toMatchObject({ code: 2, stderr: expect.stringContaining('--replace takes <n>=<text>') });
    expect(await cli(root, 'task', 'edit-acceptance', 'WP-1-T01')).toMatchObject({ code: 2, stderr: 'govern: give at least one of --add, --remove, --replace\n' });

    const dep = await cli(root, 'task', 'add-dep', 'WP-1-T01', 'AB-01', '--json');
    expect([dep.code, JSON.parse(dep.stdout).hunk]).toEqual([0, { line: 12, removed: [], added: ['depends_on: AB-01'] }]);
    const unknown = await cli(root, 'task', 'add-dep', 'WP-1-T01', 'ZZ-09');
    expect([unknown.code, unknown.stderr]).toEqual([1, `govern: no item ZZ-09 in ${root}; WP-1-T01 would wait on it forever [dependency-unknown]\n  note: pass force (recorded in the audit log) to write it anyway, e.g. for an item another change adds\n`]);
    const log = JSON.parse((await cli(root, 'audit', 'log', '--json')).stdout);
    expect(log.records.map((r: { action: string; item: string }) => [r.action, r.item])).toEqual([
      ['edit-acceptance', 'WP-1-T01'],
      ['edit-acceptance', 'WP-1-T01'],
      ['add-dependency', 'WP-1-T01'],
    ]);
    const human = (await cli(root, 'audit', 'log', '--item', 'WP-1-T01', '--limit', '1')).stdout;
    expect(human).toMatch(/add-dependency {2}WP-1-T01 {2}depends_on = AB-01/);
  });

  test('--help says what each writes and how it refuses', async () => {
    for (const cmd of ['add', 'edit-acceptance', 'add-dep']) {
      const h = await cli(tempRoot(), 'task', cmd, '--help');
      expect(h.code).toBe(0);
      for (const flag of ['--json', '--expect <sha256>', '--dry-run', '--reason <text>', 'duplicate-id', 'lock-timeout']) expect(h.stdout).toContain(flag);
    }
  });
});
