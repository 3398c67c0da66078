import { toErrorJSON } from '@govern/errors';
import { describe, expect, test } from 'vitest';
import { manifestFor } from './__fixtures__/packs.js';
import { composeFromConfig, parseAdaptersConfig } from './config.js';
import { definePack } from './pack.js';

// The `adapters:` section of govern.config.yaml: parsed with positioned
// diagnostics, and composed into the registry the product's callers use.

const KNOWN = ['file-store', 'duckdb-store', 'statehub'];

describe('parseAdaptersConfig', () => {
  test('no section: null and no diagnostics (every caller keeps its built-in path)', () => {
    expect(parseAdaptersConfig('profile: p.yaml\ngates: {}\n', KNOWN)).toEqual({ value: null, diagnostics: [] });
  });

  test('a valid section, with the defaults filled in', () => {
    const text = ['adapters:', '  packs: [duckdb-store, file-store]', '  prefer: { store.audit: file-store }', '  callers:', '    close: [store.audit, store.event]', '    audit-log: [store.audit]', ''].join('\n');
    expect(parseAdaptersConfig(text, KNOWN)).toEqual({
      value: { packs: ['duckdb-store', 'file-store'], prefer: { 'store.audit': 'file-store' }, options: {}, callers: { close: ['store.audit', 'store.event'], 'audit-log': ['store.audit'] } },
      diagnostics: [],
    });
  });

  test('every problem at its token: an unknown key, a capability a caller cannot use, something that is no capability', () => {
    const text = ['include: []', 'adapters:', '  packs: [file-store]', '  colour: blue', '  callers:', '    close: [store.audit, github]', '    pr: [gitlab]', '    sync: [store.audit]', ''].join('\n');
    expect(parseAdaptersConfig(text, KNOWN)).toEqual({
      value: null,
      diagnostics: [
        { severity: 'error', code: 'config-invalid', message: 'unknown key "adapters.colour"', file: 'govern.config.yaml', line: 4, column: 3 },
        { severity: 'error', code: 'config-invalid', message: 'adapters.callers.close.1: close does not use github; it uses store.audit, store.event', file: 'govern.config.yaml', line: 6, column: 26 },
        { severity: 'error', code: 'config-invalid', message: expect.stringMatching(/^adapters\.callers\.pr\.0: Invalid option: expected one of "store\.graph"\|/) as string, file: 'govern.config.yaml', line: 7, column: 10 },
        { severity: 'error', code: 'config-invalid', message: 'adapters.callers.sync.0: sync does not use store.audit; it uses statehub', file: 'govern.config.yaml', line: 8, column: 12 },
      ],
    });
  });

  test('a pack this build does not have, where it is written', () => {
    const text = ['adapters:', '  packs:', '    - file-store', '    - s3-store', '  options:', '    redis: { url: x }', ''].join('\n');
    expect(parseAdaptersConfig(text, KNOWN)).toEqual({
      value: null,
      diagnostics: [
        { severity: 'error', code: 'adapters-unknown-pack', message: 'adapters.packs.1: no adapter pack is named s3-store; known: file-store, duckdb-store, statehub', file: 'govern.config.yaml', line: 4, column: 7 },
        { severity: 'error', code: 'adapters-unknown-pack', message: 'adapters.options.redis: no adapter pack is named redis; known: file-store, duckdb-store, statehub', file: 'govern.config.yaml', line: 6, column: 5 },
      ],
    });
  });

  test('a YAML syntax error is positioned too', () => {
    const r = parseAdaptersConfig('adapters:\n  packs: [file-store\n', KNOWN);
    expect(r.value).toBeNull();
    expect(r.diagnostics.map((d) => ({ code: d.code, line: d.line }))).toEqual([{ code: 'yaml-syntax', line: 3 }]);
  });
});

describe('composeFromConfig', () => {
  const pack = (name: string, capabilities: ('store.audit' | 'statehub')[], gate?: string) =>
    definePack({ manifest: { ...manifestFor(name), capabilities, ...(gate ? { gate } : {}) }, module: null, create: () => ({ capabilities: {} as never, close: async () => {} }) });
  const catalog = [pack('store-a', ['store.audit'], 'gate-a'), pack('hub', ['statehub'])];

  test('only listed packs are enabled, in the listed order; the others are considered with the reason', () => {
    const adapters = composeFromConfig(catalog, { packs: ['hub'], prefer: {}, options: {}, callers: {} });
    expect(adapters.packs.map((p) => ({ name: p.name, enabled: p.enabled, reason: p.reason }))).toEqual([
      { name: 'hub', enabled: true, reason: null },
      { name: 'store-a', enabled: false, reason: 'not listed in govern.config.yaml adapters.packs' },
    ]);
    const err = toErrorJSON((() => {
      try {
        adapters.require(['store.audit']);
      } catch (e) {
        return e;
      }
      return null;
    })());
    expect(err.code).toBe('adapter-capability-missing');
    expect(err.message).toBe('no enabled adapter pack provides store.audit; packs considered: hub 1.0.0 (provides statehub), store-a 1.0.0 (provides store.audit; not enabled: not listed in govern.config.yaml adapters.packs)');
  });

  test("a listed pack whose gate this repository keeps closed is not enabled, and says which gate", () => {
    const adapters = composeFromConfig(catalog, { packs: ['store-a'], prefer: {}, options: {}, callers: {} }, { gateReason: (g) => (g === 'gate-a' ? 'gate gate-a is closed (requires M-1)' : null) });
    expect(adapters.packs[0]).toMatchObject({ name: 'store-a', enabled: false, reason: 'gate gate-a is closed (requires M-1)' });
    expect(adapters.provider('store.audit')).toBeNull();
  });
});
