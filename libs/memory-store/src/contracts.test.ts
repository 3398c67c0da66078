import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { FAILURE_REASON_SOURCES, ReasonSemanticsSchema as ContractReasonSemanticsSchema, contractsPin } from '@govern/contracts';
import { checkConsumerPin, compatibilityFixtures, runFixture } from '@govern/contracts/testing';
import { CONTRACTS, checkContracts, contractJson, MANIFEST_FILE, ReasonSemanticsSchema, writeContracts, type Contract } from './contracts.js';

// The contract test (LM-07): the code's schemas against the pinned artifacts in
// libs/memory-store/contracts. `npm run contracts -w @govern/memory-store` runs this file
// with GOVERN_WRITE_CONTRACTS=1, which first writes and pins versions not pinned yet
// (never rewriting a pinned one), then checks as usual.

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../contracts');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'contracts-'));
  dirs.push(d);
  return d;
}

describe('the pinned contracts of this repository', () => {
  it('match the code: every contract pinned at its version and hash, every artifact unmodified', () => {
    if (process.env.GOVERN_WRITE_CONTRACTS === '1') {
      const { written, refused } = writeContracts(CONTRACTS, DIR);
      if (written.length) process.stdout.write(`contracts written and pinned: ${written.join(', ')}\n`);
      expect(refused).toEqual([]);
    }
    expect(checkContracts(CONTRACTS, DIR)).toEqual([]);
  });

  it('cover the reason semantics, the facts and every API envelope', () => {
    expect(CONTRACTS.map((c) => `${c.name}@${c.version}`)).toEqual([
      'reason-semantics@1',
      'task-fact@1',
      'event-fact@1',
      'memory-error@1',
      'memory-query-request@3',
      'memory-query-response@2',
      'memory-upsert-request@1',
      'memory-upsert-response@1',
      'memory-audit-request@1',
      'memory-audit-response@1',
      'memory-retention-request@1',
      'memory-retention-response@1',
      'memory-health-response@2',
    ]);
    const reason = JSON.parse(contractJson(CONTRACTS[0]!));
    expect(reason).toMatchObject({
      $id: 'urn:govern:memory-store:reason-semantics:v1',
      required: ['failure_reason_code', 'failure_reason_source', 'policy_reason_code', 'outcome'],
      properties: { outcome: { enum: ['ok', 'failed', 'denied'] }, failure_reason_source: { anyOf: [{ enum: ['failure_reason_code', 'reason_code'] }, { type: 'null' }] } },
    });
    // Facts travel with nanoseconds as decimal strings (JSON numbers lose precision past 2^53).
    expect(JSON.parse(contractJson(CONTRACTS[1]!)).properties.start_ns).toMatchObject({ type: 'string', pattern: '^-?\\d+$' });
  });
});

describe('the checker', () => {
  const base: Contract = { name: 'demo', version: 1, io: 'output', schema: z.object({ a: z.string() }) };

  it('pins new versions, refuses to rewrite a pinned one, and reports drift until the version is raised', () => {
    const dir = tempDir();
    expect(checkContracts([base], dir).map((p) => p.code)).toEqual(['unpinned']);
    expect(writeContracts([base], dir)).toEqual({ written: ['demo.v1.json'], refused: [] });
    expect(checkContracts([base], dir)).toEqual([]);
    const pinned = fs.readFileSync(path.join(dir, 'demo.v1.json'), 'utf8');

    // The code changes under the same version: drift, and regenerating does not help.
    const changed: Contract = { ...base, schema: z.object({ a: z.string(), b: z.int() }) };
    expect(checkContracts([changed], dir).map((p) => p.code)).toEqual(['drift']);
    expect(writeContracts([changed], dir)).toMatchObject({ written: [], refused: [{ code: 'drift', name: 'demo', version: 1 }] });
    expect(fs.readFileSync(path.join(dir, 'demo.v1.json'), 'utf8')).toBe(pinned);
    expect(checkContracts([changed], dir).map((p) => p.code)).toEqual(['drift']);

    // A new version must be added explicitly; the old artifact stays pinned.
    const v2 = { ...changed, version: 2 };
    expect(checkContracts([v2], dir).map((p) => p.code)).toEqual(['unpinned']);
    expect(writeContracts([v2], dir)).toEqual({ written: ['demo.v2.json'], refused: [] });
    expect(checkContracts([v2], dir)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')).contracts.map((c: { file: string }) => c.file)).toEqual(['demo.v1.json', 'demo.v2.json']);
  });

  it('reports an artifact regenerated or edited in place, and one missing', () => {
    const dir = tempDir();
    writeContracts([base], dir);
    // Regenerating v1 from changed code, by hand or by another tool, breaks its pin.
    fs.writeFileSync(path.join(dir, 'demo.v1.json'), contractJson({ ...base, schema: z.object({ a: z.number() }) }));
    expect(checkContracts([base], dir).map((p) => p.code)).toEqual(['artifact-modified']);
    fs.rmSync(path.join(dir, 'demo.v1.json'));
    expect(checkContracts([base], dir).map((p) => p.code)).toEqual(['artifact-missing']);
  });

  it('the repository artifacts are what the code generates (the drift check can fail on them)', () => {
    const task = CONTRACTS.find((c) => c.name === 'task-fact')!;
    const drifted: Contract = { ...task, schema: (task.schema as z.ZodObject).extend({ extra: z.string() }) };
    expect(checkContracts([drifted], DIR).map((p) => [p.code, p.name, p.version])).toEqual([['drift', 'task-fact', 1]]);
  });
});

// @govern/contracts is the owner of the reason semantics, TaskSpec and envelope
// contracts (docs/contracts.md); this package pins the version it is written
// against and runs the owner's compatibility fixtures.
describe('the @govern/contracts pin of this package', () => {
  it('libs/memory-store/contracts/contracts.pin.json names the current version and hash, with its migration note', () => {
    expect(checkConsumerPin({ consumer: '@govern/memory-store', pinFile: 'libs/memory-store/contracts/contracts.pin.json' })).toEqual([]);
  });

  it('fails when the package moves on from the pin (the check can fail)', () => {
    const moved = { version: '1.1.0', hash: 'f'.repeat(64) };
    const problems = checkConsumerPin({ consumer: '@govern/memory-store', pinFile: 'libs/memory-store/contracts/contracts.pin.json', current: moved });
    expect(problems.map((p) => p.code)).toEqual(['pin-outdated']);
    expect(problems[0]!.message).toContain(`pins @govern/contracts ${contractsPin().version} (${contractsPin().hash.slice(0, 12)}) but the package is 1.1.0 (ffffffffffff). To bump:`);
  });

  it.each(compatibilityFixtures().map((f) => [f.file, f] as const))('compatibility fixture %s gives its expected result', (_file, f) => {
    expect(runFixture(f)).toEqual(f.expected);
  });
});

describe("the reason semantics are the contract's", () => {
  it("the same two reason fields, and failure_reason_source takes exactly the contract's values", () => {
    const contractFields = Object.keys(ContractReasonSemanticsSchema.shape);
    expect(contractFields).toEqual(['failure_reason_code', 'policy_reason_code']);
    expect(Object.keys(ReasonSemanticsSchema.shape).sort()).toEqual([...contractFields, 'failure_reason_source', 'outcome'].sort());
    expect(ReasonSemanticsSchema.shape.failure_reason_source.unwrap().options).toEqual([...FAILURE_REASON_SOURCES]);
  });

  it('every record the contract accepts is a record the store can hold (its codes and nulls)', () => {
    const reasons = compatibilityFixtures().filter((f) => f.contract === 'reason-semantics' && f.expected.valid);
    expect(reasons.map((f) => f.file)).toEqual(['valid/reason-semantics.denial.json', 'valid/reason-semantics.failure-and-denial.json', 'valid/reason-semantics.failure.json']);
    for (const f of reasons) {
      const r = f.input as { failure_reason_code: string | null; policy_reason_code: string | null };
      const outcome = r.failure_reason_code !== null ? 'failed' : r.policy_reason_code !== null ? 'denied' : 'ok';
      const stored = { ...r, failure_reason_source: r.failure_reason_code !== null ? 'failure_reason_code' : null, outcome };
      expect(ReasonSemanticsSchema.parse(stored), f.file).toEqual(stored);
    }
  });
});

describe('LM-10 in the API contracts: reason_code is read, never written', () => {
  /** Every property name declared anywhere in a JSON Schema. */
  const propertyNames = (schema: unknown): string[] => {
    if (Array.isArray(schema)) return schema.flatMap(propertyNames);
    if (schema === null || typeof schema !== 'object') return [];
    const o = schema as Record<string, unknown>;
    const own = o.properties && typeof o.properties === 'object' ? Object.keys(o.properties) : [];
    return [...own, ...Object.values(o).flatMap(propertyNames)];
  };

  it('no answer, fact or error of the memory API has a reason_code field', () => {
    const outputs = CONTRACTS.filter((c) => c.io === 'output');
    expect(outputs.filter((c) => propertyNames(JSON.parse(contractJson(c))).includes('reason_code')).map((c) => c.name)).toEqual([]);
    // The check sees a field where one is declared.
    expect(propertyNames(JSON.parse(contractJson({ name: 'x', version: 1, io: 'output', schema: z.object({ rows: z.array(z.object({ reason_code: z.string() })) }) })))).toContain('reason_code');
  });

  it('the only request that names it is the query, as the legacy filter of failure_reason_code', () => {
    const inputs = CONTRACTS.filter((c) => c.io === 'input' && propertyNames(JSON.parse(contractJson(c))).includes('reason_code'));
    expect(inputs.map((c) => `${c.name}@${c.version}`)).toEqual(['memory-query-request@3']);
  });
});
