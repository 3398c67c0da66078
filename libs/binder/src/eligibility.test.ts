import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { binderConfig, type BinderConfig } from './config.js';
import { confidence, eligibility, policyAccepted, type CapsuleCounters } from './eligibility.js';

const NOW = new Date('2026-03-01T00:00:00.000Z');
const DAY = 86_400_000;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const PRESCRIPTIVE: BinderConfig = binderConfig({ rollout: 'prescriptive' }).value;
const COUNTERS: CapsuleCounters = {
  support_count: 10,
  contradiction_count: 0,
  explicit_count: 10,
  anomaly_count: 0,
  denial_count: 0,
  first_seen_ts: '2026-01-01T00:00:00.000Z',
  last_seen_ts: ago(DAY),
  wrapper_policies: ['govern-wrapper@1.4.0'],
  policy_reason_codes: [],
};
const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_260_215) };

test('confidence: support / (support + contradictions), 6 decimals, 0 without observations', () => {
  const rows: Array<[number, number]> = [
    [0, 0],
    [1, 0],
    [2, 1],
    [10, 3],
    [1, 2],
    [0, 5],
  ];
  expect(rows.map(([s, c]) => confidence({ ...COUNTERS, support_count: s, contradiction_count: c }))).toEqual([0, 1, 0.666667, 0.769231, 0.333333, 0]);
});

describe('eligibility degrades deterministically (fixed now, prescriptive rollout, default thresholds)', () => {
  test('with contradictions: confidence falls below 0.8 at 3, and past max_contradictions (3) the capsule is contradicted', () => {
    const table = [0, 1, 2, 3, 4].map((n) => eligibility({ ...COUNTERS, contradiction_count: n }, PRESCRIPTIVE, NOW));
    const fresh = { stale: false, age_days: 1 };
    expect(table).toEqual([
      { eligible: true, qualified: true, confidence: 1, ...fresh, reasons: [] },
      { eligible: true, qualified: true, confidence: 0.909091, ...fresh, reasons: [] },
      { eligible: true, qualified: true, confidence: 0.833333, ...fresh, reasons: [] },
      { eligible: false, qualified: false, confidence: 0.769231, ...fresh, reasons: [{ code: 'low-confidence', message: 'confidence 0.769231 is below min_confidence 0.8' }] },
      {
        eligible: false,
        qualified: false,
        confidence: 0.714286,
        ...fresh,
        reasons: [
          { code: 'low-confidence', message: 'confidence 0.714286 is below min_confidence 0.8' },
          { code: 'contradicted', message: '4 contradictions, more than max_contradictions 3' },
        ],
      },
    ]);
  });

  test('contradicted even with high confidence, once past max_contradictions', () => {
    expect(eligibility({ ...COUNTERS, support_count: 100, explicit_count: 100, contradiction_count: 4 }, PRESCRIPTIVE, NOW)).toEqual({
      eligible: false,
      qualified: false,
      confidence: 0.961538,
      stale: false,
      age_days: 1,
      reasons: [{ code: 'contradicted', message: '4 contradictions, more than max_contradictions 3' }],
    });
  });

  test('with age: stale only past max_staleness_days (30), to the millisecond; a future timestamp is age 0; an unreadable one is stale', () => {
    const lastSeen = [ago(0), ago(30 * DAY), ago(30 * DAY + 1), ago(45 * DAY), '2026-03-02T00:00:00.000Z', 'yesterday'];
    expect(lastSeen.map((ts) => eligibility({ ...COUNTERS, last_seen_ts: ts }, PRESCRIPTIVE, NOW))).toEqual([
      { eligible: true, qualified: true, confidence: 1, stale: false, age_days: 0, reasons: [] },
      { eligible: true, qualified: true, confidence: 1, stale: false, age_days: 30, reasons: [] },
      { eligible: false, qualified: false, confidence: 1, stale: true, age_days: 30, reasons: [{ code: 'stale', message: 'last seen 30 days ago, more than max_staleness_days 30' }] },
      { eligible: false, qualified: false, confidence: 1, stale: true, age_days: 45, reasons: [{ code: 'stale', message: 'last seen 45 days ago, more than max_staleness_days 30' }] },
      { eligible: true, qualified: true, confidence: 1, stale: false, age_days: 0, reasons: [] },
      { eligible: false, qualified: false, confidence: 1, stale: true, age_days: null, reasons: [{ code: 'stale', message: 'last_seen_ts is not a timestamp; its age is unknown' }] },
    ]);
  });

  test('every reason at once, in the fixed order, and shadow rollout adds mode-shadow', () => {
    const cfg = binderConfig({ policies: { accepted: ['govern-wrapper@2'], blocked_policy_reason_codes: ['guard.secrets'] } }).value;
    const c: CapsuleCounters = { ...COUNTERS, support_count: 1, explicit_count: 1, contradiction_count: 5, last_seen_ts: ago(90 * DAY), policy_reason_codes: ['guard.order', 'guard.secrets'] };
    expect(eligibility(c, cfg, NOW)).toEqual({
      eligible: false,
      qualified: false,
      confidence: 0.166667,
      stale: true,
      age_days: 90,
      reasons: [
        { code: 'low-confidence', message: 'confidence 0.166667 is below min_confidence 0.8' },
        { code: 'low-support', message: 'support 1 is below min_support 2' },
        { code: 'stale', message: 'last seen 90 days ago, more than max_staleness_days 30' },
        { code: 'contradicted', message: '5 contradictions, more than max_contradictions 3' },
        { code: 'policy-incompatible', message: 'wrapper policies not accepted: govern-wrapper@1.4.0' },
        { code: 'guard-incompatible', message: 'denied by blocked guard codes: guard.secrets' },
        { code: 'mode-shadow', message: 'rollout is shadow: capsules are derived and recorded, never used' },
      ],
    });
  });

  test('rollout: shadow never makes a capsule eligible (qualified says it would be); guided and prescriptive do', () => {
    const byMode = (['shadow', 'guided', 'prescriptive'] as const).map((rollout) => eligibility(COUNTERS, binderConfig({ rollout }).value, NOW));
    expect(byMode).toEqual([
      { eligible: false, qualified: true, confidence: 1, stale: false, age_days: 1, reasons: [{ code: 'mode-shadow', message: 'rollout is shadow: capsules are derived and recorded, never used' }] },
      { eligible: true, qualified: true, confidence: 1, stale: false, age_days: 1, reasons: [] },
      { eligible: true, qualified: true, confidence: 1, stale: false, age_days: 1, reasons: [] },
    ]);
  });
});

describe('guard and policy compatibility', () => {
  test('policyAccepted: name@major against the recorded name@version (v-prefix read), a bare name for any version', () => {
    const rows: Array<[string, string[] | undefined]> = [
      ['govern-wrapper@1.4.0', undefined],
      ['govern-wrapper@1.4.0', ['govern-wrapper@1']],
      ['govern-wrapper@v1.4.0', ['govern-wrapper@1']],
      ['govern-wrapper@2.0.0', ['govern-wrapper@1']],
      ['govern-wrapper@10.0.0', ['govern-wrapper@1']],
      ['govern-wrapper@9.1', ['govern-wrapper']],
      ['@acme/wrap@2.1.0', ['@acme/wrap@2']],
      ['other@1.0.0', ['govern-wrapper@1']],
      ['govern-wrapper@next', ['govern-wrapper@1']],
      ['no-version', ['no-version']],
      ['govern-wrapper@1.4.0', []],
    ];
    expect(rows.map(([p, acc]) => policyAccepted(p, acc))).toEqual([true, true, true, false, false, true, true, false, false, false, false]);
  });

  test('a capsule with no wrapper policy recorded is incompatible once policies.accepted is set', () => {
    const cfg = binderConfig({ rollout: 'guided', policies: { accepted: ['govern-wrapper@1'] } }).value;
    expect(eligibility({ ...COUNTERS, wrapper_policies: [] }, cfg, NOW).reasons).toEqual([{ code: 'policy-incompatible', message: 'no wrapper policy recorded, and policies.accepted is set' }]);
    expect(eligibility(COUNTERS, cfg, NOW).eligible).toBe(true);
  });
});

describe('eligibility properties (fast-check)', () => {
  const counters = fc.record({
    support: fc.nat(50),
    contradictions: fc.nat(20),
    ageMs: fc.nat(120 * DAY),
  });
  const config = fc.record({
    min_confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    min_support: fc.integer({ min: 1, max: 10 }),
    max_staleness_days: fc.integer({ min: 1, max: 90 }),
    max_contradictions: fc.nat(10),
  });

  test('more contradictions or a later now can only take eligibility away, never give it', () => {
    fc.assert(
      fc.property(counters, config, fc.nat(10), fc.nat(60 * DAY), (c, thresholds, more, later) => {
        const cfg = binderConfig({ rollout: 'prescriptive', thresholds }).value;
        const base: CapsuleCounters = { ...COUNTERS, support_count: c.support, explicit_count: c.support, contradiction_count: c.contradictions, last_seen_ts: ago(c.ageMs) };
        const before = eligibility(base, cfg, NOW);
        const contradicted = eligibility({ ...base, contradiction_count: c.contradictions + more }, cfg, NOW);
        const older = eligibility(base, cfg, new Date(NOW.getTime() + later));
        expect(contradicted.confidence).toBeLessThanOrEqual(before.confidence);
        if (contradicted.eligible) expect(before.eligible).toBe(true);
        if (older.eligible) expect(before.eligible).toBe(true);
        // Same inputs, same answer.
        expect(eligibility(base, cfg, NOW)).toEqual(before);
      }),
      { numRuns: 500, ...seed },
    );
  });
});
