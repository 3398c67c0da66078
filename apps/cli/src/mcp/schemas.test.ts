import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeItem, CloseResultSchema } from '@govern/closure';
import { SetStatusResultSchema } from '@govern/write';
import { CloseOutput, SetStatusOutput } from './schemas.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function tracker(check: string): string {
  return [
    '# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | LM-01 Telemetry | - | In Progress |', '',
    '## Checks', '', `- LM-01: \`${check}\``, '', '## Evidence Roots', '', '- LM-01: `ops/runtime/lm-01/`', '',
  ].join('\n');
}

async function close(check: string) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-mcp-schemas-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, 'trackers'));
  fs.writeFileSync(path.join(root, 'trackers/t.md'), tracker(check));
  return closeItem({ root, id: 'LM-01', actor: 'tester', via: 'test', toolVersion: '9.9.9', cacheDir: null, allowDirty: true, env: { PATH: process.env.PATH } });
}

describe('the set_status and close output schemas are the libraries\' result schemas', () => {
  it('each success field comes from the library schema, plus error', () => {
    expect(Object.keys(SetStatusOutput.shape)).toEqual([...Object.keys(SetStatusResultSchema.shape), 'error']);
    expect(Object.keys(CloseOutput.shape)).toEqual([...Object.keys(CloseResultSchema.shape), 'error']);
  });

  it('CloseResultSchema describes what closeItem returns, field for field, passed or not', async () => {
    const strict = CloseResultSchema.strict();
    const passed = await close('true');
    const failed = await close('false');
    expect([passed.passed, passed.status?.changed, failed.passed, failed.failures.map((f) => f.code)]).toEqual([true, true, false, ['check-failed']]);
    expect(strict.parse(passed)).toEqual(passed);
    expect(strict.parse(failed)).toEqual(failed);
    expect(CloseOutput.parse(passed)).toEqual(passed);
    expect(strict.safeParse({ ...failed, extra: 1 }).success).toBe(false);
  });
});
