import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAuditLog } from '@govern/write';
import { afterAll, describe, expect, test } from 'vitest';
import { closeItem } from './close.js';
import { EvidenceManifestSchema } from './manifest.js';

// Issue 11, part 5: `head -c 2362232012 /dev/zero` as a check crashed `govern close` with
// ERR_FS_FILE_TOO_LARGE and a stack trace (no attempt manifest, no audit record), and a
// 1 GB log cost 1.1 GB of memory because it was read back whole to hash it.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function repo(check: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-close-soak-'));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'trackers'));
  fs.writeFileSync(
    path.join(root, 'trackers/t.md'),
    ['| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | LM-01 Big | - | In Progress |', '', '## Checks', '', `- LM-01: \`${check}\``, '', '## Evidence Roots', '', '- LM-01: `ops/runtime/lm-01/`', ''].join('\n'),
  );
  return root;
}

const base = { id: 'LM-01', actor: 'soak', via: 'test', cacheDir: null } as const;
const BIG = 2_362_232_012;

describe('checks with huge output', () => {
  test('2.36 GB under the default 512 MiB limit: killed, a clean failure with an attempt manifest and an audit record', async () => {
    const root = repo(`head -c ${BIG} /dev/zero`);
    const r = await closeItem({ ...base, root });
    expect(r.failures.map((f) => f.code)).toEqual(['check-failed']);
    expect(r.failures[0]!.message).toContain('(killed: printed more than 536870912 bytes)');
    expect(r.checks[0]).toMatchObject({ outputBytes: 536_870_912, outputTruncated: true });
    const attempt = EvidenceManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(root, r.attemptManifest!), 'utf8')));
    expect(attempt.passed).toBe(false);
    expect(readAuditLog(root).records.map((x) => x.action)).toEqual(['close-failed']);
    expect(fs.statSync(path.join(root, 'ops/runtime/lm-01', r.checks[0]!.outputFile!)).size).toBeLessThan(600 * 1024);
  }, 300_000);

  test('2.36 GB with the limit raised: passes, hashed while streaming, stored as head and tail, memory stays bounded', async () => {
    const root = repo(`head -c ${BIG} /dev/zero`);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const r = await closeItem({ ...base, root, output: { maxOutputBytes: 4 * 1024 ** 3 } });
    clearInterval(sampler);
    expect(r.failures).toEqual([]);
    expect(r.checks[0]).toMatchObject({ exitCode: 0, outputBytes: BIG, outputTruncated: true });
    expect(r.checks[0]!.fullOutputSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(peak - rss0).toBeLessThan(256 * 1024 * 1024);
  }, 300_000);
});
