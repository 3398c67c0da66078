import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '@govern/workspace';
import { readAuditLog, setStatus } from '@govern/write';
import { adoptDoneItems, AdoptError } from './adopt.js';
import { auditRepository } from './audit.js';

// A repository that adopts govern late: three milestones were done long before, none
// with evidence. The audit fails on each until they are closed or adopted.

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-adopt-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const TRACKER = (four: string) => `# Roadmap

| Order | Milestone | Depends On | Status |
|---:|---|---|---|
| 1 | HX-01 Parser | - | Done |
| 2 | HX-02 Store | HX-01 | Done |
| 3 | HX-03 Sync | HX-02 | Done |
| 4 | HX-04 Web | HX-03 | ${four} |
`;

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

/** A commit at a given time: the audit tells work before govern from work after it by commit date. */
function commit(message: string, when: Date): void {
  const env = { ...process.env, GIT_AUTHOR_DATE: when.toISOString(), GIT_COMMITTER_DATE: when.toISOString() };
  execFileSync('git', ['add', '-A'], { cwd: root });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', message], { cwd: root, env });
}

function historicRepo(): void {
  execFileSync('git', ['init', '-q'], { cwd: root });
  write('trackers/roadmap.md', TRACKER('Planned'));
  commit('the plans, years before govern', new Date('2024-03-01T00:00:00Z'));
}

const doneColumn = (line: number) => TRACKER('Planned').split('\n')[line - 1]!.indexOf('Done') + 1;
const load = () => loadWorkspace({ root, cacheDir: null });
const audit = () => auditRepository(root, load);
const found = async () => (await audit()).diagnostics.map((d) => [d.severity, d.code, d.message.split(' ')[0]]);

describe('govern adopt: done before govern', () => {
  it('adopts the done items without evidence; the audit then reports infos, not errors; a second run adopts nothing twice', async () => {
    historicRepo();
    expect(await found()).toEqual([
      ['error', 'evidence-missing', 'HX-01'],
      ['error', 'evidence-missing', 'HX-02'],
      ['error', 'evidence-missing', 'HX-03'],
    ]);
    const dry = await adoptDoneItems(root, load, { dryRun: true, actor: 'maintainer', via: 'test' });
    expect(dry.adopted.map((a) => a.id)).toEqual(['HX-01', 'HX-02', 'HX-03']);
    expect(fs.existsSync(path.join(root, 'ops/audit/govern-audit.jsonl'))).toBe(false);

    const r = await adoptDoneItems(root, load, { actor: 'maintainer', via: 'test' });
    expect(r).toEqual({
      dryRun: false,
      adopted: [
        { id: 'HX-01', file: 'trackers/roadmap.md', line: 5, column: doneColumn(5), statusText: 'Done' },
        { id: 'HX-02', file: 'trackers/roadmap.md', line: 6, column: doneColumn(6), statusText: 'Done' },
        { id: 'HX-03', file: 'trackers/roadmap.md', line: 7, column: doneColumn(7), statusText: 'Done' },
      ],
      already: [],
      refused: [],
    });
    const log = readAuditLog(root);
    expect(log.diagnostics).toEqual([]);
    expect(log.records.map((x) => [x.action, x.item, x.actor, x.to, x.reason, x.evidence])).toEqual(
      ['HX-01', 'HX-02', 'HX-03'].map((m) => ['adopt', m, 'maintainer', { status: 'done', text: 'Done' }, 'done before govern was adopted', null]),
    );
    expect(await found()).toEqual([
      ['info', 'done-adopted', 'HX-01'],
      ['info', 'done-adopted', 'HX-02'],
      ['info', 'done-adopted', 'HX-03'],
    ]);
    const again = await adoptDoneItems(root, load, { actor: 'maintainer', via: 'test' });
    expect([again.adopted, again.already, again.refused]).toEqual([[], ['HX-01', 'HX-02', 'HX-03'], []]);
    expect(readAuditLog(root).records).toHaveLength(3);
  });

  it('does not launder a hand edit made after govern was adopted, nor an uncommitted claim; named items are all or nothing', async () => {
    historicRepo();
    await adoptDoneItems(root, load, { actor: 'maintainer', via: 'test' });
    commit('govern adopted', new Date(Date.now() + 1_000));
    // HX-04 set done by hand, committed after the adoption.
    write('trackers/roadmap.md', TRACKER('Done'));
    commit('HX-04 done by hand', new Date(Date.now() + 60_000));
    expect((await found()).filter((d) => d[2] === 'HX-04')).toEqual([
      ['error', 'hand-edit-done', 'HX-04'],
      ['error', 'evidence-missing', 'HX-04'],
    ]);
    const r = await adoptDoneItems(root, load, { actor: 'maintainer', via: 'test' });
    expect([r.adopted, r.already.length, r.refused.map((x) => [x.id, x.reason])]).toEqual([[], 3, [['HX-04', 'done-after-adoption']]]);

    // Named: refused with a coded error, and nothing recorded.
    const records = readAuditLog(root).records.length;
    const err = await adoptDoneItems(root, load, { ids: ['HX-04', 'HX-09'], actor: 'maintainer', via: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdoptError);
    expect([(err as AdoptError).code, ((err as AdoptError).details.refused as { id: string; reason: string }[]).map((x) => [x.id, x.reason])]).toEqual([
      'adopt-refused',
      [
        ['HX-09', 'not-found'],
        ['HX-04', 'done-after-adoption'],
      ],
    ]);
    expect(readAuditLog(root).records).toHaveLength(records);

    // An uncommitted claim is not adopted either.
    write('trackers/roadmap.md', TRACKER('Done').replace('| 4 | HX-04 Web | HX-03 | Done |', '| 4 | HX-04 Web | HX-03 | Done |\n| 5 | HX-05 Docs | HX-04 | Done |'));
    const dirty = await adoptDoneItems(root, load, { dryRun: true, actor: 'maintainer', via: 'test' });
    expect(dirty.refused.map((x) => [x.id, x.reason])).toEqual([
      ['HX-04', 'uncommitted'],
      ['HX-05', 'uncommitted'],
    ]);
  });

  it('a later status write ends the adoption: the item is audited as any other again', async () => {
    historicRepo();
    await adoptDoneItems(root, load, { ids: ['HX-03'], actor: 'maintainer', via: 'test' });
    expect((await found()).filter((d) => d[2] === 'HX-03')).toEqual([['info', 'done-adopted', 'HX-03']]);
    commit('govern adopted', new Date(Date.now() + 1_000));
    // Reopened through govern, then set done again by hand: no longer adopted.
    await setStatus({ root, id: 'HX-03', status: 'in_progress', actor: 'maintainer', via: 'test' });
    commit('HX-03 reopened', new Date(Date.now() + 30_000));
    write('trackers/roadmap.md', TRACKER('Planned'));
    commit('HX-03 done by hand', new Date(Date.now() + 60_000));
    expect((await found()).filter((d) => d[2] === 'HX-03')).toEqual([
      ['error', 'hand-edit-done', 'HX-03'],
      ['error', 'evidence-missing', 'HX-03'],
    ]);
  });

  it('refuses outside git, and a named item that is not done', async () => {
    write('trackers/roadmap.md', TRACKER('Planned'));
    const outside = await adoptDoneItems(root, load, {}).catch((e: unknown) => e);
    expect([(outside as AdoptError).code, (outside as AdoptError).message]).toEqual(['adopt-needs-git', `${root} is not a git repository with a commit: govern adopts only what git has`]);
    historicRepo();
    const notDone = await adoptDoneItems(root, load, { ids: ['HX-04'] }).catch((e: unknown) => e);
    expect([(notDone as AdoptError).code, (notDone as AdoptError).message]).toEqual(['adopt-refused', 'HX-04 cannot be adopted: HX-04 is planned, not done: only done items are adopted']);
  });
});
