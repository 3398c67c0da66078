import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The one vitest configuration every project uses: its `vitest.config.ts` is
 * `export default projectConfig(import.meta.url)`. The JSON results go to
 * `<repo>/reports/vitest/<projectRoot>.json` (declared as the Nx test output in
 * nx.json, so a cache hit restores it); `.ci/run` sums the counts over all reports.
 *
 * Two suites share it. `test` (the default) runs `src/**\/*.test.ts`: fast, every test
 * under vitest's 5 s default. `soak` (GOVERN_SOAK=1, the Nx `soak` target a project
 * declares in its package.json) runs `src/**\/*.soak.ts`: kill, load and fuzz cases
 * that take tens of seconds, reported to `reports/vitest-soak/`. CI runs both.
 */
export function projectConfig(configUrl: string): ReturnType<typeof defineConfig> {
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
      ...(soak ? { testTimeout: 600_000, hookTimeout: 120_000 } : {}),
      reporters: ['default', ['json', { outputFile: jsonReport }]],
    },
  });
}
