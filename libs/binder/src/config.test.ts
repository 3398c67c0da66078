import { describe, expect, test } from 'vitest';
import { binderConfig, BinderConfigSchema, DEFAULT_BINDER_CONFIG, parsePolicyRef } from './config.js';

const DEFAULTS = {
  rollout: 'shadow',
  fallback: 'strict',
  thresholds: { min_confidence: 0.8, min_support: 2, max_staleness_days: 30, max_contradictions: 3 },
  policies: {},
};

describe('binderConfig', () => {
  test('no binder section: the defaults (shadow rollout, strict fallback), no diagnostics', () => {
    expect(DEFAULT_BINDER_CONFIG).toEqual(DEFAULTS);
    expect(binderConfig(undefined)).toEqual({ value: DEFAULTS, diagnostics: [] });
    expect(binderConfig(null)).toEqual({ value: DEFAULTS, diagnostics: [] });
    expect(binderConfig({})).toEqual({ value: DEFAULTS, diagnostics: [] });
  });

  test('a full section is read as written; a partial one is completed with defaults', () => {
    const full = {
      rollout: 'prescriptive',
      fallback: 'hybrid',
      thresholds: { min_confidence: 0.9, min_support: 5, max_staleness_days: 7.5, max_contradictions: 0 },
      policies: { accepted: ['govern-wrapper@1', '@acme/wrap@2', 'any-version-wrapper'], blocked_policy_reason_codes: ['guard.secrets'] },
    };
    expect(binderConfig(full, 'profiles/default.yaml')).toEqual({ value: full, diagnostics: [] });
    expect(binderConfig({ rollout: 'guided', thresholds: { min_support: 3 } })).toEqual({
      value: { ...DEFAULTS, rollout: 'guided', thresholds: { ...DEFAULTS.thresholds, min_support: 3 } },
      diagnostics: [],
    });
  });

  test('an invalid field falls back to its default alone, with an error naming it; an unknown key is a warning', () => {
    const r = binderConfig(
      { rollout: 'prescritive', fallback: 'hybrid', thresholds: { min_confidence: 1.5, min_support: 2.5, max_staleness_days: 10 }, extra: true },
      'profiles/team.yaml',
    );
    expect(r).toEqual({
      value: { ...DEFAULTS, fallback: 'hybrid', thresholds: { ...DEFAULTS.thresholds, max_staleness_days: 10 } },
      diagnostics: [
        { severity: 'warning', code: 'binder-config-unknown-key', message: 'binder.extra: not a binder setting; ignored', file: 'profiles/team.yaml' },
        {
          severity: 'error',
          code: 'binder-config-invalid',
          message: 'binder.rollout: Invalid option: expected one of "shadow"|"guided"|"prescriptive"; the default is used',
          file: 'profiles/team.yaml',
        },
        { severity: 'error', code: 'binder-config-invalid', message: 'binder.thresholds.min_confidence: Too big: expected number to be <=1; the default is used', file: 'profiles/team.yaml' },
        { severity: 'error', code: 'binder-config-invalid', message: 'binder.thresholds.min_support: Invalid input: expected int, received number; the default is used', file: 'profiles/team.yaml' },
      ],
    });
  });

  test('bad entries of a list are dropped one by one (the right ones, however many), the good ones kept', () => {
    const r = binderConfig({ policies: { accepted: ['ok@1', 'bad@x', 'also-ok', 'bad@', 'fine@2'], blocked_policy_reason_codes: 'guard.x' } });
    expect(r).toEqual({
      value: { ...DEFAULTS, policies: { accepted: ['ok@1', 'also-ok', 'fine@2'] } },
      diagnostics: [
        { severity: 'error', code: 'binder-config-invalid', message: 'binder.policies.accepted.1: expected a wrapper policy as "name@major" or "name"; this entry is ignored' },
        { severity: 'error', code: 'binder-config-invalid', message: 'binder.policies.accepted.3: expected a wrapper policy as "name@major" or "name"; this entry is ignored' },
        { severity: 'error', code: 'binder-config-invalid', message: 'binder.policies.blocked_policy_reason_codes: Invalid input: expected array, received string; the default is used' },
      ],
    });
  });

  test('a section that is not a mapping: defaults and one error; a locate callback positions diagnostics', () => {
    expect(binderConfig('prescriptive', 'p.yaml')).toEqual({
      value: DEFAULTS,
      diagnostics: [{ severity: 'error', code: 'binder-config-invalid', message: 'binder: expected a mapping of rollout, fallback, thresholds and policies; the defaults are used', file: 'p.yaml' }],
    });
    const positions: Record<string, { line: number; column: number }> = { 'thresholds.max_contradictions': { line: 14, column: 25 } };
    expect(binderConfig({ thresholds: { max_contradictions: -1 } }, 'p.yaml', (path) => positions[path.join('.')]).diagnostics).toEqual([
      { severity: 'error', code: 'binder-config-invalid', message: 'binder.thresholds.max_contradictions: Too small: expected number to be >=0; the default is used', file: 'p.yaml', line: 14, column: 25 },
    ]);
  });

  test('the value returned is the caller’s own: changing it does not change the next defaults', () => {
    const a = binderConfig(undefined).value;
    a.thresholds.min_support = 99;
    expect(binderConfig(undefined).value).toEqual(DEFAULTS);
  });

  test('the schema itself is strict', () => {
    expect(BinderConfigSchema.safeParse({ thresholds: { min_conf: 0.5 } }).success).toBe(false);
  });
});

test('parsePolicyRef: name@major, a bare name, a scoped name', () => {
  expect(['govern-wrapper@1', 'govern-wrapper', '@acme/wrap@2', '@acme/wrap', ' w@10 ', 'w@x', 'w@', '@', '', 'a@b@1'].map(parsePolicyRef)).toEqual([
    { name: 'govern-wrapper', major: 1 },
    { name: 'govern-wrapper', major: null },
    { name: '@acme/wrap', major: 2 },
    { name: '@acme/wrap', major: null },
    { name: 'w', major: 10 },
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
});
