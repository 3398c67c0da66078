import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileProfile, DEFAULT_PROFILE, parseDocument } from '@govern/workplan';
import { sha256, withLock, WriteError } from '@govern/write';
import { afterAll, describe, expect, test } from 'vitest';
import { planKeyInsert } from './insert-key.js';
import { writeStateHubIds } from './write-ids.js';

const P = compileProfile(DEFAULT_PROFILE);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statehub-ids-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function repo(text: string): { root: string; file: string; read: () => string } {
  const root = path.join(tmp, `r${++n}`);
  fs.mkdirSync(path.join(root, 'workplans'), { recursive: true });
  fs.writeFileSync(path.join(root, 'workplans/wp.md'), text);
  return { root, file: 'workplans/wp.md', read: () => fs.readFileSync(path.join(root, 'workplans/wp.md'), 'utf8') };
}

const WP = [
  '---',
  'id: WP-1',
  'type: workplan',
  'title: Plan',
  'status: in_progress',
  'updated: 2026-01-01',
  '---',
  '',
  '# WP-1: Plan',
  '',
  '## T01 - First',
  '',
  'id: WP-1-T01',
  'status: planned',
  'priority: high',
  '',
  'Text.',
  '',
  '## T02 - Second',
  '',
  '```yaml',
  '  id: WP-1-T02',
  '  status: done',
  '```',
  '',
  'Acceptance:',
  '',
  '- It works.',
  '',
].join('\n');

const IDS = [
  { item: 'WP-1', value: 'ws-uuid-1' },
  { item: 'WP-1-T01', value: 'task-uuid-1' },
  { item: 'WP-1-T02', value: 'task-uuid-2' },
];

const EXPECTED = WP.replace('id: WP-1\n', 'id: WP-1\nstate_hub_workstream_id: "ws-uuid-1"\n')
  .replace('id: WP-1-T01\n', 'id: WP-1-T01\nstate_hub_task_id: "task-uuid-1"\n')
  .replace('  id: WP-1-T02\n', '  id: WP-1-T02\n  state_hub_task_id: "task-uuid-2"\n');

describe('writeStateHubIds', () => {
  test('inserts one line after each id: line (front matter, metadata lines, fenced yaml with its indentation); nothing else changes', async () => {
    const r = repo(WP);
    const res = await writeStateHubIds({ root: r.root, file: r.file, ids: IDS, profile: P });
    expect(r.read()).toBe(EXPECTED);
    expect(res).toEqual({ file: r.file, changed: true, hashBefore: sha256(WP), hashAfter: sha256(EXPECTED), written: IDS, already: [], problems: [] });
    const doc = parseDocument({ file: r.file, text: r.read() }, P).document!;
    expect(doc.items.map((i) => [i.id, i.stateHubId, i.status])).toEqual([
      ['WP-1', 'ws-uuid-1', 'in_progress'],
      ['WP-1-T01', 'task-uuid-1', 'planned'],
      ['WP-1-T02', 'task-uuid-2', 'done'],
    ]);
    // Run again (an interrupted sync resumed): nothing written, all reported as already there.
    const again = await writeStateHubIds({ root: r.root, file: r.file, ids: IDS, profile: P });
    expect([again.changed, again.already, again.written, r.read()]).toEqual([false, IDS, [], EXPECTED]);
    expect(fs.readdirSync(path.join(r.root, 'workplans'))).toEqual(['wp.md']);
  });

  test('CRLF line endings and a BOM are kept byte for byte', async () => {
    const crlf = `\ufeff${WP.replaceAll('\n', '\r\n')}`;
    const r = repo(crlf);
    await writeStateHubIds({ root: r.root, file: r.file, ids: IDS, profile: P });
    expect(Buffer.from(r.read(), 'utf8').equals(Buffer.from(`\ufeff${EXPECTED.replaceAll('\n', '\r\n')}`, 'utf8'))).toBe(true);
  });

  test('another id already written is reported, never overwritten; an empty value is filled in; the rest is still written', async () => {
    const text = WP.replace('id: WP-1\n', 'id: WP-1\nstate_hub_workstream_id: other\n').replace('priority: high\n', 'priority: high\nstate_hub_task_id: ""\n');
    const r = repo(text);
    const res = await writeStateHubIds({ root: r.root, file: r.file, ids: IDS, profile: P });
    expect(res.problems).toEqual([{ item: 'WP-1', code: 'id-differs', message: 'WP-1 already has state_hub_workstream_id other, not ws-uuid-1; it is not overwritten' }]);
    expect(res.written).toEqual(IDS.slice(1));
    expect(r.read()).toBe(
      text.replace('state_hub_task_id: ""', 'state_hub_task_id: "task-uuid-1"').replace('  id: WP-1-T02\n', '  id: WP-1-T02\n  state_hub_task_id: "task-uuid-2"\n'),
    );
  });

  test('a task without an id: line is refused (nothing guessed), an unknown item too; the others are written', async () => {
    const text = WP.replace('id: WP-1-T01\n', '');
    const r = repo(text);
    const res = await writeStateHubIds({ root: r.root, file: r.file, ids: [...IDS, { item: 'WP-9', value: 'x' }], profile: P });
    expect(res.problems).toEqual([
      { item: 'WP-1-T01', code: 'anchor-missing', message: 'WP-1-T01: its metadata has no id: line to insert state_hub_task_id after' },
      { item: 'WP-9', code: 'item-not-found', message: 'WP-9 is not a workplan or task of workplans/wp.md' },
    ]);
    expect(res.written.map((w) => w.item)).toEqual(['WP-1', 'WP-1-T02']);
    expect(planKeyInsert('# no front matter\n', { id: 'X', kind: 'workplan', line: 1 }, 'state_hub_workstream_id', 'x')).toEqual({
      ok: false,
      code: 'anchor-missing',
      message: 'X: no front matter to write state_hub_workstream_id into',
    });
  });

  test('an insertion that would change how the file reads is not written', async () => {
    // A folded id (`id: >-` on its own line): a line inserted after it would end the scalar.
    const text = WP.replace('id: WP-1\n', 'id: >-\n  WP-1\n');
    const r = repo(text);
    const res = await writeStateHubIds({ root: r.root, file: r.file, ids: [IDS[0]!], profile: P });
    expect([res.changed, res.problems.map((p) => p.code), r.read()]).toEqual([false, ['verify-failed'], text]);
  });

  test('takes the same per-file lock as status writes', async () => {
    const r = repo(WP);
    const err = await withLock(r.root, r.file, () =>
      writeStateHubIds({ root: r.root, file: r.file, ids: IDS, profile: P, lock: { timeoutMs: 300 } }).catch((e: unknown) => e),
    );
    expect([err instanceof WriteError, (err as WriteError).code, r.read()]).toEqual([true, 'lock-timeout', WP]);
  });
});
