import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The one vitest configuration every project uses: its `vitest.config.ts` is
 * `export default projectConfig(import.meta.url)`. The JSON results go to
 * `<repo>/reports/vitest/<projectRoot>.json` (declared as the Nx test output in
 * nx.json, so a cache hit restores it); `.ci/run` sums the counts over all reports.
 */
export function projectConfig(configUrl: string): ReturnType<typeof defineConfig> {
  const projectDir = dirname(fileURLToPath(configUrl));
  const repoRoot = dirname(fileURLToPath(import.meta.url));
  const jsonReport = resolve(repoRoot, 'reports/vitest', `${relative(repoRoot, projectDir)}.json`);
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      environment: 'node',
      passWithNoTests: false,
      reporters: ['default', ['json', { outputFile: jsonReport }]],
    },
  });
}
