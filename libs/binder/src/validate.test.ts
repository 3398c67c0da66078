import { findSecrets } from '@govern/secrets';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkEnvelope, screenEnvelopes, type CheckResult } from './validate.js';

// Tokens built at run time so this file holds no literal that scanners flag.
const GH = `ghp_${'x7Kq'.repeat(9)}`;
const GITLAB = `glpat-${'a1B2c3D4e5'.repeat(2)}`;
const RAW = {
  schema: 'govern.wrapper-envelope/v1',
  event_id: 'evt-0001',
  sequence: 0,
  run_id: 'run-a',
  task_id: 'GV-WP-0010-T03',
  group_id: 'retry-1',
  signal: 'failure',
  wrapper_policy: { name: 'govern-wrapper', version: '1.4.0' },
  task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'test', id: 'keys.test.ts' }, action: { kind: 'run-check' }, failure_reason_code: 'test.failed' },
  context: { gates: ['lint'], versions: { node: '20.19.0' }, env: { CI: 'true' } },
  evidence: [{ kind: 'file', ref: 'ops/runtime/binder/run-a.json' }],
  observed_at: '2026-02-15T10:00:00.000Z',
};
type Raw = Record<string, unknown> & typeof RAW;
const raw = (): Raw => structuredClone(RAW) as Raw;
const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_260_215) };

describe('checkEnvelope: accepted', () => {
  test('a valid envelope comes back parsed, defaults filled in, nothing dropped', () => {
    expect(checkEnvelope(RAW)).toEqual({ ok: true, envelope: { ...RAW, policy_reason_code: null }, dropped: [], aliases_read: [] });
    const { context: _context, ...bare } = raw();
    expect(checkEnvelope(bare)).toEqual({ ok: true, envelope: { ...bare, policy_reason_code: null, context: { gates: [], versions: {}, env: {} } }, dropped: [], aliases_read: [] });
  });

  test('secret-named env entries are dropped from the envelope and listed, never stored', () => {
    const e = raw();
    e.context.env = { CI: 'true', GIT_AUTHOR_NAME: 'Ada', DB_PASSWORD: 'short', 'my.session': 'x' } as typeof e.context.env;
    expect(checkEnvelope(e)).toEqual({
      ok: true,
      envelope: { ...RAW, policy_reason_code: null, context: { ...RAW.context, env: { CI: 'true' } } },
      dropped: ['context.env.DB_PASSWORD', 'context.env.GIT_AUTHOR_NAME', 'context.env["my.session"]'],
      aliases_read: [],
    });
  });

  test('LM-10: the legacy task_spec.reason_code is read as failure_reason_code, never written; the canonical name wins', () => {
    const legacy = raw();
    const { failure_reason_code: _f, ...ts } = legacy.task_spec;
    const aliased = { ...legacy, task_spec: { ...ts, reason_code: 'test.timeout' } };
    expect(checkEnvelope(aliased)).toEqual({
      ok: true,
      envelope: { ...RAW, policy_reason_code: null, task_spec: { ...RAW.task_spec, failure_reason_code: 'test.timeout' } },
      dropped: [],
      aliases_read: ['task_spec.reason_code'],
    });
    expect(checkEnvelope({ ...legacy, task_spec: { ...ts, failure_reason_code: null, reason_code: 'test.timeout' } })).toEqual(checkEnvelope(aliased));
    const both = { ...legacy, task_spec: { ...legacy.task_spec, reason_code: 'test.other' } };
    expect(checkEnvelope(both)).toEqual({ ok: true, envelope: { ...RAW, policy_reason_code: null }, dropped: [], aliases_read: ['task_spec.reason_code'] });
    expect(checkEnvelope({ ...legacy, task_spec: { ...ts, reason_code: 'has space' } })).toEqual({
      ok: false,
      reasons: [{ code: 'field-invalid', path: 'task_spec.reason_code', message: 'a reason code: letters, digits and . _ : / - (no spaces)' }],
    });
  });
});

describe('checkEnvelope: quarantined, with coded reasons naming the field', () => {
  test('not an object (and a secret in it is still reported, so the quarantined record gets redacted)', () => {
    const reasons = [null, [RAW], 42, 'envelope', true].map((v) => checkEnvelope(v));
    expect(reasons).toEqual(
      ['null', 'an array', 'a number', 'a string', 'a boolean'].map((what) => ({ ok: false, reasons: [{ code: 'not-an-object', path: '', message: `an envelope is a JSON object, not ${what}` }] })),
    );
    expect(checkEnvelope([`token ${GH}`])).toEqual({
      ok: false,
      reasons: [
        { code: 'not-an-object', path: '', message: 'an envelope is a JSON object, not an array' },
        { code: 'secret-in-envelope', path: '[0]', message: 'this value holds what looks like a secret (github-token); it is not repeated here' },
      ],
    });
  });

  test('an unknown schema is one reason (its other fields are not judged); a missing one is a missing field', () => {
    expect(checkEnvelope({ ...raw(), schema: 'govern.wrapper-envelope/v2', extra: 1, sequence: -1 })).toEqual({
      ok: false,
      reasons: [{ code: 'schema-unknown', path: 'schema', message: 'not a known envelope schema (this binder reads "govern.wrapper-envelope/v1")' }],
    });
    const { schema: _s, ...noSchema } = raw();
    expect(checkEnvelope(noSchema)).toEqual({ ok: false, reasons: [{ code: 'field-missing', path: 'schema', message: 'required ("govern.wrapper-envelope/v1")' }] });
  });

  test('missing, invalid and unknown fields, every one reported, sorted by path', () => {
    const e = raw();
    const { kind: _k, ...target } = e.task_spec.target;
    const bad = {
      ...e,
      sequence: -1,
      observed_at: 'yesterday',
      group_id: undefined,
      task_spec: { ...e.task_spec, target, owner: 'me' },
      evidence: [{ kind: 'file', ref: 'x', sha256: 'not-hex' }],
      extra: true,
    };
    expect(checkEnvelope(bad)).toEqual({
      ok: false,
      reasons: [
        { code: 'field-invalid', path: 'evidence[0].sha256', message: 'Invalid string: must match pattern /^[0-9a-f]{64}$/' },
        { code: 'field-unknown', path: 'extra', message: 'not a field of a wrapper envelope v1 (unknown fields are refused)' },
        { code: 'field-missing', path: 'group_id', message: 'required (string)' },
        { code: 'field-invalid', path: 'observed_at', message: 'Invalid ISO datetime' },
        { code: 'field-invalid', path: 'sequence', message: 'Too small: expected number to be >=0' },
        { code: 'field-unknown', path: 'task_spec.owner', message: 'not a field of a wrapper envelope v1 (unknown fields are refused)' },
        { code: 'field-missing', path: 'task_spec.target.kind', message: 'required (string)' },
      ],
    });
  });

  test('signal rules: a failure without evidence, a denial without policy_reason_code, an anomaly without trigger', () => {
    const cases = [
      { ...raw(), evidence: [] },
      { ...raw(), signal: 'denial' },
      { ...raw(), signal: 'anomaly' },
      { ...raw(), signal: 'success', anomaly_trigger: 'timeout' },
    ];
    expect(cases.map((c) => checkEnvelope(c))).toEqual([
      { ok: false, reasons: [{ code: 'field-missing', path: 'evidence', message: 'a failure needs at least one evidence ref' }] },
      { ok: false, reasons: [{ code: 'field-missing', path: 'policy_reason_code', message: 'a denial needs policy_reason_code' }] },
      { ok: false, reasons: [{ code: 'field-missing', path: 'anomaly_trigger', message: 'an anomaly names its trigger' }] },
      { ok: false, reasons: [{ code: 'field-invalid', path: 'anomaly_trigger', message: 'anomaly_trigger is only for signal=anomaly' }] },
    ]);
  });

  test('the same problems in another key order give the same reasons in the same order', () => {
    const bad = { ...raw(), sequence: 'one', extra: 1, zeta: 2 } as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(bad).reverse());
    expect(checkEnvelope(reversed)).toEqual(checkEnvelope(bad));
  });

  test('deep nesting is data, not a stack overflow', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(checkEnvelope({ ...raw(), extra: deep })).toEqual({
      ok: false,
      reasons: [{ code: 'field-unknown', path: 'extra', message: 'not a field of a wrapper envelope v1 (unknown fields are refused)' }],
    });
  });

  test('never throws, and always answers with sorted reasons or an envelope (fast-check, any JSON)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ schema: fc.constant('govern.wrapper-envelope/v1'), task_spec: fc.jsonValue(), context: fc.jsonValue() })), (v) => {
        const r = checkEnvelope(v);
        if (!r.ok) {
          expect(r.reasons.length).toBeGreaterThan(0);
          expect(r.reasons.map((x) => x.path)).toEqual(r.reasons.map((x) => x.path).sort());
        }
      }),
      { numRuns: 300, ...seed },
    );
  });
});

describe('secrets in envelopes', () => {
  test('a token anywhere is quarantined as secret-in-envelope, and no reason repeats it', async () => {
    expect((await findSecrets(`id ${GH}`)).map((f) => f.rule)).toEqual(['github']);
    const e = raw();
    e.task_spec.target.id = `checkout with ${GH}`;
    e.evidence = [{ kind: 'url', ref: `https://ci.example/${GH}/log` }];
    const r = checkEnvelope({ ...e, sequence: -1 });
    expect(r).toEqual({
      ok: false,
      reasons: [
        { code: 'secret-in-envelope', path: 'evidence[0].ref', message: 'this value holds what looks like a secret (github-token); it is not repeated here' },
        { code: 'field-invalid', path: 'sequence', message: 'Too small: expected number to be >=0' },
        { code: 'secret-in-envelope', path: 'task_spec.target.id', message: 'this value holds what looks like a secret (github-token); it is not repeated here' },
      ],
    });
    expect(JSON.stringify(r)).not.toContain(GH);
  });

  test('a token in a key: the key is redacted from every path', () => {
    const e = { ...raw(), [GH]: 'x' };
    const r = checkEnvelope(e);
    expect(r).toEqual({
      ok: false,
      reasons: [
        { code: 'field-unknown', path: '[REDACTED]', message: 'not a field of a wrapper envelope v1 (unknown fields are refused)' },
        { code: 'secret-in-envelope', path: '[REDACTED]', message: 'this key holds what looks like a secret (github-token); it is not repeated here' },
      ],
    });
    expect(JSON.stringify(r)).not.toContain(GH);
  });

  test('the value of a secret-named env entry copied anywhere else is found, whatever its shape', () => {
    const e = raw();
    e.context.env = { CI: 'true', DEPLOY_TOKEN: 'plain-words-secret' } as typeof e.context.env;
    e.evidence = [{ kind: 'log', ref: 'deploy with plain-words-secret' }];
    const r = checkEnvelope(e);
    expect(r).toEqual({ ok: false, reasons: [{ code: 'secret-in-envelope', path: 'evidence[0].ref', message: 'this value holds what looks like a secret (env:DEPLOY_TOKEN); it is not repeated here' }] });
    expect(JSON.stringify(r)).not.toContain('plain-words-secret');
  });

  test('screenEnvelopes adds secretlint (a GitLab token the token rules miss) and agrees with checkEnvelope otherwise', async () => {
    const gitlab = raw();
    gitlab.task_spec.target.id = `push ${GITLAB}`;
    expect(checkEnvelope(gitlab).ok).toBe(true);
    const results = await screenEnvelopes([RAW, gitlab, { ...raw(), sequence: -1 }, 7]);
    expect(results).toEqual([
      checkEnvelope(RAW),
      { ok: false, reasons: [{ code: 'secret-in-envelope', path: 'task_spec.target.id', message: 'this value holds what looks like a secret (gitlab); it is not repeated here' }] },
      checkEnvelope({ ...raw(), sequence: -1 }),
      checkEnvelope(7),
    ]);
    expect(JSON.stringify(results)).not.toContain(GITLAB);
  });

  test('screenEnvelopes: each verdict is the one the envelope gets alone, whatever the batch (a runaway private-key match included)', async () => {
    const key = raw();
    // A private key header with no footer: the token rule runs to the end of its text, so across a batch it would cover the neighbours.
    key.evidence = [{ kind: 'log', ref: '-----BEGIN RSA PRIVATE KEY-----' }];
    const gh = raw();
    gh.run_id = `run ${GH}`;
    const gitlab = raw();
    gitlab.group_id = GITLAB;
    const batch = [RAW, key, gh, RAW, gitlab, key];
    const alone = await Promise.all(batch.map(async (e) => (await screenEnvelopes([e]))[0]!));
    const together = await screenEnvelopes(batch);
    const small = await screenEnvelopes(batch, { batchChars: 64 });
    expect(together).toEqual(alone);
    expect(small).toEqual(alone);
    expect(alone.map((r: CheckResult) => (r.ok ? 'ok' : r.reasons.map((x) => `${x.code} ${x.path}`).join(';')))).toEqual([
      'ok',
      'secret-in-envelope evidence[0].ref',
      'secret-in-envelope run_id',
      'ok',
      'secret-in-envelope group_id',
      'secret-in-envelope evidence[0].ref',
    ]);
  });
});
