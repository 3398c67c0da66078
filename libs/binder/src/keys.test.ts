import { createHash } from 'node:crypto';
import { WrapperEnvelopeSchema, type WrapperEnvelope } from '@govern/contracts';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fingerprintHash } from './fingerprint.js';
import { idempotencyKey, upsertKey } from './keys.js';

const ENVELOPE = WrapperEnvelopeSchema.parse({
  schema: 'govern.wrapper-envelope/v1',
  event_id: 'evt-0001',
  sequence: 0,
  run_id: 'run-2026-02-15-a',
  task_id: 'GV-WP-0010-T03',
  group_id: 'retry-group-1',
  signal: 'failure',
  wrapper_policy: { name: 'govern-wrapper', version: '1.4.0' },
  task_spec: {
    scope: 'repo:govern/libs/binder',
    target: { kind: 'test', id: 'libs/binder/src/keys.test.ts' },
    action: { kind: 'run-check' },
    failure_reason_code: 'test.assertion-failed',
  },
  context: { gates: ['lint', 'test'], versions: { node: '20.19.0', typescript: '5.9.3' }, env: { CI: 'true', NODE_ENV: 'test' } },
  evidence: [{ kind: 'file', ref: 'ops/runtime/binder/run-a.json' }],
  observed_at: '2026-02-15T10:00:00.000Z',
});
const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_260_215) };

describe('idempotencyKey', () => {
  test('the tuple, and the sha256 of its canonical JSON array, pinned', () => {
    expect(idempotencyKey(ENVELOPE)).toEqual({
      tuple: { run_id: 'run-2026-02-15-a', task_id: 'GV-WP-0010-T03', group_id: 'retry-group-1', binder_version: 'binder/1' },
      hash: sha('["run-2026-02-15-a","GV-WP-0010-T03","retry-group-1","binder/1"]'),
    });
    expect(idempotencyKey(ENVELOPE).hash).toBe('639bd45dac1fe9c0de766aa592daaad24a96fd667ba69e173902b4712d432256');
  });

  test('a replay of the same tuple (another event id, sequence, signal or time) has the same key', () => {
    const replay: WrapperEnvelope = { ...ENVELOPE, event_id: 'evt-0002', sequence: 9, signal: 'success', evidence: [], observed_at: '2026-02-16T00:00:00Z' };
    expect(idempotencyKey(replay)).toEqual(idempotencyKey(ENVELOPE));
  });

  test('values that contain separators cannot make two tuples collide', () => {
    const a = idempotencyKey({ ...ENVELOPE, run_id: 'a|b', task_id: 'c' });
    const b = idempotencyKey({ ...ENVELOPE, run_id: 'a', task_id: 'b|c' });
    const c = idempotencyKey({ ...ENVELOPE, run_id: 'a","b', task_id: 'c' });
    const d = idempotencyKey({ ...ENVELOPE, run_id: 'a', task_id: 'b","c' });
    expect(new Set([a.hash, b.hash, c.hash, d.hash]).size).toBe(4);
  });
});

describe('upsertKey', () => {
  test('the TaskSpec, the fingerprint hash and the binder version, and the sha256 of their canonical array, pinned', () => {
    const fp = fingerprintHash(ENVELOPE);
    expect(fp).toBe('d3e5b18a8ecf202f013e122a98262bad83a3f0ce0659c94fd920a8760eca82c9');
    expect(upsertKey(ENVELOPE, fp)).toEqual({
      tuple: {
        scope: 'repo:govern/libs/binder',
        target_kind: 'test',
        target_id: 'libs/binder/src/keys.test.ts',
        action_kind: 'run-check',
        failure_reason_code: 'test.assertion-failed',
        fingerprint_hash: fp,
        binder_version: 'binder/1',
      },
      hash: sha(`["repo:govern/libs/binder","test","libs/binder/src/keys.test.ts","run-check","test.assertion-failed","${fp}","binder/1"]`),
    });
    expect(upsertKey(ENVELOPE, fp).hash).toBe('7fee9c5213792743ba9d1a016228bf46901e408b024bc96562b70870c3b67744');
  });

  test('two runs of one TaskSpec in one context share one upsert key, and each has its own idempotency key', () => {
    const other: WrapperEnvelope = { ...ENVELOPE, run_id: 'run-2026-02-16-b', event_id: 'evt-7', group_id: 'retry-group-9' };
    expect(upsertKey(other, fingerprintHash(other))).toEqual(upsertKey(ENVELOPE, fingerprintHash(ENVELOPE)));
    expect(idempotencyKey(other).hash).not.toBe(idempotencyKey(ENVELOPE).hash);
  });

  test('changing any one of the seven values changes the hash (fast-check)', () => {
    const fields = ['scope', 'target_kind', 'target_id', 'action_kind', 'failure_reason_code', 'fingerprint_hash'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), (field, more) => {
        const fp = fingerprintHash(ENVELOPE);
        const t = ENVELOPE.task_spec;
        const e: WrapperEnvelope = {
          ...ENVELOPE,
          task_spec: {
            scope: t.scope + (field === 'scope' ? more : ''),
            target: { kind: t.target.kind + (field === 'target_kind' ? more : ''), id: t.target.id + (field === 'target_id' ? more : '') },
            action: { kind: t.action.kind + (field === 'action_kind' ? more : '') },
            failure_reason_code: t.failure_reason_code + (field === 'failure_reason_code' ? more : ''),
          },
        };
        expect(upsertKey(e, fp + (field === 'fingerprint_hash' ? more : '')).hash).not.toBe(upsertKey(ENVELOPE, fp).hash);
      }),
      { numRuns: 200, ...seed },
    );
  });
});
