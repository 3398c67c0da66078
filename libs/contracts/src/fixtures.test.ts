import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIRS } from './artifacts.js';
import { CONTRACTS } from './registry.js';
import { compatibilityFixtures, runFixture, type CompatibilityFixture } from './testing.js';

// The compatibility fixtures this package gives its consumers (seed 002
// Workstream B.3): each valid one parses to its expected output, each invalid
// one fails with exactly its expected issues (path and message).

const fixtures = compatibilityFixtures();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('compatibility fixtures v1', () => {
  it.each(fixtures.map((f) => [f.file, f] as const))('%s gives its expected result', (_file, f) => {
    expect(runFixture(f)).toEqual(f.expected);
  });

  it('every contract has at least one valid and one invalid fixture, every fixture file is in the index', () => {
    const count = (valid: boolean) => Object.fromEntries(CONTRACTS.map((c) => [c.name, fixtures.filter((f) => f.contract === c.name && f.expected.valid === valid).length > 0]));
    const all = Object.fromEntries(CONTRACTS.map((c) => [c.name, true]));
    expect({ valid: count(true), invalid: count(false) }).toEqual({ valid: all, invalid: all });
    const dir = path.join(PACKAGE_DIRS.fixtures, 'v1');
    const onDisk = ['valid', 'invalid'].flatMap((k) => fs.readdirSync(path.join(dir, k)).map((f) => `${k}/${f}`)).sort();
    expect(fixtures.map((f) => f.file).sort()).toEqual(onDisk);
  });

  it('the LM-10 boundary is in the fixtures: the alias is read on the read side and refused on the write side', () => {
    const legacy = fixtures.find((f) => f.file === 'valid/reason-semantics-read.legacy-alias.json')!;
    expect({ input: legacy.input, expected: legacy.expected }).toEqual({
      input: { reason_code: 'timeout' },
      expected: { valid: true, output: { failure_reason_code: 'timeout', failure_reason_source: 'reason_code', policy_reason_code: null } },
    });
    const written = fixtures.find((f) => f.file === 'invalid/reason-semantics.legacy-alias-written.json')!;
    expect(written.expected).toEqual({ valid: false, issues: [{ path: [], message: 'Unrecognized key: "reason_code"' }] });
  });

  it('a fixture run against a schema that drifted gives another result (the check can fail)', () => {
    const f = fixtures.find((x) => x.file === 'invalid/task-spec.missing-target-id.json')!;
    // A consumer whose TaskSpec made target.id optional would accept what the contract refuses.
    const loose = z.object({ scope: z.string(), target: z.object({ kind: z.string(), id: z.string().optional() }), action: z.object({ kind: z.string() }), failure_reason_code: z.string() });
    expect(runFixture(f, loose)).toEqual({ valid: true, output: f.input });
    expect(runFixture(f, loose)).not.toEqual(f.expected);
  });

  it('a malformed index or a fixture for an unknown contract is refused', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fixtures-'));
    dirs.push(d);
    fs.mkdirSync(path.join(d, 'v1/valid'), { recursive: true });
    fs.writeFileSync(path.join(d, 'v1/valid/x.json'), '{}');
    const index = (entry: Record<string, unknown>) => fs.writeFileSync(path.join(d, 'v1/index.json'), JSON.stringify({ fixtures: [entry] }));
    index({ file: 'valid/x.json', contract: 'no-such-contract', valid: true, about: 'x' });
    expect(() => compatibilityFixtures(d, '1.0.0')).toThrow('fixture valid/x.json: no contract named no-such-contract');
    index({ file: 'valid/x.json', contract: 'task-spec', valid: false, issues: [], about: 'x' });
    expect(() => compatibilityFixtures(d, '1.0.0')).toThrow(z.ZodError);
    index({ file: 'valid/x.json', contract: 'fingerprint-context', valid: true, about: 'empty' });
    expect(compatibilityFixtures(d, '1.0.0')).toEqual([
      { file: 'valid/x.json', contract: 'fingerprint-context', version: 1, about: 'empty', input: {}, expected: { valid: true, output: {} } },
    ] satisfies CompatibilityFixture[]);
  });
});
