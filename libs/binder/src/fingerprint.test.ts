import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalJson, WrapperEnvelopeSchema, type WrapperEnvelope } from '@govern/contracts';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bundleScript } from '@govern/testkit';
import { fingerprintHash, fingerprintInput, isVolatileEnvName, normalizeVersion, type FingerprintInput } from './fingerprint.js';

interface Vector {
  name: string;
  note: string;
  same_as?: string;
  differs_from?: string[];
  envelope: unknown;
  input: FingerprintInput;
  canonical: string;
  sha256: string;
}
const VECTORS_URL = new URL('./__fixtures__/fingerprint-vectors.json', import.meta.url);
const FILE = JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as { binder_version: string; vectors: Vector[] };
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_260_215) };

describe('fingerprint test vectors (__fixtures__/fingerprint-vectors.json)', () => {
  test('every vector gives exactly the recorded input, canonical JSON and sha256', () => {
    const recomputed = FILE.vectors.map((v) => {
      const e = WrapperEnvelopeSchema.parse(v.envelope);
      const input = fingerprintInput(e);
      return { ...v, input, canonical: canonicalJson(input), sha256: fingerprintHash(e) };
    });
    expect(recomputed).toEqual(FILE.vectors);
    // The hash is sha256 of the canonical bytes, checked with node:crypto directly, not through fingerprintHash.
    expect(FILE.vectors.map((v) => createHash('sha256').update(Buffer.from(v.canonical, 'utf8')).digest('hex'))).toEqual(FILE.vectors.map((v) => v.sha256));
  });

  test('the vectors cover the required cases, and their same/different relations hold', () => {
    expect(FILE.binder_version).toBe('binder/1');
    expect(FILE.vectors.map((v) => v.name)).toEqual([
      'baseline',
      'key-order',
      'gates-duplicate-unsorted',
      'versions-v-prefix',
      'env-volatile',
      'env-secret-names',
      'observation-fields',
      'context-absent',
      'failure-reason-changed',
      'env-value-changed',
      'unicode-and-control',
      'unicode-decomposed',
      'number-like-strings',
      'number-like-strings-3.1',
      'versions-key-collision',
    ]);
    const hash = new Map(FILE.vectors.map((v) => [v.name, v.sha256]));
    for (const v of FILE.vectors) {
      if (v.same_as) expect([v.name, hash.get(v.name)]).toEqual([v.name, hash.get(v.same_as)]);
      for (const other of v.differs_from ?? []) expect(hash.get(v.name)).not.toBe(hash.get(other));
    }
    expect(new Set(hash.values()).size).toBe(9);
  });

  test('another node process computes the same hashes from the same envelopes', async () => {
    // fingerprint.ts and its @govern imports bundled; npm packages stay imports, resolved from the repo root.
    const script = await bundleScript(
      `import { readFileSync } from 'node:fs';
import { WrapperEnvelopeSchema } from '@govern/contracts';
import { fingerprintHash } from './libs/binder/src/fingerprint.ts';
const file = JSON.parse(readFileSync(process.argv.at(-1), 'utf8'));
process.stdout.write(JSON.stringify(file.vectors.map((v) => [v.name, fingerprintHash(WrapperEnvelopeSchema.parse(v.envelope))])));`,
      REPO_ROOT,
    );
    const child = spawnSync(process.execPath, ['--input-type=module', '-', fileURLToPath(VECTORS_URL)], { input: script, cwd: REPO_ROOT, encoding: 'utf8' });
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    expect(child.pid).not.toBe(process.pid);
    expect(JSON.parse(child.stdout)).toEqual(FILE.vectors.map((v) => [v.name, v.sha256]));
  });
});

describe('normalization rules', () => {
  test('versions: trimmed, a leading v or V dropped only before a digit', () => {
    expect(['v1.2.3', 'V1.2.3', ' 1.2.3 ', 'vendor-7', 'v', 'vv1', '3.10', ''].map(normalizeVersion)).toEqual(['1.2.3', '1.2.3', '1.2.3', 'vendor-7', 'v', 'vv1', '3.10', '']);
  });

  test('volatile env names, exact and by suffix, any case', () => {
    const names = ['PID', 'pwd', ' TMPDIR ', 'HOSTNAME', 'RANDOM', 'BUILD_TIME', 'start_timestamp', 'SOURCE_DATE_EPOCH', 'WORKER_PID', 'GITHUB_RUN_ID', 'PATH', 'NODE_ENV', 'TIME', 'RUNTIME', 'CI'];
    expect(Object.fromEntries(names.map((n) => [n, isVolatileEnvName(n)]))).toEqual({
      PID: true,
      pwd: true,
      ' TMPDIR ': true,
      HOSTNAME: true,
      RANDOM: true,
      BUILD_TIME: true,
      start_timestamp: true,
      SOURCE_DATE_EPOCH: true,
      WORKER_PID: true,
      GITHUB_RUN_ID: true,
      PATH: false,
      NODE_ENV: false,
      TIME: false,
      RUNTIME: false,
      CI: false,
    });
  });

  test('fields an unvalidated object adds to the TaskSpec do not reach the input; a __proto__ env key stays data', () => {
    const e = WrapperEnvelopeSchema.parse(FILE.vectors[0]!.envelope);
    const loose = { ...e, task_spec: { ...e.task_spec, extra: 'x' }, context: { ...e.context, env: JSON.parse('{"__proto__":"p","CI":"true"}') as Record<string, string> } };
    const input = fingerprintInput(loose as WrapperEnvelope);
    expect(input.task_spec).toEqual(e.task_spec);
    expect(Object.entries(input.env)).toEqual([
      ['CI', 'true'],
      ['__proto__', 'p'],
    ]);
  });
});

// ---- property tests ------------------------------------------------------------------

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
/** Env names that are neither volatile nor secret-named, unique after trimming. */
const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/).filter((n) => !isVolatileEnvName(n) && !/TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|PRIVATE|KEY|AUTH|COOKIE|SESSION|PAT|OTEL/.test(n));
const versionKey = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);

const envelopeArb = fc.record({
  scope: text,
  kind: text,
  id: text,
  action: text,
  code: text,
  policyName: text,
  policyVersion: text,
  gates: fc.array(text, { maxLength: 6 }),
  versions: fc.dictionary(versionKey, text, { maxKeys: 5 }),
  env: fc.dictionary(envName, fc.string({ unit: 'binary', maxLength: 12 }), { maxKeys: 5 }),
}).map(
  (r): WrapperEnvelope => ({
    schema: 'govern.wrapper-envelope/v1',
    event_id: 'evt-1',
    sequence: 0,
    run_id: 'run-1',
    task_id: 'T01',
    group_id: 'g-1',
    signal: 'failure',
    wrapper_policy: { name: r.policyName, version: r.policyVersion },
    task_spec: { scope: r.scope, target: { kind: r.kind, id: r.id }, action: { kind: r.action }, failure_reason_code: r.code },
    policy_reason_code: null,
    context: { gates: r.gates, versions: r.versions, env: r.env },
    evidence: [{ kind: 'file', ref: 'x' }],
    observed_at: '2026-02-15T10:00:00Z',
  }),
);

/** A small seeded PRNG (mulberry32): fast-check picks and shrinks the seed, the shuffle stays reproducible. */
function rng(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle<T>(xs: T[], r: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
/** Every object's keys in a random order (arrays keep theirs). */
function shuffleKeys(v: unknown, r: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, r));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(shuffle(Object.entries(v), r).map(([k, x]) => [k, shuffleKeys(x, r)]));
  return v;
}

describe('fingerprint properties (fast-check)', () => {
  test('reordering every key, reordering and repeating gates, padding gates never changes the hash', () => {
    fc.assert(
      fc.property(envelopeArb, fc.integer(), (e, s) => {
        const r = rng(s);
        const moved = shuffleKeys(e, r) as WrapperEnvelope;
        const gates = e.context.gates;
        moved.context.gates = shuffle([...gates, ...gates.filter(() => r() < 0.5).map((g) => (r() < 0.5 ? ` ${g}` : `${g}\t`))], r);
        expect(fingerprintHash(moved)).toBe(fingerprintHash(e));
      }),
      { numRuns: 300, ...seed },
    );
  });

  test('observation fields, volatile env and secret-named env never change the hash', () => {
    fc.assert(
      fc.property(envelopeArb, fc.string({ maxLength: 20 }), fc.nat(), fc.constantFrom('success', 'denial', 'anomaly') as fc.Arbitrary<WrapperEnvelope['signal']>, (e, s, n, signal) => {
        const changed: WrapperEnvelope = {
          ...e,
          event_id: `evt-${s}`,
          sequence: n,
          run_id: `run-${s}`,
          task_id: `task-${s}`,
          group_id: `group-${s}`,
          signal,
          policy_reason_code: `guard.${n}`,
          evidence: [{ kind: 'url', ref: `https://example.test/${n}` }],
          observed_at: '2031-01-01T00:00:00+05:00',
          context: { ...e.context, env: { ...e.context.env, PID: `${n}`, TMPDIR: s, HOSTNAME: s, STEP_TIMESTAMP: s, GITHUB_TOKEN: s, DB_PASSWORD: s } },
        };
        expect(fingerprintHash(changed)).toBe(fingerprintHash(e));
      }),
      { numRuns: 300, ...seed },
    );
  });

  test('changing any non-volatile field always changes the hash', () => {
    const fields = ['scope', 'target.kind', 'target.id', 'action.kind', 'failure_reason_code', 'wrapper_policy.name', 'wrapper_policy.version', 'gate-added', 'version-changed', 'version-added', 'env-changed', 'env-added'] as const;
    fc.assert(
      fc.property(envelopeArb, fc.constantFrom(...fields), fc.string({ unit: 'binary', maxLength: 8 }), envName, versionKey, (e, field, more, name, key) => {
        const add = `x${more}`;
        const c = structuredClone(e);
        const t = c.task_spec;
        const versionKeys = Object.keys(c.context.versions);
        const envKeys = Object.keys(c.context.env);
        switch (field) {
          case 'scope': t.scope += add; break;
          case 'target.kind': t.target.kind += add; break;
          case 'target.id': t.target.id += add; break;
          case 'action.kind': t.action.kind += add; break;
          case 'failure_reason_code': t.failure_reason_code += add; break;
          case 'wrapper_policy.name': c.wrapper_policy.name += add; break;
          case 'wrapper_policy.version': c.wrapper_policy.version += add; break;
          case 'gate-added':
            fc.pre(!c.context.gates.some((g) => g.trim() === add.trim()));
            c.context.gates.push(add);
            break;
          case 'version-changed':
            fc.pre(versionKeys.length > 0);
            c.context.versions[versionKeys[0]!] += add;
            break;
          case 'version-added':
            fc.pre(!versionKeys.includes(key));
            c.context.versions[key] = more;
            break;
          case 'env-changed':
            fc.pre(envKeys.length > 0);
            c.context.env[envKeys[0]!] += add;
            break;
          case 'env-added':
            fc.pre(!envKeys.includes(name));
            c.context.env[name] = more;
            break;
        }
        expect(fingerprintHash(c)).not.toBe(fingerprintHash(e));
      }),
      { numRuns: 400, ...seed },
    );
  });
});
