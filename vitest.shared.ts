import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The one vitest configuration every project uses: its `vitest.config.ts` is
 * `export default projectConfig(import.meta.url)`. The JSON results go to
 * `<repo>/reports/vitest/<projectRoot>.json` (declared as the Nx test output in
 * nx.json, so a cache hit restores it); `.ci/run` sums the counts over all reports.
 *
 * `overrides.maxWorkers`: the vitest workers of this project's `test` run (default 1).
 *
 * Two suites share it. `test` (the default) runs `src/**\/*.test.ts`: fast, every test
 * under vitest's 5 s default. `soak` (GOVERN_SOAK=1, the Nx `soak` target a project
 * declares in its package.json) runs `src/**\/*.soak.ts`: kill, load and fuzz cases
 * that take tens of seconds, reported to `reports/vitest-soak/`. CI runs both.
 */
export function projectConfig(configUrl: string, overrides: { maxWorkers?: number } = {}): ReturnType<typeof defineConfig> {
  const projectDir = dirname(fileURLToPath(configUrl));
  const repoRoot = dirname(fileURLToPath(import.meta.url));
  const soak = process.env.GOVERN_SOAK === '1';
  const reportDir = soak ? 'reports/vitest-soak' : 'reports/vitest';
  const jsonReport = resolve(repoRoot, reportDir, `${relative(repoRoot, projectDir)}.json`);
  return defineConfig({
    test: {
      include: soak ? ['src/**/*.soak.ts'] : ['src/**/*.test.ts'],
      environment: 'node',
      passWithNoTests: false,
      // `test`: Nx already runs three projects at once on a 2-core machine, so each vitest
      // takes one worker (a project on the critical path may ask for more) and reuses its
      // module graph across files instead of importing it again for every file: measured
      // 111 s -> 84 s for `npm test` (docs/benchmarks.md#test-loop). `soak` keeps vitest's
      // defaults: its kill and load cases want isolation more than speed.
      //
      // The 5 s budget of a `test` case is checked on the recorded durations
      // (scripts/test-budget.mjs, run by CI after `npm test`), not by vitest's timeout: on a
      // machine running two suites at once a 2 s case takes 6-9 s, and that is load, not a
      // slow test. The timeout stays as the guard against a hang.
      ...(soak
        ? { testTimeout: 600_000, hookTimeout: 120_000 }
        : { isolate: false, maxWorkers: overrides.maxWorkers ?? 1, testTimeout: 30_000, hookTimeout: 30_000 }),
      reporters: ['default', ['json', { outputFile: jsonReport }]],
    },
  });
}
