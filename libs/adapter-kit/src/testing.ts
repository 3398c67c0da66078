import { beforeAll, describe, expect, test } from 'vitest';
import { checkPack, loadForPrescriptiveUse, mergeReports, type ConformanceHarness } from './conformance/check.js';
import { prebundle } from './conformance/child.js';
import { STANDARD, SUBCHECKS, type ConformanceReport } from './conformance/report.js';
import type { Pack } from './pack.js';

/**
 * The conformance suite a pack's own test file calls: one vitest test per
 * subcheck of `govern-conformance/1` (each runs `checkPack` for that subcheck in
 * fresh sandboxes, so a failure names the subcheck and lists its problems), then
 * one that merges their reports into the pack's report for the whole standard
 * and loads the pack for prescriptive use with it. The other process's bundle is
 * built in the suite's setup. `npx nx run-many -t test --projects=tag:adapter-pack`
 * runs it for every pack, whatever the state of the pack's gate.
 */
export function conformanceSuite(pack: Pack, harness?: ConformanceHarness): void {
  const opts = harness ? { harness } : {};
  const reports: ConformanceReport[] = [];
  describe(`${STANDARD}: ${pack.name} ${pack.version}`, () => {
    beforeAll(async () => {
      await prebundle(pack);
    });

    for (const name of SUBCHECKS) {
      test(name, async () => {
        const report = await checkPack(pack, { ...opts, subchecks: [name] });
        reports.push(report);
        expect(report.subchecks.map((s) => ({ name: s.name, ok: s.ok, problems: s.problems }))).toEqual([{ name, ok: true, problems: [] }]);
      });
    }

    test('the whole standard passes and the pack loads for prescriptive use', async () => {
      // The subcheck tests' reports, merged; run alone (vitest -t), the standard is checked here.
      const report = reports.length === SUBCHECKS.length ? mergeReports(reports) : await checkPack(pack, opts);
      expect({ standard: report.standard, pack: report.pack.name, ok: report.ok, subchecks: report.subchecks.map((s) => [s.name, s.ok]) }).toEqual({
        standard: STANDARD,
        pack: pack.name,
        ok: true,
        subchecks: SUBCHECKS.map((n) => [n, true]),
      });
      await expect(loadForPrescriptiveUse(pack, { report })).resolves.toEqual({ pack, report });
    });
  });
}
