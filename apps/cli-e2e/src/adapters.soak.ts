import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureFreshBundle } from './support.js';

beforeAll(ensureFreshBundle, 120_000);

// The built CLI has no TypeScript sources to bundle for the determinism subcheck's other
// process (and an installed package has no esbuild): it starts itself instead
// (`govern adapters __child`). A soak case: a whole conformance check takes seconds.
describe('govern adapters check from the bundle', () => {
  it('runs every subcheck of the fake pack, the determinism run in another govern process', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-adapters-bin-'));
    const r = spawnSync(process.execPath, [BIN, 'adapters', 'check', 'fake', '--json', '--root', root], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout) as { ok: boolean; packs: { subchecks: { name: string; ok: boolean; details: Record<string, unknown> }[] }[] };
    const subchecks = out.packs[0]!.subchecks;
    expect({ ok: out.ok, subchecks: subchecks.map((s) => [s.name, s.ok]) }).toEqual({
      ok: true,
      subchecks: [
        ['contract-validity', true],
        ['determinism', true],
        ['side-effect-policy', true],
        ['observability-split', true],
        ['spec-as-test', true],
      ],
    });
    const det = subchecks.find((s) => s.name === 'determinism')!.details as { in_process: string[]; other_process: { pid_differs: boolean; transcript_sha256: string } };
    expect(det.other_process).toEqual({ pid_differs: true, transcript_sha256: det.in_process[0] });
  }, 90_000);
});
