import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// This config lives at <repo>/<projectRoot>/vitest.config.ts. The JSON results go to
// <repo>/reports/vitest/<projectRoot>.json (declared as the Nx test output in nx.json,
// so a cache hit restores it); .ci/run sums the counts over all reports.
const projectDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(projectDir, '../..');
const jsonReport = resolve(repoRoot, 'reports/vitest', `${relative(repoRoot, projectDir)}.json`);

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    passWithNoTests: false,
    reporters: ['default', ['json', { outputFile: jsonReport }]],
  },
});
