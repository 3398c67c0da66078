import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GitHubError } from './errors.js';
import { closureBranch, gitBlobSha, planClosurePr } from './plan.js';
import { GitHubSettingsSchema } from './settings.js';
import { closedRoot } from './testing/closed-root.js';

const SETTINGS = GitHubSettingsSchema.parse({ owner: 'acme', repo: 'widgets', base: 'main' });

describe('closureBranch and gitBlobSha', () => {
  test('branch names are lower-case, sanitized and valid git refs', () => {
    const ids = ['GV-01', 'kickoff:K0', 'implementation-plan:PHASE-S-4', '..A B.lock', 'x/../y', '-'];
    const branches = ids.map(closureBranch);
    expect(branches).toEqual(['govern/close/gv-01', 'govern/close/kickoff-k0', 'govern/close/implementation-plan-phase-s-4', 'govern/close/a-b-lock', 'govern/close/x-y', 'govern/close/item']);
    for (const b of branches) execFileSync('git', ['check-ref-format', `refs/heads/${b}`]);
  });

  test('the git blob id is what git hash-object computes', () => {
    expect(gitBlobSha(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(gitBlobSha(Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
});

describe('planClosurePr', { timeout: 30_000 }, () => {
  let repo: Awaited<ReturnType<typeof closedRoot>>;
  beforeEach(async () => {
    repo = await closedRoot('govern-github-plan-');
  });
  afterEach(() => repo.cleanup());

  const refusal = async (id = 'AB-01') => {
    try {
      planClosurePr(await repo.workspace(), id, SETTINGS);
    } catch (err) {
      if (err instanceof GitHubError) return [err.code, err.message];
      throw err;
    }
    return null;
  };
  const manifest = () => path.join(repo.root, 'ops/runtime/ab-01/manifest.json');

  test('deterministic: the same working tree gives the same plan', async () => {
    const a = planClosurePr(await repo.workspace(), 'AB-01', SETTINGS);
    const b = planClosurePr(await repo.workspace(), 'AB-01', SETTINGS);
    expect(b).toEqual(a);
    expect([a.branch, a.files.map((f) => f.path), a.manifest]).toEqual([
      'govern/close/ab-01',
      ['ops/audit/govern-audit.jsonl', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/checks/01-echo-parsed.log', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/checks/02-phase-audit.log', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/manifest.json', 'ops/runtime/ab-01/manifest.json', 'trackers/t.md'],
      'ops/runtime/ab-01/manifest.json',
    ]);
  });

  test('refused unless the item is closed with a passing manifest of its own', async () => {
    expect(await refusal('AB-09')).toEqual(['item-not-found', `no item AB-09 in ${repo.root}`]);
    expect(await refusal('AB-02')).toEqual(['not-closed', 'AB-02 is planned, not done: a closure PR carries a closed item; run `govern close AB-02` first']);
    const good = fs.readFileSync(manifest(), 'utf8');
    fs.writeFileSync(manifest(), good.replace('"passed": true', '"passed": false'));
    expect(await refusal()).toEqual(['not-closed', 'AB-01: ops/runtime/ab-01/manifest.json records a failed closure; run `govern close AB-01` first']);
    fs.writeFileSync(manifest(), good.replace('"item": "AB-01"', '"item": "AB-02"'));
    expect(await refusal()).toEqual(['not-closed', 'AB-01: ops/runtime/ab-01/manifest.json closes AB-02, not AB-01; run `govern close AB-01` first']);
    fs.writeFileSync(manifest(), '{"schemaVersion": 2}');
    expect(await refusal()).toEqual(['not-closed', 'AB-01: ops/runtime/ab-01/manifest.json is not a valid evidence manifest; run `govern close AB-01` first']);
    fs.rmSync(manifest());
    expect(await refusal()).toEqual(['not-closed', 'AB-01: ops/runtime/ab-01/manifest.json does not exist; run `govern close AB-01` first']);
  });

  test('a symlink under the evidence root is refused, not followed', async () => {
    fs.symlinkSync('/etc/hostname', path.join(repo.root, 'ops/runtime/ab-01/host'));
    expect(await refusal()).toEqual(['file-unreadable', 'ops/runtime/ab-01/host is not a regular file (a symlink or device); only regular files go on a closure branch']);
  });
});
