import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GateConfigError, GateDisabledError, UnknownGateError, isGateError } from './errors.js';
import { assertEnabled, assertEnabledWhereDeclared } from './guard.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-guard-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}
const tracker = (status: string) => `| Milestone | Status |\n|---|---|\n| GV-01 Read path | Done |\n| GV-04 Memory store | ${status} |\n`;
const CONFIG = 'gates:\n  memory-store:\n    requires: [GV-01, GV-04]\n';

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('assertEnabled', () => {
  it('throws GateDisabledError naming the blocking milestone, its status and where it is written', async () => {
    const root = repo({ 'trackers/t.md': tracker('Planned'), 'govern.config.yaml': CONFIG });
    const err = await thrown(assertEnabled('memory-store', { root, cacheDir: null }));
    expect(err).toBeInstanceOf(GateDisabledError);
    const e = err as GateDisabledError;
    expect({ code: e.code, name: e.name, gate: e.gate, message: e.message, details: e.details, gateError: isGateError(e) }).toEqual({
      code: 'gate-disabled',
      name: 'GateDisabledError',
      gate: 'memory-store',
      message:
        'gate memory-store is disabled: GV-04 "Memory store" is planned (at trackers/t.md:4:24). It is enabled when GV-04 is done.',
      details: {
        gate: 'memory-store',
        blockedBy: [{ id: 'GV-04', status: 'planned', statusText: 'Planned', file: 'trackers/t.md', line: 4, column: 24 }],
      },
      gateError: true,
    });
  });

  it('resolves with the state once the tracker says done, with no stale memo in between', async () => {
    const root = repo({ 'trackers/t.md': tracker('Planned'), 'govern.config.yaml': CONFIG });
    await expect(assertEnabled('memory-store', { root })).rejects.toBeInstanceOf(GateDisabledError);
    fs.writeFileSync(path.join(root, 'trackers/t.md'), tracker('Done (#4)'));
    await expect(assertEnabled('memory-store', { root })).resolves.toMatchObject({ name: 'memory-store', enabled: true, blockedBy: [] });
  });

  it('throws UnknownGateError for an undeclared name, listing the declared ones', async () => {
    const root = repo({ 'trackers/t.md': tracker('Done'), 'govern.config.yaml': CONFIG });
    const err = (await thrown(assertEnabled('memory', { root, cacheDir: null }))) as UnknownGateError;
    expect(err).toBeInstanceOf(UnknownGateError);
    expect([err.code, err.message, err.details]).toEqual([
      'gate-unknown',
      'no gate named memory is declared in govern.config.yaml (declared: memory-store)',
      { gate: 'memory', known: ['memory-store'] },
    ]);
  });

  it('fails closed with GateConfigError when govern.config.yaml is invalid', async () => {
    const root = repo({ 'trackers/t.md': tracker('Done'), 'govern.config.yaml': 'gates:\n  memory-store:\n    require: [GV-04]\n' });
    const err = (await thrown(assertEnabled('memory-store', { root, cacheDir: null }))) as GateConfigError;
    expect(err).toBeInstanceOf(GateConfigError);
    expect([err.code, err.message]).toEqual([
      'gate-config-invalid',
      'cannot evaluate gate memory-store: govern.config.yaml is invalid (govern.config.yaml:2:3: gates.memory-store: missing key "requires" (Invalid input: expected array, received undefined), and 1 more)',
    ]);
  });
});

describe('assertEnabledWhereDeclared', () => {
  it('a root that declares no such gate is not governed by one; a declared gate is asserted; a broken config fails closed', async () => {
    const undeclared = repo({ 'trackers/t.md': tracker('Planned') });
    expect(await assertEnabledWhereDeclared('memory-store', { root: undeclared, cacheDir: null })).toBeNull();
    const declared = repo({ 'trackers/t.md': tracker('Planned'), 'govern.config.yaml': CONFIG });
    expect(await thrown(assertEnabledWhereDeclared('memory-store', { root: declared, cacheDir: null }))).toBeInstanceOf(GateDisabledError);
    const done = repo({ 'trackers/t.md': tracker('Done'), 'govern.config.yaml': CONFIG });
    expect((await assertEnabledWhereDeclared('memory-store', { root: done, cacheDir: null }))?.enabled).toBe(true);
    const broken = repo({ 'trackers/t.md': tracker('Done'), 'govern.config.yaml': 'bogus: true\n' });
    expect(await thrown(assertEnabledWhereDeclared('memory-store', { root: broken, cacheDir: null }))).toBeInstanceOf(GateConfigError);
  });
});
