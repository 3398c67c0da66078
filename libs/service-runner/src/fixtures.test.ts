import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { toErrorJSON } from '@govern/errors';
import { createServiceRunner } from './runner.js';
import { fixtureClock, fixtureRepo, loadFamilies, memorydBundle, normalizeRoot, removeMemorydBundle, resolveInput, startMemoryd, type FixtureFamily } from './testing.js';

// The evaluation fixtures (seed 003 T03): each family is a scenario run step by step
// through the service runner against a fresh copy of fixtures/repo, with a ticking
// clock, so every output, error and audit entry is deterministic. Each step's whole
// result is compared with the one checked in; the family's report (counts by outcome
// and reason) too, plus threshold assertions. When the behaviour changes on purpose,
// regenerate and review the diff:
//   cd libs/service-runner && GOVERN_WRITE_FIXTURES=1 npx vitest run src/fixtures.test.ts

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
  removeMemorydBundle();
});

const normalizeUrl = <T>(v: T, url: string): T => JSON.parse(JSON.stringify(v).split(url).join('<memoryd>')) as T;

type Result = { output: unknown } | { error: { code: string; message: string; details: Record<string, unknown> } };

async function runFamily(f: FixtureFamily): Promise<Result[]> {
  const root = fixtureRepo('govern-service-', f.edits);
  roots.push(root);
  const memoryd = f.runner.memoryd ? await startMemoryd(root) : null;
  const runner = createServiceRunner({
    ...(memoryd ? { memory: { url: memoryd.url } } : {}),
    root,
    mode: f.runner.mode,
    ...(f.runner.retention ? { retention: f.runner.retention } : {}),
    now: fixtureClock(),
    actor: 'agent-a',
    cacheDir: null,
    env: { PATH: process.env.PATH },
    toolVersion: '0.0.0-fixture',
  });
  const results: Result[] = [];
  try {
    for (const step of f.steps) {
      const input = resolveInput(step.input, results);
      try {
        results.push({ output: await runner.run(step.operation, input, { actor: step.actor ?? 'agent-a' }) });
      } catch (err) {
        results.push({ error: toErrorJSON(err) as Extract<Result, { error: unknown }>['error'] });
      }
    }
  } finally {
    await runner.close();
    await memoryd?.stop();
  }
  return normalizeRoot(memoryd ? normalizeUrl(results, memoryd.url) : results, root);
}

/** The family's report: what happened, by outcome and reason code. */
function report(f: FixtureFamily, results: Result[]) {
  const count = (xs: string[]) => Object.fromEntries([...new Set(xs)].sort().map((x) => [x, xs.filter((y) => y === x).length]));
  const errors = results.flatMap((r) => ('error' in r ? [r.error] : []));
  return {
    family: f.family,
    steps: results.length,
    ok: results.length - errors.length,
    denied: count(errors.filter((e) => e.details.policy_reason_code).map((e) => String(e.details.policy_reason_code))),
    failed: count(errors.filter((e) => e.details.failure_reason_code).map((e) => String(e.details.failure_reason_code))),
    operations: count(f.steps.map((s) => s.operation)),
  };
}

const families = loadFamilies();

// memoryd is bundled once, before the cases (a build is not a test case's time).
beforeAll(async () => {
  if (families.some((f) => f.family.runner.memoryd)) await memorydBundle();
}, 120_000);

describe('evaluation fixtures', () => {
  test('there are at least three families, covering the seed-003 scenario kinds', () => {
    expect(families.length).toBeGreaterThanOrEqual(3);
    const covered = new Set(families.flatMap((f) => f.family.covers));
    for (const kind of ['policy-denied activation', 'profile lifecycle rules', 'event-path activation', 'semantic-index hints', 'budget pressure']) expect(covered).toContain(kind);
  });

  for (const { file, family } of families) {
    test(`${family.family}: every step answers as recorded; the report meets its thresholds`, async () => {
      const results = await runFamily(family);
      const r = report(family, results);
      if (process.env.GOVERN_WRITE_FIXTURES === '1') {
        const updated = { ...family, steps: family.steps.map((s, i) => ({ ...s, expect: results[i] })), report: r };
        fs.writeFileSync(file, `${JSON.stringify(updated, null, 2)}\n`);
      } else {
        expect(results).toEqual(family.steps.map((s) => s.expect));
        expect(r).toEqual(family.report);
      }
      // Thresholds: every refusal is on exactly one side of the split; every step answered.
      for (const e of results.flatMap((x) => ('error' in x ? [x.error] : []))) {
        expect([e.details.policy_reason_code, e.details.failure_reason_code].filter((c) => c !== null && c !== undefined)).toHaveLength(1);
      }
      expect(r.steps).toBe(family.steps.length);
      expect(r.ok).toBeGreaterThanOrEqual(1);
    });
  }

  test('a family run twice in two roots gives byte-identical results (determinism)', async () => {
    const f = families.find((x) => x.family.family === 'prescriptive-writes')!.family;
    expect(JSON.stringify(await runFamily(f))).toBe(JSON.stringify(await runFamily(f)));
  });
});
