import { toErrorJSON } from '@govern/errors';
import { describe, expect, test } from 'vitest';
import { extraFieldPack, manifestFor, memoEventsPack, missingPack, mixedReasonsPack, realClockPack, trespassingPack, undeclaredPack } from '../__fixtures__/packs.js';
import { manifestHash } from '../manifest.js';
import type { Pack } from '../pack.js';
import { checkPack, loadForPrescriptiveUse, mergeReports, NotConformantError } from './check.js';
import { ConformanceReportSchema, STANDARD, SUBCHECKS, type ConformanceReport } from './report.js';

// The standard against the kit's own test packs (src/__fixtures__/packs.ts): one
// conformant pack and one broken variant per rule. Every run is real: sandboxed
// temporary roots, and for determinism a second `node` process.

const verdicts = (r: ConformanceReport) => Object.fromEntries(r.subchecks.map((s) => [s.name, s.ok]));
const allOk = Object.fromEntries(SUBCHECKS.map((n) => [n, true]));

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('checkPack', () => {
  test('a conformant pack passes every subcheck, in another process too; the report validates and names the manifest', async () => {
    const report = await checkPack(memoEventsPack);
    expect(ConformanceReportSchema.parse(report)).toEqual(report);
    expect({ ...report, subchecks: report.subchecks.map((s) => ({ name: s.name, ok: s.ok, problems: s.problems })) }).toEqual({
      standard: STANDARD,
      pack: { name: 'memo-events', version: '1.0.0', package: '@govern/adapter-kit', manifest_sha256: manifestHash(memoEventsPack.manifest) },
      ok: true,
      subchecks: SUBCHECKS.map((name) => ({ name, ok: true, problems: [] })),
    });
    const determinism = report.subchecks.find((s) => s.name === 'determinism')!.details as { steps: number; in_process: string[]; other_process: { pid_differs: boolean; transcript_sha256: string } };
    expect(determinism.other_process).toEqual({ pid_differs: true, transcript_sha256: determinism.in_process[0] });
    expect(determinism.in_process[0]).toBe(determinism.in_process[1]);
    expect(report.subchecks.find((s) => s.name === 'observability-split')!.details).toEqual({ failures: 4, denials: 1, improper: 0 });
    expect(report.subchecks.find((s) => s.name === 'side-effect-policy')!.details).toEqual({ ownership: { paths: [], tables: [], remote: [] }, changed_paths: [], tables_changed: [], remote_writes: [] });
  });

  test('a pack stamping records with the real clock fails determinism, and only it', async () => {
    const report = await checkPack(realClockPack);
    expect(verdicts(report)).toEqual({ ...allOk, determinism: false });
    expect(report.subchecks.find((s) => s.name === 'determinism')!.problems).toEqual([
      expect.stringMatching(/^two runs in this process differ at step 1 \(store\.event append two events to run-1\): /),
      expect.stringMatching(/^the run in another process \(pid \d+\) differs at step 1 \(store\.event append two events to run-1\): /),
    ]);
  });

  test('a pack writing outside its ownership boundary fails the side-effect policy, naming the path', async () => {
    const report = await checkPack(trespassingPack, { subchecks: ['side-effect-policy'] });
    expect(report).toEqual({
      standard: STANDARD,
      pack: expect.objectContaining({ name: 'memo-trespass' }),
      ok: false,
      subchecks: [
        {
          name: 'side-effect-policy',
          ok: false,
          problems: ['modified file README.md: outside the ownership paths (none)'],
          details: { ownership: { paths: [], tables: [], remote: [] }, changed_paths: ['modified README.md'], tables_changed: [], remote_writes: [] },
        },
      ],
    });
  });

  test('a pack mixing the reason split (a denial as a failure, a raw Error) fails observability and the spec', async () => {
    const report = await checkPack(mixedReasonsPack, { subchecks: ['observability-split', 'spec-as-test'] });
    expect(report.subchecks.map((s) => ({ name: s.name, ok: s.ok, problems: s.problems }))).toEqual([
      {
        name: 'observability-split',
        ok: false,
        problems: [
          'store.event append with a stale expectedSeq: not a coded govern error: Error (internal-error)',
          'store.event append in read-only mode: expected a denial, got a failure (adapter.store.io)',
          'store.event: no denial was observed (the suite provokes one)',
        ],
      },
      {
        name: 'spec-as-test',
        ok: false,
        problems: [
          'store.event: append with a stale expectedSeq: refused as a failure (adapter.conflict) — {"got":"foreign","code":null}',
          'store.event: append in read-only mode: refused as a denial (adapter.read-only) — {"got":"failure","code":null}',
        ],
      },
    ]);
  });

  test('a pack returning records the schema does not have fails contract validity', async () => {
    const report = await checkPack(extraFieldPack, { subchecks: ['contract-validity'] });
    expect(report.subchecks[0]!.ok).toBe(false);
    expect(report.subchecks[0]!.problems.slice(0, 2)).toEqual([
      'store.event append: the event-record record does not match the kit\'s schema: (record): Unrecognized key: "note"',
      'store.event append: the event-record record does not match the kit\'s schema: (record): Unrecognized key: "note"',
    ]);
  });

  test('spec-as-test: a capability provided but not declared, or declared but not provided, fails', async () => {
    const [undeclared, missing] = await Promise.all([checkPack(undeclaredPack, { subchecks: ['spec-as-test'] }), checkPack(missingPack, { subchecks: ['spec-as-test'] })]);
    expect(undeclared.subchecks[0]!.problems).toEqual(['github: provided by the instance but not declared in the manifest']);
    expect(missing.subchecks[0]!.problems).toEqual(['store.event: declared, but the instance does not provide it']);
  });

  test('a pack with an invalid manifest fails contract validity and runs nothing else', async () => {
    const bad = { ...memoEventsPack, manifest: { ...memoEventsPack.manifest, capabilities: ['store.graph', 'teleport'], version: 'one' } } as unknown as Pack;
    const report = await checkPack(bad);
    expect(report.subchecks.map((s) => [s.name, s.ok, s.problems])).toEqual([
      ['contract-validity', false, ['manifest version: a semver version (1.2.3)', 'manifest capabilities.1: Invalid option: expected one of "store.graph"|"store.event"|"store.audit"|"statehub"|"github"|"memory"']],
      ['determinism', false, ['not run: the manifest is invalid']],
      ['side-effect-policy', false, ['not run: the manifest is invalid']],
      ['observability-split', false, ['not run: the manifest is invalid']],
      ['spec-as-test', false, ['not run: the manifest is invalid']],
    ]);
  });

  test('contract validity checks the contract versions and the boundary placeholders', async () => {
    const newer = { ...memoEventsPack, manifest: manifestFor('memo-events', { contracts: [{ name: '@govern/contracts', version: '1.9.0' }, { name: 'govern-adapter-capabilities', version: '2.0.0' }, { name: 'left-pad', version: '1.0.0' }], ownership: { paths: ['{dir}/**'], tables: [], remote: [] } }) } as Pack;
    const report = await checkPack(newer, { subchecks: ['contract-validity'] });
    expect(report.subchecks[0]!.problems).toEqual([
      '@govern/contracts 1.9.0 is newer than this build\'s 1.0.0',
      'govern-adapter-capabilities 2.0.0 is another major than this build\'s 1.0.0',
      'left-pad is not a contract this build knows (@govern/contracts, govern-adapter-capabilities)',
      '{dir} in the ownership boundary has no string option dir to fill it',
    ]);
  });

  test('a pack without a module URL cannot be checked across processes', async () => {
    const local = { ...memoEventsPack, module: null } as Pack;
    const report = await checkPack(local, { subchecks: ['determinism'] });
    expect(report.subchecks[0]!.problems).toEqual(['the run in another process failed: memo-events has no module URL (definePack({ module: import.meta.url })): it cannot be loaded in another process']);
  });
});

describe('mergeReports', () => {
  test('single-subcheck reports of one pack make the report of the standard; a missing subcheck or another pack does not', async () => {
    const parts = await Promise.all([...SUBCHECKS].reverse().map((name) => checkPack(memoEventsPack, { subchecks: [name] })));
    const merged = mergeReports(parts);
    expect({ ...merged, subchecks: merged.subchecks.map((s) => [s.name, s.ok]) }).toEqual({
      standard: STANDARD,
      pack: parts[0]!.pack,
      ok: true,
      subchecks: SUBCHECKS.map((n) => [n, true]),
    });
    expect(mergeReports(parts.slice(1)).ok).toBe(false);
    const other = await checkPack(trespassingPack, { subchecks: ['spec-as-test'] });
    expect(() => mergeReports([parts[0]!, other])).toThrow(/^mergeReports: memo-trespass \(govern-conformance\/1, manifest [0-9a-f]{12}\) is not the pack of the first report/);
  });
});

describe('loadForPrescriptiveUse', () => {
  test('refuses a pack that fails, with a denial naming the failed subchecks', async () => {
    const err = await refusal(loadForPrescriptiveUse(trespassingPack));
    expect(err).toBeInstanceOf(NotConformantError);
    expect(toErrorJSON(err)).toEqual({
      code: 'adapter-not-conformant',
      message: 'memo-trespass 1.0.0 is not loaded for prescriptive use: side-effect-policy failed',
      details: {
        failure_reason_code: null,
        policy_reason_code: 'adapter.not-conformant',
        pack: 'memo-trespass',
        version: '1.0.0',
        failed: [{ name: 'side-effect-policy', problems: ['modified file README.md: outside the ownership paths (none)'] }],
      },
    });
  });

  test('accepts a passing report for the same manifest only, and a complete one only', async () => {
    const report = await checkPack(memoEventsPack);
    await expect(loadForPrescriptiveUse(memoEventsPack, { report })).resolves.toEqual({ pack: memoEventsPack, report });
    const other = { ...memoEventsPack, manifest: { ...memoEventsPack.manifest, description: 'changed after the check' } } as Pack;
    expect(toErrorJSON(await refusal(loadForPrescriptiveUse(other, { report })))).toMatchObject({ code: 'adapter-not-conformant', message: 'memo-events 1.0.0 is not loaded for prescriptive use: the report was made for another manifest (its hash differs): check the pack again' });
    const partial = { ...report, subchecks: report.subchecks.slice(0, 2) };
    expect(toErrorJSON(await refusal(loadForPrescriptiveUse(memoEventsPack, { report: partial })))).toMatchObject({
      message: 'memo-events 1.0.0 is not loaded for prescriptive use: side-effect-policy did not run, observability-split did not run, spec-as-test did not run',
    });
  });
});
