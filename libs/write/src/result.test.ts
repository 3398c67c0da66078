import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SetStatusResultSchema } from './result.js';
import { setStatus } from './set-status.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | LM-01 Telemetry | - | Planned |', ''].join('\n');

describe('SetStatusResultSchema', () => {
  test('describes what setStatus returns, field for field (a field the schema lacks fails the strict parse)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-result-'));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'trackers'));
    fs.writeFileSync(path.join(root, 'trackers/t.md'), TRACKER);
    const base = { root, actor: 'tester', via: 'test', now: new Date('2026-11-21T12:00:00.000Z'), cacheDir: null } as const;
    const changed = await setStatus({ ...base, id: 'LM-01', status: 'in_progress' });
    const unchanged = await setStatus({ ...base, id: 'LM-01', status: 'in_progress' });
    const strict = SetStatusResultSchema.strict();
    expect(strict.parse(changed)).toEqual(changed);
    expect(strict.parse(unchanged)).toEqual(unchanged);
    expect(unchanged.audit).toBeNull();
    expect(strict.safeParse({ ...changed, extra: 1 }).success).toBe(false);
    expect(SetStatusResultSchema.safeParse({ ...changed, to: { status: null, text: null } }).success).toBe(false);
  });
});
