import { canonicalJson, WrapperEnvelopeSchema } from '@govern/contracts';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fastEnvelope, isProvenPlain } from './fast-envelope.js';
import { idempotencyHashOfPlain, idempotencyKey } from './keys.js';
import { canonicalText, factValues } from './store.js';
import { screenEnvelopes } from './validate.js';

const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_261_206) };

const VALID = {
  schema: 'govern.wrapper-envelope/v1',
  event_id: 'run-7/T-3',
  sequence: 3,
  run_id: 'run-7',
  task_id: 'T-3',
  group_id: 'attempt-1',
  signal: 'failure',
  wrapper_policy: { name: 'govern-wrap', version: '1.2.0' },
  task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: 'file-3' }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
  policy_reason_code: null,
  context: { gates: ['unit', 'lint'], versions: { node: '20.19.2' }, env: { CI: 'true' } },
  evidence: [{ kind: 'log', ref: 'ci/run-7/T-3.log' }],
  observed_at: '2026-01-01T00:00:00.300Z',
};

// Strings near every edge the schema has: empty, 500/501 long, spaces (not a code),
// reason-code punctuation, a lone surrogate, an astral character, `__proto__`, field names.
const str = fc.oneof(
  fc.constantFrom('', ' ', 'a', 'x'.repeat(500), 'x'.repeat(501), 'c'.repeat(200), 'c'.repeat(201), 'has space', 'check-failed', 'a.b:c/d_e-f', '-lead', '\ud800', 'a\udc00', '😀', '__proto__', 'kind', 'TOKEN', 'DB_PASSWORD'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const datetime = fc.oneof(
  fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-29T00:00:00Z', '2024-02-29T23:59:59.123456+01:00', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00', '2026-01-01 00:00:00Z'),
  fc.date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString()),
);
const edge = fc.constantFrom('', ' ', 'x'.repeat(501), 'c'.repeat(201), 'has space', '-lead', '\ud800', '__proto__', 'X1');
const anything = fc.oneof({ weight: 4, arbitrary: edge }, str, datetime, fc.integer(), fc.double(), fc.constantFrom(null, undefined, true, -0, 2 ** 53, 1.5, -1, 'gate-disabled', 'timeout'), fc.constant([]), fc.constant({}), fc.constant([{ kind: 'log', ref: 'r' }]));
const text = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('x'.repeat(500), '😀', 'TOKEN', 'kind', 'has space'));
const code = fc.constantFrom('check-failed', 'a.b:c/d_e-f', 'X1', 'c'.repeat(200));
const map = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('node', 'CI', 'DB_PASSWORD', 'name')), fc.string({ maxLength: 6 }), { maxKeys: 3 });

/** A valid envelope: every field drawn from values the schema accepts, the signal rules kept. */
const valid = fc
  .record(
    {
      event_id: text,
      sequence: fc.nat(),
      run_id: text,
      task_id: text,
      group_id: text,
      signal: fc.constantFrom('failure', 'denial', 'anomaly', 'success'),
      trigger: code,
      wrapper_policy: fc.record({ name: text, version: text }),
      task_spec: fc.record({ scope: text, target: fc.record({ kind: text, id: text }), action: fc.record({ kind: text }), failure_reason_code: code }),
      policy: fc.oneof(fc.constant(undefined), fc.constant(null), code),
      context: fc.oneof(fc.constant(undefined), fc.record({ gates: fc.array(text, { maxLength: 3 }), versions: map, env: map }, { requiredKeys: [] })),
      evidence: fc.array(fc.record({ kind: fc.constantFrom('file', 'url', 'span', 'log'), ref: text, sha256: fc.constant('a'.repeat(64)) }, { requiredKeys: ['kind', 'ref'] }), { minLength: 1, maxLength: 3 }),
      observed_at: datetime,
    },
  )
  .map(({ trigger, policy, context, ...e }) => ({
    schema: 'govern.wrapper-envelope/v1',
    ...e,
    ...(e.signal === 'anomaly' ? { anomaly_trigger: trigger } : {}),
    ...(e.signal === 'denial' ? { policy_reason_code: policy ?? 'gate-disabled' } : e.signal === 'failure' && policy !== undefined ? { policy_reason_code: policy } : {}),
    ...(context === undefined ? {} : { context }),
  }));

const PATHS: Array<Array<string | number>> = [
  ['schema'], ['event_id'], ['sequence'], ['run_id'], ['task_id'], ['group_id'], ['signal'], ['anomaly_trigger'], ['wrapper_policy'], ['wrapper_policy', 'name'],
  ['wrapper_policy', 'extra'], ['task_spec'], ['task_spec', 'scope'], ['task_spec', 'target', 'kind'], ['task_spec', 'target', 'id'], ['task_spec', 'action', 'kind'],
  ['task_spec', 'failure_reason_code'], ['task_spec', 'reason_code'], ['policy_reason_code'], ['context'], ['context', 'gates'], ['context', 'gates', 0], ['context', 'versions'],
  ['context', 'env'], ['context', 'env', 'X'], ['context', 'other'], ['evidence'], ['evidence', 0], ['evidence', 0, 'kind'], ['evidence', 0, 'sha256'], ['evidence', 0, 'extra'],
  ['observed_at'], ['unknown_field'],
];

/** Valid envelopes, half of them with one or two fields replaced by anything (or deleted). */
const envelope = fc
  .tuple(valid, fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.option(anything, { nil: '(delete)' as const })), { maxLength: 2 }), fc.boolean())
  .map(([e, mutations, keep]) => {
    if (keep) return e;
    const c = structuredClone(e) as Record<string | number, unknown>;
    for (const [path, value] of mutations) {
      let at: Record<string | number, unknown> | undefined = c;
      for (const seg of path.slice(0, -1)) at = at && typeof at[seg] === 'object' && at[seg] !== null ? (at[seg] as Record<string | number, unknown>) : undefined;
      if (!at) continue;
      const last = path.at(-1)!;
      if (value === '(delete)') delete at[last];
      else at[last] = structuredClone(value);
    }
    return c;
  });

describe('fastEnvelope', () => {
  test('a valid envelope is proven, and is what zod returns (defaults filled in, key order too)', () => {
    const { policy_reason_code: _p, context: _c, ...bare } = VALID;
    for (const raw of [VALID, bare, { ...VALID, signal: 'anomaly', anomaly_trigger: 'timeout', evidence: [] }]) {
      const e = fastEnvelope(raw);
      expect(e).toStrictEqual(WrapperEnvelopeSchema.parse(raw));
      expect(JSON.stringify(e)).toBe(JSON.stringify(WrapperEnvelopeSchema.parse(raw)));
      expect(isProvenPlain(e!)).toBe(true);
    }
    expect(isProvenPlain(WrapperEnvelopeSchema.parse(VALID))).toBe(false);
  });

  test('what it cannot prove is left to zod: the alias, a lone surrogate, a __proto__ key, -0, a class instance', () => {
    const { failure_reason_code: f, ...ts } = VALID.task_spec;
    expect(fastEnvelope({ ...VALID, task_spec: { ...ts, reason_code: f } })).toBeNull();
    expect(fastEnvelope({ ...VALID, task_id: 'T-\ud800' })).toBeNull();
    expect(fastEnvelope({ ...VALID, context: { ...VALID.context, env: JSON.parse('{"__proto__":"x"}') as Record<string, string> } })).toBeNull();
    expect(fastEnvelope({ ...VALID, sequence: -0 })).toBeNull();
    expect(fastEnvelope(Object.assign(Object.create({ inherited: 1 }) as object, VALID))).toBeNull();
    expect(fastEnvelope({ ...VALID, extra: 1 })).toBeNull();
  });

  test('property: never accepts what zod refuses, and gives zod\'s value exactly', () => {
    let proven = 0;
    fc.assert(
      fc.property(envelope, (raw) => {
        const fast = fastEnvelope(raw);
        if (fast === null) return;
        proven++;
        const z = WrapperEnvelopeSchema.safeParse(raw);
        expect(z.success).toBe(true);
        expect(fast).toStrictEqual(z.data);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(z.data));
      }),
      { ...seed, numRuns: 4000 },
    );
    // The generator must reach the accepting side, or the property says nothing.
    expect(proven).toBeGreaterThan(30);
  });

  test('a shared situation cache gives each proven envelope its own situation when envelopes of one target id differ in any situation field', () => {
    const ts = VALID.task_spec;
    const ctx = VALID.context;
    // One target id, situations differing in one field each (more than the cache keeps per target id).
    const variants = [
      {},
      { task_spec: { ...ts, scope: 'repo:govern/libs/other' } },
      { task_spec: { ...ts, target: { kind: 'test', id: ts.target.id } } },
      { task_spec: { ...ts, action: { kind: 'run-check' } } },
      { task_spec: { ...ts, failure_reason_code: 'lock-timeout' } },
      { wrapper_policy: { name: 'other-wrap', version: '1.2.0' } },
      { wrapper_policy: { name: 'govern-wrap', version: 'v1.2.0' } },
      { context: { ...ctx, gates: ['lint', 'unit'] } },
      { context: { ...ctx, gates: ['unit'] } },
      { context: { ...ctx, versions: { node: '20.19.3' } } },
      { context: { ...ctx, versions: { node: '20.19.2', typescript: '5.9.3' } } },
      { context: { ...ctx, env: { CI: 'false' } } },
      { context: { ...ctx, env: { CI: 'true', NODE_ENV: 'test' } } },
      { context: { ...ctx, env: { NODE_ENV: 'test', CI: 'true' } } },
      { context: { gates: ctx.gates } },
    ];
    const cache = new Map();
    for (let round = 0; round < 3; round++) {
      variants.forEach((v, i) => {
        const k = round === 1 ? variants.length - 1 - i : i;
        const fast = fastEnvelope({ ...VALID, ...variants[k], run_id: `run-${round}` });
        expect(fast).not.toBeNull();
        expect(factValues(fast!, cache)).toEqual(factValues(fast!));
      });
    }
  });

  test('property: the fact row of a proven envelope is the general one (idempotency hash, evidence text, observed_ts)', () => {
    fc.assert(
      fc.property(envelope, (raw) => {
        const fast = fastEnvelope(raw);
        if (fast === null) return;
        const general = WrapperEnvelopeSchema.parse(raw);
        expect(idempotencyHashOfPlain(fast)).toBe(idempotencyKey(general).hash);
        expect(JSON.stringify(fast.evidence)).toBe(canonicalJson(general.evidence));
        expect(JSON.stringify(fast.evidence)).toBe(canonicalText(general.evidence));
        expect(factValues(fast)).toEqual(factValues(general));
      }),
      { ...seed, numRuns: 4000 },
    );
  });

  test('property: screenEnvelopes gives the same verdicts with and without the fast path (secrets, known values, secret-named env)', async () => {
    const gh = `ghp_${'x7Kq'.repeat(9)}`;
    const known = 'k9-known-value-42';
    const seeded = fc.tuple(envelope, fc.constantFrom(null, gh, known, `url https://u:${known}@h`), fc.nat(3)).map(([e, secret, where]) => {
      if (secret === null || typeof e !== 'object' || e === null) return e;
      const c = structuredClone(e) as Record<string, unknown>;
      if (where === 0) c.event_id = secret;
      else if (where === 1) c.context = { gates: [secret], versions: {}, env: { CI: 'true' } };
      else if (where === 2) c.context = { gates: [], versions: {}, env: { API_TOKEN: known, [secret]: 'x' } };
      else c.evidence = [{ kind: 'log', ref: secret }];
      return c;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(seeded, { maxLength: 6 }), async (raws) => {
        const opts = { known: [{ name: 'KNOWN', value: known }] };
        expect(await screenEnvelopes(raws, opts)).toEqual(await screenEnvelopes(raws, { ...opts, general: true }));
      }),
      { ...seed, numRuns: 150 },
    );
  });

  test('a time zod accepts in the YYYY-MM-DDTHH:MM:SS.sssZ form is its own toISOString', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), noInvalidDate: true }), (d) => {
        const t = d.toISOString();
        const raw = { ...VALID, observed_at: t };
        const fast = fastEnvelope(raw);
        expect(fast?.observed_at).toBe(t);
        expect(factValues(fast!)[21]).toBe(new Date(t).toISOString());
      }),
      { ...seed, numRuns: 500 },
    );
  });
});
